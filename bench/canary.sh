#!/bin/bash
# bench/canary.sh - what canary routing costs the proxy. Run as root from
# the repository root after `make all images`:
#
#   bench/canary.sh [ROUNDS [SECONDS]]        (defaults 3 5)
#
# One Canary deployment of echo-version (build/images/echo-0.1.0, then
# echo-0.2.0) behind an http service on 127.0.0.1:18260, with
# the steps `setCanaryScale replicas 2, setWeight 50, pause,
# setHeaderRoute X-Canary exact yes, pause`. Three phases, measured with
# `wrk -t2 -c64 -d${SECONDS}s` (keep-alive) in ROUNDS rounds each:
#
#   plain   4 pods of the first revision, no routing policy
#   split   scaled to 2, then `set image`: 2 stable + 2 canary pods, so 4
#           pods again, weight 50 (every request
#           draws its side, then round-robin inside it)
#   header  after `rollout promote`: a header route and weight 50; every
#           request carries the matching header (matched on each request)
#
# The table reports the median req/s and the proxy thread's CPU per
# request (utime+stime read from /proc around each wrk run over wrk's
# request count), and the split's and header's cost relative to plain.
# Nothing is pinned. berth is brought down and every container, mount and
# file removed.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-3}
DURATION=${2:-5}
PORT=18260
PROXY_TID=

cleanup() {
	set +e
	daemon_stop 60
	bench_remove
}
bench_traps cleanup

need_root
need_tools wrk jq curl runc
need_berth
need_image "$REPO/build/images/echo-0.1.0"
need_image "$REPO/build/images/echo-0.2.0"
need_free_port "$PORT"
bench_tmpdir berth-bench-canary

{
	berth_section
	cat <<INI

[deployment echo]
image = $REPO/build/images/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
replicas = 4
labels = app=echo
port = 8080
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
terminationGracePeriodSeconds = 5
strategy.type = Canary
strategy.canary.steps = setCanaryScale replicas 2, setWeight 50, pause
strategy.canary.steps = setHeaderRoute X-Canary exact yes, pause

[service web]
listen = 127.0.0.1:$PORT
selector = app=echo
targetPort = 8080
mode = http
INI
} >"$T/berth.ini"

endpoints() {
	"$BERTH" get services -o json | jq '[.services[].endpoints[]] | length'
}
has_endpoints() { [ "$(endpoints)" -eq "$1" ]; }
event_with() {
	"$BERTH" events -o json |
		jq -e --arg t "$1" '[.events[] | select(.message | contains($t))] | length > 0' >/dev/null
}

daemon_start
wait_for 90 has_endpoints 4 || die "the pods did not become ready"
curl -sf "http://127.0.0.1:$PORT/" >/dev/null
wrk -t1 -c4 -d1s "http://127.0.0.1:$PORT/" >/dev/null
PROXY_TID=$(proxy_tid "$DAEMON_PID") || die "no proxy thread in the daemon"

declare -A RPS CPU

# run PHASE [WRK ARGS]: ROUNDS wrk runs; medians into RPS[PHASE], CPU[PHASE]
run_phase() {
	local phase=$1 i before after req rps
	shift
	local rates=() cpus=()
	for i in $(seq "$ROUNDS"); do
		before=$(task_ticks "$DAEMON_PID" "$PROXY_TID")
		wrk -s "$WRK_STATUS" -t2 -c64 -d"${DURATION}s" "$@" \
			"http://127.0.0.1:$PORT/" >"$T/wrk-$phase-$i.txt" 2>&1
		after=$(task_ticks "$DAEMON_PID" "$PROXY_TID")
		wrk_check "$T/wrk-$phase-$i.txt" || die "$phase: failed requests"
		req=$(wrk_summary "$T/wrk-$phase-$i.txt" | cut -d' ' -f1)
		rps=$(awk '/^Requests\/sec:/ {print $2}' "$T/wrk-$phase-$i.txt")
		rates+=("$rps")
		cpus+=("$(awk -v t=$((after - before)) -v r="$req" -v hz="$HZ" \
			'BEGIN { printf "%.3f", 1e6 * t / hz / r }')")
	done
	RPS[$phase]=$(printf '%s\n' "${rates[@]}" | median)
	CPU[$phase]=$(printf '%s\n' "${cpus[@]}" | median)
}

run_phase plain
"$BERTH" scale deployment/echo --replicas 2 >/dev/null
wait_for 30 has_endpoints 2 || die "2 endpoints expected after scaling"
"$BERTH" set image echo "$REPO/build/images/echo-0.2.0" >/dev/null
wait_for 120 event_with "Step 3/5 pause: paused" || die "the canary did not reach weight 50"
wait_for 30 has_endpoints 4 || die "4 endpoints expected"
run_phase split
"$BERTH" rollout promote echo >/dev/null
wait_for 30 event_with "Step 5/5 pause: paused" || die "the header route was not set"
run_phase header -H "X-Canary: yes"

machine_line
echo "rounds $ROUNDS x ${DURATION}s, wrk -t2 -c64, proxy thread CPU per request"
printf '%-8s %12s %14s %10s\n' phase req/s "us CPU/req" "vs plain"
for p in plain split header; do
	printf '%-8s %12.0f %14s %9.1f%%\n' "$p" "${RPS[$p]}" "${CPU[$p]}" \
		"$(awk -v a="${CPU[$p]}" -v b="${CPU[plain]}" 'BEGIN { print 100 * (a - b) / b }')"
done
