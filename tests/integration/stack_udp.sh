#!/usr/bin/env bash
# stack_udp.sh: UDP through membrane-stack's app protocol (stackprobe) to a
# kernel peer: echo both ways with datagrams of 1 to 8000 bytes (8000 is
# fragmented and reassembled by lwIP), boundaries kept in a burst up to
# the largest datagram (65507 bytes),
# truncation reported, over IPv4 and IPv6 link-local.
. "$(dirname "$0")/lib.sh"

stack_hosts
start_switch
start_stack

SIZES=1,100,1472,8000
EXPECT=$(printf 'ok %s\n' 1 100 1472 8000)

# 1. The peer sends, stackprobe echoes.
fresh
probe udp-echo 6001 --count 4 2>"$T/probe.err" &
PRPID=$!
track $PRPID
wait_line "$T/probe.err" "udp echo on port 6001"
peer udp-send 10.199.0.10 6001 --sizes $SIZES >"$T/peer.out" 2>"$T/peer.err"
check "peer -> stackprobe echo: $(echo $(cat "$T/peer.out" "$T/peer.err"))" test "$(cat "$T/peer.out")" = "$EXPECT"
wait $PRPID; rc=$?
check "stackprobe udp-echo --count 4 exits 0 ($rc, $(grep -v 'echo on port' "$T/probe.err"))" test $rc -eq 0

# 2. stackprobe sends, the peer echoes.
fresh
peer_bg udp-echo 6002
probe udp-send 10.199.0.1 6002 --sizes $SIZES >"$T/probe.out" 2>"$T/probe.err"
rc=$?
check "stackprobe -> peer echo: exit $rc, $(echo $(cat "$T/probe.out" "$T/probe.err"))" test $rc -eq 0 -a "$(cat "$T/probe.out")" = "$EXPECT"

# 3. A short receive buffer: recvfrom reports the whole length.
fresh
probe udp-send 10.199.0.1 6002 --sizes 100,1472,8000 --recv-buf 1000 >"$T/probe.out" 2>"$T/probe.err"
rc=$?
check "truncation: exit $rc, $(echo $(cat "$T/probe.out" "$T/probe.err"))" test $rc -eq 0 -a "$(cat "$T/probe.out")" = "$(printf 'ok 100\ntrunc 1472->1000\ntrunc 8000->1000')"

# 4. A burst: every datagram queued in the rings at once, each kept whole.
fresh
BURST=1,2,3,100,1000,1472,1473,3000,8000,7,64,512,1471,1400,16000,65507
probe udp-echo 6003 --count 16 2>"$T/probe.err" &
PRPID=$!
track $PRPID
wait_line "$T/probe.err" "udp echo on port 6003"
peer udp-send 10.199.0.10 6003 --sizes $BURST --burst >"$T/peer.out" 2>"$T/peer.err"
check "burst of 16 datagrams: $(echo $(cat "$T/peer.out" "$T/peer.err"))" grep -qx "burst ok 16" "$T/peer.out"
grep -qx "burst ok 16" "$T/peer.out" || kill $PRPID
wait $PRPID; rc=$?
check "stackprobe udp-echo --count 16 exits 0 ($rc)" test $rc -eq 0

# 5. IPv6: the peer sends to the membrane's link-local address.
fresh
for i in $(seq 40); do grep -q fe80 "$T/bus/web" && break; sleep 0.1; done
LL=$(python3 -c 'import json,sys; print([a for a in json.load(open(sys.argv[1]))["addresses"] if a.startswith("fe80")][0])' "$T/bus/web" 2>/dev/null)
probe -6 udp-echo 6004 --count 4 2>"$T/probe.err" &
PRPID=$!
track $PRPID
wait_line "$T/probe.err" "udp echo on port 6004"
peer udp-send "$LL%$PK" 6004 --sizes $SIZES >"$T/peer.out" 2>"$T/peer.err"
check "IPv6 ($LL) peer -> stackprobe echo: $(echo $(cat "$T/peer.out" "$T/peer.err"))" test "$(cat "$T/peer.out")" = "$EXPECT"
wait $PRPID; rc=$?
check "stackprobe -6 udp-echo exits 0 ($rc, $(grep -v 'echo on port' "$T/probe.err"))" test $rc -eq 0

check "the stack still runs" kill -0 $STPID

finish
