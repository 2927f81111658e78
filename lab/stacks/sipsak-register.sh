#!/usr/bin/env bash
# Another SIP stack through the lab's NAT (issue 12): sipsak (0.9.8) registering from behind the
# NAT (192.168.1.10 → 203.0.113.1, MASQUERADE --random) with kamailio on 203.0.113.10, once with a
# proxy that handles NAT (force_rport, fix_nated_register) and once with one that does not.
#   sudo bash lab/stacks/sipsak-register.sh fixup | no-fixup
# Output: test/captures/stacks/sipsak-register-<case>/ (test data, not training samples).
set -euo pipefail
CASE="${1:?usage: sipsak-register.sh fixup|no-fixup}"
. "$(dirname "$0")/../lib.sh"
lab_stack_init "sipsak-register-$CASE"
lab_topology sl-proxy

capture sl-nat wan "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP"
if [ "$CASE" = fixup ]; then
  kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A FORCE_RPORT -A FIX_REGISTER
else
  kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log"
fi
nsx sl-lan sipsak -U -C "sip:alice@$UA_IP:5060" -x 600 -l 5060 -s "sip:alice@$PROXY_IP" -vv >"$WORK/sipsak.log" 2>&1 || log "sipsak exit $?"
sleep 1
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
echo "sipsak $(dpkg-query -W -f='${Version}' sipsak 2>/dev/null); $(versions_json)" >"$OUT/versions.txt"
sip_summary "$OUT/capture.pcap"
