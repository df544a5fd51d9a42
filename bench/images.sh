#!/bin/bash
# bench/images.sh - OCI images in berth, next to the tools that do one step
# each. Run as root from the repository root after `make all images`.
#
#   bench/images.sh [RUNS [STARTS]]    (defaults 3 10)
#
# A loopback registry (Debian's docker-registry on a free port, its config
# and storage in the temp dir, stopped by PID) holds the example echo
# images 0.1.0 and 0.2.0 (build/images/oci/echo: a 1.4 MB gzip base layer
# shared by both, and a one-file top layer each). Three measures:
#  1. first pod of an image not in the store: from `berth apply` to the pod
#     Running (pull through skopeo, verify, unpack, overlay, runc), against
#     `skopeo copy docker://... oci:DIR` + `umoci unpack` of the same image
#     (no container started); RUNS runs each, a fresh store every time.
#  2. disk: both versions in berth's store (blobs + unpacked layers) against
#     two flat unpacked copies (umoci unpack of each).
#  3. pod start from the cached image (SuccessfulCreate -> Started in the
#     daemon's log, one pod at a time, STARTS pods) against bare `runc run
#     -d` of the same config.json on a flat copy (STARTS runs).
# Everything it made is removed at the end.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

RUNS=${1:-3}
STARTS=${2:-10}
LAYOUT=$REPO/build/images/oci/echo
REG_PID=
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
	daemon_stop 60
	stop_pid "$REG_PID"
	bench_remove
}
bench_traps cleanup

ms() { date +%s%3N; }
log_ms() { date -d "$1" +%s%3N; }

status_of_first() {
	"$BERTH" get pods -o json | jq -r '.pods[0].status // ""'
}

# config REPLICAS: echo from the registry, REPLICAS pods, state in $STATE.
config() {
	cat <<INI
[berth]
state_dir = $STATE
run_dir = $T/run
admin = off
kubernetesAPI = off
dashboard = off
insecureRegistries = $REG

[deployment echo]
image = $REG/echo:0.1.0
replicas = $1
terminationGracePeriodSeconds = 2
INI
}

need_root
need_tools runc jq skopeo umoci curl python3 /usr/bin/docker-registry
need_berth
[ -f "$LAYOUT/index.json" ] || die "no $LAYOUT: run make images"

bench_tmpdir berth-bench-images
BARE_ROOT=$T/bare-runc
machine_line
echo "# $(skopeo --version), $(umoci --version)"

# --- the registry -----------------------------------------------------------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
mkdir -p "$T/registry"
cat >"$T/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: $REG
YML
/usr/bin/docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
REG_PID=$!
wait_for 30 curl -sf "http://$REG/v2/" || die "the registry did not start"
for v in 0.1.0 0.2.0; do
	skopeo copy --quiet --dest-tls-verify=false "oci:$LAYOUT:$v" "docker://$REG/echo:$v"
done

# --- 1. first pod of a new image ------------------------------------------
: >"$T/berth-first.ms"
for i in $(seq "$RUNS"); do
	STATE=$T/state-$i
	config 0 >"$T/berth.ini"
	daemon_start
	daemon_wait_socket 20 || die "daemon did not start"
	config 1 >"$T/apply.ini"
	t0=$(ms)
	"$BERTH" apply -f "$T/apply.ini" >/dev/null
	while [ "$(status_of_first)" != Running ]; do
		[ $(($(ms) - t0)) -lt 60000 ] || die "no pod Running after 60 s"
		sleep 0.01
	done
	echo $(($(ms) - t0)) >>"$T/berth-first.ms"
	daemon_stop 60
	rm -rf "$STATE" "$T/run"
done
: >"$T/tools-first.ms"
for i in $(seq "$RUNS"); do
	rm -rf "$T/oci" "$T/bundle"
	t0=$(ms)
	skopeo copy --quiet --src-tls-verify=false "docker://$REG/echo:0.1.0" "oci:$T/oci:0.1.0"
	umoci unpack --image "$T/oci:0.1.0" "$T/bundle" >/dev/null
	echo $(($(ms) - t0)) >>"$T/tools-first.ms"
done
echo "first pod of a new image, apply -> Running (n=$RUNS): median $(median <"$T/berth-first.ms") ms ($(tr '\n' ' ' <"$T/berth-first.ms")ms)"
echo "skopeo copy + umoci unpack of the same image, no container (n=$RUNS): median $(median <"$T/tools-first.ms") ms ($(tr '\n' ' ' <"$T/tools-first.ms")ms)"
grep -o 'Successfully pulled image "[^"]*" in [0-9.]*s' "$T/daemon.log" |
	sed 's/.* in //; s/s$//' | awk '{print int($1 * 1000)}' >"$T/pull.ms"
echo "  berth's pull alone (Pulling -> Pulled: skopeo, verify, unpack) (n=$(wc -l <"$T/pull.ms")): median $(median <"$T/pull.ms") ms"

# --- 2. disk: two versions sharing a base ----------------------------------
STATE=$T/state
config 0 >"$T/berth.ini"
for v in 0.1.0 0.2.0; do
	"$BERTH" image pull "$REG/echo:$v" -c "$T/berth.ini" >/dev/null
done
store=$(du -sb "$STATE/images" | cut -f1)
layers=$(du -sb "$STATE/images/layers" | cut -f1)
rm -rf "$T/flat"
mkdir -p "$T/flat"
for v in 0.1.0 0.2.0; do
	skopeo copy --quiet --src-tls-verify=false "docker://$REG/echo:$v" "oci:$T/flat/oci:$v"
	umoci unpack --image "$T/flat/oci:$v" "$T/flat/$v" >/dev/null
done
flat=$(du -sb "$T/flat/0.1.0/rootfs" "$T/flat/0.2.0/rootfs" | awk '{s += $1} END {print s}')
echo "disk, echo 0.1.0 + 0.2.0: berth's store $((store / 1024)) KiB (unpacked layers $((layers / 1024)) KiB, the rest compressed blobs); two flat copies $((flat / 1024)) KiB"

# --- 3. pod start from the cached image against bare runc ------------------
config 0 >"$T/berth.ini"
daemon_start
daemon_wait_socket 20 || die "daemon did not start"
for i in $(seq "$STARTS"); do
	"$BERTH" scale echo --replicas "$i" >/dev/null
	t0=$SECONDS
	until [ "$("$BERTH" get pods -o json | jq '[.pods[] | select(.status == "Running")] | length')" -ge "$i" ]; do
		[ $((SECONDS - t0)) -lt 30 ] || die "pod $i did not start"
		sleep 0.02
	done
done
: >"$T/berth-start.ms"
grep 'SuccessfulCreate: Created pod: ' "$T/daemon.log" | awk '{print $1, $NF}' | tail -n "$STARTS" |
	while read -r ts pod; do
		st=$(grep -m1 "pod/$pod Started:" "$T/daemon.log" | cut -d' ' -f1)
		[ -n "$st" ] && echo $(($(log_ms "$st") - $(log_ms "$ts"))) >>"$T/berth-start.ms"
	done
pod=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
mkdir -p "$BARE_ROOT"
: >"$T/bare.ms"
for i in $(seq "$STARTS"); do
	b=$T/bare-$i
	mkdir -p "$b"
	jq --arg r "$T/flat/0.1.0/rootfs" --arg c "/berth-bench/bare-$i" --arg h "bare-$i" \
		'.root.path = $r | .linux.cgroupsPath = $c | .hostname = $h' \
		"$T/run/pods/$pod/bundle/config.json" >"$b/config.json"
	t0=$(date +%s%N)
	runc --root "$BARE_ROOT" run -d --bundle "$b" "bare-$i" </dev/null >/dev/null 2>"$b/err" ||
		die "runc run failed: $(cat "$b/err")"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >>"$T/bare.ms"
done
echo "pod start from the cached image, SuccessfulCreate -> Started (n=$(wc -l <"$T/berth-start.ms")): median $(median <"$T/berth-start.ms") ms"
echo "bare runc run -d, same config.json, flat rootfs (n=$STARTS): median $(median <"$T/bare.ms") ms"
