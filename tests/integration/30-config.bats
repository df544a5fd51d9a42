#!/usr/bin/env bats
# Bad input: configs rejected with FILE:LINE and exit 2, nothing applied;
# a runtime that cannot work on this host says so in one line.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	teardown_env
}

@test "validate reports FILE:LINE and exits 2" {
	berth_header >"$T/bad.ini"
	printf '\n[deployment echo]\nimage = %s\ncommand = /bin/true\nreplicas = four\n' "$IMAGES/echo-0.1.0" >>"$T/bad.ini"
	run bctl validate -f "$T/bad.ini"
	[ "$status" -eq 2 ]
	line=$(grep -n '^replicas' "$T/bad.ini" | cut -d: -f1)
	[[ "$output" =~ ^$T/bad.ini:$line:\ replicas ]]
}

@test "up refuses a bad config with FILE:LINE and exit 2" {
	berth_header >"$T/bad.ini"
	printf '\n[deployment echo]\nimage = %s\ncommand = /bin/true\nreplica = 4\n' "$IMAGES/echo-0.1.0" >>"$T/bad.ini"
	run "$BERTH" up -c "$T/bad.ini"
	[ "$status" -eq 2 ]
	line=$(grep -n '^replica ' "$T/bad.ini" | cut -d: -f1)
	[[ "$output" =~ $T/bad.ini:$line:\ unknown\ key\ \"replica\" ]]
}

@test "apply of a bad config changes nothing and exits 2" {
	berth_header >"$T/berth.ini"
	printf '\n[deployment echo]\nimage = %s\ncommand = /bin/echo-version\nargs = --listen :8080\nreplicas = 1\n' "$IMAGES/echo-0.1.0" >>"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 1
	before=$(pod_names)
	sed 's/replicas = 1/replicas = -3/' "$T/berth.ini" >"$T/bad.ini"
	run bctl apply -f "$T/bad.ini"
	[ "$status" -eq 2 ]
	line=$(grep -n '^replicas' "$T/bad.ini" | cut -d: -f1)
	[[ "$output" =~ bad.ini:$line: ]]
	sleep 1
	[ "$(pod_names)" = "$before" ]
	sed 's/replicas = 1/replicas = 2/' "$T/berth.ini" >"$T/good.ini"
	run bctl apply -f "$T/good.ini"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "deployment.apps/echo configured" ]]
	wait_for 30 ready_pods 2
}

@test "a second daemon on the same run_dir is refused; a stale socket is not" {
	berth_header >"$T/berth.ini"
	start_daemon
	run "$BERTH" up -c "$T/berth.ini"
	[ "$status" -eq 1 ]
	[[ "$output" =~ "another berth daemon" ]]
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	[ -S "$BERTH_SOCKET" ]
	start_daemon
	run bctl get pods -o json
	[ "$status" -eq 0 ]
}

@test "runtime = crun works, or says in one line why it cannot" {
	berth_header | sed 's/^admin = off/admin = off\nruntime = crun/' >"$T/berth.ini"
	printf '\n[deployment echo]\nimage = %s\ncommand = /bin/echo-version\nargs = --listen :8080\n' "$IMAGES/echo-0.1.0" >>"$T/berth.ini"
	run timeout 20 "$BERTH" up -c "$T/berth.ini"
	if [[ "$output" =~ "cannot run containers on this host" ]]; then
		[ "$status" -eq 1 ]
		[ "$(echo "$output" | wc -l)" -eq 1 ]
		skip "crun unusable here: $output"
	fi
	start_daemon
	wait_for 30 ready_pods 1
}
