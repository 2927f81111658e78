#!/usr/bin/env bash
# 10-good-tcp / 11-good-tls (good paths; field notes 000, 002): a softphone (baresip, 203.0.113.20)
# calls another (baresip, 203.0.113.30) through a record-routing kamailio proxy (203.0.113.10)
# over TCP (or TLS with TRANSPORT=tls). Every in-dialog request rides an existing connection:
# the caller's ACK and BYE go on the caller's own connection to the proxy, and the proxy relays
# them on the connection it opened to the callee (RFC 3261 18.2.2 / connection reuse). Contacts
# carry ports, nothing is closed mid-dialog, the BYE is answered. No error or warning findings.
# capture.pcap: the proxy's interface (203.0.113.10), signalling (media flows directly between the
# phones). For TLS, keylog.txt holds the secrets of all three programs.
. "$(dirname "$0")/../lib.sh"
TRANSPORT="${TRANSPORT:-tcp}"
if [ "$TRANSPORT" = tls ]; then NAME=11-good-tls; PORT=5061; else NAME=10-good-tcp; PORT=5060; fi
lab_init "$NAME"
lab_topology sl-proxy sl-peer sl-proxyb
mkcert proxy proxy.example.com; mkcert bob bob.example.net; mkcert alice alice.example.org
build_keylog
KEYLOG="$WORK/keylog.txt"; : >"$KEYLOG"
export SSLKEYLOGFILE="$KEYLOG"

capture sl-proxy eth0 "$WORK/capture.pcap"
kam_tls_cfg "$WORK/tls.cfg" proxy
KAM_LISTEN="udp:$PROXY_IP:5060 tcp:$PROXY_IP:5060 tls:$PROXY_IP:5061" \
  kam_cfg "$WORK/kamailio.cfg" "$PROXY_IP" "sip:$PROXYB_IP:$PORT;transport=$TRANSPORT" "$WORK/tls.cfg"
LD_PRELOAD="$KEYLOG_SO" kamailio_start sl-proxy "$WORK/kamailio.cfg" "$WORK/kamailio.log" -A WITH_TLS -A NEXT_HOP -A REWRITE_DOMAIN

baresip_conf "$WORK/bob" "$PROXYB_IP" "<sip:bob@$PROXYB_IP;transport=$TRANSPORT>;regint=0;answermode=auto;audio_codecs=PCMU" \
  "sip_certificate $WORK/bob.pem"
LD_PRELOAD="$KEYLOG_SO" bg sl-proxyb "$WORK/bob.log" baresip -f "$WORK/bob" -t 40
baresip_conf "$WORK/alice" "$PEER_IP" "<sip:alice@$PROXY_IP;transport=$TRANSPORT>;regint=0;audio_codecs=PCMU" \
  "sip_certificate $WORK/alice.pem" "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
LD_PRELOAD="$KEYLOG_SO" bg sl-peer "$WORK/alice.log" baresip -f "$WORK/alice" -t 40
sleep 2
log "alice calls bob over $TRANSPORT via the proxy; alice hangs up after 4 s"
baresip_cmd dial "sip:bob@$PROXY_IP:$PORT" sl-peer
sleep 4
baresip_cmd hangup "" sl-peer
sleep 2
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"
if [ "$TRANSPORT" = tls ]; then cp "$KEYLOG" "$OUT/keylog.txt"; fi
if [ "$TRANSPORT" = tls ]; then
  tshark -r "$OUT/capture.pcap" -o "tls.keylog_file:$OUT/keylog.txt" -Y sip -T fields -e frame.number -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e _ws.col.Info 2>/dev/null
fi
sip_summary "$OUT/capture.pcap"
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/$NAME.manifest.json" "$OUT"
