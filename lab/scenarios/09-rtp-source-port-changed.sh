#!/usr/bin/env bash
# 09-rtp-source-port-changed (field note 004): a provider's media server calls a softphone behind
# the NAT (SIP port-forwarded to the phone). The phone (SIPp UAS with rtp_stream) starts sending
# RTP as soon as it rings, before its 200 OK; the media server's port is not open yet, so its
# kernel answers with ICMP port unreachable. This NAT, like the routers of the field note, tears
# down the flow's state when such an ICMP error passes (emulated: a watcher on the NAT deletes the
# conntrack entry for each ICMP error; Linux itself keeps the entry), so the next RTP packet leaves
# from a NEW public port (MASQUERADE --random). After the answer the media server (lab/media/
# rtp-latch.py: opens its port on answer, latches to the first source, locks after 3 packets,
# 3 s lock timeout) echoes audio. Two seconds into the call the NAT re-maps the flow once more
# (conntrack entry removed, as when a port clash makes a router re-allocate): the phone's RTP
# arrives from yet another port, the locked media server ignores it, and the phone hears nothing
# until the lock times out.
# capture.pcap: the public (WAN) side of the NAT. capture-lan.pcap: the LAN side (the phone's own
# source port never changes there).
. "$(dirname "$0")/../lib.sh"
lab_init 09-rtp-source-port-changed
lab_topology sl-peer
nat_forward udp 5060

capture sl-nat wan "$WORK/capture.pcap"
capture sl-nat lan "$WORK/capture-lan.pcap"

# the NAT's reaction to ICMP errors for a flow: forget the flow (bounded: at most 60 s, 20 events)
( n=0; timeout 60 ip netns exec sl-nat tcpdump -l -n -i wan 'icmp[icmptype]==3 and icmp[icmpcode]==3' 2>/dev/null \
  | while read -r _ && [ $n -lt 20 ]; do
      n=$((n + 1))
      ip netns exec sl-nat conntrack -D -p udp -s "$UA_IP" --dport 6000 >/dev/null 2>&1 || true
    done ) &
LAB_PIDS+=("$!")
sleep 1

UAS=$(sipp_xml uas-early-rtp.xml "s/@EARLY_MS@/500/")
( cd "$WORK" && nsx sl-lan sipp -sf "$UAS" -i "$UA_IP" -p 5060 -mp 40000 -m 1 -timeout 40 >"$WORK/uas.log" 2>&1 ) &
LAB_PIDS+=("$!")
sleep 1
UAC=$(sipp_xml uac-hangup.xml "s/@HOLD_MS@/8500/" "s/@SDP_PORT@/6000/" \
  "s|@ON_ANSWER@|python3 $LAB_DIR/media/rtp-latch.py $PEER_IP 6000 10 3 3 >$WORK/latch.log 2>\&1 \&|")
log "media server calls the phone; early RTP meets a closed port"
( cd "$WORK" && nsx sl-peer sipp -sf "$UAC" -i "$PEER_IP" -p 5060 -mp 7000 -s phone -m 1 -timeout 30 \
    "$NAT_WAN_IP:5060" >"$WORK/uac.log" 2>&1 ) &
UACPID=$!; LAB_PIDS+=("$UACPID")
sleep 3
log "mid-call: the NAT re-maps the phone's RTP flow"
nsx sl-nat conntrack -D -p udp -s "$UA_IP" --dport 6000 >/dev/null 2>&1 || true
wait "$UACPID" || log "sipp uac exit $?"
sleep 1
stop_captures
cp "$WORK/capture.pcap" "$OUT/capture.pcap"; cp "$WORK/capture-lan.pcap" "$OUT/capture-lan.pcap"
sip_summary "$OUT/capture.pcap"
tshark -r "$OUT/capture.pcap" -q -z conv,udp 2>/dev/null | sed -n 5,20p
python3 "$LAB_DIR/mkmanifest.py" "$LAB_DIR/scenarios/09-rtp-source-port-changed.manifest.json" "$OUT"
