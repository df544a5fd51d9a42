#!/usr/bin/env bats
# The termination sequence of SPEC §4, observed from inside the container.

load ../lib/helpers

setup() {
	new_env
	mkdir -p "$T/data"
}

teardown() {
	teardown_env
}

@test "preStop runs before the stop signal" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment order]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "trap 'echo TERM >>/data/order; exit 0' TERM; echo started >>/data/order; while true; do sleep 0.2; done"
mount = $T/data:/data
terminationGracePeriodSeconds = 20
lifecycle.preStop.exec.command = /bin/sh -c "echo PRESTOP >>/data/order; sleep 1"
INI
	start_daemon
	wait_for 30 ready_pods 1
	wait_for 10 grep -q started "$T/data/order"
	bctl delete pod "$(pod_names)"
	# (the replacement pod may already have written its own "started")
	[ "$(grep -v started "$T/data/order")" = "$(printf 'PRESTOP\nTERM')" ]
	run bctl events
	[[ "$output" =~ PreStopHook ]]
	[[ "$output" =~ "Sent SIGTERM" ]]
}

@test "lifecycle.stopSignal is the signal sent" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment quit]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "trap 'echo QUIT >>/data/sig; exit 0' QUIT; trap 'echo TERM >>/data/sig; exit 0' TERM; while true; do sleep 0.2; done"
mount = $T/data:/data
lifecycle.stopSignal = SIGQUIT
INI
	start_daemon
	wait_for 30 ready_pods 1
	bctl delete pod "$(pod_names)"
	[ "$(head -n 1 "$T/data/sig")" = QUIT ]
}

@test "a container that ignores SIGTERM is killed at the grace deadline" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment stubborn]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "trap '' TERM; sleep 1000 & while true; do sleep 0.2; done"
terminationGracePeriodSeconds = 3
INI
	start_daemon
	wait_for 30 ready_pods 1
	p=$(pod_names)
	pid=$(pods_json | jq '.pods[0].pid')
	start=$(date +%s%N)
	bctl delete pod "$p"
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	echo "delete took ${ms} ms" >&3
	# not earlier than the deadline, not much later (generous bounds)
	[ "$ms" -ge 2800 ]
	[ "$ms" -le 9000 ]
	run bctl events
	[[ "$output" =~ "Grace period of 3s expired" ]]
	# every process of the container is gone, not only PID 1
	! pgrep -f "sleep 1000" >/dev/null || ! pgrep -f "sleep 1000" | xargs -r -I{} cat /proc/{}/cgroup | grep -q "$p"
}

@test "a preStop hook that overruns the grace period gets 2 s more, then SIGKILL" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment slowhook]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "trap '' TERM; while true; do sleep 0.2; done"
terminationGracePeriodSeconds = 2
lifecycle.preStop.exec.command = /bin/sleep 60
INI
	start_daemon
	wait_for 30 ready_pods 1
	start=$(date +%s%N)
	bctl delete pod "$(pod_names)"
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -ge 3800 ]
	# 2 s grace + 2 s extension; generous for a loaded host, far below
	# the hook's 60 s
	[ "$ms" -le 20000 ]
	run bctl events
	[[ "$output" =~ FailedPreStopHook ]]
}

@test "preStop sleep delays the stop signal" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment sleeper]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "trap 'exit 0' TERM; while true; do sleep 0.2; done"
lifecycle.preStop.sleep.seconds = 2
INI
	start_daemon
	wait_for 30 ready_pods 1
	start=$(date +%s%N)
	bctl delete pod "$(pod_names)"
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -ge 1900 ]
	[ "$ms" -le 8000 ]
}

@test "preStop httpGet reaches the pod inside its network namespace" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment web]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "httpd -f -p 8080 -h /data & trap 'exit 0' TERM; while true; do sleep 0.2; done"
mount = $T/data:/data
lifecycle.preStop.httpGet.path = /drain.txt
lifecycle.preStop.httpGet.port = 8080
INI
	echo drained >"$T/data/drain.txt"
	start_daemon
	wait_for 30 ready_pods 1
	bctl delete pod "$(pod_names)"
	run bctl events
	[[ "$output" =~ "preStop hook: http-get :8080/drain.txt" ]]
	[[ ! "$output" =~ FailedPreStopHook ]]
}
