#!/usr/bin/env bats
# Pod lifecycle with real runc: replicas, replacement, exec, logs, restart
# back-off, daemon crash and adoption, clean `down`.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	teardown_env
}

echo_config() { # echo_config REPLICAS [extra deployment keys...]
	berth_header
	cat <<INI

[deployment echo]
image = $IMAGES/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
env = VERSION=0.1.0
replicas = $1
labels = app=echo
port = 8080
terminationGracePeriodSeconds = 10
INI
	shift
	for kv in "$@"; do echo "$kv"; done
}

@test "replicas start and become ready" {
	echo_config 3 >"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 3
	run bctl get pods
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^NAME\ +READY\ +STATUS\ +RESTARTS\ +AGE ]]
	[[ "$output" =~ echo-[0-9a-f]{6}-[a-z0-9]{5}\ +1/1\ +Running\ +0 ]]
	run bctl get deployments -o json
	[ "$(echo "$output" | jq '.deployments[0].ready')" -eq 3 ]
	[ "$(echo "$output" | jq -r '.deployments[0].rollout')" = complete ]
	# each pod is its own host: hostname = pod name, same port everywhere
	for p in $(pod_names); do
		run bctl exec "$p" -- hostname
		[ "$status" -eq 0 ]
		[ "$output" = "$p" ]
	done
}

@test "a deleted pod is replaced by a new one with a new name" {
	echo_config 2 >"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 2
	victim=$(pod_names | head -n 1)
	run bctl delete pod "$victim"
	[ "$status" -eq 0 ]
	[ "$output" = "pod \"$victim\" deleted" ]
	wait_for 30 ready_pods 2
	run pod_names
	[[ ! "$output" =~ $victim ]]
	run bctl delete pod no-such-pod
	[ "$status" -eq 1 ]
	[[ "$output" =~ not\ found ]]
}

@test "exec runs in the container and logs show its output" {
	echo_config 1 >"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 1
	p=$(pod_names)
	run bctl exec "$p" -- wget -qO- http://127.0.0.1:8080/
	[ "$status" -eq 0 ]
	[ "$output" = "0.1.0" ]
	run bctl exec "$p" -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run bctl logs "$p"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "echo-version 0.1.0 listening on :8080" ]]
	# logs -f streams new lines as they come
	bctl logs -f "$p" >"$T/follow.out" 2>&1 &
	fpid=$!
	bctl exec "$p" -- sh -c 'echo marker-from-exec >/proc/1/fd/1'
	wait_for 10 grep -q marker-from-exec "$T/follow.out"
	kill "$fpid"
}

@test "scale up and down" {
	echo_config 1 >"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 1
	run bctl scale deployment/echo --replicas 3
	[ "$status" -eq 0 ]
	[ "$output" = "deployment.apps/echo scaled" ]
	wait_for 30 ready_pods 3
	bctl scale echo --replicas 1
	wait_for 30 has_pods 'true' 1
}

@test "a crashing container backs off and shows CrashLoopBackOff" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment crash]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "echo crashing; exit 3"
replicas = 1
INI
	start_daemon
	wait_for 30 has_pods '.status == "CrashLoopBackOff"' 1
	run pods_json
	[ "$(echo "$output" | jq '.pods[0].restarts')" -ge 1 ]
	[ "$(echo "$output" | jq '.pods[0].ready')" = false ]
	run bctl events
	[[ "$output" =~ BackOff ]]
	[[ "$output" =~ "Back-off" ]]
	p=$(pod_names)
	run bctl describe pod "$p"
	[ "$status" -eq 0 ]
	# waiting out its back-off, or (restarted this moment) its last exit
	[[ "$output" =~ "Reason:       CrashLoopBackOff" || "$output" =~ "Exit Code:    3" ]]
	# the back-off grows: restarts stay far below one per second
	sleep 6
	r=$(pods_json | jq '.pods[0].restarts')
	[ "$r" -le 4 ]
	run bctl logs "$p"
	[[ "$output" =~ crashing ]]
}

@test "restartPolicy Never keeps a finished pod Completed" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment job]
image = $IMAGES/echo-0.1.0
command = /bin/true
restartPolicy = Never
INI
	start_daemon
	wait_for 30 has_pods '.status == "Completed"' 1
	sleep 1
	[ "$(pods_json | jq '.pods[0].restarts')" -eq 0 ]
	# a new daemon keeps it Completed: it does not run it again
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
	sleep 2
	[ "$(count_pods '.status == "Completed"')" -eq 1 ]
	[ "$(pods_json | jq '.pods[0].restarts')" -eq 0 ]
}

@test "a pod in back-off stays in back-off across a daemon restart" {
	BACKOFF_INITIAL=30 BACKOFF_MAX=60 berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment crash]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "exit 3"
INI
	start_daemon
	wait_for 30 has_pods '.status == "CrashLoopBackOff"' 1
	r=$(pods_json | jq '.pods[0].restarts')
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
	sleep 3
	# still waiting out its 30 s back-off, not restarted at once
	[ "$(count_pods '.status == "CrashLoopBackOff"')" -eq 1 ]
	[ "$(pods_json | jq '.pods[0].restarts')" -eq "$r" ]
}

@test "kill -9 of the daemon keeps pods running; a new daemon adopts them" {
	echo_config 2 >"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 2
	before=$(pods_json | jq -c '[.pods[] | {name, pid, restarts}]')
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	for pid in $(echo "$before" | jq '.[].pid'); do
		kill -0 "$pid"
	done
	start_daemon
	wait_for 30 ready_pods 2
	after=$(pods_json | jq -c '[.pods[] | {name, pid, restarts}]')
	[ "$before" = "$after" ]
	run bctl events
	[[ "$output" =~ Adopted ]]
	# and still supervises them: a killed container is restarted in place
	victim=$(echo "$after" | jq -r '.[0].name')
	vpid=$(echo "$after" | jq '.[0].pid')
	kill -9 "$vpid"
	wait_for 30 restarts_at_least "$victim" 1
	wait_for 30 ready_pods 2
}

@test "down stops every pod and leaves nothing behind" {
	echo_config 3 >"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 3
	pids=$(pods_json | jq '.pods[].pid')
	names=$(pod_names)
	run bctl down
	[ "$status" -eq 0 ]
	wait_for 20 sh -c "! kill -0 $DAEMON_PID"
	for pid in $pids; do
		! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
	done
	[ -z "$(leftovers)" ]
	# no cgroup of any pod is left (cgroup v1 hierarchies and v2)
	for n in $names; do
		[ -z "$(ls -d /sys/fs/cgroup/*/berth/"$n" /sys/fs/cgroup/berth/"$n" 2>/dev/null)" ]
	done
	[ ! -e "$BERTH_SOCKET" ]
	[ -z "$(ls "$T/state/pods")" ]
}

@test "SIGTERM to the daemon stops every pod like down" {
	echo_config 2 >"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 2
	kill -TERM "$DAEMON_PID"
	wait_for 30 sh -c "! kill -0 $DAEMON_PID"
	[ -z "$(leftovers)" ]
	grep -q "SIGTERM received" "$T/daemon.log"
}
