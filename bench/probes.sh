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

PODS=${1:-200}
EXEC_PODS=${2:-20}
DURATION=${3:-30}
REPO=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$REPO/build/berth}
IMAGE=$REPO/build/images/echo-0.1.0
HZ=$(getconf CLK_TCK)
T=
DAEMON_PID=

stop_daemon() {
	set +e
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		local t0=$SECONDS
		timeout 60 "$BERTH" down >/dev/null 2>&1
		for _ in $(seq 100); do
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$DAEMON_PID" 2>/dev/null; then
			echo "# daemon still up $((SECONDS - t0))s after down: killed" >&2
			tail -n 5 "$T/daemon.log" >&2
			timeout 5 "$BERTH" get pods -o json 2>&1 |
				jq -c '[.pods[] | {name, status, ready, pid}]' >&2
			echo "# Deleted events: $(grep -c ' Deleted: ' "$T/daemon.log")," \
				"SuccessfulCreate: $(grep -c ' SuccessfulCreate: ' "$T/daemon.log")" >&2
			grep -v ' Deleted: \| StopSignal: \| Killing: \| SuccessfulCreate: \| Created: \| Started: ' "$T/daemon.log" | tail -n 20 >&2
			kill -9 "$DAEMON_PID"
		fi
		wait "$DAEMON_PID" 2>/dev/null
		echo "# down took $((SECONDS - t0))s" >&2
	fi
	DAEMON_PID=
	if [ -n "$T" ]; then
		if [ -d "$T/run/runc" ]; then
			for id in $(runc --root "$T/run/runc" list -q 2>/dev/null); do
				runc --root "$T/run/runc" delete -f "$id" >/dev/null 2>&1
			done
		fi
		grep " $T/" /proc/self/mounts | awk '{print $2}' | sort -r |
			while read -r m; do umount -l "$m"; done
		rm -rf "$T"
	fi
	T=
	set -e
}
trap stop_daemon EXIT

die() {
	echo "probes.sh: $*" >&2
	exit 1
}

ready_count() {
	"$BERTH" get pods -o json | jq '[.pods[] | select(.status == "Running" and .ready)] | length'
}

# stat_field N: field N of /proc/PID/stat (after the comm in parentheses).
stat_ticks() {
	sed 's/.*) //' /proc/"$DAEMON_PID"/stat | awk '{print $12 + $13, $14 + $15}'
}

run_one() { # run_one NAME PODS PROBE_KEYS...
	local name=$1 pods=$2
	shift 2
	T=$(mktemp -d /tmp/berth-bench.XXXXXX)
	export BERTH_SOCKET=$T/run/berth.sock
	{
		cat <<INI
[berth]
state_dir = $T/state
run_dir = $T/run
admin = off

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
	"$BERTH" up -c "$T/berth.ini" >"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	local deadline=$((SECONDS + 180))
	until [ -S "$BERTH_SOCKET" ] && [ "$(ready_count)" -ge "$pods" ]; do
		[ $SECONDS -lt $deadline ] || die "$name: $pods pods not ready in time"
		sleep 0.5
	done
	sleep 5
	local a b t0 t1 own kids
	read -r a b < <(stat_ticks)
	t0=$(date +%s%N)
	sleep "$DURATION"
	read -r own kids < <(stat_ticks)
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

[ "$(id -u)" -eq 0 ] || die "needs root (runc)"
[ -x "$BERTH" ] || die "no $BERTH: run make"
[ -d "$IMAGE" ] || die "no $IMAGE: run make images"

echo "# machine: $(nproc) CPUs, $(uname -srm), $(runc --version | head -n 1)"
echo "# berth: $BERTH; readiness probe every 1 s; sampled over ${DURATION}s"
run_one httpGet "$PODS" "readinessProbe.httpGet.path = /ok" "readinessProbe.httpGet.port = 8080"
run_one tcpSocket "$PODS" "readinessProbe.tcpSocket.port = 8080"
run_one exec "$EXEC_PODS" "readinessProbe.exec.command = test -f /tmp/ok"
