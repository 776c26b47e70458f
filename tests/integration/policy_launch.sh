#!/usr/bin/env bash
# policy_launch.sh: programs launched inside the photon profile (polrun,
# pol_launch without the agent) as the host's nobody: they hold only
# cap_net_bind_service, with no_new_privs and a seccomp filter; hidden
# paths are unreadable and read-only ones unwritable while /tmp and the
# service's state directory take writes; their network namespace has only
# lo and a kernel AF_INET socket is refused (a security event polrun
# reports), yet curl through the membrane fetches a file intact; exit
# statuses, signals and a missing program come back as a shell's would.
: "${TEST_TIMEOUT:=300}"
. "$(dirname "$0")/lib.sh"

POLRUN=${POLRUN:-$top_builddir/tests/tools/polrun}
RAWSOCK=$top_builddir/tests/tools/rawsock
for p in "$POLRUN" "$RAWSOCK"; do
	[ -x "$p" ] || { echo "FAIL: $p is not built"; exit 1; }
done

# LeakSanitizer needs ptrace, which photon denies: in a sanitizer build the
# programs inside run without it.
[ -n "$MB_ENV" ] && export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
stack_hosts
start_switch
# Root inside the user namespace is the host's nobody: it must attach.
start_stack --allow-uid 0,65534
app_ns
# nobody walks to the endpoint and to our files.
chmod 0755 "$T"
STATE=$T/state
mkdir "$STATE" || exit 1

# prun CMD...: CMD under photon as service "web"; its stderr in
# $T/prun.err, stopped past TMO seconds (status 124).
prun() {
	timeout --foreground -k 5 "${TMO:-60}" "$POLRUN" --profile photon \
	    --service web --state "$STATE" --endpoint-dir "$T" \
	    --uid 65534 --gid 65534 -- "$@" 2>"$T/prun.err"
}

# 1. Identity and privilege.
out=$(prun sh -c 'id -u; hostname; cat /proc/self/status')
rc=$?
check "a program starts under photon ($rc, $(last_lines "$T/prun.err"))" \
    test $rc -eq 0
check "it is root inside ($(echo "$out" | sed -n 1p))" \
    test "$(echo "$out" | sed -n 1p)" = 0
check "its hostname is the service's ($(echo "$out" | sed -n 2p))" \
    test "$(echo "$out" | sed -n 2p)" = web
for f in CapEff CapPrm CapBnd CapAmb; do
	v=$(echo "$out" | awk -v f="$f:" '$1 == f { print $2 }')
	check "$f is cap_net_bind_service alone ($v)" \
	    test "$v" = 0000000000000400
done
# The caller's supplementary groups (root's gid 0 among them) stay out.
v=$(echo "$out" | awk '$1 == "Groups:" { $1 = ""; print }' | xargs)
check "its only group is its own (Groups: $v)" test "$v" = 0
v=$(echo "$out" | awk '$1 == "NoNewPrivs:" { print $2 }')
check "no_new_privs is set ($v)" test "$v" = 1
v=$(echo "$out" | awk '$1 == "Seccomp:" { print $2 }')
check "a seccomp filter is in force ($v)" test "$v" = 2
# Who root inside is on the host: nobody, seen on a program left running.
"$POLRUN" --profile photon --service web --state "$STATE" --endpoint-dir "$T" \
    --uid 65534 --gid 65534 -- sleep 37.25 2>"$T/bg.err" &
BG=$!
track $BG
for i in $(seq 100); do
	SL=$(pgrep -f '^sleep 37.25$' | head -1)
	[ -n "$SL" ] && break
	sleep 0.05
done
INIT=$(ps -o ppid= -p "${SL:-1}" | tr -d ' ')
huid=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/${SL:-none}/status" 2>/dev/null)
check "on the host the program runs as nobody (uids ${huid:-none})" \
    test "${huid:-x}" = "65534 65534 65534 65534"
iuid=$(awk '$1 == "Uid:" { print $2 }' "/proc/${INIT:-none}/status" 2>/dev/null)
check "so does its init, polrun's child (uid ${iuid:-none})" \
    test "${iuid:-x}" = 65534 -a "$(ps -o ppid= -p "${INIT:-1}" | tr -d ' ')" = $BG
icap=$(awk '$1 == "CapEff:" || $1 == "CapBnd:" { printf "%s ", $2 }' "/proc/${INIT:-none}/status" 2>/dev/null)
check "init holds no capability ($icap)" \
    test "$icap" = "0000000000000000 0000000000000000 "
kill -TERM $BG
wait_exit $BG 10
rc=$?
check "SIGTERM to polrun reaches the program: 143 ($rc)" test $rc -eq 143
n=$(prun sh -c 'ls /proc | grep -c "^[0-9]"')
check "a new pid namespace: $n processes visible (init, sh, ls, grep)" \
    test "$n" -le 4 -a "$n" -ge 2
check "the stack's pid $STPID is not there" not prun test -e "/proc/$STPID"

# 2. Hidden paths.
host_ks=$(wc -c </proc/kallsyms)
n=$(prun sh -c 'cat /proc/kallsyms 2>/dev/null | wc -c')
check "/proc/kallsyms shows nothing (${n:-?} bytes; $host_ks on the host)" \
    test "${n:-1}" -eq 0 -a "$host_ks" -gt 0
n=$(prun sh -c 'cat /proc/kcore 2>/dev/null | head -c 4096 | wc -c')
[ -e /proc/kcore ] || echo "   (this kernel has no /proc/kcore: nothing to hide there)"
check "/proc/kcore gives nothing readable (${n:-?} bytes)" test "${n:-1}" -eq 0
host_fw=$(ls -A /sys/firmware | wc -l)
n=$(prun sh -c 'ls -A /sys/firmware 2>/dev/null | wc -l')
check "/sys/firmware is empty (${n:-?} entries; $host_fw on the host)" \
    test "${n:-1}" -eq 0 -a "$host_fw" -gt 0
check "a hidden directory takes no writes" \
    not prun sh -c 'touch /sys/firmware/x 2>/dev/null'

# 3. Read-only and writable paths.
for p in /usr/x /etc/x /lib/x; do
	prun touch "$p"
	rc=$?
	check "touch $p fails: read-only ($rc, $(last_lines "$T/prun.err" 1))" \
	    grep -q 'Read-only file system' "$T/prun.err"
done
check "nothing was written on the host's /usr, /etc, /lib" \
    test ! -e /usr/x -a ! -e /etc/x -a ! -e /lib/x
prun sh -c 'echo scratch >/tmp/polrun.t'
check "/tmp is writable ($(last_lines "$T/prun.err"))" \
    test "$(cat "$STATE/upper/tmp/polrun.t" 2>/dev/null)" = scratch
check "... into the service's upper layer, not the host's /tmp" \
    test ! -e /tmp/polrun.t
prun sh -c 'echo kept >/var/lib/membrane/state/web/data'
check "the state directory /var/lib/membrane/state/web is writable ($(last_lines "$T/prun.err"))" \
    test "$(cat "$STATE/upper/var/lib/membrane/state/web/data" 2>/dev/null)" = kept
check "the state persists to the next launch" \
    test "$(prun cat /var/lib/membrane/state/web/data)" = kept
check "/ itself takes no writes from root inside" \
    not prun sh -c 'touch /x 2>/dev/null'

# 4. The network: loopback only, no kernel sockets.
check "rawsock on the host makes a kernel socket (the check below can fail)" \
    sh -c "'$RAWSOCK' >/dev/null"
out=$(prun "$RAWSOCK")
rc=$?
check "rawsock inside is refused: EACCES ($rc, $out)" \
    test $rc -eq 1 -a "$out" = "rawsock: Permission denied"
out=$(prun "$RAWSOCK" --high)
rc=$?
check "... also with the family's upper 32 bits set ($rc, $out)" \
    test $rc -eq 1 -a "$out" = "rawsock: Permission denied"
check "polrun reports the security event ($(last_lines "$T/prun.err"))" \
    grep -q '^polrun: security event: socket by pid [0-9]' "$T/prun.err"
out=$(prun ls /sys/class/net)
check "/sys/class/net shows only lo ($out)" test "$out" = lo
out=$(prun ip -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')
check "ip link shows only lo ($out)" test "$out" = "lo "
check "unshare is refused" not prun unshare -n true

# 5. curl through the membrane, to a kernel peer.
mkdir -p "$T/www" || exit 1
head -c 8M /dev/urandom >"$T/www/f.bin" || exit 1
SHA=$(sha "$T/www/f.bin")
pns_bg python3 -u -m http.server 8000 --bind 10.199.0.1 --directory "$T/www" \
    >"$T/peer_http.log" 2>&1
wait_listen $PNS 8000 || fail "python3 http.server on the peer: $(last_lines "$T/peer_http.log")"
if ! asan_hangs curl; then
	prun env MEMBRANE_SOCKET="$EP" LD_PRELOAD="$APP_PRELOAD" \
	    ${APP_ASAN:+ASAN_OPTIONS=$APP_ASAN} curl -sS --fail --noproxy '*' \
	    --max-time 60 -o /tmp/f.out http://10.199.0.1:8000/f.bin
	rc=$?
	check "curl through the membrane exits 0 ($rc, $(last_lines "$T/prun.err"))" \
	    test $rc -eq 0
	check "curl: the file arrived intact" sha_is "$STATE/upper/tmp/f.out" "$SHA"
	check "the peer logged the GET" grep -q '"GET /f.bin HTTP/1.1" 200' \
	    "$T/peer_http.log"
fi

# 6. Exit statuses.
prun sh -c 'exit 7'
rc=$?
check "exit 7 comes back as 7 ($rc)" test $rc -eq 7
prun sh -c 'kill -9 $$'
rc=$?
check "a program killed by SIGKILL: 137 ($rc)" test $rc -eq 137
prun nosuchprog
rc=$?
check "a missing program: 127 ($rc)" test $rc -eq 127
check "... and a clear reason ($(last_lines "$T/prun.err"))" \
    grep -q '^polrun: exec nosuchprog: No such file or directory$' "$T/prun.err"

check "the stack still runs" alive $STPID
finish
