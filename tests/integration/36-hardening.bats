#!/usr/bin/env bats
# Hostile input and hostile neighbours: paths that are not regular files
# (/dev/zero, FIFOs) refused at once by validate, apply and at pod start,
# with the daemon answering throughout; state and run folders another user
# could write refused; a symlink planted at a temp name never followed; the
# CLI trusting only a daemon run by root (or by its own user) and never
# executing a path the daemon sent; `:ro` mounts read-only all the way down.
# No port is used (admin = off, no service).

load ../lib/helpers

FAKE=$REPO/tests/lib/fake_daemon.py

setup() {
	new_env
	FAKE_PID=
}

teardown() {
	[ -z "$FAKE_PID" ] || kill "$FAKE_PID" 2>/dev/null || true
	# A daemon that opened a FIFO for reading is stuck until a writer
	# comes: let it go so the teardown can stop it.
	for f in "$T"/fifo*; do
		[ -p "$f" ] && timeout 1 sh -c ": >'$f'" 2>/dev/null || true
	done
	teardown_env
}

# sleeper_ini [KEY = VALUE]...: a config with one pod that sleeps.
sleeper_ini() {
	berth_header
	cat <<INI

[deployment sleeper]
image = $IMAGES/echo-0.1.0
command = /bin/sh -c "while true; do sleep 1; done"
terminationGracePeriodSeconds = 2
INI
	local k
	for k in "$@"; do echo "$k"; done
}

# answers: the daemon answers its control API within 10 s.
answers() {
	timeout 10 "$BERTH" get pods -o json >/dev/null
}

# start_fake UID ROUTE=JSON...: a fake daemon at $T/fake/berth.sock run as
# UID; BERTH_SOCKET points at it.
start_fake() {
	local uid=$1
	shift
	chmod 0755 "$T"
	mkdir -p "$T/fake"
	chown "$uid" "$T/fake"
	setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		/usr/bin/python3 "$FAKE" "$T/fake/berth.sock" "$@" \
		>"$T/fake.log" 2>&1 3>&- &
	FAKE_PID=$!
	export BERTH_SOCKET=$T/fake/berth.sock
	wait_for 10 test -S "$BERTH_SOCKET"
}

@test "validate refuses /dev/zero and a FIFO at once, as config or seccomp profile" {
	run timeout 20 "$BERTH" validate -f /dev/zero
	[ "$status" -eq 2 ]
	[ "$output" = "/dev/zero: cannot read: is a character device, not a regular file" ]
	mkfifo "$T/fifo"
	run timeout 20 "$BERTH" validate -f "$T/fifo"
	[ "$status" -eq 2 ]
	[ "$output" = "$T/fifo: cannot read: is a FIFO, not a regular file" ]
	sleeper_ini "securityContext.seccompProfile = /dev/zero" >"$T/z.ini"
	run timeout 20 "$BERTH" validate -f "$T/z.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == "$T/z.ini:"*": seccomp profile /dev/zero: cannot be read: is a character device, not a regular file" ]]
	sleeper_ini "securityContext.seccompProfile = fifo" >"$T/f.ini"
	run timeout 20 "$BERTH" validate -f "$T/f.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == *": seccomp profile fifo: cannot be read: is a FIFO, not a regular file" ]]
	# a config past the 4 MiB cap
	head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ';' >"$T/big.ini"
	run timeout 20 "$BERTH" validate -f "$T/big.ini"
	[ "$status" -eq 2 ]
	[ "$output" = "$T/big.ini: cannot read: is larger than 4 MiB" ]
}

@test "apply of /dev/zero or a FIFO is refused at once and the daemon keeps answering" {
	berth_header >"$T/berth.ini"
	start_daemon
	mkfifo "$T/fifo"
	run timeout 20 "$BERTH" apply -f "$T/fifo"
	[ "$status" -eq 2 ]
	[ "$output" = "$T/fifo: cannot read: is a FIFO, not a regular file" ]
	answers
	run timeout 20 "$BERTH" apply -f /dev/zero
	[ "$status" -eq 2 ]
	[ "$output" = "/dev/zero: cannot read: is a character device, not a regular file" ]
	answers
	# through the API directly, as a script would
	run timeout 20 curl -s --unix-socket "$BERTH_SOCKET" -X POST \
		-d "{\"path\": \"$T/fifo\"}" http://localhost/v1/apply
	[ "$status" -eq 0 ]
	[[ "$output" =~ "is a FIFO, not a regular file" ]]
	sleeper_ini "securityContext.seccompProfile = fifo" >"$T/f.ini"
	run timeout 20 "$BERTH" apply -f "$T/f.ini"
	[ "$status" -eq 2 ]
	[[ "$output" =~ "seccomp profile fifo: cannot be read: is a FIFO" ]]
	answers
	run timeout 10 "$BERTH" get pods -o json
	[ "$(echo "$output" | jq '.pods | length')" -eq 0 ]
}

@test "a seccomp profile swapped for a FIFO fails the pod's start, not the daemon" {
	cat >"$T/p.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}
JSON
	sleeper_ini "securityContext.seccompProfile = p.json" \
		"restartPolicy = Always" >"$T/berth.ini"
	start_daemon
	wait_for 30 has_pods '.status == "Running"' 1
	p=$(pod_names)
	rm "$T/p.json"
	mkfifo "$T/fifo"
	ln -s fifo "$T/p.json"
	timeout 20 "$BERTH" delete pod "$p" --wait=false
	# the replacement cannot start; the loop goes on answering
	wait_for 30 sh -c "timeout 5 '$BERTH' events -o json | grep -q 'is a FIFO, not a regular file'"
	answers
	run timeout 10 "$BERTH" get pods -o json
	[ "$status" -eq 0 ]
}

@test "a state_dir or run_dir another user could write is refused" {
	berth_header >"$T/berth.ini"
	mkdir -m 0775 "$T/state"
	run timeout 20 "$BERTH" up -c "$T/berth.ini"
	[ "$status" -eq 1 ]
	[[ "$output" =~ "state_dir \`$T/state\` is writable by group or others (mode 0775)" ]]
	chmod 0700 "$T/state"
	mkdir -p "$T/run"
	chown 65534 "$T/run"
	run timeout 20 "$BERTH" up -c "$T/berth.ini"
	[ "$status" -eq 1 ]
	[[ "$output" =~ "run_dir \`$T/run\` is owned by uid 65534, not by uid 0" ]]
	# a folder above it that anyone may write (and not sticky)
	mkdir -m 0777 "$T/open"
	chmod 0777 "$T/open"
	sed "s#^run_dir = .*#run_dir = $T/open/run#" "$T/berth.ini" >"$T/open.ini"
	run timeout 20 "$BERTH" up -c "$T/open.ini"
	[ "$status" -eq 1 ]
	[[ "$output" =~ "folder \`$T/open\` on its path is writable by group or others (mode 0777) and not sticky" ]]
	[ ! -e "$T/run/berth.sock" ]
	[ ! -e "$T/open/run/berth.sock" ]
}

@test "a symlink planted at a state file's temp name is never followed" {
	sleeper_ini >"$T/berth.ini"
	mkdir -m 0700 "$T/state" "$T/state/deployments"
	echo untouched >"$T/victim"
	ln -s "$T/victim" "$T/state/applied.tmp"
	ln -s "$T/victim" "$T/state/deployments/sleeper.json.tmp"
	start_daemon
	wait_for 30 test -s "$T/state/deployments/sleeper.json"
	[ "$(cat "$T/victim")" = untouched ]
	[ -f "$T/state/applied" ] && [ ! -L "$T/state/applied" ]
	[ "$(cat "$T/state/applied")" = "$T/berth.ini" ]
	[ ! -L "$T/state/deployments/sleeper.json" ]
	jq -e . "$T/state/deployments/sleeper.json" >/dev/null
}

@test "the CLI refuses a control socket served by another user" {
	start_fake 65534 '/v1/pods={"pods": []}' \
		"/exec={\"runtime\": \"/bin/true\", \"root\": \"/tmp\", \"id\": \"x\"}"
	run timeout 20 "$BERTH" get pods
	[ "$status" -eq 1 ]
	[[ "$output" =~ "refusing the control socket $T/fake/berth.sock: it is served by uid 65534" ]]
	run timeout 20 "$BERTH" exec x -- true
	[ "$status" -eq 1 ]
	[[ "$output" =~ "refusing the control socket" ]]
	# a daemon of root's is fine (the same fake, run as root)
	kill "$FAKE_PID"
	wait "$FAKE_PID" 2>/dev/null || true
	rm -f "$T/fake/berth.sock"
	start_fake 0 '/v1/pods={"pods": []}'
	run timeout 20 "$BERTH" get pods -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c .)" = '{"pods":[]}' ]
	# and so is it for a user who is not root (reading, as today)
	chmod 0777 "$BERTH_SOCKET"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		env BERTH_SOCKET="$BERTH_SOCKET" timeout 20 "$BERTH" get pods -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c .)" = '{"pods":[]}' ]
}

@test "exec never runs a runtime path the daemon sent" {
	mkdir -p "$T/bin"
	printf '#!/bin/sh\ntouch %s/pwned\n' "$T" >"$T/bin/evil"
	cp "$T/bin/evil" "$T/bin/runc"
	chmod 0755 "$T/bin/evil" "$T/bin/runc"
	start_fake 0 "/exec={\"runtime\": \"$T/bin/evil\", \"root\": \"$T/rr\", \"id\": \"x\"}"
	run timeout 20 "$BERTH" exec x -- true
	[ "$status" -eq 1 ]
	[[ "$output" =~ "the daemon runs the runtime \`$T/bin/evil\`; set BERTH_RUNTIME" ]]
	[ ! -e "$T/pwned" ]
	kill "$FAKE_PID"
	wait "$FAKE_PID" 2>/dev/null || true
	rm -f "$T/fake/berth.sock"
	# named runc, but not the system's: the system's runc runs instead
	start_fake 0 "/exec={\"runtime\": \"$T/bin/runc\", \"root\": \"$T/rr\", \"id\": \"x\"}"
	run timeout 20 "$BERTH" exec x -- true
	[ "$status" -ne 0 ]
	[ ! -e "$T/pwned" ]
	# the user's own choice, from the environment, is honoured
	run env BERTH_RUNTIME="$T/bin/evil" timeout 20 "$BERTH" exec x -- true
	[ "$status" -eq 0 ]
	[ -e "$T/pwned" ]
}

@test "a :ro mount is read-only down to the mounts below it" {
	mkdir -p "$T/data/nested"
	mount -t tmpfs -o size=1m berth-test "$T/data/nested"
	echo hello >"$T/data/nested/file"
	sleeper_ini "mount = $T/data:/data:ro" >"$T/berth.ini"
	start_daemon
	wait_for 30 has_pods '.status == "Running"' 1
	p=$(pod_names)
	run bctl exec "$p" -- cat /data/nested/file
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	run bctl exec "$p" -- sh -c 'echo x >/data/top'
	[ "$status" -ne 0 ]
	run bctl exec "$p" -- sh -c 'echo x >/data/nested/new'
	[ "$status" -ne 0 ]
	[[ "$output" =~ "Read-only file system" ]]
	[ ! -e "$T/data/nested/new" ]
	[ ! -e "$T/data/top" ]
}
