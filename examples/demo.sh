#!/bin/sh
# examples/demo.sh - the berth demo, run by `make demo`: starts Debian's
# docker-registry on a free loopback port (its own config and storage in a
# temp folder, stopped by PID at the end), pushes the example echo images
# 0.1.0 and 0.2.0 (OCI layouts made by `make images`, sharing their base
# layer) with skopeo, starts echo 0.1.0 x4 from examples/echo-registry.ini
# (the registry's port put in), shows the pods, scales, deletes a pod and
# watches it being replaced, rolls out 0.2.0 from the registry under load
# (a pull of only the changed layer), switches blue/green, then stops
# everything cleanly. Bounded in time; leaves nothing running.
set -eu
cd "$(dirname "$0")/.."
# wrk_check, wrk_summary, WRK_STATUS: how a wrk report is read
# (tests/lib/wrk.sh)
. tests/lib/wrk.sh
BERTH=${BERTH:-build/berth}
export BERTH_SOCKET=/run/berth-demo/berth.sock
LOG=$(mktemp /tmp/berth-demo.XXXXXX)
WORK=$(mktemp -d /tmp/berth-demo-registry.XXXXXX)
CONFIG=$WORK/echo-registry.ini
DAEMON=
REGISTRY=

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
	if [ -n "$REGISTRY" ]; then
		kill "$REGISTRY" 2>/dev/null || true
		wait "$REGISTRY" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	[ -n "${KEEP_LOG:-}" ] || rm -f "$LOG"
}
trap cleanup EXIT INT TERM

# --- a registry on loopback, holding echo 0.1.0 and 0.2.0 ----------------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
mkdir -p "$WORK/registry"
cat >"$WORK/registry.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: $REG
YML
/usr/bin/docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REGISTRY=$!
wait_until 30 curl -sf "http://$REG/v2/"
echo "berth demo: docker-registry on $REG (pid $REGISTRY)"
for v in 0.1.0 0.2.0; do
	step skopeo copy --quiet --dest-tls-verify=false \
		"oci:build/images/oci/echo:$v" "docker://$REG/echo:$v"
done
sed "s/127\.0\.0\.1:5000/$REG/g" examples/echo-registry.ini >"$CONFIG"

# images an earlier demo left in its store go, so that the pulls are real
"$BERTH" image prune -a -c "$CONFIG" >/dev/null 2>&1 || true

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
step "$BERTH" set image deployment/echo "echo=$REG/echo:0.2.0"
step "$BERTH" rollout status deployment/echo
kill "$WATCH" 2>/dev/null || true
echo
echo "# what get pods -w showed during the rollout (the waves):"
cat "$LOG.watch"
wait "$LOAD" || true
step curl -s "$URL"
step "$BERTH" rollout history deployment/echo
step "$BERTH" images -c "$CONFIG"
echo
echo "# the registry's log: the base layer was downloaded for 0.1.0 only; 0.2.0's pull fetched its own layer"
raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/echo:0.2.0")
base=$(echo "$raw" | jq -r '.layers[0].digest')
top=$(echo "$raw" | jq -r '.layers[1].digest')
base_gets=$(grep -c "GET /v2/echo/blobs/$base " "$WORK/registry.log" || true)
top_gets=$(grep -c "GET /v2/echo/blobs/$top " "$WORK/registry.log" || true)
echo "base layer $base: downloaded $base_gets time(s)"
echo "0.2.0's own layer $top: downloaded $top_gets time(s)"
# (0 when an earlier demo's store still held it)
[ "$base_gets" -le 1 ] && [ "$top_gets" -le 1 ]

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
checked=0
for f in "$LOG.wrk1" "$LOG.wrk2"; do
	# any socket error, answer not 2xx, or no request at all fails it
	wrk_check "$f" || checked=1
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
echo "berth demo: $total requests sent, $failed failed, during a rolling update from the registry and a blue/green switch."
[ "$failed" -eq 0 ] && [ "$checked" -eq 0 ]
