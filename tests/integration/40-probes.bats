#!/usr/bin/env bats
# Probes with real runc: readiness gating and recovery, liveness restarts,
# startup gating and startup failure, timeouts of hung exec and HTTP
# probes, redirects, successThreshold, tcpSocket, and how deployments count
# ready and available pods. Bounds are generous; only order is strict.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	teardown_env
}

# deploy NAME [keys...]: an echo-0.1.0 deployment listening on :8080 with
# a short grace period; later keys may override command/args.
deploy() {
	local name=$1
	shift
	cat <<INI

[deployment $name]
image = $IMAGES/echo-0.1.0
replicas = 1
port = 8080
terminationGracePeriodSeconds = 2
INI
	local has_cmd=
	for kv in "$@"; do
		case "$kv" in command\ =*) has_cmd=1 ;; esac
	done
	if [ -z "$has_cmd" ]; then
		echo "command = /bin/echo-version"
		echo "args = --listen :8080"
	fi
	for kv in "$@"; do echo "$kv"; done
}

# pod_of DEPLOYMENT: the name of its (single) pod.
pod_of() {
	pods_json | jq -r --arg d "$1" '.pods[] | select(.deployment == $d) | .name' | head -n 1
}

pod_field() { # pod_field DEPLOYMENT FIELD
	pods_json | jq -r --arg d "$1" ".pods[] | select(.deployment == \$d) | .$2" | head -n 1
}

is_ready() { [ "$(pod_field "$1" ready)" = true ]; }
not_ready() { [ "$(pod_field "$1" ready)" = false ]; }
is_running() { [ "$(pod_field "$1" status)" = Running ]; }
restarts_at_least() { [ "$(pod_field "$1" restarts)" -ge "$2" ]; }

# reasons POD: its event reasons in order, one per line.
reasons() {
	bctl events -o json | jq -r --arg o "pod/$1" '.events[] | select(.object == $o) | .reason'
}

# first_line PATTERN: line number of the first line matching, else 0.
first_line() {
	local n
	n=$(grep -n -m1 -x "$1" | cut -d: -f1)
	echo "${n:-0}"
}

describe_has() { # describe_has POD TEXT
	bctl describe "pod/$1" | grep -qF -- "$2"
}

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
ge() { [ "$(echo "$1 >= $2" | bc)" -eq 1 ]; }

@test "readiness: not ready before the first success, recovers without a restart" {
	{
		berth_header
		deploy web \
			"readinessProbe.httpGet.path = /healthz" \
			"readinessProbe.httpGet.port = 8080" \
			"readinessProbe.initialDelaySeconds = 3" \
			"readinessProbe.periodSeconds = 1" \
			"readinessProbe.failureThreshold = 1"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_running web
	# running but inside initialDelaySeconds: no probe ran, not ready
	not_ready web
	run bctl get pods
	[[ "$output" =~ web-[0-9a-f]{6}-[a-z0-9]{5}\ +0/1\ +Running ]]
	wait_for 15 is_ready web
	run bctl get pods
	[[ "$output" =~ \ 1/1\ +Running\ +0 ]]
	p=$(pod_of web)
	pid=$(pod_field web pid)

	run bctl exec "$p" -- wget -qO- http://127.0.0.1:8080/fail
	[ "$status" -eq 0 ]
	wait_for 10 not_ready web
	run bctl get pods
	[[ "$output" =~ \ 0/1\ +Running\ +0 ]]
	wait_for 5 describe_has "$p" "Readiness probe failed: HTTP probe failed with statuscode: 503"
	run bctl describe "pod/$p"
	[[ "$output" =~ "Readiness:    http-get http://:8080/healthz delay=3s timeout=1s period=1s #success=1 #failure=1" ]]
	[[ "$output" =~ "Ready:          False" ]]

	run bctl exec "$p" -- wget -qO- http://127.0.0.1:8080/recover
	[ "$status" -eq 0 ]
	wait_for 10 is_ready web
	# same container all along: no restart, no kill
	[ "$(pod_field web restarts)" -eq 0 ]
	[ "$(pod_field web pid)" -eq "$pid" ]
	[ "$(pod_of web)" = "$p" ]
	run reasons "$p"
	[[ "$output" =~ Unhealthy ]]
	[[ ! "$output" =~ Killing ]]
}

@test "liveness exec and httpGet failures restart the container in place" {
	{
		berth_header
		deploy lexec \
			"livenessProbe.exec.command = wget -q -O /dev/null http://127.0.0.1:8080/healthz" \
			"livenessProbe.periodSeconds = 1" \
			"livenessProbe.timeoutSeconds = 2" \
			"livenessProbe.failureThreshold = 2"
		deploy lhttp \
			"livenessProbe.httpGet.path = /healthz" \
			"livenessProbe.httpGet.port = 8080" \
			"livenessProbe.periodSeconds = 1" \
			"livenessProbe.failureThreshold = 2"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_ready lexec
	wait_for 20 is_ready lhttp
	# healthy for a few periods: nothing restarts
	sleep 3
	[ "$(pod_field lexec restarts)" -eq 0 ]
	[ "$(pod_field lhttp restarts)" -eq 0 ]
	for d in lexec lhttp; do
		p=$(pod_of $d)
		eval "pod_$d=\$p pid_$d=\$(pod_field $d pid)"
		bctl exec "$p" -- wget -qO- http://127.0.0.1:8080/fail
	done
	wait_for 30 restarts_at_least lexec 1
	wait_for 30 restarts_at_least lhttp 1
	# a restart keeps the pod and its name, with a new process
	wait_for 20 is_running lexec
	wait_for 20 is_running lhttp
	# shown only when the test fails
	pods_json | jq -c "[.pods[] | {name, status, restarts}]" || true
	reasons "$pod_lexec" | tr "\n" " " || true
	[ "$(pod_of lexec)" = "$pod_lexec" ]
	[ "$(pod_of lhttp)" = "$pod_lhttp" ]
	[ "$(pod_field lexec pid)" -ne "$pid_lexec" ]
	[ "$(pod_field lhttp pid)" -ne "$pid_lhttp" ]
	for p in "$pod_lexec" "$pod_lhttp"; do
		ev=$(reasons "$p")
		u=$(echo "$ev" | first_line Unhealthy)
		k=$(echo "$ev" | first_line Killing)
		[ "$u" -gt 0 ]
		[ "$k" -gt "$u" ]
	done
	run bctl events
	[ "$status" -eq 0 ]
	[[ "$output" =~ "Liveness probe failed: command \"wget -q -O /dev/null http://127.0.0.1:8080/healthz\" exited with 1" ]]
	[[ "$output" =~ "Liveness probe failed: HTTP probe failed with statuscode: 503" ]]
	[[ "$output" =~ "failed liveness probe, will be restarted" ]]
	# restarted in place: no replacement pod was created, none scaled down
	[[ ! "$output" =~ "scaled down" ]]
	[ "$(count_pods '.deployment == "lexec"')" -eq 1 ]
	[ "$(count_pods '.deployment == "lhttp"')" -eq 1 ]
	[ "$(echo "$output" | grep -c 'SuccessfulCreate')" -eq 2 ]
	# the new process is healthy again: ready, and restarts stop growing
	wait_for 20 is_ready lhttp
}

@test "a startup probe protects a slow starter from its liveness probe" {
	slow='command = /bin/sh -c "sleep 4; touch /tmp/warm; exec /bin/echo-version --listen :8080"'
	live=("livenessProbe.tcpSocket.port = 8080"
		"livenessProbe.periodSeconds = 1"
		"livenessProbe.failureThreshold = 1")
	{
		berth_header
		deploy guarded "$slow" "${live[@]}" \
			"startupProbe.exec.command = test -f /tmp/warm" \
			"startupProbe.periodSeconds = 1" \
			"startupProbe.failureThreshold = 10"
		# control: the same pod without a startup probe gets killed
		deploy unguarded "$slow" "${live[@]}"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_running guarded
	t0=$(now)
	# the startup probe gates readiness too
	not_ready guarded
	wait_for 20 is_ready guarded
	ge "$(elapsed "$t0")" 2
	wait_for 30 restarts_at_least unguarded 1
	sleep 2
	[ "$(pod_field guarded restarts)" -eq 0 ]
	run reasons "$(pod_of guarded)"
	[[ ! "$output" =~ Killing ]]
	run reasons "$(pod_of unguarded)"
	[[ "$output" =~ Killing ]]
	run bctl describe "pod/$(pod_of guarded)"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "Startup:      exec [test -f /tmp/warm]" ]]
}

@test "a startup probe that keeps failing kills after failureThreshold" {
	{
		berth_header
		deploy never \
			"startupProbe.exec.command = test -f /tmp/never" \
			"startupProbe.periodSeconds = 1" \
			"startupProbe.failureThreshold = 3" \
			"readinessProbe.tcpSocket.port = 8080" \
			"readinessProbe.periodSeconds = 1"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_running never
	t0=$(now)
	p=$(pod_of never)
	wait_for 30 restarts_at_least never 1
	# three failures one second apart: not before ~2 s
	ge "$(elapsed "$t0")" 1.5
	ev=$(reasons "$p")
	u=$(echo "$ev" | first_line Unhealthy)
	k=$(echo "$ev" | first_line Killing)
	[ "$u" -gt 0 ]
	[ "$k" -gt "$u" ]
	run bctl events
	[[ "$output" =~ "Startup probe failed: " ]]
	[[ "$output" =~ "failed startup probe, will be restarted" ]]
	[ "$(pod_of never)" = "$p" ]
	# readiness never ran before startup succeeded
	not_ready never
}

# count_cmd POD WORD...: processes in the container whose argv is WORD...
# (fails when the container's processes cannot be listed).
count_cmd() {
	local p=$1 ps
	shift
	ps=$(bctl exec "$p" -- sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <"$f" 2>/dev/null; echo; done') || return 1
	echo "$ps" | sed 's/^/# ps: /' >&2 # shown when the test fails
	# the listing itself is there: its own shell at least
	echo "$ps" | grep -q -F "sh -c for f in" || return 1
	echo "$ps" | grep -c -x -F -- "$* " || true
}

@test "a hung exec probe fails at its timeout and its process is killed" {
	{
		berth_header
		deploy hung \
			"readinessProbe.exec.command = sleep 30" \
			"readinessProbe.timeoutSeconds = 1" \
			"readinessProbe.periodSeconds = 1" \
			"livenessProbe.tcpSocket.port = 8080" \
			"livenessProbe.periodSeconds = 1"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_running hung
	p=$(pod_of hung)
	t0=$(now)
	wait_for 10 describe_has "$p" 'Readiness probe failed: command "sleep 30" timed out'
	# a 30 s command reported well before 30 s
	[ "$(echo "$(elapsed "$t0") < 10" | bc)" -eq 1 ]
	sleep 5
	# about one probe per 2 s ran by now; at most the one in flight lives
	n=$(count_cmd "$p" sleep 30)
	[ "$n" -le 1 ]
	not_ready hung
	# the liveness probe next to it was never held up
	[ "$(pod_field hung restarts)" -eq 0 ]
	# the control socket answers promptly throughout
	timeout 2 "$BERTH" get pods >/dev/null
}

@test "an HTTP probe against a server that never answers fails at the timeout" {
	{
		berth_header
		# nc accepts and keeps the connection open without a byte
		deploy mute \
			'command = /bin/sh -c "/bin/echo-version --listen :8080 & while true; do sleep 60 | nc -l -p 8081; done"' \
			"readinessProbe.httpGet.path = /" \
			"readinessProbe.httpGet.port = 8081" \
			"readinessProbe.timeoutSeconds = 1" \
			"readinessProbe.periodSeconds = 1" \
			"livenessProbe.httpGet.path = /healthz" \
			"livenessProbe.httpGet.port = 8080" \
			"livenessProbe.periodSeconds = 1"
		deploy slow \
			"readinessProbe.httpGet.path = /slow?ms=60000" \
			"readinessProbe.httpGet.port = 8080" \
			"readinessProbe.timeoutSeconds = 1" \
			"readinessProbe.periodSeconds = 1"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_running mute
	wait_for 20 is_running slow
	t0=$(now)
	wait_for 10 describe_has "$(pod_of mute)" "Readiness probe failed: Get \"http://127.0.0.1:8081/\""
	wait_for 10 describe_has "$(pod_of slow)" "Readiness probe failed: Get \"http://127.0.0.1:8080/slow?ms=60000\""
	[ "$(echo "$(elapsed "$t0") < 10" | bc)" -eq 1 ]
	run bctl describe "pod/$(pod_of slow)"
	[[ "$output" =~ (deadline|Timeout|timeout) ]]
	sleep 3
	not_ready mute
	not_ready slow
	# the liveness probe on the same pod kept passing
	[ "$(pod_field mute restarts)" -eq 0 ]
	timeout 2 "$BERTH" get pods >/dev/null
}

@test "a redirect to another host is success and is not followed; same host is" {
	mkdir -p "$T/www/cgi-bin"
	cat >"$T/www/cgi-bin/away" <<'SH'
#!/bin/sh
printf 'Status: 302 Found\r\nLocation: http://elsewhere.invalid:8080/cgi-bin/hit\r\n\r\n'
SH
	cat >"$T/www/cgi-bin/hit" <<'SH'
#!/bin/sh
touch /tmp/hit
printf 'Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nhit\n'
SH
	cat >"$T/www/cgi-bin/here" <<'SH'
#!/bin/sh
printf 'Status: 302 Found\r\nLocation: /cgi-bin/hit\r\n\r\n'
SH
	chmod 755 "$T"/www/cgi-bin/*
	httpd=('command = /bin/sh -c "exec httpd -f -p 8080 -h /www"'
		"mount = $T/www:/www:ro"
		"readinessProbe.httpGet.port = 8080"
		"readinessProbe.periodSeconds = 1"
		"readinessProbe.failureThreshold = 1")
	{
		berth_header
		deploy away "${httpd[@]}" "readinessProbe.httpGet.path = /cgi-bin/away"
		deploy here "${httpd[@]}" "readinessProbe.httpGet.path = /cgi-bin/here"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_ready away
	pa=$(pod_of away)
	ph=$(pod_of here)
	run bctl exec "$pa" -- wget -S -O /dev/null http://127.0.0.1:8080/cgi-bin/away
	[[ "$output" =~ "302" ]]
	sleep 3
	is_ready away
	# the other host (even on the same port) was never contacted
	run bctl exec "$pa" -- sh -c 'if [ -e /tmp/hit ]; then echo hit; else echo none; fi'
	[ "$status" -eq 0 ]
	[ "$output" = none ]
	# a same-host redirect is followed, to a 503
	wait_for 10 describe_has "$ph" "Readiness probe failed: HTTP probe failed with statuscode: 503"
	run bctl exec "$ph" -- test -e /tmp/hit
	[ "$status" -eq 0 ]
	not_ready here
}

@test "readiness successThreshold 3 needs three successes in a row" {
	{
		berth_header
		deploy three \
			"readinessProbe.httpGet.path = /healthz" \
			"readinessProbe.httpGet.port = 8080" \
			"readinessProbe.periodSeconds = 1" \
			"readinessProbe.successThreshold = 3" \
			"readinessProbe.failureThreshold = 1"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_running three
	t0=$(now)
	wait_for 20 is_ready three
	ge "$(elapsed "$t0")" 1.5
	p=$(pod_of three)
	run bctl describe "pod/$p"
	[[ "$output" =~ "#success=3 #failure=1" ]]
	bctl exec "$p" -- wget -qO- http://127.0.0.1:8080/fail
	wait_for 10 not_ready three
	t1=$(now)
	bctl exec "$p" -- wget -qO- http://127.0.0.1:8080/recover
	sleep 1
	# one or two successes so far: still not ready
	not_ready three
	wait_for 10 is_ready three
	ge "$(elapsed "$t1")" 1.5
	[ "$(pod_field three restarts)" -eq 0 ]
}

@test "tcpSocket probes: open port succeeds, closed port fails" {
	{
		berth_header
		deploy open "readinessProbe.tcpSocket.port = 8080" "readinessProbe.periodSeconds = 1"
		deploy closed "readinessProbe.tcpSocket.port = 8081" "readinessProbe.periodSeconds = 1"
	} >"$T/berth.ini"
	start_daemon
	wait_for 20 is_ready open
	wait_for 20 is_running closed
	p=$(pod_of closed)
	wait_for 10 describe_has "$p" "Readiness probe failed: dial tcp 127.0.0.1:8081: connect: connection refused"
	run bctl describe "pod/$(pod_of open)"
	[[ "$output" =~ "tcp-socket :8080" ]]
	sleep 2
	not_ready closed
	[ "$(pod_field closed restarts)" -eq 0 ]
}

dep_field() { # dep_field NAME FIELD
	bctl get deployments -o json | jq -r --arg n "$1" ".deployments[] | select(.name == \$n) | .$2"
}

dep_is() { [ "$(dep_field "$1" "$2")" -eq "$3" ]; }

@test "deployments count READY and AVAILABLE (minReadySeconds) from readiness" {
	{
		berth_header
		deploy web \
			"replicas = 2" \
			"minReadySeconds = 3" \
			"readinessProbe.httpGet.path = /healthz" \
			"readinessProbe.httpGet.port = 8080" \
			"readinessProbe.periodSeconds = 1" \
			"readinessProbe.failureThreshold = 1"
	} >"$T/berth.ini"
	sed -i '/^replicas = 1$/d' "$T/berth.ini"
	start_daemon
	wait_for 20 dep_is web ready 2
	t0=$(now)
	[ "$(dep_field web available)" -lt 2 ]
	run bctl get deployments
	[[ "$output" =~ web\ +2/2\ +2\ +[01]\  ]]
	wait_for 10 dep_is web available 2
	ge "$(elapsed "$t0")" 2
	p=$(pods_json | jq -r '.pods[0].name')
	bctl exec "$p" -- wget -qO- http://127.0.0.1:8080/fail
	wait_for 10 dep_is web ready 1
	[ "$(dep_field web available)" -eq 1 ]
	bctl exec "$p" -- wget -qO- http://127.0.0.1:8080/recover
	wait_for 10 dep_is web ready 2
	t1=$(now)
	# ready again, but available only after minReadySeconds
	[ "$(dep_field web available)" -eq 1 ]
	wait_for 10 dep_is web available 2
	ge "$(elapsed "$t1")" 2
	run bctl get deployments
	[[ "$output" =~ web\ +2/2\ +2\ +2\  ]]
}
