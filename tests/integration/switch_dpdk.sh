#!/usr/bin/env bash
# switch_dpdk.sh: the uplink tests on a DPDK port (net_af_packet vdev).
exec bash "$(dirname "$0")/switch_uplink.sh" dpdk
