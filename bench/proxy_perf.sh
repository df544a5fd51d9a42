#!/bin/bash
# bench/proxy_perf.sh - what one request costs berth's proxy threads, by
# thread count. Run as root from the repository root after `make all images`:
#
#   bench/proxy_perf.sh [ROUNDS [SECONDS]]          (defaults 5 8)
#   THREADS="1 2" PROFILE=1 bench/proxy_perf.sh 3 8
#   BUILDS="/tmp/berth-old build/berth" bench/proxy_perf.sh 5 8
#
# The backend is Debian's nginx in a berth pod with `network = host`
# (image build/images/nginx, its worker_processes set to auto, listening
# on 127.0.0.1:BACKEND_PORT, default 18262) behind one http service
# (127.0.0.1:PORT, default 18263). For each value N of THREADS (default
# "1 NPROC"), each round restarts the daemon with proxyThreads = N, warms
# it up for 2 s, then runs `wrk -t2 -c64 -d${SECONDS}s` under `perf stat
# --per-thread -t` of the daemon's berth-proxy* threads, counting only
# software events (task-clock, context switches, migrations, syscalls:
# they work where hardware counters are not exposed, as in most VMs). The
# thread counts alternate within each round, so a drift of the machine
# hits each alike; BUILDS (default: $BERTH) lists berth binaries to
# compare, each taking its turn in every round too. Reported, medians over the rounds: req/s, CPU per
# request (task-clock summed over the proxy threads / wrk's requests),
# context switches and syscalls per request (epoll_wait and epoll_ctl
# apart), and the share of the CPU
# taken by the first (accepting) thread. PROFILE=1 also samples the proxy
# threads with `perf record -e cpu-clock` in the last round and prints the
# top symbols per thread count. The daemon is brought down and every
# container, mount and file removed at the end.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-5}
DURATION=${2:-8}
THREADS=${THREADS:-1 $(nproc)}
BACKEND_PORT=${BACKEND_PORT:-18262}
PORT=${PORT:-18263}
PROFILE=${PROFILE:-0}
BUILDS=${BUILDS:-$BERTH}
IMAGE=$REPO/build/images/nginx
EVENTS=task-clock,context-switches,cpu-migrations,raw_syscalls:sys_enter,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_ctl

cleanup() {
	set +e
	daemon_stop 60
	bench_remove
}
bench_traps cleanup

need_root
need_tools wrk perf jq runc
for b in $BUILDS; do [ -x "$b" ] || die "no $b: run make"; done
need_image "$IMAGE"
need_free_port "$BACKEND_PORT"
need_free_port "$PORT"

bench_tmpdir berth-bench-proxy-perf
mkdir -p "$T/www" "$T/out"
sed -e "s|^worker_processes .*;|worker_processes auto;|" \
	-e "s|listen 8080;|listen 127.0.0.1:$BACKEND_PORT;|" \
	"$IMAGE/etc/nginx/nginx.conf" >"$T/www/nginx.conf"
grep -q "listen 127.0.0.1:$BACKEND_PORT;" "$T/www/nginx.conf" ||
	die "$IMAGE/etc/nginx/nginx.conf has no \`listen 8080;\` line to change"

# write_ini N: the config, with proxyThreads = N
write_ini() {
	berth_section
	echo "proxyThreads = $1"
	cat <<INI

[deployment backend]
image = $IMAGE
command = /usr/sbin/nginx -c /bench/nginx.conf
mount = $T/www:/bench:ro
replicas = 1
labels = app=backend
network = host
port = $BACKEND_PORT
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = $BACKEND_PORT
readinessProbe.periodSeconds = 1
lifecycle.stopSignal = SIGQUIT
terminationGracePeriodSeconds = 5

[service bhttp]
listen = 127.0.0.1:$PORT
selector = app=backend
targetPort = $BACKEND_PORT
mode = http
INI
}

ready() {
	[ "$("$BERTH" get services -o json | jq '[.services[].endpoints[]] | length')" -eq 1 ]
}

# proxy_tids: the daemon's berth-proxy* threads, comma-separated, first thread first
proxy_tids() {
	local t
	for t in /proc/"$DAEMON_PID"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in
		berth-proxy) echo "0 ${t##*/}" ;;
		berth-proxy-*) echo "$(sed 's/berth-proxy-//' "$t/comm") ${t##*/}" ;;
		esac
	done | sort -n | awk '{print $2}' | paste -sd,
}

# start_with BUILD N: berth binary BUILD runs with proxyThreads = N, its backend ready and warm
start_with() {
	daemon_stop 60
	BERTH=$1
	write_ini "$2" >"$T/berth.ini"
	daemon_start
	wait_for 60 ready || {
		tail -n 20 "$T/daemon.log" >&2
		die "the backend pod did not become ready"
	}
	wrk -t2 -c64 -d2s "http://127.0.0.1:$PORT/" >/dev/null 2>&1
}

# one BUILD N ROUND: one measured wrk run of berth binary BUILD with proxyThreads = N
one() {
	local key n=$2 r=$3 tids f first
	key=$(basename "$1"):$n
	f=$T/out/$key.$r
	start_with "$1" "$n"
	tids=$(proxy_tids)
	[ "$(tr ',' '\n' <<<"$tids" | wc -l)" -eq "$n" ] || die "expected $n proxy threads, found $tids"
	first=${tids%%,*}
	perf stat --per-thread -x, -e "$EVENTS" -t "$tids" -o "$f.perf" -- \
		wrk -t2 -c64 -d"${DURATION}s" "http://127.0.0.1:$PORT/" >"$f.wrk" 2>&1
	wrk_check "$f.wrk" --without-status >/dev/null 2>&1 || {
		cat "$f.wrk" >&2
		die "wrk reported errors with $n threads in round $r"
	}
	if [ "$PROFILE" = 1 ] && [ "$r" = "$ROUNDS" ]; then
		perf record -q -e cpu-clock -F 2000 -t "$tids" -o "$f.data" -- \
			wrk -t2 -c64 -d"${DURATION}s" "http://127.0.0.1:$PORT/" >/dev/null 2>&1
		echo "## $key (build:proxyThreads): top symbols (cpu-clock samples, all proxy threads)"
		perf report -q -i "$f.data" --no-children --sort dso,symbol 2>/dev/null |
			awk 'NF && n++ < 40'
		echo "## $key: samples by binary"
		perf report -q -i "$f.data" --no-children --sort dso 2>/dev/null | awk 'NF && n++ < 8'
		echo
	fi
	# --per-thread -x, lines: COMM-TID,VALUE,UNIT,EVENT,...
	awk -F, -v first="$first" -v rps="$(awk '/^Requests\/sec:/ {print $2}' "$f.wrk")" \
		-v nreq="$(awk '/requests in/ {print $1}' "$f.wrk")" -v n="$key" -v r="$r" '
		/^#/ || NF < 4 { next }
		{ tid = $1; sub(/.*-/, "", tid); v[$4] += $2; if (tid == first) lead[$4] += $2 }
		END {
			ms = v["task-clock"]
			printf "%s %s %.0f %.2f %.3f %.2f %.0f %.3f %.3f\n", n, r, rps,
				ms * 1000 / nreq, v["context-switches"] / nreq,
				v["raw_syscalls:sys_enter"] / nreq,
				(ms > 0 ? 100 * lead["task-clock"] / ms : 0),
				(v["syscalls:sys_enter_epoll_wait"] + v["syscalls:sys_enter_epoll_pwait"]) / nreq,
				v["syscalls:sys_enter_epoll_ctl"] / nreq
		}' "$f.perf" >>"$T/out/all"
	tail -n 1 "$T/out/all" | awk '{printf "# round %s %s: %s req/s  %s us/req  %s cs/req  %s syscalls/req (epoll_wait %s, epoll_ctl %s)  first thread %s %% of the CPU\n", $2, $1, $3, $4, $5, $6, $8, $9, $7}' >&2
}

echo "# $(nproc) CPUs, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for r in $(seq "$ROUNDS"); do
	for b in $BUILDS; do
		for n in $THREADS; do
			one "$b" "$n" "$r"
		done
	done
done
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

col() { awk -v n="$1" -v f="$2" '$1 == n {print $f}' "$T/out/all"; }
echo
echo "machine: $(nproc) cores, $(uname -sr); wrk -t2 -c64 -d${DURATION}s, keep-alive, $ROUNDS rounds, alternating"
echo
echo "| build:proxyThreads | req/s | CPU us/req | context switches/req | syscalls/req | of which epoll_wait | epoll_ctl | first thread's share of CPU | per-round us/req |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
keys=()
for b in $BUILDS; do
	for n in $THREADS; do keys+=("$(basename "$b"):$n"); done
done
for k in "${keys[@]}"; do
	printf '| %s | %.0f | %.2f | %.3f | %.2f | %.3f | %.3f | %.0f %% | %s |\n' "$k" \
		"$(col "$k" 3 | median)" "$(col "$k" 4 | median)" "$(col "$k" 5 | median)" \
		"$(col "$k" 6 | median)" "$(col "$k" 8 | median)" "$(col "$k" 9 | median)" \
		"$(col "$k" 7 | median)" "$(col "$k" 4 | tr '\n' ' ' | sed 's/ $//')"
done
