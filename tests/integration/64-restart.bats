#!/usr/bin/env bats
# What a daemon crash costs: kill -9 and a restart under wrk with 20 ready
# pods answer no 503 (the recorded endpoints are served as soon as the
# listener is back) and, with the listening socket kept in a stand-in of
# systemd's fd store (tests/lib/fd_keeper.py, started and stopped by PID
# here), fail no more requests than were in flight at the kill; a
# deployment removed while the daemon was down is stopped gracefully (its
# preStop runs); a grace period begun before the crash keeps its deadline
# (one SIGTERM, SIGKILL at the original deadline). Addresses are
# 127.0.0.1:19700-19799; every load run is bounded.

load ../lib/helpers

setup() {
	new_env
	mkdir -p "$T/data"
	KEEPER=
	WRK=
}

teardown() {
	[ -z "$WRK" ] || kill "$WRK" 2>/dev/null || true
	teardown_env
	if [ -n "$KEEPER" ]; then
		kill "$KEEPER" 2>/dev/null || true
		wait "$KEEPER" 2>/dev/null || true
	fi
}

# svc_ini REPLICAS PORT: echo-version pods behind one service on PORT.
svc_ini() {
	echo_app_ini echo-0.1.0 "$1" "labels = app=echo" \
		"terminationGracePeriodSeconds = 5"
	cat <<INI

[service echo]
listen = 127.0.0.1:$2
selector = app=echo
targetPort = 8080
INI
}

# keep_start: the daemon under the fd keeper (NOTIFY_SOCKET, fd store);
# its messages go to $T/notify, its output to $T/daemon.log.
keep_start() {
	: >"$T/notify"
	python3 "$REPO/tests/lib/fd_keeper.py" "$T/notify.sock" "$T/notify" \
		"$BERTH" up -c "$T/berth.ini" >>"$T/daemon.log" 2>&1 &
	KEEPER=$!
	wait_for 10 grep -q '^started ' "$T/notify"
	DAEMON_PID=$(awk '$1 == "started" {p = $2} END {print p}' "$T/notify")
	wait_for 20 "$BERTH" get deployments -o json
}

# keep_restart: the keeper starts the daemon again, handing back what it
# keeps; DAEMON_PID is the new one.
keep_restart() {
	local n
	n=$(grep -c '^started ' "$T/notify")
	kill -USR1 "$KEEPER"
	wait_for 10 started_count "$n"
	DAEMON_PID=$(awk '$1 == "started" {p = $2} END {print p}' "$T/notify")
}

# started_count N: the keeper started the daemon more than N times.
started_count() { [ "$(grep -c '^started ' "$T/notify")" -gt "$1" ]; }

# kept_at_least N: the keeper's store held service-echo alone N times.
kept_at_least() { [ "$(grep -c '^kept service-echo$' "$T/notify")" -ge "$1" ]; }

# answered N: N curl runs have written their status.
answered() { [ "$(cat "$T"/curl.* | grep -c .)" -eq "$1" ]; }

gone_pid() { ! kill -0 "$1" 2>/dev/null; }

# non2xx FILE: answers not 2xx in a wrk report made with $WRK_STATUS.
non2xx() {
	awk '$1 == "Status" && $2 !~ /^2/ { n += $3 } END { print n + 0 }' "$1"
}

@test "kill -9 under load with the fd store: only requests in flight fail" {
	svc_ini 20 19700 >"$T/berth.ini"
	keep_start
	wait_for 180 ready_pods 20
	wait_for 10 grep -q '^kept service-echo$' "$T/notify"
	wrk -s "$WRK_STATUS" -t1 -c16 -d8s --timeout 10s \
		http://127.0.0.1:19700/ >"$T/wrk.txt" 2>&1 &
	WRK=$!
	wait_for 10 load_connected 19700 16
	sleep 2
	kill -9 "$DAEMON_PID"
	keep_restart
	wait "$WRK"
	WRK=
	cat "$T/wrk.txt"
	read -r requests failed <<<"$(wrk_summary "$T/wrk.txt")"
	echo "requests $requests failed $failed"
	# no 503 window, and at most one failure per connection: the
	# request each had in flight at the kill
	[ "$(non2xx "$T/wrk.txt")" -eq 0 ]
	[ "$failed" -le 16 ]
	[ "$requests" -gt 1000 ]
	grep -q 'passed in kept' "$T/daemon.log"
	wait_for 30 ready_pods 20
}

@test "kill -9 under load without an fd store: no 503 window" {
	svc_ini 20 19701 >"$T/berth.ini"
	start_daemon
	wait_for 180 ready_pods 20
	wrk -s "$WRK_STATUS" -t1 -c16 -d8s --timeout 10s \
		http://127.0.0.1:19701/ >"$T/wrk.txt" 2>&1 &
	WRK=$!
	wait_for 10 load_connected 19701 16
	sleep 2
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
	wait "$WRK"
	WRK=
	cat "$T/wrk.txt"
	# Connections tried while no listener existed are refused (that is
	# what the fd store is for), but nothing is answered 503: the
	# listener accepts only once the adopted endpoints are published.
	[ "$(non2xx "$T/wrk.txt")" -eq 0 ]
	grep -q 'served at once, as recorded ready' "$T/daemon.log"
}

@test "fd store: connections made while the daemon is down are served" {
	svc_ini 2 19702 >"$T/berth.ini"
	keep_start
	wait_for 60 ready_pods 2
	wait_for 10 grep -q '^kept service-echo$' "$T/notify"
	kill -9 "$DAEMON_PID"
	wait_for 10 gone_pid "$DAEMON_PID"
	for i in 1 2 3 4 5; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 \
			http://127.0.0.1:19702/ >"$T/curl.$i" 2>&1 &
	done
	sleep 1
	# queued in the kept socket's backlog, not refused
	for i in 1 2 3 4 5; do [ ! -s "$T/curl.$i" ]; done
	keep_restart
	wait_for 40 answered 5
	cat "$T"/curl.*
	[ "$(cat "$T"/curl.* | grep -c '^200$')" -eq 5 ]
	# the restarted daemon stores it again (the keeper keeps one copy)
	wait_for 10 kept_at_least 2
}

@test "a deployment removed while the daemon was down is stopped gracefully" {
	{
		berth_header
		cat <<INI

[deployment keep]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "while true; do sleep 1; done"
replicas = 1

[deployment gone]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "while true; do sleep 1; done"
replicas = 1
terminationGracePeriodSeconds = 10
lifecycle.preStop.exec.command = /bin/sh -c "touch /data/prestop-\$(hostname)"
mount = $T/data:/data
INI
	} >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
	gone=$(pod_names | grep '^gone-')
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	# the deployment leaves the file while no daemon runs
	sed -i '/^\[deployment gone\]/,$d' "$T/berth.ini"
	start_daemon
	wait_for 60 has_pods ".name == \"$gone\"" 0
	ls "$T/data"
	[ -e "$T/data/prestop-$gone" ]
	run bctl events
	echo "$output"
	[[ "$output" == *"pod/$gone"*PreStopHook* ]]
	[[ "$output" == *"pod/$gone"*StopSignal* ]]
	[[ "$output" == *DeploymentDeleted* ]]
	# and it is gone for good: no record, the other pod untouched
	[ ! -e "$T/state/deployments/gone.json" ]
	wait_for 10 has_pods '.name | startswith("keep-")' 1
}

@test "a grace period begun before kill -9 keeps its deadline" {
	{
		berth_header
		cat <<INI

[deployment slow]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "trap 'echo TERM >>/data/signals' TERM; while true; do sleep 0.2; done"
replicas = 1
terminationGracePeriodSeconds = 10
mount = $T/data:/data
INI
	} >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 1
	run bctl scale deployment/slow --replicas 0
	[ "$status" -eq 0 ]
	wait_for 20 grep -q TERM "$T/data/signals"
	t0=$SECONDS
	sleep 4
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
	wait_for 40 has_pods 'true' 0
	elapsed=$((SECONDS - t0))
	cat "$T/data/signals"
	echo "SIGKILL after ${elapsed}s (grace 10 s, killed at 4 s)"
	# one SIGTERM, and the end at the original deadline, not 10 s after
	# the restart (which would be 14 s or more)
	[ "$(grep -c TERM "$T/data/signals")" -eq 1 ]
	[ "$elapsed" -ge 8 ]
	[ "$elapsed" -le 13 ]
	run bctl events
	[[ "$output" == *TerminationResumed* ]]
}
