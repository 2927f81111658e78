#!/usr/bin/env bash
# Two capture points of one NAT for issue 17's alignment (the measured NAT mapping lifetime): the
# 07-udp-binding-expired story (NAT UDP timeout 20 s, the BYE 35 s into the call dropped) recorded
# again with a LAN capture of SIP and RTCP, so that it keeps recording through the call.
# Output: test/captures/alignment/binding-expired/ (test data, not a training sample).
# Run: sudo bash lab/alignment/binding-expired-both-sides.sh
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$REPO/test/captures/alignment/binding-expired"
ALIGN_OUT="$OUT" bash "$REPO/lab/scenarios/07-udp-binding-expired.sh"
{
  echo "# binding-expired: two capture points of one NAT"
  echo
  echo "Recorded by \`sudo bash lab/alignment/binding-expired-both-sides.sh\` on $(date -u +%F): real kamailio, baresip and SIPp through a Linux netfilter NAT with a 20 s UDP timeout, in network namespaces (lab/lib.sh)."
  echo "capture.pcap: the proxy's interface (203.0.113.10), signalling. capture-lan.pcap: the LAN side of the NAT, SIP and RTCP."
  echo "The BYE the proxy sends ~35 s into the call is dropped by the NAT: the mapping 192.168.1.10:5060 ↔ 203.0.113.1:<port> had expired."
} > "$OUT/README.md"
