#!/usr/bin/env python3
"""A minimal media server endpoint for the lab (real UDP socket, real RTP bytes).

Binds IP:PORT (only when started: a port that is not open yet answers with ICMP port unreachable,
like a media server that opens its port when the call is answered), latches onto the source of
the first RTP packet it receives (symmetric RTP / comedia) and sends every received packet back to
the latched address, rewritten with its own SSRC. After LOCK packets from one source it locks the
session (field note 004): packets from any other source are ignored until the locked source has
been silent for LOCK_TIMEOUT seconds. Runs for DURATION seconds.

usage: rtp-latch.py IP PORT DURATION [LOCK=3] [LOCK_TIMEOUT=4]
"""
import socket
import struct
import sys
import time

ip, port, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
lock_n = int(sys.argv[4]) if len(sys.argv) > 4 else 3
lock_timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 4.0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, port))
s.settimeout(0.2)
end = time.time() + duration
latched = None
count = 0
last_seen = 0.0
seq = 1000
SSRC = 0x5EED0001
while time.time() < end:
    try:
        data, src = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(data) < 12 or (data[0] >> 6) != 2:
        continue
    now = time.time()
    if latched is None or (src != latched and (count < lock_n or now - last_seen > lock_timeout)):
        if src != latched:
            print(f"latch {src}", flush=True)
        latched, count = src, 0
    if src != latched:
        continue  # locked: ignore the other source
    count += 1
    last_seen = now
    # echo the payload back with our own header (PT kept, own SSRC and sequence)
    pt = data[1] & 0x7F
    ts = struct.unpack("!I", data[4:8])[0]
    hdr = struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, ts, SSRC)
    seq += 1
    s.sendto(hdr + data[12:], latched)
