#!/usr/bin/env bash
# preload_fastpath: on an established connection, send and recv through
# libmembrane.so make no system call while the stack keeps up.  sockload
# (a plain sockets program that counts its own calls) moves 256 MiB each
# way under strace -c -f: the system calls strace counts must be a small
# fraction of the send or recv calls the program made, and every byte
# must arrive.
. "$(dirname "$0")/lib.sh"

SOCKLOAD=$top_builddir/tests/tools/sockload
BYTES=$((256 << 20))
command -v strace >/dev/null || { echo "FAIL: strace is not installed"; exit 1; }
stack_hosts
start_switch
start_stack
app_ns
[ "${MB_KERNEL:-0}" = 1 ] && { echo "FAIL: this test is about the library"; exit 1; }

# syscalls FILE: the total of strace -c's summary (% time, seconds,
# usecs/call, calls, [errors,] "total").
syscalls() { awk '$NF == "total" { print $4 }' "$1"; }
# sockload's "calls N bytes B sum S" line, one field.
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }

# The app sends, in 4 KiB calls, to a kernel peer that counts and sums.
pns_bg "$SOCKLOAD" recv 7001 65536 >"$T/peer.out" 2>"$T/peer.err"
PEER=$PNSPID
wait_for "$T/peer.out" listening 10 $PEER || fail "the peer never listened"
app strace -f -c -o "$T/send.strace" "$SOCKLOAD" send 10.199.0.1 7001 $BYTES 4096 \
    >"$T/send.out" 2>"$T/send.err"
rc=$?
wait_exit $PEER 30
check "send: sockload exits 0 ($rc, $(last_lines "$T/send.err" 2))" test $rc = 0
check "send: the peer got all $BYTES bytes, the same sum ($(last_lines "$T/peer.err" 2))" \
    test "$(field "$T/peer.out" bytes)" = $BYTES -a \
    "$(field "$T/peer.out" sum)" = "$(field "$T/send.out" sum)"
calls=$(field "$T/send.out" calls)
sys=$(syscalls "$T/send.strace")
echo "   (send: $calls send calls, $sys system calls)"
check "send: system calls ($sys) under a fifth of send calls ($calls)" \
    test -n "$sys" -a -n "$calls" -a "$((sys * 5))" -lt "${calls:-0}"

# The app receives, in 4 KiB calls, what a kernel peer sends in 64 KiB.
app_bg strace -f -c -o "$T/recv.strace" "$SOCKLOAD" recv 7002 4096 \
    >"$T/recv.out" 2>"$T/recv.err" </dev/null
APP=$APPPID
wait_for "$T/recv.out" listening 10 $APP || fail "the app never listened"
pns "$SOCKLOAD" send $APP_ADDR 7002 $BYTES 65536 >"$T/psend.out" 2>"$T/psend.err"
prc=$?
wait_exit $APP 30
rc=$?
check "recv: sockload exits 0 ($rc, $(last_lines "$T/recv.err" 2)) and the peer too ($prc)" \
    test $rc = 0 -a $prc = 0
check "recv: the app got all $BYTES bytes, the same sum" \
    test "$(field "$T/recv.out" bytes)" = $BYTES -a \
    "$(field "$T/recv.out" sum)" = "$(field "$T/psend.out" sum)"
calls=$(field "$T/recv.out" calls)
sys=$(syscalls "$T/recv.strace")
echo "   (recv: $calls recv calls, $sys system calls)"
check "recv: system calls ($sys) under a fifth of recv calls ($calls)" \
    test -n "$sys" -a -n "$calls" -a "$((sys * 5))" -lt "${calls:-0}"

finish
