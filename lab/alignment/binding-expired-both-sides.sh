#!/usr/bin/env bash
# Two capture points of one NAT for issue 17's alignment (the measured NAT mapping lifetime): the
# 07-udp-binding-expired story recorded again with a LAN capture that keeps recording through the
# call. A softphone behind the NAT (baresip, UDP) registers with kamailio (rport honoured); the NAT's
# UDP timeout is 20 s. A public caller (SIPp) calls the phone, the call is answered, then nothing is
# signalled for 35 s while media flows on other ports. The NAT forgets the SIP mapping; the BYE the
# proxy sends to the old mapped port is dropped.
# capture.pcap: the proxy's interface (signalling only). capture-lan.pcap: the LAN side of the NAT,
# SIP and RTCP (RTCP every few seconds shows the capture was still recording when the BYE was lost).
# Output: test/captures/alignment/binding-expired/ (test data, not a training sample).
. "$(dirname "$0")/../lib.sh"
lab_init alignment-binding-expired
rmdir "$OUT" 2>/dev/null || true
OUT="$REPO_DIR/test/captures/alignment/binding-expired"
mkdir -p "$OUT"
lab_topology sl-proxy sl-peer
nat_timeouts 20 20

capture sl-proxy eth0 "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap" 'udp port 5060 or (udp[8] & 0xc0 = 0x80 and udp[9] >= 200 and udp[9] <= 204)'
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP"
kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A FORCE_RPORT -A FIX_REGISTER -A FIX_CONTACT -A FR_TIMER=28000

baresip_conf "$WORK/bob" "$UA_IP" "<sip:bob@$PROXY_IP>;regint=600;answermode=auto;audio_codecs=PCMU"
bg sl-lan "$WORK/baresip.log" baresip -f "$WORK/bob" -t 120
wait_for "$WORK/baresip.log" "200 OK" 10
sleep 1
UAC=$(sipp_xml uac-hangup.xml "s/@HOLD_MS@/35000/")
log "calling bob; the NAT forgets the SIP mapping after 20 s idle; caller hangs up at 35 s"
( cd "$WORK" && nsx sl-peer sipp -sf "$UAC" -i "$PEER_IP" -p 5060 -s bob -m 1 -rtp_echo -mp 6000 -timeout 90 -max_non_invite_retrans 20 \
    "$PROXY_IP:5060" >"$WORK/sipp.log" 2>&1 ) || log "sipp exit $?"
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
{
  echo "# binding-expired: two capture points of one NAT"
  echo
  echo "Recorded by \`sudo bash lab/alignment/binding-expired-both-sides.sh\` on $(date -u +%F) (real kamailio $(kamailio -v 2>/dev/null | head -1 | awk '{print $3}'), baresip, SIPp $(sipp -v 2>/dev/null | grep -o 'v[0-9.]*' | head -1), Linux netfilter NAT with a 20 s UDP timeout, in network namespaces)."
  echo "capture.pcap: the proxy's interface (203.0.113.10), signalling. capture-lan.pcap: the LAN side of the NAT, SIP and RTCP."
  echo "The BYE the proxy sends ~35 s into the call is dropped by the NAT: the mapping 192.168.1.10:5060 ↔ 203.0.113.1:<port> expired."
} > "$OUT/README.md"
sip_summary "$OUT/capture.pcap"
ls -la "$OUT"
