#!/usr/bin/env bash
# bench/stack: TCP through membrane-stack, side by side in one run with the
# kernel's TCP over the same veth.  A benchmark, not a test: it prints a
# table and asserts nothing.
#
#   bench/stack [--reps N] [--count N] [--bytes B]   (as root)
#
# One namespace holds the switch (AF_XDP uplink on a veth), the stack and
# the client; the kernel peer (tcpbench serve) is in another, across the
# veth.  The same client program, tcpbench, runs both ways: through the
# membrane (the app protocol) and through the kernel's own TCP on the
# uplink veth.  The client runs on CPU 0, the stack and the switch on
# CPU 1 (SWITCH_CPU=0 moves the switch), the peer on CPU 1 (PEER_CPU=0
# puts it beside the client; left to the kernel, it wanders and the
# figures with it).  Each figure is the median of --reps runs (default 3),
# the two paths taken in turn within each.
#
#   rr       64-byte request/response, latency p50 and p99 (--count, 20000)
#   stream   one connection, client to peer (--bytes, 1 GiB)
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${top_builddir:-$(cd "$here/.." && pwd)}
SWITCH=$build/netswitch/membrane-switch
STACK=$build/stack/membrane-stack
BENCH=$build/bench/tcpbench
XDP_OBJ=$build/netswitch/xdp_filter.bpf.o
REPS=3
COUNT=20000
BYTES=$((1 << 30))
PATHS="kernel membrane"
: "${PEER_CPU:=1}"
while [ $# -gt 0 ]; do
	case $1 in
	--reps) REPS=${2:?}; shift 2 ;;
	--count) COUNT=${2:?}; shift 2 ;;
	--bytes) BYTES=${2:?}; shift 2 ;;
	--paths) PATHS=${2:?}; shift 2 ;;
	-h|--help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench/stack: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/stack: run as root (network namespaces, XDP)" >&2; exit 1; }
for x in "$SWITCH" "$STACK" "$BENCH"; do
	[ -x "$x" ] || { echo "bench/stack: build first (make): no $x" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/mbbench.XXXXXX")
SNS=mbbs$$
PNS=mbbp$$
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	ip netns del $SNS 2>/dev/null
	ip netns del $PNS 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add $SNS && ip netns add $PNS || exit 1
ip -n $SNS link set lo up
ip -n $PNS link set lo up
ip link add mbbu$$ type veth peer name mbbk$$
ip link set mbbu$$ netns $SNS
ip link set mbbk$$ netns $PNS
ip -n $SNS link set mbbu$$ up
ip -n $PNS link set mbbk$$ up
ip -n $SNS addr add 10.198.0.2/24 dev mbbu$$
ip -n $PNS addr add 10.198.0.1/24 dev mbbk$$
# XDP sees frames before the kernel fills in offloaded checksums.
ip netns exec $PNS ethtool -K mbbk$$ tx off >/dev/null

ip netns exec $PNS taskset -c "$PEER_CPU" "$BENCH" serve 5001 & PIDS="$PIDS $!"
ip netns exec $SNS taskset -c ${SWITCH_CPU:-1} "$SWITCH" --uplink af_xdp:mbbu$$ \
    --ctl "$T/switch.sock" --xdp-prog "$XDP_OBJ" ${SWITCH_ARGS:-} 2>"$T/switch.log" &
PIDS="$PIDS $!"
for i in $(seq 100); do
	"$SWITCH" --stats --ctl "$T/switch.sock" >/dev/null 2>&1 && break
	sleep 0.1
done
ip netns exec $SNS taskset -c 1 "$STACK" --name bench --switch "$T/switch.sock" \
    --bus "$T/bus" --endpoint "$T/stack.sock" --address 10.198.0.10/24 \
    --sock-buffer 1M ${STACK_ARGS:-} 2>"$T/stack.log" &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -S "$T/stack.sock" ] && [ -f "$T/bus/bench" ] && break; sleep 0.1; done
[ -S "$T/stack.sock" ] || { echo "bench/stack: the stack did not start" >&2; cat "$T/stack.log" >&2; exit 1; }
# ARP both ways before timing anything.
ip netns exec $PNS ping -c 1 -W 2 10.198.0.10 >/dev/null

run() {	# run kernel|membrane rr|stream: prints the figure(s)
	local ep=
	[ "$1" = membrane ] && ep="--endpoint $T/stack.sock"
	case $2 in
	rr) ip netns exec $SNS taskset -c 0 "$BENCH" $ep rr 10.198.0.1 5001 \
	    --count "$COUNT" --size 64 ;;
	stream) ip netns exec $SNS taskset -c 0 "$BENCH" $ep stream 10.198.0.1 \
	    5001 --bytes "$BYTES" ;;
	esac
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for r in $(seq "$REPS"); do
	for path in $PATHS; do
		out=$(run $path rr) || { echo "bench/stack: $path rr failed" >&2; cat "$T/stack.log" >&2; exit 1; }
		echo "$out" | sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' >>"$T/$path.p50"
		echo "$out" | sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' >>"$T/$path.p99"
		out=$(run $path stream) || { echo "bench/stack: $path stream failed" >&2; cat "$T/stack.log" >&2; exit 1; }
		echo "$out" | sed -n 's/.*gbps=\([0-9.]*\).*/\1/p' >>"$T/$path.gbps"
	done
done

k50=$(median <"$T/kernel.p50"); m50=$(median <"$T/membrane.p50")
k99=$(median <"$T/kernel.p99"); m99=$(median <"$T/membrane.p99")
kg=$(median <"$T/kernel.gbps"); mg=$(median <"$T/membrane.gbps")
printf '\nTCP over one veth, medians of %s runs (client CPU 0, stack CPU 1, switch CPU %s, peer CPU %s)\n\n' "$REPS" "${SWITCH_CPU:-1}" "$PEER_CPU"
printf '| %-26s | %10s | %10s | %14s |\n' "" "kernel" "membrane" "membrane/kernel"
printf '|%s|%s|%s|%s|\n' "----------------------------" "------------" "------------" "-----------------"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
printf '| %-26s | %10s | %10s | %15s |\n' "rr 64 B p50 (us)" "$k50" "$m50" "$(ratio "$m50" "$k50")"
printf '| %-26s | %10s | %10s | %15s |\n' "rr 64 B p99 (us)" "$k99" "$m99" "$(ratio "$m99" "$k99")"
printf '| %-26s | %10s | %10s | %15s |\n' "stream 1 conn (Gbit/s)" "$kg" "$mg" "$(ratio "$mg" "$kg")"
