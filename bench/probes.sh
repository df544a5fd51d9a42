#!/bin/bash
# bench/probes.sh - the daemon's CPU and memory while it probes many busybox
# pods every second, one run per handler (httpGet, tcpSocket, exec). Run as
# root from the repository root after `make all images`.
#
#   bench/probes.sh [PODS [EXEC_PODS [SECONDS]]]     (defaults 200 20 30)
#
# Each run starts a fresh daemon with PODS pods (EXEC_PODS for exec: every
# exec probe is one `runc exec`, a few tens of ms of CPU each, so 200 a
# second cannot fit on a small machine) running busybox `httpd -f -p 8080`,
# each with a readiness probe of the handler under test, periodSeconds 1.
# Once every pod is ready it waits 5 s, then samples /proc/PID/stat over
# SECONDS: utime+stime is the daemon's own CPU; cutime+cstime is what its
# reaped children (runc exec for exec probes) used. Percentages are of one
# core. At the end every pod must still be ready with no restart (no probe
# was starved by another). Everything is removed after each run.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

PODS=${1:-200}
EXEC_PODS=${2:-20}
DURATION=${3:-30}
IMAGE=$REPO/build/images/echo-0.1.0

stop_daemon() {
	set +e
	if daemon_alive; then
		local t0=$SECONDS
		if ! daemon_down 60; then
			echo "# daemon still up $((SECONDS - t0))s after down: killed" >&2
			tail -n 5 "$T/daemon.log" >&2
			timeout 5 "$BERTH" get pods -o json 2>&1 |
				jq -c '[.pods[] | {name, status, ready, pid}]' >&2
			echo "# Deleted events: $(grep -c ' Deleted: ' "$T/daemon.log")," \
				"SuccessfulCreate: $(grep -c ' SuccessfulCreate: ' "$T/daemon.log")" >&2
			grep -v ' Deleted: \| StopSignal: \| Killing: \| SuccessfulCreate: \| Created: \| Started: ' "$T/daemon.log" | tail -n 20 >&2
		fi
		daemon_kill
		echo "# down took $((SECONDS - t0))s" >&2
	fi
	DAEMON_PID=
	bench_remove
	set -e
}
bench_traps stop_daemon

run_one() { # run_one NAME PODS PROBE_KEYS...
	local name=$1 pods=$2
	shift 2
	bench_tmpdir berth-bench
	{
		berth_section
		cat <<INI

[deployment bb]
image = $IMAGE
command = /bin/sh -c "echo ok >/tmp/ok; exec httpd -f -p 8080 -h /tmp"
replicas = $pods
port = 8080
terminationGracePeriodSeconds = 5
readinessProbe.periodSeconds = 1
INI
		for kv in "$@"; do echo "$kv"; done
	} >"$T/berth.ini"
	daemon_start
	local deadline=$((SECONDS + 180))
	until [ -S "$BERTH_SOCKET" ] && [ "$(ready_count)" -ge "$pods" ]; do
		[ $SECONDS -lt $deadline ] || die "$name: $pods pods not ready in time"
		sleep 0.5
	done
	sleep 5
	local a b t0 t1 own kids
	read -r a b < <(stat_ticks /proc/"$DAEMON_PID"/stat)
	t0=$(date +%s%N)
	sleep "$DURATION"
	read -r own kids < <(stat_ticks /proc/"$DAEMON_PID"/stat)
	t1=$(date +%s%N)
	own=$((own - a))
	kids=$((kids - b))
	local secs rss pss ready restarts
	secs=$(echo "scale=3; ($t1 - $t0) / 1000000000" | bc)
	rss=$(awk '/^VmRSS/ {print $2}' /proc/"$DAEMON_PID"/status)
	pss=$(awk '/^Pss:/ {print $2}' /proc/"$DAEMON_PID"/smaps_rollup)
	ready=$(ready_count)
	restarts=$("$BERTH" get pods -o json | jq '[.pods[].restarts] | add')
	printf '%-9s pods=%-3s daemon CPU %5.2f%% of one core, children (runc exec) %6.2f%%, VmRSS %s kB, PSS %s kB, ready after %ss: %s/%s, restarts %s\n' \
		"$name" "$pods" "$(echo "scale=4; $own * 100 / $HZ / $secs" | bc)" \
		"$(echo "scale=4; $kids * 100 / $HZ / $secs" | bc)" "$rss" "$pss" \
		"$DURATION" "$ready" "$pods" "$restarts"
	stop_daemon
}

need_root
need_tools runc jq bc
need_berth
need_image "$IMAGE"

machine_line
echo "# berth: $BERTH; readiness probe every 1 s; sampled over ${DURATION}s"
run_one httpGet "$PODS" "readinessProbe.httpGet.path = /ok" "readinessProbe.httpGet.port = 8080"
run_one tcpSocket "$PODS" "readinessProbe.tcpSocket.port = 8080"
run_one exec "$EXEC_PODS" "readinessProbe.exec.command = test -f /tmp/ok"
