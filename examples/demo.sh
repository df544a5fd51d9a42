#!/bin/sh
# examples/demo.sh - the berth demo, run by `make demo`: starts Debian's
# docker-registry on a free loopback port (its own config and storage in a
# temp folder, stopped by PID at the end), pushes the example echo images
# 0.1.0 and 0.2.0 (OCI layouts made by `make images`, sharing their base
# layer) with skopeo, starts echo 0.1.0 x4 from examples/echo-registry.ini
# (the registry's port put in), shows the pods, scales, deletes a pod and
# watches it being replaced, rolls out 0.2.0 from the registry under load
# (a pull of only the changed layer), switches blue/green, then, under
# wrk load, runs the strategies of examples/canary-analysis.ini and
# examples/bluegreen-strategy.ini: a canary answering 500 to 5 % of
# requests aborted by berth's own analysis, a good canary promoted through
# its steps, a blue-green rollout checked through its preview service
# (prePromotionAnalysis) and promoted; it prints the decision events and
# the failed requests of the stable revision, then stops everything
# cleanly. Bounded in time; leaves nothing running.
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

# --- Canary with analysis by berth's own proxy -----------------------------
ADMIN=http://127.0.0.1:9180
# metric NAME HASH: a per-revision counter of service echo (0 if none)
metric() {
	curl -sf "$ADMIN/metrics" |
		awk -v n="$1{service=\"echo\"" -v h="pod_template_hash=\"$2\"" '
		index($1, n) == 1 && index($1, h) { s += $2 } END { print s + 0 }'
}
event_seen() { # event_seen REASON: an event with that reason was recorded
	"$BERTH" events -o json | jq -e --arg r "$1" '[.events[] | select(.reason == $r)] | length > 0'
}
# decisions: the strategy and analysis events recorded so far
decisions() {
	"$BERTH" events | grep -E "Canary(Started|Step|Weight|Aborted|Promoted)|Analysis(Started|Measurement|Successful|Failed|Inconclusive)|BlueGreen|Preview|Promot" || true
}
echo
echo "# canary: 4 pods of v1; each new revision gets 1 pod and 20 % of the requests,"
echo "# then the error-rate analysis reads the proxy's counters of that revision"
step "$BERTH" apply -f examples/canary-analysis.ini
wait_until 90 sh -c "[ \"\$(curl -s $URL)\" = v1 ]"
wait_until 90 ready_is 4
stable=$("$BERTH" get pods -o json | jq -r '[.pods[] | select(.ready) | .revision_hash] | unique | .[0]')
wrk -s "$WRK_STATUS" -t2 -c16 -d150s "$URL" >"$LOG.wrk3" 2>&1 &
LOAD=$!
sleep 2

echo
echo "# a canary that answers 500 to 5 % of its requests (FAIL_PERCENT=5)"
# (written in $WORK: the image path is made absolute)
sed "s/^env = FAIL_PERCENT=0/env = FAIL_PERCENT=5/; s/VERSION=v1/VERSION=bad/; s|^image = \.\./|image = $PWD/|" \
	examples/canary-analysis.ini >"$WORK/bad.ini"
step "$BERTH" apply -f "$WORK/bad.ini"
wait_until 90 event_seen CanaryAborted
# the step's run (the background one was ended by its abort)
bad=$("$BERTH" get analysisruns -o json | jq -r '[.[] | select(.background | not)] | .[-1].name')
bad_rev=$("$BERTH" get analysisruns -o json | jq -r '[.[] | select(.background | not)] | .[-1].revision')
step "$BERTH" get analysisruns
step "$BERTH" describe analysisrun "$bad"
echo
echo "# the decision, as events:"
decisions
bad_seen=$(metric berth_revision_requests_total "$bad_rev")
sleep 3
bad_after=$(metric berth_revision_requests_total "$bad_rev")
echo "berth demo: the bad canary answered $bad_seen requests ($(metric berth_revision_5xx_total "$bad_rev") of them 500) before the abort, $((bad_after - bad_seen)) in the 3 s after it"

echo
echo "# a good canary, promoted through its steps (analysis, setWeight 50, pause 10s)"
sed "s/VERSION=v1/VERSION=v2/; s|^image = \.\./|image = $PWD/|" \
	examples/canary-analysis.ini >"$WORK/good.ini"
step "$BERTH" apply -f "$WORK/good.ini"
step "$BERTH" rollout status echo
step curl -s "$URL"
kill -INT "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
echo
echo "# the decisions, as events:"
decisions | grep -v "$bad" | grep -E "Step|Promoted|Successful" || true
stable_req=$(metric berth_revision_requests_total "$stable")
stable_failed=$(($(metric berth_revision_5xx_total "$stable") + $(metric berth_revision_connection_errors_total "$stable")))
echo "berth demo: the stable revision answered $stable_req requests during both canaries, $stable_failed failed"

# --- BlueGreen with a preview check ---------------------------------------
echo
echo "# blue-green: the new revision comes up beside the active one; the preview"
echo "# service reaches it, and prePromotionAnalysis measures it there"
# (as deployment echo-bg: a strategy's own first revision rolls out at once)
sed "s/^\[deployment echo\]$/[deployment echo-bg]/; s|^image = \.\./|image = $PWD/|" \
	examples/bluegreen-strategy.ini >"$WORK/bluegreen.ini"
step "$BERTH" apply -f "$WORK/bluegreen.ini"
wait_until 90 sh -c "[ \"\$(curl -s $URL)\" = 0.1.0 ]"
wait_until 90 ready_is 2
wrk -s "$WRK_STATUS" -t2 -c16 -d30s "$URL" >"$LOG.wrk4" 2>&1 &
LOAD=$!
step "$BERTH" set image echo-bg "$PWD/build/images/echo-0.2.0"
wait_until 60 sh -c "[ \"\$(curl -s http://127.0.0.1:8081/)\" = 0.2.0 ]"
step curl -s http://127.0.0.1:8081/
step curl -s "$URL"
# the preview check's traffic
wrk -t1 -c2 -d10s http://127.0.0.1:8081/ >/dev/null 2>&1 &
PREVIEW_LOAD=$!
wait_until 60 sh -c "\"$BERTH\" get analysisruns -o json | jq -e '[.[] | select(.what == \"prePromotion\" and .phase == \"Successful\")] | length == 1'"
wait "$PREVIEW_LOAD" 2>/dev/null || true
step "$BERTH" get analysisruns
step curl -s "$URL"
step "$BERTH" rollout promote echo-bg
wait_until 30 sh -c "[ \"\$(curl -s $URL)\" = 0.2.0 ]"
step curl -s "$URL"
wait "$LOAD" || true
echo
echo "# the blue-green decisions, as events:"
"$BERTH" events | grep "deployment/echo-bg" | grep -E "preview-check|Preview|Promot|switched" || true

# --- summary ---------------------------------------------------------------
total=0
failed=0
checked=0
for f in "$LOG.wrk1" "$LOG.wrk2" "$LOG.wrk4"; do
	# any socket error, answer not 2xx, or no request at all fails it
	wrk_check "$f" || checked=1
	# "REQUESTS FAILED": socket errors and answers that are not 2xx
	s=$(wrk_summary "$f")
	total=$((total + ${s% *}))
	failed=$((failed + ${s#* }))
done
rm -f "$LOG.wrk1" "$LOG.wrk2" "$LOG.wrk3" "$LOG.wrk4" "$LOG.watch"

step "$BERTH" down
wait "$DAEMON" 2>/dev/null || true
DAEMON=
echo
echo "berth demo: $total requests sent, $failed failed, during a rolling update from the registry and two blue/green switches."
echo "berth demo: during the canaries the stable revision answered $stable_req requests, $stable_failed failed; the bad canary's own 500s before its abort were the only errors."
[ "$failed" -eq 0 ] && [ "$checked" -eq 0 ] && [ "$stable_failed" -eq 0 ] &&
	[ "$bad_after" -eq "$bad_seen" ]
