#!/usr/bin/env bash
# 03-408-behind-nat (field notes 003, 002): a phone behind the NAT (SIPp, 192.168.1.10:5060) sends
# an INVITE over UDP whose Via has the private sent-by 192.168.1.10:5060 and NO rport. The NAT maps
# the phone's port 5060 to 203.0.113.1:35060. kamailio (no force_rport) follows RFC 3261 18.2.2:
# it adds received=203.0.113.1 but sends every response to the sent-by PORT 5060, where the NAT
# has no binding and drops it. The callee rings (180), kamailio's 100/180 and later 408 all die at
# the NAT; the phone retransmits the INVITE until Timer B (32 s) and shows "Request Timeout".
# capture.pcap: the public side of the NAT (its WAN interface). capture-lan.pcap: the LAN side.
. "$(dirname "$0")/../lib.sh"
lab_init 03-408-behind-nat
NAT_SIP_PORT=35060 lab_topology sl-proxy sl-peer

capture sl-nat wan "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP" "sip:$PEER_IP:5060"
kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A NEXT_HOP -A FR_INV_TIMER=20000
UAS=$(sipp_xml uas.xml "s|@RING_MS@|120000|")
( cd "$WORK" && nsx sl-peer sipp -sf "$UAS" -i "$PEER_IP" -p 5060 -m 1 -timeout 90 -rtp_echo -mp 6000 >"$WORK/uas.log" 2>&1 ) &
LAB_PIDS+=("$!")
sleep 1
UAC=$(sipp_xml uac-nat.xml "s/@VIA_PARAMS@//" "s/@CT_HOST@/$UA_IP:5060/" "s/@SDP_IP@/$UA_IP/")
log "phone calls carol; responses will go to port 5060 and be dropped by the NAT (~32 s)"
( cd "$WORK" && nsx sl-lan sipp -sf "$UAC" -i "$UA_IP" -p 5060 -s carol -m 1 -timeout 60 \
    "$PROXY_IP:5060" >"$WORK/uac.log" 2>&1 ) || log "sipp uac exit $?"
sleep 8   # kamailio's 408 retransmissions (Timer G) toward the dead port
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/03-408-behind-nat.manifest.json" "$OUT"
