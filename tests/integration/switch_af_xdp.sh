#!/usr/bin/env bash
# switch_af_xdp.sh: the uplink tests on an AF_XDP socket.
exec bash "$(dirname "$0")/switch_uplink.sh" af_xdp
