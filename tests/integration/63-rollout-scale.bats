#!/usr/bin/env bats
# Proportional scaling with real runc: `berth scale` during a rollout that
# is paused half-way spreads the added or removed pods over the old and the
# new revision as Kubernetes' deployment controller does (scale() in its
# sync.go, the same rules as rollout_proportional() and its unit test);
# after `rollout resume` the rollout completes at the new size; the size
# the pods were spread for survives a daemon restart, so an edited file is
# spread the same way. No host
# port is used (admin = off, no service).
#
# The rule: allowed = replicas + maxSurge (maxSurge resolved against the
# replicas it goes with, rounded up), before and after the scale; each
# revision with pods, largest first (ties: newer first when growing, older
# first when shrinking), gets round(size * allowed_after / allowed_before)
# - size, capped by what is left to add or remove; any rest goes to the
# largest revision.
#
# Half-way is made deterministic: revision 2 (echo 0.2.0) has a startup
# probe that passes only once $T/gate/open exists on the host, so its pods
# are never ready while the gate is shut; with maxUnavailable 0 and 4
# replicas the controller creates maxSurge pods of revision 2 and then
# holds (maxScaledDown = 6 - 4 - 2 unavailable new = 0).

load ../lib/helpers

setup() {
	new_env
	mkdir -p "$T/gate"
}

teardown() {
	teardown_env
}

# echo_ini IMAGE SURGE [keys...]: 4 replicas, maxSurge SURGE, maxUnavailable
# 0, a 2 s grace period.
echo_ini() {
	echo_app_ini "$1" 4 "terminationGracePeriodSeconds = 2" \
		"strategy.rollingUpdate.maxSurge = $2" \
		"strategy.rollingUpdate.maxUnavailable = 0" "${@:3}"
}

# gated_keys: revision 2's startup probe waits for $T/gate/open (up to an
# hour, so the pod is never restarted while it waits).
gated_keys() {
	printf '%s\n' "mount = $T/gate:/gate:ro" \
		"startupProbe.exec.command = /bin/cat /gate/open" \
		"startupProbe.periodSeconds = 1" \
		"startupProbe.failureThreshold = 3600"
}

# split: "OLD NEW", the non-terminating pods of revisions 1 and 2.
split() {
	pods_json | jq -r '[.pods[] | select(.status != "Terminating")] |
	  [([.[] | select(.revision == 1)] | length),
	   ([.[] | select(.revision == 2)] | length)] | "\(.[0]) \(.[1])"'
}

has_split() { [ "$(split)" = "$1 $2" ]; }

# ready_of REV N: exactly N pods of revision REV are ready.
ready_of() { has_pods ".revision == $1 and .ready and .status == \"Running\"" "$2"; }

# containers N: runc runs exactly N containers of this test.
containers() { [ "$(runc --root "$T/run/runc" list -q | wc -l)" -eq "$1" ]; }

# replicas_are N: the deployment's desired replicas are N.
replicas_are() { [ "$(deployment_field replicas)" -eq "$1" ]; }

deployment_field() {
	bctl get deployments -o json | jq -r ".deployments[0].$1"
}

# start_halfway SURGE: revision 1 ready at 4 pods, then an apply of echo
# 0.2.0 (gated) that stops at 4 old + 2 new pods (SURGE must come to 2 of
# 4), then pause.
start_halfway() {
	echo_ini echo-0.1.0 "$1" >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_of 1 4
	{
		echo_ini echo-0.2.0 "$1"
		gated_keys
	} >"$T/v2.ini"
	run bctl apply -f "$T/v2.ini"
	[ "$status" -eq 0 ]
	wait_for 60 has_split 4 2
	run bctl rollout pause echo
	[ "$output" = "deployment.apps/echo paused" ]
	[ "$(deployment_field rollout)" = paused ]
	[ "$(deployment_field revision)" -eq 2 ]
	[ "$(split)" = "4 2" ]
	ready_of 1 4
	ready_of 2 0
}

# finish N: opens the gate; revision 2's pods get ready but, paused,
# nothing else moves; then resume, and the rollout ends with N pods of
# revision 2 and none of revision 1.
finish() {
	local old_new
	old_new=$(split)
	touch "$T/gate/open"
	wait_for 60 ready_of 2 "${old_new#* }"
	[ "$(split)" = "$old_new" ]
	run bctl rollout resume echo
	[ "$output" = "deployment.apps/echo resumed" ]
	run timeout 180 "$BERTH" rollout status echo
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == 'deployment "echo" successfully rolled out' ]]
	wait_for 60 has_pods 'true' "$1"
	[ "$(split)" = "0 $1" ]
	ready_of 2 "$1"
	[ "$(count_pods ".image == \"$IMAGES/echo-0.2.0\"")" -eq "$1" ]
	[ "$(deployment_field replicas)" -eq "$1" ]
	[ "$(deployment_field rollout)" = complete ]
}

@test "scale up while a rollout is paused half-way: 4 -> 8 split 7 + 3" {
	# maxSurge 2 (absolute), maxUnavailable 0: paused at old 4 + new 2.
	# Before: allowed = 4 + 2 = 6.  After: allowed = 8 + 2 = 10, so 4
	# pods to add.  Largest first: old 4 -> round(4 * 10 / 6) = round(6.67)
	# = 7, +3 (3 <= 4 left); new 2 -> round(2 * 10 / 6) = round(3.33) = 3,
	# +1 (1 <= 1 left); nothing left over.  Old 7 + new 3 = 10.
	start_halfway 2
	run bctl scale deployment echo --replicas=8
	[ "$status" -eq 0 ]
	[ "$output" = "deployment.apps/echo scaled" ]
	wait_for 60 has_split 7 3
	# the new old-revision pods run the old image and get ready
	wait_for 60 ready_of 1 7
	[ "$(count_pods ".image == \"$IMAGES/echo-0.1.0\"")" -eq 7 ]
	# paused: the split holds (nothing rolls, nothing is rebalanced)
	sleep 3
	[ "$(split)" = "7 3" ]
	ready_of 2 0
	run bctl events -o json
	[[ "$output" == *"Scaled up revision 1 from 4 to 7 (proportional: 6 -> 10 pods allowed)"* ]]
	[[ "$output" == *"Scaled up revision 2 from 2 to 3 (proportional: 6 -> 10 pods allowed)"* ]]
	finish 8
}

@test "scale down while a rollout is paused half-way: 4 -> 2 split 2 + 1" {
	# maxSurge 50% (of 4: 2), maxUnavailable 0: paused at old 4 + new 2.
	# Before: allowed = 4 + 50% of 4 = 6.  After: maxSurge is 50% of the
	# new replicas, 2 -> 1, so allowed = 2 + 1 = 3: 3 pods to remove.
	# Largest first: old 4 -> round(4 * 3 / 6) = 2, -2 (-3 left); new 2
	# -> round(2 * 3 / 6) = 1, -1 (-1 left); nothing left over.  Old 2 +
	# new 1 = 3.  (Resolving 50% against the old replicas instead would
	# give allowed 4 and old 3 + new 1.)
	start_halfway 50%
	run bctl scale deployment echo --replicas=2
	[ "$status" -eq 0 ]
	[ "$output" = "deployment.apps/echo scaled" ]
	wait_for 60 has_split 2 1
	# the removed pods are terminated and their containers gone; the kept
	# old ones serve
	wait_for 60 has_pods 'true' 3
	wait_for 30 containers 3
	ready_of 1 2
	sleep 3
	[ "$(split)" = "2 1" ]
	run bctl events -o json
	[[ "$output" == *"Scaled down revision 1 from 4 to 2 (proportional: 6 -> 3 pods allowed)"* ]]
	[[ "$output" == *"Scaled down revision 2 from 2 to 1 (proportional: 6 -> 3 pods allowed)"* ]]
	finish 2
}

@test "across a daemon restart: a scale is kept, an edited file's replicas win and are split proportionally" {
	start_halfway 2
	# `berth scale` survives a restart while the file still says 4
	run bctl scale deployment echo --replicas=5
	[ "$status" -eq 0 ]
	wait_for 60 has_split 5 2
	# every pod running before the crash: a pod is recorded once its
	# container runs (one still being set up at a kill is made again)
	wait_for 60 has_pods '.status == "Running"' 7
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon "$T/v2.ini"
	sleep 2
	[ "$(deployment_field replicas)" -eq 5 ]
	[ "$(split)" = "5 2" ]

	# The file goes from 4 to 8 replicas while the daemon is down: the
	# file wins, and the pods are spread as a scale 5 -> 8 would be.
	# maxSurge 2: before, allowed = 5 + 2 = 7 (old 5 + new 2); after,
	# allowed = 8 + 2 = 10, so 3 to add.  Old 5 -> round(5 * 10 / 7) =
	# round(7.14) = 7, +2; new 2 -> round(2 * 10 / 7) = round(2.86) = 3,
	# +1.  Old 7 + new 3 = 10.
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	sed -i 's/^replicas = 4$/replicas = 8/' "$T/v2.ini"
	start_daemon "$T/v2.ini"
	wait_for 30 replicas_are 8
	wait_for 60 has_split 7 3
	sleep 3
	[ "$(split)" = "7 3" ]
	finish 8
}
