#!/bin/sh
# tests/config/run.sh - golden tests of config errors through the CLI.
# For each tests/config/NAME.ini with a NAME.expected, runs
# `$BERTH validate -f tests/config/NAME.ini` and checks exit status 2 and
# that the first line of stderr equals NAME.expected. valid-*.ini files must
# validate with exit status 0; a NAME.expected without its NAME.ini fails
# (a golden test that would never run). Prints TAP. Run from the
# repository root.
BERTH=${BERTH:-build/berth}
n=0
failed=0

for ini in tests/config/*.ini; do
	name=${ini%.ini}
	n=$((n + 1))
	err=$("$BERTH" validate -f "$ini" 2>&1 >/dev/null)
	rc=$?
	first=$(printf '%s\n' "$err" | head -n 1)
	case $(basename "$name") in
	valid-*)
		if [ "$rc" -eq 0 ]; then
			echo "ok $n - $ini validates"
		else
			echo "not ok $n - $ini validates"
			echo "#   exit $rc: $first"
			failed=$((failed + 1))
		fi
		continue
		;;
	esac
	if [ ! -f "$name.expected" ]; then
		echo "not ok $n - $ini has no $name.expected"
		failed=$((failed + 1))
		continue
	fi
	want=$(head -n 1 "$name.expected")
	if [ "$rc" -eq 2 ] && [ "$first" = "$want" ]; then
		echo "ok $n - $ini"
	else
		echo "not ok $n - $ini"
		echo "#   exit $rc (want 2)"
		echo "#   got:  $first"
		echo "#   want: $want"
		failed=$((failed + 1))
	fi
done
for exp in tests/config/*.expected; do
	[ -f "${exp%.expected}.ini" ] && continue
	n=$((n + 1))
	echo "not ok $n - $exp has no ${exp%.expected}.ini: it tests nothing"
	failed=$((failed + 1))
done
echo "1..$n"
[ "$failed" -eq 0 ]
