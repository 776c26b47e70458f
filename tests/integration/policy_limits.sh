#!/usr/bin/env bash
# policy_limits.sh: photon's cgroup limits hold on this host, through the
# agent and `membrane run`: a memory hog is killed at memory.max 128M and
# the agent reports the rupture; a fork bomb stops below pids.max 64; a
# busy loop under cpu.max "50000 100000" gets at most 55% of a CPU over
# 2 s.  No membrane is needed: the programs make no sockets.
: "${TEST_TIMEOUT:=240}"
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (cgroups, namespaces)"; exit 1; }
cat >"$T/membrane.yaml" <<EOF
# No membranes and no services: programs come with membrane run.
agent:
  allow_degraded: false
EOF
start_agent "$T/membrane.yaml"

# 1. A memory hog: 512 MiB, every page touched.
mb run --profile photon $MB_ENV -- python3 -c '
b = bytearray(512 << 20)
for i in range(0, len(b), 4096):
    b[i] = 1
print("not contained")' >"$T/hog.out" 2>"$T/hog.err"
rc=$?
check "the memory hog is killed (status $rc, 137 = SIGKILL)" test $rc -eq 137
check "it never finished" not grep -q "not contained" "$T/hog.out"
check "the agent reports the OOM kill as a rupture" \
    grep -q "rupture: run[0-9]*: OOM kill under memory.max 128M" "$T/agent.log"

# 2. A fork bomb: children that stay, until fork fails.
mb run --profile photon $MB_ENV -- python3 -c '
import os, time, errno
n = 0
try:
    while n < 200:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as e:
    print("forks", n, errno.errorcode[e.errno])
else:
    print("forks", n, "all")' >"$T/bomb.out" 2>"$T/bomb.err"
read -r _ forks why <"$T/bomb.out"
check "the fork bomb stops with EAGAIN ($(last_lines "$T/bomb.out") $(last_lines "$T/bomb.err"))" test "$why" = EAGAIN
check "below pids.max 64 ($forks children besides itself)" test "${forks:-999}" -lt 64

# 3. A busy loop for 2 s of wall time: its own CPU time is the measure.
mb run --profile photon $MB_ENV -- python3 -c '
import time
w, c = time.monotonic(), time.process_time()
while time.monotonic() - w < 2.0:
    pass
print("%.3f" % ((time.process_time() - c) / (time.monotonic() - w)))' >"$T/busy.out" 2>"$T/busy.err"
share=$(cat "$T/busy.out")
check "the busy loop used ${share:-?} of a CPU (at most 0.55)" \
    python3 -c "import sys; sys.exit(0 if 0 < float('${share:-9}') <= 0.55 else 1)"

kill -TERM $AGENTPID
wait_exit $AGENTPID 15
check "the agent exits 0 on SIGTERM" test $? -eq 0
finish
