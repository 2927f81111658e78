#!/usr/bin/env bash
# 05b-bye-new-tcp-connection (field note 000, over plain TCP): the flow of 05-bye-new-tls-connection
# with TCP instead of TLS. The SBC's kamailio uses TCP port 5070, the originator's Contact is
# <sip:sbc@203.0.113.20;transport=tcp> (no port), so the far end's BYE opens a new TCP connection
# to the default 5060, where the SBC resets it when the BYE arrives.
TRANSPORT=tcp exec bash "$(dirname "$0")/05-bye-new-tls-connection.sh"
