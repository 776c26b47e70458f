#!/usr/bin/env bash
# preload_servers.sh: servers from Debian, unmodified, through the membrane
# from a namespace with nothing but loopback, loaded by benchmarks on a
# kernel peer: redis-server under redis-benchmark (SET and GET, 20,000
# requests each; a 1 MiB value stored and read back intact), nginx (one
# process, sendfile on as in Debian's own configuration) under wrk for
# 10 s with 50 connections, then a 1 MiB file fetched intact. Both serve
# without errors, survive the load and stop cleanly.
: "${TEST_TIMEOUT:=300}"
. "$(dirname "$0")/lib.sh"

stack_hosts
start_switch
start_stack
app_ns

head -c 1M /dev/urandom >"$T/blob" || exit 1
SHA_BLOB=$(sha "$T/blob")

# 1. redis-server through the membrane, redis-benchmark on the peer.
mkdir -p "$T/redis"
app_bg redis-server --port 6379 --protected-mode no --save '' --appendonly no \
    --daemonize no --dir "$T/redis" --logfile '' >"$T/redis.log" 2>&1
REDIS=$APPPID
if wait_for "$T/redis.log" "Ready to accept connections" 30 $REDIS; then
	pass "redis-server through the membrane accepts connections"
else
	fail "redis-server through the membrane never got ready: $(last_lines "$T/redis.log")"
fi
out=$(TMO=10 pns redis-cli -h $APP_ADDR -p 6379 PING 2>&1)
check "redis-cli PING from the peer: $out" test "$out" = PONG

t0=$(date +%s)
TMO=60 pns redis-benchmark -h $APP_ADDR -p 6379 -q -n 20000 -t set,get >"$T/bench.raw" 2>&1
rc=$?
# -q rewrites a progress line with \r; the last state of each line counts.
tr '\r' '\n' <"$T/bench.raw" | grep -v '^ *$' >"$T/bench.out"
for t in SET GET; do
	line=$(grep "^$t: " "$T/bench.out" | grep "requests per second" | tail -1)
	check "redis-benchmark $t: ${line:-nothing ($(last_lines "$T/bench.out"))}" \
	    eval "echo '$line' | grep -q '^$t: [0-9][0-9.]* requests per second'"
done
check "redis-benchmark exits 0 and reports no error ($rc, $(grep -i 'error\|ERR\|could not' "$T/bench.out" | last_lines /dev/stdin))" \
    eval "[ $rc -eq 0 ] && ! grep -qi 'error\|ERR \|could not' '$T/bench.out'"
echo "   (redis-benchmark: $(( $(date +%s) - t0 )) s)"

# A 1 MiB value, stored and read back (GET --raw adds a newline).
out=$(TMO=30 pns redis-cli -h $APP_ADDR -p 6379 -x SET blob <"$T/blob" 2>&1)
check "redis-cli SET of 1 MiB: $out" test "$out" = OK
TMO=30 pns redis-cli -h $APP_ADDR -p 6379 --raw GET blob 2>"$T/cli.err" | head -c -1 >"$T/blob.out"
check "redis-cli GET: the 1 MiB value intact ($(last_lines "$T/cli.err"))" sha_is "$T/blob.out" "$SHA_BLOB"
# The benchmark's connections are closed: only this one is left.
for i in $(seq 20); do
	out=$(TMO=5 pns redis-cli -h $APP_ADDR -p 6379 INFO clients 2>&1 | tr -d '\r' | grep '^connected_clients:')
	[ "$out" = connected_clients:1 ] && break
	sleep 0.1
done
check "redis-server: one client connected now, the benchmark's gone ($out)" test "$out" = connected_clients:1
check "redis-server through the membrane still runs" alive $REDIS
# TERM: redis-server says goodbye and exits 0.
stop_bg $REDIS
rc=$?
check "redis-server stops cleanly on TERM ($rc, $(last_lines "$T/redis.log" 2))" \
    eval "[ $rc -eq 0 ] && grep -q 'ready to exit, bye bye' '$T/redis.log'"

# 2. nginx through the membrane, one process, wrk and curl on the peer.
N=$T/nginx
mkdir -p "$N/www" "$N/tmp" || exit 1
cp "$T/blob" "$N/www/1m.bin"
echo '<html><body>membrane</body></html>' >"$N/www/index.html"
cat >"$N/nginx.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 1024; }
http {
	access_log $N/access.log;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 65;
	default_type application/octet-stream;
	types { text/html html; }
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	server {
		listen 8080;
		root $N/www;
		index index.html;
	}
}
EOF
app_bg nginx -p "$N/" -e "$N/error.log" -c "$N/nginx.conf" >"$N/stdout" 2>&1
NGINX=$APPPID
# The pid file is written once the listening socket is open.
if wait_for "$N/nginx.pid" . 30 $NGINX; then
	pass "nginx through the membrane started"
else
	fail "nginx through the membrane never started: $(last_lines "$N/stdout") $(last_lines "$N/error.log")"
fi
pns curl -sS --fail --noproxy '*' --max-time 30 -o "$T/index.out" \
    http://$APP_ADDR:8080/ 2>"$T/curl.err"
rc=$?
check "curl on the peer gets index.html ($rc, $(last_lines "$T/curl.err"))" \
    cmp -s "$T/index.out" "$N/www/index.html"

TMO=60 pns wrk -t2 -c50 -d10s http://$APP_ADDR:8080/ >"$T/wrk.out" 2>&1
rc=$?
reqs=$(awk '/requests in/ { print $1 }' "$T/wrk.out")
rps=$(awk '/^Requests\/sec:/ { print $2 }' "$T/wrk.out")
check "wrk exits 0 and completes requests ($rc, ${reqs:-no} requests, ${rps:-no} per second)" \
    eval "[ $rc -eq 0 ] && [ '${reqs:-0}' -gt 0 ]"
sock=$(grep 'Socket errors' "$T/wrk.out")
check "wrk: no socket errors (${sock:-none reported})" \
    eval "[ -z '$sock' ] || echo '$sock' | grep -q 'connect 0, read 0, write 0, timeout 0'"
non2xx=$(grep 'Non-2xx' "$T/wrk.out")
check "wrk: every response 2xx (${non2xx:-no Non-2xx line})" test -z "$non2xx"

pns curl -sS --fail --noproxy '*' --max-time 30 -o "$T/1m.out" \
    http://$APP_ADDR:8080/1m.bin 2>"$T/curl.err"
rc=$?
check "curl on the peer after the load: exit $rc, $(last_lines "$T/curl.err")" test $rc -eq 0
check "curl on the peer: the 1 MiB file intact" sha_is "$T/1m.out" "$SHA_BLOB"
check "nginx: the 1 MiB GET logged, from the peer's address" \
    grep -q '^10\.199\.0\.1 - - .*"GET /1m.bin HTTP/1.1" 200 1048576 ' "$N/access.log"
echo "   (nginx: $(wc -l <"$N/access.log") requests logged)"
check "nginx logged no error ($(grep '\[\(error\|crit\|alert\|emerg\)\]' "$N/error.log" | last_lines /dev/stdin 2))" \
    not grep -q '\[\(error\|crit\|alert\|emerg\)\]' "$N/error.log"
check "nginx through the membrane still runs" alive $NGINX
# TERM: nginx exits, and removes its pid file.
stop_bg $NGINX
rc=$?
check "nginx stops cleanly on TERM ($rc, $(last_lines "$N/error.log" 2))" \
    eval "[ $rc -eq 0 ] && [ ! -e '$N/nginx.pid' ]"

check "the stack still runs" alive $STPID
grep -q . "$T/stack.log" && { echo "--- stack log"; tail -20 "$T/stack.log"; }

finish
