#!/bin/bash
# bench/pod_start.sh - how long berth takes to start a pod, next to bare
# `runc run -d` of the same config.json, and the daemon's memory with 0 and
# with N pods. Run as root from the repository root after `make all images`.
#
#   bench/pod_start.sh [SEQUENTIAL_PODS [TOTAL_PODS]]    (defaults 15 50)
#
# One at a time, alternating so that whatever else the host runs hits all
# three alike: berth starts one pod (scale +1, wait until it runs), then
# bare runc starts one container on an overlay root mounted the way berth
# mounts a pod's (the fair baseline: same config.json, same kind of root),
# then one on a plain copy of the image (plain runc). berth's figure is
# read from the daemon's own log (millisecond timestamps): from the event
# `SuccessfulCreate` (berth decided to create the pod) to the event
# `Started` (the loop has the process's pid: it runs); it covers the
# writable layer (overlay mount), the bundle and the runtime call. Bare
# runc's figure is the wall time of `runc run -d` (the overlay mounted
# before the clock starts). Then the batch: TOTAL - SEQUENTIAL pods at once
# (scale to TOTAL, until `get pods` sees them all Running) against as many
# bare `runc run -d` on overlay roots started in parallel. Everything is
# removed at the end (berth down, bare containers, mounts).
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
			rmdir /sys/fs/cgroup/berth-bench/"$id" /sys/fs/cgroup/*/berth-bench/"$id" 2>/dev/null
		done
		# the parent: one folder (cgroup v2) or one per controller (v1)
		rmdir /sys/fs/cgroup/berth-bench /sys/fs/cgroup/*/berth-bench 2>/dev/null
	fi
	daemon_stop 120
	bench_remove
}
bench_traps cleanup

# started N TIMEOUT_S: wait until the daemon's log has N `Started` events.
# The log is read every 100 ms rather than `get pods` polled: a CLI and jq
# started every few ms would compete with the very starts measured (bare
# runc has no such observer).
started() {
	local deadline=$((SECONDS + $2))
	while [ "$(grep -c ' Started: ' "$T/daemon.log" || true)" -lt "$1" ]; do
		[ $SECONDS -lt "$deadline" ] || die "timed out waiting for $1 started pods"
		sleep 0.1
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
# -d: the daemon logs each start's steps (slot, thread, set-up, run, back)
"$BERTH" up -d -c "$T/berth.ini" >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
daemon_wait_socket 10 || die "daemon did not start"
sleep 1
mem "daemon, 0 pods"

# --- one at a time: berth, bare on overlay, bare on a copy, alternating ----
cp -a "$IMAGE" "$T/rootfs"
mkdir -p "$BARE_ROOT"
lat=$T/berth.ms
fair=$T/fair.ms
plain=$T/plain.ms
: >"$fair"
: >"$plain"

# bare_bundle DIR ROOT ID: a copy of a berth pod's config.json in DIR with
# ROOT as its root, its own cgroup and hostname
bare_bundle() {
	mkdir -p "$1"
	jq --arg r "$2" --arg c "/berth-bench/$3" --arg h "$3" \
		'.root.path = $r | .linux.cgroupsPath = $c | .hostname = $h' \
		"$T/run/pods/$POD0/bundle/config.json" >"$1/config.json"
}

# overlay_root DIR: an overlay like a pod's (the image as lower, an empty
# upper) mounted on DIR/rootfs
overlay_root() {
	mkdir -p "$1/upper" "$1/work" "$1/rootfs"
	mount -t overlay overlay -o "nodev,lowerdir=$IMAGE,upperdir=$1/upper,workdir=$1/work" "$1/rootfs"
}

# bare_run ID BUNDLE: `runc run -d`, prints its wall time in ms
bare_run() {
	local t0 t1
	t0=$(date +%s%N)
	runc --root "$BARE_ROOT" run -d --bundle "$2" "$1" </dev/null >/dev/null 2>"$2/err" ||
		die "runc run failed: $(cat "$2/err")"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

POD0=
for i in $(seq "$SEQ"); do
	"$BERTH" scale bench --replicas "$i" >/dev/null
	started "$i" 30
	[ -n "$POD0" ] || POD0=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
	b=$T/fair-$i
	overlay_root "$b"
	bare_bundle "$b" "$b/rootfs" "fair-$i"
	bare_run "fair-$i" "$b" >>"$fair"
	b=$T/plain-$i
	bare_bundle "$b" "$T/rootfs" "plain-$i"
	bare_run "plain-$i" "$b" >>"$plain"
done
: >"$lat"
grep 'SuccessfulCreate: Created pod: ' "$T/daemon.log" | awk '{print $1, $NF}' | while read -r ts pod; do
	st=$(grep -m1 "pod/$pod Started:" "$T/daemon.log" | cut -d' ' -f1)
	[ -n "$st" ] || continue
	echo $(($(log_ms "$st") - $(log_ms "$ts"))) >>"$lat"
done
[ "$(wc -l <"$lat")" -eq "$SEQ" ] || die "expected $SEQ start latencies"
bm=$(median <"$lat")
fm=$(median <"$fair")
pm=$(median <"$plain")
echo "one at a time, alternating (n=$SEQ each): median [min / max] ms"
echo "  berth pod start (SuccessfulCreate -> Started): $bm [$(minmax <"$lat")]"
echo "  bare runc run -d, same config.json, overlay root (fair baseline): $fm [$(minmax <"$fair")]"
echo "  bare runc run -d, same config.json, plain copy of the image: $pm [$(minmax <"$plain")]"
echo "  berth / fair baseline: $(echo "scale=3; $bm / $fm" | bc); berth / plain: $(echo "scale=3; $bm / $pm" | bc)"
# the daemon's own account of each of those starts (medians, ms)
grep ' start: .* ms back to the loop' "$T/daemon.log" | head -n "$SEQ" |
	sed 's/.* start: //; s/[^0-9 ]//g' | awk '{print $1, $2, $3, $4, $5}' >"$T/steps"
printf '  berth steps (medians): slot %s, thread %s, set-up %s, runtime run %s, back to the loop %s ms\n' \
	"$(cut -d' ' -f1 "$T/steps" | median)" "$(cut -d' ' -f2 "$T/steps" | median)" \
	"$(cut -d' ' -f3 "$T/steps" | median)" "$(cut -d' ' -f4 "$T/steps" | median)" \
	"$(cut -d' ' -f5 "$T/steps" | median)"

# --- a batch: berth, then as many bare runc in parallel -------------------
batch=$((TOTAL - SEQ))
t0=$(date +%s%3N)
"$BERTH" scale bench --replicas "$TOTAL" >/dev/null
started "$TOTAL" 300
t1=$(log_ms "$(grep ' Started: ' "$T/daemon.log" | tail -n 1 | cut -d' ' -f1)")
echo "berth batch: $SEQ -> $TOTAL started pods in $((t1 - t0)) ms (scale command to the last Started event): $(echo "scale=1; ($t1 - $t0) / $batch" | bc) ms per pod"
for i in $(seq "$batch"); do
	b=$T/batch-$i
	overlay_root "$b"
	bare_bundle "$b" "$b/rootfs" "batch-$i"
done
pids=()
t0=$(date +%s%3N)
for i in $(seq "$batch"); do
	bare_run "batch-$i" "$T/batch-$i" >/dev/null &
	pids+=($!)
done
wait "${pids[@]}" # not a bare `wait`: the daemon is a job of this shell too
t1=$(date +%s%3N)
echo "bare batch: $batch runc run -d at once on overlay roots in $((t1 - t0)) ms: $(echo "scale=1; ($t1 - $t0) / $batch" | bc) ms per container"
sleep 2
mem "daemon, $TOTAL pods"
echo "processes with the daemon as parent: $( (ps --ppid "$DAEMON_PID" -o pid= || true) | wc -l) (the containers' own init processes, adopted as subreaper; no shim or monitor per pod)"
for id in $(runc --root "$BARE_ROOT" list -q 2>/dev/null); do
	runc --root "$BARE_ROOT" delete -f "$id" >/dev/null 2>&1 || true
done

# --- down ------------------------------------------------------------------
t0=$(date +%s%3N)
timeout 120 "$BERTH" down >/dev/null
t1=$(date +%s%3N)
echo "berth down with $TOTAL pods: $((t1 - t0)) ms"
