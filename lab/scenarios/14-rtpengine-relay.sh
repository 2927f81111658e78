#!/usr/bin/env bash
# 14-rtpengine-relay (field notes 003, 004; issue 12 pattern 5): the 08-one-way-audio call — alice
# behind the NAT (baresip, private SDP c=192.168.1.10) calls carol (baresip, public) through
# kamailio — but the proxy relays the media through rtpengine: both SDPs are rewritten to the
# relay's public address, and rtpengine latches onto the NAT's public address where alice's RTP
# really comes from. Audio flows both ways. NAT handled correctly: a good path, WAN and LAN, that
# must stay at info at most (the private SDP address in alice's own INVITE is only worth noting).
# capture.pcap: the public (WAN) side of the NAT. capture-lan.pcap: the LAN side.
# Recorded by 08's script with the relay switched on.
SCENARIO=14-rtpengine-relay exec bash "$(dirname "$0")/08-one-way-audio.sh"
