#!/bin/bash
# bench/pod_start.sh - how long berth takes to start a pod, next to bare
# `runc run -d` of the same bundle, and the daemon's memory with 0 and with
# N pods. Run as root from the repository root after `make all images`.
#
#   bench/pod_start.sh [SEQUENTIAL_PODS [TOTAL_PODS]]    (defaults 15 50)
#
# Pod start latency is read from the daemon's own log (millisecond
# timestamps): from the event `SuccessfulCreate` (berth decided to create
# the pod) to the event `Started` (`runc run --detach` returned: the
# process runs). It covers the writable layer (overlay mount), the bundle
# and the runtime call. Pods are started one at a time (scale +1, wait until it runs)
# so each number is one pod alone; then the rest are started in one batch
# (scale to TOTAL) to show the throughput. Bare runc gets a copy of a pod's
# config.json pointing at a plain copy of the image (no overlay), one
# `runc run -d` at a time. Everything is removed at the end (berth down).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

SEQ=${1:-15}
TOTAL=${2:-50}
IMAGE=$REPO/build/images/echo-0.1.0
BARE_ROOT=

cleanup() {
	set +e
	if [ -n "$BARE_ROOT" ] && [ -d "$BARE_ROOT" ]; then
		for id in $(runc --root "$BARE_ROOT" list -q 2>/dev/null); do
			runc --root "$BARE_ROOT" delete -f "$id" >/dev/null 2>&1
			rmdir /sys/fs/cgroup/berth-bench/"$id" 2>/dev/null
		done
		rmdir /sys/fs/cgroup/berth-bench 2>/dev/null
	fi
	daemon_stop 120
	bench_remove
}
bench_traps cleanup

running() {
	"$BERTH" get pods -o json | jq '[.pods[] | select(.status == "Running")] | length'
}

wait_running() { # wait_running N TIMEOUT_S
	local deadline=$((SECONDS + $2))
	while [ "$(running)" -lt "$1" ]; do
		[ $SECONDS -lt "$deadline" ] || die "timed out waiting for $1 running pods"
		sleep 0.02
	done
}

minmax() { sort -n | awk 'NR==1{min=$1} {max=$1} END {print min" / "max}'; }

mem() { # mem LABEL: RSS and PSS of the daemon, and its children
	local rss pss kids
	rss=$(awk '/^VmRSS/ {print $2}' /proc/"$DAEMON_PID"/status)
	pss=$(awk '/^Pss:/ {print $2}' /proc/"$DAEMON_PID"/smaps_rollup)
	kids=$(ps --ppid "$DAEMON_PID" -o comm= | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}' || true)
	echo "$1: VmRSS ${rss} kB, PSS ${pss} kB, children: ${kids:-none}"
}

# ms since the epoch of a log timestamp 2026-01-02T03:04:05.678Z
log_ms() { date -d "$1" +%s%3N; }

need_root
need_tools runc jq bc
need_berth
need_image "$IMAGE"

bench_tmpdir berth-bench
BARE_ROOT=$T/bare-runc
{
	berth_section
	cat <<INI

[deployment bench]
image = $IMAGE
command = /bin/echo-version
args = --listen :8080
replicas = 0
terminationGracePeriodSeconds = 5
INI
} >"$T/berth.ini"

machine_line
echo "# berth: $BERTH"
daemon_start
daemon_wait_socket 10 || die "daemon did not start"
sleep 1
mem "daemon, 0 pods"

# --- berth, one pod at a time --------------------------------------------
for i in $(seq "$SEQ"); do
	"$BERTH" scale bench --replicas "$i" >/dev/null
	wait_running "$i" 30
done
lat=$T/berth.ms
own=$T/own.ms
: >"$lat"
: >"$own"
grep 'SuccessfulCreate: Created pod: ' "$T/daemon.log" | awk '{print $1, $NF}' | while read -r ts pod; do
	st=$(grep -m1 "pod/$pod Started:" "$T/daemon.log" | cut -d' ' -f1)
	cr=$(grep -m1 "pod/$pod Created:" "$T/daemon.log" | cut -d' ' -f1)
	[ -n "$st" ] || continue
	echo $(($(log_ms "$st") - $(log_ms "$ts"))) >>"$lat"
	# berth's own part: decision -> just before the runtime is spawned
	[ -n "$cr" ] && echo $(($(log_ms "$cr") - $(log_ms "$ts"))) >>"$own"
done
[ "$(wc -l <"$lat")" -eq "$SEQ" ] || die "expected $SEQ start latencies"
echo "berth pod start, one at a time (SuccessfulCreate -> Started, n=$SEQ): median $(median <"$lat") ms, min/max $(minmax <"$lat") ms"
echo "  of which berth's own work (SuccessfulCreate -> Created, before the runtime call): median $(median <"$own") ms"

# --- berth, a batch --------------------------------------------------------
t0=$(date +%s%3N)
"$BERTH" scale bench --replicas "$TOTAL" >/dev/null
wait_running "$TOTAL" 300
t1=$(date +%s%3N)
batch=$((TOTAL - SEQ))
echo "berth batch: $SEQ -> $TOTAL running pods in $((t1 - t0)) ms (scale to Running seen by polling): $(echo "scale=1; ($t1 - $t0) / $batch" | bc) ms per pod"
sleep 2
mem "daemon, $TOTAL pods"
echo "processes with the daemon as parent: $( (ps --ppid "$DAEMON_PID" -o pid= || true) | wc -l) (the containers' own init processes, adopted as subreaper; no shim or monitor per pod)"

# --- bare runc, same bundle ------------------------------------------------
pod=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
cp -a "$IMAGE" "$T/rootfs"
mkdir -p "$BARE_ROOT"
bare=$T/bare.ms
: >"$bare"
for i in $(seq "$SEQ"); do
	b=$T/bundle-$i
	mkdir -p "$b"
	jq --arg r "$T/rootfs" --arg c "/berth-bench/bare-$i" --arg h "bare-$i" \
		'.root.path = $r | .linux.cgroupsPath = $c | .hostname = $h' \
		"$T/run/pods/$pod/bundle/config.json" >"$b/config.json"
	t0=$(date +%s%N)
	runc --root "$BARE_ROOT" run -d --bundle "$b" "bare-$i" </dev/null >/dev/null 2>"$b/err" ||
		die "runc run failed: $(cat "$b/err")"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >>"$bare"
done
echo "bare runc run -d, same config.json, copied rootfs (n=$SEQ): median $(median <"$bare") ms, min/max $(minmax <"$bare") ms"
for i in $(seq "$SEQ"); do
	runc --root "$BARE_ROOT" delete -f "bare-$i" >/dev/null 2>&1 || true
done

# --- down ------------------------------------------------------------------
t0=$(date +%s%3N)
timeout 120 "$BERTH" down >/dev/null
t1=$(date +%s%3N)
echo "berth down with $TOTAL pods: $((t1 - t0)) ms"
