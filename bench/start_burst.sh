#!/bin/bash
# bench/start_burst.sh - how the control API answers while a burst of pods
# starts: an echo deployment is scaled from 0 to N replicas (default 100)
# while `GET /v1/pods` is asked on the control socket every 20 ms; prints
# the number of answers, their median, p99 and maximum, and the time until
# all N pods ran; then what the loop thread did meanwhile: the time it
# waited for a CPU (its schedstat run delay) and the iterations that ran
# callbacks for more than 50 ms (BERTH_LOOP_STALL_MS, from the daemon's
# log; STALL_MS=N picks another threshold). Run as root from the repository root after
# `make all images`. Everything is removed at the end (berth down).
#
#   bench/start_burst.sh [N]
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

N=${1:-100}
IMAGE=$REPO/build/images/echo-0.1.0
PROBER=

cleanup() {
	set +e
	[ -z "$PROBER" ] || kill "$PROBER" 2>/dev/null
	daemon_stop 180
	bench_remove
}
bench_traps cleanup

need_root
need_tools runc jq curl
need_berth
need_image "$IMAGE"

bench_tmpdir berth-burst
{
	berth_section
	cat <<INI

[deployment burst]
image = $IMAGE
command = /bin/echo-version
args = --listen :8080
replicas = 0
INI
} >"$T/berth.ini"

daemon_start BERTH_LOOP_STALL_MS="${STALL_MS:-50}"
daemon_wait_socket 30 || die "the daemon did not answer"
: >"$T/latency"
(
	while :; do
		curl -s -o /dev/null -m 10 -w '%{time_total}\n' \
			--unix-socket "$BERTH_SOCKET" http://localhost/v1/pods \
			>>"$T/latency" 2>/dev/null || echo 10 >>"$T/latency"
		sleep 0.02
	done
) &
PROBER=$!
sleep 1
# schedstat: time on a CPU, time waiting for one (ns), timeslices
read -r _ wait0 _ </proc/"$DAEMON_PID"/task/"$DAEMON_PID"/schedstat
stalls0=$(grep -c 'loop: an iteration' "$T/daemon.log" || true)
start=$(date +%s%3N)
"$BERTH" scale deployment/burst --replicas "$N" >/dev/null
running() {
	[ "$("$BERTH" get pods -o json | jq '[.pods[] | select(.status == "Running")] | length')" -ge "$N" ]
}
wait_for 600 running || die "timed out waiting for $N running pods"
end=$(date +%s%3N)
read -r _ wait1 _ </proc/"$DAEMON_PID"/task/"$DAEMON_PID"/schedstat
kill "$PROBER"
wait "$PROBER" 2>/dev/null || true
PROBER=
machine_line
sort -g "$T/latency" | awk -v n="$N" -v ms="$((end - start))" '
	{ v[NR] = $1 }
	END {
		p50 = v[int(NR * 0.5 + 0.999)]; p99 = v[int(NR * 0.99 + 0.999)]
		printf "0 -> %d pods: all running after %.1f s; GET /v1/pods meanwhile: %d answers, median %.1f ms, p99 %.1f ms, max %.1f ms\n",
			n, ms / 1000, NR, p50 * 1000, p99 * 1000, v[NR] * 1000
	}'
echo "loop thread meanwhile: waited $(((wait1 - wait0) / 1000000)) ms for a CPU; iterations with callbacks over ${STALL_MS:-50} ms:"
grep 'loop: an iteration' "$T/daemon.log" | tail -n +"$((stalls0 + 1))" | sed 's/^/  /' || true
