#!/usr/bin/env bats
# berth under systemd's Type=notify, against a stand-in notify socket
# (tests/lib/notify_listen.py, started and stopped by PID here): READY=1,
# STATUS=, WATCHDOG=1, RELOADING=1 on SIGHUP, STOPPING=1 and the graceful
# stop of every pod on SIGTERM, journald's priority prefixes; the man pages
# and the bash completion. Addresses are 127.0.0.1:18400-18499.

load ../lib/helpers

setup() {
	new_env
	mkdir -p "$T/data"
	LISTENER=
}

teardown() {
	if [ -n "$LISTENER" ]; then
		kill "$LISTENER" 2>/dev/null || true
		wait "$LISTENER" 2>/dev/null || true
	fi
	teardown_env
}

# listen SOCKET: the stand-in notify socket; messages go to $T/notify.
listen() {
	NOTIFY=$1
	: >"$T/notify"
	python3 "$REPO/tests/lib/notify_listen.py" "$NOTIFY" "$T/notify" &
	LISTENER=$!
	wait_for 10 grep -q '^listening$' "$T/notify"
}

# start_notified [VAR=VALUE...]: the daemon with NOTIFY_SOCKET=$NOTIFY and
# the given variables, stderr in $T/daemon.log; returns at once.
start_notified() {
	env NOTIFY_SOCKET="$NOTIFY" "$@" "$BERTH" up -c "$T/berth.ini" \
		>>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
}

# messages PATTERN: the messages the daemon sent that match PATTERN (ERE).
messages() {
	grep "^$DAEMON_PID " "$T/notify" | cut -d' ' -f2- | grep -E "$1"
}

sent() { messages "$1" | grep -q .; }

# The app of these tests: echo-version behind one service, a preStop hook
# that leaves a mark in $T/data.
app_ini() {
	berth_header
	deployment echo echo-0.1.0 0.1.0 "$1" app=echo
	cat <<INI
lifecycle.preStop.exec.command = /bin/sh -c "touch /data/prestop-\$(hostname)"
mount = $T/data:/data

[service echo]
listen = 127.0.0.1:18400
selector = app=echo
targetPort = 8080
INI
}

@test "READY=1 once every pod is adopted and every listener bound" {
	app_ini 2 >"$T/berth.ini"
	listen "$T/notify.sock"
	start_notified
	wait_for 30 sent '^READY=1'
	wait_for 30 ready_pods 2
	before=$(pods_json | jq -c '[.pods[] | {name, pid}] | sort_by(.name)')
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" || true

	# Again, adopting both pods, with an abstract socket name this time.
	kill "$LISTENER"
	wait "$LISTENER" || true
	listen "@berth-test-$$-$RANDOM"
	start_notified
	wait_for 30 sent '^READY=1'
	# The listener is bound and the API answers, with the adopted pods.
	timeout 5 bash -c '</dev/tcp/127.0.0.1/18400'
	after=$(timeout 5 "$BERTH" get pods -o json |
		jq -c '[.pods[] | {name, pid}] | sort_by(.name)')
	[ "$after" = "$before" ]
	# READY=1 carries the status of that moment: both pods already there.
	messages '^READY=1' | head -n 1 | grep -qE '\|STATUS=2 pods \([0-9] ready\), 1 deployment, 1 service$'
	[ "$(bctl events -o json | jq '[.events[] | select(.reason == "Adopted")] | length')" -eq 2 ]
	# Every message came from the daemon itself (NotifyAccess=main).
	[ "$(grep -vc '^listening$' "$T/notify")" -eq "$(grep -c "^$DAEMON_PID " "$T/notify")" ]
	# Each container is in a cgroup of its own in every hierarchy (the
	# systemd one too), never in the daemon's: what berth.service's
	# KillMode and Restart rely on.
	for pid in $(pods_json | jq '.pods[].pid'); do
		name=$(pods_json | jq -r --argjson p "$pid" '.pods[] | select(.pid == $p) | .name')
		[ "$(grep -vc ":/berth/$name\$" "/proc/$pid/cgroup")" -eq 0 ]
	done
	# Not sent to runc or the containers: pods start with NOTIFY_SOCKET set.
	bctl scale deployment/echo --replicas 3
	wait_for 30 ready_pods 3
}

@test "STATUS= follows the pod and service counts, sent only on change" {
	app_ini 1 >"$T/berth.ini"
	listen "$T/notify.sock"
	start_notified
	wait_for 30 sent '^STATUS=1 pod \(1 ready\), 1 deployment, 1 service$'
	bctl scale deployment/echo --replicas 3
	wait_for 30 sent '^STATUS=3 pods \(3 ready\), 1 deployment, 1 service$'
	# A second service: the count follows an apply.
	cat >>"$T/berth.ini" <<INI

[service echo2]
listen = 127.0.0.1:18401
selector = app=echo
targetPort = 8080
INI
	bctl apply -f "$T/berth.ini"
	wait_for 10 sent '^STATUS=.*, 2 services$'
	sleep 2
	# Never the same status twice in a row.
	run bash -c "grep -oE 'STATUS=.*' '$T/notify' | uniq -d"
	[ -z "$output" ]
}

@test "WATCHDOG=1 from the loop only when WATCHDOG_USEC is for the daemon" {
	app_ini 1 >"$T/berth.ini"
	listen "$T/notify.sock"
	# WATCHDOG_PID is the daemon's own pid: sh execs it.
	env NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=400000 sh -c \
		'export WATCHDOG_PID=$$; exec "$0" up -c "$1"' "$BERTH" "$T/berth.ini" \
		>>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 30 sent '^READY=1'
	sleep 2
	# every 200 ms: about 10 in 2 s; a generous bound
	[ "$(messages '^WATCHDOG=1$' | wc -l)" -ge 4 ]
	# A stopped loop sends nothing.
	kill -STOP "$DAEMON_PID"
	n=$(messages '^WATCHDOG=1$' | wc -l)
	sleep 1
	[ "$(messages '^WATCHDOG=1$' | wc -l)" -eq "$n" ]
	kill -CONT "$DAEMON_PID"
	wait_for 10 bash -c "[ \$(grep -c ' WATCHDOG=1$' '$T/notify') -gt $n ]"
	timeout 60 "$BERTH" down
	wait "$DAEMON_PID" || true

	# No WATCHDOG_USEC, or one meant for another process: no pings.
	for vars in "" "WATCHDOG_USEC=400000 WATCHDOG_PID=1"; do
		: >"$T/notify"
		# shellcheck disable=SC2086
		start_notified $vars
		wait_for 30 sent '^READY=1'
		sleep 1.5
		run messages 'WATCHDOG'
		[ -z "$output" ]
		timeout 60 "$BERTH" down
		wait "$DAEMON_PID" || true
	done
}

@test "SIGHUP: RELOADING=1 with MONOTONIC_USEC, the file re-applied, READY=1" {
	app_ini 1 >"$T/berth.ini"
	listen "$T/notify.sock"
	start_notified
	wait_for 30 sent '^READY=1'
	wait_for 30 ready_pods 1
	sed -i 's/^replicas = 1$/replicas = 2/' "$T/berth.ini"
	kill -HUP "$DAEMON_PID"
	wait_for 10 sent '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$'
	# MONOTONIC_USEC is CLOCK_MONOTONIC: no more than now.
	mono=$(messages '^RELOADING=1' | head -n 1 | sed 's/.*MONOTONIC_USEC=//')
	now=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)')
	[ "$mono" -gt 0 ] && [ "$mono" -le "$now" ]
	# READY=1 again, after the RELOADING=1
	wait_for 10 bash -c "grep -A 100 'RELOADING=1' '$T/notify' | grep -q ' READY=1'"
	wait_for 30 ready_pods 2
	grep -q "SIGHUP: $T/berth.ini re-applied" "$T/daemon.log"
}

@test "SIGTERM: STOPPING=1, then every pod's graceful stop, then exit" {
	app_ini 2 >"$T/berth.ini"
	listen "$T/notify.sock"
	start_notified
	wait_for 30 sent '^READY=1'
	wait_for 30 ready_pods 2
	pods=$(pod_names)
	"$BERTH" events -w -o json >"$T/events" 2>/dev/null &
	EVENTS=$!
	sleep 0.5
	kill -TERM "$DAEMON_PID"
	# The daemon exits by itself once every pod is gone.
	for _ in $(seq 600); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$DAEMON_PID"
	[ "$status" -ne 0 ]
	wait "$EVENTS" || true
	# STOPPING=1 asks for the grace period (5 s) and the clean-up after it.
	extend=$(messages '^STOPPING=1' | head -n 1 | grep -oE 'EXTEND_TIMEOUT_USEC=[0-9]+' | cut -d= -f2)
	[ "$extend" -ge 7000000 ]
	for p in $pods; do
		[ -f "$T/data/prestop-$p" ]
		for r in Killing PreStopHook; do
			[ "$(jq --arg o "pod/$p" --arg r "$r" \
				'.events[] | select(.reason == $r and .object == $o) | .message' \
				"$T/events" | wc -l)" -ge 1 ]
		done
	done
	jq -r '.events[] | select(.reason == "Killing") | .message' "$T/events" | grep -q "berth down"
	grep -q "SIGTERM received: stopping every pod" "$T/daemon.log"
	[ -z "$(runc --root "$T/run/runc" list -q 2>/dev/null)" ]
	[ -z "$(ls -A "$T/run/pods" 2>/dev/null | grep -v '^\.trash')" ]
	messages '^STOPPING=1' | grep -q '|STATUS=stopping: 2 pods left$'
}

@test "journald: a priority before each line when JOURNAL_STREAM is stderr" {
	app_ini 1 >"$T/berth.ini"
	# a readiness probe that fails: debug lines
	cat >>"$T/berth.ini" <<INI

[deployment unready]
image = $IMAGES/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
readinessProbe.tcpSocket.port = 9
readinessProbe.periodSeconds = 1
INI
	: >"$T/daemon.log"
	stream=$(stat -c '%d:%i' "$T/daemon.log")
	env JOURNAL_STREAM="$stream" "$BERTH" up --debug -c "$T/berth.ini" \
		>>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 30 ready_pods 1
	wait_for 30 grep -q '^<7>debug ' "$T/daemon.log"
	echo "[nonsense" >>"$T/berth.ini"
	kill -HUP "$DAEMON_PID"
	wait_for 10 grep -q '^<4>warn SIGHUP: ' "$T/daemon.log"
	grep -q '^<6>info berth up: config ' "$T/daemon.log"
	# every line of ours has a prefix
	run grep -vE '^<[3467]>(fatal|warn|info|debug) ' "$T/daemon.log"
	[ -z "$output" ]
	timeout 60 "$BERTH" down
	wait "$DAEMON_PID" || true

	# Another stream (stderr was redirected since): plain lines.
	app_ini 1 >"$T/berth.ini"
	: >"$T/daemon.log"
	env JOURNAL_STREAM="$(stat -c '%d:%i' /dev/null)" "$BERTH" up -c "$T/berth.ini" \
		>>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 30 "$BERTH" get pods
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z berth info berth up: config ' "$T/daemon.log"
	run grep -E '^<[0-9]>' "$T/daemon.log"
	[ -z "$output" ]
}

@test "man pages: every verb and every config key, rendered without warnings" {
	"$BERTH" __manpage 1 >"$T/berth.1"
	"$BERTH" __manpage 5 >"$T/berth.ini.5"
	# the verbs of --help
	verbs=$("$BERTH" --help | sed -n '/^Verbs:/,/^$/p' | awk 'NF > 1 {print $1}')
	[ "$(echo "$verbs" | wc -l)" -ge 12 ]
	for v in $verbs; do
		grep -qF "\\fB$v\\fR" "$T/berth.1"
	done
	# the keys the examples and the full test config use
	keys=$(cat "$REPO"/examples/*.ini "$REPO"/tests/config/valid-full.ini |
		sed -n 's/^\([A-Za-z][A-Za-z_.]*\) *=.*/\1/p' | sort -u)
	[ "$(echo "$keys" | wc -l)" -ge 40 ]
	for k in $keys; do
		case $k in
		startupProbe.* | livenessProbe.* | readinessProbe.*)
			grep -qxF ".B ${k%%.*}.\\fIKEY\\fR" "$T/berth.ini.5"
			grep -qxF ".B ${k#*.}" "$T/berth.ini.5"
			;;
		metrics.*) # [analysis NAME]: metrics.METRIC.FIELD
			m=${k#metrics.}
			grep -qxF ".B metrics.METRIC.${m#*.}" "$T/berth.ini.5"
			;;
		*) grep -qxF ".B $k" "$T/berth.ini.5" ;;
		esac
	done
	if command -v groff >/dev/null; then
		for page in "$T/berth.1" "$T/berth.ini.5"; do
			run groff -man -ww -z "$page"
			[ "$status" -eq 0 ] && [ -z "$output" ]
		done
	fi
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l "$T/berth.ini.5" 2>"$T/man.err" | grep -q 'terminationGracePeriodSeconds'
		[ ! -s "$T/man.err" ]
	fi
}

@test "berth.service: systemd accepts the unit" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	sed "s|@BINDIR@|$(dirname "$BERTH")|" "$REPO/dist/berth.service.in" >"$T/berth.service"
	run systemd-analyze verify --man=no "$T/berth.service"
	echo "$output"
	[ "$status" -eq 0 ] && [ -z "$output" ]
	grep -qx 'Type=notify' "$T/berth.service"
	grep -qx 'KillMode=mixed' "$T/berth.service"
}

# complete WORD...: what the bash completion offers for the last WORD.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _berth; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$REPO/dist/berth.bash-completion" "$BERTH" "$@"
}

@test "bash completion: verbs, flags, and names from the running daemon" {
	app_ini 1 >"$T/berth.ini"
	start_daemon
	wait_for 30 ready_pods 1
	[ "$(complete_words ro)" = rollout ]
	[ "$(complete_words rollout un)" = undo ]
	[ "$(complete_words rollout undo "")" = echo ]
	[ "$(complete_words scale "")" = echo ]
	[ "$(complete_words set selector "")" = echo ]
	[ "$(complete_words logs "")" = "$(pod_names)" ]
	[ "$(complete_words get pods -o j)" = json ]
	[ "$(complete_words apply -f "$T/berth.i")" = "$T/berth.ini" ]
	[ "$(complete_words get pods - | sort | tr '\n' ' ')" = "-o -w " ]
	# --socket anywhere: the names come from that daemon
	[ "$(BERTH_SOCKET=/nonexistent complete_words --socket "$T/run/berth.sock" scale "")" = echo ]
}
