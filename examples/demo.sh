#!/bin/sh
# examples/demo.sh - the berth demo, run by `make demo`: starts echo 0.1.0
# x4 from examples/echo.ini, shows the pods, scales, deletes a pod and
# watches it being replaced, then stops everything cleanly. Bounded in
# time; leaves nothing running.
set -eu
cd "$(dirname "$0")/.."
BERTH=${BERTH:-build/berth}
CONFIG=examples/echo.ini
export BERTH_SOCKET=/run/berth-demo/berth.sock
LOG=$(mktemp /tmp/berth-demo.XXXXXX)
DAEMON=

step() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
	"$@"
}

wait_until() { # wait_until SECONDS CMD...
	t=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		t=$((t - 1))
		if [ "$t" -le 0 ]; then
			echo "demo: timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

ready_count() {
	"$BERTH" get pods -o json | jq '[.pods[] | select(.ready)] | length'
}

ready_is() {
	[ "$(ready_count)" -eq "$1" ]
}

cleanup() {
	if [ -n "$DAEMON" ] && kill -0 "$DAEMON" 2>/dev/null; then
		"$BERTH" down >/dev/null 2>&1 || kill -TERM "$DAEMON"
		wait "$DAEMON" 2>/dev/null || true
	fi
	rm -f "$LOG"
}
trap cleanup EXIT INT TERM

echo "berth demo: daemon log in $LOG"
"$BERTH" validate -f "$CONFIG"
"$BERTH" up -c "$CONFIG" >"$LOG" 2>&1 &
DAEMON=$!
wait_until 20 "$BERTH" get deployments -o json
wait_until 60 ready_is 4
step "$BERTH" get pods
step "$BERTH" get deployments

step "$BERTH" scale deployment/echo --replicas 6
wait_until 60 ready_is 6
step "$BERTH" get pods -o wide

victim=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
echo
echo "# delete one pod and watch the deployment replace it"
"$BERTH" get pods -w >"$LOG.watch" 2>&1 &
WATCH=$!
step "$BERTH" delete pod "$victim"
wait_until 60 ready_is 6
sleep 1
kill "$WATCH" 2>/dev/null || true
cat "$LOG.watch"
rm -f "$LOG.watch"

first=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
step "$BERTH" exec "$first" -- wget -qO- http://127.0.0.1:8080/
step "$BERTH" describe "pod/$first"
step "$BERTH" scale deployment/echo --replicas 4
step "$BERTH" events

step "$BERTH" down
wait "$DAEMON" 2>/dev/null || true
DAEMON=
echo
echo "berth demo: done; every pod stopped and removed."
