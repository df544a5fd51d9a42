#!/bin/bash
# bench/dashboard_sse.sh - does watching the dashboard cost the proxy
# anything? Run as root from the repository root after `make all images`:
#
#   bench/dashboard_sse.sh [ROUNDS [SECONDS]]     (defaults 3 8)
#
# Two pods of echo 0.1.0 behind an http service (127.0.0.1:19550), the
# dashboard on 127.0.0.1:19551. Each round runs `wrk -t2 -c32
# -d${SECONDS}s --latency` twice, in turn: "idle", with no dashboard
# client, and "watched", with 20 SSE clients reading /events (curl -N)
# plus one client that sends the request and never reads (a 4 KiB
# receive buffer). In both, `rollout pause`/`resume` alternate every
# 0.5 s so the dashboard has frames to push. Prints the median over the
# rounds of req/s and p99, and the daemon's main thread CPU (the
# dashboard's thread; the proxy has its own) per second of run.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-3}
DURATION=${2:-8}
IMAGE=$REPO/build/images/echo-0.1.0
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	daemon_stop 30
	bench_remove
}

need_root
need_tools wrk curl jq python3 ss
need_berth
need_image "$IMAGE"
need_free_port 19550
need_free_port 19551
bench_traps cleanup
bench_tmpdir berth-bench-dash
{
	berth_section
	cat <<INI
kubernetesAPI = off
dashboard = 127.0.0.1:19551

[deployment echo]
image = $IMAGE
command = /bin/echo-version
args = --listen :8080
replicas = 2
labels = app=echo
port = 8080
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1

[service web]
listen = 127.0.0.1:19550
selector = app=echo
targetPort = 8080
mode = http
INI
} >"$T/berth.ini"
daemon_start
daemon_wait_socket 20 || die "the daemon did not start (see $T/daemon.log)"
two_ready() { [ "$(ready_count)" -eq 2 ]; }
wait_for 60 two_ready || die "pods not ready"

toggler() {
	while :; do
		"$BERTH" rollout pause echo >/dev/null 2>&1 || true
		sleep 0.5
		"$BERTH" rollout resume echo >/dev/null 2>&1 || true
		sleep 0.5
	done
}

# run_wrk NAME: one wrk run; prints "REQ_PER_S P99_MS CPU_MS_PER_S".
run_wrk() {
	local before after
	before=$(task_ticks "$DAEMON_PID" "$DAEMON_PID")
	wrk -s "$WRK_STATUS" -t2 -c32 -d"${DURATION}s" --latency \
		http://127.0.0.1:19550/ >"$T/wrk-$1.txt" 2>&1
	after=$(task_ticks "$DAEMON_PID" "$DAEMON_PID")
	wrk_check "$T/wrk-$1.txt" || die "wrk saw failures: $T/wrk-$1.txt"
	awk -v cpu=$(((after - before) * 1000 / HZ)) -v d="$DURATION" '
		/^Requests\/sec:/ { rps = $2 }
		$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			p99 = u == "us" ? v / 1000 : u == "s" ? v * 1000 : v }
		END { printf "%.0f %.2f %.1f\n", rps, p99, cpu / d }' "$T/wrk-$1.txt"
}

clients_connected() {
	[ "$(ss -Htn state established '( sport = :19551 )' | wc -l)" -ge 21 ]
}

watchers_start() {
	local i
	for i in $(seq 20); do
		curl -sN http://127.0.0.1:19551/events >/dev/null 2>&1 &
		PIDS+=($!)
	done
	python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", 19551))
s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1:19551\r\n\r\n")
time.sleep(3600)' &
	PIDS+=($!)
	wait_for 10 clients_connected || die "the dashboard clients did not connect"
}

watchers_stop() {
	local p
	for p in "${PIDS[@]:1}"; do stop_pid "$p"; done
	PIDS=("${PIDS[0]}")
}

machine_line
toggler &
PIDS=($!)
: >"$T/idle"
: >"$T/watched"
for r in $(seq "$ROUNDS"); do
	run_wrk "idle-$r" >>"$T/idle"
	watchers_start
	run_wrk "watched-$r" >>"$T/watched"
	watchers_stop
	echo "round $r: idle $(tail -n1 "$T/idle"), watched $(tail -n1 "$T/watched")" >&2
done
printf '%-8s %10s %10s %16s\n' case req/s p99_ms daemon_cpu_ms/s
for c in idle watched; do
	printf '%-8s %10s %10s %16s\n' "$c" \
		"$(cut -d' ' -f1 "$T/$c" | median)" \
		"$(cut -d' ' -f2 "$T/$c" | median)" \
		"$(cut -d' ' -f3 "$T/$c" | median)"
done
