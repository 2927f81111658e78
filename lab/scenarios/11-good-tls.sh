#!/usr/bin/env bash
# 11-good-tls: the good path of 10-good-tcp over TLS (kamailio tls module, baresip/libre TLS),
# with keylog.txt next to the capture.
TRANSPORT=tls exec bash "$(dirname "$0")/10-good-tcp.sh"
