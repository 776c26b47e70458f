#!/usr/bin/env bash
# switch_uplink.sh BACKEND: membrane-switch with an af_xdp or dpdk uplink on
# a veth pair to a kernel peer in its own namespace.
#
#   peer ns (mbp*)  10.199.0.1 ---- veth ---- 10.199.0.2  switch ns (mbs*)
#                                               uplink + ports A, B
. "$(dirname "$0")/lib.sh"

backend=${1:?usage: switch_uplink.sh af_xdp|dpdk}
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces, XDP, raw sockets)"; exit 1; }
PEER=$(dirname "$0")/rawpeer.py
SNS=mbs$$
PNS=mbp$$
UP=mbu$$
PK=mbk$$
CTL=$T/switch.sock
A=02:00:00:00:00:0a
B=02:00:00:00:00:0b
IPA=10.199.0.10
IPB=10.199.0.11

mkns $SNS
mkns $PNS
ip link add $UP type veth peer name $PK || exit 1
ip link set $UP netns $SNS
ip link set $PK netns $PNS
for ns_if in "$SNS $UP" "$PNS $PK"; do
	set -- $ns_if
	# No IPv6 chatter: the tests count every frame that arrives.
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip -n "$1" link set "$2" up
done
ip -n $SNS addr add 10.199.0.2/24 dev $UP
ip -n $PNS addr add 10.199.0.1/24 dev $PK
PEERMAC=$(ip netns exec $PNS cat /sys/class/net/$PK/address)

case $backend in
af_xdp)	spec=af_xdp:$UP ;;
dpdk)	spec="dpdk:--no-huge -m 256 --no-pci --no-shconf --file-prefix=$SNS --log-level=error --vdev=net_af_packet0,iface=$UP,framecnt=4096" ;;
*)	echo "FAIL: unknown backend $backend"; exit 1 ;;
esac

start_switch() {
	ip netns exec $SNS "$SWITCH" --uplink "$spec" --ctl "$CTL" \
	    --xdp-prog "$XDP_OBJ" 2>>"$T/switch.log" &
	SWPID=$!
	track $SWPID
	wait_switch "$CTL" || { cat "$T/switch.log"; exit 1; }
}
# Bad uplinks and missing privileges are refused with the reason.
out=$(ip netns exec $SNS "$SWITCH" --uplink "${spec%%:*}:mbnosuch0" --ctl "$T/x.sock" --xdp-prog "$XDP_OBJ" 2>&1)
check "$backend: a missing interface is named" sh -c "echo \"\$1\" | grep -q mbnosuch0" _ "$out"
if [ "$backend" = dpdk ]; then
	out=$(ip netns exec $SNS "$SWITCH" --uplink "$spec" --mtu 3000 --ctl "$T/x.sock" 2>&1)
	check "$backend: an MTU above what the port's driver carries is refused, naming its limit" \
	    sh -c "echo \"\$1\" | grep -q 'mtu 3000: the DPDK port (net_af_packet) carries at most 1500'" _ "$out"
	out=$(ip netns exec $SNS "$SWITCH" --uplink "$spec,framesz=4096" --ctl "$T/x.sock" 2>&1)
	check "$backend: a driver whose frames outgrow the switch's buffers is refused, saying so" \
	    sh -c "echo \"\$1\" | grep -q 'its receive queue: .*do not fit buffers sized for the MTU'" _ "$out"
fi
out=$(ip netns exec $SNS setpriv --bounding-set=-net_admin "$SWITCH" --uplink "$spec" --ctl "$T/x.sock" --xdp-prog "$XDP_OBJ" 2>&1)
check "$backend: a missing privilege is named" sh -c "echo \"\$1\" | grep -q 'needs CAP_NET_ADMIN'" _ "$out"

start_switch
grep "$backend" "$T/switch.log" | head -2
check "$backend: the running switch keeps at most CAP_NET_ADMIN" sh -c \
    "test \$(( 0x\$(awk '/^CapEff/ {print \$2}' /proc/$SWPID/status) & ~(1 << 12) )) -eq 0"

probe() { ip netns exec $SNS "$SWPROBE" --ctl "$CTL" "$@"; }

# An ARP request from the peer for A's address reaches A and not B; a
# unicast frame for A reaches A only.
probe --mac $A --ip $IPA --name a recv --count 100 --quiet-ms 1500 --timeout 8000 >"$T/a.out" &
pa=$!; track $pa
probe --mac $B --ip $IPB --name b recv --count 0 --quiet-ms 3000 --timeout 6000 >"$T/b.out" &
pb=$!; track $pb
sleep 1
ip netns exec $PNS ping -c 1 -W 1 $IPA >/dev/null 2>&1	# no answer: ARP only
ip netns exec $PNS python3 "$PEER" send $PK $A 100 >/dev/null
wait $pa; wait $pb
check "$backend: unicast from the wire reaches A intact and in order" grep -q "^received 100 lost 0 dup 0 reordered 0 corrupt 0" "$T/a.out"
check "$backend: the peer's ARP request for A's address reaches A" grep -Eq " arp [1-9]" "$T/a.out"
check "$backend: neither reaches B" grep -q "^received 0 .* other 0 arp 0" "$T/b.out"
cat "$T/a.out" "$T/b.out" | grep received

# A frame for an unknown MAC reaches the kernel and no port.
probe --mac $A --ip $IPA --name a recv --count 0 --quiet-ms 2000 --timeout 4000 >"$T/a.out" &
pa=$!; track $pa
sleep 0.5
before=$(ip netns exec $SNS cat /sys/class/net/$UP/statistics/rx_packets)
ip netns exec $PNS python3 "$PEER" send $PK 02:00:00:00:00:99 50 >/dev/null
sleep 0.5
after=$(ip netns exec $SNS cat /sys/class/net/$UP/statistics/rx_packets)
wait $pa
check "$backend: frames for an unknown MAC reach the kernel ($before -> $after)" test $((after - before)) -ge 50
check "$backend: and no port" grep -q "^received 0 " "$T/a.out"

# The kernel's own address on the uplink stays reachable while ports forward.
probe --mac $A --ip $IPA --name a recv --count 2000 --timeout 20000 >"$T/a.out" &
pa=$!; track $pa
sleep 0.5
ip netns exec $PNS python3 "$PEER" send $PK $A 2000 >/dev/null &
ps=$!
check "$backend: the kernel's own IP answers ping meanwhile" ip netns exec $PNS ping -c 3 -i 0.2 -W 2 10.199.0.2 >/dev/null
wait $ps; wait $pa; cat "$T/a.out"; "$SWITCH" --stats --ctl "$CTL"
check "$backend: and the port got its 2000 frames" grep -q "^received 2000 lost 0 dup 0 reordered 0" "$T/a.out"

# From a port to the peer on the wire.
ip netns exec $PNS python3 "$PEER" recv $PK 1000 20 >"$T/peer.out" &
pp=$!; track $pp
sleep 1
probe --mac $A --name a send --to "$PEERMAC" --count 1000 >/dev/null
wait $pp
check "$backend: 1000 frames from a port reach the peer in order" grep -q "^received 1000 lost 0 dup 0 reordered 0 corrupt 0" "$T/peer.out"

# Stack to stack on a switch that has an uplink.
probe --mac $B --name b recv --count 100000 --timeout 60000 >"$T/b.out" &
pb=$!; track $pb
sleep 0.5
probe --mac $A --name a send --to $B --count 100000 >/dev/null
wait $pb
check "$backend: 10^5 frames port to port, none lost or reordered" grep -q "^received 100000 lost 0 dup 0 reordered 0 corrupt 0" "$T/b.out"

# A switch that dies without cleaning up is replaced by the next one.
if [ "$backend" = af_xdp ]; then
	kill -9 $SWPID; wait $SWPID 2>/dev/null
	start_switch
	check "$backend: a new switch replaces a dead one's XDP program" kill -0 $SWPID
fi

# Switch restart: the port re-attaches and traffic resumes.
probe --mac $A --ip $IPA --name a recv --reattach --count 100 --timeout 30000 >"$T/a.out" &
pa=$!; track $pa
sleep 0.5
kill $SWPID; wait $SWPID 2>/dev/null
start_switch
for i in $(seq 50); do grep -q re-attached "$T/a.out" && break; sleep 0.1; done
ip netns exec $PNS python3 "$PEER" send $PK $A 100 >/dev/null
wait $pa
check "$backend: after a switch restart the port re-attached" grep -q "^re-attached" "$T/a.out"
check "$backend: and traffic resumed" grep -q "^received 100 lost 0" "$T/a.out"

# A switch that stops leaves the interface as it found it.
kill $SWPID; wait $SWPID 2>/dev/null
if [ "$backend" = af_xdp ]; then
	check "$backend: a stopped switch takes its XDP program off $UP" \
	    sh -c "! ip -n $SNS link show $UP | grep -q prog/xdp"
	check "$backend: and says nothing went wrong detaching it" \
	    sh -c "! grep -q 'detaching the XDP program' '$T/switch.log'"
fi
check "$backend: the kernel still answers on $UP once the switch is gone" \
    ip netns exec $PNS ping -c 1 -W 2 10.199.0.2

finish
