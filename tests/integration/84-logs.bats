#!/usr/bin/env bats
# Container logs through the log collector (`berth __logd`): strict
# rotation under a writer going as fast as it can (the files on disk never
# pass containerLogMaxFiles x containerLogMaxSize, no line missing from
# what is kept), --timestamps and --since, a kill -9 of the daemon
# while a pod writes (no line lost, the pod keeps running, --previous
# after its restart), and a kill -9 of the collector itself, before and
# after a daemon crash and an upgrade (the daemon holds the pipes and
# hands them to a new collector: the pod runs on, its lines go on). No
# service: no address is used (range 127.0.0.1:21200-21299 reserved).

load ../lib/helpers
bats_require_minimum_version 1.5.0

setup() {
	new_env
}

teardown() {
	teardown_env
}

pod_of() { pods_json | jq -r --arg d "$1" '[.pods[] | select(.deployment == $d)][0].name'; }

# disk_bytes DIR: the bytes of the live run's files, the oldest name
# first, so a file renamed while they are listed is never counted twice.
disk_bytes() {
	stat -c %s "$1/container.log.2" "$1/container.log.1" "$1/container.log" \
		2>/dev/null | awk '{s += $1} END {print s + 0}'
}

# file_max DIR: the largest of those files.
file_max() {
	stat -c %s "$1/container.log.2" "$1/container.log.1" "$1/container.log" \
		2>/dev/null | sort -n | tail -n 1
}

# collector_pid: the log collector of this test's run folder (found by
# its command line; killed by this pid only).
collector_pid() { pgrep -f "__logd $T/run" || true; }

# new_collector OLD: a collector other than OLD serves the run folder.
new_collector() {
	local p
	p=$(collector_pid)
	[ -n "$p" ] && [ "$p" != "$1" ]
}

# numbers_continuous: stdin's lines are "line N ..." with N going up by
# one from line to line; prints how many lines.
numbers_continuous() {
	awk '$1 != "line" {print "not a numbered line: " $0 >"/dev/stderr"; bad = 1; exit 1}
	     NR > 1 && $2 != prev + 1 {print "line " prev + 1 " to " $2 - 1 " missing" >"/dev/stderr"; bad = 1}
	     {prev = $2}
	     END {if (bad) exit 1; print NR}'
}

@test "a writer as fast as it can: files never past the cap, no line missing from what is kept" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI
containerLogMaxSize = 64Ki
containerLogMaxFiles = 3

[deployment chatty]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "i=0; while true; do i=\$((i+1)); echo \"line \$i 0123456789abcdefghijklmnopqrstuvwxyz\"; done"
replicas = 1
terminationGracePeriodSeconds = 1
INI
	start_daemon
	wait_for 30 test -n "$(pod_of chatty)"
	pod=$(pod_of chatty)
	dir=$T/run/pods/$pod
	wait_for 60 test -f "$dir/container.log.2"
	# sample for ~5 s: the three files together never pass 3 x 64 KiB
	# (strict: a record goes to a new file before it would pass the cap)
	max=0
	fmax=0
	n=0
	end=$((SECONDS + 5))
	while [ "$SECONDS" -lt "$end" ]; do
		b=$(disk_bytes "$dir")
		[ "$b" -gt "$max" ] && max=$b
		f=$(file_max "$dir")
		[ "$f" -gt "$fmax" ] && fmax=$f
		n=$((n + 1))
		[ ! -e "$dir/container.log.3" ]
	done
	echo "$n samples, at most $max bytes on disk, $fmax in one file"
	[ "$n" -gt 5 ]
	[ "$max" -le $((3 * 65536)) ]
	# and each file on its own: never one byte past the cap
	[ "$fmax" -le 65536 ]
	[ "$fmax" -gt 65000 ]
	# nearly full: rotation happens at the cap, not far below it
	[ "$max" -gt $((2 * 65536)) ]
	# the files are CRI records
	head -n 1 "$dir/container.log.1" |
		grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z stdout F line [0-9]+ '
	# what `logs` returns of the kept files: consecutive numbers
	# across both rotations, the oldest gone
	bctl logs "$pod" >"$T/out"
	count=$(numbers_continuous <"$T/out")
	echo "$count consecutive lines kept"
	[ "$count" -gt 1000 ]
	[ "$(head -n 1 "$T/out" | awk '{print $2}')" -gt 1 ]
}

@test "kill -9 of the daemon while a pod writes: no line lost, the pod runs on; --timestamps, --since, --previous" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment ticker]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "i=0; while [ \$i -lt 1200 ]; do i=\$((i+1)); echo \"line \$i\"; [ \$((i % 2)) = 0 ] && echo \"err \$i\" >&2; usleep 10000; done; exit 3"
replicas = 1
terminationGracePeriodSeconds = 1
INI
	start_daemon
	wait_for 30 test -n "$(pod_of ticker)"
	pod=$(pod_of ticker)
	wait_for 30 bash -c "$BERTH logs $pod | grep -q 'line 50$'"
	pid=$(pods_json | jq '.pods[0].pid')
	collector=$(pgrep -f "__logd $T/run" || true)
	[ -n "$collector" ]
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	sleep 1
	# the pod writes on while no daemon runs; the collector is there
	kill -0 "$pid"
	kill -0 "$collector"
	start_daemon
	[ "$(pods_json | jq '.pods[0].pid')" = "$pid" ]
	[ "$(pods_json | jq '.pods[0].restarts')" = 0 ]
	# the same collector serves the new daemon
	[ "$(pgrep -f "__logd $T/run")" = "$collector" ]
	# which got the copies of the pod's pipes back from it: a kill -9
	# of the collector costs the pod nothing (--previous below has
	# every line)
	kill -9 "$collector"
	wait_for 10 new_collector "$collector"
	# stderr interleaved with stdout, in order
	bctl logs "$pod" | grep -A1 '^line 2$' | grep -q '^err 2$'
	# -f goes on without a gap (following across rotations is in
	# test_cri_log: here nothing rotates)
	"$BERTH" logs -f --tail 0 "$pod" >"$T/follow" &
	follower=$!
	sleep 2
	kill "$follower"
	wait "$follower" || true
	grep '^line' "$T/follow" | sed '$d' >"$T/follow.lines"
	count=$(numbers_continuous <"$T/follow.lines")
	echo "$count consecutive lines followed"
	[ "$count" -gt 20 ]
	# --timestamps: RFC 3339 with nine digits, as kubectl prints them
	run bctl logs --timestamps --tail 3 "$pod"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ (line|err)\ [0-9]+$ ]]
	done
	# --since: the last second only, fewer than everything; a time to
	# come: nothing
	all=$(bctl logs "$pod" | wc -l)
	recent=$(bctl logs --since=1s "$pod" | wc -l)
	echo "all $all, last second $recent"
	[ "$recent" -lt "$all" ]
	[ "$(bctl logs --since=1h "$pod" | wc -l)" -ge "$all" ]
	run bctl logs --since-time 2999-01-01T00:00:00Z "$pod"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run ! bctl logs --since 5 "$pod"
	[[ "$output" == *"--since must be a positive duration"* ]]
	# the run ends after line 1200 and restarts: --previous is the whole
	# run, through the time no daemon ran, not a line missing
	wait_for 60 restarts_at_least "$pod" 1
	bctl logs --previous "$pod" | grep '^line' >"$T/previous"
	count=$(numbers_continuous <"$T/previous")
	[ "$count" -eq 1200 ]
	[ "$(head -n 1 "$T/previous")" = "line 1" ]
	[ "$(bctl logs --previous "$pod" | grep -c '^err')" -eq 600 ]
	# (so the collector's kill cut the run short of no line), and the
	# daemon said what it did
	grep -Eq "log collector \(pid $collector\) exited[^;]*; restarted as pid [0-9]+, 2 pipes handed over" "$T/daemon.log"
}

# gaps: stdin's lines are "line N", from line 1; prints "MISSING BYTES
# LINES LAST" (MISSING: the numbers skipped, BYTES: what their lines
# were, "line N\n"), fails on another line or a number going back.
gaps() {
	awk '$1 != "line" {print "not a numbered line: " $0 >"/dev/stderr"; bad = 1; exit 1}
	     $2 <= prev {print "line " $2 " after " prev >"/dev/stderr"; bad = 1; exit 1}
	     $2 != prev + 1 {print "line " prev + 1 " to " $2 - 1 " missing" >"/dev/stderr"
	                     for (n = prev + 1; n < $2; n++) {missing++; bytes += 6 + length(n "")}}
	     {prev = $2}
	     END {if (bad) exit 1; print missing + 0, bytes + 0, NR, prev}'
}

@test "kill -9 of the log collector while a pod writes as fast as it can: the pod runs on, a new collector reads on; again after an upgrade" {
	BURST_LINES=500000
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI
containerLogMaxSize = 128Mi
containerLogMaxFiles = 2

[deployment burst]
image = $IMAGES/echo-0.1.0
command = /bin/sh
args = -c "i=0; while [ \$i -lt $BURST_LINES ]; do i=\$((i+1)); echo \"line \$i\"; done; exec sleep 3600"
replicas = 1
terminationGracePeriodSeconds = 1
INI
	start_daemon
	old=$(collector_pid)
	[ -n "$old" ]
	# killed as soon as the pod writes (the writer is fast)
	wait_for 30 bash -c "test -s $T/run/pods/*/container.log"
	log=$(echo "$T"/run/pods/*/container.log)
	at_kill=$(tail -c 4096 "$log" | grep -Eo 'F line [0-9]+$' | tail -n 1 | awk '{print $3}')
	kill -9 "$old"
	echo "collector $old killed after line $at_kill"
	# killed while the pod wrote, not after
	[ "$at_kill" -lt "$BURST_LINES" ]
	pod=$(pod_of burst)
	[ "$log" = "$T/run/pods/$pod/container.log" ]
	pid=$(pods_json | jq '.pods[0].pid')
	# the daemon saw it, started another and handed it both pipes:
	# lines written after the kill keep arriving, up to the last
	wait_for 10 new_collector "$old"
	wait_for 60 bash -c "tail -n 1 '$log' | grep -q ' line $BURST_LINES\$'"
	grep "log collector" "$T/daemon.log" || true
	grep -q "log collector (pid $old) exited (signal 9); restarted as pid $(collector_pid), 2 pipes handed over" "$T/daemon.log"
	# the container was not restarted: the same process, no restart,
	# no last state
	[ "$(pods_json | jq '.pods[0].pid')" = "$pid" ]
	[ "$(pods_json | jq '.pods[0].restarts')" = 0 ]
	[ "$(pods_json | jq '.pods[0].lastState')" = null ]
	# every number in order: what the pipe held at the kill was read by
	# the new collector; at most one read (64 KiB) that the dead
	# collector had taken and not written can be missing
	bctl logs "$pod" >"$T/out"
	read -r missing bytes count last < <(gaps <"$T/out")
	echo "$count lines to line $last, $missing missing ($bytes bytes)"
	[ "$(head -n 1 "$T/out")" = "line 1" ]
	[ "$last" = "$BURST_LINES" ]
	[ "$count" -eq $((BURST_LINES - missing)) ]
	[ "$bytes" -le 65536 ]

	# an upgrade: the new daemon gets the copies back from the collector
	run bctl upgrade --binary "$BERTH"
	echo "$output"
	[ "$status" -eq 0 ]
	DAEMON_PID=$(grep -o 'pid [0-9]* serves' <<<"$output" | grep -o '[0-9]*')
	second=$(collector_pid)
	kill -9 "$second"
	wait_for 10 new_collector "$second"
	# the container's stdout (its pid 1's) still reaches the log
	bctl exec "$pod" -- sh -c 'echo "after the upgrade" >/proc/1/fd/1'
	wait_for 10 bash -c "$BERTH logs --tail 1 $pod | grep -qx 'after the upgrade'"
	[ "$(pods_json | jq '.pods[0].pid')" = "$pid" ]
	[ "$(pods_json | jq '.pods[0].restarts')" = 0 ]
	grep -Eq "log collector \(pid $second\) exited[^;]*; restarted as pid [0-9]+, 2 pipes handed over" "$T/daemon.log"
}

