#!/usr/bin/env bash
# switch_local.sh: membrane-switch with no uplink: stack to stack through
# the switch, the drop rules, detach and re-attach, 10^6 frames each way.
. "$(dirname "$0")/lib.sh"

CTL=$T/switch.sock
A=02:00:00:00:00:0a
B=02:00:00:00:00:0b
C=02:00:00:00:00:0c

"$SWITCH" --uplink none --ctl "$CTL" 2>"$T/switch.log" &
SWPID=$!
track $SWPID
wait_switch "$CTL" || exit 1

# A unicast frame for A reaches A only, never B.
"$SWPROBE" --ctl "$CTL" --mac $A --name a recv --count 10 --timeout 5000 >"$T/a.out" &
pa=$!; track $pa
"$SWPROBE" --ctl "$CTL" --mac $B --name b recv --count 0 --quiet-ms 1500 --timeout 3000 >"$T/b.out" &
pb=$!; track $pb
sleep 0.5
"$SWPROBE" --ctl "$CTL" --mac $C --name c send --to $A --count 10 >/dev/null
wait $pa; check "unicast for A reaches A in order" grep -q "^received 10 lost 0 dup 0 reordered 0 corrupt 0" "$T/a.out"
wait $pb; check "unicast for A never reaches B" grep -q "^received 0 " "$T/b.out"

# Broadcast from C reaches A and B.
"$SWPROBE" --ctl "$CTL" --mac $A --name a recv --count 5 --timeout 5000 >"$T/a.out" &
pa=$!; track $pa
"$SWPROBE" --ctl "$CTL" --mac $B --name b recv --count 5 --timeout 5000 >"$T/b.out" &
pb=$!; track $pb
sleep 0.5
"$SWPROBE" --ctl "$CTL" --mac $C --name c send --to ff:ff:ff:ff:ff:ff --count 5 >/dev/null
wait $pa; check "broadcast reaches A" grep -q "^received 5 lost 0" "$T/a.out"
wait $pb; check "broadcast reaches B" grep -q "^received 5 lost 0" "$T/b.out"

# A spoofed source MAC is dropped and counted; so is an oversize frame.
"$SWPROBE" --ctl "$CTL" --mac $A --name a recv --count 0 --quiet-ms 1000 --timeout 2000 >"$T/a.out" &
pa=$!; track $pa
"$SWPROBE" --ctl "$CTL" --mac $C --name spoofer hold >/dev/null &
ph=$!; track $ph
sleep 0.5
"$SWPROBE" --ctl "$CTL" --mac 02:00:00:00:00:0d --name liar send --to $A --from $B --count 7 --linger-ms 1500 >/dev/null &
pl=$!
"$SWPROBE" --ctl "$CTL" --mac 02:00:00:00:00:0e --name big send --to $A --count 3 --size 1600 --linger-ms 1500 >/dev/null &
pbig=$!
sleep 0.8
check "spoofed frames dropped and counted" test "$(counter "$CTL" liar spoof)" = 7
check "oversize frames dropped and counted" test "$(counter "$CTL" big oversz)" = 3
wait $pl $pbig
wait $pa; check "spoofed and oversize frames never reach A" grep -q "^received 0 " "$T/a.out"

# A stack that rewrites its frames' source address while the switch reads
# them, racing the check: what leaves carries the port's own address.
R=02:00:00:00:00:0f
"$SWPROBE" --ctl "$CTL" --mac $A --name a recv --count 0 --quiet-ms 2000 --timeout 60000 --expect-from $R >"$T/a.out" &
pa=$!; track $pa
sleep 0.5
"$SWPROBE" --ctl "$CTL" --mac $R --name racer race --to $A --from $B --count 200000 --linger-ms 1000 >/dev/null &
pr=$!; track $pr
wait $pa; got=$(grep '^received' "$T/a.out")
check "racing the source check: frames get through ($got)" test "$(echo "$got" | awk '{ print $2 }')" -gt 0
check "racing the source check: none leaves with a spoofed source" test "$(echo "$got" | awk '{ print $NF }')" = 0
wait $pr

# A MAC already attached is refused with a reason.
out=$("$SWPROBE" --ctl "$CTL" --mac $C --name dup recv --count 1 --timeout 100 2>&1)
check "a second attach of one MAC is refused" sh -c "echo '$out' | grep -q 'already attached'"
kill $ph; wait $ph 2>/dev/null

# Detach on close: a killed probe's port disappears; its MAC can attach again.
"$SWPROBE" --ctl "$CTL" --mac $A --name victim hold >/dev/null &
pv=$!
sleep 0.5
check "port listed while attached" sh -c "'$SWITCH' --stats --ctl '$CTL' | grep -q victim"
kill -9 $pv; wait $pv 2>/dev/null
sleep 1.5
check "port gone after its stack was killed" sh -c "! '$SWITCH' --stats --ctl '$CTL' | grep -q victim"
"$SWPROBE" --ctl "$CTL" --mac $A --name again recv --count 1 --timeout 2000 >"$T/a.out" &
pa=$!; track $pa
sleep 0.5
"$SWPROBE" --ctl "$CTL" --mac $C --name c send --to $A --count 1 >/dev/null
wait $pa; check "the same MAC re-attaches and receives" grep -q "^received 1 lost 0" "$T/a.out"

# 10^6 frames each way at once, none lost, duplicated or reordered.
"$SWPROBE" --ctl "$CTL" --mac $A --name a recv --count 1000000 --timeout 120000 >"$T/a.out" &
ra=$!; track $ra
"$SWPROBE" --ctl "$CTL" --mac $B --name b recv --count 1000000 --timeout 120000 >"$T/b.out" &
rb=$!; track $rb
sleep 0.5
"$SWPROBE" --ctl "$CTL" --mac 02:00:00:00:01:0a --name sa send --to $B --count 1000000 >/dev/null &
sa=$!; track $sa
"$SWPROBE" --ctl "$CTL" --mac 02:00:00:00:01:0b --name sb send --to $A --count 1000000 >/dev/null &
sb=$!; track $sb
wait $sa; wait $sb
wait $ra; check "10^6 frames to A: none lost, duplicated or reordered" grep -q "^received 1000000 lost 0 dup 0 reordered 0 corrupt 0" "$T/a.out"
wait $rb; check "10^6 frames to B: none lost, duplicated or reordered" grep -q "^received 1000000 lost 0 dup 0 reordered 0 corrupt 0" "$T/b.out"
cat "$T/a.out" "$T/b.out" | grep received

# Malformed control messages get a reasoned refusal; the switch carries on.
check "malformed control messages are refused with a reason" python3 "$(dirname "$0")/ctlfuzz.py" "$CTL"

# A stack that scribbles over its region: bad descriptors dropped and
# counted, a smashed ring index gets it detached; the others keep going.
"$SWPROBE" --ctl "$CTL" --mac $B --name b recv --count 20000 --timeout 30000 >"$T/b.out" &
rb=$!; track $rb
"$SWPROBE" --ctl "$CTL" --mac 02:00:00:00:00:66 --name vandal scribble --count 10 --linger-ms 0 >"$T/v1.out"
check "a few bad descriptors are dropped, the port stays" grep -q "still attached" "$T/v1.out"
"$SWPROBE" --ctl "$CTL" --mac $A --name a send --to $B --count 10000 >/dev/null &
sa=$!; track $sa
"$SWPROBE" --ctl "$CTL" --mac 02:00:00:00:00:67 --name vandal2 scribble --count 0 --smash >"$T/v2.out"
check "a stack that smashes its ring index is detached" grep -q "^detached" "$T/v2.out"
"$SWPROBE" --ctl "$CTL" --mac 02:00:00:00:00:68 --name vandal3 scribble --count 100 >"$T/v3.out"
check "a stack that keeps sending bad descriptors is detached" grep -q "^detached" "$T/v3.out"
wait $sa
"$SWPROBE" --ctl "$CTL" --mac 02:00:00:00:02:0a --name a2 send --to $B --count 10000 --seq-start 10000 >/dev/null
# A receiver slower than its senders (a loaded machine, a sanitizer build)
# may find its ring full: the switch drops those frames and counts them.
sleep 0.5
BFULL=$(counter "$CTL" b full)
[ "$BFULL" = none ] && BFULL=0	# b had them all and left
wait $rb
got=$(grep received "$T/b.out")
check "meanwhile, other ports' 20000 frames all arrive or are counted as refused by a full ring ($got; full $BFULL)" \
    test "$(echo "$got" | awk '{ print $2 + $4 }')" = 20000 -a "$(echo "$got" | awk '{ print $4 }')" = "$BFULL" \
    -a "$(echo "$got" | awk '{ print $6 $8 $10 }')" = 000
check "the switch logged why" grep -q "corrupted its rings or sent bad descriptors" "$T/switch.log"

# An idle switch with ports attached burns no CPU.
"$SWPROBE" --ctl "$CTL" --mac $A --name idle hold >/dev/null &
ph=$!; track $ph
sleep 1
pid=$(pgrep -f "membrane-switch --uplink none --ctl $CTL" | head -n 1)
t0=$(cpu_ns $pid)
sleep 2
t1=$(cpu_ns $pid)
check "an idle switch uses under $IDLE_PCT% of a CPU ($(( (t1 - t0) / 1000 )) us in 2 s)" under_idle_bound $((t1 - t0)) 2
kill $ph

kill $SWPID; wait $SWPID 2>/dev/null

# Faults injected on frames from the stacks: what the receiver observes is
# exactly what the switch says it did.
fault_run() {
	"$SWITCH" --uplink none --ctl "$CTL" --fault-out "$1" --fault-seed 7 2>>"$T/switch.log" &
	fs=$!; track $fs
	wait_switch "$CTL" || exit 1
	"$SWPROBE" --ctl "$CTL" --mac $B --name b recv --count 100000 --quiet-ms 2000 --timeout 60000 >"$T/b.out" &
	rb=$!; track $rb
	sleep 0.5
	"$SWPROBE" --ctl "$CTL" --mac $A --name faulty send --to $B --count 100000 --linger-ms 3000 >/dev/null &
	sa=$!; track $sa
	wait $rb
	got=$(grep '^received' "$T/b.out")
	stats=$("$SWITCH" --stats --ctl "$CTL" | awk '$3 == "faulty"')
	wait $sa
	kill $fs; wait $fs 2>/dev/null
	echo "$1: $got"
	echo "$1: switch: $stats"
}
field() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
col() { echo "$1" | awk -v c="$2" '{ print $c }'; }

fault_run "drop=0.02,dup=0.01,reorder=0.02"
check "faults: lost frames = frames the switch dropped" test "$(field "$got" lost)" = "$(col "$stats" 13)"
check "faults: duplicates seen = frames duplicated" test "$(field "$got" dup)" = "$(col "$stats" 14)"
check "faults: late frames = frames reordered" test "$(field "$got" reordered)" = "$(col "$stats" 15)"
check "faults: some of each were made" test "$(col "$stats" 13)" -gt 0 -a "$(col "$stats" 14)" -gt 0 -a "$(col "$stats" 15)" -gt 0
fault_run "corrupt=0.01,delay=5"
check "faults: corrupt frames seen = frames corrupted" test "$(field "$got" corrupt)" = "$(col "$stats" 16)"
check "faults: delayed, none lost or reordered" test "$(field "$got" lost)" = 0 -a "$(field "$got" reordered)" = 0 -a "$(col "$stats" 16)" -gt 0

finish
