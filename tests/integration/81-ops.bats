#!/usr/bin/env bats
# Running for years: a container the kernel's OOM killer ends is reported
# as OOMKilled / 137 with its last state; logs flags; resource views; every
# pod recreated after a host reboot. Addresses are 127.0.0.1:19600-19699.

load ../lib/helpers
bats_require_minimum_version 1.5.0

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

@test "top pods shows each running pod's CPU in millicores and memory working set" {
	hog_ini 64Mi >"$T/berth.ini"
	# one pod busy on a CPU, one asleep
	sed -i 's/x=\$x\$x; done/:; done/' "$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment idle]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "sleep 3600"
replicas = 1
INI
	start_daemon
	wait_for 20 has_pods '.status == "Running"' 2
	wait_for 20 bctl top pods "$(pod_of idle)"
	# the busy one is measured over a whole window of samples
	sleep 6
	run bctl top pods
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "NAME"*"CPU(cores)"*"MEMORY(bytes)" ]]
	hog=$(pod_of hog)
	idle=$(pod_of idle)
	cpu_hog=$(awk -v n="$hog" '$1 == n { sub("m", "", $2); print $2 }' <<<"$output")
	cpu_idle=$(awk -v n="$idle" '$1 == n { sub("m", "", $2); print $2 }' <<<"$output")
	mem_idle=$(awk -v n="$idle" '$1 == n { print $3 }' <<<"$output")
	# generous bounds: a busy loop shares 2 cores with other work
	[ "$cpu_hog" -ge 50 ]
	[ "$cpu_idle" -le 20 ]
	[[ "$mem_idle" =~ ^[0-9]+Mi$ ]]
	# the API's figure in bytes: a shell's working set is above 100 KiB
	mem=$(curl -s --unix-socket "$BERTH_SOCKET" http://x/v1/top/pods |
		jq --arg n "$idle" '.pods[] | select(.name == $n) | .memory_bytes')
	[ "$mem" -gt 102400 ]
	run bctl describe pod "$hog"
	[[ "$output" == *"Usage:"*"cpu:"*"m"*"memory:"*"Mi"* ]]
	run ! bctl top deployments
}

@test "after a host reboot (no container, no run folder) every pod is recreated from state, with an event" {
	echo_app_ini echo-0.1.0 2 >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment idle]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "sleep 3600"
replicas = 1
INI
	start_daemon
	wait_for 30 has_pods '.status == "Running"' 3
	before=$(pod_names)
	# the reboot: the daemon dies, containers, mounts and run folders go
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	for id in $(runc --root "$T/run/runc" list -q); do
		runc --root "$T/run/runc" delete --force "$id"
	done
	grep " $T/run/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do
		umount "$m"
	done
	for name in $before; do
		rm -rf "${T:?}/run/pods/$name"
	done
	[ -z "$(runc --root "$T/run/runc" list -q)" ]
	start_daemon
	wait_for 60 has_pods '.status == "Running"' 3
	[ "$(pod_names)" = "$before" ]
	has_pods '.deployment == "echo" and .status == "Running"' 2
	has_pods '.deployment == "idle" and .status == "Running"' 1
	wait_for 30 has_pods '.deployment == "echo" and .ready' 2
	run bctl events
	for name in $before; do
		grep -q "pod/$name.*Container was not running when the daemon started (state: no such container)" <<<"$output"
		[ -d "$T/run/pods/$name" ]
	done
}

# running_again POD: restarted at least once and Running again.
running_again() {
	[ "$(pods_json | jq --arg n "$1" '[.pods[] | select(.name == $n and .restarts >= 1 and .status == "Running")] | length')" -eq 1 ]
}

@test "logs --previous shows the run before the last restart; --tail N the last N lines" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment count]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "echo run \$(cat /proc/uptime | cut -d. -f1)-\$\$; for i in 1 2 3 4 5; do echo line \$i; done; while [ ! -f /tmp/go ]; do sleep 0.1; done; exit 1"
replicas = 1
INI
	start_daemon
	pod=$(pod_of count)
	# each run ends when told (a fixed run time races a busy host)
	wait_for 30 bash -c "$BERTH logs $pod | grep -q 'line 5'"
	run ! bctl logs --previous "$pod"
	[[ "$output" == *"previous terminated container \"count\" in pod \"$pod\" not found"* ]]
	bctl exec "$pod" -- touch /tmp/go
	# the next run, not the back-off before it (then `logs` and
	# `logs --previous` both show the run that just ended)
	wait_for 30 running_again "$pod"
	wait_for 10 bash -c "$BERTH logs $pod | grep -q 'line 5'"
	run bctl logs --previous "$pod"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	[[ "${lines[0]}" == "run "* ]]
	[ "${lines[5]}" = "line 5" ]
	prev_first=${lines[0]}
	run bctl logs "$pod"
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[0]}" != "$prev_first" ]
	run bctl logs --tail 2 "$pod"
	[ "$output" = "$(printf 'line 4\nline 5')" ]
	run bctl logs --tail=0 "$pod"
	[ "$output" = "" ]
	run bctl logs -p --tail 1 "$pod"
	[ "$output" = "line 5" ]
	run ! bctl logs --tail x "$pod"
	[[ "$output" == *"--tail must be an integer"* ]]
}

@test "containerLogMaxSize and containerLogMaxFiles rotate a container's log, keeping that many files" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI
containerLogMaxSize = 64Ki
containerLogMaxFiles = 3

[deployment chatty]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "i=0; while true; do i=\$((i+1)); echo \"line \$i 0123456789abcdefghijklmnopqrstuvwxyz\"; done"
replicas = 1
INI
	start_daemon
	pod=$(pod_of chatty)
	dir=$T/run/pods/$pod
	wait_for 60 test -f "$dir/container.log.2"
	# a few more rotations: never a fourth file
	sleep 3
	[ ! -e "$dir/container.log.3" ]
	# rotated files hold at most the cap, nearly full (a record goes to
	# a new file only when it would pass the cap), and their lines
	# (CRI records: TIME STREAM F line N ...) go on where the older one
	# stopped
	[ "$(stat -c %s "$dir/container.log.2")" -le 65536 ]
	[ "$(stat -c %s "$dir/container.log.2")" -gt 60000 ]
	last2=$(tail -n 1 "$dir/container.log.2" | awk '{print $5}')
	first1=$(head -n 1 "$dir/container.log.1" | awk '{print $5}')
	[ "$first1" -gt "$last2" ]
	run bctl logs --tail 1 "$pod"
	[[ "$output" == "line "* ]]
}
