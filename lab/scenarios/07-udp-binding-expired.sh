#!/usr/bin/env bash
# 07-udp-binding-expired (field notes 002, 003): a softphone behind the NAT (baresip, UDP) registers
# with kamailio (which honours rport and records the NAT's mapped port). The NAT's UDP timeout is
# 20 s (nf_conntrack_udp_timeout and _stream). A public caller (SIPp) calls the phone; the call is
# answered and then nothing is signalled for 35 s (media uses other ports, so it does not refresh
# the SIP mapping). The NAT forgets the SIP binding. When the caller hangs up, kamailio sends the
# BYE to the phone's old mapped address 203.0.113.1:<port>; the NAT has no binding and drops it.
# BYE retransmissions, then 408; the phone's call stays up.
# capture.pcap: the proxy's interface (203.0.113.10), signalling only. capture-lan.pcap: the LAN
# side of the NAT, SIP and RTCP, so that it records through the call: from inside, the live media
# after 35 s of SIP silence is what shows the risk (a pcap does not say how long a capture ran).
# ALIGN_OUT=DIR writes the two captures to DIR instead, without a manifest (lab/alignment/).
. "$(dirname "$0")/../lib.sh"
lab_init 07-udp-binding-expired
LAN_FILTER=('udp port 5060 or (udp[8] & 0xc0 = 0x80 and udp[9] >= 200 and udp[9] <= 204)')
if [ -n "${ALIGN_OUT:-}" ]; then
  rmdir "$OUT" 2>/dev/null || true
  OUT="$ALIGN_OUT"; mkdir -p "$OUT"
fi
lab_topology sl-proxy sl-peer
nat_timeouts 20 20

capture sl-proxy eth0 "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap" "${LAN_FILTER[@]}"
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
nsx sl-nat conntrack -L -p udp 2>/dev/null | head -5 >&2 || true
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
if [ -n "${ALIGN_OUT:-}" ]; then exit 0; fi
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/07-udp-binding-expired.manifest.json" "$OUT"
