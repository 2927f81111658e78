#!/usr/bin/env bash
# 04-rport-good (field notes 002, 003): the same phone, NAT and proxy as 03-408-behind-nat, but the
# phone's Via carries ;rport (RFC 3581) and its Contact/SDP hold the NAT's public address (a phone
# that learned it, e.g. by STUN). kamailio fills in rport=35060;received=203.0.113.1 and sends every
# response to the real source port, so the NAT lets them in. The callee answers, 2 s of G.711 RTP
# flow both ways (the callee echoes RTP to where it came from), and the phone hangs up with BYE.
# This is the good path: it must produce no error or warning findings.
# capture.pcap: the public (WAN) side of the NAT. capture-lan.pcap: the LAN side.
. "$(dirname "$0")/../lib.sh"
lab_init 04-rport-good
NAT_MODE=preserve NAT_SIP_PORT=35060 lab_topology sl-proxy sl-peer

capture sl-nat wan "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP" "sip:$PEER_IP:5060"
kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A NEXT_HOP
UAS=$(sipp_xml uas.xml "s|@RING_MS@|1000|")
( cd "$WORK" && nsx sl-peer sipp -sf "$UAS" -i "$PEER_IP" -p 5060 -m 1 -timeout 60 -rtp_echo -mp 6000 >"$WORK/uas.log" 2>&1 ) &
LAB_PIDS+=("$!")
sleep 1
UAC=$(sipp_xml uac-nat.xml "s/@VIA_PARAMS@/;rport/" "s/@CT_HOST@/$NAT_WAN_IP:35060/" "s/@SDP_IP@/$NAT_WAN_IP/")
log "phone calls carol with rport"
( cd "$WORK" && nsx sl-lan sipp -sf "$UAC" -i "$UA_IP" -p 5060 -s carol -m 1 -timeout 60 -d 2500 \
    "$PROXY_IP:5060" >"$WORK/uac.log" 2>&1 ) || log "sipp uac exit $?"
sleep 1
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/04-rport-good.manifest.json" "$OUT"
