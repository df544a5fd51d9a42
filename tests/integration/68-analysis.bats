#!/usr/bin/env bats
# Canary analysis with real runc and the berth provider (the proxy's own
# per-revision counters): 4 stable pods of echo-version and 1 canary pod
# of the same image with other env (a new revision). Under wrk load, a
# canary answering 500 to 20 % of requests (FAIL_PERCENT) is aborted
# within interval x (failureLimit + 1) plus one interval, after which no
# request reaches it, and the only failed requests wrk saw are the
# canary's own 500s; a good canary passes its analysis (berth, exec, web
# providers) and is promoted with no failed request; with no traffic the
# analysis is Inconclusive and the rollout waits for a human; runs
# outlive a kill -9 of the daemon (a finished one listed as it was, one
# in progress resumed to the same decision).
# Addresses are 127.0.0.1:20400-20499.

load ../lib/helpers
load ../lib/echo_ini

setup() {
	new_env
}

teardown() {
	teardown_env
}

ADMIN=127.0.0.1:20490
PORT=20401

# analysis_ini VERSION FAIL_PERCENT [STEP TEMPLATES] [INTERVAL] [LINE]:
# LINE one more deployment key (background analysis: bg); errors
# (berth provider), smoke (exec in the canary's pod; web through the
# service: echo-version's /status/201 answers the JSON number 201)
analysis_ini() {
	echo_ini -a "$ADMIN" -e "VERSION=$1" -e "FAIL_PERCENT=$2" \
		"strategy.type = Canary" \
		"strategy.canary.steps = setCanaryScale replicas 1, setWeight 20" \
		"strategy.canary.steps = analysis ${3:-errors}, setWeight 50" \
		"strategy.canary.abortScaleDownDelaySeconds = 1" \
		"${5:-}"
	cat <<INI

[analysis errors]
metrics.success-rate.interval = ${4:-3s}
metrics.success-rate.count = 2
metrics.success-rate.failureLimit = 0
metrics.success-rate.successCondition = result.successRate >= 0.99
metrics.success-rate.provider.berth.minRequests = 20

[analysis smoke]
metrics.alive.provider.exec.command = /bin/sh -c 'test "\$VERSION" = good2'
metrics.web.provider.web.url = http://127.0.0.1:$PORT/status/201
metrics.web.successCondition = result == 201

[analysis bg]
metrics.errors.interval = 1s
metrics.errors.inconclusiveLimit = 1000
metrics.errors.failureCondition = result.errorRate > 0.5
metrics.errors.provider.berth.minRequests = 1
INI
}

# counter SERIES HASH: the /metrics value of SERIES for revision HASH.
counter() {
	curl -sf "http://$ADMIN/metrics" |
		awk -v s="$1" -v h="pod_template_hash=\"$2\"" '
		index($1, s "{service=\"web\",") == 1 && index($1, h) { print $2; f = 1 }
		END { if (!f) print 0 }'
}

event_with() {
	bctl events -o json |
		jq -e --arg t "$1" '[.events[] | select(.message | contains($t))] | length > 0' >/dev/null
}

# the revision hash of the pods answering VERSION (env), via their number
revision_hashes() {
	pods_json | jq -r '[.pods[] | .revision_hash] | unique | .[]'
}

# run_field NAME JQ: a field of analysis run NAME's JSON.
run_field() {
	bctl get analysisruns "$1" -o json | jq -r ".[0] | $2"
}

answers() {
	local n=$1 want=$2 i got
	for i in $(seq "$n"); do
		got=$(curl -sf -m 5 "http://127.0.0.1:$PORT/") || return 1
		[ "$got" = "$want" ] || { echo "answer $i: '$got'" >&2; return 1; }
	done
}

start_stable() {
	analysis_ini good 0 >"$T/berth.ini"
	start_daemon
	wait_for 120 ready_pods 4
	answers 3 good
	stable=$(revision_hashes)
	[ "$(echo "$stable" | wc -l)" -eq 1 ]
}

@test "analysis: a canary failing 20 % of requests is aborted by the berth provider; no request reaches it after" {
	start_stable
	wrk -s "$WRK_STATUS" -t1 -c4 -d25s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!

	analysis_ini bad 20 >"$T/bad.ini"
	run bctl apply -f "$T/bad.ini"
	[ "$status" -eq 0 ]
	wait_for 60 event_with "AnalysisRun echo-"
	wait_for 30 event_with "aborting at step 3/4"
	name=$(bctl get analysisruns -o json | jq -r '.[0].name')
	canary=$(run_field "$name" .revision)
	echo "stable $stable canary $canary run $name" >&2
	[ "$(run_field "$name" .phase)" = Failed ]
	# interval 3 s x (failureLimit 0 + 1) + one interval
	took=$(($(run_field "$name" .ended_ms) - $(run_field "$name" .started_ms)))
	echo "analysis took $took ms" >&2
	[ "$took" -le 6000 ]
	bctl events | grep -E "measurement 1/2: [0-9]+ requests in 3 s, [0-9]+ failed .*: result.successRate 0\.[0-9]+; successCondition .* does not hold -> Failed; failures 1 > failureLimit 0 -> metric Failed" >&2 || { bctl events >&2; false; }
	bctl events | grep "100 % to stable" >&2

	# After the abort: nothing more for the canary.
	wait_for 30 has_pods '.revision_hash != "'"$stable"'"' 0
	[ -n "$canary" ]
	c0=$(counter berth_revision_requests_total "$canary")
	[ "$c0" -gt 0 ]
	wait "$wrk_pid"
	[ "$(counter berth_revision_requests_total "$canary")" -eq "$c0" ]

	# The only failures wrk saw are the canary's own 500s.
	read -r requests failed <<<"$(wrk_summary "$T/wrk.txt")"
	bad=$(counter berth_revision_5xx_total "$canary")
	echo "wrk: $requests requests, $failed failed; canary 5xx $bad" >&2
	[ "$failed" -eq "$bad" ]
	[ "$(counter berth_revision_5xx_total "$stable")" -eq 0 ]
	[ "$(counter berth_revision_connection_errors_total "$stable")" -eq 0 ]
	answers 20 good

	run bctl get analysisruns
	echo "$output" >&2
	[[ "$output" =~ $name.*Failed ]]
	run bctl describe analysisrun "$name"
	echo "$output" >&2
	[[ "$output" =~ "failures 1 > failureLimit 0" ]]
	[[ "$output" =~ "successCondition:  result.successRate >= 0.99" ]]
}

@test "analysis: a good canary passes the berth, exec and web providers and a background run under load and is promoted" {
	start_stable
	wrk -s "$WRK_STATUS" -t1 -c4 -d14s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!
	analysis_ini good2 0 "errors smoke" 2s \
		"strategy.canary.analysis.templates = bg" >"$T/good.ini"
	run bctl apply -f "$T/good.ini"
	[ "$status" -eq 0 ]
	wait_for 60 event_with "Step 3/4 analysis errors smoke: Successful" || { bctl events >&2; false; }
	bctl events | grep -E "analysis smoke/alive measurement 1/1: .* exited 0 -> Successful" >&2
	bctl events | grep -E "analysis smoke/web measurement 1/1: http://127.0.0.1:$PORT/status/201: result 201; successCondition .* holds -> Successful" >&2
	bctl events | grep -E "analysis errors/success-rate measurement 2/2: [0-9]+ requests in 2 s, 0 failed .*: result.successRate 1; successCondition .* holds -> Successful" >&2
	run timeout 120 "$BERTH" rollout status echo
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" =~ "successfully rolled out" ]]
	# The background run measured across the steps, then ended with them.
	bctl events | grep -E "analysis bg/errors measurement [0-9]+: [0-9]+ requests in 1 s, 0 failed .*failureCondition .* does not hold -> Successful" >&2
	bctl events | grep -E "\(background\) of revision [0-9a-f]+: Successful: every step passed" >&2
	wait "$wrk_pid"
	wrk_check "$T/wrk.txt"
	answers 10 good2
}

@test "analysis: no traffic is Inconclusive and the rollout waits for promote" {
	start_stable
	analysis_ini quiet 0 errors 1s >"$T/quiet.ini"
	run bctl apply -f "$T/quiet.ini"
	[ "$status" -eq 0 ]
	wait_for 60 event_with "Inconclusive"
	bctl events | grep -E "0 requests in 1 s < minRequests 20 .* -> Inconclusive; inconclusive 1 > inconclusiveLimit 0" >&2
	run timeout 3 "$BERTH" rollout status echo
	echo "$output" >&2
	[[ "$output" =~ "held at step 3/4" ]]
	[[ "$output" =~ "minRequests 20" ]]
	# Held: still there, still 20 %, a second later.
	sleep 1
	[ "$(count_pods '.ready')" -eq 5 ]
	run bctl rollout promote echo
	[ "$status" -eq 0 ]
	run timeout 120 "$BERTH" rollout status echo
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" =~ "successfully rolled out" ]]
	answers 5 quiet
}

# running_with N: one run is measuring, with N measurements taken.
running_with() {
	bctl get analysisruns -o json |
		jq -e --argjson n "$1" '[.[] | select(.phase == "Running" and .metrics[0].measurements == $n)] | length == 1'
}

# runs_of REVISION: how many analysis runs measured REVISION.
runs_of() {
	bctl get analysisruns -o json | jq --arg r "$1" '[.[] | select(.revision == $r)] | length'
}

@test "analysis: runs outlive a kill -9; a finished one is listed as it was, one in progress resumes to the same decision" {
	start_stable
	wrk -s "$WRK_STATUS" -t1 -c4 -d90s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!

	# A bad canary aborted by its analysis, then the daemon killed.
	analysis_ini bad 20 >"$T/bad.ini"
	bctl apply -f "$T/bad.ini" >/dev/null
	wait_for 60 event_with "aborting at step 3/4"
	name=$(bctl get analysisruns -o json | jq -r '.[0].name')
	canary=$(run_field "$name" .revision)
	bctl get analysisruns "$name" -o json | jq -S '.[0]' >"$T/before.json"
	bctl describe analysisrun "$name" >"$T/before.txt"
	wait_for 30 has_pods '.revision_hash != "'"$stable"'"' 0
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon "$T/bad.ini"
	bctl get analysisruns "$name" -o json | jq -S '.[0]' >"$T/after.json"
	diff "$T/before.json" "$T/after.json" >&2
	bctl describe analysisrun "$name" >"$T/after.txt"
	diff "$T/before.txt" "$T/after.txt" >&2
	[ "$(run_field "$name" .phase)" = Failed ]
	[ "$(run_field "$name" '.metrics[0].measurements')" -eq 1 ]
	grep -q "failures 1 > failureLimit 0" "$T/after.txt"
	# the same decision: still aborted, no canary pod, no new run
	run timeout 3 "$BERTH" rollout status echo
	echo "$output" >&2
	[[ "$output" =~ "aborted at step 3/4" ]]
	sleep 2
	[ "$(count_pods '.revision_hash == "'"$canary"'"')" -eq 0 ]
	[ "$(runs_of "$canary")" -eq 1 ]

	# A good canary killed between its two measurements: the run goes
	# on from 1/2 after the restart, and the rollout is promoted.
	analysis_ini good2 0 errors 4s >"$T/good.ini"
	bctl apply -f "$T/good.ini" >/dev/null
	wait_for 60 running_with 1
	good=$(bctl get analysisruns -o json | jq -r '[.[] | select(.phase == "Running")] | .[0].name')
	revision=$(run_field "$good" .revision)
	[ "$revision" != "$canary" ] && [ "$revision" != "$stable" ]
	# on disk too (written from the loop turn after the measurement)
	wait_for 10 jq -e --arg n "$good" \
		'.runs[] | select(.name == $n) | .metrics[0].measurements == 1' \
		"$T/state/analysisruns/echo.json"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon "$T/good.ini"
	event_with "AnalysisRun $good (step 3/4) of revision $revision resumed after a restart: its 1 measurement(s) kept"
	wait_for 30 event_with "AnalysisRun $good (step 3/4) of revision $revision: Successful"
	# its second measurement, taken by the new daemon (events start
	# again with it), not a first one of a new run
	event_with "errors/success-rate measurement 2/2"
	run event_with "errors/success-rate measurement 1/2"
	[ "$status" -ne 0 ]
	[ "$(run_field "$good" '.metrics[0].measurements')" -eq 2 ]
	[ "$(runs_of "$revision")" -eq 1 ]
	run timeout 120 "$BERTH" rollout status echo
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" =~ "successfully rolled out" ]]
	answers 5 good2
	# the bad canary's run is still listed, beside the good one
	[ "$(run_field "$name" .phase)" = Failed ]
	ls "$T/state/analysisruns/echo.json"
	kill "$wrk_pid" 2>/dev/null || true
	wait "$wrk_pid" || true
}
