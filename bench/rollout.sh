#!/bin/bash
# bench/rollout.sh - wall time of a 4-replica RollingUpdate (echo 0.1.0 ->
# 0.2.0 by `berth set image`) next to the lower bound its probe settings
# allow, and the requests that failed during it under wrk (2 threads, 32
# keep-alive connections through an http service). Run as root from the
# repository root after `make all images`.
#
#   bench/rollout.sh [RUNS]        (default 3 per strategy)
#
# For each strategy (maxSurge/maxUnavailable 1/0 and 1/1) it starts a fresh
# daemon, waits for 4 ready pods, and measures:
#   wave  - one pod from "scale +1" to ready (start + first readiness
#           success), the unit a rolling update cannot beat; median of 5,
#           timed with no load on the machine
#   waves - how many such steps the strategy needs in sequence:
#           ceil(replicas / (maxSurge + maxUnavailable))
#   bound - waves x wave
#   wall  - from `set image` to the state `rollout status` waits for
#           (every replica updated and available, no old pod left but
#           those terminating), polled every 20 ms
# Rollouts (back and forth, RUNS times) run under wrk, whose errors and
# non-2xx answers are summed.
# Everything runs on 127.0.0.1:18390; the daemon, its pods and every mount
# are removed at the end, also on failure or ^C.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

RUNS=${1:-3}
IMAGES=$REPO/build/images
PORT=18390
WRK_PID=

stop_daemon() {
	set +e
	[ -z "$WRK_PID" ] || kill "$WRK_PID" 2>/dev/null
	WRK_PID=
	daemon_stop 120
	bench_remove
	set -e
}
bench_traps stop_daemon

ms() { echo $(($(date +%s%N) / 1000000)); }

pod_count() { "$BERTH" get pods -o json | jq '.pods | length'; }

# until_ready N SECONDS: N pods ready and no other pod listed.
until_ready() {
	local deadline=$((SECONDS + $2))
	until [ "$(ready_count)" -eq "$1" ] && [ "$(pod_count)" -eq "$1" ]; do
		[ $SECONDS -lt $deadline ] || die "$1 ready pods not reached in $2 s"
		sleep 0.05
	done
}

start_daemon() { # start_daemon SURGE UNAVAILABLE
	bench_tmpdir berth-bench
	{
		berth_section
		cat <<INI

[deployment echo]
image = $IMAGES/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
replicas = 4
labels = app=echo
port = 8080
terminationGracePeriodSeconds = 10
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
strategy.rollingUpdate.maxSurge = $1
strategy.rollingUpdate.maxUnavailable = $2

[service web]
listen = 127.0.0.1:$PORT
selector = app=echo
targetPort = 8080
mode = http
INI
	} >"$T/berth.ini"
	daemon_start
	daemon_wait_socket 30 || die "daemon did not answer"
	until_ready 4 90
}

# rolled IMAGE: the rollout to IMAGE is complete, as `rollout status`
# counts it (terminating pods aside).
rolled() {
	[ "$("$BERTH" get pods -o json | jq --arg i "$IMAGES/$1" '[.pods[] |
	  select(.status != "Terminating") |
	  select(.image == $i and .ready and .status == "Running")] | length')" \
		-eq 4 ] &&
		[ "$("$BERTH" get pods -o json | jq '[.pods[] |
		  select(.status != "Terminating")] | length')" -eq 4 ]
}

start_load() {
	wrk -s "$WRK_STATUS" -t2 -c32 -d300s "http://127.0.0.1:$PORT/" >"$T/wrk.txt" 2>&1 &
	WRK_PID=$!
	sleep 1
}

# stop_load: adds wrk's requests and failures to REQ and FAILED.
stop_load() {
	local r f
	kill -INT "$WRK_PID"
	wait "$WRK_PID" || true
	WRK_PID=
	read -r r f < <(wrk_summary "$T/wrk.txt")
	REQ=$((REQ + r))
	FAILED=$((FAILED + f))
}

# one_wave: ms from `scale --replicas 5` to 5 ready pods.
one_wave() {
	local t0 t1
	t0=$(ms)
	"$BERTH" scale echo --replicas 5 >/dev/null
	until [ "$(ready_count)" -eq 5 ]; do sleep 0.02; done
	t1=$(ms)
	"$BERTH" scale echo --replicas 4 >/dev/null
	until_ready 4 60
	echo $((t1 - t0))
}

# median_low: the middle number on stdin, the lower of the two for an even count
median_low() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }

bench_one() { # bench_one SURGE UNAVAILABLE
	local surge=$1 unav=$2 waves wave bound i img t0 t1 walls=() deadline
	REQ=0
	FAILED=0
	start_daemon "$surge" "$unav"
	waves=$(((4 + surge + unav - 1) / (surge + unav)))
	# the wave is timed on an idle machine: the floor, not a load figure
	wave=$(for _ in 1 2 3 4 5; do one_wave; done | median_low)
	bound=$((waves * wave))
	for i in $(seq "$RUNS"); do
		if [ $((i % 2)) -eq 1 ]; then img=echo-0.2.0; else img=echo-0.1.0; fi
		start_load
		t0=$(ms)
		"$BERTH" set image echo "$IMAGES/$img" >/dev/null
		deadline=$((SECONDS + 120))
		until rolled "$img"; do
			[ $SECONDS -lt $deadline ] || die "rollout $i did not finish"
			sleep 0.02
		done
		t1=$(ms)
		walls+=($((t1 - t0)))
		timeout 60 "$BERTH" rollout status echo >/dev/null ||
			die "rollout status $i did not say done"
		sleep 1
		stop_load
		until_ready 4 60
	done
	local wall
	wall=$(printf '%s\n' "${walls[@]}" | median_low)
	printf '| %s / %s | %d | %d ms | %d ms | %d ms (%s) | %s | %d | %d |\n' \
		"$surge" "$unav" "$waves" "$wave" "$bound" "$wall" \
		"$(IFS=,; echo "${walls[*]}")" \
		"$(echo "scale=2; $wall / $bound" | bc | sed "s/^\./0./")" "$REQ" "$FAILED"
	stop_daemon
}

need_root
need_tools wrk runc jq bc
need_berth
need_image "$IMAGES/echo-0.1.0"
need_image "$IMAGES/echo-0.2.0"
need_free_port "$PORT"

machine_line
echo "# berth: $BERTH; 4 replicas, readiness httpGet every 1 s, no initial delay; $RUNS rollouts each under wrk -t2 -c32"
echo
echo '| maxSurge / maxUnavailable | waves | one wave | bound | wall, median (each) | wall / bound | requests | failed |'
echo '|---|---|---|---|---|---|---|---|'
bench_one 1 0
bench_one 1 1
