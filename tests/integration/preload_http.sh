#!/usr/bin/env bash
# preload_http.sh: HTTP clients and a server from Debian, unmodified, through
# the membrane (libmembrane.so, membrane-stack, the AF_XDP switch) from a
# namespace with nothing but loopback: curl and wget fetch a 100 MiB file
# from python3's http.server on a kernel peer; python3's http.server serves
# it through the membrane to curl on the peer. Every copy is checked by
# SHA-256; the server is still up at the end and logged the peer's address.
: "${TEST_TIMEOUT:=300}"
. "$(dirname "$0")/lib.sh"

: "${BIG:=100M}"
stack_hosts
start_switch
start_stack
app_ns

mkdir -p "$T/www" || exit 1
head -c "$BIG" /dev/urandom >"$T/www/big.bin" || exit 1
echo '<html><body>membrane</body></html>' >"$T/www/index.html"
SHA=$(sha "$T/www/big.bin")

# The peer's web server, on its kernel.
pns_bg python3 -u -m http.server 8000 --bind 10.199.0.1 --directory "$T/www" \
    >"$T/peer_http.log" 2>&1
PEER_HTTP=$PNSPID
wait_listen $PNS 8000 || { fail "python3 http.server on the peer: $(last_lines "$T/peer_http.log")"; finish; }

# 1. curl through the membrane.
if ! asan_hangs curl; then
	t0=$(date +%s)
	app curl -sS --fail --noproxy '*' --max-time 120 -o "$T/curl.out" \
	    http://10.199.0.1:8000/big.bin 2>"$T/curl.err"
	rc=$?
	check "curl exits 0 ($rc, $(last_lines "$T/curl.err"))" test $rc -eq 0
	check "curl: $BIG intact" sha_is "$T/curl.out" "$SHA"
	echo "   (curl: $BIG in $(( $(date +%s) - t0 )) s)"
	rm -f "$T/curl.out"
	gets=$((${gets:-0} + 1))
fi

# 2. wget through the membrane.
if ! asan_hangs wget; then
	t0=$(date +%s)
	app wget -q --no-proxy --tries=1 --timeout=60 -O "$T/wget.out" \
	    http://10.199.0.1:8000/big.bin 2>"$T/wget.err"
	rc=$?
	check "wget exits 0 ($rc, $(last_lines "$T/wget.err"))" test $rc -eq 0
	check "wget: $BIG intact" sha_is "$T/wget.out" "$SHA"
	echo "   (wget: $BIG in $(( $(date +%s) - t0 )) s)"
	rm -f "$T/wget.out"
	gets=$((${gets:-0} + 1))
fi
check "the peer's server logged each client's GET (${gets:-0})" \
    test "$(grep -c '"GET /big.bin HTTP/1.1" 200' "$T/peer_http.log")" -eq "${gets:-0}"

# 3. python3's http.server through the membrane, curl on the peer.
app_bg python3 -u -m http.server 8080 --bind 0.0.0.0 --directory "$T/www" \
    >"$T/app_http.log" 2>&1
APP_HTTP=$APPPID
if wait_for "$T/app_http.log" "^Serving HTTP on 0.0.0.0 port 8080" 30 $APP_HTTP; then
	pass "http.server through the membrane serves on 0.0.0.0 port 8080"
else
	fail "http.server through the membrane never served: $(last_lines "$T/app_http.log" 5)"
fi
t0=$(date +%s)
pns curl -sS --fail --noproxy '*' --max-time 120 -o "$T/index.out" \
    http://$APP_ADDR:8080/ 2>"$T/index.err"
rc=$?
check "curl on the peer gets index.html ($rc, $(last_lines "$T/index.err"))" \
    cmp -s "$T/index.out" "$T/www/index.html"
pns curl -sS --fail --noproxy '*' --max-time 120 -o "$T/srv.out" \
    http://$APP_ADDR:8080/big.bin 2>"$T/srv.err"
rc=$?
check "curl on the peer exits 0 ($rc, $(last_lines "$T/srv.err"))" test $rc -eq 0
check "curl on the peer: $BIG intact" sha_is "$T/srv.out" "$SHA"
echo "   (http.server through the membrane: $BIG in $(( $(date +%s) - t0 )) s)"
rm -f "$T/srv.out"
# What the server saw: each request, from the peer's own address.
check "http.server logged the peer's GETs from 10.199.0.1 ($(last_lines "$T/app_http.log" 2))" \
    test "$(grep -c '^10\.199\.0\.1 - - .*"GET /big.bin HTTP/1.1" 200' "$T/app_http.log")" -eq 1
check "http.server through the membrane still runs" alive $APP_HTTP
check "the peer's server still runs" alive $PEER_HTTP
check "http.server through the membrane logged no exception" \
    not grep -q 'Traceback\|Exception' "$T/app_http.log"
grep -q 'Traceback\|Exception' "$T/app_http.log" && { echo "--- http.server's log"; tail -20 "$T/app_http.log"; }

check "the stack still runs" alive $STPID
grep -q . "$T/stack.log" && { echo "--- stack log"; tail -20 "$T/stack.log"; }

finish
