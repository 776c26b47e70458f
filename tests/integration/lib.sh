# lib.sh: shared helpers of the integration tests (sourced, not run).
#
# Every test makes its own scratch directory and, if it needs them, network
# namespaces whose names start with "mb"; cleanup removes all of them and
# every process the test started, on success and on failure alike.

set -u

: "${top_builddir:?run from make check, or set top_builddir}"
SWITCH=$top_builddir/netswitch/membrane-switch
SWPROBE=$top_builddir/tests/tools/swprobe
XDP_OBJ=$top_builddir/netswitch/xdp_filter.bpf.o

T=$(mktemp -d "${TMPDIR:-/tmp}/mbtest.XXXXXX")
PIDS=
NETNS=
FAILS=0

# A test never hangs: past TEST_TIMEOUT seconds it is stopped, and fails.
: "${TEST_TIMEOUT:=600}"
(
	trap 'kill $s 2>/dev/null; exit 0' TERM
	sleep "$TEST_TIMEOUT" & s=$!
	wait $s && { echo "FAIL: timed out after $TEST_TIMEOUT s"; kill -TERM $$; }
) &
WATCHDOG=$!

cleanup() {
	kill "$WATCHDOG" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for n in $NETNS; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Remember a background process for cleanup.
track() { PIDS="$PIDS $1"; }

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
# check DESCRIPTION COMMAND...: run it, count a failure if it fails.
check() {
	desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# Make a namespace (name must start with mb) and remember it.
mkns() {
	case $1 in mb*) ;; *) echo "namespace $1 must start with mb" >&2; exit 1 ;; esac
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || exit 1
	NETNS="$NETNS $1"
	ip -n "$1" link set lo up
}

# Wait until the switch's control socket answers, up to 10 s.
wait_switch() {
	i=0
	while [ $i -lt 100 ]; do
		"$SWITCH" --stats --ctl "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "the switch at $1 never answered" >&2
	return 1
}

# counter CTL PORT-NAME COLUMN: one counter of membrane-switch --stats.
counter() {
	"$SWITCH" --stats --ctl "$1" | awk -v n="$2" -v c="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$3 == n { print $(col[c]); found = 1 }
		END { if (!found) print "none" }'
}

# The result line of a test.
finish() {
	if [ "$FAILS" -eq 0 ]; then
		echo "all passed"
		exit 0
	fi
	echo "$FAILS failed"
	exit 1
}
