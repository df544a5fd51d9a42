#!/usr/bin/env bats
# Canary mirroring and stickiness with real runc: 4 stable pods of echo
# 0.1.0 and 1 canary pod of echo 0.2.0. setMirrorRoute 25 copies a
# quarter of the requests to the canary, counted at the canary revision
# (the proxy's per-revision counters of the canary pod's answers), while
# every client answer is the stable one and none fails under wrk; at
# setWeight 50 the stickiness cookie keeps each client on the side of its
# first answer. Addresses are 127.0.0.1:20500-20599.

load ../lib/helpers
load ../lib/echo_ini

setup() {
	new_env
}

teardown() {
	teardown_env
}

ADMIN=127.0.0.1:20590
PORT=20501

mirror_ini() {
	echo_ini -a "$ADMIN" \
		"strategy.type = Canary" \
		"strategy.canary.steps = setCanaryScale replicas 1, setMirrorRoute 25, pause" \
		"strategy.canary.steps = setMirrorRoute, setWeight 50, pause" \
		"strategy.canary.stickiness.cookie = side"
}

# metric NAME HASH: NAME{service="web",pod_template_hash="HASH"} (0 if none).
metric() {
	curl -sf "http://$ADMIN/metrics" |
		awk -v n="$1{service=\"web\"" -v h="pod_template_hash=\"$2\"" '
		index($1, n) == 1 && index($1, h) { print $2; f = 1 }
		END { if (!f) print 0 }'
}

event_with() {
	bctl events -o json |
		jq -e --arg t "$1" '[.events[] | select(.message | contains($t))] | length > 0' >/dev/null
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

# copied_at_least PCT C0 S0: the canary has answered copies of at least
# PCT % of the requests the stable pods answered since C0 / S0.
copied_at_least() {
	local c s
	read -r c s < <(counts "$stable" "$canary")
	[ $(((c - $2) * 100)) -ge $(($1 * (s - $3))) ]
}

# counts STABLE CANARY: the requests the canary and the stable pods
# answered, as "C S".
counts() {
	echo "$(metric berth_revision_requests_total "$2") $(metric berth_revision_requests_total "$1")"
}

@test "mirror: 25 % of requests copied to the canary, no answer changed; stickiness cookie at weight 50" {
	mirror_ini >"$T/berth.ini"
	start_daemon
	wait_for 120 ready_pods 4
	answers 3 0.1.0
	stable=$(curl -sf "http://$ADMIN/metrics" |
		sed -n 's/^berth_revision_requests_total{service="web",pod_template_hash="\([^"]*\)"}.*/\1/p')
	[ -n "$stable" ]

	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	wait_for 60 event_with "Step 3/6 pause: paused"
	event_with "Step 2/6 setMirrorRoute 25: copies of requests to the canary"
	canary=$(pods_json | jq -r \
		'[.pods[] | select(.image | contains("echo-0.2.0")) | .revision_hash] | unique | .[0]')
	[ -n "$canary" ] && [ "$canary" != null ] && [ "$canary" != "$stable" ]
	wait_for 60 has_pods '.ready and (.image | contains("echo-0.2.0"))' 1

	# every client answer is the stable one, none failed, 25 % copied
	answers 40 0.1.0
	read -r c0 s0 < <(counts "$stable" "$canary")
	wrk -s "$WRK_STATUS" -t1 -c4 -d4s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1
	wrk_check "$T/wrk.txt"
	total=$(wrk_summary "$T/wrk.txt" | awk '{ print $1 }')
	# the copies' answers are counted as they end
	wait_for 10 copied_at_least 23 "$c0" "$s0"
	read -r c1 s1 < <(counts "$stable" "$canary")
	echo "wrk $total requests; stable answered $((s1 - s0)), canary got $((c1 - c0)) copies" >&2
	[ "$total" -ge 2000 ]
	# every request wrk made was answered by a stable pod (wrk does not
	# count the few in flight when it stops)
	[ $((s1 - s0)) -ge "$total" ] && [ $((s1 - s0)) -le $((total + 8)) ]
	awk -v c=$((c1 - c0)) -v t=$((s1 - s0)) 'BEGIN { p = 100 * c / t; exit !(p >= 23 && p <= 27) }'
	curl -sf "http://$ADMIN/metrics" | grep -q '^berth_service_mirrored_requests_total{service="web",result="sent"}'

	# setWeight 50 with the cookie: each client stays on its side
	run bctl rollout promote echo
	[ "$status" -eq 0 ]
	wait_for 30 event_with "Step 6/6 pause: paused"
	event_with "Step 4/6 setMirrorRoute: mirror removed"
	sides=""
	for i in $(seq 16); do
		jar="$T/jar-$i"
		first=$(curl -sf -m 5 -c "$jar" "http://127.0.0.1:$PORT/")
		grep -q "side" "$jar"
		answers 10 "$first" -b "$jar"
		sides="$sides $first"
	done
	echo "first answers:$sides" >&2
	[[ "$sides" =~ 0.1.0 ]]
	[[ "$sides" =~ 0.2.0 ]]
	# a cookie of the other side moves the client there, and back
	answers 10 0.2.0 -b "side=canary.$canary"
	answers 10 0.1.0 -b "side=stable.$canary"
}
