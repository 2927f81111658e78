#!/usr/bin/env bash
# 06-tcp-closed-mid-call (field note 002): a softphone behind the NAT (baresip, SIP over TCP)
# registers with kamailio over a TCP connection that the NAT lets back in only as long as it
# exists. A public caller (SIPp, UDP) calls the phone; kamailio delivers the INVITE on that
# connection. kamailio's tcp_connection_lifetime is 5 s: during the quiet, established call it
# closes the idle connection (FIN). When the caller hangs up at ~30 s, kamailio must open a NEW
# TCP connection to the phone's NAT address; the NAT has no mapping for it and drops the SYNs.
# The BYE never reaches the phone; the caller gets an error, the phone's call stays up.
# capture.pcap: the proxy's interface (203.0.113.10), signalling only (media does not pass the
# proxy). capture-lan.pcap: the LAN side of the NAT, SIP over TCP only.
. "$(dirname "$0")/../lib.sh"
lab_init 06-tcp-closed-mid-call
lab_topology sl-proxy sl-peer

capture sl-proxy eth0 "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap" tcp port 5060
KAM_LISTEN="udp:$PROXY_IP:5060 tcp:$PROXY_IP:5060" kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP"
kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A FORCE_RPORT -A FIX_REGISTER -A FIX_CONTACT \
  -A TCP_LIFETIME=5 -A FR_TIMER=28000

baresip_conf "$WORK/bob" "$UA_IP" "<sip:bob@$PROXY_IP;transport=tcp>;regint=600;answermode=auto;audio_codecs=PCMU"
bg sl-lan "$WORK/baresip.log" baresip -f "$WORK/bob" -t 120
wait_for "$WORK/baresip.log" "200 OK" 10
sleep 1
UAC=$(sipp_xml uac-hangup.xml "s/@HOLD_MS@/30000/")
log "calling bob; kamailio closes the idle TCP connection after 5+ s, caller hangs up at 30 s"
( cd "$WORK" && nsx sl-peer sipp -sf "$UAC" -i "$PEER_IP" -p 5060 -s bob -m 1 -rtp_echo -mp 6000 -timeout 85 -max_non_invite_retrans 20 \
    "$PROXY_IP:5060" >"$WORK/sipp.log" 2>&1 ) || log "sipp exit $?"
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/06-tcp-closed-mid-call.manifest.json" "$OUT"
