#!/bin/sh
# tests/lint/format.sh - every C source and header of the repository is
# formatted as the repository's .clang-format says (`make fmt` fixes it).
# One TAP test per file. Run from the repository root.
set -u

if ! command -v clang-format >/dev/null 2>&1; then
	echo "not ok 1 - clang-format is installed (make deps installs it)"
	echo "1..1"
	exit 1
fi
files=$(find . -path ./build -prune -o -path ./.git -prune -o \
	-name node_modules -prune -o \( -name '*.c' -o -name '*.h' \) -print |
	sed 's|^\./||' | sort)
# one run for all files; its messages start with "FILE:LINE:COL: "
# shellcheck disable=SC2086
report=$(clang-format --dry-run --Werror $files 2>&1)
n=0
failed=0
for f in $files; do
	n=$((n + 1))
	if printf '%s\n' "$report" | grep -q "^$f:[0-9]*:[0-9]*: "; then
		echo "not ok $n - clang-format: $f (make fmt fixes it)"
		printf '%s\n' "$report" | grep -A2 "^$f:[0-9]*:[0-9]*: " |
			head -n 12 | sed 's/^/#   /'
		failed=$((failed + 1))
	else
		echo "ok $n - clang-format: $f"
	fi
done
if [ "$failed" -eq 0 ] && [ -n "$report" ]; then
	n=$((n + 1))
	echo "not ok $n - clang-format ran cleanly"
	printf '%s\n' "$report" | head -n 12 | sed 's/^/#   /'
	failed=1
fi
echo "1..$n"
[ "$failed" -eq 0 ]
