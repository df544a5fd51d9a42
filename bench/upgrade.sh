#!/bin/bash
# bench/upgrade.sh - what `berth upgrade` costs under load: with 10 ready
# echo pods behind one http service and wrk (2 threads, 16 keep-alive
# connections, 8 s, --latency), each run either upgrades 3 s in
# (`berth upgrade --binary $BERTH`, the same build: a new process all the
# same) or does nothing (the baseline). Meanwhile a probe asks the control
# socket for the pod list back to back (curl); the longest answer (as curl
# times it, its own process start left out) is the control API's gap. Run
# as root from the repository root after `make all images`.
#
#   bench/upgrade.sh [RUNS]        (default 3 per mode)
#
# Prints per run: mode, requests, failed (socket errors + non-2xx), the
# proxy's p50/p99/max latency as wrk measured it, the longest control
# API answer in ms and, for an upgrade, the wall time of `berth upgrade`.
# BERTH=PATH measures another build. Everything runs on 127.0.0.1:20290;
# the daemons (and the reaper an upgrade leaves), pods and mounts are
# removed at the end, also on failure or ^C.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

RUNS=${1:-3}
PORT=20290
PODS=10
PROBE_PID=
OLD_PIDS=

cleanup() {
	set +e
	[ -z "$PROBE_PID" ] || kill "$PROBE_PID" 2>/dev/null
	PROBE_PID=
	# shellcheck disable=SC2086 # a list of pids
	echo_bench_cleanup $OLD_PIDS
	OLD_PIDS=
	set -e
}
bench_traps cleanup

echo_bench_needs "$PORT" curl

# probe: the seconds each control API request took, back to back, as
# curl times it (connect to last byte; curl's own start, which dominates
# on a loaded host, left out). A failed request counts as long as it took.
probe() {
	local t
	while :; do
		t=$(curl -s -m 10 --unix-socket "$BERTH_SOCKET" -o /dev/null \
			-w '%{time_total}' http://localhost/v1/pods) || true
		[ -z "$t" ] || echo "$t"
	done
}

# lat FILE PCT: wrk --latency's percentile line ("99%  12.3ms") in ms.
lat() {
	awk -v p="$2" '$1 == p {
		v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000
		printf "%.2f", v }' "$1"
}
lat_max() {
	awk '$1 == "Latency" && $2 != "Distribution" {
		v = $4; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000
		printf "%.2f", v }' "$1"
}

bench_run() { # bench_run MODE RUN
	local mode=$1 run=$2 req failed up_ms=- t0 t1 out new
	wrk_background "$T/wrk.txt" --latency -s "$WRK_STATUS" -t2 -c16 -d8s \
		--timeout 10s "http://127.0.0.1:$PORT/"
	probe >"$T/probe.txt" 2>/dev/null &
	PROBE_PID=$!
	sleep 3
	if [ "$mode" = upgrade ]; then
		t0=$(date +%s%N)
		out=$("$BERTH" upgrade --binary "$BERTH") || die "upgrade: $out"
		t1=$(date +%s%N)
		up_ms=$(((t1 - t0) / 1000000))
		new=$(grep -o 'pid [0-9]* serves' <<<"$out" | grep -o '[0-9]*')
		OLD_PIDS="$OLD_PIDS $DAEMON_PID"
		DAEMON_PID=$new
	fi
	wrk_wait
	kill "$PROBE_PID" 2>/dev/null || true
	wait "$PROBE_PID" 2>/dev/null || true
	PROBE_PID=
	read -r req failed < <(wrk_summary "$T/wrk.txt")
	printf '%-8s %3d %9d %6d %8s %8s %8s %8s %8s\n' "$mode" "$run" \
		"$req" "$failed" "$(lat "$T/wrk.txt" 50%)" \
		"$(lat "$T/wrk.txt" 99%)" "$(lat_max "$T/wrk.txt")" \
		"$(awk '$1 > m {m = $1} END {printf "%.0f", m * 1000}' "$T/probe.txt")" \
		"$up_ms"
}

machine_line
echo "# berth: $BERTH"
printf '%-8s %3s %9s %6s %8s %8s %8s %8s %8s\n' mode run requests failed \
	p50_ms p99_ms max_ms ctl_max upgr_ms
bench_tmpdir berth-bench-upgrade
echo_service_config "$PODS" "$PORT"
daemon_start
daemon_wait_socket 30 || die "daemon did not answer"
wait_ready_pods "$PODS"
for run in $(seq "$RUNS"); do
	bench_run none "$run"
	bench_run upgrade "$run"
	wait_ready_pods "$PODS"
done
