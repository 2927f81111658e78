#!/usr/bin/env bash
# 12-sip-alg (field note 003): the home router runs the Linux kernel's SIP ALG (nf_conntrack_sip +
# nf_nat_sip, attached with an iptables CT --helper sip rule, as on many Linux-based routers).
# A softphone behind it (baresip, 192.168.1.10) calls a public softphone (baresip, 203.0.113.20)
# through kamailio (force_rport only: the proxy does no NAT fixing of its own).
# The ALG rewrites the INVITE on its way out: Via sent-by, Contact, SDP o= and c= become the public
# address 203.0.113.1, Content-Length is adjusted, and on the way back it rewrites the responses'
# Via (received=) to the private address again. Signalling looks perfect to the proxy. But the ALG
# keeps the phone's RTP port in the SDP m= line and reserves that port on the public address for
# media from the *signalling* peer only (nf_conntrack_sip sip_direct_media=1), while the NAT
# (MASQUERADE --random) sends the phone's RTP from another, random public port. The callee, which
# does not latch, sends its RTP to the address:port in the rewritten SDP: it reaches the router and
# is dropped there. One-way audio, caused by the ALG that was supposed to fix NAT.
# capture.pcap: tcpdump -i any on the router (both the LAN and the WAN side, Linux cooked v2), so
# the same messages appear before and after the ALG. capture-lan.pcap: the LAN side alone.
. "$(dirname "$0")/../lib.sh"
lab_init 12-sip-alg

# the kernel's SIP ALG must exist (built in, or a module); no fallback: this scenario is about it
if [ ! -d /sys/module/nf_conntrack_sip ] && command -v modprobe >/dev/null; then modprobe nf_nat_sip || true; fi
if [ ! -d /sys/module/nf_conntrack_sip ]; then
  log "this kernel has no nf_conntrack_sip/nf_nat_sip (SIP ALG): cannot build 12-sip-alg"; exit 1
fi
log "nf_conntrack_sip: $(for f in /sys/module/nf_conntrack_sip/parameters/*; do printf '%s=%s ' "${f##*/}" "$(cat "$f")"; done)"

lab_topology sl-proxy sl-peer
# the router's SIP ALG: conntrack helper "sip" on SIP flows (nf_nat_sip does the rewriting)
nsx sl-nat iptables -t raw -A PREROUTING -p udp --dport 5060 -j CT --helper sip

capture sl-nat any "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"
kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP" "sip:$PEER_IP:5060"
kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A NEXT_HOP -A FORCE_RPORT

baresip_conf "$WORK/carol" "$PEER_IP" "<sip:carol@$PEER_IP>;regint=0;answermode=auto;audio_codecs=PCMU" \
  "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
bg sl-peer "$WORK/carol.log" baresip -f "$WORK/carol" -t 40
baresip_conf "$WORK/alice" "$UA_IP" "<sip:alice@$PROXY_IP>;regint=0;audio_codecs=PCMU" \
  "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
bg sl-lan "$WORK/alice.log" baresip -f "$WORK/alice" -t 40
sleep 2
log "alice (behind the ALG router) calls carol"
baresip_cmd dial "sip:carol@$PROXY_IP"
sleep 2
log "router state: conntrack flows and the ALG's expectations"
nsx sl-nat conntrack -L -p udp >&2 2>/dev/null || true
nsx sl-nat conntrack -L expect >&2 2>/dev/null || true
sleep 3
baresip_cmd hangup
sleep 2
nsx sl-nat iptables -v -n -L INPUT >&2
stop_captures
for f in capture.pcap capture-lan.pcap; do cp "$WORK/$f" "$OUT/$f"; done
sip_summary "$OUT/capture.pcap"
tshark -r "$OUT/capture.pcap" -q -z conv,udp 2>/dev/null | sed -n 5,20p
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/12-sip-alg.manifest.json" "$OUT"
