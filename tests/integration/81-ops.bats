#!/usr/bin/env bats
# Running for years: a container the kernel's OOM killer ends is reported
# as OOMKilled / 137 with its last state; logs flags; resource views; every
# pod recreated after a host reboot. Addresses are 127.0.0.1:19700-19799.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	teardown_env
}

# hog_ini LIMIT: one pod `hog` whose shell doubles a string until the
# memory limit stops it.
hog_ini() {
	berth_header
	cat <<INI

[deployment hog]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "echo started; x=a; while true; do x=\$x\$x; done"
replicas = 1
resources.limits.memory = $1
INI
}

pod_of() { pods_json | jq -r --arg d "$1" '[.pods[] | select(.deployment == $d)][0].name'; }

last_reason() {
	pods_json | jq -r --arg d "$1" \
		'[.pods[] | select(.deployment == $d)][0].lastState.terminated.reason'
}

@test "a container the OOM killer ends is OOMKilled with exit code 137" {
	hog_ini 16Mi >"$T/berth.ini"
	start_daemon
	wait_for 30 bash -c "[ \"\$($BERTH get pods -o json | jq -r '.pods[0].lastState.terminated.reason')\" = OOMKilled ]"
	run pods_json
	[ "$(jq -r '.pods[0].lastState.terminated.exitCode' <<<"$output")" = 137 ]
	[ "$(jq -r '.pods[0].lastState.terminated.startedAt' <<<"$output")" != "" ]
	[ "$(jq -r '.pods[0].lastState.terminated.finishedAt' <<<"$output")" != "" ]
	run bctl events
	[[ "$output" == *OOMKilled*"killed by the kernel's OOM killer (exit code 137)"* ]]
	name=$(pod_of hog)
	run bctl describe pod "$name"
	[[ "$output" == *"Last State:     Terminated"* ]]
	[[ "$output" == *"Reason:       OOMKilled"* ]]
	[[ "$output" == *"Exit Code:    137"* ]]
	[[ "$output" == *"Started:  "* ]]
	[[ "$output" == *"Finished:  "* ]]
}

@test "a container killed by a plain SIGKILL is Error, not OOMKilled" {
	hog_ini 512Mi >"$T/berth.ini"
	sed -i 's/x=\$x\$x; done/sleep 1; done/' "$T/berth.ini"
	start_daemon
	wait_for 20 has_pods '.status == "Running"' 1
	pid=$(pods_json | jq -r '.pods[0].pid')
	kill -KILL "$pid"
	wait_for 20 bash -c "[ \"\$($BERTH get pods -o json | jq -r '.pods[0].lastState.terminated.exitCode')\" = 137 ]"
	[ "$(last_reason hog)" = Error ]
}
