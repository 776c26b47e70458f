#!/usr/bin/env bash
# preload_faults: libmembrane.so when no membrane can be reached, and when
# the stack dies under a program: the errno the kernel gives for a downed
# network, readiness that says so, one clear line on stderr, no hang, no
# crash.
. "$(dirname "$0")/lib.sh"

stack_hosts
start_switch
start_stack
app_ns
[ "${MB_KERNEL:-0}" = 1 ] && { echo "FAIL: this test is about the library; MB_KERNEL=1 makes no sense"; exit 1; }

# The library exports the calls it interposes and nothing else: no symbol
# of its own, of the ring library or of the app protocol's client can clash
# with a program's.
MAP=$(dirname "$0")/../../preload/libmembrane.map
nm -D --defined-only "$PRELOAD_LIB" | awk '{ print $3 }' | sed 's/@.*//' |
    sort -u >"$T/exported"
sed -n '/global:/,/local:/p' "$MAP" | tr ' \t;' '\n\n\n' |
    grep -E '^[a-z_][a-z0-9_]*$' | grep -v -E '^(global|local)$' |
    sort -u >"$T/allowed"
check "every exported symbol is an interposed call ($(comm -23 "$T/exported" "$T/allowed" | tr '\n' ' '))" \
    test -z "$(comm -23 "$T/exported" "$T/allowed")"
check "the exports include socket, epoll_wait and __recv_chk" \
    test "$(grep -c -x -E 'socket|epoll_wait|__recv_chk' "$T/exported")" = 3

# A program that makes three sockets and says what each call gave.
cat >"$T/mk.py" <<'PY'
import errno, socket
for i in range(3):
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        print("socket ok", flush=True)
    except OSError as e:
        print("socket", errno.errorcode[e.errno], flush=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
print("unix ok", flush=True)
PY
# nopre ENV...: the preloaded program with this environment instead.
nopre() {
	ip netns exec $ANS env -u MEMBRANE -u MEMBRANE_SOCKET "$@" \
	    LD_PRELOAD="$APP_PRELOAD" ${APP_ASAN:+ASAN_OPTIONS=$APP_ASAN} \
	    python3 "$T/mk.py" >"$T/mk.out" 2>"$T/mk.err"
}
reason_once() { [ "$(grep -c '^libmembrane: ' "$T/mk.err")" = 1 ] && grep -q "$1" "$T/mk.err"; }

nopre MEMBRANE_SOCKET="$T/nothing.sock"
check "no stack at MEMBRANE_SOCKET: socket() fails ENETDOWN, three times" \
    test "$(grep -c 'socket ENETDOWN' "$T/mk.out")" = 3
check "no stack at MEMBRANE_SOCKET: said once, with the path ($(last_lines "$T/mk.err" 1))" \
    reason_once "cannot reach the membrane at $T/nothing.sock"
check "no stack: AF_UNIX sockets still work" grep -q 'unix ok' "$T/mk.out"

mkdir "$T/emptybus"
nopre MEMBRANE_BUS="$T/emptybus"
check "no membrane named and none on the bus: ENETDOWN, said once ($(last_lines "$T/mk.err" 1))" \
    reason_once "no membrane is running"
mkdir "$T/twobus"
touch "$T/twobus/web" "$T/twobus/db"
nopre MEMBRANE_BUS="$T/twobus"
check "two membranes on the bus and none named: said so ($(last_lines "$T/mk.err" 1))" \
    reason_once "2 membranes are running (in $T/twobus); choose one with MEMBRANE=NAME"
nopre MEMBRANE="../etc"
check "MEMBRANE with a slash: refused ($(last_lines "$T/mk.err" 1))" \
    reason_once "is not a membrane's name"
mkdir "$T/onebus.d"; touch "$T/onebus.d/web"
nopre MEMBRANE_BUS="$T/onebus.d"
check "the only membrane on the bus is the one used (its endpoint under /run/membrane: $(last_lines "$T/mk.err" 1))" \
    reason_once "/run/membrane/web/stack.sock"

# The stack dies under a program blocked in poll on a connection that is
# receiving: poll reports it, recv fails ECONNRESET, send EPIPE, a new
# socket ENETDOWN; the program ends normally.
cat >"$T/slowpeer.py" <<'PY'
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7100)); l.listen(1)
open(sys.argv[1], "w").close()
c, _ = l.accept()
try:
    for i in range(3000):
        c.send(b"x" * 1024); time.sleep(0.01)
except OSError:
    pass
PY
cat >"$T/victim.py" <<'PY'
import errno, select, socket, sys
s = socket.create_connection(("10.199.0.1", 7100))
s.recv(1)
print("connected", flush=True)
p = select.poll(); p.register(s, select.POLLIN)
try:
    while True:
        ev = p.poll(10000)
        if not ev:
            print("poll timed out", flush=True); sys.exit(1)
        if ev[0][1] & (select.POLLERR | select.POLLHUP):
            print("poll ERR/HUP", flush=True)
        if not s.recv(65536):
            print("eof", flush=True); break
except OSError as e:
    print("recv", errno.errorcode[e.errno], flush=True)
for what, call in (("send", lambda: s.send(b"y")), ("socket", socket.socket)):
    try:
        call(); print(what, "ok", flush=True)
    except OSError as e:
        print(what, errno.errorcode[e.errno], flush=True)
PY
rm -f "$T/ready"
pns_bg python3 "$T/slowpeer.py" "$T/ready"
for i in $(seq 100); do [ -f "$T/ready" ] && break; sleep 0.05; done
app_bg python3 "$T/victim.py" >"$T/victim.out" 2>"$T/victim.err" </dev/null
VPID=$APPPID
check "the program connected through the stack" wait_for "$T/victim.out" connected 10 $VPID
sleep 0.5
kill -9 $(descendants $STPID) $STPID 2>/dev/null
wait_exit $VPID 10
vrc=$?
check "the program ended by itself, status 0 ($vrc)" test $vrc = 0
check "poll reported POLLERR/POLLHUP" grep -q 'poll ERR/HUP' "$T/victim.out"
check "recv failed ECONNRESET ($(last_lines "$T/victim.out" 3))" grep -q 'recv ECONNRESET' "$T/victim.out"
check "send failed EPIPE" grep -q 'send EPIPE' "$T/victim.out"
check "a new socket failed ENETDOWN" grep -q 'socket ENETDOWN' "$T/victim.out"
check "the library said why, once ($(last_lines "$T/victim.err" 1))" \
    test "$(grep -c '^libmembrane: ' "$T/victim.err")" = 1

finish
