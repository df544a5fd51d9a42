#!/usr/bin/env bats
# Rollouts under load with real runc: wrk keeps 32 keep-alive connections
# on an http service for the whole rollout and must see no socket error
# and no non-2xx answer, while a sampler (every 100 ms) checks that
# non-terminating pods stay <= replicas + maxSurge and ready pods >=
# replicas - maxUnavailable. Covers echo 0.1.0 -> 0.2.0 by `set image`,
# nginx (exits at once on SIGTERM, no preStop) by `rollout restart`, and
# `rollout undo`. Addresses are 127.0.0.1:18300-18399; every run is bounded.

load ../lib/helpers

setup() {
	new_env
	SAMPLER=
	WRK=
}

teardown() {
	[ -z "${SAMPLER:-}" ] || kill "$SAMPLER" 2>/dev/null || true
	[ -z "${WRK:-}" ] || kill "$WRK" 2>/dev/null || true
	teardown_env
}

# app_deployment NAME IMAGE SURGE UNAVAILABLE: 4 replicas of IMAGE, an echo
# image (echo-version on :8080) or nginx (no preStop, default stop signal:
# SIGTERM, on which nginx exits at once), readiness every 1 s.
app_deployment() {
	local run="command = /bin/echo-version
args = --listen :8080"
	[ "$2" = nginx ] && run="command = /usr/sbin/nginx"
	cat <<INI

[deployment $1]
image = $IMAGES/$2
$run
replicas = 4
labels = app=$1
port = 8080
terminationGracePeriodSeconds = 10
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
strategy.rollingUpdate.maxSurge = $3
strategy.rollingUpdate.maxUnavailable = $4
INI
}

service() { # service NAME PORT SELECTOR
	cat <<INI

[service $1]
listen = 127.0.0.1:$2
selector = $3
targetPort = 8080
mode = http
INI
}

endpoints() {
	bctl get services -o json |
		jq "[.services[] | select(.name == \"$1\") | .endpoints[]] | length"
}
has_endpoints() { [ "$(endpoints "$1")" -eq "$2" ]; }

# start_load PORT: wrk with 32 keep-alive connections to
# http://127.0.0.1:PORT/ until stop_load; returns once all 32 are open and
# the sampler (started before) has recorded 5 samples under the load.
start_load() {
	wrk -s "$WRK_STATUS" -t2 -c32 -d300s "http://127.0.0.1:$1/" >"$T/wrk.txt" 2>&1 &
	WRK=$!
	wait_for 10 load_connected "$1" 32
	local before
	before=$(sample_count)
	wait_for 30 samples_at_least $((before + 5))
}

# stop_load: ends wrk (SIGINT makes it print its report) and checks that
# report (wrk_check): requests were made, none failed at the socket, every
# answer was 2xx.
stop_load() {
	kill -INT "$WRK"
	wait "$WRK" || true
	WRK=
	wrk_check "$T/wrk.txt"
}

# check_samples MAX_PODS MIN_READY: stops the sampler; at least 10
# samples, never more than MAX_PODS pods, never fewer than MIN_READY ready.
check_samples() {
	stop_sampler
	local n max min
	n=$(sample_count)
	max=$(sample_max 1)
	min=$(sample_min 2)
	echo "samples $n, most pods $max (<= $1), fewest ready $min (>= $2)" >&2
	[ "$n" -ge 10 ]
	[ "$max" -le "$1" ]
	[ "$min" -ge "$2" ]
}

# rolled_out DEPLOYMENT: `rollout status` says done (bounded by timeout).
rolled_out() {
	run timeout 120 "$BERTH" rollout status "$1"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" =~ "successfully rolled out" ]]
}

# answers URL N EXPECT: N curls all answer EXPECT.
answers() {
	local i got
	for i in $(seq "$2"); do
		got=$(curl -sf -m 5 "$1") || return 1
		[ "$got" = "$3" ] || { echo "answer $i: '$got'" >&2; return 1; }
	done
}

@test "load: RollingUpdate echo 0.1.0 -> 0.2.0 (surge 1, unavailable 0) fails no request" {
	{ berth_header; app_deployment echo echo-0.1.0 1 0
	  service web 18301 app=echo; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 4
	wait_for 10 has_endpoints web 4
	answers http://127.0.0.1:18301/ 5 0.1.0
	start_sampler echo
	start_load 18301
	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	rolled_out echo
	sleep 1 # load goes on while the last old pods terminate
	stop_load
	check_samples 5 4
	answers http://127.0.0.1:18301/ 50 0.2.0
}

@test "load: RollingUpdate echo (surge 25%, unavailable 25%) keeps >= 3 ready" {
	{ berth_header; app_deployment echo echo-0.1.0 25% 25%
	  service web 18302 app=echo; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 4
	wait_for 10 has_endpoints web 4
	start_sampler echo
	start_load 18302
	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	rolled_out echo
	sleep 1 # load goes on while the last old pods terminate
	stop_load
	check_samples 5 3
	answers http://127.0.0.1:18302/ 50 0.2.0
}

@test "load: nginx (SIGTERM exits at once, no preStop) rolls with no failed request" {
	{ berth_header; app_deployment nginx nginx 1 1
	  service web 18303 app=nginx; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 4
	wait_for 10 has_endpoints web 4
	answers http://127.0.0.1:18303/ 5 nginx
	first=$(pods_json | jq -r '.pods[].name' | sort)
	start_sampler nginx
	start_load 18303
	run bctl rollout restart nginx
	[ "$status" -eq 0 ]
	rolled_out nginx
	sleep 1 # load goes on while the last old pods terminate
	stop_load
	check_samples 5 3
	# every pod was replaced and the service still answers
	now=$(pods_json | jq -r '.pods[].name' | sort)
	[ -z "$(comm -12 <(echo "$first") <(echo "$now"))" ]
	[ "$(pods_json | jq '[.pods[] | select(.revision == 2)] | length')" -eq 4 ]
	answers http://127.0.0.1:18303/ 50 nginx
}

@test "load: rollout undo under load fails no request and brings 0.1.0 back" {
	{ berth_header; app_deployment echo echo-0.1.0 1 1
	  service web 18304 app=echo; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 4
	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	rolled_out echo
	wait_for 10 has_endpoints web 4
	answers http://127.0.0.1:18304/ 5 0.2.0
	start_sampler echo
	start_load 18304
	run bctl rollout undo echo
	echo "$output" >&2
	[ "$status" -eq 0 ]
	rolled_out echo
	sleep 1 # load goes on while the last old pods terminate
	stop_load
	check_samples 5 3
	answers http://127.0.0.1:18304/ 50 0.1.0
	[ "$(bctl get deployments -o json | jq '.deployments[0].revision')" -eq 3 ]
}
