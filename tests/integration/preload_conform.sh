#!/usr/bin/env bash
# preload_conform.sh: the socket-API conformance suite (tests/conformance/
# conform) run twice over loopback: against the kernel, in a namespace of
# its own, and through libmembrane.so, in an app namespace whose lo is down
# (there only the membrane's own loopback can carry the traffic).  Each
# case whose lines differ between the two runs is a failure, shown as a
# diff (-kernel +membrane); both runs must reach "conform: done".
. "$(dirname "$0")/lib.sh"

CONFORM=$top_builddir/tests/conformance/conform
CONFORM_LIB=$top_builddir/preload/.libs/libmembrane.so
# A run that hangs in every case still ends within this many seconds.
CONFORM_BUDGET=${CONFORM_BUDGET:-300}
# CONFORM_CASES="tcp. epoll.lt": run only the cases with these prefixes.
CONFORM_CASES=${CONFORM_CASES:-}

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces)"; exit 1; }
[ -x "$CONFORM" ] || { echo "FAIL: $CONFORM is not built"; exit 1; }

# ran NAME FILE RC: the run exited 0 and reached its end.
ran() {
	check "$1: conform exits 0 ($3)" test "$3" -eq 0
	check "$1: conform reaches its end" test "$(tail -n 1 "$2")" = "conform: done"
}

# 1. The kernel.
KNS=mbk$$
mkns $KNS
t0=$(date +%s)
ip netns exec $KNS "$CONFORM" -t "$CONFORM_BUDGET" $CONFORM_CASES \
    >"$T/kernel.out" 2>"$T/kernel.err"
krc=$?
echo "   (the kernel's run: $(( $(date +%s) - t0 )) s)"
ran "kernel" "$T/kernel.out" $krc
[ -s "$T/kernel.err" ] && sed 's/^/   kernel stderr: /' "$T/kernel.err" | head -20

# 2. The membrane.
[ -f "$CONFORM_LIB" ] || { fail "$CONFORM_LIB is not built"; finish; }
stack_hosts
start_switch
start_stack
MNS=mba$$
mkns $MNS
ip -n $MNS link set lo down
preload=$CONFORM_LIB
asan=${ASAN_OPTIONS:-}
# A sanitizer build: ASan's runtime must come first of all.
if ldd "$CONFORM_LIB" 2>/dev/null | grep -q libasan; then
	preload="$(gcc -print-file-name=libasan.so):$CONFORM_LIB"
	asan="$asan detect_leaks=0 verify_asan_link_order=0"
fi
t0=$(date +%s)
ip netns exec $MNS env MEMBRANE_SOCKET="$EP" LD_PRELOAD="$preload" \
    ASAN_OPTIONS="$asan" "$CONFORM" -t "$CONFORM_BUDGET" $CONFORM_CASES \
    >"$T/membrane.out" 2>"$T/membrane.err"
mrc=$?
echo "   (the membrane's run: $(( $(date +%s) - t0 )) s)"
ran "membrane" "$T/membrane.out" $mrc
[ -s "$T/membrane.err" ] && sed 's/^/   membrane stderr: /' "$T/membrane.err" | head -40

# 3. Case by case.  A line is "CASE: TEXT"; cases are listed in the order
# the kernel's run met them, then any only the membrane's run printed.
case_lines() { awk -v c="$1: " 'index($0, c) == 1' "$2"; }
same=0
differ=0
for c in $(sed -n 's/^\([A-Za-z0-9_.]*\): .*/\1/p' "$T/kernel.out" \
    "$T/membrane.out" | awk '$0 != "conform" && !seen[$0]++'); do
	case_lines "$c" "$T/kernel.out" >"$T/k.case"
	case_lines "$c" "$T/membrane.out" >"$T/m.case"
	if cmp -s "$T/k.case" "$T/m.case"; then
		same=$((same + 1))
	else
		differ=$((differ + 1))
		fail "$c differs (-kernel +membrane):"
		diff -U 4 "$T/k.case" "$T/m.case" | tail -n +3 | sed 's/^/    /'
	fi
done
echo "   ($same cases the same, $differ different)"
check "the runs compared at least one case" test $((same + differ)) -gt 0
finish
