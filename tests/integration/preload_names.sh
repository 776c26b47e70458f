#!/usr/bin/env bash
# preload_names.sh: names resolve through the membrane.  A dnsmasq on the
# kernel peer serves a zone; the stack is told of it (--dns, so the bus
# record names it).  From a namespace with nothing but loopback, where
# glibc's own resolver cannot reach anything, unmodified programs resolve
# through libmembrane.so: getent (getaddrinfo and gethostbyname2), python3
# (the error codes, getnameinfo by PTR), and curl fetching a file by name
# (SHA-256).  A name in
# /etc/hosts is answered without DNS; MEMBRANE_DNS overrides the bus.
: "${TEST_TIMEOUT:=180}"
. "$(dirname "$0")/lib.sh"

stack_hosts
start_switch
start_stack --dns 10.199.0.1
app_ns
[ "${MB_KERNEL:-0}" = 1 ] && { echo "FAIL: this test is about the library; MB_KERNEL=1 makes no sense"; exit 1; }

ip netns exec $PNS dnsmasq --no-daemon --conf-file=/dev/null --no-resolv \
    --no-hosts --interface=$PK --bind-interfaces --port=53 \
    --local=/mb.test/ --local=/0.199.10.in-addr.arpa/ \
    --host-record=peer.mb.test,10.199.0.1 \
    --host-record=dual.mb.test,10.199.0.7,fd00:199::7 \
    --cname=www.mb.test,peer.mb.test \
    --pid-file="$T/dnsmasq.pid" --log-queries --log-facility=- \
    2>"$T/dnsmasq.log" &
track $!
for i in $(seq 50); do grep -q "started" "$T/dnsmasq.log" 2>/dev/null && break; sleep 0.1; done

mkdir -p "$T/www"
head -c 4M /dev/urandom >"$T/www/blob.bin"
SHA=$(sha "$T/www/blob.bin")
pns_bg python3 -u -m http.server 8000 --bind 10.199.0.1 --directory "$T/www" \
    >"$T/peer_http.log" 2>&1
wait_listen $PNS 8000 || { fail "python3 http.server on the peer"; finish; }

# What the namespace's own resolver does: nothing reaches the server.
out=$(ip netns exec $ANS timeout 20 getent ahostsv4 peer.mb.test)
check "without the library the namespace resolves nothing (exit $?)" test -z "$out"

NAMES_ENV=(env MEMBRANE_BUS="$T/bus")

# getaddrinfo (getent ahosts*) and gethostbyname2 (getent hosts).
out=$(app "${NAMES_ENV[@]}" getent ahostsv4 peer.mb.test 2>&1)
check "getaddrinfo finds peer.mb.test at 10.199.0.1 ($out)" \
    sh -c "echo \"\$1\" | grep -q '^10\.199\.0\.1 *STREAM peer\.mb\.test'" _ "$out"
check "the query went to the DNS server on the bus (the peer's dnsmasq)" \
    grep -q "query\[A\] peer.mb.test from 10.199.0.10" "$T/dnsmasq.log"
out=$(app "${NAMES_ENV[@]}" getent ahosts dual.mb.test 2>&1)
check "a name with IPv4 and IPv6 addresses gives both ($(echo $out))" \
    sh -c "echo \"\$1\" | grep -q '^10\.199\.0\.7 ' && echo \"\$1\" | grep -q '^fd00:199::7 '" _ "$out"
out=$(app "${NAMES_ENV[@]}" getent hosts www.mb.test 2>&1)
check "gethostbyname2 follows a CNAME to its address and canonical name ($out)" \
    sh -c "echo \"\$1\" | grep -q '^10\.199\.0\.1 *peer\.mb\.test'" _ "$out"
out=$(app "${NAMES_ENV[@]}" getent hosts 10.199.0.1 2>&1)
check "gethostbyaddr names 10.199.0.1 by PTR ($out)" \
    sh -c "echo \"\$1\" | grep -q '^10\.199\.0\.1 *peer\.mb\.test'" _ "$out"
app "${NAMES_ENV[@]}" getent hosts 10.199.0.250 >/dev/null 2>&1
rc=$?
check "gethostbyaddr of an address without a name: getent exits 2 ($rc)" test $rc -eq 2
app "${NAMES_ENV[@]}" getent ahosts nosuch.mb.test >/dev/null 2>&1
rc=$?
check "an unknown name: getent exits 2 ($rc)" test $rc -eq 2
out=$(app "${NAMES_ENV[@]}" getent ahostsv4 localhost 2>&1)
check "a name from /etc/hosts is answered ($(echo $out))" \
    sh -c "echo \"\$1\" | grep -q '^127\.0\.0\.1 '" _ "$out"

# The error codes and result layout python3 sees, as glibc gives them.
out=$(app "${NAMES_ENV[@]}" python3 - <<'PY' 2>&1
import socket
r = socket.getaddrinfo("peer.mb.test", "http", socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
print("ok", r[0][3], r[0][4])
r = socket.getaddrinfo("peer.mb.test", 8000)
print("types", sorted(set(x[1] for x in r)))
for name, err in (("nosuch.mb.test", socket.EAI_NONAME),):
    try:
        socket.getaddrinfo(name, 80)
        print("no error for", name)
    except socket.gaierror as e:
        print("gaierror", name, "ok" if e.errno == err else e.errno)
try:
    socket.getaddrinfo("peer.mb.test", "nosuchservice", socket.AF_INET, socket.SOCK_STREAM)
except socket.gaierror as e:
    print("service", "ok" if e.errno == socket.EAI_SERVICE else e.errno)
print("byname", socket.gethostbyname("peer.mb.test"))
# Socket types, protocols and ports do not depend on the name: the same
# hints must give what libc gives for the numeric address.
diff = 0
import itertools
for svc, typ, proto, flags in itertools.product((None, 80, "http", "domain", "99999"),
        (0, socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW),
        (0, socket.IPPROTO_TCP, socket.IPPROTO_UDP), (0, socket.AI_NUMERICSERV)):
    got = []
    for node in ("10.199.0.1", "peer.mb.test"):
        try:
            got.append(sorted((x[1], x[2], x[4][1]) for x in
                socket.getaddrinfo(node, svc, socket.AF_INET, typ, proto, flags)))
        except socket.gaierror as e:
            got.append(("error", e.errno))
    if got[0] != got[1]:
        diff += 1
        print("hints", svc, typ, proto, flags, "libc", got[0], "ours", got[1])
print("hints differ", diff)
print("rev", socket.getnameinfo(("10.199.0.1", 80), 0))
print("revnum", socket.getnameinfo(("10.199.0.250", 8000), socket.NI_NUMERICSERV))
try:
    print("revreq", socket.getnameinfo(("10.199.0.250", 80), socket.NI_NAMEREQD))
except socket.gaierror as e:
    print("revreq", "ok" if e.errno == socket.EAI_NONAME else e.errno)
print("revhosts", socket.getnameinfo(("127.0.0.1", 22), 0))
PY
)
check "getaddrinfo with a service and AI_CANONNAME ($(echo $out | head -c 200))" \
    sh -c "echo \"\$1\" | grep -q \"^ok peer.mb.test ('10.199.0.1', 80)\"" _ "$out"
check "without a socket type, one entry per type, as glibc gives" \
    sh -c "echo \"\$1\" | grep -q '^types \[<SocketKind.SOCK_STREAM: 1>, <SocketKind.SOCK_DGRAM: 2>, <SocketKind.SOCK_RAW: 3>\]'" _ "$out"
check "an unknown name is EAI_NONAME" sh -c "echo \"\$1\" | grep -q '^gaierror nosuch.mb.test ok'" _ "$out"
check "an unknown service is EAI_SERVICE" sh -c "echo \"\$1\" | grep -q '^service ok'" _ "$out"
echo "$out" | grep "^hints [^d]"
check "120 combinations of service, socket type, protocol and AI_NUMERICSERV give libc's entries and errors" \
    sh -c "echo \"\$1\" | grep -q '^hints differ 0$'" _ "$out"
check "gethostbyname answers too" sh -c "echo \"\$1\" | grep -q '^byname 10.199.0.1$'" _ "$out"
check "getnameinfo finds an address's name by PTR" sh -c "echo \"\$1\" | grep -q \"^rev ('peer.mb.test', 'http')\"" _ "$out"
check "an address without a name stays a number" sh -c "echo \"\$1\" | grep -q \"^revnum ('10.199.0.250', '8000')\"" _ "$out"
check "unless NI_NAMEREQD: EAI_NONAME" sh -c "echo \"\$1\" | grep -q '^revreq ok'" _ "$out"
check "an address in /etc/hosts is named from there" sh -c "echo \"\$1\" | grep -q \"^revhosts ('localhost', 'ssh')\"" _ "$out"

# MEMBRANE_DNS names the server, whatever the bus says: here, nobody.
app env MEMBRANE_BUS="$T/bus" MEMBRANE_DNS=10.199.0.99 RES_OPTIONS="timeout:1 attempts:1" \
    timeout 30 getent ahostsv4 peer.mb.test >/dev/null 2>&1
rc=$?
check "MEMBRANE_DNS overrides the bus: a server that is not there fails the lookup ($rc)" test $rc -eq 2

app env MEMBRANE_BUS="$T/bus" MEMBRANE_DNS=not-an-address getent ahostsv4 peer.mb.test >/dev/null 2>"$T/bad.err"
rc=$?
check "a MEMBRANE_DNS that is no address fails the lookup and says why ($rc: $(last_lines "$T/bad.err"))" \
    sh -c "[ $rc -eq 2 ] && grep -q 'libmembrane: MEMBRANE_DNS=not-an-address is not a list of DNS servers' '$T/bad.err'"

# curl fetches by name, through the membrane.
if ! asan_hangs curl; then
	app "${NAMES_ENV[@]}" curl -sS --fail --noproxy '*' --max-time 60 \
	    -o "$T/curl.out" http://www.mb.test:8000/blob.bin 2>"$T/curl.err"
	rc=$?
	check "curl http://www.mb.test:8000/ exits 0 ($rc, $(last_lines "$T/curl.err"))" test $rc -eq 0
	check "curl by name: 4 MiB intact" sha_is "$T/curl.out" "$SHA"
fi
finish
