#!/usr/bin/env bash
# policy_agent.sh: membrane-agent and the membrane command on a real host
# made of namespaces: the agent (in $SNS) starts the AF_XDP switch and the
# stack of membrane "web" (10.199.0.10, the kernel peer is 10.199.0.1) and
# keeps a photon service running.  Then: `membrane run` passes the exit
# status through and curl fetches a file through the membrane (SHA-256);
# a stack killed with -9 is back within a second with the same name, MAC
# and address, and a new connection through it works; stretch raises
# memory.high and contracts back by itself; transition photon -> electron
# changes the limits of the running service and names what needs a
# restart; breathing contracts a service whose connections fail, and the
# log says why; a raw socket is a security event; rupture closed / open /
# loud; a malformed control message breaks nothing; a reload that changes
# the membrane, or adds a user its stack does not admit, is refused; at the
# end the agent removes every process and cgroup it made.
: "${TEST_TIMEOUT:=300}"
. "$(dirname "$0")/lib.sh"

stack_hosts
RAWSOCK=$top_builddir/tests/tools/rawsock
mkdir -p "$T/www"
head -c 8M /dev/urandom >"$T/www/blob.bin"
SHA=$(sha "$T/www/blob.bin")

cat >"$T/membrane.yaml" <<EOF
agent:
  alert_hook: "echo \$MEMBRANE_SERVICE \$MEMBRANE_EVENT >> $T/alerts"
profiles:
  - name: watchful
    extends: photon
    breathing:
      interval: 1s
      trust_signals:
        - metric: error_rate
          threshold: 0.01
          action: contract
membranes:
  - name: web
    uplink: af_xdp:$UP
    address: 10.199.0.10/24
    gateway: 10.199.0.1
services:
  - name: idle
    command: [sleep, "3600"]
    profile: photon
    membrane: web
EOF
start_agent "$T/membrane.yaml" $SNS
BUS=$T/run/bus/net/web
for i in $(seq 100); do [ -f "$BUS" ] && break; sleep 0.1; done
check "the agent's stack published web on the bus" test -f "$BUS"
ip netns exec $PNS ping -c 1 -W 2 10.199.0.10 >/dev/null
check "the peer reaches the membrane's address" test $? -eq 0
wait_for "$T/agent.log" "service idle started" 10 $AGENTPID
check "the config's service idle is started" test $? -eq 0

# 1. run: exit status, stdio, and curl through the membrane.
mb run $MB_ENV -- sh -c 'echo out; echo err >&2; exit 7' >"$T/run.out" 2>"$T/run.err"
rc=$?
check "run passes the exit status through ($rc)" test $rc -eq 7
check "run gives the program the caller's stdout and stderr" \
    test "$(cat "$T/run.out")/$(cat "$T/run.err")" = "out/err"
mb run $MB_ENV -- sh -c 'kill -TERM $$'
rc=$?
check "a program killed by SIGTERM: status 143 ($rc)" test $rc -eq 143
mb run --profile nosuch -- true 2>"$T/run.err"
rc=$?
check "run under an unknown profile is refused ($rc: $(last_lines "$T/run.err"))" \
    grep -q "no profile named nosuch" "$T/run.err"

pns_bg python3 -u -m http.server 8000 --bind 10.199.0.1 --directory "$T/www" \
    >"$T/peer_http.log" 2>&1
wait_listen $PNS 8000 || fail "python3 http.server on the peer"
app_ns
if ! asan_hangs curl; then
	mb run $MB_ENV -- curl -sS --fail --noproxy '*' --max-time 60 \
	    http://10.199.0.1:8000/blob.bin >"$T/curl.out" 2>"$T/curl.err"
	rc=$?
	check "curl under photon exits 0 ($rc, $(last_lines "$T/curl.err"))" test $rc -eq 0
	check "curl under photon: 8 MiB intact through the membrane" sha_is "$T/curl.out" "$SHA"
fi
# python3's client where curl cannot run (the ASan build), both builds.
mb run $MB_ENV -- python3 -c 'import urllib.request, sys
sys.stdout.buffer.write(urllib.request.urlopen("http://10.199.0.1:8000/blob.bin", timeout=60).read())' \
    >"$T/py.out" 2>"$T/py.err"
check "python3 under photon: 8 MiB intact ($(last_lines "$T/py.err"))" sha_is "$T/py.out" "$SHA"

# 2. A security event: a raw kernel socket is denied and logged.
mb run $MB_ENV -- "$RAWSOCK" >"$T/raw.out" 2>&1
rc=$?
check "a raw socket(AF_INET) under photon fails ($rc: $(last_lines "$T/raw.out"))" test $rc -ne 0
check "the agent logged the security event" \
    grep -q "security event: run[0-9]*: pid [0-9]* called socket" "$T/agent.log"

# glibc's own datagram sockets (the resolver's, getaddrinfo's probe) are
# refused too, but they are no security event.
before=$(grep -c "security event" "$T/agent.log")
mb run $MB_ENV -- python3 -c 'import socket
socket.getaddrinfo("localhost", 80)
try: socket.gethostbyaddr("10.199.0.1")
except OSError: pass' >/dev/null 2>&1
check "name lookups inside photon make no security event" \
    test "$(grep -c "security event" "$T/agent.log")" -eq "$before"

# Signals to `membrane run` reach the program.
mb run $MB_ENV -- sleep 100 &
runpid=$!
sleep 1
kill -TERM $runpid
wait_exit $runpid 5
rc=$?
check "SIGTERM to membrane run ends its program: status 143 ($rc)" test $rc -eq 143

# 3. The stack killed with -9 is restarted within a second, the same.
bus_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$BUS" "$1" 2>/dev/null; }
for i in $(seq 100); do bus_field addresses | grep -q fe80 && break; sleep 0.05; done
old_pid=$(bus_field pid)
old_mac=$(bus_field mac)
old_addr=$(bus_field addresses)
kill -9 "$old_pid"
t0=$(date +%s%N)
new_pid=$old_pid
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 3000 ]; do
	new_pid=$(bus_field pid)
	[ -n "$new_pid" ] && [ "$new_pid" != "$old_pid" ] && break
	sleep 0.02
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "the stack is back in $ms ms (under 1000), pid $old_pid -> $new_pid" \
    test "$new_pid" != "$old_pid" -a $ms -lt 1000
# The IPv6 link-local address comes back after duplicate address detection.
for i in $(seq 100); do [ "$(bus_field addresses)" = "$old_addr" ] && break; sleep 0.05; done
check "with the same MAC ($old_mac) and addresses ($old_addr)" \
    test "$(bus_field mac)" = "$old_mac" -a "$(bus_field addresses)" = "$old_addr"
check "the agent counted the restart" grep -q "stack web (pid $old_pid) killed by signal 9: restart 1" "$T/agent.log"
mb run $MB_ENV -- python3 -c 'import urllib.request, sys
sys.stdout.buffer.write(urllib.request.urlopen("http://10.199.0.1:8000/blob.bin", timeout=60).read())' \
    >"$T/py2.out" 2>"$T/py2.err"
check "a new connection through the restarted stack ($(last_lines "$T/py2.err"))" sha_is "$T/py2.out" "$SHA"

# 4. inspect and list.
mb inspect idle >"$T/inspect.txt"
check "inspect: capabilities cap_net_bind_service only" grep -q "^capabilities  cap_net_bind_service$" "$T/inspect.txt"
check "inspect: seccomp default-restrict, filter mode" grep -q "^seccomp       default-restrict (Seccomp: 2)" "$T/inspect.txt"
check "inspect: the membrane and its address" grep -q "^membrane      web.*10.199.0.10" "$T/inspect.txt"
J=$(mb inspect idle --json)
check "inspect --json: memory.max 128M" test "$(json_field "$J" cgroup limits memory.max)" = 134217728
mb create holder $MB_ENV -- python3 -c 'import socket, time
s = socket.create_connection(("10.199.0.1", 8000))
print("connected", flush=True)
time.sleep(3600)' >/dev/null
wait_for "$T/state/holder.log" "^connected" 10
check "holder connected through the membrane ($(last_lines "$T/state/holder.log"))" test $? -eq 0
check "inspect shows holder's own socket, established to the peer" \
    grep -q "sock [0-9]* tcp established 10.199.0.10:[0-9]* -> 10.199.0.1:8000" <<<"$(mb inspect holder)"
mb stop holder >/dev/null
mb list >"$T/list.txt"
check "list: idle runs under photon on web" grep -q "^idle  *photon  *web  *running" "$T/list.txt"
check "list: the stack's restart is counted" grep -q "^stack  *web  *[0-9]*  *1  *running" "$T/list.txt"

# 5. stretch raises memory.high, and it contracts back by itself.
CG=$(json_field "$J" cgroup backend)
mb stretch idle --memory 100M --duration 2s >"$T/stretch.out"
J=$(mb inspect idle --json)
check "stretch: memory.high 100M ($(cat "$T/stretch.out"))" \
    test "$(json_field "$J" cgroup limits memory.high)" = 104857600
cgpath=$(mb inspect idle | awk '/^cgroup/ { print $3 }')
if [ "$CG" = v1 ]; then high_file=$cgpath/memory.soft_limit_in_bytes; else high_file=$cgpath/memory.high; fi
check "stretch: the cgroup's own file says 100M" test "$(cat "$high_file")" = 104857600
wait_for "$T/agent.log" "stretch of idle ended: contracted back" 6 $AGENTPID
check "the stretch ended by itself after its duration" test $? -eq 0
J=$(mb inspect idle --json)
check "contracted back: memory.high 64M" test "$(json_field "$J" cgroup limits memory.high)" = 67108864
check "the cgroup's own file says 64M again" test "$(cat "$high_file")" = 67108864
mb stretch idle --duration 2s 2>"$T/bad.err"
check "stretch without a limit is refused with a reason" grep -q "what to stretch" "$T/bad.err"

# contract: tighter by hand, never below what is in use, and back.
mb contract idle --memory 32M >/dev/null
J=$(mb inspect idle --json)
check "contract --memory 32M: memory.high 32M" test "$(json_field "$J" cgroup limits memory.high)" = 33554432
mb contract idle --pids 1 2>"$T/bad.err"
rc=$?
check "contract --pids 1 under 2 processes is refused ($rc: $(last_lines "$T/bad.err"))" \
    grep -q "pids.max 1 is below the current usage" "$T/bad.err"
mb contract idle >/dev/null
J=$(mb inspect idle --json)
check "contract with no limit: back to the profile's 64M" test "$(json_field "$J" cgroup limits memory.high)" = 67108864

# 6. transition photon -> electron, live.
mb transition idle --from photon --to electron >"$T/trans.out" 2>&1
rc=$?
check "transition exits 0 ($rc: $(last_lines "$T/trans.out"))" test $rc -eq 0
J=$(mb inspect idle --json)
check "transition: memory.max 1G" test "$(json_field "$J" cgroup limits memory.max)" = 1073741824
check "transition: pids.max 4096" test "$(json_field "$J" cgroup limits pids.max)" = 4096
check "transition: the profile is electron" test "$(json_field "$J" profile)" = electron
check "transition names what needs a restart (capabilities)" grep -q "capabilities .* needs a restart" "$T/trans.out"
mb transition idle --from photon --to electron 2>"$T/bad.err"
check "a transition from the wrong profile is refused" grep -q "runs under electron, not photon" "$T/bad.err"

# 7. Breathing: failing connections contract the service.
mb create flaky --profile watchful $MB_ENV -- bash -c \
    'while :; do (exec 3<>/dev/tcp/10.199.0.1/9) 2>/dev/null; sleep 0.1; done' >"$T/flaky.out"
check "create flaky ($(last_lines "$T/flaky.out"))" grep -q "flaky: started" "$T/flaky.out"
wait_for "$T/agent.log" "breathing: flaky: error_rate [0-9.]* > threshold 0.01: contract" 15 $AGENTPID
check "breathing contracted flaky, and the log says why" test $? -eq 0
J=$(mb inspect flaky --json)
check "flaky's memory.high is halved to 32M" test "$(json_field "$J" cgroup limits memory.high)" = 33554432
mb stop flaky >/dev/null

# 8. Rupture: open alerts, loud runs the hook, closed kills.
mb rupture idle --fail-open >/dev/null
check "fail-open: an alert, the service goes on" grep -q "ALERT: idle: fail-open" "$T/agent.log"
check "fail-open: idle still runs" grep -q "^idle .* running " <<<"$(mb list)"
mb rupture idle --fail-loud >/dev/null
wait_for "$T/alerts" "idle fail-loud" 5
check "fail-loud: the alert hook ran" test $? -eq 0
mb rupture idle --fail-closed >/dev/null
wait_for "$T/agent.log" "service idle (pid [0-9]*) ended" 5 $AGENTPID
check "fail-closed: idle is killed" test $? -eq 0
check "fail-closed: idle stays down (ruptured)" grep -q "^idle .*ruptured" <<<"$(mb list)"

# 9. Bad input on the control socket breaks nothing.
python3 - "$ASOCK" <<'PY'
import socket, struct, sys
for msg in (b"\x00" * 3, struct.pack("<IIII", 99, 1, 16, 0), struct.pack("<IIII", 1, 1, 999, 0) + b"x",
            struct.pack("<IIII", 1, 77, 16, 0), struct.pack("<IIII", 1, 1, 20, 0) + b"list"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1]); s.send(msg); s.settimeout(2)
    try: s.recv(65536)
    except Exception: pass
    s.close()
PY
check "after malformed messages the agent still answers" grep -q "^idle" <<<"$(mb list)"
mb frobnicate 2>"$T/bad.err"
check "an unknown verb: exit 2 and a reason" test $? -eq 2 -a -s "$T/bad.err"

# 10. What a running membrane cannot take is refused whole, with why.
cp "$T/membrane.yaml" "$T/orig.yaml"
sed -i 's|address: 10.199.0.10/24|address: 10.199.0.11/24|' "$T/membrane.yaml"
mb reload >"$T/reload.out" 2>&1
rc=$?
check "a reload that changes membrane web is refused ($rc: $(last_lines "$T/reload.out"))" \
    sh -c "[ $rc -eq 1 ] && grep -q 'membrane web changed: that takes a restart of the agent; nothing was reloaded' '$T/reload.out'"
cp "$T/orig.yaml" "$T/membrane.yaml"
printf '  - name: stranger\n    command: [sleep, "3609"]\n    profile: photon\n    membrane: web\n    user: daemon\n' >>"$T/membrane.yaml"
mb reload >"$T/reload.out" 2>&1
rc=$?
check "a reload adding a service whose user web's stack does not admit is refused ($rc: $(last_lines "$T/reload.out"))" \
    sh -c "[ $rc -eq 1 ] && grep -q 'membrane web: a service runs as a user its stack does not let attach yet' '$T/reload.out'"
check "and that service was not started" not sh -c 'pgrep -x sleep -a | grep -q " 3609$"'
check "the membrane still answers at its old address" ip netns exec $PNS ping -c 1 -W 2 10.199.0.10
cp "$T/orig.yaml" "$T/membrane.yaml"

# 11. The agent stops everything it started.
cgdir=$(dirname "$cgpath")
kill -TERM $AGENTPID
wait_exit $AGENTPID 15
check "the agent exits 0 on SIGTERM ($?)" test $? -eq 0
check "no switch, stack or service left" not pgrep -f "$T/run/"
check "the agent's cgroups are gone" not test -d "$cgpath"
finish
