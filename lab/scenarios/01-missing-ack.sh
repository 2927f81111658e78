#!/usr/bin/env bash
# 01-missing-ack (field note 001): the callee (baresip) is behind a NAT and registered through a
# kamailio proxy that records its public source for the REGISTER (fix_nated_register) but does
# NOT fix the Contact of the callee's 200 OK. The 200 OK therefore carries
# Contact: <sip:bob@192.168.1.10:5060>. The caller (sipp, public) sends the ACK along the route
# set to the proxy, and the proxy forwards it to that private address, where it dies on the
# "internet". The callee retransmits the 200 OK (T1 doubling to T2) for 64*T1 = 32 s and then
# hangs up with a BYE.
# capture.pcap: the proxy's interface (203.0.113.10), signalling only because media does not pass
# the proxy. capture-lan.pcap: the LAN side of the NAT, SIP port only (the callee never sees an ACK).
. "$(dirname "$0")/../lib.sh"
lab_init 01-missing-ack
lab_topology sl-proxy sl-peer

capture sl-proxy eth0 "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap" udp port 5060
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP"
kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A FIX_REGISTER

baresip_conf "$WORK/bob" "$UA_IP" "<sip:bob@$PROXY_IP>;regint=600;answermode=auto;audio_codecs=PCMU"
bg sl-lan "$WORK/baresip.log" baresip -f "$WORK/bob" -t 75
wait_for "$WORK/baresip.log" "200 OK" 10
sleep 1

log "calling bob from sipp (the ACK will be lost; ~32 s of 2xx retransmissions follow)"
( cd "$WORK" && nsx sl-peer sipp -sf "$LAB_DIR/sipp/uac-wait-bye.xml" -i "$PEER_IP" -p 5060 -s bob \
    -m 1 -rtp_echo -mp 6000 -timeout 80 -trace_err -trace_msg "$PROXY_IP:5060" >"$WORK/sipp.log" 2>&1 ) || log "sipp exit $?"
stop_captures

cp "$WORK/capture.pcap" "$OUT/capture.pcap"
cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/01-missing-ack.manifest.json" "$OUT"
