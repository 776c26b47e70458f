#!/usr/bin/env bash
# policy_config: `membrane check -c FILE` on every example, which must
# validate, and on every broken config of tests/policy/, which must fail
# with exactly the line its first line announces ("# error: ...").
. "$(dirname "$0")/lib.sh"

MEMBRANE=$top_builddir/policy/membrane
HERE=$(cd "$(dirname "$0")" && pwd)
EXAMPLES=$HERE/../../examples
BROKEN=$HERE/../policy

[ -x "$MEMBRANE" ] || { echo "FAIL: no $MEMBRANE"; exit 1; }

n=0
for f in "$EXAMPLES"/*.yaml; do
	n=$((n + 1))
	name=$(basename "$f")
	if out=$(cd "$EXAMPLES" && "$MEMBRANE" check -c "$name" 2>"$T/err"); then
		case $out in
		"$name: ok ("*) pass "examples/$name validates ($out)" ;;
		*) fail "examples/$name: check said \"$out\"" ;;
		esac
	else
		fail "examples/$name does not validate: $(last_lines "$T/err")"
	fi
done
[ "$n" -ge 4 ] || fail "only $n examples (photon-curl, web, breathing, membrane)"

n=0
for f in "$BROKEN"/*.yaml; do
	n=$((n + 1))
	name=$(basename "$f")
	want=$(head -n 1 "$f" | sed -n 's/^# error: //p')
	if [ -z "$want" ]; then
		fail "policy/$name: no \"# error: \" first line"
		continue
	fi
	(cd "$BROKEN" && "$MEMBRANE" check -c "$name") >"$T/out" 2>"$T/err"
	rc=$?
	got=$(cat "$T/err")
	if [ "$rc" -ne 1 ]; then
		fail "policy/$name: exit $rc, not 1 ($got)"
	elif [ "$got" != "membrane: $want" ]; then
		fail "policy/$name: stderr was \"$got\", not \"membrane: $want\""
	elif [ -s "$T/out" ]; then
		fail "policy/$name: printed on stdout: $(last_lines "$T/out")"
	else
		pass "policy/$name: $want"
	fi
done
[ "$n" -ge 15 ] || fail "only $n broken configs"

# A file that is not there is named with the system's reason.
(cd "$T" && "$MEMBRANE" check -c absent.yaml) >/dev/null 2>"$T/err"
rc=$?
check "a missing file fails with its reason (exit $rc: $(cat "$T/err"))" \
    test "$rc" = 1 -a "$(cat "$T/err")" = "membrane: absent.yaml: No such file or directory"

finish
