#!/usr/bin/env bash
# 13-rtp-unlatched (field notes 004, 003): a softphone behind the NAT (baresip, 192.168.1.10) calls
# a public SIP endpoint directly (baresip on 203.0.113.20 with auto-answer, standing in for a
# hosted PBX / media server that is both the signalling and the media end and has no latching,
# like Asterisk with nat=no). The phone's SDP says c=IN IP4 192.168.1.10; nothing on the path
# fixes it. The phone's RTP reaches the peer from the NAT's public address 203.0.113.1:<mapped
# port>, but the peer keeps sending its own RTP to the SDP address 192.168.1.10:<port> — it does
# not latch onto where the media really comes from (no symmetric RTP, RFC 4961). Those packets
# leave the peer and die at the internet gateway (a private destination). The caller hears
# nothing and hangs up after ~5 s.
# capture.pcap: the peer's own interface (203.0.113.20), where both directions are visible: the
# phone's RTP arriving from 203.0.113.1 and the peer's RTP leaving toward 192.168.1.10.
# capture-lan.pcap: the LAN side of the NAT (no RTP ever arrives for the phone).
. "$(dirname "$0")/../lib.sh"
lab_init 13-rtp-unlatched
lab_topology sl-peer

capture sl-peer eth0 "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"

baresip_conf "$WORK/carol" "$PEER_IP" "<sip:carol@$PEER_IP>;regint=0;answermode=auto;audio_codecs=PCMU" \
  "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
bg sl-peer "$WORK/carol.log" baresip -f "$WORK/carol" -t 40
baresip_conf "$WORK/alice" "$UA_IP" "<sip:alice@$PEER_IP>;regint=0;audio_codecs=PCMU" \
  "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
bg sl-lan "$WORK/alice.log" baresip -f "$WORK/alice" -t 40
sleep 2
log "alice (behind the NAT) calls carol directly"
baresip_cmd dial "sip:carol@$PEER_IP"
sleep 5
baresip_cmd hangup
sleep 2
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
tshark -r "$OUT/capture.pcap" -q -z conv,udp 2>/dev/null | sed -n 5,20p
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/13-rtp-unlatched.manifest.json" "$OUT"
