# lab/lib.sh: shared helpers for the sipladder NAT lab.
#
# Builds a small, fully isolated network out of Linux network namespaces:
#
#   sl-lan  (UA)  192.168.1.10/24 ── veth ── 192.168.1.1  sl-nat  203.0.113.1 ──┐
#                                            (iptables MASQUERADE, conntrack)    │
#   sl-inet: bridge "br0" = the "internet" (203.0.113.254, forwarding OFF, so a │
#            packet addressed to a private address dies there, as on the real   │
#            internet)  ─────────────────────────────────────────────────────────┘
#   sl-proxy 203.0.113.10  sl-peer 203.0.113.20  sl-proxyb 203.0.113.30  (public hosts)
#
# Only documentation (203.0.113.0/24) and RFC 1918 (192.168.1.0/24) addresses are used, and only
# inside these namespaces. Nothing is routed to the host or any outside network.
#
# Usage (from a scenario script):  . "$(dirname "$0")/../lib.sh"; lab_init NN-name; lab_topology ...
# All helpers are idempotent and lab_cleanup runs from the EXIT trap.

set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$LAB_DIR/.." && pwd)"
LAB_NS=(sl-lan sl-nat sl-inet sl-proxy sl-peer sl-proxyb)
LAB_PIDS=()

NAT_LAN_IP=192.168.1.1
UA_IP=192.168.1.10
NAT_WAN_IP=203.0.113.1
INET_IP=203.0.113.254
PROXY_IP=203.0.113.10
PEER_IP=203.0.113.20
PROXYB_IP=203.0.113.30

log() { printf '[lab %s] %s\n' "$(date +%T)" "$*" >&2; }

need_root() {
  if [ "$(id -u)" != 0 ]; then echo "lab scripts need root (network namespaces)" >&2; exit 1; fi
}

# lab_init NAME: output dir public/samples/NAME, a scratch dir, and the cleanup trap.
lab_init() {
  need_root
  SCEN="$1"
  OUT="$REPO_DIR/public/samples/$SCEN"
  WORK="$(mktemp -d "/tmp/sl-$SCEN.XXXX")"
  mkdir -p "$OUT"
  trap lab_cleanup EXIT
  lab_teardown_ns   # leftovers of an aborted earlier run
}

# lab_stack_init NAME: lab_init for another stack's capture (lab/stacks/): the output goes to
# test/captures/stacks/NAME (test data with an expect.json, not a training sample).
lab_stack_init() {
  lab_init "stacks-$1"
  rmdir "$OUT" 2>/dev/null || true
  OUT="$REPO_DIR/test/captures/stacks/$1"
  mkdir -p "$OUT"
}

nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

# Start a background command inside a namespace, remember its pid (for cleanup).
# bg NS LOGFILE CMD...
bg() {
  local ns="$1" logf="$2"; shift 2
  ip netns exec "$ns" "$@" >"$logf" 2>&1 &
  LAB_LAST_PID=$!
  LAB_PIDS+=("$LAB_LAST_PID")
}

lab_teardown_ns() {
  local ns
  for ns in "${LAB_NS[@]}"; do
    if ip netns list | grep -qw "^$ns"; then
      # processes still inside a lab namespace were started by this lab: end them by pid
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
      sleep 0.2
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}

lab_cleanup() {
  local rc=$?
  set +e
  local p
  for p in "${LAB_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  sleep 0.5
  lab_teardown_ns
  [ -n "${WORK:-}" ] && [ -z "${LAB_KEEP:-}" ] && rm -rf "$WORK"
  exit $rc
}

mkns() {
  local ns="$1"
  ip netns add "$ns"
  nsx "$ns" ip link set lo up
  # no IPv6 chatter (router solicitations, MLD) in the captures
  nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# veth pair: link NS1 IF1 NS2 IF2 (a fixed MAC per interface keeps captures reproducible)
link() {
  local ns1="$1" if1="$2" ns2="$3" if2="$4" mac1="$5" mac2="$6"
  local t1="slv$RANDOM" t2="slv$RANDOM"
  ip link add "$t1" type veth peer name "$t2"
  ip link set "$t1" netns "$ns1"; ip link set "$t2" netns "$ns2"
  nsx "$ns1" ip link set "$t1" name "$if1" address "$mac1"
  nsx "$ns2" ip link set "$t2" name "$if2" address "$mac2"
  nsx "$ns1" ip link set "$if1" up; nsx "$ns2" ip link set "$if2" up
}

# public host on the "internet" bridge: pubhost NS IP MACSUFFIX
pubhost() {
  local ns="$1" ip="$2" n="$3"
  mkns "$ns"
  link "$ns" eth0 sl-inet "p-$ns" "02:00:cb:00:71:$n" "02:00:00:00:fe:$n"
  nsx sl-inet ip link set "p-$ns" master br0
  nsx "$ns" ip addr add "$ip/24" dev eth0
  nsx "$ns" ip route add default via "$INET_IP"
}

# lab_topology [HOST...]: the NAT, the LAN UA namespace, the internet, and the named public hosts
# (any of sl-proxy sl-peer sl-proxyb).
lab_topology() {
  mkns sl-inet
  nsx sl-inet ip link add br0 type bridge
  nsx sl-inet ip link set br0 address 02:00:cb:00:71:fe up
  nsx sl-inet ip addr add "$INET_IP/24" dev br0
  nsx sl-inet sysctl -qw net.ipv4.ip_forward=0   # private destinations are dropped here

  mkns sl-nat; mkns sl-lan
  link sl-nat wan sl-inet p-nat 02:00:cb:00:71:01 02:00:00:00:fe:01
  nsx sl-inet ip link set p-nat master br0
  link sl-lan eth0 sl-nat lan 02:00:c0:a8:01:0a 02:00:c0:a8:01:01
  nsx sl-nat ip addr add "$NAT_WAN_IP/24" dev wan
  nsx sl-nat ip addr add "$NAT_LAN_IP/24" dev lan
  nsx sl-nat ip route add default via "$INET_IP"
  nsx sl-nat sysctl -qw net.ipv4.ip_forward=1
  nsx sl-lan ip addr add "$UA_IP/24" dev eth0
  nsx sl-lan ip route add default via "$NAT_LAN_IP"
  # the UA's host firewall does not answer stray packets (e.g. an echoed RTCP BYE arriving after
  # the phone closed its media socket) with ICMP port unreachable, like most desktop firewalls
  nsx sl-lan iptables -A OUTPUT -p icmp --icmp-type port-unreachable -j DROP
  # a home router: source NAT with a random public port, drop unsolicited inbound silently
  # NAT_MODE=random (default): a random public port per flow; NAT_MODE=preserve: keep the source
  # port when free (most home routers). NAT_SIP_PORT=N: the UA's SIP port 5060 always maps to N.
  if [ -n "${NAT_SIP_PORT:-}" ]; then
    nsx sl-nat iptables -t nat -A POSTROUTING -o wan -s "$UA_IP" -p udp --sport 5060 -j SNAT --to-source "$NAT_WAN_IP:$NAT_SIP_PORT"
  fi
  if [ "${NAT_MODE:-random}" = random ]; then
    nsx sl-nat iptables -t nat -A POSTROUTING -o wan -s 192.168.1.0/24 -j MASQUERADE --random
  else
    nsx sl-nat iptables -t nat -A POSTROUTING -o wan -s 192.168.1.0/24 -j MASQUERADE
  fi
  nsx sl-nat iptables -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  nsx sl-nat iptables -A INPUT -i wan -j DROP
  nsx sl-nat iptables -A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  nsx sl-nat iptables -A FORWARD -i wan -j DROP
  nsx sl-nat iptables -A FORWARD -i lan -j ACCEPT
  local h
  for h in "$@"; do
    case "$h" in
      sl-proxy) pubhost sl-proxy "$PROXY_IP" 10 ;;
      sl-peer) pubhost sl-peer "$PEER_IP" 20 ;;
      sl-proxyb) pubhost sl-proxyb "$PROXYB_IP" 30 ;;
      *) echo "unknown host $h" >&2; exit 1 ;;
    esac
  done
}

# nat_timeouts UDP_SECONDS UDP_STREAM_SECONDS [TCP_ESTABLISHED_SECONDS]
nat_timeouts() {
  nsx sl-nat sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$1" \
    net.netfilter.nf_conntrack_udp_timeout_stream="$2"
  if [ -n "${3:-}" ]; then nsx sl-nat sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established="$3"; fi
}

# capture NS IFACE FILE [FILTER...]: tcpdump on one interface (Ethernet link type), unbuffered
capture() {
  local ns="$1" ifc="$2" file="$3"; shift 3
  bg "$ns" "$WORK/tcpdump-$ns-$ifc.log" tcpdump -i "$ifc" -s 0 -U -n -Z root -w "$file" "$@"
}

stop_captures() {
  local p
  sleep 1
  for ns in "${LAB_NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      if [ "$(cat /proc/"$p"/comm 2>/dev/null)" = tcpdump ]; then kill -INT "$p" 2>/dev/null || true; fi
    done
  done
  sleep 1
}

# kamailio NS CFG LOG [-A DEFINE ...]: run kamailio in the foreground in a namespace
kamailio_start() {
  local ns="$1" cfg="$2" logf="$3"; shift 3
  local rd="$WORK/kam-$ns"; mkdir -p "$rd"
  bg "$ns" "$logf" kamailio -f "$cfg" -DD -E -m 32 -M 8 -Y "$rd" -w "$rd" -L /usr/lib/x86_64-linux-gnu/kamailio/modules "$@"
  sleep 1.5
}

# baresip UA: baresip_conf DIR LISTEN_IP AOR-LINE [extra config lines]
baresip_conf() {
  local dir="$1" lip="$2" acct="$3"; shift 3
  mkdir -p "$dir"
  sed -e "s/@LISTEN@/$lip/g" "$LAB_DIR/baresip/config" >"$dir/config"
  local l; for l in "$@"; do echo "$l" >>"$dir/config"; done
  echo "$acct" >"$dir/accounts"
  : >"$dir/contacts"
}

# wait_for FILE PATTERN SECONDS: wait until a log file shows a pattern (bounded)
wait_for() {
  local f="$1" pat="$2" t="$3" i=0
  while [ $i -lt $((t * 10)) ]; do
    if grep -q -- "$pat" "$f" 2>/dev/null; then return 0; fi
    sleep 0.1; i=$((i + 1))
  done
  log "timeout waiting for '$pat' in $f"; return 1
}

# sip_summary FILE: what tshark sees (used to verify and to fill manifest frames)
sip_summary() {
  tshark -r "$1" -Y 'sip || icmp || tls.handshake || tcp.flags.syn==1 || tcp.flags.reset==1 || tcp.flags.fin==1' \
    -T fields -e frame.number -e frame.time_relative -e ip.src -e udp.srcport -e tcp.srcport -e ip.dst \
    -e udp.dstport -e tcp.dstport -e _ws.col.Info 2>/dev/null
}

versions_json() {
  local k b s t
  k="$(kamailio -v 2>/dev/null | sed -n 's/^version: \(kamailio [^ ]*\).*/\1/p')"
  s="$(sipp -v 2>/dev/null | sed -n 's/^ *\(SIPp v[^ -]*\).*/\1/p' | head -1)"
  b="$(dpkg-query -W -f='baresip ${Version}' baresip 2>/dev/null)"
  t="$(tcpdump --version 2>/dev/null | head -1)"
  printf '{"kamailio":"%s","sipp":"%s","baresip":"%s","tcpdump":"%s","linux":"%s"}' "$k" "$s" "$b" "$t" "$(uname -r)"
}

# sipp_xml NAME [SED-EXPR...]: copy lab/sipp/NAME to $WORK with @MEDIA@ and the given substitutions
sipp_xml() {
  local n="$1"; shift
  local args=(-e "s|@MEDIA@|$LAB_DIR/media|g") e
  for e in "$@"; do args+=(-e "$e"); done
  args+=(-e "s|@ON_ANSWER@|true|g" -e "s|@SDP_PORT@|[media_port]|g")
  sed "${args[@]}" "$LAB_DIR/sipp/$n" >"$WORK/$n"
  echo "$WORK/$n"
}

# kam_cfg OUT LISTEN_IP [NEXT_HOP] [TLS_CFG]: instantiate lab/kamailio/proxy.cfg. Listens on
# udp:LISTEN_IP:5060 unless KAM_LISTEN holds other listen specs (space separated, e.g.
# "udp:127.0.0.1:5060 tls:203.0.113.20:5060").
kam_cfg() {
  local l lines=""
  for l in ${KAM_LISTEN:-udp:$2:5060}; do lines="${lines}listen=$l\n"; done
  sed -e "s|@LISTEN_LINES@|$lines|" -e "s|@NEXT_HOP@|${3:-sip:127.0.0.1}|g" -e "s|@TLS_CFG@|${4:-/dev/null}|g" \
    "$LAB_DIR/kamailio/proxy.cfg" >"$1"
}

# kam_tls_cfg OUT CERTNAME: a kamailio tls.cfg using $WORK/CERTNAME.crt/.key; clients send no SNI
kam_tls_cfg() {
  sed -e "s|@CRT@|$WORK/$2.crt|g" -e "s|@KEY@|$WORK/$2.key|g" "$LAB_DIR/kamailio/tls.cfg" >"$1"
}

# nat_forward PROTO PORT: port-forward NAT_WAN_IP:PORT to the UA (a server behind the NAT)
nat_forward() {
  nsx sl-nat iptables -t nat -A PREROUTING -i wan -p "$1" --dport "$2" -j DNAT --to-destination "$UA_IP:$2"
  nsx sl-nat iptables -I FORWARD 1 -i wan -p "$1" --dport "$2" -m conntrack --ctstate DNAT -j ACCEPT
}

# mkcert NAME CN: self-signed RSA certificate $WORK/NAME.crt/.key and combined $WORK/NAME.pem
mkcert() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/$1.key" -out "$WORK/$1.crt" -days 3650 \
    -subj "/CN=$2" >/dev/null 2>&1
  cat "$WORK/$1.crt" "$WORK/$1.key" >"$WORK/$1.pem"
}

# keylog shim for OpenSSL programs (see lab/tls/sslkeylog.c)
build_keylog() {
  KEYLOG_SO="$WORK/sslkeylog.so"
  gcc -shared -fPIC -O2 -o "$KEYLOG_SO" "$LAB_DIR/tls/sslkeylog.c" -ldl -lssl
}

# baresip_cmd CMD [PARAMS] [NS]: send a command to the baresip in NS (default sl-lan) through its
# ctrl_tcp module (netstring JSON on 127.0.0.1:4444 inside that namespace)
baresip_cmd() {
  nsx "${3:-sl-lan}" python3 -c "
import json,socket,sys
m=json.dumps({'command':sys.argv[1],'params':sys.argv[2],'token':'lab'}).encode()
s=socket.create_connection(('127.0.0.1',4444),timeout=3)
s.sendall(str(len(m)).encode()+b':'+m+b',')
try: print(s.recv(4096).decode(errors='replace')[:200])
except Exception: pass
" "$1" "${2:-}" >&2 || log "baresip_cmd $1 failed"
}
