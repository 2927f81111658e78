#!/usr/bin/env bash
# 14-rtpengine-relay (field notes 003, 004; issue 12 pattern 5): the 08-one-way-audio call — alice
# behind the NAT (baresip, private SDP c=192.168.1.10) calls carol (baresip, public) through
# kamailio — but the proxy relays the media through rtpengine: both SDPs are rewritten to the
# relay's public address, and rtpengine latches onto the NAT's public address where alice's RTP
# really comes from. Audio flows both ways. NAT handled correctly: a good path, WAN and LAN, that
# must stay at info at most (the private SDP address in alice's own INVITE is only worth noting).
# capture.pcap: the public (WAN) side of the NAT. capture-lan.pcap: the LAN side.
. "$(dirname "$0")/../lib.sh"
lab_init 14-rtpengine-relay
lab_topology sl-proxy sl-peer

capture sl-nat wan "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"
bg sl-proxy "$WORK/rtpengine.log" rtpengine --interface="$PROXY_IP" --listen-ng=127.0.0.1:2223 --table=-1 --foreground \
  --log-stderr --port-min=30000 --port-max=30100 --pidfile="$WORK/rtpengine.pid"
sleep 1
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP" "sip:$PEER_IP:5060"
kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A NEXT_HOP -A FORCE_RPORT -A FIX_CONTACT -A WITH_RTPENGINE

baresip_conf "$WORK/carol" "$PEER_IP" "<sip:carol@$PEER_IP>;regint=0;answermode=auto;audio_codecs=PCMU" \
  "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
bg sl-peer "$WORK/carol.log" baresip -f "$WORK/carol" -t 40
baresip_conf "$WORK/alice" "$UA_IP" "<sip:alice@$PROXY_IP>;regint=0;audio_codecs=PCMU" \
  "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
bg sl-lan "$WORK/alice.log" baresip -f "$WORK/alice" -t 40
sleep 2
log "alice (behind NAT) calls carol; media through rtpengine"
baresip_cmd dial "sip:carol@$PROXY_IP"
sleep 6
baresip_cmd hangup
sleep 2
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
tshark -r "$OUT/capture.pcap" -q -z conv,udp 2>/dev/null | sed -n 1,12p
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/14-rtpengine-relay.manifest.json" "$OUT"
