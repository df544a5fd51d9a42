#!/bin/sh
# tests/run.sh - runs every suite (C units, config golden files, the lints
# (format, layering, include style, dead bats assertions), the tests of the
# test helpers, bats integration tests with real runc), sums their TAP
# output and ends with one line "N passed, N failed". Exit status 1 when
# anything failed. A suite that exits non-zero without a failing test, runs
# no test, or runs a number of tests other than its plan ("1..N") counts as
# a failure.
# Run from the repository root after `make all asan` and `make images`.
set -u
out=$(mktemp -d /tmp/berth-tests.XXXXXX)
passed=0
failed=0
skipped=0

# tally NAME FILE EXIT: counts TAP lines of one suite.
tally() {
	p=$(grep -c '^ok ' "$2" | tr -d ' ')
	s=$(grep -c '^ok .*# [Ss][Kk][Ii][Pp]' "$2" | tr -d ' ')
	f=$(grep -c '^not ok ' "$2" | tr -d ' ')
	p=$((p - s))
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $1 exited $3 without a failing test: counted as a failure"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
		echo "# $1 ran no test: counted as a failure"
		f=1
	fi
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$2" | head -n 1)
	ran=$(grep -c -E '^(not )?ok ' "$2" | tr -d ' ')
	if [ "$f" -gt 0 ]; then
		: # already failing
	elif [ -z "$plan" ]; then
		echo "# $1 printed no plan (1..N): counted as a failure"
		f=$((f + 1))
	elif [ "$plan" -ne "$ran" ]; then
		echo "# $1 planned $plan tests but ran $ran: counted as a failure"
		f=$((f + 1))
	fi
	echo "# $1: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

run_suite() {
	name=$1
	shift
	echo "# --- $name"
	"$@" >"$out/suite.tap" 2>"$out/suite.err"
	rc=$?
	cat "$out/suite.tap"
	grep -E '^not ok' "$out/suite.tap" >/dev/null && sed 's/^/# stderr: /' "$out/suite.err" | tail -n 40
	tally "$name" "$out/suite.tap" "$rc"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "unit/$(basename "$t")" "$t"
done
# The proxy's units again on 2 proxy threads (tests/lib/proxy_test.h).
for t in build/tests/test_proxy_*; do
	[ -x "$t" ] || continue
	BERTH_PROXY_THREADS=2 run_suite "unit/$(basename "$t") (2 proxy threads)" "$t"
done
# And with each write made on its own, as where io_uring is missing
# (proxy/wbatch.c).
for t in build/tests/test_proxy_*; do
	[ -x "$t" ] || continue
	BERTH_PROXY_URING=0 run_suite "unit/$(basename "$t") (writes one by one)" "$t"
done

# fuzz_one BIN: a bounded libFuzzer run, reported as one TAP test. Seeds
# and past crash inputs come from tests/fuzz/corpus/NAME, keywords from
# tests/fuzz/NAME.dict, when there are.
fuzz_one() {
	mkdir -p "build/fuzz-corpus/$(basename "$1")"
	seeds= dict=
	[ -d "tests/fuzz/corpus/$(basename "$1")" ] && seeds="tests/fuzz/corpus/$(basename "$1")"
	[ -f "tests/fuzz/$(basename "$1").dict" ] && dict="-dict=tests/fuzz/$(basename "$1").dict"
	if "$1" -max_total_time="${FUZZ_SECONDS:-20}" -print_final_stats=1 $dict \
		"build/fuzz-corpus/$(basename "$1")" $seeds >"$out/fuzz.log" 2>&1; then
		echo "ok 1 - $(basename "$1"): no crash in ${FUZZ_SECONDS:-20} s ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/fuzz.log" | grep -o '[0-9]*$') runs)"
	else
		echo "not ok 1 - $(basename "$1") found a crash"
		tail -n 40 "$out/fuzz.log" | sed 's/^/# /'
	fi
	echo "1..1"
}

for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	run_suite "fuzz/$(basename "$f")" fuzz_one "$f"
done

BERTH=build/asan/berth \
	run_suite "config golden files" sh tests/config/run.sh

# Lints (format, layering, include style, dead assertions in the test
# files): every executable tests/lint/*.sh, each a TAP suite.
for l in tests/lint/*.sh; do
	[ -x "$l" ] || continue
	case $l in
	*/bats_negation.sh) run_suite "lint/$(basename "$l")" "$l" --tap ;;
	*) run_suite "lint/$(basename "$l")" "$l" ;;
	esac
done

# The test helpers' own tests (wrk report check, the lint); no root needed.
for b in tests/self/*.bats; do
	run_suite "self/$(basename "$b")" bats --tap "$b"
done

# Integration files run BERTH_TEST_JOBS at a time (default 2): each owns
# its loopback ports, temp folders, runc root and cgroups, so they do not
# meet. The largest start first (size stands in for length), so a long
# file does not start last and leave the other runner idle. Their reports
# are printed and counted in file order afterwards.
if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$out/int"
	ls -S tests/integration/*.bats |
		BERTH="$PWD/build/asan/berth" OUT="$out/int" \
			xargs -P "${BERTH_TEST_JOBS:-2}" -I{} sh -c '
			n=$(basename "$1" .bats) t0=$(date +%s)
			# the proxy files on 2 proxy threads, the rest on 1
			case $n in
			5[0-9]-* | 61-* | 65-* | 82-*) export BERTH_PROXY_THREADS=${BERTH_PROXY_THREADS:-2} ;;
			esac
			bats --tap "$1" >"$OUT/$n.tap" 2>"$OUT/$n.err"
			echo $? >"$OUT/$n.rc"
			echo $(($(date +%s) - t0)) >"$OUT/$n.time"' sh {}
	for b in tests/integration/*.bats; do
		n=$(basename "$b" .bats)
		echo "# --- integration/$n.bats ($(cat "$out/int/$n.time" 2>/dev/null) s)"
		cat "$out/int/$n.tap"
		grep -E '^not ok' "$out/int/$n.tap" >/dev/null &&
			sed 's/^/# stderr: /' "$out/int/$n.err" | tail -n 40
		tally "integration/$n.bats" "$out/int/$n.tap" \
			"$(cat "$out/int/$n.rc" 2>/dev/null || echo 1)"
	done
else
	echo "# integration tests need root (real runc): skipped"
	skipped=$((skipped + 1))
fi

rm -rf "$out"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
