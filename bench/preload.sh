#!/usr/bin/env bash
# bench/preload: unmodified Debian programs through libmembrane.so, side by
# side in one run with the same programs on the kernel's own TCP and behind
# pasta (passt).  A benchmark, not a test: it prints a table and asserts
# nothing.
#
#   bench/preload [--reps N] [--paths "kernel membrane pasta"] [--duration S]
#                 [--programs "sockperf iperf3 nginx"] [--mtu N]
#                 [--peer-napi "iperf3"]                           (as root)
#
# The kernel peer (10.199.0.1) is in one namespace; across a veth, another
# holds the switch (AF_XDP uplink), the stack (10.199.0.10) and the
# kernel's own address, 10.199.0.2.  The same program runs three ways:
#   kernel    in that namespace, on the kernel's TCP, as 10.199.0.2
#   membrane  in a namespace with nothing but loopback, preloaded with
#             libmembrane.so, through the stack and the switch, as 10.199.0.10
#   pasta     in a namespace that pasta connects to the first one's network
#             (its sockets there, as 10.199.0.2; servers through its
#             forwarded port 8081)
# The program runs on CPU 0; the stack, the switch, pasta and the peer on
# CPU 1 (STACK_CPU, SWITCH_CPU, PEER_CPU move them).  Each figure is the median of
# --reps runs (default 3), the paths taken in turn within each.
#
#   sockperf  pp --tcp, 64 B, --duration s (5): latency p50 and p99
#   iperf3    one stream to the peer, --duration s: Gbit/s received
#   nginx     one process on the path, wrk -t2 -c50 on the peer, --duration
#             s, keep-alive and Connection: close: requests per second
#
# --mtu sets the veth's MTU (default 1500) for every path; the switch and
# the stack take it from the link.  On a veth the peer's receive work runs
# inside the sender's transmit, one frame at a time for the switch's
# AF_XDP frames (the kernel's own are 64 KiB TSO segments).  For the
# programs in --peer-napi (default iperf3; "" for none) the peer's veth
# takes the membrane's frames the way a NIC's driver would: in a NAPI
# thread of its own, with GRO (the switch's end of the veth stops offering
# TSO while the membrane runs, which is what lets the kernel take that
# path).  The kernel's and pasta's runs always have the veth as created.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${top_builddir:-$(cd "$here/.." && pwd)}
SWITCH=$build/netswitch/membrane-switch
STACK=$build/stack/membrane-stack
XDP_OBJ=$build/netswitch/xdp_filter.bpf.o
LIB=$build/preload/.libs/libmembrane.so
REPS=3
DUR=5
PATHS="kernel membrane pasta"
PROGS="sockperf iperf3 nginx"
MTU=1500
PEER_NAPI=iperf3
: "${PEER_CPU:=1}"
: "${SWITCH_CPU:=1}"
: "${STACK_CPU:=1}"
while [ $# -gt 0 ]; do
	case $1 in
	--reps) REPS=${2:?}; shift 2 ;;
	--paths) PATHS=${2:?}; shift 2 ;;
	--duration) DUR=${2:?}; shift 2 ;;
	--programs) PROGS=${2:?}; shift 2 ;;
	--mtu) MTU=${2:?}; shift 2 ;;
	--peer-napi) PEER_NAPI=${2?}; shift 2 ;;
	-h|--help) sed -n '2,37s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench/preload: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
done
for p in $PATHS; do
	case $p in kernel|membrane|pasta) ;;
	*) echo "bench/preload: unknown path $p (kernel, membrane, pasta)" >&2; exit 2 ;;
	esac
done
for p in $PROGS $PEER_NAPI; do
	case $p in sockperf|iperf3|nginx) ;;
	*) echo "bench/preload: unknown program $p (sockperf, iperf3, nginx)" >&2; exit 2 ;;
	esac
done
case $MTU in
[0-9]*) [ "$MTU" -ge 576 ] && [ "$MTU" -le 9000 ] ;;
*) false ;;
esac || { echo "bench/preload: --mtu $MTU is not from 576 to 9000" >&2; exit 2; }
has() { case " $PATHS " in *" $1 "*) return 0 ;; esac; return 1; }
runs() { case " $PROGS " in *" $1 "*) return 0 ;; esac; return 1; }
[ "$(id -u)" = 0 ] || { echo "bench/preload: run as root (network namespaces, XDP)" >&2; exit 1; }
if has membrane; then
	for x in "$SWITCH" "$STACK" "$LIB"; do
		[ -e "$x" ] || { echo "bench/preload: build first (make): no $x" >&2; exit 1; }
	done
fi
for x in sockperf iperf3 nginx wrk jq; do
	command -v $x >/dev/null || { echo "bench/preload: needs $x (scripts/setup installs it)" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/mbbench.XXXXXX")
SNS=mbls$$	# the switch, the stack, the kernel path, pasta's outside
PNS=mblp$$	# the kernel peer
ANS=mbla$$	# the membrane's programs: loopback only
QNS=mblq$$	# pasta's programs
UP=mblu$$
PK=mblk$$
CTL=$T/switch.sock
EP=$T/web.sock
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	# Up to 3 s to go on their own (the switch takes its time), then KILL.
	for i in $(seq 30); do
		alive=
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -n "$alive" ] || break
		sleep 0.1
	done
	{ for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; wait $PIDS; } 2>/dev/null
	for n in $ANS $QNS $SNS $PNS; do ip netns del $n 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for n in $SNS $PNS $ANS $QNS; do
	ip netns add $n || exit 1
	ip -n $n link set lo up
done
ip link add $UP type veth peer name $PK || exit 1
ip link set $UP netns $SNS
ip link set $PK netns $PNS
ip -n $SNS link set $UP mtu $MTU up || exit 1
ip -n $PNS link set $PK mtu $MTU up || exit 1
ip -n $SNS addr add 10.199.0.2/24 dev $UP
ip -n $PNS addr add 10.199.0.1/24 dev $PK
# XDP sees frames before the kernel fills in offloaded checksums.
ip netns exec $PNS ethtool -K $PK tx off >/dev/null

# wait_listen NS PORT: something in NS listens on TCP PORT (up to 10 s).
wait_listen() {
	for i in $(seq 200); do
		[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ] && return 0
		sleep 0.05
	done
	return 1
}
# stop PID: TERM, then KILL past 5 s; cleanup forgets it (its number may
# be another process's by then).
stop() {
	kill "$1" 2>/dev/null
	for i in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $1 / /")
}

# The peer's ping-pong server stays up for the whole run.
ip netns exec $PNS taskset -c "$PEER_CPU" sockperf sr --tcp -i 10.199.0.1 -p 11111 \
    >"$T/sockperf-sr.log" 2>&1 &
PIDS="$PIDS $!"
wait_listen $PNS 11111 || { echo "bench/preload: sockperf sr did not start" >&2; cat "$T/sockperf-sr.log" >&2; exit 1; }

if has membrane; then
	ip netns exec $SNS taskset -c "$SWITCH_CPU" "$SWITCH" --uplink af_xdp:$UP \
	    --ctl "$CTL" --xdp-prog "$XDP_OBJ" ${SWITCH_ARGS:-} 2>"$T/switch.log" &
	PIDS="$PIDS $!"
	for i in $(seq 100); do
		"$SWITCH" --stats --ctl "$CTL" >/dev/null 2>&1 && break
		sleep 0.1
	done
	ip netns exec $SNS taskset -c "$STACK_CPU" "$STACK" --name web --switch "$CTL" \
	    --bus "$T/bus" --endpoint "$EP" --address 10.199.0.10/24 \
	    --gateway 10.199.0.1 --sock-buffer 1M ${STACK_ARGS:-} 2>"$T/stack.log" &
	STPID=$!
	PIDS="$PIDS $STPID"
	for i in $(seq 100); do [ -S "$EP" ] && [ -f "$T/bus/web" ] && break; sleep 0.1; done
	[ -S "$EP" ] || { echo "bench/preload: the stack did not start" >&2; cat "$T/switch.log" "$T/stack.log" >&2; exit 1; }
	# The stack's sandboxed engine is a process of its own.
	PIDS="$PIDS $(pgrep -P $STPID | xargs)"
	PRELOAD=$LIB
	# A sanitizer build: ASan's runtime must come first of all.
	if ldd "$LIB" 2>/dev/null | grep -q libasan; then
		PRELOAD="$(gcc -print-file-name=libasan.so):$LIB"
		export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
	fi
fi

# pasta joins $QNS (a namespace of ours: pasta's own user namespace needs a
# uid_map that a container may refuse), copies the uplink's address and
# route into it, and carries its traffic through sockets in $SNS.  Its
# port 8081 on $SNS leads to 8080 in $QNS, beside the kernel path's 8080.
# Connections to the gateway address are the peer's, not $SNS's loopback
# (--no-map-gw).
# start_pasta: pasta up, its port forwarded; or why not in PASTA_WHY.
start_pasta() {
	ip netns exec $SNS taskset -c 1 pasta -f -q --runas 0 -4 -i $UP \
	    -g 10.199.0.1 --no-map-gw --config-net -t 8081:8080 -u none \
	    -T none -U none --netns $QNS >"$T/pasta.log" 2>&1 &
	PASTA=$!
	PIDS="$PIDS $PASTA"
	for i in $(seq 100); do
		kill -0 $PASTA 2>/dev/null || break
		ip -n $QNS -4 -o addr show | grep -q 10.199.0.2/ &&
		    wait_listen $SNS 8081 && return 0
		sleep 0.1
	done
	PASTA_WHY=$(grep -v syslog "$T/pasta.log" | tail -1 | cut -c1-60)
	echo "bench/preload: pasta did not start:" >&2
	cat "$T/pasta.log" >&2
	stop $PASTA
	PASTA=
	return 1
}
# pasta_lived WHAT: after a run through pasta, note a pasta that died in it
# and start another.
pasta_lived() {
	[ "$path" = pasta ] && [ -n "$PASTA" ] && ! kill -0 $PASTA 2>/dev/null || return 0
	wait $PASTA
	local st=$? how
	how="status $st"
	[ $st -gt 128 ] && how="SIG$(kill -l $((st - 128)))"
	echo "pasta: exited ($how) during $1 (started again)" >>"$NOTES"
	PIDS=$(echo " $PIDS " | sed "s/ $PASTA / /")
	PASTA=
	start_pasta
}
PASTA=
PASTA_NA=
if has pasta; then
	if ! command -v pasta >/dev/null; then
		PASTA_NA="n/a: pasta not installed (Debian passt)"
	elif ! start_pasta; then
		PASTA_NA="n/a: pasta did not start${PASTA_WHY:+ ($PASTA_WHY)}"
	fi
	if [ -n "$PASTA_NA" ]; then
		PATHS=$(for p in $PATHS; do [ $p = pasta ] || echo $p; done | xargs)
	fi
fi
# ARP both ways before timing anything.
ip netns exec $PNS ping -c 1 -W 2 10.199.0.2 >/dev/null
has membrane && ip netns exec $PNS ping -c 1 -W 2 10.199.0.10 >/dev/null

# peer_rx PROGRAM PATH: how the peer's veth receives (see the top).
peer_rx() {
	local napi=0 tso=on
	case " $PEER_NAPI " in *" $1 "*) [ $2 = membrane ] && napi=1 ;; esac
	[ $napi = 1 ] && tso=off
	if [ $napi = 1 ]; then
		ip netns exec $PNS ethtool -K $PK gro on >/dev/null &&
		ip netns exec $PNS sh -c "echo 1 >/sys/class/net/$PK/threaded"
	else
		ip netns exec $PNS sh -c "echo 0 >/sys/class/net/$PK/threaded" 2>/dev/null
		ip netns exec $PNS ethtool -K $PK gro off >/dev/null
	fi && ip netns exec $SNS ethtool -K $UP tso $tso >/dev/null ||
	    { echo "bench/preload: cannot set up the peer's receive for $1" >&2; exit 1; }
}

# on PATH: the command line that runs a program on CPU 0 the way PATH
# runs programs, in ON[@].
on() {
	case $1 in
	kernel) ON=(ip netns exec $SNS taskset -c 0) ;;
	membrane) ON=(ip netns exec $ANS taskset -c 0 env MEMBRANE_SOCKET="$EP"
	    LD_PRELOAD="$PRELOAD") ;;
	pasta) ON=(ip netns exec $QNS taskset -c 0) ;;
	esac
}
# Where the peer reaches the path's server.
server_at() {
	case $1 in
	kernel) echo 10.199.0.2:8080 ;;
	membrane) echo 10.199.0.10:8080 ;;
	pasta) echo 10.199.0.2:8081 ;;
	esac
}
# A client never runs much past its time.
LIMIT=$((DUR * 3 + 30))

# failed PATH WHAT LOG: a run that gave no figure.  The kernel's and the
# membrane's end the benchmark; pasta's leave its cell n/a.
failed() {
	echo "bench/preload: $1 $2 failed:" >&2
	tail -n 20 "$3" >&2
	if [ "$1" = pasta ]; then
		echo "$2 failed" >"$T/pasta.na.$2"
		return 0
	fi
	has membrane && { echo "--- stack log" >&2; tail -n 20 "$T/stack.log" >&2; }
	exit 1
}
NOTES=$T/notes
: >"$NOTES"

run_sockperf() {	# PATH
	local out=$T/sockperf.out
	peer_rx sockperf $1
	on $1
	timeout -k 5 $LIMIT "${ON[@]}" sockperf pp --tcp -m 64 -t "$DUR" -i 10.199.0.1 \
	    -p 11111 >"$out" 2>&1
	local p50 p99
	p50=$(sed -n 's/.*percentile 50\.000 = *\([0-9.]*\).*/\1/p' "$out")
	p99=$(sed -n 's/.*percentile 99\.000 = *\([0-9.]*\).*/\1/p' "$out")
	if [ -z "$p50" ] || [ -z "$p99" ] || grep -q ERROR "$out"; then
		failed $1 sockperf "$out"
		return
	fi
	echo "$p50" >>"$T/$1.p50"
	echo "$p99" >>"$T/$1.p99"
}

run_iperf3() {	# PATH
	local out=$T/iperf3.out srv bps
	peer_rx iperf3 $1
	ip netns exec $PNS taskset -c "$PEER_CPU" iperf3 -s -1 -B 10.199.0.1 -p 5201 \
	    >"$T/iperf3-s.log" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_listen $PNS 5201 || { failed $1 iperf3 "$T/iperf3-s.log"; stop $srv; return; }
	on $1
	timeout -k 5 $LIMIT "${ON[@]}" iperf3 -c 10.199.0.1 -p 5201 -t "$DUR" -J >"$out" 2>&1
	# The one-off server ends with its one test; one that never got it, not.
	for i in $(seq 100); do kill -0 $srv 2>/dev/null || break; sleep 0.05; done
	stop $srv
	bps=$(jq -r '.end.sum_received.bits_per_second // empty' "$out" 2>/dev/null)
	if [ -z "$bps" ] || [ "$(jq -r '.error // empty' "$out" 2>/dev/null)" != "" ]; then
		failed $1 iperf3 "$out"
		return
	fi
	awk -v b="$bps" 'BEGIN { printf "%.2f\n", b / 1e9 }' >>"$T/$1.gbps"
}

# nginx: one process, no master, in the foreground; everything it writes in
# $T.  Keep-alive connections stay up for the whole run (no
# keepalive_requests limit to speak of).
nginx_conf() {	# DIR
	mkdir -p "$1/www" "$1/tmp"
	echo '<html><body>membrane</body></html>' >"$1/www/index.html"
	cat >"$1/nginx.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 65;
	keepalive_requests 1000000;
	default_type application/octet-stream;
	types { text/html html; }
	client_body_temp_path $1/tmp/body;
	proxy_temp_path $1/tmp/proxy;
	fastcgi_temp_path $1/tmp/fastcgi;
	uwsgi_temp_path $1/tmp/uwsgi;
	scgi_temp_path $1/tmp/scgi;
	server {
		listen 8080;
		root $1/www;
		index index.html;
	}
}
EOF
}

wrk_rps() {	# PATH FIG [WRK ARGS...]: one wrk run, its requests per second
	local path=$1 fig=$2 out=$T/wrk.out rps; shift 2
	timeout -k 5 $LIMIT ip netns exec $PNS taskset -c "$PEER_CPU" wrk -t2 -c50 \
	    -d"${DUR}s" "$@" "http://$(server_at $path)/" >"$out" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	if [ -z "$rps" ] || ! awk -v r="$rps" 'BEGIN { exit !(r > 0) }'; then
		failed $path $fig "$out"
		return
	fi
	echo "$rps" >>"$T/$path.$fig"
	grep -E 'Socket errors|Non-2xx' "$out" | sed "s/^ */$path $fig: /" >>"$NOTES"
}

run_nginx() {	# PATH
	local n=$T/nginx-$1 pid fig
	rm -rf "$n"
	nginx_conf "$n"
	peer_rx nginx $1
	on $1
	"${ON[@]}" nginx -p "$n/" -e "$n/error.log" -c "$n/nginx.conf" >"$n/stdout" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	# The pid file is written once the listening socket is open; a first
	# request from the peer shows the path carries it.
	local end=$(( $(date +%s) + 20 ))
	while [ "$(date +%s)" -lt $end ] && kill -0 $pid 2>/dev/null; do
		[ -s "$n/nginx.pid" ] && ip netns exec $PNS curl -sf --noproxy '*' \
		    --max-time 1 -o /dev/null "http://$(server_at $1)/" && break
		sleep 0.05
	done
	if ! ip netns exec $PNS curl -sf --noproxy '*' --max-time 5 -o /dev/null \
	    "http://$(server_at $1)/"; then
		echo "no answer at http://$(server_at $1)/ in 20 s" >>"$n/stdout"
		cat "$n/error.log" >>"$n/stdout" 2>/dev/null
		stop $pid
		failed $1 nginx "$n/stdout"
		return
	fi
	wrk_rps $1 keepalive
	pasta_lived "nginx keep-alive"
	wrk_rps $1 close -H 'Connection: close'
	pasta_lived "nginx conn close"
	stop $pid
	grep '\[\(error\|crit\|alert\|emerg\)\]' "$n/error.log" 2>/dev/null | tail -n 3 |
	    sed "s/^/$1 nginx: /" >>"$NOTES"
}

t0=$(date +%s)
for r in $(seq "$REPS"); do
	echo "bench/preload: run $r of $REPS ($PATHS)" >&2
	for path in $PATHS; do
		if [ $path = pasta ] && [ -z "$PASTA" ] && ! start_pasta; then
			echo "pasta: did not start again for run $r${PASTA_WHY:+ ($PASTA_WHY)}" >>"$NOTES"
			for f in sockperf iperf3 nginx; do echo "pasta did not start" >"$T/pasta.na.$f"; done
			continue
		fi
		runs sockperf && { run_sockperf $path; pasta_lived sockperf; }
		runs iperf3 && { run_iperf3 $path; pasta_lived iperf3; }
		runs nginx && run_nginx $path
	done
done
has membrane && ! kill -0 $STPID 2>/dev/null &&
    echo "bench/preload: note: the stack is no longer running" >&2

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }'; }
# cell PATH FIG [NA-KEY]: the figure's median, or why there is none.
cell() {
	if [ "$1" = pasta ] && [ -n "$PASTA_NA" ]; then echo "$PASTA_NA"; return; fi
	has "$1" || { echo "-"; return; }
	local m
	m=$(median <"$T/$1.$2" 2>/dev/null)
	if [ -n "$m" ]; then
		case $2 in p50|p99) printf '%.1f\n' "$m" ;; gbps) printf '%.2f\n' "$m" ;; *) printf '%.0f\n' "$m" ;; esac
		return
	fi
	if [ "$1" = pasta ] && [ -f "$T/pasta.na.$2" ]; then
		echo "n/a: $(cat "$T/pasta.na.$2")"
	elif [ "$1" = pasta ] && [ -f "$T/pasta.na.${3:-$2}" ]; then
		echo "n/a: $(cat "$T/pasta.na.${3:-$2}")"
	else
		echo "-"
	fi
}
row() {	# LABEL FIG NA-KEY: a table row, its cells split by tabs
	local k m p
	k=$(cell kernel $2 $3); m=$(cell membrane $2 $3); p=$(cell pasta $2 $3)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$k" "$m" "$p" \
	    "$(ratio "$m" "$k")" "$(ratio "$m" "$p")"
}

printf '\nUnmodified programs over one veth (MTU %s), medians of %s runs of %s s each (%s s in all)\n' \
    "$MTU" "$REPS" "$DUR" "$(( $(date +%s) - t0 ))"
printf '  peer:     sockperf sr, iperf3 -s, wrk -t2 -c50 on the kernel of %s (10.199.0.1), CPU %s\n' "$PNS" "$PEER_CPU"
has membrane &&
printf '            its veth takes the membrane'"'"'s frames in a NAPI thread, with GRO, for: %s\n' "${PEER_NAPI:-none}"
has kernel &&
printf '  kernel:   the program on the kernel TCP of %s (10.199.0.2), CPU 0\n' "$SNS"
has membrane && {
printf '  membrane: the program in %s (loopback only) with LD_PRELOAD=libmembrane.so, CPU 0;\n' "$ANS"
printf '            membrane-stack (10.199.0.10) in %s, CPU %s; membrane-switch (AF_XDP on the veth), CPU %s\n' "$SNS" "$STACK_CPU" "$SWITCH_CPU"
}
if has pasta; then
printf '  pasta:    the program in %s, CPU 0; pasta in %s (its sockets as 10.199.0.2,\n' "$QNS" "$SNS"
printf '            servers through its port 8081), CPU 1\n'
elif [ -n "$PASTA_NA" ]; then
printf '  pasta:    not run, %s\n' "$PASTA_NA"
fi
printf '  (%s CPUs, shared: figures vary from run to run)\n\n' "$(nproc)"
{
	printf '\tkernel\tmembrane\tpasta\tmembrane/kernel\tmembrane/pasta\n'
	runs sockperf && row "sockperf pp 64 B p50 (us)" p50 sockperf
	runs sockperf && row "sockperf pp 64 B p99 (us)" p99 sockperf
	runs iperf3 && row "iperf3 1 stream (Gbit/s)" gbps iperf3
	runs nginx && row "nginx keep-alive (req/s)" keepalive nginx
	runs nginx && row "nginx conn close (req/s)" close nginx
} | awk -F '\t' '
	{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
	END {
		for (r = 1; r <= NR; r++) {
			line = "|"
			for (i = 1; i <= 6; i++)
				line = line sprintf(i == 1 ? " %-*s |" : " %*s |", w[i], c[r, i])
			print line
			if (r == 1) {
				line = "|"
				for (i = 1; i <= 6; i++) {
					d = ""
					for (j = 0; j < w[i] + 2; j++) d = d "-"
					line = line d "|"
				}
				print line
			}
		}
	}'
if [ -s "$NOTES" ]; then
	printf '\nNotes (errors the runs reported):\n'
	sort "$NOTES" | uniq -c | sed 's/^ *\([0-9]*\) /  (x\1) /'
fi
