#!/usr/bin/env bats
# Revision templates survive a daemon killed with SIGKILL: after a restart
# the template set by `set image` is still the current one (its pods are
# adopted, not replaced), `rollout undo` goes back to the previous one, and
# progressDeadlineAbort can still roll a broken revision back. An edited
# config file still wins over a recorded `set image`, as an apply would.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	teardown_env
}

# echo_ini IMAGE [keys...]: 2 replicas, surge 1 / unavailable 0, 5 s grace.
echo_ini() {
	echo_app_ini "$1" 2 "terminationGracePeriodSeconds = 5" \
		"strategy.rollingUpdate.maxSurge = 1" \
		"strategy.rollingUpdate.maxUnavailable = 0" "${@:2}"
}

# all_images IMAGE: exactly 2 pods, both ready and running IMAGE.
all_images() {
	[ "$(count_pods ".image == \"$IMAGES/$1\" and .ready and .status == \"Running\"")" -eq 2 ] &&
		[ "$(count_pods 'true')" -eq 2 ]
}

revision() { bctl get deployments -o json | jq '.deployments[0].revision'; }

# crash_daemon: SIGKILL, then a new daemon on the same state.
crash_daemon() {
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
}

@test "restart: set image survives kill -9, then rollout undo works" {
	echo_ini echo-0.1.0 >"$T/berth.ini"
	start_daemon
	wait_for 60 all_images echo-0.1.0
	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	wait_for 60 all_images echo-0.2.0
	[ "$(revision)" -eq 2 ]
	before=$(pod_names)
	# the record holds both templates
	jq -e '.revisions | length == 2 and all(.template.image != null)' \
		"$T/state/deployments/echo.json"

	crash_daemon
	wait_for 30 all_images echo-0.2.0
	[ "$(revision)" -eq 2 ]
	[ "$(pod_names)" = "$before" ]
	run bctl rollout history echo
	echo "$output"
	[[ "$output" == *"set image"* ]]

	run bctl rollout undo echo
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for 60 all_images echo-0.1.0
	[ "$(revision)" -eq 3 ]
	run timeout 60 "$BERTH" rollout status echo
	[ "$status" -eq 0 ]

	# and once more across a restart: undo goes back to 0.2.0
	crash_daemon
	wait_for 30 all_images echo-0.1.0
	run bctl rollout undo echo
	[ "$status" -eq 0 ]
	wait_for 60 all_images echo-0.2.0
	[ "$(revision)" -eq 4 ]
}

@test "restart: undo --to-revision of a revision recorded before a restart" {
	echo_ini echo-0.1.0 >"$T/berth.ini"
	start_daemon
	wait_for 60 all_images echo-0.1.0
	bctl set image echo "$IMAGES/echo-0.2.0"
	wait_for 60 all_images echo-0.2.0
	bctl rollout restart echo
	wait_for 60 has_pods '.revision == 3 and .ready' 2
	wait_for 60 has_pods 'true' 2
	crash_daemon
	[ "$(revision)" -eq 3 ]
	run bctl rollout undo echo --to-revision 2
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for 60 all_images echo-0.2.0
	[ "$(revision)" -eq 4 ]
	run bctl rollout undo echo --to-revision 9
	[ "$status" -eq 1 ]
}

@test "restart: an edited config file wins over a recorded set image" {
	echo_ini echo-0.1.0 >"$T/berth.ini"
	start_daemon
	wait_for 60 all_images echo-0.1.0
	bctl set image echo "$IMAGES/echo-0.2.0"
	wait_for 60 all_images echo-0.2.0
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	echo_ini echo-0.1.0 "env = EDITED=1" >"$T/berth.ini"
	start_daemon
	wait_for 60 has_pods '.revision == 3 and .ready' 2
	wait_for 60 has_pods 'true' 2
	wait_for 30 all_images echo-0.1.0
}

@test "restart: progressDeadlineAbort rolls back with a template recorded before the restart" {
	echo_ini echo-0.1.0 "progressDeadlineSeconds = 6" \
		"progressDeadlineAbort = true" >"$T/berth.ini"
	start_daemon
	wait_for 60 all_images echo-0.1.0
	bctl set image echo "$IMAGES/echo-0.2.0"
	wait_for 60 all_images echo-0.2.0
	# the nginx image has no /bin/echo-version: never ready
	bctl set image echo "$IMAGES/nginx"
	# the rollout to it has begun: its surge pod exists
	wait_for 10 has_pods '.revision == 3' 1
	crash_daemon
	[ "$(revision)" -eq 3 ]
	wait_for 60 all_images echo-0.2.0
	[ "$(revision)" -eq 4 ]
	run bctl events
	[[ "$output" == *"RolloutAborted"* ]]
}
