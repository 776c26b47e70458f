#!/usr/bin/env bash
# preload_tools.sh: network tools from Debian, unmodified, through the
# membrane from a namespace with nothing but loopback, against kernel peers:
# socat relaying TCP and UDP (accepting and connecting through the
# membrane), netcat-openbsd as TCP client and server (16 MiB each way,
# SHA-256 checked) and over UDP (lines both ways), iperf3 as client and as
# server (both directions, 5 s each, its JSON report read), sockperf
# ping-pong over UDP and TCP with its server on either side.
: "${TEST_TIMEOUT:=300}"
. "$(dirname "$0")/lib.sh"

: "${SIZE:=16M}"
: "${SECS:=5}"
stack_hosts
start_switch
start_stack
app_ns

head -c "$SIZE" /dev/urandom >"$T/a" || exit 1
SHA_A=$(sha "$T/a")
SHA_A_INV=$(inverted_sha "$T/a")

# 1. socat, a TCP relay through the membrane: it listens on the membrane's
# address, and for the connection it accepts connects to the peer's echo.
# The peer sends $SIZE through it and gets the same bytes back.
fresh
peer_bg echo 7002
app_bg socat -d -d TCP4-LISTEN:7001,bind=$APP_ADDR,reuseaddr TCP4:10.199.0.1:7002 \
    2>"$T/socat.err"
SOCAT=$APPPID
wait_for "$T/socat.err" "listening on" 20 $SOCAT ||
    fail "socat TCP relay never listened: $(last_lines "$T/socat.err")"
t0=$(date +%s)
TMO=60 peer_run connect $APP_ADDR 7001 --send "$T/a" --sha-out "$T/peer.sha" 2>"$T/peer.err"
prc=$?
check "socat TCP relay: the peer's client exits 0 ($prc, $(last_lines "$T/peer.err"))" test $prc -eq 0
check "socat TCP relay: $SIZE to the echo and back intact" same "$T/peer.sha" "$SHA_A"
wait_exit $SOCAT 20
rc=$?
check "socat TCP relay exits 0 when the connection ends ($rc, $(grep ' [EW] ' "$T/socat.err" | last_lines /dev/stdin))" \
    test $rc -eq 0
echo "   (socat TCP relay: $SIZE each way in $(( $(date +%s) - t0 )) s)"
stop_bg $PEERPID

# 2. socat, a UDP relay: the first datagram picks its client; datagrams
# of 1 to 8000 bytes go through it to the peer's echo and back, each whole.
fresh
peer_bg udp-echo 7004
app_bg socat -d -d -b 65536 UDP4-LISTEN:7003,bind=$APP_ADDR UDP4:10.199.0.1:7004 \
    2>"$T/socat.err"
SOCAT=$APPPID
wait_for "$T/socat.err" "listening on" 20 $SOCAT ||
    fail "socat UDP relay never listened: $(last_lines "$T/socat.err")"
peer_run udp-send $APP_ADDR 7003 --sizes 1,100,1472,8000 >"$T/peer.out" 2>"$T/peer.err"
check "socat UDP relay: 4 datagrams through it and back ($(last_lines "$T/peer.out" 4) $(last_lines "$T/peer.err"))" \
    test "$(cat "$T/peer.out")" = "$(printf 'ok %s\n' 1 100 1472 8000)"
check "socat UDP relay still runs" alive $SOCAT
stop_bg $SOCAT
stop_bg $PEERPID

# 3. nc as a TCP client: it sends $SIZE while the peer sends it $SIZE
# (inverted); -N shuts down its side at the end of its input.
fresh
peer_bg serve 7010 --send "$T/a" --invert --sha-out "$T/peer.sha"
t0=$(date +%s)
TMO=60 app nc -N 10.199.0.1 7010 <"$T/a" 2>"$T/nc.err" >"$T/nc.out"
rc=$?
wait_exit $PEERPID 20
prc=$?
check "nc client: nc and the peer exit 0 ($rc $prc, $(last_lines "$T/nc.err"))" test $rc -eq 0 -a $prc -eq 0
check "nc client: the peer got our $SIZE intact ($(cut -d' ' -f2 "$T/peer.sha") bytes)" same "$T/peer.sha" "$SHA_A"
check "nc client: we got the peer's $SIZE intact ($(stat -c %s "$T/nc.out") bytes)" sha_is "$T/nc.out" "$SHA_A_INV"
echo "   (nc client: $SIZE each way in $(( $(date +%s) - t0 )) s)"
rm -f "$T/nc.out"

# 4. nc as a TCP server (nc -l), the peer connects; the same both ways,
# one after the other: nc -l quits as soon as the peer's side is closed
# and its buffers are momentarily empty, even with input left to send.
fresh
app_bg nc -N -n -v -l 7011 <"$T/a" 2>"$T/nc.err" >"$T/nc.out"
NC=$APPPID
wait_for "$T/nc.err" "Listening on" 20 $NC ||
    fail "nc -l never listened: $(last_lines "$T/nc.err")"
t0=$(date +%s)
TMO=60 peer_run connect $APP_ADDR 7011 --order recv-first --send "$T/a" --invert \
    --sha-out "$T/peer.sha" 2>"$T/peer.err"
prc=$?
wait_exit $NC 20
rc=$?
check "nc server: nc and the peer exit 0 ($rc $prc, $(last_lines "$T/nc.err") $(last_lines "$T/peer.err"))" \
    test $rc -eq 0 -a $prc -eq 0
check "nc server: the peer got our $SIZE intact ($(cut -d' ' -f2 "$T/peer.sha") bytes)" same "$T/peer.sha" "$SHA_A"
check "nc server: we got the peer's $SIZE intact ($(stat -c %s "$T/nc.out") bytes)" sha_is "$T/nc.out" "$SHA_A_INV"
check "nc server: the connection came from the peer's address ($(last_lines "$T/nc.err" 1))" \
    grep -q "Connection received on 10\.199\.0\.1 " "$T/nc.err"
echo "   (nc server: $SIZE each way in $(( $(date +%s) - t0 )) s)"
rm -f "$T/nc.out"

# nc over UDP: two nc's, each reading lines from a fifo the test holds
# open; a line written to one must come out of the other.
# udp_lines LABEL FIRST-FIFO FIRST-OUT SECOND-FIFO SECOND-OUT: the first
# side (the one that sends first) and the second take turns, 3 lines each.
udp_lines() {
	ul_ok=0
	for i in 1 2 3; do
		echo "line $i from the $1 first side" >"$2"
		wait_for "$5" "^line $i from the $1 first side\$" 5 || { ul_ok=1; break; }
		echo "line $i from the $1 second side" >"$4"
		wait_for "$3" "^line $i from the $1 second side\$" 5 || { ul_ok=1; break; }
	done
	return $ul_ok
}

# 5. nc -u -l through the membrane, nc -u on the peer sends first.
fresh
mkfifo "$T/app.in" "$T/peer.in"
exec {APP_IN}<>"$T/app.in" {PEER_IN}<>"$T/peer.in"
app_bg nc -n -v -u -l 7020 <"$T/app.in" >"$T/nc.out" 2>"$T/nc.err"
NC=$APPPID
wait_for "$T/nc.err" "Bound on" 20 $NC || fail "nc -u -l never bound: $(last_lines "$T/nc.err")"
pns_bg nc -n -u $APP_ADDR 7020 <"$T/peer.in" >"$T/peer.out" 2>"$T/peer.err"
NCP=$PNSPID
udp_lines server "$T/peer.in" "$T/peer.out" "$T/app.in" "$T/nc.out"
rc=$?
check "nc -u server: 3 lines each way (last: \"$(last_lines "$T/nc.out" 1)\" \"$(last_lines "$T/peer.out" 1)\" $(last_lines "$T/nc.err" 1) $(last_lines "$T/peer.err" 1))" \
    test $rc -eq 0
check "nc -u server: both still run" alive $NC $NCP
stop_bg $NC
stop_bg $NCP
exec {APP_IN}>&- {PEER_IN}>&-
rm -f "$T/app.in" "$T/peer.in"

# 6. nc -u through the membrane sends first, nc -u -l on the peer.
fresh
mkfifo "$T/app.in" "$T/peer.in"
exec {APP_IN}<>"$T/app.in" {PEER_IN}<>"$T/peer.in"
pns_bg nc -n -u -l 7021 <"$T/peer.in" >"$T/peer.out" 2>"$T/peer.err"
NCP=$PNSPID
wait_listen $PNS 7021 udp
app_bg nc -n -u 10.199.0.1 7021 <"$T/app.in" >"$T/nc.out" 2>"$T/nc.err"
NC=$APPPID
udp_lines client "$T/app.in" "$T/nc.out" "$T/peer.in" "$T/peer.out"
rc=$?
check "nc -u client: 3 lines each way (last: \"$(last_lines "$T/nc.out" 1)\" \"$(last_lines "$T/peer.out" 1)\" $(last_lines "$T/nc.err" 1) $(last_lines "$T/peer.err" 1))" \
    test $rc -eq 0
check "nc -u client: both still run" alive $NC $NCP
stop_bg $NC
stop_bg $NCP
exec {APP_IN}>&- {PEER_IN}>&-

# iperf_ok JSON: iperf3 -J's report names no error and counts bytes both
# sent and received; prints what it measured.
iperf_ok() {
	python3 - "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("no JSON report (%s)" % e)
    sys.exit(1)
if "error" in d:
    print("error: %s" % d["error"])
    sys.exit(1)
end = d.get("end", {})
s = end.get("sum_sent", {}).get("bytes", 0)
r = end.get("sum_received", {}).get("bytes", 0)
bps = end.get("sum_received", {}).get("bits_per_second", 0)
print("%d bytes sent, %d received, %.0f Mbit/s" % (s, r, bps / 1e6))
sys.exit(0 if s > 0 and r > 0 else 1)
PY
}

# iperf LABEL ARGS...: an iperf3 client run, its report checked.
iperf() {
	ip_label=$1
	shift
	TMO=$((SECS + 25)) "$@" -t "$SECS" -J >"$T/iperf.json" 2>"$T/iperf.err"
	ip_rc=$?
	ip_sum=$(iperf_ok "$T/iperf.json")
	ip_ok=$?
	check "$ip_label: exit $ip_rc, $ip_sum $(last_lines "$T/iperf.err")" test $ip_rc -eq 0 -a $ip_ok -eq 0
}

# 7. iperf3 client through the membrane, iperf3 -s on the peer: we send,
# then (-R) we receive.
fresh
pns_bg iperf3 -s -p 5201 --forceflush >"$T/peer.out" 2>&1
IPS=$PNSPID
wait_listen $PNS 5201
iperf "iperf3 client, sending" app iperf3 -c 10.199.0.1 -p 5201
wait_for "$T/peer.out" "Server listening on 5201" 10 $IPS 2
iperf "iperf3 client, receiving (-R)" app iperf3 -c 10.199.0.1 -p 5201 -R
check "iperf3 -s on the peer still runs" alive $IPS
stop_bg $IPS

# 8. iperf3 -s through the membrane, the client on the peer: it sends to
# us, then (-R) we send to it.
fresh
app_bg iperf3 -s -p 5202 --forceflush >"$T/app.out" 2>&1
IPS=$APPPID
wait_for "$T/app.out" "Server listening on 5202" 20 $IPS ||
    fail "iperf3 -s through the membrane never listened: $(last_lines "$T/app.out")"
iperf "iperf3 server, receiving" pns iperf3 -c $APP_ADDR -p 5202
wait_for "$T/app.out" "Server listening on 5202" 10 $IPS 2
iperf "iperf3 server, sending (-R)" pns iperf3 -c $APP_ADDR -p 5202 -R
check "iperf3 -s through the membrane still runs and logged no error ($(grep -i error "$T/app.out" | last_lines /dev/stdin))" \
    eval "alive $IPS && ! grep -qi error '$T/app.out'"
stop_bg $IPS

# sockperf_ok OUT PROTO: a ping-pong run reported a latency, and no error;
# over TCP nothing dropped, over UDP nothing duplicated or out of order.
sockperf_ok() {
	grep -q "Summary: Latency is [0-9.]* usec" "$1" || return 1
	grep -q "ERROR" "$1" && return 1
	if [ "$2" = tcp ]; then
		grep -q "# dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0" "$1"
	else
		grep -q "# duplicated messages = 0; # out-of-order messages = 0" "$1"
	fi
}
sockperf_sum() {
	echo "$(grep -o 'Summary: Latency is [0-9.]* usec' "$1")," \
	    "$(grep -o 'dropped messages = [0-9]*' "$1")" \
	    "$(grep 'ERROR' "$1" | last_lines /dev/stdin 2)"
}

# 9. sockperf ping-pong, UDP then TCP: the server through the membrane and
# the client on the peer, then the other way round.
port=11110
for proto in udp tcp; do
	flag=
	[ $proto = tcp ] && flag=--tcp

	fresh
	port=$((port + 1))
	app_bg sockperf sr $flag -i 0.0.0.0 -p $port >"$T/app.out" 2>&1
	SP=$APPPID
	wait_for "$T/app.out" "to block on socket" 20 $SP ||
	    fail "sockperf server ($proto) through the membrane never started: $(last_lines "$T/app.out")"
	TMO=30 pns sockperf pp $flag -i $APP_ADDR -p $port -t 3 >"$T/peer.out" 2>&1
	rc=$?
	check "sockperf $proto, server through the membrane: exit $rc, $(sockperf_sum "$T/peer.out")" \
	    eval "[ $rc -eq 0 ] && sockperf_ok '$T/peer.out' $proto"
	check "sockperf $proto server through the membrane still runs" alive $SP
	stop_bg $SP

	fresh
	port=$((port + 1))
	pns_bg sockperf sr $flag -i 10.199.0.1 -p $port >"$T/peer.out" 2>&1
	SP=$PNSPID
	wait_listen $PNS $port $proto
	TMO=30 app sockperf pp $flag -i 10.199.0.1 -p $port -t 3 >"$T/app.out" 2>&1
	rc=$?
	check "sockperf $proto, client through the membrane: exit $rc, $(sockperf_sum "$T/app.out")" \
	    eval "[ $rc -eq 0 ] && sockperf_ok '$T/app.out' $proto"
	stop_bg $SP
done

check "the stack still runs" alive $STPID
grep -q . "$T/stack.log" && { echo "--- stack log"; tail -20 "$T/stack.log"; }

finish
