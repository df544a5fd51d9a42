#!/usr/bin/env bats
# The BlueGreen strategy with real runc: 2 pods of echo 0.1.0 behind the
# active service; `set image` 0.2.0 brings 2 pods of it up beside them,
# reached through the preview service while the active one still answers
# 0.1.0; promotion (after autoPromotionSeconds, or `rollout promote`)
# moves the active service at once, with no failed request under wrk; an
# undo within scaleDownDelaySeconds moves it back without starting a pod;
# a kill -9 of the daemon mid-rollout resumes in the same phase, an
# analysis run in progress included.
# Addresses are 127.0.0.1:20300-20399.

load ../lib/helpers
load ../lib/echo_ini

setup() {
	new_env
}

teardown() {
	teardown_env
}

PORT=20301
PREVIEW=20302

# bluegreen_ini EXTRA: the config, EXTRA lines added to the deployment.
bluegreen_ini() {
	echo_ini -r 2 -s "web=$PORT" -s "preview=$PREVIEW" \
		"strategy.type = BlueGreen" \
		"strategy.blueGreen.activeService = web" \
		"strategy.blueGreen.previewService = preview" \
		"strategy.blueGreen.scaleDownDelaySeconds = 60" \
		"$1"
}

# event_with TEXT: an event's message contains TEXT.
event_with() {
	bctl events -o json |
		jq -e --arg t "$1" '[.events[] | select(.message | contains($t))] | length > 0' >/dev/null
}

# answers PORT N EXPECT: N requests to PORT all answer EXPECT.
answers() {
	local port=$1 n=$2 want=$3 i got
	for i in $(seq "$n"); do
		got=$(curl -sf -m 5 "http://127.0.0.1:$port/") || return 1
		[ "$got" = "$want" ] || { echo "answer $i on $port: '$got'" >&2; return 1; }
	done
}

names() { pods_json | jq -r '[.pods[].name] | sort | join(" ")'; }

@test "bluegreen: preview before promotion, auto-promotion, undo within the delay, 0 failed requests" {
	bluegreen_ini "strategy.blueGreen.autoPromotionSeconds = 30" >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
	answers $PORT 3 0.1.0

	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	wait_for 60 event_with "Preview ready 2/2: promotion in 30s"
	t0=$SECONDS
	# before promotion: the preview reaches the new revision only, the
	# active service the old one only
	answers $PREVIEW 10 0.2.0
	echo "preview checked after $((SECONDS - t0)) s" >&2
	answers $PORT 10 0.1.0
	run timeout 3 "$BERTH" rollout status echo
	echo "$output" >&2
	[[ "$output" =~ "preview ready 2/2, promotion in" ]]
	echo "checked the preview in $((SECONDS - t0)) s" >&2
	[ $((SECONDS - t0)) -lt 30 ] # else the checks ran after promotion
	# load across the switch and the undo
	wrk -s "$WRK_STATUS" -t1 -c4 -d40s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!

	wait_for 40 event_with "Promoted: service web switched"
	echo "promoted after $((SECONDS - t0)) s" >&2
	[ $((SECONDS - t0)) -ge 25 ] # not before autoPromotionSeconds
	answers $PORT 5 0.2.0
	# the old revision stays for the delay
	[ "$(count_pods '.ready and (.image | contains("echo-0.1.0"))')" -eq 2 ]
	before=$(names)

	# undo within the delay: traffic only, at once
	run bctl rollout undo echo
	[ "$status" -eq 0 ]
	wait_for 5 answers $PORT 1 0.1.0
	answers $PORT 5 0.1.0
	event_with "Rollback within the scale-down delay"
	[ "$(names)" = "$before" ]

	wait "$wrk_pid"
	cat "$T/wrk.txt" >&2
	wrk_check "$T/wrk.txt"
}

@test "bluegreen: manual promotion survives a kill -9 of the daemon mid-rollout, 0 failed requests" {
	bluegreen_ini "strategy.blueGreen.autoPromotionEnabled = false" >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	wait_for 60 event_with 'Preview ready 2/2: waiting for `berth rollout promote`'
	sleep 2 # nothing promotes it
	answers $PORT 10 0.1.0
	answers $PREVIEW 10 0.2.0
	before=$(names)

	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
	wait_for 30 ready_pods 4
	[ "$(names)" = "$before" ]
	run timeout 3 "$BERTH" rollout status echo
	echo "$output" >&2
	[[ "$output" =~ "preview ready 2/2, waiting for promotion" ]]
	answers $PORT 10 0.1.0
	answers $PREVIEW 10 0.2.0

	wrk -s "$WRK_STATUS" -t1 -c4 -d6s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!
	sleep 2
	run bctl rollout promote echo
	[ "$status" -eq 0 ]
	wait_for 10 answers $PORT 1 0.2.0
	answers $PORT 20 0.2.0
	wait "$wrk_pid"
	cat "$T/wrk.txt" >&2
	wrk_check "$T/wrk.txt"
	run bctl rollout promote echo
	[ "$status" -ne 0 ]
	[[ "$output" =~ "no BlueGreen rollout waits for promotion" ]]
}

# analysis_ini PRE_CMD: bluegreen_ini with prePromotionAnalysis `pre`,
# an exec metric running PRE_CMD in a preview pod.
analysis_ini() {
	bluegreen_ini "strategy.blueGreen.prePromotionAnalysis = pre"
	cat <<INI

[analysis pre]
metrics.smoke.provider.exec.command = $1
INI
}

@test "bluegreen: prePromotionAnalysis through the analysis engine, passed then failed" {
	analysis_ini "/bin/sh -c 'test \"\$VERSION\" = 2.0'" >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
	wait_for 20 answers $PORT 1 "0.1.0"
	# A passing run: promoted by itself, the active service on 2.0.
	sed -i "s|^image = .*|image = $IMAGES/echo-0.2.0\nenv = VERSION=2.0|" "$T/berth.ini"
	bctl apply -f "$T/berth.ini" >/dev/null
	wait_for 90 answers $PORT 2 "2.0"
	run bctl get analysisruns -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.. | objects | select(.phase? == "Successful")] | length > 0' >/dev/null
	# A failing one: 3.0 is checked against 2.0 and aborted; the active
	# service stays on 2.0.
	sed -i "s|^env = VERSION=.*|env = VERSION=3.0|" "$T/berth.ini"
	bctl apply -f "$T/berth.ini" >/dev/null
	wait_for 90 event_with "prePromotionAnalysis"
	wait_for 60 eval 'bctl events -o json | jq -e "[.events[] | select(.reason == \"BlueGreenAborted\")] | length > 0" >/dev/null'
	answers $PORT 3 "2.0"
}

@test "bluegreen: a prePromotionAnalysis run in progress resumes after a kill -9 and promotes" {
	{
		bluegreen_ini "strategy.blueGreen.prePromotionAnalysis = pre"
		cat <<INI

[analysis pre]
metrics.smoke.interval = 3s
metrics.smoke.count = 2
metrics.smoke.provider.exec.command = /bin/sh -c 'test "\$VERSION" = 2.0'
INI
	} >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
	wait_for 20 answers $PORT 1 "0.1.0"
	sed -i "s|^image = .*|image = $IMAGES/echo-0.2.0\nenv = VERSION=2.0|" "$T/berth.ini"
	bctl apply -f "$T/berth.ini" >/dev/null
	# the first of two measurements taken, and on disk
	wait_for 60 jq -e '[.runs[] | select(.what == "prePromotion" and .phase == "Running" and .metrics[0].measurements == 1)] | length == 1' \
		"$T/state/analysisruns/echo.json"
	name=$(jq -r '.runs[] | select(.what == "prePromotion") | .name' "$T/state/analysisruns/echo.json")
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
	event_with "AnalysisRun $name (prePromotion) of revision"
	event_with "resumed after a restart: its 1 measurement(s) kept"
	# its second measurement, then the promotion it decides
	wait_for 60 answers $PORT 1 "2.0"
	answers $PORT 3 "2.0"
	event_with "pre/smoke measurement 2/2"
	run bctl get analysisruns -o json
	echo "$output" | jq -e --arg n "$name" '[.[] | select(.name == $n and .phase == "Successful")] | length == 1'
	echo "$output" | jq -e '[.[] | select(.what == "prePromotion")] | length == 1'
	echo "$output" | jq -e --arg n "$name" '.[] | select(.name == $n) | .metrics[0].measurements == 2'
}
