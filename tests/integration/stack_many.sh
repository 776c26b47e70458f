#!/usr/bin/env bash
# stack_many.sh: 1,000 TCP connections at once through one membrane-stack
# to a kernel echo server, each sending its own bytes and checking every
# byte that comes back; then the stack still serves a new connection.
. "$(dirname "$0")/lib.sh"

: "${CONNS:=1000}"
: "${BYTES:=65536}"
stack_hosts
start_switch
start_stack

peer_bg echo 7000
probe many "$CONNS" 10.199.0.1 7000 --bytes "$BYTES" --timeout 240 \
    >"$T/probe.out" 2>"$T/probe.err"
rc=$?
check "$CONNS connections of $BYTES bytes each: exit $rc ($(head -c 600 "$T/probe.err"))" test $rc -eq 0
check "every connection verified ($(cat "$T/probe.out"))" grep -qx "many: $CONNS connections, all verified" "$T/probe.out"

# The stack freed them: the connections it still holds are in TIME_WAIT
# (lwIP's, not the app's), and a new app gets a connection at once.
head -c 1M /dev/urandom >"$T/small"
SMALL=$(sha "$T/small")
probe tcp-connect 10.199.0.1 7000 <"$T/small" 2>"$T/probe.err" | sha256sum >"$T/probe.sha"
check "afterwards one more connection echoes 1 MiB intact ($(cat "$T/probe.err"))" same "$T/probe.sha" "$SMALL"
"$STACK" --stats --endpoint "$EP" >"$T/stats" 2>&1
check "membrane-stack --stats answers" grep -q "membrane web" "$T/stats"
check "the stack still runs" kill -0 $STPID

finish
