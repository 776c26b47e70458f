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
	wait $s || exit 0
	echo "FAIL: timed out after $TEST_TIMEOUT s"
	# What everything was doing, and the last words of every log.
	echo "--- processes:"
	ps -eo pid,ppid,stat,wchan:24,etime,args --forest |
	    awk -v top=$$ 'NR == 1 || $2 == top || seen[$2] { seen[$1] = 1; print }'
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f") (last 20 lines):"
		tail -n 20 "$f"
	done
	kill -TERM $$
) &
WATCHDOG=$!

# Every process below this shell, deepest first.
descendants() {
	for c in $(pgrep -P "$1"); do
		descendants "$c"
		echo "$c"
	done
}

cleanup() {
	kill "$WATCHDOG" 2>/dev/null
	# What the test tracked, and whatever those started (a shell function
	# in the background is a subshell; the program it runs is its child).
	ALL="$PIDS $(descendants $$)"
	for p in $ALL; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $ALL; do kill -9 "$p" 2>/dev/null; done
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

# cpu_ns PID: nanoseconds of CPU that PID has used so far (the
# scheduler's own count, finer than clock ticks).
cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }
# under_idle_bound NS SECONDS: NS of CPU over SECONDS is under IDLE_PCT% of a CPU.
# A sanitizer build does several times the work for each wake-up: there
# the bound is 5%, and the 1% holds in the plain build.
if ldd "$top_builddir/stack/membrane-stack" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	IDLE_PCT=5
else
	IDLE_PCT=1
fi
under_idle_bound() { [ "$1" -lt $(( $2 * 10000000 * IDLE_PCT )) ]; }

# The result line of a test.
finish() {
	if [ "$FAILS" -eq 0 ]; then
		echo "all passed"
		exit 0
	fi
	echo "$FAILS failed"
	# The daemons' view of what went wrong, for the log of the test.
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f") (last 40 lines):"
		tail -n 40 "$f"
	done
	exit 1
}

# --- The stack tests' hosts ----------------------------------------------
# stack_hosts: a namespace $SNS for the switch and the stack, a peer
# namespace $PNS whose kernel is 10.199.0.1, a veth ($UP, $PK) between.
STACK=$top_builddir/stack/membrane-stack
PROBE=$top_builddir/tests/tools/stackprobe
PEER_PY=$(cd "$(dirname "$0")" && pwd)/peer.py

stack_hosts() {
	[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces, XDP)"; exit 1; }
	SNS=mbs$$
	PNS=mbp$$
	UP=mbu$$
	PK=mbk$$
	CTL=$T/switch.sock
	EP=$T/web.sock
	mkns $SNS
	mkns $PNS
	ip link add $UP type veth peer name $PK || exit 1
	ip link set $UP netns $SNS
	ip link set $PK netns $PNS
	ip -n $SNS link set $UP up
	ip -n $PNS link set $PK up
	ip -n $SNS addr add 10.199.0.2/24 dev $UP
	ip -n $PNS addr add 10.199.0.1/24 dev $PK
	# XDP sees frames before the kernel completes offloaded checksums:
	# a kernel peer on veth must compute them itself.
	ip netns exec $PNS ethtool -K $PK tx off >/dev/null
}

# start_switch [ARGS...]: the switch on $UP; its pid in $SWPID.
start_switch() {
	ip netns exec $SNS "$SWITCH" --uplink af_xdp:$UP --ctl "$CTL" \
	    --xdp-prog "$XDP_OBJ" "$@" 2>>"$T/switch.log" &
	SWPID=$!
	track $SWPID
	wait_switch "$CTL" || { cat "$T/switch.log"; exit 1; }
}

# start_stack [ARGS...]: stack "web" at 10.199.0.10 with its endpoint at
# $EP; waits until the endpoint is open and the peer reaches it.
start_stack() {
	ip netns exec $SNS "$STACK" --name web --switch "$CTL" --bus "$T/bus" \
	    --endpoint "$EP" --address 10.199.0.10/24 --gateway 10.199.0.1 \
	    "$@" 2>>"$T/stack.log" &
	STPID=$!
	track $STPID
	for i in $(seq 100); do
		[ -S "$EP" ] && [ -f "$T/bus/web" ] && break
		sleep 0.1
	done
	[ -S "$EP" ] || { echo "FAIL: the stack did not open $EP"; cat "$T/stack.log"; exit 1; }
	ip netns exec $PNS ping -c 1 -W 2 10.199.0.10 >/dev/null
}

probe() { ip netns exec $SNS "$PROBE" --endpoint "$EP" "$@"; }
peer() { ip netns exec $PNS python3 "$PEER_PY" "$@"; }

# peer_bg ARGS...: a peer server in the background ($PEERPID), once it
# listens.
peer_bg() {
	rm -f "$T/ready"
	peer "$@" --ready "$T/ready" &
	PEERPID=$!
	track $PEERPID
	for i in $(seq 100); do [ -f "$T/ready" ] && return 0; sleep 0.05; done
	echo "the peer server never listened" >&2
	return 1
}

# Each step starts without the files of the one before.
fresh() { rm -f "$T"/peer*.sha "$T"/probe*.sha "$T"/peer*.out "$T"/peer*.err "$T"/probe*.err "$T"/probe*.out; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# same FILE SHA: FILE ("SHA BYTES" or sha256sum's line) records SHA.
same() { [ "$(cut -d' ' -f1 "$1" 2>/dev/null)" = "$2" ]; }
# inverted_sha FILE: the SHA-256 of FILE with every byte inverted (what
# the peer sends with --invert).
inverted_sha() { python3 "$PEER_PY" invert <"$1" | sha256sum | cut -d' ' -f1; }
# wait_line FILE TEXT: wait up to 5 s until FILE holds TEXT.
wait_line() {
	for i in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# both_ways LABEL PORT FILE: stackprobe connects to a peer server on PORT
# and both send FILE at once (the peer with every byte inverted); both exit
# 0 and each gets the other's bytes intact.
both_ways() {
	fresh
	peer_bg serve "$2" --send "$3" --invert --sha-out "$T/peer.sha" || return
	bw_t0=$(date +%s)
	probe tcp-connect 10.199.0.1 "$2" <"$3" 2>"$T/probe.err" |
	    sha256sum >"$T/probe.sha"
	bw_rc=${PIPESTATUS[0]}
	wait $PEERPID
	bw_prc=$?
	bw_n=$(stat -c %s "$3")
	check "$1: stackprobe and the peer exit 0 ($bw_rc $bw_prc, $(cat "$T/probe.err"))" \
	    test $bw_rc -eq 0 -a $bw_prc -eq 0
	check "$1: the peer got our $bw_n bytes intact" same "$T/peer.sha" "$(sha "$3")"
	check "$1: we got the peer's $bw_n bytes intact" same "$T/probe.sha" "$(inverted_sha "$3")"
	echo "   ($1: $bw_n bytes each way in $(( $(date +%s) - bw_t0 )) s)"
}

# --- Unmodified programs through the membrane ------------------------------
# app_ns: the app namespace $ANS, nothing in it but loopback: a program
# there reaches the network only through libmembrane.so and the stack's
# endpoint $EP (a unix socket, reached through the filesystem). Peers
# reach it at $APP_ADDR, the stack's address.
#
# MB_KERNEL=1 runs the programs on the kernel of $SNS instead (its address
# 10.199.0.2 in $APP_ADDR), without the library: the tests' own scaffolding
# checked on its own.
PRELOAD_LIB=$top_builddir/preload/.libs/libmembrane.so

app_ns() {
	ANS=mba$$
	mkns $ANS
	APP_PRELOAD=
	APP_ASAN=
	if [ "${MB_KERNEL:-0}" = 1 ]; then
		APP_ADDR=10.199.0.2
		echo "   (MB_KERNEL=1: the programs run on the kernel of $SNS, without libmembrane.so)"
		return 0
	fi
	APP_ADDR=10.199.0.10
	[ -f "$PRELOAD_LIB" ] || { echo "FAIL: $PRELOAD_LIB is not built"; exit 1; }
	APP_PRELOAD=$PRELOAD_LIB
	# A sanitizer build: ASan's runtime must come first of all.
	if ldd "$PRELOAD_LIB" 2>/dev/null | grep -q libasan; then
		APP_PRELOAD="$(gcc -print-file-name=libasan.so):$PRELOAD_LIB"
		APP_ASAN=detect_leaks=0:verify_asan_link_order=0
	fi
}

# asan_hangs PROG: in a sanitizer build, PROG cannot run at all under
# LD_PRELOAD of ASan's runtime, our library or not (curl and wget hang in
# glibc's setlocale with libasan preloaded): the step is left to the plain
# build, which runs it.  Proven each time, never assumed.
asan_hangs() {
	[ -n "${APP_ASAN:-}" ] || return 1
	LD_PRELOAD="$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS="$APP_ASAN" \
	    timeout 5 "$1" --version >/dev/null 2>&1
	[ $? = 124 ] || return 1
	echo "   ($1 hangs under libasan's LD_PRELOAD alone, without libmembrane.so: its steps run in the plain build only)"
}

# The command line that puts a program in the app namespace, preloaded.
app_argv() {
	if [ "${MB_KERNEL:-0}" = 1 ]; then
		APP_ARGV=(ip netns exec "$SNS")
	else
		APP_ARGV=(ip netns exec "$ANS" env MEMBRANE_SOCKET="$EP"
		    LD_PRELOAD="$APP_PRELOAD" ${APP_ASAN:+ASAN_OPTIONS=$APP_ASAN})
	fi
}

# app CMD...: run CMD through the membrane, stopped past TMO seconds
# (120; exit status 124 then): a program that hangs fails the step, not
# the whole test.
app() { app_argv; timeout --foreground -k 5 "${TMO:-120}" "${APP_ARGV[@]}" "$@"; }
# app_bg CMD...: the same in the background; the program's pid in $APPPID.
# (Its standard input is the caller's: bash gives a background command
# /dev/null unless it is redirected.)
app_bg() {
	app_argv
	"${APP_ARGV[@]}" "$@" <&0 &
	APPPID=$!
	track $APPPID
}

# pns CMD...: run CMD on the peer's kernel (stopped past TMO seconds, as
# app); pns_bg in the background, its pid in $PNSPID; peer_run ARGS...:
# peer.py in the foreground, so limited.
pns() { timeout --foreground -k 5 "${TMO:-120}" ip netns exec "$PNS" "$@"; }
peer_run() { pns python3 "$PEER_PY" "$@"; }
pns_bg() {
	ip netns exec "$PNS" "$@" <&0 &
	PNSPID=$!
	track $PNSPID
}

# wait_for FILE REGEX SECONDS [PID [COUNT]]: wait until COUNT (1) lines of
# FILE match REGEX (grep's basic syntax); fails past SECONDS, or at once
# if PID has exited.
wait_for() {
	wf_end=$(( $(date +%s) + $3 ))
	while [ "$(count_lines "$1" "$2")" -lt "${5:-1}" ]; do
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			[ "$(count_lines "$1" "$2")" -ge "${5:-1}" ]
			return
		fi
		[ "$(date +%s)" -lt $wf_end ] || return 1
		sleep 0.05
	done
}

# count_lines FILE REGEX: how many lines of FILE match (0 if no FILE).
count_lines() { cat "$1" 2>/dev/null | grep -c -- "$2"; }

# wait_listen NS PORT [tcp|udp]: a kernel socket in NS is bound to PORT
# (listening, for TCP); up to 10 s.
wait_listen() {
	wl_flags=-Hltn
	[ "${3:-tcp}" = udp ] && wl_flags=-Hlun
	for wl_i in $(seq 200); do
		[ -n "$(ip netns exec "$1" ss $wl_flags "sport = :$2")" ] && return 0
		sleep 0.05
	done
	echo "nothing listens on port $2 in $1" >&2
	return 1
}

# stop_bg PID: end a background process (and what it started), TERM then,
# after 5 s, KILL; returns its exit status.
stop_bg() {
	sb_all="$(descendants "$1") $1"
	for sb_p in $sb_all; do kill "$sb_p" 2>/dev/null; done
	for sb_i in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$1" 2>/dev/null; then
		for sb_p in $sb_all; do kill -9 "$sb_p" 2>/dev/null; done
	fi
	wait "$1" 2>/dev/null
}

# wait_exit PID SECONDS: wait for a background process to end; returns
# its exit status, or 124 if it was still running past SECONDS (then it
# is stopped).
wait_exit() {
	we_end=$(( $(date +%s) + $2 ))
	while kill -0 "$1" 2>/dev/null; do
		if [ "$(date +%s)" -ge $we_end ]; then
			stop_bg "$1"
			return 124
		fi
		sleep 0.05
	done
	wait "$1"
}

# sha_is FILE SHA: FILE exists and its SHA-256 is SHA.
sha_is() { [ -f "$1" ] && [ "$(sha "$1")" = "$2" ]; }
# last_lines FILE [N]: the last N (3) lines of a program's output on one
# line, for a check's description.
last_lines() { tail -n "${2:-3}" "$1" 2>/dev/null | tr -d '\r' | tr '\n' ' ' | sed 's/ *$//' | cut -c1-400; }
# alive PID...: every PID still runs.
alive() { for al_p in "$@"; do kill -0 "$al_p" 2>/dev/null || return 1; done; }
# not CMD...: succeeds when CMD fails (for check).
not() { ! "$@"; }

# --- The policy tests: membrane-agent and the membrane command -----------
AGENT=$top_builddir/policy/membrane-agent
MEMBRANE_CMD=$top_builddir/policy/membrane

# start_agent CONFIG [NS]: the agent on CONFIG (in namespace NS if given),
# with everything under $T; its control socket $ASOCK, its pid $AGENTPID,
# its log $T/agent.log.  Waits until it says it is ready.  (nsenter, not
# ip netns exec: that one remounts /sys, which hides the cgroup mounts.)
start_agent() {
	ASOCK=$T/agent.sock
	# Services run as nobody: they must reach the endpoints below $T.
	chmod 755 "$T"
	mkdir -p "$T/state" "$T/run"
	AGENT_PRELOAD=$PRELOAD_LIB
	if ldd "$PRELOAD_LIB" 2>/dev/null | grep -q libasan; then
		AGENT_PRELOAD="$(gcc -print-file-name=libasan.so):$PRELOAD_LIB"
	fi
	${2:+nsenter --net=/run/netns/$2} "$AGENT" -f -v -c "$1" -s "$ASOCK" \
	    --state-dir "$T/state" --run-dir "$T/run" --switch-bin "$SWITCH" \
	    --stack-bin "$STACK" --xdp-prog "$XDP_OBJ" \
	    --preload "$AGENT_PRELOAD" 2>>"$T/agent.log" &
	AGENTPID=$!
	track $AGENTPID
	wait_for "$T/agent.log" "ready:" 20 $AGENTPID || {
		echo "FAIL: the agent did not start: $(last_lines "$T/agent.log" 5)"
		exit 1
	}
}

# mb ARGS...: the membrane command against the test's agent, stopped past
# TMO seconds (120).
mb() { timeout --foreground -k 5 "${TMO:-120}" "$MEMBRANE_CMD" -s "$ASOCK" "$@"; }

# The environment a program run by the agent needs in a sanitizer build.
if ldd "$top_builddir/preload/.libs/libmembrane.so" 2>/dev/null | grep -q libasan; then
	MB_ENV="--env ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0"
else
	MB_ENV=
fi

# json_field JSON KEY...: a value from inspect --json.
json_field() { printf '%s' "$1" | python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1:]: v = v[k]
print(v)' "${@:2}"; }
