#!/usr/bin/env bats
# berth upgrade: the daemon hands its sockets to a new binary under load
# without a failed request, pods keep running with their restart counts,
# a container started by the old daemon still has its exit status read
# after the upgrade, the old daemon serves on while a successor starts,
# a binary that fails to start leaves the old daemon serving, and exit
# status records nobody will read are removed at start.
# Addresses are 127.0.0.1:20200-20299.

load ../lib/helpers
bats_require_minimum_version 1.5.0

setup() {
	new_env
	OLD_PID=
}

teardown() {
	[ -z "${wrk_pid:-}" ] || kill "$wrk_pid" 2>/dev/null || true
	teardown_env
	# the previous daemon (or the reaper in its place) ends by itself once
	# its containers are gone; a failed test may leave it: ours, by pid
	if [ -n "$OLD_PID" ] && kill -0 "$OLD_PID" 2>/dev/null; then
		kill -9 "$OLD_PID" 2>/dev/null || true
	fi
}

# upgrade_ini PORT: two echo pods behind an http service, and one pod
# `seven` that prints "tick N" every 0.1 s and exits with code 7 once
# /tmp/go exists in it.
upgrade_ini() {
	berth_header
	deployment echo echo-0.1.0 0.1.0 2 app=echo
	cat <<INI

[deployment seven]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "i=0; while [ ! -f /tmp/go ]; do i=\$((i+1)); echo \"tick \$i\"; sleep 0.1; done; exit 7"
replicas = 1
terminationGracePeriodSeconds = 1

[service web]
listen = 127.0.0.1:$1
selector = app=echo
targetPort = 8080
INI
}

# echo_ready N: exactly N echo pods Running and ready.
echo_ready() { has_pods '.deployment == "echo" and .status == "Running" and .ready' "$1"; }
seven_pod() { pods_json | jq -r '[.pods[] | select(.deployment == "seven")][0].name'; }
seven() { pods_json | jq -r "[.pods[] | select(.deployment == \"seven\")][0].$1"; }
seven_running() { [ "$(seven status)" = Running ]; }
seven_restarts() { [ "$(seven restarts)" = "$1" ]; }

# upgrade_pid OUTPUT: the new daemon's pid from `berth upgrade`'s answer.
upgrade_pid() { grep -o 'pid [0-9]* serves' <<<"$1" | grep -o '[0-9]*'; }

@test "upgrade under keep-alive load: no failed request, pods and exit codes kept" {
	upgrade_ini 20201 >"$T/berth.ini"
	start_daemon
	wait_for 60 echo_ready 2
	wait_for 30 seven_running
	name=$(seven_pod)
	# one restart before the upgrade: its count must survive it
	bctl exec "$name" -- touch /tmp/go
	wait_for 30 seven_restarts 1
	wait_for 30 seven_running
	[ "$(seven lastState.terminated.exitCode)" = 7 ]
	finished=$(seven lastState.terminated.finishedAt)
	echo_pids=$(pods_json | jq -r '[.pods[] | select(.deployment == "echo") | "\(.name)=\(.restarts)"] | sort | join(",")')
	[ "$(curl -sf http://127.0.0.1:20201/)" = 0.1.0 ]

	wrk -s "$WRK_STATUS" -t2 -c8 -d6s http://127.0.0.1:20201/ >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!
	wait_for 10 load_connected 20201 8
	sleep 1
	run bctl upgrade --binary "$BERTH"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"upgraded: pid "*" serves now"* ]]
	new=$(upgrade_pid "$output")
	[ -n "$new" ] && [ "$new" != "$DAEMON_PID" ]
	OLD_PID=$DAEMON_PID
	DAEMON_PID=$new
	# the control API answers at once, from the new daemon
	run bctl get pods -o json
	[ "$status" -eq 0 ]
	wait "$wrk_pid"
	wrk_pid=
	wrk_check "$T/wrk.txt"

	# the same pods, the same restart counts, adopted (not restarted)
	[ "$(pods_json | jq -r '[.pods[] | select(.deployment == "echo") | "\(.name)=\(.restarts)"] | sort | join(",")')" = "$echo_pids" ]
	[ "$(seven_pod)" = "$name" ]
	seven_restarts 1
	# the last run's end is still shown as it was
	[ "$(seven lastState.terminated.exitCode)" = 7 ]
	[ "$(seven lastState.terminated.finishedAt)" = "$finished" ]
	[ -n "$(seven lastState.terminated.startedAt)" ]
	run bctl events
	[[ "$output" == *Adopted* ]]
	# its output went on through the upgrade, not a line missing (the
	# log collector reads the containers' pipes, not the daemon)
	before=$(bctl logs "$name" | tail -n 1 | awk '{print $2}')
	wait_for 10 bash -c "[ \$($BERTH logs $name | tail -n 1 | awk '{print \$2}') -gt $before ]"
	bctl logs "$name" | awk 'NR > 1 && $2 != prev + 1 {exit 1} {prev = $2}'
	# the old daemon's container exits after the upgrade: its status is read
	bctl exec "$name" -- touch /tmp/go
	wait_for 30 seven_restarts 2
	[ "$(seven lastState.terminated.exitCode)" = 7 ]
	[ "$(seven lastState.terminated.reason)" = Error ]
	# the old daemon drained, then became the reaper of its containers
	# (same pid); it exits once the last of them is gone
	grep -q "upgrade: drained" "$T/daemon.log"
	[[ "$(tr '\0' ' ' </proc/"$OLD_PID"/cmdline)" == *"__reaper $T/run "* ]]
	[ "$(curl -sf http://127.0.0.1:20201/)" = 0.1.0 ]
	bctl scale deployment/echo --replicas 0
	wait_for 60 has_pods '.deployment == "echo"' 0
	wait_for 20 bash -c "! kill -0 $OLD_PID 2>/dev/null || grep -q ') Z' /proc/$OLD_PID/stat"
}

@test "a binary that fails to start leaves the old daemon serving" {
	upgrade_ini 20202 >"$T/berth.ini"
	start_daemon
	wait_for 60 echo_ready 2
	printf '#!/bin/sh\nexit 1\n' >"$T/bad"
	chmod +x "$T/bad"
	run bctl upgrade --binary "$T/bad"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"upgrade failed"*"exited with status 1 before it was ready"* ]]
	kill -0 "$DAEMON_PID"
	# still the daemon: it serves, answers and acts
	[ "$(curl -sf http://127.0.0.1:20202/)" = 0.1.0 ]
	bctl scale deployment/echo --replicas 3
	wait_for 60 echo_ready 3
	run bctl upgrade --binary "$T/missing"
	[ "$status" -ne 0 ]
	kill -0 "$DAEMON_PID"

	# While a successor starts, the old daemon serves on: a control
	# request is answered, a second upgrade is refused; this one never
	# says it is warm and fails once it exits.
	printf '#!/bin/sh\ntouch %s\nwhile [ ! -f %s ]; do sleep 0.1; done\nexit 3\n' \
		"$T/started" "$T/go" >"$T/slow"
	chmod +x "$T/slow"
	bctl upgrade --binary "$T/slow" >"$T/slow.out" 2>&1 &
	up_pid=$!
	wait_for 20 test -f "$T/started"
	run timeout 20 "$BERTH" get pods -o json
	[ "$status" -eq 0 ]
	run bctl upgrade --binary "$T/slow"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is already under way"* ]]
	touch "$T/go"
	up_status=0
	wait "$up_pid" || up_status=$?
	[ "$up_status" -ne 0 ]
	grep -q "exited with status 3 before it was ready" "$T/slow.out"
	kill -0 "$DAEMON_PID"
	bctl scale deployment/echo --replicas 2
	wait_for 60 echo_ready 2
}

# tcp_ino PORT / unix_ino PATH: the inode of the socket listening there.
tcp_ino() { ss -Hltne "sport = :$1" | grep -o 'ino:[0-9]*'; }
unix_ino() { ss -Hlx | awk -v p="$1" '$5 == p {print $6}'; }

@test "SIGUSR2 upgrades to the binary the daemon was started from; no socket is bound anew" {
	BERTH_DASHBOARD=127.0.0.1:20204 upgrade_ini 20203 >"$T/berth.ini"
	start_daemon
	wait_for 60 echo_ready 2
	name=$(seven_pod)
	svc=$(tcp_ino 20203)
	dash=$(tcp_ino 20204)
	ctl=$(unix_ino "$BERTH_SOCKET")
	[ -n "$svc" ] && [ -n "$dash" ] && [ -n "$ctl" ]
	kill -USR2 "$DAEMON_PID"
	wait_for 30 grep -q "upgrade: pid [0-9]* serves now" "$T/daemon.log"
	new=$(grep -o 'upgrade: pid [0-9]* serves now' "$T/daemon.log" | grep -o '[0-9]*')
	[ "$new" != "$DAEMON_PID" ]
	OLD_PID=$DAEMON_PID
	DAEMON_PID=$new
	wait_for 20 echo_ready 2
	[ "$(seven_pod)" = "$name" ]
	[ "$(curl -sf http://127.0.0.1:20203/)" = 0.1.0 ]
	# the same listening sockets, now the new daemon's
	[ "$(tcp_ino 20203)" = "$svc" ]
	[ "$(tcp_ino 20204)" = "$dash" ]
	[ "$(unix_ino "$BERTH_SOCKET")" = "$ctl" ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:20204/)" = 200 ]
	wait_for 20 bash -c "! kill -0 $OLD_PID 2>/dev/null || [[ \"\$(tr '\\0' ' ' </proc/$OLD_PID/cmdline)\" == *__reaper* ]]"
	[ -z "$(ss -Hltnp "sport = :20203" | grep "pid=$OLD_PID,")" ]

	# A pod that ends while no daemon runs: the reaper (the old pid, still
	# its parent) records its status; the next daemon finds the pod gone
	# and removes that record, and any other of a pid no pod owns, but
	# keeps those of the pods it adopts.
	grep -q __reaper /proc/"$OLD_PID"/cmdline
	seven_pid=$(seven pid)
	echo_pid=$(pods_json | jq -r '[.pods[] | select(.deployment == "echo")][0].pid')
	[ "$seven_pid" -gt 0 ]
	[ "$echo_pid" -gt 0 ]
	kill -9 "$DAEMON_PID"
	wait_for 10 bash -c "! kill -0 $DAEMON_PID 2>/dev/null"
	runc --root "$T/run/runc" exec "$name" touch /tmp/go
	wait_for 20 test -f "$T/run/exits/$seven_pid"
	# pid_max is at most 4194304: no process has that pid
	echo 0 >"$T/run/exits/4194304"
	echo 0 >"$T/run/exits/$echo_pid"
	start_daemon
	wait_for 30 seven_restarts 1
	[ ! -e "$T/run/exits/$seven_pid" ]
	[ ! -e "$T/run/exits/4194304" ]
	[ -e "$T/run/exits/$echo_pid" ]
	grep -q "removed 2 exit status record(s)" "$T/daemon.log"
}
