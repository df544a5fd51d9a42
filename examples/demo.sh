#!/bin/sh
# examples/demo.sh - the berth demo, run by `make demo`: starts echo 0.1.0
# x4 from examples/echo.ini, shows the pods, scales, deletes a pod and
# watches it being replaced, then stops everything cleanly. Bounded in
# time; leaves nothing running.
set -eu
cd "$(dirname "$0")/.."
# wrk_summary, WRK_STATUS: how a wrk report is read (tests/lib/wrk.sh)
. tests/lib/wrk.sh
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
	[ -n "${KEEP_LOG:-}" ] || rm -f "$LOG"
}
trap cleanup EXIT INT TERM

echo "berth demo: daemon log in $LOG"
"$BERTH" validate -f "$CONFIG"
"$BERTH" up -c "$CONFIG" >"$LOG" 2>&1 &
DAEMON=$!
wait_until 20 "$BERTH" get deployments -o json
if ! kill -0 "$DAEMON" 2>/dev/null; then
	echo "berth demo: the daemon did not start:" >&2
	cat "$LOG" >&2
	DAEMON=
	exit 1
fi
# a demo interrupted earlier may have left a scaled deployment: start over
"$BERTH" apply -f "$CONFIG" >/dev/null
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
wait_until 60 ready_is 4

# --- a rolling update under load -----------------------------------------
URL=http://127.0.0.1:8080/
step curl -s "$URL"
echo
echo "# roll out 0.2.0 while wrk sends requests through the service (32 keep-alive connections)"
wrk -s "$WRK_STATUS" -t2 -c32 -d25s "$URL" >"$LOG.wrk1" 2>&1 &
LOAD=$!
"$BERTH" get pods -w >"$LOG.watch" 2>&1 &
WATCH=$!
sleep 2
step "$BERTH" set image echo build/images/echo-0.2.0
step "$BERTH" rollout status deployment/echo
kill "$WATCH" 2>/dev/null || true
echo
echo "# what get pods -w showed during the rollout (the waves):"
cat "$LOG.watch"
wait "$LOAD" || true
step curl -s "$URL"
step "$BERTH" rollout history deployment/echo

# --- blue/green by selector ------------------------------------------------
echo
echo "# blue/green: two deployments, one service; the selector picks the colour"
step "$BERTH" apply -f examples/bluegreen.ini
wait_until 90 ready_is 4
wait_until 30 sh -c "[ \"\$(curl -s $URL)\" = 0.1.0 ]"
wrk -s "$WRK_STATUS" -t2 -c32 -d8s "$URL" >"$LOG.wrk2" 2>&1 &
LOAD=$!
sleep 3
step "$BERTH" set selector echo app=echo,color=green
wait "$LOAD" || true
step curl -s "$URL"
step "$BERTH" get services

# --- summary ---------------------------------------------------------------
total=0
failed=0
for f in "$LOG.wrk1" "$LOG.wrk2"; do
	# "REQUESTS FAILED": socket errors and answers that are not 2xx
	s=$(wrk_summary "$f")
	total=$((total + ${s% *}))
	failed=$((failed + ${s#* }))
done
rm -f "$LOG.wrk1" "$LOG.wrk2" "$LOG.watch"

step "$BERTH" down
wait "$DAEMON" 2>/dev/null || true
DAEMON=
echo
echo "berth demo: $total requests sent, $failed failed, during a rolling update and a blue/green switch."
[ "$failed" -eq 0 ]
