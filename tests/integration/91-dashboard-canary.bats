#!/usr/bin/env bats
# The dashboard's per-revision numbers and canary actions, and timelines
# that outlive the daemon. A Canary deployment under load: the state
# document (what the page draws) carries requests/s, errors and p99 per
# revision from the proxy's per-revision counters and the weight set, in
# the proxy and actually taken; promote/abort/retry from the page need the
# session cookie and its CSRF token; in a headless chromium (when
# installed) the canary line and the buttons work from the keyboard. A
# rollout's timeline, drawn with requests/s and errors/s per revision, is
# the same after a kill -9 and a restart, and the next rollout is
# recorded from the right revision. With SHOTS=1 the browser test writes
# docs/img/dashboard-canary.png. Addresses are 127.0.0.1:20100-20199.

load ../lib/helpers
load ../lib/echo_ini

DASH=http://127.0.0.1:20101
PORT=20102
BROWSER_DIR=$REPO/tests/browser

setup() {
	new_env
	WRK=
}

teardown() {
	[ -z "${WRK:-}" ] || kill "$WRK" 2>/dev/null || true
	teardown_env
}

# canary_ini: 4 pods of echo 0.1.0, one canary pod at weight 25 then a
# pause until promoted; the dashboard on 20101, the service on 20102.
canary_ini() {
	local -a strategy=("strategy.type = Canary"
		"strategy.canary.steps = setCanaryScale replicas 1, setWeight 25, pause")
	[ -z "${ROLLING:-}" ] || strategy=("strategy.rollingUpdate.maxSurge = 1"
		"strategy.rollingUpdate.maxUnavailable = 0")
	BERTH_DASHBOARD=127.0.0.1:20101 echo_ini "${strategy[@]}"
}

dash_up() {
	wait_for 20 curl -sf -o /dev/null "$DASH/api/session"
}

# state JQ: the dashboard's state document through jq. A stream is kept
# open by the caller so the proxy's numbers are sampled.
state() {
	curl -sf "$DASH/api/state" | jq -ec ".state | $1"
}

svc() { state ".services[] | select(.name == \"web\") | $1"; }

# sign_in: a session cookie in $T/jar, its CSRF token in $CSRF.
sign_in() {
	local url
	url=$("$BERTH" dashboard 2>/dev/null)
	[ "$(curl -s -c "$T/jar" -o /dev/null -w '%{http_code}' "$url")" = 303 ]
	CSRF=$(curl -sf -b "$T/jar" "$DASH/api/session" | jq -er .csrf)
}

# act VERB [CURL ARGS...]: POST .../rollout/VERB from the page; prints
# the status code.
act() {
	local verb=$1
	shift
	curl -s -o "$T/act.json" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' "$@" \
		"$DASH/api/v1/deployments/echo/rollout/$verb"
}

canary_state() { # canary_state running|aborted: the deployment's run
	state ".deployments[0].canary | if .aborted then \"aborted\" else \"running\" end" |
		grep -qx "\"$1\""
}

@test "dashboard: numbers per revision, canary weights, promote/abort/retry with a session" {
	canary_ini >"$T/berth.ini"
	start_daemon
	dash_up
	wait_for 60 ready_pods 4
	# the whole page, well under 200 KB
	local bytes=0 f
	for f in / /app.js /app.css; do
		bytes=$((bytes + $(curl -sf -o /dev/null -w '%{size_download}' "$DASH$f")))
	done
	echo "page: $bytes bytes" >&2
	[ "$bytes" -gt 10000 ] && [ "$bytes" -lt 100000 ]
	curl -sN -m 100 "$DASH/events" >/dev/null &
	local reader=$!
	wrk -s "$WRK_STATUS" -t1 -c4 -d100s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	WRK=$!
	wait_for 10 load_connected "$PORT" 4
	"$BERTH" set image echo "$IMAGES/echo-0.2.0" >/dev/null
	# the canary takes its weight: both revisions answer
	wait_for 60 svc '.canary.proxy_weight == 25'
	wait_for 20 svc '[.revisions[] | select(.rps > 50)] | length == 2'
	svc '.' >"$T/svc.json"
	cat "$T/svc.json" >&2
	# per revision: the roles, numbers from the proxy, no error
	jq -e '.revisions["1"].role == "stable" and .revisions["2"].role == "canary"' "$T/svc.json"
	jq -e '[.revisions[] | select(.errors_ps == 0 and .error_rate == 0 and .p99_ms > 0)] | length == 2' "$T/svc.json"
	jq -e '.revisions["2"].pods == 1 and .revisions["2"].endpoints == 1' "$T/svc.json"
	# set, in the proxy, and actual (the share of requests over a second)
	jq -e '.canary.set_weight == 25 and .canary.deployment == "echo"' "$T/svc.json"
	wait_for 20 svc '.canary.actual_weight > 15 and .canary.actual_weight < 35'
	state '.deployments[0].canary | .step == 3 and .steps == 3 and .paused' >/dev/null

	# the actions: refused without the cookie or without the token
	sign_in
	[ "$(act abort -H "X-CSRF-Token: $CSRF")" = 403 ]
	[ "$(act abort -b "$T/jar")" = 403 ]
	[ "$(act abort -b "$T/jar" -H "X-CSRF-Token: 0$CSRF")" = 403 ]
	canary_state running
	[ "$(act abort -b "$T/jar" -H "X-CSRF-Token: $CSRF" -d '{}')" = 200 ]
	grep -q aborted "$T/act.json"
	wait_for 20 svc '.canary.proxy_weight == 0 and .canary.set_weight == 0'
	canary_state aborted
	# an aborted run cannot be promoted; it can be retried
	[ "$(act promote -b "$T/jar" -H "X-CSRF-Token: $CSRF" -d '{}')" = 409 ]
	[ "$(act retry -b "$T/jar" -H "X-CSRF-Token: $CSRF" -d '{}')" = 200 ]
	wait_for 60 svc '.canary.proxy_weight == 25'
	canary_state running
	[ "$(act promote -b "$T/jar" -H "X-CSRF-Token: $CSRF" -d '{"full": true}')" = 200 ]
	wait_for 90 bash -c "\"$BERTH\" rollout status echo | grep -q 'successfully rolled out'"
	wait_for 30 state '.deployments[0].canary == null'
	kill -INT "$WRK"
	wait "$WRK" || true
	WRK=
	wrk_check "$T/wrk.txt"
	kill "$reader" 2>/dev/null || true
}

@test "dashboard: the canary line and its buttons in a browser, by keyboard" {
	[ -x /usr/bin/chromium ] || skip "chromium is not installed (make deps installs it)"
	[ -d "$BROWSER_DIR/node_modules/puppeteer-core" ] ||
		(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund >/dev/null 2>&1) || true
	[ -d "$BROWSER_DIR/node_modules/puppeteer-core" ] ||
		skip "puppeteer-core could not be installed under tests/browser (npm install)"
	canary_ini >"$T/berth.ini"
	start_daemon
	dash_up
	wait_for 60 ready_pods 4
	wrk -s "$WRK_STATUS" -t1 -c2 -d100s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	WRK=$!
	wait_for 10 load_connected "$PORT" 2
	"$BERTH" set image echo "$IMAGES/echo-0.2.0" >/dev/null
	local shots=
	[ -z "${SHOTS:-}" ] || shots=$REPO/docs/img
	mkdir -p "$T/tmp"
	run env BERTH="$BERTH" DASH="$DASH" SHOTS="$shots" TMPDIR="$T/tmp" \
		timeout 200 node "$BROWSER_DIR/dashboard.test.js" canary
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" =~ "ok 1 - " ]]
	[[ ! "$output" =~ "not ok" ]]
	# chromium's profile folders are gone
	[ -z "$(find "$T/tmp" -maxdepth 1 -name 'berth-chromium-*')" ]
	kill -INT "$WRK"
	wait "$WRK" || true
	WRK=
	wrk_check "$T/wrk.txt"
}

# timeline_done REVISION: the dashboard lists a finished rollout to it.
timeline_done() {
	curl -sf "$DASH/api/timelines" |
		jq -e --argjson r "$1" '[.[] | select(.revision == $r and .done)] | length == 1'
}

@test "dashboard: a rollout's timeline outlives a kill -9 and a restart" {
	ROLLING=1 canary_ini >"$T/berth.ini"
	sed -i 's/^replicas = 4$/replicas = 2/' "$T/berth.ini"
	start_daemon
	dash_up
	wait_for 60 ready_pods 2
	wrk -s "$WRK_STATUS" -t1 -c2 -d100s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	WRK=$!
	wait_for 10 load_connected "$PORT" 2
	# The proxy has counted revision 1's requests: however fast the
	# rollout, the record starts from the sample taken before it.
	wait_for 20 svc '.revisions["1"].rps > 0'
	"$BERTH" set image echo "$IMAGES/echo-0.2.0" >/dev/null
	wait_for 90 timeline_done 2
	"$BERTH" rollout history echo --revision 2 --timeline "$T/before.svg"
	# drawn: ready pods, requests/s and errors/s per revision
	grep -q 'data-panel="rps"' "$T/before.svg"
	grep -q 'data-panel="errors"' "$T/before.svg"
	grep -q 'No errors seen by the proxy' "$T/before.svg"
	# on disk, one file, with requests/s of both revisions
	local f
	f=$(ls "$T"/state/timelines/echo-*.json)
	[ "$(echo "$f" | wc -l)" -eq 1 ]
	jq -e '.done and .revision == 2 and (.revisions | length) == 2' "$f"
	# a point is [t, then per revision ready, present, req/s, errors/s]
	local r
	for r in 1 2; do
		jq -e --argjson r $r '(.revisions | map(.revision) | index($r)) as $k |
			[.points[] | select(.[3 + 4 * $k] > 0)] | length > 0' "$f"
	done
	kill -INT "$WRK"
	wait "$WRK" || true
	WRK=
	wrk_check "$T/wrk.txt"

	kill -9 "$DAEMON_PID"
	start_daemon
	dash_up
	"$BERTH" rollout history echo --revision 2 --timeline "$T/after.svg"
	cmp "$T/before.svg" "$T/after.svg"
	timeline_done 2
	# the next rollout is recorded, from revision 2
	"$BERTH" set image echo "$IMAGES/echo-0.1.0" >/dev/null
	wait_for 90 timeline_done 3
	"$BERTH" rollout history echo --timeline "$T/next.svg"
	grep -q 'revision 2 &#8594; 3' "$T/next.svg"
	[ "$(ls "$T"/state/timelines/echo-*.json | wc -l)" -eq 2 ]
}
