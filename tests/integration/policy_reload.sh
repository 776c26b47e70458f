#!/usr/bin/env bash
# policy_reload.sh: the agent takes a changed config without a restart.
# `membrane reload` (and SIGHUP) start a new service, restart a changed
# one with its new command or profile, stop a removed one, and leave an
# unchanged one running with the same pid.  A config that does not load,
# or that changes a membrane, is refused with its reason and changes
# nothing; a directory set by a flag does not follow the file.  No membrane traffic: the services are sleeps under photon.
: "${TEST_TIMEOUT:=180}"
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (cgroups, namespaces)"; exit 1; }

# config FILE SERVICE...: a config of sleeps, each "NAME ARG [PROFILE]".
config() {
	out=$1; shift
	echo "services:" >"$out"
	for sv in "$@"; do
		set -- $sv
		printf '  - name: %s\n    command: [sleep, "%s"]\n    profile: %s\n' \
		    "$1" "$2" "${3:-photon}" >>"$out"
	done
}
# svc_field NAME KEY: a field of the service in `membrane list --json`.
svc_field() {
	mb list --json | python3 -c 'import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]: print(s[sys.argv[2]])' "$1" "$2"
}
# running NAME: the service's state is running with a live pid.
running() {
	[ "$(svc_field "$1" state)" = running ] &&
	    [ "$(svc_field "$1" pid)" -gt 0 ] 2>/dev/null
}
# wait_until SECONDS CMD...: CMD succeeds within SECONDS.
wait_until() {
	wu_end=$(( $(date +%s) + $1 )); shift
	until "$@"; do
		[ "$(date +%s)" -lt $wu_end ] || return 1
		sleep 0.1
	done
}
gone() { [ -z "$(svc_field "$1" name)" ]; }
renewed() { [ "$(svc_field "$1" pid)" != "$2" ] && running "$1"; }
profile_is() { [ "$(svc_field "$1" profile)" = "$2" ] && running "$1"; }
sleeps() { pgrep -x sleep -a | awk -v a="$1" '$3 == a' | grep -q .; }

CFG=$T/membrane.yaml
config "$CFG" "keep 3601" "change 3602" "drop 3603"
start_agent "$CFG"
for s in keep change drop; do
	wait_until 10 running $s
	check "service $s runs" test $? -eq 0
done
keep_pid=$(svc_field keep pid)
change_pid=$(svc_field change pid)

# 1. membrane reload: add, change, remove, keep.
config "$CFG" "keep 3601" "change 3702" "add 3604"
mb reload >"$T/reload.out" 2>&1
rc=$?
check "membrane reload succeeds ($rc: $(last_lines "$T/reload.out"))" test $rc -eq 0
check "it says what it did" grep -q "1 unchanged; added: add; changed: change; removed: drop" "$T/reload.out"
wait_until 10 running add
check "the new service add runs" test $? -eq 0
wait_until 10 renewed change "$change_pid"
check "the changed service runs again with a new pid" test $? -eq 0
wait_until 10 sleeps 3702
check "with its new command (sleep 3702)" test $? -eq 0
check "and its old command is gone" not sleeps 3602
wait_until 10 gone drop
check "the removed service is gone" test $? -eq 0
check "its program with it" not sleeps 3603
check "the unchanged service kept its pid ($keep_pid)" test "$(svc_field keep pid)" = "$keep_pid"
check "the unchanged service was never restarted" test "$(svc_field keep restarts)" = 0

# 2. SIGHUP does the same: a new profile is a change.
add_pid=$(svc_field add pid)
config "$CFG" "keep 3601" "change 3702" "add 3604 electron"
kill -HUP $AGENTPID
wait_for "$T/agent.log" "SIGHUP: reloaded" 10 $AGENTPID
check "SIGHUP reloads the config" test $? -eq 0
wait_until 10 profile_is add electron
check "add runs again under electron" test $? -eq 0
check "with a new pid" test "$(svc_field add pid)" != "$add_pid"
check "keep still has its pid" test "$(svc_field keep pid)" = "$keep_pid"

# 3. A config that does not load is refused, with its line; nothing changes.
before=$(mb list --json | python3 -c 'import json, sys
print(sorted((s["name"], s["pid"]) for s in json.load(sys.stdin)["services"]))')
printf 'services:\n  - name: bad\n    command: [sleep, "1"]\n    profile: photon\n    memroy: 1G\n' >"$CFG"
mb reload >"$T/reload.out" 2>&1
rc=$?
check "a broken config is refused ($rc: $(last_lines "$T/reload.out"))" test $rc -eq 1
check "with the file, line and key" grep -q "membrane.yaml:5: .*memroy" "$T/reload.out"
check "and nothing was reloaded" grep -q "nothing was reloaded" "$T/reload.out"

# 4. A new membrane takes a restart of the agent: refused as a whole.
config "$CFG" "keep 3601" "change 3702" "add 3604 electron" "more 3605"
printf 'membranes:\n  - name: extra\n    uplink: none\n    address: 10.199.9.10/24\n' >>"$CFG"
mb reload >"$T/reload.out" 2>&1
rc=$?
check "a new membrane is refused ($rc: $(last_lines "$T/reload.out"))" \
    sh -c "[ $rc -eq 1 ] && grep -q 'membrane extra is new: that takes a restart of the agent' '$T/reload.out'"
after=$(mb list --json | python3 -c 'import json, sys
print(sorted((s["name"], s["pid"]) for s in json.load(sys.stdin)["services"]))')
check "no service changed through the refused reloads" test "$before" = "$after"
check "the service of the refused config was not started" not sleeps 3605
check "reload takes no arguments" not mb reload now 2>/dev/null

# 5. A directory the agent took from a flag does not follow the file: a
# new agent.state_dir there is no reason to refuse, and changes nothing.
config "$CFG" "keep 3601" "change 3702" "add 3604 electron"
printf 'agent:\n  state_dir: %s\n' "$T/elsewhere" >>"$CFG"
mb reload >"$T/reload.out" 2>&1
rc=$?
check "a state_dir under --state-dir reloads ($rc: $(last_lines "$T/reload.out"))" \
    sh -c "[ $rc -eq 0 ] && grep -q '3 unchanged' '$T/reload.out'"
after=$(mb list --json | python3 -c 'import json, sys
print(sorted((s["name"], s["pid"]) for s in json.load(sys.stdin)["services"]))')
check "and no service changed" test "$before" = "$after"
check "nor was the file's state_dir made" test ! -e "$T/elsewhere"

# The agent stops everything it made.
kill -TERM $AGENTPID
wait_exit $AGENTPID 15
check "the agent stops on SIGTERM" test $? -eq 0
check "no service is left" not sh -c 'pgrep -x sleep -a | grep -Eq " (3601|3604|3702)$"'
finish
