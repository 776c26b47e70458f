#!/usr/bin/env bash
# stack_faults.sh: TCP through membrane-stack over a lossy switch (2% of
# frames dropped and 2% reordered, each direction): 64 MiB each way at
# once, checked by SHA-256; then the switch dies mid-transfer and comes
# back, and the transfer completes intact.
. "$(dirname "$0")/lib.sh"

: "${SIZE:=64M}"
stack_hosts
FAULTS=drop=0.02,reorder=0.02
start_switch --fault-in $FAULTS --fault-out $FAULTS --fault-seed 7
start_stack

head -c "$SIZE" /dev/urandom >"$T/a" || exit 1
SHA_A=$(sha "$T/a")
SHA_A_INV=$(inverted_sha "$T/a")

# 1. Loss and reordering, both directions at once.
both_ways "lossy ($FAULTS)" 5001 "$T/a"
DROPS=$(counter "$CTL" web f-drop)
REORD=$(counter "$CTL" web f-reor)
check "the switch dropped ($DROPS) and reordered ($REORD) the stack's frames" \
    test "$DROPS" -gt 100 -a "$REORD" -gt 100

# 2. The switch is killed mid-transfer (SIGKILL: no clean-up of its own)
# and a new one starts, without faults: the stack re-attaches and TCP
# retransmits over the gap.  Our side is paced to 32 MiB/s, so bytes are
# in flight and queued when the switch goes; the peer's come at once.
kill $SWPID; wait $SWPID 2>/dev/null	# the lossy one
start_switch
for i in $(seq 50); do "$SWITCH" --stats --ctl "$CTL" | grep -q web && break; sleep 0.1; done
fresh
peer_bg serve 5002 --send "$T/a" --invert --sha-out "$T/peer.sha"
( python3 "$PEER_PY" pace 32 <"$T/a" |
    probe tcp-connect 10.199.0.1 5002 2>"$T/probe.err" | sha256sum >"$T/probe.sha"
  echo "${PIPESTATUS[1]}" >"$T/probe.rc" ) &
XPID=$!
sleep 0.7
kill -0 $XPID 2>/dev/null && RUNNING=yes || RUNNING=no
kill -9 $SWPID; wait $SWPID 2>/dev/null
sleep 0.5
start_switch
wait $XPID
wait $PEERPID; prc=$?
check "restart: the transfer was under way when the switch died" test $RUNNING = yes
check "restart: stackprobe and the peer exit 0 ($(cat "$T/probe.rc") $prc, $(cat "$T/probe.err"))" \
    test "$(cat "$T/probe.rc")" = 0 -a $prc -eq 0
check "restart: the peer got our $SIZE intact" same "$T/peer.sha" "$SHA_A"
check "restart: we got the peer's $SIZE intact" same "$T/probe.sha" "$SHA_A_INV"
check "restart: the stack re-attached ($(grep -c 'attached to' "$T/stack.log") attaches)" \
    test "$(grep -c 'attached to' "$T/stack.log")" -ge 3
check "the stack still runs" kill -0 $STPID

finish
