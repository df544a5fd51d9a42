#!/usr/bin/env bats
# The live dashboard in a real headless Chromium (Debian's chromium driven
# by puppeteer-core from tests/browser/, installed there by npm on first
# use): a rolling update under load seen box by box within 1 s of the
# daemon, counts equal to `berth get pods -o json`, an action with a
# session and the same call refused without cookie or CSRF token, a
# reconnect after a daemon restart, and a client that never reads. Skips,
# saying why, when chromium or node is missing. Screenshots go to
# docs/img/ when SHOTS=1. Addresses are 127.0.0.1:19500-19599.

load ../lib/helpers

BROWSER_DIR=$REPO/tests/browser

setup_file() {
	if [ -x /usr/bin/chromium ] && command -v node >/dev/null &&
		command -v npm >/dev/null && [ ! -d "$BROWSER_DIR/node_modules/puppeteer-core" ]; then
		(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund >/dev/null 2>&1) ||
			(cd "$BROWSER_DIR" && npm install --no-audit --no-fund >/dev/null 2>&1) || true
	fi
}

setup() {
	new_env
	WRK=
	SLOW=
}

teardown() {
	[ -z "${WRK:-}" ] || kill "$WRK" 2>/dev/null || true
	[ -z "${SLOW:-}" ] || kill "$SLOW" 2>/dev/null || true
	# a restart in the test replaced the daemon
	[ ! -f "$T/daemon.pid" ] || DAEMON_PID=$(cat "$T/daemon.pid")
	teardown_env
}

need_browser() {
	[ -x /usr/bin/chromium ] || skip "chromium is not installed (make deps installs it)"
	command -v node >/dev/null || skip "node is not installed (make deps installs nodejs)"
	[ -d "$BROWSER_DIR/node_modules/puppeteer-core" ] ||
		skip "puppeteer-core could not be installed under tests/browser (npm install)"
}

# dash_ini REPLICAS: echo 0.1.0 behind an http service, the dashboard on
# 127.0.0.1:19501.
dash_ini() {
	BERTH_DASHBOARD=127.0.0.1:19501 berth_header
	cat <<INI

[deployment echo]
image = $IMAGES/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
replicas = $1
minReadySeconds = ${MIN_READY:-0}
labels = app=echo
port = 8080
terminationGracePeriodSeconds = 5
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
strategy.rollingUpdate.maxSurge = 1
strategy.rollingUpdate.maxUnavailable = 0

[service web]
listen = 127.0.0.1:19502
selector = app=echo
targetPort = 8080
mode = http
INI
}

# dash_up: the page answers (else the daemon's word on it is shown).
dash_up() {
	wait_for 20 curl -sf -o /dev/null http://127.0.0.1:19501/api/session ||
		{ grep -i dashboard "$T/daemon.log" >&2; ss -Hltnp 'sport = :19501' >&2; false; }
}

browser() { # browser MODE
	local shots=
	[ -z "${SHOTS:-}" ] || shots=$REPO/docs/img
	mkdir -p "$T/tmp"
	run env BERTH="$BERTH" DASH=http://127.0.0.1:19501 TMPDIR="$T/tmp" \
		NEW_IMAGE="$IMAGES/echo-0.2.0" SHOTS="$shots" RESTART="${RESTART:-}" \
		timeout 300 node "$BROWSER_DIR/dashboard.test.js" "$1"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" =~ "ok 1 - " ]]
	[[ ! "$output" =~ "not ok" ]]
	# chromium's profile folders are gone
	[ -z "$(find "$T/tmp" -maxdepth 1 -name 'berth-chromium-*')" ]
}

@test "dashboard: a rolling update under load, box by box, equal to get pods" {
	need_browser
	MIN_READY=2 dash_ini 3 >"$T/berth.ini"
	start_daemon
	dash_up
	wait_for 60 ready_pods 3
	wrk -s "$WRK_STATUS" -t1 -c8 -d300s http://127.0.0.1:19502/ >"$T/wrk.txt" 2>&1 &
	WRK=$!
	wait_for 10 load_connected 19502 8
	browser rollout
	kill -INT "$WRK"
	wait "$WRK" || true
	WRK=
	wrk_check "$T/wrk.txt"
	# the CLI writes the same timeline
	"$BERTH" rollout history echo --revision 2 --timeline "$T/out.svg"
	grep -q '<svg' "$T/out.svg"
	grep -q 'revision 1 &#8594; 2' "$T/out.svg"
	run "$BERTH" rollout history echo --revision 7 --timeline "$T/none.svg"
	[ "$status" -ne 0 ]
	[[ "$output" =~ "no recorded rollout" ]]
}

@test "dashboard: an action needs the session cookie and its CSRF token" {
	need_browser
	dash_ini 3 >"$T/berth.ini"
	start_daemon
	dash_up
	wait_for 60 ready_pods 3
	browser action
	# a login link works once
	url=$("$BERTH" dashboard 2>/dev/null)
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 303 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 403 ]
}

@test "dashboard: the page reconnects after a daemon restart" {
	need_browser
	dash_ini 2 >"$T/berth.ini"
	start_daemon
	dash_up
	wait_for 60 ready_pods 2
	echo "$DAEMON_PID" >"$T/daemon.pid"
	cat >"$T/restart.sh" <<SH
set -e
kill -9 \$(cat "$T/daemon.pid")
sleep 1
"$BERTH" up -c "$T/berth.ini" >>"$T/daemon.log" 2>&1 &
echo \$! >"$T/daemon.pid"
for i in \$(seq 100); do "$BERTH" get pods >/dev/null 2>&1 && exit 0; sleep 0.1; done
exit 1
SH
	RESTART="bash $T/restart.sh" browser reconnect
}

@test "dashboard: a client that never reads stalls nothing and is dropped" {
	dash_ini 2 >"$T/berth.ini"
	start_daemon
	dash_up
	wait_for 60 ready_pods 2
	# connects, asks for the stream with a tiny receive buffer, never reads
	python3 - <<'PY' &
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", 19501))
s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1:19501\r\n\r\n")
time.sleep(120)
PY
	SLOW=$!
	# a reader that does read, for the whole test
	curl -sN -m 60 http://127.0.0.1:19501/events >"$T/reader.txt" &
	local reader=$!
	# many frames: pods come and go
	for n in 4 1 4 1 2; do
		"$BERTH" scale deployment/echo --replicas $n >/dev/null
		sleep 2
	done
	wait_for 60 ready_pods 2
	# the daemon answers at once, the reader saw the changes
	timeout 2 "$BERTH" get pods >/dev/null
	[ "$(grep -c '^event: state' "$T/reader.txt")" -ge 5 ]
	# the stalled client is dropped after 30 s of not reading
	wait_for 60 bash -c "[ \$(ss -Htn state established '( sport = :19501 )' | wc -l) -le 1 ]"
	kill "$reader" 2>/dev/null || true
}
