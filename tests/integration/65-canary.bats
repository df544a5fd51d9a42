#!/usr/bin/env bats
# The Canary strategy with real runc: 10 stable pods of echo 0.1.0 and 1
# canary pod of echo 0.2.0 (setCanaryScale replicas 1). At setWeight 5,
# 25 and 50, wrk (4 keep-alive connections, at least 5000 requests) sees
# the canary answer within 2 points of the weight, counted by the proxy's
# per-revision counters (/metrics), and no failed request; a header route
# sends every matching request to the canary and none of the others;
# abort sends nothing more to it at once and removes its pod after
# abortScaleDownDelaySeconds; retry starts over;
# promote --full rolls out. Addresses are 127.0.0.1:19900-19999.

load ../lib/helpers
load ../lib/echo_ini

setup() {
	new_env
}

teardown() {
	teardown_env
}

ADMIN=127.0.0.1:19990
PORT=19901

canary_ini() {
	echo_ini -a "$ADMIN" -r 10 \
		"strategy.type = Canary" \
		"strategy.canary.steps = setCanaryScale replicas 1, setWeight 5, pause" \
		"strategy.canary.steps = setWeight 25, pause, setWeight 50, pause" \
		"strategy.canary.steps = setHeaderRoute X-Canary exact yes, setWeight 0, pause" \
		"strategy.canary.abortScaleDownDelaySeconds = 5"
}

# requests HASH: berth_revision_requests_total of revision HASH (0 if none).
requests() {
	curl -sf "http://$ADMIN/metrics" |
		awk -v h="pod_template_hash=\"$1\"" '
		$1 ~ /^berth_revision_requests_total\{service="web",/ && index($1, h) { print $2; f = 1 }
		END { if (!f) print 0 }'
}

# event_with TEXT: an event's message contains TEXT.
event_with() {
	bctl events -o json |
		jq -e --arg t "$1" '[.events[] | select(.message | contains($t))] | length > 0' >/dev/null
}

# share WEIGHT STABLE CANARY: wrk for 4 s on 4 connections; at least 5000
# requests, none failed, and the canary's share within 2 points of WEIGHT.
share() {
	local s0 c0 s1 c1 total pct
	s0=$(requests "$2")
	c0=$(requests "$3")
	wrk -s "$WRK_STATUS" -t1 -c4 -d4s "http://127.0.0.1:$PORT/" >"$T/wrk-$1.txt" 2>&1
	wrk_check "$T/wrk-$1.txt"
	sleep 0.5 # the last answers are counted as they end
	s1=$(requests "$2")
	c1=$(requests "$3")
	total=$(((s1 - s0) + (c1 - c0)))
	pct=$(awk -v c=$((c1 - c0)) -v t="$total" 'BEGIN { printf "%.2f", 100 * c / t }')
	echo "weight $1: canary $((c1 - c0)) of $total requests = $pct %" >&2
	[ "$total" -ge 5000 ]
	awk -v p="$pct" -v w="$1" 'BEGIN { d = p - w; exit !(d <= 2 && d >= -2) }'
}

# answers N EXPECT [CURL ARGS]: N curls all answer EXPECT.
answers() {
	local n=$1 want=$2 i got
	shift 2
	for i in $(seq "$n"); do
		got=$(curl -sf -m 5 "$@" "http://127.0.0.1:$PORT/") || return 1
		[ "$got" = "$want" ] || { echo "answer $i: '$got'" >&2; return 1; }
	done
}

canary_pods() { count_pods '.image | contains("echo-0.2.0")'; }

@test "canary: weights 5/25/50 with 10 stable + 1 canary pod, header route, abort, retry, promote --full" {
	canary_ini >"$T/berth.ini"
	start_daemon
	wait_for 120 ready_pods 10
	answers 3 0.1.0
	stable=$(curl -sf "http://$ADMIN/metrics" |
		sed -n 's/^berth_revision_requests_total{service="web",pod_template_hash="\([^"]*\)"}.*/\1/p')
	[ -n "$stable" ]

	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	wait_for 60 event_with "Step 3/10 pause: paused"
	canary=$(pods_json | jq -r --arg s "$stable" \
		'[.pods[] | select(.image | contains("echo-0.2.0")) | .revision_hash] | unique | .[0]')
	echo "stable $stable canary $canary" >&2
	[ -n "$canary" ] && [ "$canary" != null ] && [ "$canary" != "$stable" ]
	[ "$(canary_pods)" -eq 1 ]
	[ "$(count_pods '.ready and (.image | contains("echo-0.1.0"))')" -eq 10 ]
	share 5 "$stable" "$canary"
	run timeout 3 "$BERTH" rollout status echo
	echo "$output" >&2
	[[ "$output" =~ "at step 3/10 (pause), weight set 5 %, in the proxy 5 %" ]]

	run bctl rollout promote echo
	[ "$status" -eq 0 ]
	wait_for 30 event_with "Step 5/10 pause: paused"
	share 25 "$stable" "$canary"

	run bctl rollout promote echo
	[ "$status" -eq 0 ]
	wait_for 30 event_with "Step 7/10 pause: paused"
	share 50 "$stable" "$canary"

	run bctl rollout promote echo
	[ "$status" -eq 0 ]
	wait_for 30 event_with "Step 10/10 pause: paused"
	answers 50 0.2.0 -H "X-Canary: yes"
	answers 50 0.1.0
	answers 20 0.1.0 -H "X-Canary: no"

	# abort: weight 0 and no header route at once; the canary pod stays
	# abortScaleDownDelaySeconds (5 s), then goes
	run bctl rollout abort echo
	[ "$status" -eq 0 ]
	[ "$(count_pods '.ready and (.image | contains("echo-0.2.0"))')" -eq 1 ]
	event_with "the canary pods go in 5 s (abortScaleDownDelaySeconds)"
	c0=$(requests "$canary")
	answers 50 0.1.0 -H "X-Canary: yes"
	[ "$(requests "$canary")" -eq "$c0" ]
	wait_for 30 has_pods '.image | contains("echo-0.2.0")' 0
	answers 10 0.1.0 -H "X-Canary: yes"
	[ "$(requests "$canary")" -eq "$c0" ]
	run bctl rollout promote echo
	[ "$status" -ne 0 ]
	[[ "$output" =~ "aborted" ]]

	# retry: from the first step again
	run bctl rollout retry echo
	[ "$status" -eq 0 ]
	wait_for 60 event_with "Retry: the steps start again"
	wait_for 60 has_pods '.ready and (.image | contains("echo-0.2.0"))' 1

	# promote --full: every pod of 0.2.0, every request to it
	run bctl rollout promote echo --full
	[ "$status" -eq 0 ]
	run timeout 180 "$BERTH" rollout status echo
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" =~ "successfully rolled out" ]]
	answers 30 0.2.0
	grep -q "CanaryWeight" <(bctl events)
}
