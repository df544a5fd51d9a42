#!/bin/bash
# bench/kube_api.sh - what the Kubernetes API costs. Run as root from the
# repository root after `make all images`, with kubectl 1.32 installed:
#
#   bench/kube_api.sh [ROUNDS [SECONDS]]     (defaults 3 8)
#
# 1. RSS of an idle daemon with two pods, kubernetesAPI off and on (after
#    one `kubectl get pods`, so the TLS code has run).
# 2. `kubectl get pods` with 200 pods: median wall time of 10 runs (Table
#    output, the default), of `kubectl get pods -o json`, of the same
#    Table request by curl (the server's share), of `kubectl version
#    --client` (kubectl's own start), and of `berth get pods`.
# 3. Does watching cost the proxy anything? Two pods behind an http
#    service (127.0.0.1:19560); each round runs wrk twice while the
#    deployment rolls between two versions: with no watcher, then with 50
#    `?watch=true` clients on pods (curl, one TLS connection each).
#    Prints req/s and p99 medians over the rounds.
# The API listens on 127.0.0.1:19561. Everything stays on loopback and
# stops by itself.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-3}
PARTS=${PARTS:-123} # which of the three parts to run
DURATION=${2:-8}
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.32}
IMAGE=$REPO/build/images/echo-0.1.0
IMAGE2=$REPO/build/images/echo-0.2.0
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	daemon_stop 120
	bench_remove
}

need_root
need_tools wrk curl jq
need_berth
need_image "$IMAGE"
need_image "$IMAGE2"
[ -x "$KUBECTL" ] || die "kubectl 1.32 not found at $KUBECTL (set KUBECTL)"
need_free_port 19560
need_free_port 19561
bench_traps cleanup

# config API REPLICAS: the echo app; API is "off" or an address.
config() {
	berth_section
	cat <<INI
kubernetesAPI = $1
dashboard = off

[deployment echo]
image = $IMAGE
command = /bin/echo-version
args = --listen :8080
replicas = $2
labels = app=echo
port = 8080
strategy.rollingUpdate.maxSurge = 1
strategy.rollingUpdate.maxUnavailable = 0
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1

[service web]
listen = 127.0.0.1:19560
selector = app=echo
targetPort = 8080
mode = http
INI
}

kctl() {
	"$KUBECTL" --kubeconfig "$T/state/kubeconfig" --cache-dir "$T/kcache" \
		--request-timeout 30s "$@"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' /proc/"$DAEMON_PID"/status; }

# up API REPLICAS: a fresh daemon with that config, its pods ready.
up() {
	bench_tmpdir berth-bench-kube
	config "$1" "$2" >"$T/berth.ini"
	daemon_start
	daemon_wait_socket 30 || die "the daemon did not start (see $T/daemon.log)"
	all_ready() { [ "$(ready_count)" -eq "$1" ]; }
	wait_for 600 all_ready "$2" || die "pods not ready"
}

down() {
	daemon_stop 300
	bench_remove
}

# ms CMD...: wall time of one run of CMD, in milliseconds.
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

machine_line

# --- 1. RSS ---
if [[ $PARTS == *1* ]]; then
up off 2
sleep 3
rss_off=$(rss_kb)
down
up 127.0.0.1:19561 2
kctl get pods >/dev/null
sleep 3
rss_on=$(rss_kb)
down
echo "rss_kb api=off $rss_off"
echo "rss_kb api=on $rss_on"
fi

# --- 2. kubectl get pods with 200 pods ---
if [[ $PARTS == *2* ]]; then
up 127.0.0.1:19561 200
kctl get pods >/dev/null # discovery cached, as in everyday use
for i in $(seq 10); do ms kctl get pods; done | median >"$T/table"
for i in $(seq 10); do ms kctl get pods -o json; done | median >"$T/json"
for i in $(seq 10); do ms "$BERTH" get pods; done | median >"$T/berth"
# The server's share: the same Table request kubectl makes, by curl.
table_req() {
	curl -sS -o /dev/null --cacert "$T/state/pki/ca.crt" \
		--cert "$T/state/pki/admin.crt" --key "$T/state/pki/admin.key" \
		-H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io' \
		"https://127.0.0.1:19561/api/v1/namespaces/default/pods?limit=500"
}
for i in $(seq 10); do ms table_req; done | median >"$T/curl"
for i in $(seq 10); do ms kctl version --client; done | median >"$T/start"
echo "get_pods_200_ms kubectl=$(cat "$T/table") kubectl_json=$(cat "$T/json") curl_table=$(cat "$T/curl") kubectl_start=$(cat "$T/start") berth=$(cat "$T/berth")"
down
fi
[[ $PARTS == *3* ]] || exit 0

# --- 3. 50 watchers during a rollout ---
up 127.0.0.1:19561 2
roller() {
	local v=2
	while :; do
		if [ $v = 2 ]; then
			"$BERTH" set image echo "$IMAGE2" >/dev/null 2>&1 || true
			v=1
		else
			"$BERTH" set image echo "$IMAGE" >/dev/null 2>&1 || true
			v=2
		fi
		sleep 2
	done
}

run_wrk() {
	wrk -s "$WRK_STATUS" -t2 -c32 -d"${DURATION}s" --latency \
		http://127.0.0.1:19560/ >"$T/wrk-$1.txt" 2>&1
	wrk_check "$T/wrk-$1.txt" || die "wrk saw failures: $T/wrk-$1.txt"
	wrk_rps_p99 "$T/wrk-$1.txt"
}

watchers_connected() {
	[ "$(ss -Htn state established '( dport = :19561 )' | wc -l)" -ge 50 ]
}

WATCHERS=()
watchers_start() {
	local i
	for i in $(seq 50); do
		curl -sN --cacert "$T/state/pki/ca.crt" \
			--cert "$T/state/pki/admin.crt" --key "$T/state/pki/admin.key" \
			"https://127.0.0.1:19561/api/v1/namespaces/default/pods?watch=true" \
			>/dev/null 2>&1 &
		WATCHERS+=($!)
	done
	wait_for 20 watchers_connected || die "the watchers did not connect"
}

watchers_stop() {
	local p
	for p in "${WATCHERS[@]}"; do stop_pid "$p"; done
	WATCHERS=()
}

roller &
PIDS=($!)
: >"$T/plain"
: >"$T/watched"
for r in $(seq "$ROUNDS"); do
	run_wrk "plain-$r" >>"$T/plain"
	watchers_start
	run_wrk "watched-$r" >>"$T/watched"
	watchers_stop
	echo "round $r: plain $(tail -n1 "$T/plain"), watched $(tail -n1 "$T/watched")" >&2
done
stop_pid "${PIDS[0]}"
PIDS=()
medians_table plain watched
