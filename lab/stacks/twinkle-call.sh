#!/usr/bin/env bash
# Another SIP stack through the lab's NAT (issue 12): Twinkle (twinkle-console 1.10) behind the NAT
# (192.168.1.10 → 203.0.113.1, MASQUERADE --random) registers with kamailio on 203.0.113.10 and
# auto-answers a call from SIPp on 203.0.113.20, which hangs up after 8 s.
#   sudo bash lab/stacks/twinkle-call.sh fixup      proxy fixes NAT (force_rport, fix_nated_register,
#                                                   fix_nated_contact): a healthy call
#   sudo bash lab/stacks/twinkle-call.sh no-fixup   proxy fixes only the registration: Twinkle's 200 OK
#                                                   keeps Contact 192.168.1.10, the ACK and the BYE go
#                                                   there and die on the "internet" (field note 001)
# Without a sound card (this VM has no ALSA in its kernel; an ALSA null PCM does not clock it)
# Twinkle opens its RTP session but sends no RTP, only RTCP: these are signalling cases.
# Output: test/captures/stacks/twinkle-call-<case>/ (test data, not training samples).
set -euo pipefail
CASE="${1:?usage: twinkle-call.sh fixup|no-fixup}"
. "$(dirname "$0")/../lib.sh"
lab_stack_init "twinkle-call-$CASE"
lab_topology sl-proxy sl-peer

capture sl-nat wan "$WORK/capture.pcap" udp
capture sl-nat lan "$WORK/capture-lan.pcap" udp
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP"
if [ "$CASE" = fixup ]; then
  kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A FORCE_RPORT -A FIX_REGISTER -A FIX_CONTACT
else
  kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A FIX_REGISTER
fi

# Twinkle's profile and system settings (its home directory is the scratch dir).
TW="$WORK/twhome"; mkdir -p "$TW/.twinkle"
cat >"$TW/.twinkle/bob.cfg" <<CFG
user_name=bob
user_domain=$PROXY_IP
user_display=Bob
registrar=$PROXY_IP
register_at_startup=yes
registration_time=600
sip_transport=udp
codecs=g711u
ptime=20
enable_nat_keepalive=no
CFG
cat >"$TW/.twinkle/twinkle.sys" <<CFG
dev_ringtone=alsa:default
dev_speaker=alsa:default
dev_mic=alsa:default
sip_udp_port=5060
rtp_port=8000
log_show_sip=yes
play_ringtone=no
play_ringback=no
CFG
printf 'pcm.!default { type null }\n' >"$TW/.asoundrc"
( sleep 1; echo "auto_answer -a on"; sleep 75; echo quit; sleep 2 ) | HOME="$TW" ip netns exec sl-lan twinkle-console bob.cfg >"$WORK/twinkle.log" 2>&1 &
LAB_PIDS+=("$!")
sleep 4

UAC=$(sipp_xml uac-hangup.xml "s/@HOLD_MS@/8000/")
log "calling bob (Twinkle) from sipp through the proxy"
( cd "$WORK" && nsx sl-peer sipp -sf "$UAC" -i "$PEER_IP" -p 5060 -s bob -m 1 -mp 6000 -timeout 60 -max_non_invite_retrans 20 \
    "$PROXY_IP:5060" >"$WORK/sipp.log" 2>&1 ) || log "sipp exit $?"
if [ "$CASE" = no-fixup ]; then sleep 36; fi # Twinkle retransmits its 200 OK for 64*T1, then gives up
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
echo "twinkle $(dpkg-query -W -f='${Version}' twinkle-console 2>/dev/null); $(versions_json)" >"$OUT/versions.txt"
sip_summary "$OUT/capture.pcap"
