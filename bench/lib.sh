# bench/lib.sh - what the benchmarks in bench/ share: preconditions, the
# temp dir, starting and stopping a berth daemon, removing every container,
# mount and file a run made, reading CPU time from /proc, and the echo
# service under wrk load that the daemon-restart benchmarks (restart.sh,
# upgrade.sh) set up alike. Sourced by bench/*.sh (bash, `set -euo
# pipefail`); defines functions and the variables REPO, BERTH, HZ, T,
# DAEMON_PID, WRK_PID (and, from tests/lib/wrk.sh, wrk_check, wrk_summary
# and WRK_STATUS), and starts nothing until a function is called. It must
# not hold a benchmark's output, nor a workload only one script runs:
# those stay in each script.
#
# A function returns non-zero only where its comment says so, so each can
# be called under `set -e`. KEEP_BENCH_DIR=1 in the environment keeps the
# temp dir (daemon log, configs, reports).

# shellcheck shell=bash
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH=${BERTH:-$REPO/build/berth}
# wrk_check, wrk_summary, WRK_STATUS: how a wrk report is read
# shellcheck source=tests/lib/wrk.sh
. "$REPO/tests/lib/wrk.sh"
# shellcheck disable=SC2034 # used by the scripts that source this file
HZ=$(getconf CLK_TCK)
T=
DAEMON_PID=
WRK_PID=

# die MSG...: print "SCRIPT: MSG" on stderr and exit 1 (the EXIT trap cleans up).
die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# bench_traps FUNCTION: run FUNCTION at exit, and exit (so it runs) on ^C or SIGTERM.
bench_traps() {
	# shellcheck disable=SC2064 # the name of the function, expanded now on purpose
	trap "$1" EXIT
	trap 'exit 130' INT TERM
}

# need_root: berth runs containers with runc, which needs root.
need_root() {
	[ "$(id -u)" -eq 0 ] || die "needs root (berth runs containers with runc)"
}

# need_tools TOOL...: every TOOL is on PATH.
need_tools() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || die "$tool is not installed"
	done
}

# need_berth: the berth binary is built.
need_berth() {
	[ -x "$BERTH" ] || die "no $BERTH: run make"
}

# need_image DIR: an example image is built.
need_image() {
	[ -d "$1" ] || die "no $1: run make images"
}

# need_free_port PORT: nothing listens on tcp PORT.
need_free_port() {
	if ss -Hltn "sport = :$1" | grep -q .; then
		die "port $1 is already in use"
	fi
}

# machine_line: the "# machine: ..." line the daemon benchmarks print first.
machine_line() {
	echo "# machine: $(nproc) CPUs, $(uname -srm), $(runc --version | head -n 1)"
}

# bench_tmpdir PREFIX: a fresh temp dir in T, and BERTH_SOCKET pointing into it.
bench_tmpdir() {
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	export BERTH_SOCKET=$T/run/berth.sock
}

# berth_section: the [berth] section of a config whose state and runs stay in T.
berth_section() {
	cat <<INI
[berth]
state_dir = $T/state
run_dir = $T/run
admin = off
INI
}

# daemon_start [VAR=VALUE...]: `berth up -c $T/berth.ini` in the background, VARs in its env, log to $T/daemon.log.
daemon_start() {
	env "$@" "$BERTH" up -c "$T/berth.ini" >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
}

# daemon_alive: succeeds while the daemon started by daemon_start runs.
daemon_alive() {
	[ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds; 1 if it never did.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# daemon_wait_socket SECONDS: wait until the daemon answers on its control socket; 1 if it did not.
daemon_wait_socket() {
	wait_for "$1" "$BERTH" get pods -o json
}

# daemon_down SECONDS: `berth down` (at most SECONDS), up to 10 s for the daemon to exit; 1 if it still runs.
daemon_down() {
	daemon_alive || return 0
	timeout "$1" "$BERTH" down >/dev/null 2>&1 || true
	local _
	for _ in $(seq 100); do
		daemon_alive || break
		sleep 0.1
	done
	! daemon_alive
}

# daemon_kill: SIGKILL the daemon if it still runs, and reap it.
daemon_kill() {
	if [ -n "$DAEMON_PID" ]; then
		kill -9 "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	DAEMON_PID=
}

# daemon_stop SECONDS: daemon_down, then daemon_kill if it did not exit.
daemon_stop() {
	daemon_down "$1" || true
	daemon_kill
}

# bench_remove: delete every runc container under $T/run/runc, unmount all under $T, remove $T.
bench_remove() {
	[ -n "$T" ] || return 0
	local id m
	if [ -d "$T/run/runc" ]; then
		for id in $(runc --root "$T/run/runc" list -q 2>/dev/null); do
			runc --root "$T/run/runc" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	grep " $T/" /proc/self/mounts | awk '{print $2}' | sort -r |
		while read -r m; do umount -l "$m" || true; done || true
	[ -n "${KEEP_BENCH_DIR:-}" ] || rm -rf "$T"
	T=
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s, and reap it.
stop_pid() {
	local pid=$1 _
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# ready_count: pods that are Running and ready.
ready_count() {
	"$BERTH" get pods -o json |
		jq '[.pods[] | select(.status == "Running" and .ready)] | length'
}

# median: of the numbers on stdin (the mean of the two middle ones for an even count).
median() {
	sort -g | awk '{a[NR] = $1} END {
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# stat_ticks FILE: "utime+stime cutime+cstime" in clock ticks from a /proc stat file.
stat_ticks() {
	sed 's/.*) //' "$1" | awk '{print $12 + $13, $14 + $15}'
}

# cpu_ticks PID: utime+stime of process PID, all its threads.
cpu_ticks() {
	stat_ticks /proc/"$1"/stat | cut -d' ' -f1
}

# task_ticks PID TID: utime+stime of thread TID of process PID.
task_ticks() {
	stat_ticks /proc/"$1"/task/"$2"/stat | cut -d' ' -f1
}

# proxy_threads_ticks PID: utime+stime of every proxy thread of berth PID
# (comm berth-proxy, berth-proxy-1, ...: proxyThreads of them).
proxy_threads_ticks() {
	local t sum=0 c
	for t in /proc/"$1"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in
		berth-proxy*)
			c=$(stat_ticks "$t/stat" 2>/dev/null | cut -d' ' -f1)
			sum=$((sum + ${c:-0}))
			;;
		esac
	done
	echo "$sum"
}

# tree_ticks PID: utime+stime of PID and of every live descendant (nginx's workers).
tree_ticks() {
	local sum kid
	sum=$(cpu_ticks "$1" 2>/dev/null || echo 0)
	for kid in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do
		sum=$((sum + $(tree_ticks "$kid")))
	done
	echo "$sum"
}

# proxy_tid PID: the thread of daemon PID that runs the proxy's loop (call it after some load).
proxy_tid() {
	# proxy_start() runs the proxy's libuv loop on a thread of its own
	# (uv_thread_create); the main thread is PID itself, and libuv's pool
	# threads, if any were started, wait on a futex, not in epoll_wait.
	# A thread named berth-proxy wins; among several candidates left, the
	# one with the most CPU so far.
	local t tid best='' best_ticks=-1 ticks cands=()
	for t in /proc/"$1"/task/*; do
		tid=${t##*/}
		[ "$tid" != "$1" ] || continue
		if [ "$(cat "$t/comm" 2>/dev/null)" = berth-proxy ]; then
			echo "$tid"
			return 0
		fi
		cands+=("$tid")
	done
	[ ${#cands[@]} -gt 0 ] || return 1
	if [ ${#cands[@]} -gt 1 ]; then
		local polling=()
		for tid in "${cands[@]}"; do
			case $(cat /proc/"$1"/task/"$tid"/wchan 2>/dev/null) in
			*epoll*) polling+=("$tid") ;;
			esac
		done
		[ ${#polling[@]} -eq 0 ] || cands=("${polling[@]}")
	fi
	for tid in "${cands[@]}"; do
		ticks=$(task_ticks "$1" "$tid" 2>/dev/null || echo -1)
		if [ "$ticks" -gt "$best_ticks" ]; then
			best=$tid
			best_ticks=$ticks
		fi
	done
	echo "$best"
}

# wrk_rps_p99 FILE: "REQ_PER_S P99_MS" from a `wrk --latency` report.
wrk_rps_p99() {
	awk '/^Requests\/sec:/ { rps = $2 }
		$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			p99 = u == "us" ? v / 1000 : u == "s" ? v * 1000 : v }
		END { printf "%.0f %.2f\n", rps, p99 }' "$1"
}

# medians_table NAME...: for each NAME, the medians of columns 1 and 2 of
# $T/NAME (one "REQ_PER_S P99_MS" line per round), as a table.
medians_table() {
	local c
	printf '%-8s %10s %10s\n' case req/s p99_ms
	for c in "$@"; do
		printf '%-8s %10s %10s\n' "$c" \
			"$(cut -d' ' -f1 "$T/$c" | median)" \
			"$(cut -d' ' -f2 "$T/$c" | median)"
	done
}

# --- the echo service under wrk load (restart.sh, upgrade.sh) -------------

# echo_bench_needs PORT TOOL...: root, runc, wrk, jq and each TOOL, the
# build, the echo image, and nothing listening on PORT.
echo_bench_needs() {
	local port=$1
	shift
	need_root
	need_tools runc wrk jq "$@"
	need_berth
	need_image "$REPO/build/images/echo-0.1.0"
	need_free_port "$port"
}

# echo_service_config PODS PORT [LINE...]: $T/berth.ini with berth_section,
# a deployment `echo` of PODS echo pods (app=echo, port 8080, a readiness
# probe each second; each LINE, "key = value", added to it) and an http
# service `web` on 127.0.0.1:PORT in front of them.
echo_service_config() {
	local pods=$1 port=$2
	shift 2
	{
		berth_section
		cat <<INI

[deployment echo]
image = $REPO/build/images/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
replicas = $pods
labels = app=echo
port = 8080
INI
		[ $# -eq 0 ] || printf '%s\n' "$@"
		cat <<INI
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1

[service web]
listen = 127.0.0.1:$port
selector = app=echo
targetPort = 8080
mode = http
INI
	} >"$T/berth.ini"
}

# wait_ready_pods N: until N pods are Running and ready (no time limit).
wait_ready_pods() {
	until [ "$(ready_count)" -eq "$1" ]; do sleep 0.2; done
}

# wrk_background REPORT ARG...: `wrk ARG...` in the background, its report
# in REPORT, its pid in WRK_PID.
wrk_background() {
	local report=$1
	shift
	wrk "$@" >"$report" 2>&1 &
	WRK_PID=$!
}

# wrk_wait: wait for the wrk started by wrk_background (its status ignored).
wrk_wait() {
	wait "$WRK_PID" || true
	WRK_PID=
}

# echo_bench_cleanup [PID...]: stop a wrk still running, the daemon (`berth
# down`, at most 120 s), then each PID (stop_pid; an empty one is skipped),
# and remove what the run left (bench_remove).
echo_bench_cleanup() {
	local pid
	[ -z "$WRK_PID" ] || kill "$WRK_PID" 2>/dev/null || true
	WRK_PID=
	daemon_stop 120
	for pid in "$@"; do stop_pid "$pid"; done
	bench_remove
}
