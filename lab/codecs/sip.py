"""The SIP of lab/codecs/record.sh: one message per run, sent over UDP from port 5060."""
import socket, sys

side, what, pt, rtpmap, name = sys.argv[2:7]
A, B = "192.0.2.10", "192.0.2.20"
call = f"{name}-1@192.0.2.10"
frm = "<sip:alice@192.0.2.10>;tag=a1"
to = "<sip:bob@192.0.2.20>"
tot = to + ";tag=b1"

def sdp(ip, port):
    return (f"v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP {pt}\r\na=rtpmap:{pt} {rtpmap}\r\na=sendrecv\r\n")

def msg(start, headers, body=""):
    h = "\r\n".join(headers)
    ct = "Content-Type: application/sdp\r\n" if body else ""
    return f"{start}\r\n{h}\r\n{ct}Content-Length: {len(body)}\r\n\r\n{body}".encode()

via = "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-{}"
if what == "invite":
    m = msg("INVITE sip:bob@192.0.2.20 SIP/2.0", [via.format("inv"), "Max-Forwards: 70", f"From: {frm}", f"To: {to}", f"Call-ID: {call}", "CSeq: 1 INVITE", "Contact: <sip:alice@192.0.2.10:5060>"], sdp(A, 41000))
elif what == "ok":
    m = msg("SIP/2.0 200 OK", [via.format("inv"), f"From: {frm}", f"To: {tot}", f"Call-ID: {call}", "CSeq: 1 INVITE", "Contact: <sip:bob@192.0.2.20:5060>"], sdp(B, 40000))
elif what == "ack":
    m = msg("ACK sip:bob@192.0.2.20:5060 SIP/2.0", [via.format("ack"), "Max-Forwards: 70", f"From: {frm}", f"To: {tot}", f"Call-ID: {call}", "CSeq: 1 ACK"])
elif what == "bye":
    m = msg("BYE sip:bob@192.0.2.20:5060 SIP/2.0", [via.format("bye"), "Max-Forwards: 70", f"From: {frm}", f"To: {tot}", f"Call-ID: {call}", "CSeq: 2 BYE"])
else:
    m = msg("SIP/2.0 200 OK", [via.format("bye"), f"From: {frm}", f"To: {tot}", f"Call-ID: {call}", "CSeq: 2 BYE"])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((A if side == "a" else B, 5060))
s.sendto(m, (B if side == "a" else A, 5060))
