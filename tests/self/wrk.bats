#!/usr/bin/env bats
# tests/lib/wrk.sh against stub wrk reports (tests/self/wrk-reports/, in
# the format wrk 4.1 prints with -s tests/lib/wrk_status.lua): a report
# with any answer that is not 2xx, any socket error, no request at all, or
# no per-status counts fails wrk_check; a clean one passes. The last test
# runs wrk with the status script against busybox httpd. No daemon, no
# root; the only address is 127.0.0.1, ports 18460-18469.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
. "$REPO/tests/lib/wrk.sh"
R=$REPO/tests/self/wrk-reports

@test "a clean report passes, an interrupted clean one too" {
	run wrk_check "$R/clean.txt"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run wrk_check "$R/interrupted.txt"
	[ "$status" -eq 0 ]
	[ "$(wrk_summary "$R/clean.txt")" = "26934 0" ]
}

@test "a 502 fails, named by its status" {
	run wrk_check "$R/502.txt"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"502.txt: 3 answers not 2xx: 502 x3"* ]]
	[[ "$output" == *"wrk counted 3 answers with a status of 400 or more"* ]]
	# the report itself is shown
	[[ "$output" == *"# wrk:   29310 requests in 5.00s"* ]]
	[ "$(wrk_summary "$R/502.txt")" = "29310 3" ]
}

@test "a 502 counted by wrk alone fails" {
	run wrk_check "$R/504-wrk-count-only.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrk counted 1 answers with a status of 400 or more"* ]]
	[ "$(wrk_summary "$R/504-wrk-count-only.txt")" = "29310 1" ]
}

@test "502s together with read errors: both causes are named" {
	run wrk_check "$R/502-and-read-errors.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"25 socket errors (connect 0, read 25, write 0, timeout 0)"* ]]
	[[ "$output" == *"25 answers not 2xx: 502 x25"* ]]
}

@test "socket errors fail: read errors, timeouts" {
	run wrk_check "$R/socket-errors.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"2 socket errors (connect 0, read 2, write 0, timeout 0)"* ]]
	run wrk_check "$R/timeouts.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"4 socket errors (connect 0, read 0, write 0, timeout 4)"* ]]
	[ "$(wrk_summary "$R/timeouts.txt")" = "24407 4" ]
}

@test "no request fails: zero requests, refused connection, no report" {
	run wrk_check "$R/zero-requests.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"zero-requests.txt: no request was made"* ]]
	run wrk_check "$R/refused.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no request was made (unable to connect to 127.0.0.1:18459 Connection refused)"* ]]
	run wrk_check "$R/no-such-report.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no report"* ]]
	[ "$(wrk_summary "$R/no-such-report.txt")" = "0 0" ]
}

@test "a 3xx fails unless the test expects redirects" {
	run wrk_check "$R/redirect-302.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"2 answers not 2xx: 302 x2"* ]]
	run wrk_check "$R/redirect-302.txt" --allow-3xx
	[ "$status" -eq 0 ]
	# a 5xx still fails with --allow-3xx
	run wrk_check "$R/502.txt" --allow-3xx
	[ "$status" -eq 1 ]
	[[ "$output" == *"3 answers not 2xx or 3xx: 502 x3"* ]]
	run wrk_check "$R/clean.txt" --allow-4xx
	[ "$status" -eq 2 ]
}

@test "a report without per-status counts, or with counts that do not add up, fails" {
	run wrk_check "$R/no-status-lines.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no per-status counts"* ]]
	run wrk_check "$R/status-mismatch.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"add up to 26000, not to the 26934 requests"* ]]
}

@test "--without-status: a report of wrk alone, for benchmarks" {
	run wrk_check "$R/no-status-lines.txt" --without-status
	[ "$status" -eq 0 ]
	run wrk_check "$R/504-wrk-count-only.txt" --without-status
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrk counted 1 answers with a status of 400 or more"* ]]
	[[ "$output" != *"per-status"* ]]
	run wrk_check "$R/socket-errors.txt" --allow-3xx --without-status
	[ "$status" -eq 1 ]
	run wrk_check "$R/redirect-302.txt" --without-status --allow-3xx
	[ "$status" -eq 0 ]
}

@test "wrk_check under set -e: a bad report stops the caller" {
	# how the integration tests call it: a plain line, not the last one
	run bash -c ". '$REPO/tests/lib/wrk.sh'; set -e; wrk_check '$R/502.txt'; echo reached"
	[ "$status" -eq 1 ]
	[[ "$output" != *reached* ]]
	run bash -c ". '$REPO/tests/lib/wrk.sh'; set -e; wrk_check '$R/clean.txt'; echo reached"
	[ "$status" -eq 0 ]
	[ "$output" = reached ]
}

@test "the status script counts every answer of a real wrk run (3xx included)" {
	command -v wrk >/dev/null || skip "wrk is not installed"
	local www=$BATS_TEST_TMPDIR/www pid
	mkdir -p "$www/cgi-bin"
	echo hello >"$www/index.html"
	printf '#!/bin/sh\nprintf "Status: 302 Found\\r\\nLocation: /\\r\\n\\r\\n"\n' >"$www/cgi-bin/away"
	chmod 755 "$www/cgi-bin/away"
	busybox httpd -f -p 127.0.0.1:18461 -h "$www" &
	pid=$!
	for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:18461/ && break; sleep 0.1; done
	wrk -s "$WRK_STATUS" -t1 -c2 -d1s http://127.0.0.1:18461/ >"$BATS_TEST_TMPDIR/ok.txt" 2>&1 || true
	wrk -s "$WRK_STATUS" -t1 -c2 -d1s http://127.0.0.1:18461/cgi-bin/away >"$BATS_TEST_TMPDIR/302.txt" 2>&1 || true
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	cat "$BATS_TEST_TMPDIR/ok.txt" "$BATS_TEST_TMPDIR/302.txt"
	# the script loaded (wrk names the script when it does not)
	run grep -c wrk_status.lua "$BATS_TEST_TMPDIR/ok.txt" "$BATS_TEST_TMPDIR/302.txt"
	[ "$output" = "$(printf '%s:0\n%s:0' "$BATS_TEST_TMPDIR/ok.txt" "$BATS_TEST_TMPDIR/302.txt")" ]
	grep -q '^Status 200: [1-9]' "$BATS_TEST_TMPDIR/ok.txt"
	wrk_check "$BATS_TEST_TMPDIR/ok.txt"
	# wrk alone does not count a 302; the script does
	run grep -c 'Non-2xx' "$BATS_TEST_TMPDIR/302.txt"
	[ "$output" = 0 ]
	run wrk_check "$BATS_TEST_TMPDIR/302.txt"
	[ "$status" -eq 1 ]
	[[ "$output" =~ answers\ not\ 2xx:\ 302\ x[1-9] ]]
}
