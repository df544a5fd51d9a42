#!/usr/bin/env bats
# A full disk under STATE_DIR (a 512 KiB tmpfs this test mounts under its
# own folder and fills): the daemon keeps serving, says why once in its log
# and as a Warning event, leaves every earlier record intact and no temp
# file behind, and writes what it could not as soon as there is room, so a
# daemon killed afterwards adopts every pod. No port is used.

load ../lib/helpers

setup() {
	new_env
	mkdir -p "$T/state"
	mount -t tmpfs -o size=512k,mode=0700 tmpfs "$T/state"
}

teardown() {
	teardown_env
}

records() { # records: pod records on disk
	find "$T/state/pods" -name '*.json' | wc -l
}

has_records() { [ "$(records)" -eq "$1" ]; }

@test "a full state disk loses nothing: said once, written again, adopted after a crash" {
	echo_app_ini echo-0.1.0 1 >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 1
	[ "$(records)" -eq 1 ]
	dd if=/dev/zero of="$T/state/fill" bs=4k 2>/dev/null || true

	run bctl scale deployment echo --replicas=3
	[ "$status" -eq 0 ]
	wait_for 60 ready_pods 3
	[ "$(grep -c 'No space left on device; kept in memory' "$T/daemon.log")" -eq 1 ]
	[ "$(bctl events -o json | jq '[.events[] | select(.reason == "StateNotSaved" and .type == "Warning")] | length')" -eq 1 ]
	# the first pod's record is intact; no temp file is left behind
	[ "$(records)" -eq 1 ]
	[ -z "$(find "$T/state" -name '*.tmp*')" ]
	jq -e '.name' "$(find "$T/state/pods" -name '*.json')" >/dev/null

	# room again: everything unsaved is written within seconds
	names=$(pod_names)
	rm "$T/state/fill"
	wait_for 10 has_records 3
	wait_for 5 grep -q "every record written again" "$T/daemon.log"
	bctl events -o json | jq -e '.events[] | select(.reason == "StateSaved")' >/dev/null
	[ "$(jq '.replicas' "$T/state/deployments/echo.json")" -eq 3 ]

	# a crash now loses no pod: the next daemon adopts all three
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
	wait_for 30 ready_pods 3
	[ "$(pod_names)" = "$names" ]
	[ "$(count_pods '.restarts == 0')" -eq 3 ]
}
