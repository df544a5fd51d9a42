# tests/lib/helpers.bash - shared set-up for integration tests: each test
# gets its own state dir, run dir and runc root under a fresh temp folder,
# a daemon started from build/asan/berth, and a teardown that removes every
# container, mount, cgroup and process the test made.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH=${BERTH:-$REPO/build/asan/berth}
IMAGES=$REPO/build/images

# wrk_check FILE: fails on any answer not 2xx, any socket error, no request
# (run wrk with -s "$WRK_STATUS"); wrk_summary FILE. See tests/lib/wrk.sh.
# shellcheck source=tests/lib/wrk.sh
. "$REPO/tests/lib/wrk.sh"

# new_env: a private folder and socket for this test.
new_env() {
	T=$(mktemp -d /tmp/berth-it.XXXXXX)
	export BERTH_SOCKET=$T/run/berth.sock
	DAEMON_PID=
}

# berth_header: the [berth] section every test config starts with.
berth_header() {
	cat <<INI
[berth]
state_dir = $T/state
run_dir = $T/run
admin = off
kubernetesAPI = ${BERTH_KUBE_API:-off}
dashboard = ${BERTH_DASHBOARD:-off}
proxyThreads = ${BERTH_PROXY_THREADS:-1}
crashLoopBackOff.initialSeconds = ${BACKOFF_INITIAL:-2}
crashLoopBackOff.maxSeconds = ${BACKOFF_MAX:-8}
INI
}

# deployment NAME IMAGE VERSION REPLICAS LABELS: an echo-version
# deployment with a readiness probe, for service tests.
deployment() {
	cat <<INI

[deployment $1]
image = $IMAGES/$2
command = /bin/echo-version
args = --listen :8080
env = VERSION=$3
replicas = $4
labels = $5
port = 8080
terminationGracePeriodSeconds = 5
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
INI
}

# echo_app_ini IMAGE REPLICAS [KEY = VALUE]...: a whole config (the
# [berth] header and one deployment `echo` of REPLICAS pods of
# $IMAGES/IMAGE) running echo-version on :8080 with an httpGet readiness
# probe of /healthz every second. Each further argument is one more line of
# the deployment (strategy, grace period, probes, mounts...); a key given
# here must not be given twice.
echo_app_ini() {
	local image=$1 replicas=$2
	shift 2
	berth_header
	cat <<INI

[deployment echo]
image = $IMAGES/$image
command = /bin/echo-version
args = --listen :8080
replicas = $replicas
port = 8080
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
INI
	local k
	for k in "$@"; do echo "$k"; done
}

start_daemon() {
	"$BERTH" up -c "${1:-$T/berth.ini}" >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	# the socket may be a stale one: wait until the daemon answers
	wait_for 20 "$BERTH" get deployments -o json
}

# wait_for SECONDS CMD...: polls CMD every 100 ms until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

# load_connected PORT N: at least N client connections to PORT are
# established (a load generator started in the background is running).
load_connected() {
	[ "$(ss -Htn state established "( dport = :$1 )" | wc -l)" -ge "$2" ]
}

bctl() {
	"$BERTH" "$@"
}

# pods_json: the pods document.
pods_json() {
	"$BERTH" get pods -o json
}

count_pods() { # count_pods JQ_FILTER
	pods_json | jq "[.pods[] | select($1)] | length"
}

# has_pods JQ_FILTER N: true when exactly N pods match.
has_pods() {
	[ "$(count_pods "$1")" -eq "$2" ]
}

# restarts_at_least POD N
restarts_at_least() {
	[ "$(pods_json | jq --arg n "$1" '.pods[] | select(.name == $n) | .restarts')" -ge "$2" ]
}

# ready_pods N: true when exactly N pods are Running and ready.
ready_pods() {
	[ "$(count_pods '.status == "Running" and .ready')" -eq "$1" ]
}

pod_names() {
	pods_json | jq -r '.pods[].name' | sort
}

teardown_env() {
	if [ -n "${DAEMON_PID:-}" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		timeout 60 "$BERTH" down >/dev/null 2>&1 || true
		local i=0
		while kill -0 "$DAEMON_PID" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$DAEMON_PID" 2>/dev/null || true
	fi
	# Whatever a failed test left: containers, mounts, cgroups.
	if [ -d "$T/run/runc" ]; then
		for id in $(runc --root "$T/run/runc" list -q 2>/dev/null); do
			runc --root "$T/run/runc" delete -f "$id" >/dev/null 2>&1 || true
			for c in /sys/fs/cgroup/*/berth/"$id" /sys/fs/cgroup/berth/"$id"; do
				[ -d "$c" ] && rmdir "$c" 2>/dev/null || true
			done
		done
	fi
	grep " $T/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	# The daemon is the sanitizer build: a report in its log (a leak at
	# exit, a runtime error it survived) fails the test.
	local sanitized=0
	if [ -f "$T/daemon.log" ] && grep -qE "$SANITIZER_REPORT" "$T/daemon.log"; then
		grep -E -A 40 "$SANITIZER_REPORT" "$T/daemon.log" | head -n 80 >&2
		sanitized=1
	fi
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
	[ "$sanitized" -eq 0 ]
}

SANITIZER_REPORT='ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:'

# start_sampler [DEPLOYMENT]: every 100 ms, appends to $T/samples one line
# "PODS READY REVISIONS" of DEPLOYMENT's pods (every pod when none given):
# pods not terminating, those of them ready, and the distinct revisions of
# all its pods. It asks the control socket with curl (cheaper than the
# CLI under load). stop_sampler ends it; teardowns kill $SAMPLER.
start_sampler() {
	: >"$T/samples"
	(
		while :; do
			curl -s -m 1 --unix-socket "$BERTH_SOCKET" \
				http://localhost/v1/pods 2>/dev/null |
				jq -r --arg d "${1:-}" '
				  [.pods[] | select($d == "" or .deployment == $d)] |
				  [([.[] | select(.status != "Terminating")] | length),
				   ([.[] | select(.ready and .status != "Terminating")] | length),
				   ([.[].revision] | unique | length)] | @tsv' \
				>>"$T/samples" 2>/dev/null
			sleep 0.1
		done
	) &
	SAMPLER=$!
}

stop_sampler() {
	kill "$SAMPLER" 2>/dev/null || true
	wait "$SAMPLER" 2>/dev/null || true
	SAMPLER=
}

# sample_count, sample_max COL, sample_min COL: over the complete samples.
sample_count() { awk 'NF==3' "$T/samples" | wc -l; }
samples_at_least() { [ "$(sample_count)" -ge "$1" ]; }
sample_max() { awk -v c="$1" 'BEGIN{m=-1} NF==3 && $c>m {m=$c} END{print m}' "$T/samples"; }
sample_min() { awk -v c="$1" 'BEGIN{m=99999} NF==3 && $c<m {m=$c} END{print m}' "$T/samples"; }

# leftovers: prints anything of this test's still on the host.
leftovers() {
	grep " $T/" /proc/self/mounts || true
	[ -d "$T/run/runc" ] && runc --root "$T/run/runc" list -q 2>/dev/null || true
	ls -d "$T"/run/pods/* 2>/dev/null || true
}
