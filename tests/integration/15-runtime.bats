#!/usr/bin/env bats
# What the runtime adapter puts around a container: security context,
# limits, mounts, the log cap, and runc's own errors reaching the user.

load ../lib/helpers

setup() {
	new_env
	mkdir -p "$T/data"
}

teardown() {
	teardown_env
}

@test "securityContext, limits and mounts are applied" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment locked]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "while true; do sleep 1; done"
mount = $T/data:/data:ro
resources.limits.memory = 64Mi
resources.limits.pids = 50
securityContext.runAsUser = 1000
securityContext.readOnlyRootFilesystem = true
securityContext.capabilities.drop = ALL
securityContext.capabilities.add = NET_BIND_SERVICE
INI
	echo hello >"$T/data/file"
	start_daemon
	wait_for 30 ready_pods 1
	p=$(pod_names)
	run bctl exec "$p" -- id -u
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
	run bctl exec "$p" -- cat /data/file
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	# both writes fail for the read-only mount, not for another reason
	run bctl exec "$p" -- sh -c 'echo x >/data/new'
	[ "$status" -ne 0 ]
	[[ "$output" =~ "Read-only file system" ]]
	run bctl exec "$p" -- touch /rootfile
	[ "$status" -ne 0 ]
	[[ "$output" =~ "Read-only file system" ]]
	run bctl exec "$p" -- grep CapEff /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" =~ 0000000000000400 ]]
	run bctl exec "$p" -- grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" =~ NoNewPrivs:.1 ]]
	[[ "$output" =~ Seccomp:.2 ]]
	# the limits are in the pod's cgroup
	mem=$(cat /sys/fs/cgroup/memory/berth/"$p"/memory.limit_in_bytes 2>/dev/null ||
		cat /sys/fs/cgroup/berth/"$p"/memory.max)
	[ "$mem" -eq 67108864 ]
	pids=$(cat /sys/fs/cgroup/pids/berth/"$p"/pids.max 2>/dev/null ||
		cat /sys/fs/cgroup/berth/"$p"/pids.max)
	[ "$pids" -eq 50 ]
	# a private network namespace with only loopback
	run bctl exec "$p" -- ls /sys/class/net
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "replicas share the image read-only; each pod writes to its own layer" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment share]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "hostname >/tmp/me; while true; do sleep 1; done"
replicas = 2
INI
	start_daemon
	wait_for 30 ready_pods 2
	for p in $(pod_names); do
		wait_for 10 bctl exec "$p" -- test -f /tmp/me
		run bctl exec "$p" -- cat /tmp/me
		[ "$status" -eq 0 ]
		[ "$output" = "$p" ]
	done
	[ ! -e "$IMAGES/echo-0.1.0/tmp/me" ]
}

@test "runc's own error reaches events and describe" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment broken]
image = $IMAGES/echo-0.1.0
command = /no/such/binary
INI
	start_daemon
	wait_for 30 sh -c "'$BERTH' events | grep -q 'no such file or directory'"
	run bctl events
	[[ "$output" =~ Failed ]]
	[[ "$output" =~ /no/such/binary ]]
	p=$(pod_names)
	run bctl describe pod "$p"
	[[ "$output" =~ /no/such/binary ]]
}

@test "the log is capped and keeps the newest bytes" {
	berth_header >"$T/berth.ini"
	cat >>"$T/berth.ini" <<INI

[deployment chatty]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "i=0; while true; do i=\$((i+1)); echo line-\$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"
INI
	BERTH_LOG_MAX_BYTES=65536 start_daemon
	wait_for 30 ready_pods 1
	p=$(pod_names)
	# rotated twice at least: the first lines are gone from both parts
	wait_for 30 oldest_line_after "$p" 1
	run bctl logs "$p"
	[ "$status" -eq 0 ]
	last=$(echo "$output" | tail -n 2 | head -n 1 | cut -d- -f2)
	first=$(echo "$output" | head -n 2 | tail -n 1 | cut -d- -f2)
	echo "logs show lines $first to $last"
	[ "$last" -gt "$first" ]
	[ "$first" -gt 1 ]
	# neither part grows without bound: each is the cap plus what the
	# writer gets through between two housekeeping ticks (1 s apart, later
	# on a loaded host: a shell loop writes 5-15 MB/s here), so a generous
	# 32 MiB; unbounded, the file would pass it within a few seconds
	size=$(stat -c %s "$T/run/pods/$p/container.log")
	old=$(stat -c %s "$T/run/pods/$p/container.log.1")
	echo "container.log $size bytes, container.log.1 $old bytes"
	[ "$old" -gt 0 ]
	[ "$size" -le 33554432 ]
	[ "$old" -le 33554432 ]
}

# oldest_line_after POD N: the oldest whole line `logs` shows for POD (the
# second: the first may be cut) is numbered above N.
oldest_line_after() {
	local first
	first=$(bctl logs "$1" | head -n 2 | tail -n 1 | cut -d- -f2)
	[ -n "$first" ] && [ "$first" -gt "$2" ]
}
