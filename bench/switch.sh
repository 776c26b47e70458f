#!/usr/bin/env bash
# bench/switch: frames per second through membrane-switch, side by side in
# one run with the Linux kernel bridging the same traffic between veth
# pairs.  A benchmark, not a test: it prints a table and asserts nothing.
#
#   bench/switch [--seconds N] [--reps N] [--unpinned]   (as root)
#
# Each figure is the median of --reps runs (default 3), the paths taken in
# turn within each repetition so that the machine's noise falls on all.
#
# Placement (unless --unpinned, or on one CPU): the kernel's end of the
# wire (the peer's sender or receiver) on CPU 0; the switch and the
# program on its port on CPU 1, as a host would keep its membrane off the
# CPU that serves the wire.  The bridge's sender on CPU 0 (the bridge
# forwards inside it), its receiver on CPU 1; port to port, the program
# on CPU 0 and the switch on CPU 1.
#
# Paths (64- and 1500-byte frames):
#   kernel bridge     AF_PACKET sender -> veth -> bridge -> veth -> AF_PACKET receiver
#   port to port      one ION port to another through the switch (no uplink)
#   uplink to port    AF_PACKET sender on the peer -> veth -> uplink -> port
#   port to uplink    port -> uplink -> veth -> AF_PACKET receiver on the peer
# for both uplinks (af_xdp, dpdk with net_af_packet).  Ratios are to the
# kernel bridge at the same frame size.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${top_builddir:-$(cd "$here/.." && pwd)}	# run from the build tree's bench/
SWITCH=$build/netswitch/membrane-switch
GEN=$build/bench/swgen
XDP_OBJ=$build/netswitch/xdp_filter.bpf.o
SECS=3
REPS=3
PIN=yes
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=${2:?}; shift 2 ;;
	--reps) REPS=${2:?}; shift 2 ;;
	--unpinned) PIN=no; shift ;;
	-h|--help) sed -n '2,24s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench/switch: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/switch: run as root (network namespaces, XDP)" >&2; exit 1; }
[ -x "$SWITCH" ] && [ -x "$GEN" ] || { echo "bench/switch: build first (make)" >&2; exit 1; }
# C0, C1: the commands that place a process on CPU 0 or CPU 1.
C0= C1=
if [ "$PIN" = yes ] && [ "$(nproc)" -ge 2 ]; then
	C0="taskset -c 0" C1="taskset -c 1"
else
	PIN=no
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/mbbench.XXXXXX")
NS="mbbg$$ mbbk$$ mbbr$$ mbbs$$ mbbp$$"
cleanup() {
	pkill -f "membrane-switch.*$T" 2>/dev/null
	for n in $NS; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
for n in $NS; do ip netns add "$n"; ip -n "$n" link set lo up; done

veth() {	# veth NS-A IF-A NS-B IF-B
	ip link add "$2" type veth peer name "$4"
	ip link set "$2" netns "$1"
	ip link set "$4" netns "$3"
	for x in "$1 $2" "$3 $4"; do
		set -- $x
		ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
		ip -n "$1" link set "$2" up
	done
}

# Kernel bridge: generator ns -- bridge ns -- receiver ns.
veth mbbg$$ mbga$$ mbbk$$ mbka$$
veth mbbk$$ mbkb$$ mbbr$$ mbrb$$
ip -n mbbk$$ link add br0 type bridge
ip -n mbbk$$ link set mbka$$ master br0
ip -n mbbk$$ link set mbkb$$ master br0
ip -n mbbk$$ link set br0 up
RMAC=$(ip netns exec mbbr$$ cat /sys/class/net/mbrb$$/address)
# Teach the bridge where RMAC lives, so it forwards instead of flooding.
ip -n mbbk$$ link set br0 type bridge ageing_time 100000
bridge -n mbbk$$ fdb add "$RMAC" dev mbkb$$ master static 2>/dev/null

# Switch host and peer.
veth mbbs$$ mbsu$$ mbbp$$ mbpk$$
PMAC=$(ip netns exec mbbp$$ cat /sys/class/net/mbpk$$/address)
PORT=02:00:00:00:b0:0d

# rx-side measure: run the receiver, then the sender; print fps.
measure() {	# measure "RECEIVER CMD" "SENDER CMD"
	eval "$1" >"$T/rx.out" 2>"$T/rx.err" &
	rx=$!
	for i in $(seq 50); do grep -q ready "$T/rx.out" 2>/dev/null && break; sleep 0.1; done
	eval "$2" >/dev/null 2>"$T/tx.err" &
	tx=$!
	wait $rx
	kill $tx 2>/dev/null; wait $tx 2>/dev/null
	awk '/^frames/ {print $6}' "$T/rx.out"
}

declare -A R
# add KEY FPS: remember one repetition's figure.
add() { R[$1]="${R[$1]:-} ${2:-0}"; }
median() { echo $* | tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

start_switch() {	# start_switch SPEC
	$C1 ip netns exec mbbs$$ "$SWITCH" --uplink "$1" --ctl "$T/sw.sock" \
	    --xdp-prog "$XDP_OBJ" 2>>"$T/switch.log" &
	SW=$!
	for i in $(seq 100); do "$SWITCH" --stats --ctl "$T/sw.sock" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "bench/switch: the switch did not start; see below" >&2
	cat "$T/switch.log" >&2
	return 1
}
stop_switch() { kill $SW 2>/dev/null; wait $SW 2>/dev/null; }

for rep in $(seq "$REPS"); do
	echo "bench/switch: repetition $rep/$REPS" >&2
	for size in 64 1500; do
		add bridge,$size "$(measure \
		    "$C1 ip netns exec mbbr$$ $GEN raw-rx mbrb$$ $SECS" \
		    "$C0 ip netns exec mbbg$$ $GEN raw-tx mbga$$ $RMAC $size $((SECS + 3))")"
	done
	start_switch none || exit 1
	for size in 64 1500; do
		add p2p,$size "$($C0 ip netns exec mbbs$$ $GEN p2p "$T/sw.sock" $size $SECS | awk '{print $6}')"
	done
	stop_switch
	for be in af_xdp dpdk; do
		case $be in
		af_xdp) spec=af_xdp:mbsu$$ ;;
		# A 512-frame PACKET_MMAP ring (1 MiB) stays in cache; 4096
		# frames ran some 10% slower from port to uplink.
		dpdk) spec="dpdk:--no-huge -m 512 --no-pci --no-shconf --file-prefix=mbb$$ --log-level=error --vdev=net_af_packet0,iface=mbsu$$,framecnt=512" ;;
		esac
		start_switch "$spec" || continue
		for size in 64 1500; do
			add up2port,$be,$size "$(measure \
			    "$C1 ip netns exec mbbs$$ $GEN port-rx $T/sw.sock $PORT $SECS" \
			    "$C0 ip netns exec mbbp$$ $GEN raw-tx mbpk$$ $PORT $size $((SECS + 3))")"
			add port2up,$be,$size "$(measure \
			    "$C0 ip netns exec mbbp$$ $GEN raw-rx mbpk$$ $SECS" \
			    "$C1 ip netns exec mbbs$$ $GEN port-tx $T/sw.sock $PMAC $size $((SECS + 3))")"
		done
		stop_switch
	done
done
for k in "${!R[@]}"; do R[$k]=$(median ${R[$k]}); done

row() {	# row LABEL SIZE FPS
	local fps=${3:-0} base=${R[bridge,$2]:-0}
	[ -n "$fps" ] || fps=0
	awk -v l="$1" -v s="$2" -v f="$fps" -v b="$base" 'BEGIN {
		r = "-"; ns = 0
		if (b > 0) r = sprintf("%.2fx", f / b)
		if (f > 0) ns = 1e9 / f
		printf "%-28s %6d %12.3f %10.1f %10s\n", l, s, f / 1e6, ns, r }'
}
echo "membrane-switch vs the kernel bridge: medians of $REPS runs of $SECS s, $(nproc) CPUs$([ $PIN = yes ] && echo ", pinned")"
printf "%-28s %6s %12s %10s %10s\n" path bytes Mframes/s ns/frame vs-bridge
for size in 64 1500; do
	row "kernel bridge (veth)" $size "${R[bridge,$size]}"
	row "port to port" $size "${R[p2p,$size]}"
	for be in af_xdp dpdk; do
		row "uplink to port ($be)" $size "${R[up2port,$be,$size]:-}"
		row "port to uplink ($be)" $size "${R[port2up,$be,$size]:-}"
	done
done
