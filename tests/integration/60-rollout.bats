#!/usr/bin/env bats
# Rollouts with real runc: RollingUpdate by apply and by `set image` within
# maxSurge/maxUnavailable (sampled every 100 ms), Recreate without overlap,
# revision numbering with undo, restart, pause, and a broken revision that
# hits its progress deadline (reported, old pods keep serving) and, with
# progressDeadlineAbort, is rolled back.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	[ -z "${SAMPLER:-}" ] || kill "$SAMPLER" 2>/dev/null || true
	teardown_env
}

# echo_ini IMAGE [keys...]: an echo deployment of 4 replicas with a
# readiness probe (first run after 1 s) and a 2 s grace period; the default
# strategy (25%/25%: surge 1 / unavailable 1) unless keys say otherwise.
echo_ini() {
	echo_app_ini "$1" 4 "terminationGracePeriodSeconds = 2" \
		"readinessProbe.initialDelaySeconds = 1" "${@:2}"
}

surge_keys=("strategy.rollingUpdate.maxSurge = 1"
	"strategy.rollingUpdate.maxUnavailable = 1")

start_echo() {
	echo_ini echo-0.1.0 "$@" >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 4
}

all_images() { # all_images IMAGE: every pod runs IMAGE and there are 4
	[ "$(count_pods ".image == \"$IMAGES/$1\" and .ready and .status == \"Running\"")" -eq 4 ] &&
		[ "$(count_pods 'true')" -eq 4 ]
}

deployment_field() {
	bctl get deployments -o json | jq -r ".deployments[0].$1"
}

@test "RollingUpdate by apply stays within maxSurge and maxUnavailable" {
	start_echo "${surge_keys[@]}"
	echo_ini echo-0.2.0 "${surge_keys[@]}" >"$T/v2.ini"
	start_sampler
	run bctl apply -f "$T/v2.ini"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo configured"* ]]
	run timeout 120 "$BERTH" rollout status echo
	stop_sampler
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"out of 4 new replicas have been updated..."* ]]
	[[ "${lines[-1]}" == 'deployment "echo" successfully rolled out' ]]
	wait_for 30 all_images echo-0.2.0
	cat "$T/samples" | sort | uniq -c
	[ "$(sample_count)" -ge 10 ]
	[ "$(sample_max 1)" -le 5 ] # replicas + maxSurge
	[ "$(sample_min 2)" -ge 3 ] # replicas - maxUnavailable
	[ "$(sample_max 3)" -eq 2 ] # both revisions were seen together
	[ "$(deployment_field revision)" -eq 2 ]
	run bctl events -o json
	[[ "$output" == *"Scaled up revision 2 to 1 (maxSurge 1: 5 pods allowed, 4 present)"* ]]
}

@test "set image rolls out, records its cause, and scaling keeps working" {
	start_echo "strategy.rollingUpdate.maxSurge = 25%" \
		"strategy.rollingUpdate.maxUnavailable = 0"
	start_sampler
	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	[ "$output" = "deployment.apps/echo image updated" ]
	run timeout 120 "$BERTH" rollout status echo
	stop_sampler
	[ "$status" -eq 0 ]
	wait_for 30 all_images echo-0.2.0
	[ "$(sample_max 1)" -le 5 ]
	[ "$(sample_min 2)" -ge 4 ] # maxUnavailable 0
	run bctl rollout history echo
	echo "$output"
	[ "${lines[1]}" = "REVISION  CHANGE-CAUSE" ]
	[[ "${lines[2]}" == "1         apply" ]]
	[[ "${lines[3]}" == "2         berth set image echo $IMAGES/echo-0.2.0" ]]
	run bctl set image echo /nonexistent/image
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a directory"* ]]
	run bctl scale deployment/echo --replicas 2
	[ "$status" -eq 0 ]
	wait_for 30 has_pods 'true' 2
}

@test "Recreate never runs two revisions at once" {
	start_echo "strategy.type = Recreate"
	start_sampler
	run bctl set image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	run timeout 120 "$BERTH" rollout status echo
	stop_sampler
	[ "$status" -eq 0 ]
	wait_for 30 all_images echo-0.2.0
	cat "$T/samples" | sort | uniq -c
	[ "$(sample_max 3)" -eq 1 ]
	[ "$(sample_max 1)" -le 4 ]
}

@test "undo numbering, undo to a missing revision, restart, history detail" {
	start_echo "${surge_keys[@]}"
	bctl set image echo "$IMAGES/echo-0.2.0"
	timeout 120 "$BERTH" rollout status echo
	run bctl rollout undo echo --to-revision 7
	[ "$status" -eq 1 ]
	[[ "$output" == *"unable to find specified revision 7 in history"* ]]
	[ "$(deployment_field revision)" -eq 2 ]
	run bctl rollout undo echo
	[ "$status" -eq 0 ]
	[ "$output" = "deployment.apps/echo rolled back" ]
	timeout 120 "$BERTH" rollout status echo
	wait_for 30 all_images echo-0.1.0
	[ "$(deployment_field revision)" -eq 3 ]
	[ "$(count_pods '.revision == 3')" -eq 4 ]
	run bctl rollout history echo
	echo "$output"
	[ "${#lines[@]}" -eq 4 ] # revision 1 became 3
	[[ "${lines[2]}" == "2 "* ]]
	[[ "${lines[3]}" == "3         apply" ]]
	run bctl rollout history echo --revision 2
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo with revision #2"* ]]
	[[ "$output" == *"Image:	$IMAGES/echo-0.2.0"* ]]
	run bctl rollout history echo --revision 1
	[ "$status" -eq 1 ]
	run bctl rollout undo echo --to-revision 2
	[ "$status" -eq 0 ]
	timeout 120 "$BERTH" rollout status echo
	wait_for 30 all_images echo-0.2.0
	[ "$(deployment_field revision)" -eq 4 ]
	before=$(pod_names)
	run bctl rollout restart echo
	[ "$status" -eq 0 ]
	[ "$output" = "deployment.apps/echo restarted" ]
	timeout 120 "$BERTH" rollout status echo
	wait_for 30 all_images echo-0.2.0
	[ "$(deployment_field revision)" -eq 5 ]
	after=$(pod_names)
	[ -z "$(comm -12 <(echo "$before") <(echo "$after"))" ]
	run bctl rollout history echo --revision 5
	[[ "$output" == *"restartedAt"* ]]
}

@test "pause holds a template change until resume" {
	start_echo "${surge_keys[@]}"
	before=$(pod_names)
	run bctl rollout pause echo
	[ "$output" = "deployment.apps/echo paused" ]
	bctl set image echo "$IMAGES/echo-0.2.0"
	sleep 3
	[ "$(pod_names)" = "$before" ]
	[ "$(deployment_field rollout)" = paused ]
	[ "$(deployment_field revision)" -eq 2 ]
	run bctl rollout resume echo
	[ "$output" = "deployment.apps/echo resumed" ]
	timeout 120 "$BERTH" rollout status echo
	wait_for 30 all_images echo-0.2.0
}

@test "a broken revision hits its progress deadline; old pods keep serving" {
	start_echo "${surge_keys[@]}" "progressDeadlineSeconds = 15"
	echo_ini echo-0.2.0 "${surge_keys[@]}" "progressDeadlineSeconds = 15" |
		sed 's/^args = .*/args = --no-such-flag/' >"$T/broken.ini"
	bctl apply -f "$T/broken.ini"
	SECONDS=0
	run timeout 90 "$BERTH" rollout status echo
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'error: deployment "echo" exceeded its progress deadline'* ]]
	[ "$SECONDS" -ge 14 ]
	[ "$(deployment_field rollout)" = failed ]
	# 4 - maxUnavailable old pods are still ready; nothing new is
	[ "$(count_pods ".image == \"$IMAGES/echo-0.1.0\" and .ready")" -ge 3 ]
	[ "$(count_pods ".image == \"$IMAGES/echo-0.2.0\" and .ready")" -eq 0 ]
	[ "$(count_pods '.status != "Terminating"')" -le 5 ]
	run bctl events -o json
	[[ "$output" == *"ProgressDeadlineExceeded"* ]]
}

@test "progressDeadlineAbort rolls back to the last fully available revision" {
	start_echo "${surge_keys[@]}" "progressDeadlineSeconds = 10" \
		"progressDeadlineAbort = true"
	echo_ini echo-0.2.0 "${surge_keys[@]}" "progressDeadlineSeconds = 10" \
		"progressDeadlineAbort = true" |
		sed 's/^args = .*/args = --no-such-flag/' >"$T/broken.ini"
	bctl apply -f "$T/broken.ini"
	wait_for 60 bash -c "'$BERTH' events -o json | grep -q RolloutAborted"
	timeout 120 "$BERTH" rollout status echo
	wait_for 60 all_images echo-0.1.0
	[ "$(deployment_field revision)" -eq 3 ]
	[ "$(deployment_field rollout)" = complete ]
	run bctl rollout history echo
	[ "${#lines[@]}" -eq 4 ] # 2 (broken) and 3 (back to the first)
}
