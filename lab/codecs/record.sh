#!/usr/bin/env bash
# Records the codec fixtures of src/media (issue 14): one short call each whose RTP comes from a
# real packetiser — ffmpeg's RTP muxer sending a 1 kHz tone (peak −25 dBFS: ffmpeg's sine at 1/8,
# then −7 dB) encoded as G.722 (PT 9) or
# Opus (libopus, PT 97) — between two network namespaces of our own (192.0.2.10 → 192.0.2.20),
# captured by tcpdump on the receiver's interface. The SIP around it (INVITE with SDP, 200 OK,
# ACK, BYE, 200 OK) is sent over the same wire by a few lines of Python, so the call list and the
# Media tab find the stream as a user's capture would show it.
# Needs root, iproute2, tcpdump, ffmpeg (with libopus), python3. Run: sudo bash lab/codecs/record.sh
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$REPO/src/media/fixtures"
WORK="$(mktemp -d /tmp/slc.XXXX)"
A=slc-a; B=slc-b
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $A; ip netns add $B
ip link add slc-va type veth peer name slc-vb
ip link set slc-va netns $A; ip link set slc-vb netns $B
ip -n $A addr add 192.0.2.10/24 dev slc-va; ip -n $B addr add 192.0.2.20/24 dev slc-vb
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set slc-va up; ip -n $B link set slc-vb up
# No ICMP port unreachable from the receiver (the RTP port has no player, as in a one-way test).
ip netns exec $B iptables -A OUTPUT -p icmp --icmp-type port-unreachable -j DROP
ip netns exec $A iptables -A OUTPUT -p icmp --icmp-type port-unreachable -j DROP
sleep 1

record() { # NAME CODEC_ARGS PT RTPMAP
  local name="$1" codec="$2" pt="$3" rtpmap="$4"
  ip netns exec $B tcpdump -i slc-vb -s 0 -U -n -w "$WORK/$name.pcap" udp >"$WORK/tcpdump.log" 2>&1 &
  local tcpd=$!
  sleep 1
  ip netns exec $A python3 "$REPO/lab/codecs/sip.py" send a invite "$pt" "$rtpmap" "$name"
  ip netns exec $B python3 "$REPO/lab/codecs/sip.py" send b ok "$pt" "$rtpmap" "$name"
  ip netns exec $A python3 "$REPO/lab/codecs/sip.py" send a ack "$pt" "$rtpmap" "$name"
  # shellcheck disable=SC2086
  ip netns exec $A ffmpeg -hide_banner -loglevel error -re -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=2" \
    -af "volume=-7dB" $codec -f rtp "rtp://192.0.2.20:40000?localport=41000" -sdp_file "$WORK/$name.sdp"
  ip netns exec $A python3 "$REPO/lab/codecs/sip.py" send a bye "$pt" "$rtpmap" "$name"
  ip netns exec $B python3 "$REPO/lab/codecs/sip.py" send b byeok "$pt" "$rtpmap" "$name"
  sleep 1
  kill -INT $tcpd; wait $tcpd || true
  cp "$WORK/$name.pcap" "$OUT/$name.pcap"
  cat "$WORK/$name.sdp" >&2
}
record g722-call "-ar 16000 -ac 1 -c:a g722" 9 "G722/8000"
record opus-call "-ar 48000 -ac 1 -c:a libopus -b:a 32k -payload_type 111" 111 "opus/48000/2"
# The oracle for src/media/g722.test.ts: ffmpeg's own G.722 decoder on the payloads tshark exports.
tshark -r "$OUT/g722-call.pcap" -d udp.port==40000,rtp -Y "rtp.p_type == 9" -T fields -e rtp.payload | tr -d ':\n' | xxd -r -p > "$WORK/g722.raw"
ffmpeg -hide_banner -loglevel error -y -f g722 -i "$WORK/g722.raw" -f s16le -ac 1 -ar 16000 "$OUT/g722-call.ffmpeg.s16"
ls -la "$OUT"/*.pcap "$OUT"/*.s16
