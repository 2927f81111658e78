#!/usr/bin/env bash
# 08-one-way-audio (field notes 003, 004): a softphone behind the NAT (baresip, 192.168.1.10)
# calls a public softphone (baresip, 203.0.113.20) through kamailio. Signalling is NAT-safe
# (rport, force_rport, fix_nated_contact), but nobody touches the SDP: the offer says
# c=IN IP4 192.168.1.10. The callee sends its RTP to that private address, where it is dropped on
# the internet, and it does not latch onto the RTP it receives. The caller's audio arrives;
# the callee's never does: one-way audio. The caller hangs up after ~5 s.
# capture.pcap: the public (WAN) side of the NAT. capture-lan.pcap: the LAN side.
# SCENARIO=14-rtpengine-relay records the same call with the proxy relaying the media through
# rtpengine instead (lab/scenarios/14-rtpengine-relay.sh): the healthy counterpart.
. "$(dirname "$0")/../lib.sh"
SCENARIO="${SCENARIO:-08-one-way-audio}"
lab_init "$SCENARIO"
lab_topology sl-proxy sl-peer
RELAY=()

capture sl-nat wan "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"
if [ "$SCENARIO" = 14-rtpengine-relay ]; then
  bg sl-proxy "$WORK/rtpengine.log" rtpengine --interface="$PROXY_IP" --listen-ng=127.0.0.1:2223 --table=-1 --foreground \
    --log-stderr --port-min=30000 --port-max=30100 --pidfile="$WORK/rtpengine.pid"
  sleep 1
  RELAY=(-A WITH_RTPENGINE)
fi
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP" "sip:$PEER_IP:5060"
kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A NEXT_HOP -A FORCE_RPORT -A FIX_CONTACT "${RELAY[@]}"

baresip_conf "$WORK/carol" "$PEER_IP" "<sip:carol@$PEER_IP>;regint=0;answermode=auto;audio_codecs=PCMU" \
  "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
bg sl-peer "$WORK/carol.log" baresip -f "$WORK/carol" -t 40
baresip_conf "$WORK/alice" "$UA_IP" "<sip:alice@$PROXY_IP>;regint=0;audio_codecs=PCMU" \
  "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
bg sl-lan "$WORK/alice.log" baresip -f "$WORK/alice" -t 40
sleep 2
log "alice (behind NAT) calls carol"
baresip_cmd dial "sip:carol@$PROXY_IP"
sleep 6
baresip_cmd hangup
sleep 2
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
tshark -r "$OUT/capture.pcap" -q -z conv,udp 2>/dev/null | sed -n 1,12p
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/$SCENARIO.manifest.json" "$OUT"
