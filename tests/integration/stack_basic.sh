#!/usr/bin/env bash
# stack_basic.sh: membrane-stack on an AF_XDP switch, a kernel peer in its
# own namespace: static address, the bus file, the sandbox, ping over IPv4
# and IPv6, re-attach after a switch restart, bad flags refused; an address
# from a real dnsmasq, and its renewal.
. "$(dirname "$0")/lib.sh"

stack_hosts
BUS=$T/bus

# Bad flags are refused with a reason before anything starts.
for args in "--name" "--name a/b" "--name x --address 10.0.0.1" \
    "--name x --address 300.1.1.1/24" "--name x --address 10.0.0.0/24" \
    "--name x --address 10.0.0.5/24 --gateway 10.1.0.1" \
    "--name x --mac 01:00:5e:00:00:01" "--name x --mtu 9001" \
    "--name x --address dhcp --gateway 10.0.0.1"; do
	out=$("$STACK" $args --switch "$T/none.sock" 2>&1); rc=$?
	check "refused: membrane-stack $args ($out)" test $rc -eq 2 -a -n "$out"
done

start_switch
ip netns exec $SNS "$STACK" --name web --switch "$CTL" --bus "$BUS" \
    --address 10.199.0.10/24 --gateway 10.199.0.1 --dns 10.199.0.1 \
    --sandbox-test 2>"$T/stack.log" &
STPID=$!
track $STPID
for i in $(seq 50); do [ -f "$BUS/web" ] && break; sleep 0.1; done

check "the bus file holds name, address, prefix, gateway, dns, pid" python3 - "$BUS/web" $STPID <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["name"] == "web", s
assert "10.199.0.10" in s["addresses"], s
assert s["prefix"] == 24 and s["gateway"] == "10.199.0.1", s
assert s["dns"] == ["10.199.0.1"] and s["pid"] == int(sys.argv[2]), s
assert s["mac"].startswith("02:6d:"), s
PY

# The engine is sandboxed: no capabilities, seccomp filter, nobody.
EPID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["engine_pid"])' "$BUS/web")
check "the engine ($EPID) has no capabilities" grep -q '^CapEff:[[:space:]]*0000000000000000$' /proc/$EPID/status
check "the engine has an empty bounding set" grep -q '^CapBnd:[[:space:]]*0000000000000000$' /proc/$EPID/status
check "the engine runs under a seccomp filter" grep -q '^Seccomp:[[:space:]]*2$' /proc/$EPID/status
check "the engine has no_new_privs" grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/$EPID/status
check "the engine runs as nobody" grep -q "^Uid:[[:space:]]*$(id -u nobody)[[:space:]]" /proc/$EPID/status
check "the engine's root is the empty directory" test "$(readlink /proc/$EPID/root)" = /run/membrane/empty
for what in "open(/etc/passwd)" "socket(AF_INET)" "socket(AF_INET6)" "socket(AF_PACKET)" "execve(/bin/true)"; do
	check "sandboxed, the engine is denied $what" grep -qF "sandbox test: $what: denied" "$T/stack.log"
done
check "the peer pings the membrane over IPv4" ip netns exec $PNS ping -c 3 -i 0.2 -W 2 10.199.0.10
for i in $(seq 40); do grep -q fe80 "$BUS/web" && break; sleep 0.1; done
LL=$(python3 -c 'import json,sys; print([a for a in json.load(open(sys.argv[1]))["addresses"] if a.startswith("fe80")][0])' "$BUS/web" 2>/dev/null)
check "the bus file lists the IPv6 link-local address ($LL)" test -n "$LL"
check "the peer pings the membrane over IPv6" ip netns exec $PNS ping -6 -c 3 -i 0.2 -W 2 "$LL%$PK"

# The switch goes away and comes back: the stack re-attaches by itself.
kill $SWPID; wait $SWPID 2>/dev/null
sleep 0.5
start_switch
for i in $(seq 40); do grep -q "re-attach" "$T/stack.log" && "$SWITCH" --stats --ctl "$CTL" | grep -q web && break; sleep 0.1; done
check "after a switch restart the stack is attached again" sh -c "'$SWITCH' --stats --ctl '$CTL' | grep -q web"
check "and answers pings again" ip netns exec $PNS ping -c 3 -i 0.2 -W 2 10.199.0.10

# A clean exit removes the bus file.
kill $STPID; wait $STPID 2>/dev/null
check "a clean exit removes the bus file" test ! -e "$BUS/web"

# An address by DHCP from a real dnsmasq on the peer.
ip netns exec $PNS dnsmasq --no-daemon --conf-file=/dev/null --interface=$PK \
    --bind-interfaces --dhcp-range=10.199.0.100,10.199.0.150,255.255.255.0,2m \
    --dhcp-option=option:router,10.199.0.1 --dhcp-option=option:dns-server,10.199.0.1 \
    --dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" --log-dhcp --log-facility=- 2>"$T/dnsmasq.log" &
track $!
ip netns exec $SNS "$STACK" --name dh --switch "$CTL" --bus "$BUS" 2>"$T/stack2.log" &
STPID=$!
track $STPID
for i in $(seq 100); do grep -q '"10\.199\.0\.1[0-9][0-9]"' "$BUS/dh" 2>/dev/null && break; sleep 0.1; done
check "DHCP: the bus file has a leased address, router, DNS and expiry" python3 - "$BUS/dh" <<'PY'
import json, sys, time
s = json.load(open(sys.argv[1]))
v4 = [a for a in s["addresses"] if "." in a]
assert v4 and v4[0].startswith("10.199.0.1"), s
assert 100 <= int(v4[0].split(".")[3]) <= 150, s
assert s["prefix"] == 24 and s["gateway"] == "10.199.0.1", s
assert s["dns"] == ["10.199.0.1"], s
assert s["lease_expiry"] and 60 < s["lease_expiry"] - time.time() <= 120, s
PY
check "DHCP: dnsmasq leased that address to the membrane's MAC" sh -c "grep -q \"\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"mac\"])' '$BUS/dh')\" '$T/leases'"
ADDR=$(python3 -c 'import json,sys; print([a for a in json.load(open(sys.argv[1]))["addresses"] if "." in a][0])' "$BUS/dh")
check "DHCP: the peer pings the leased address $ADDR" ip netns exec $PNS ping -c 2 -i 0.2 -W 2 "$ADDR"

# Renewal: at T1, half the two-minute lease (lwIP's DHCP clock ticks once a
# minute), the stack asks again; the ack moves the expiry on the bus.
expiry() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lease_expiry"])' "$BUS/dh"; }
E0=$(expiry)
for i in $(seq 90); do [ "$(expiry)" -gt $((E0 + 30)) ] 2>/dev/null && break; sleep 1; done
E1=$(expiry)
check "DHCP: renewed within 90 s, the expiry moved from $E0 to $E1" test "$E1" -gt $((E0 + 30))
check "DHCP: dnsmasq acked the renewal" test "$(grep -c "DHCPACK(.*) $ADDR" "$T/dnsmasq.log")" -ge 2
check "DHCP: the stack logged the renewal" grep -q "lease renewed" "$T/stack2.log"
check "DHCP: the address still answers" ip netns exec $PNS ping -c 2 -i 0.2 -W 2 "$ADDR"

finish
