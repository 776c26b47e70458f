#!/usr/bin/env bash
# stack_apps.sh: apps are apart.  Two apps on one membrane-stack each move
# 128 MiB each way with the kernel peer while a third app scribbles over
# its own region: the third is disconnected, the two finish intact, and
# the stack serves on.
. "$(dirname "$0")/lib.sh"

: "${SIZE:=128M}"
stack_hosts
start_switch
start_stack

head -c "$SIZE" /dev/urandom >"$T/a" || exit 1
head -c "$SIZE" /dev/urandom >"$T/b" || exit 1
SHA_A=$(sha "$T/a")
SHA_B=$(sha "$T/b")
SHA_A_INV=$(inverted_sha "$T/a")
SHA_B_INV=$(inverted_sha "$T/b")

# app_xfer NAME PORT FILE: one app's transfer in the background, its own
# side paced to 64 MiB/s so that it lasts; its exit status lands in
# $T/NAME.rc.
app_xfer() {
	( python3 "$PEER_PY" pace 64 <"$3" |
	    probe tcp-connect 10.199.0.1 "$2" 2>"$T/$1.err" |
	    sha256sum >"$T/$1.sha"; echo "${PIPESTATUS[1]}" >"$T/$1.rc" ) &
}

peer_bg serve 5001 --send "$T/a" --invert --sha-out "$T/peer1.sha"
P1=$PEERPID
peer_bg serve 5002 --send "$T/b" --invert --sha-out "$T/peer2.sha"
P2=$PEERPID
app_xfer one 5001 "$T/a"
X1=$!
app_xfer two 5002 "$T/b"
X2=$!
sleep 0.3
probe corrupt >"$T/corrupt.out" 2>"$T/corrupt.err"
rc=$?
check "the corrupting app is disconnected ($rc, $(cat "$T/corrupt.out" "$T/corrupt.err"))" \
    grep -qx "disconnected by the stack" "$T/corrupt.out"
check "the stack says why" grep -q "corrupted" "$T/stack.log"
check "meanwhile, both transfers were still under way" kill -0 $X1 $X2
wait $X1 $X2
wait $P1; p1=$?
wait $P2; p2=$?
check "app one and its peer exit 0 ($(cat "$T/one.rc") $p1, $(cat "$T/one.err"))" test "$(cat "$T/one.rc")" = 0 -a $p1 -eq 0
check "app two and its peer exit 0 ($(cat "$T/two.rc") $p2, $(cat "$T/two.err"))" test "$(cat "$T/two.rc")" = 0 -a $p2 -eq 0
check "app one: the peer got its $SIZE intact" same "$T/peer1.sha" "$SHA_A"
check "app one: it got the peer's $SIZE intact" same "$T/one.sha" "$SHA_A_INV"
check "app two: the peer got its $SIZE intact" same "$T/peer2.sha" "$SHA_B"
check "app two: it got the peer's $SIZE intact" same "$T/two.sha" "$SHA_B_INV"
check "the stack still runs" kill -0 $STPID
probe stats >"$T/stats" 2>&1
check "and answers a new app" grep -q "membrane web" "$T/stats"

finish
