#!/usr/bin/env bash
# 05-bye-new-tls-connection (field note 000). The "SBC" (public host 203.0.113.20) is a kamailio
# that carries calls over TLS on its non-default port 5060 (TCP), with a SIPp call originator
# behind it on loopback. The far end, an emergency-services endpoint (baresip), sits behind a NAT
# that port-forwards 203.0.113.1:5061 to 192.168.1.10:5061. The SBC fixes the far end's NATed
# Contact on replies (fix_nated_contact), but the originator's own Contact has NO port:
# <sip:sbc@203.0.113.20;transport=tls>. When the far end hangs up, it sends the BYE to the remote
# target with the TLS default port 5061 and so opens a NEW TLS connection instead of reusing the
# one the INVITE came on. The SBC admits TLS on 5061 only from known peers (an iptables rule on
# the SBC resets the untrusted connection as soon as its ClientHello arrives): RST before
# ServerHello, no SNI, BYE never delivered, the SBC's call leg stays up until the originator's own
# 30 s timer sends a BYE on the old connection, which the far end answers 481 (dialog long gone).
# capture.pcap: the SBC's public interface (203.0.113.20). capture-lan.pcap: the LAN side of the NAT.
# keylog.txt: TLS secrets of both ends (NSS key log format) to decrypt the call's TLS connection.
# TRANSPORT=tcp gives the same flow over plain TCP (05b-bye-new-tcp-connection: SBC on TCP 5070,
# the BYE goes to the TCP default 5060).
. "$(dirname "$0")/../lib.sh"
TRANSPORT="${TRANSPORT:-tls}"
if [ "$TRANSPORT" = tls ]; then
  NAME=05-bye-new-tls-connection; ESP_PORT=5061; SBC_PORT=5060; DEF_PORT=5061
else
  NAME=05b-bye-new-tcp-connection; ESP_PORT=5060; SBC_PORT=5070; DEF_PORT=5060
fi
lab_init "$NAME"
lab_topology sl-peer
nat_forward tcp "$ESP_PORT"

# the SBC's admission policy on its default port: connections from unknown peers are reset on
# their first data segment (for TLS: the ClientHello)
nsx sl-peer iptables -A INPUT -p tcp --dport "$DEF_PORT" -m conntrack --ctstate ESTABLISHED \
  -m length --length 53:65535 -j REJECT --reject-with tcp-reset

mkcert esp esp.example.net; mkcert sbc sbc.example.com
build_keylog
KEYLOG="$WORK/keylog.txt"; : >"$KEYLOG"

capture sl-peer eth0 "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"

# the SBC: kamailio, TLS (or TCP) toward the far end, UDP on loopback toward the originator
kam_tls_cfg "$WORK/tls.cfg" sbc
KAM_LISTEN="udp:127.0.0.1:5060 $TRANSPORT:$PEER_IP:$SBC_PORT" kam_cfg "$WORK/kamailio.cfg" 127.0.0.1 "" "$WORK/tls.cfg"
( cd "$WORK" && SSLKEYLOGFILE="$KEYLOG" LD_PRELOAD="$KEYLOG_SO" kamailio_start sl-peer "$WORK/kamailio.cfg" "$WORK/kamailio.log" \
    -A WITH_TLS -A NO_RR -A FIX_CONTACT )
# ... and its listener on the default port, for trusted peers only
bg sl-peer "$WORK/listener.log" python3 -c "
import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(('$PEER_IP',$DEF_PORT)); s.listen(5)
s.settimeout(60)
try:
    c,_=s.accept(); time.sleep(30)
except Exception: pass"

# the far end: baresip behind the NAT, auto-answer; the operator hangs up through ctrl_tcp
baresip_conf "$WORK/esp" "$UA_IP" "<sip:esp@$UA_IP;transport=$TRANSPORT>;regint=0;answermode=auto;audio_codecs=PCMU" \
  "sip_certificate $WORK/esp.pem" "module ctrl_tcp.so" "ctrl_tcp_listen 127.0.0.1:4444"
( cd "$WORK" && SSLKEYLOGFILE="$KEYLOG" LD_PRELOAD="$KEYLOG_SO" ip netns exec sl-lan baresip -f "$WORK/esp" -t 40 >"$WORK/baresip.log" 2>&1 ) &
LAB_PIDS+=("$!")
sleep 2

UAC=$(sipp_xml uac-tls-sbc.xml "s|@RURI@|sip:esp@$NAT_WAN_IP:$ESP_PORT;transport=$TRANSPORT|g" \
  "s|@CT@|<sip:sbc@$PEER_IP;transport=$TRANSPORT>|g" "s/@WAIT_MS@/30000/")
log "SBC calls esp over $TRANSPORT; the far end hangs up after 6 s"
( cd "$WORK" && nsx sl-peer sipp -sf "$UAC" -i 127.0.0.1 -p 5070 -mi "$PEER_IP" -s esp -m 1 -timeout 60 \
    -rtp_echo -mp 6000 127.0.0.1:5060 >"$WORK/sipp.log" 2>&1 ) &
SIPP=$!; LAB_PIDS+=("$SIPP")
sleep 7
baresip_cmd hangup
sleep 27        # the SBC's leg stays up until the originator's 30 s timer sends its own BYE
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
if [ "$TRANSPORT" = tls ]; then cp "$KEYLOG" "$OUT/keylog.txt"; fi
sip_summary "$OUT/capture.pcap"
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/$NAME.manifest.json" "$OUT"
