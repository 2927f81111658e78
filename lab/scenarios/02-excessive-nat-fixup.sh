#!/usr/bin/env bash
# 02-excessive-nat-fixup (field note 001): two proxies. Proxy B (kamailio 203.0.113.30) is the
# registrar of a softphone behind the NAT (baresip) and handles its NAT correctly: it fixes the
# phone's Contact on replies to the NAT's public address (fix_nated_contact when the Contact is
# private). Proxy A (kamailio 203.0.113.10, record-routing) faces the caller and "fixes" the Contact
# of EVERY reply, including the 200 OK that comes from proxy B, not from an endpoint: the Contact
# becomes proxy B's source address 203.0.113.30:5060. The caller's ACK goes (via A) to proxy B,
# which has no idea what to do with an ACK addressed to itself and drops it; the phone never gets
# an ACK, retransmits its 200 OK for 32 s and hangs up with BYE.
# capture.pcap: proxy A's interface (203.0.113.10): the 200 OK arriving from B and leaving to the
# caller with the rewritten Contact, and the ACK going to B. capture-lan.pcap: LAN side, SIP only.
. "$(dirname "$0")/../lib.sh"
lab_init 02-excessive-nat-fixup
lab_topology sl-proxy sl-proxyb sl-peer

capture sl-proxy eth0 "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap" udp port 5060
kam_cfg "$WORK/kamailio-a.cfg" "$PROXY_IP" "sip:$PROXYB_IP:5060"
kamailio_start sl-proxy "$WORK/kamailio-a.cfg" "$WORK/kamailio-a.log" -A NEXT_HOP -A REWRITE_DOMAIN -A FIX_ALL_REPLIES
kam_cfg "$WORK/kamailio-b.cfg" "$PROXYB_IP"
kamailio_start sl-proxyb "$WORK/kamailio-b.cfg" "$WORK/kamailio-b.log" -A NO_RR -A FORCE_RPORT -A FIX_REGISTER -A FIX_CONTACT

baresip_conf "$WORK/bob" "$UA_IP" "<sip:bob@$PROXYB_IP>;regint=600;answermode=auto;audio_codecs=PCMU"
bg sl-lan "$WORK/baresip.log" baresip -f "$WORK/bob" -t 90
wait_for "$WORK/baresip.log" "200 OK" 10
sleep 1
log "calling bob through proxy A and proxy B (the ACK will end at proxy B; ~32 s of 2xx retransmissions)"
( cd "$WORK" && nsx sl-peer sipp -sf "$LAB_DIR/sipp/uac-wait-bye.xml" -i "$PEER_IP" -p 5060 -s bob \
    -m 1 -rtp_echo -mp 6000 -timeout 80 "$PROXY_IP:5060" >"$WORK/sipp.log" 2>&1 ) || log "sipp exit $?"
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/02-excessive-nat-fixup.manifest.json" "$OUT"
