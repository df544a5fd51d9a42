#!/bin/bash
# bench/proxy.sh - berth's proxy against HAProxy and nginx, in one run.
# Run as root from the repository root after `make all images`:
#
#   bench/proxy.sh [ROUNDS [SECONDS]]        (defaults 5 10)
#   LARGE=1 bench/proxy.sh [ROUNDS [SECONDS]]
#   THREADS="1 2 4" BACKEND_WORKERS=auto bench/proxy.sh [ROUNDS [SECONDS]]
#   BATCH="1 0" bench/proxy.sh [ROUNDS [SECONDS]]
#
# One backend for every target: Debian's nginx in a berth pod with
# `network = host` (image build/images/nginx, 127.0.0.1:8080), so HAProxy
# and nginx reach it on loopback exactly as berth does. It runs
# BACKEND_WORKERS worker processes (default auto: one per core) from a
# config made in the temp dir (mounted read-only at /bench), so the
# backend does not bound what the proxies can do. Targets:
#
#   direct       the backend itself, 127.0.0.1:8080
#   berth-http-Nt berth service, mode = http, proxyThreads = N  127.0.0.1:18250
#   berth-tcp-Nt  berth service, mode = tcp, proxyThreads = N   127.0.0.1:18251
#   haproxy-http Debian's haproxy, mode http           127.0.0.1:18252
#   haproxy-tcp  Debian's haproxy, mode tcp            127.0.0.1:18253
#   nginx-proxy  Debian's nginx as a reverse proxy     127.0.0.1:18254
#
# N takes each value of THREADS (default "1 NPROC"); the daemon is
# restarted with that proxyThreads before its targets in each round (its
# backend pod is made again each time), so the thread counts take turns
# as the other targets do. BATCH (default "1") lists whether the proxy
# batches its writes with io_uring (1) or writes one by one (0, the
# daemon started with BERTH_PROXY_URING=0; targets berth-*-Nt-nobatch). HAProxy runs with its default threads (one per
# core), nginx with worker_processes auto.
#
# Each round runs `wrk -t2 -c64 -d${SECONDS}s --latency` (keep-alive, 64
# connections) against every target in turn; rounds alternate so a drift
# of the machine hits every target alike. The table reports the median
# over the rounds of req/s, p50 and p99, the ratio of req/s to HAProxy in
# the same mode, and the proxy's CPU per request: utime+stime read from
# /proc just before and just after each wrk run, divided by wrk's request
# count (berth: its proxy threads, summed; HAProxy: its process, all threads;
# nginx: master and workers). Nothing is pinned: wrk, the proxy under test
# and the backend share the machine's cores. HAProxy and nginx run in the
# foreground from configs generated in a temp dir and are stopped by PID;
# berth is brought down and every container, mount and file removed.
#
# LARGE=1 adds large bodies through the tcp targets: the backend pod then
# runs nginx with a config from the temp dir (mounted read-only at /bench,
# `sendfile on`) serving a 1 MiB and a 256 MiB file made there, and each
# round measures direct, haproxy-tcp and berth-tcp with splice on and off
# (the daemon restarted with BERTH_PROXY_SPLICE=1 / =0, once per round, so
# the two paths take turns going first) with:
#   1 MiB    wrk -t2 -c16 -d${SECONDS}s --latency /files/1m
#   256 MiB  curl, one connection, LARGE_GETS (default 4) GETs in a row
#   6 bytes  wrk -t2 -c64 -d${SECONDS}s --latency /
# and prints a second table: req/s, throughput, p99 and the proxy's CPU per
# MiB (bodies) or per request (6 bytes), medians over the rounds.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-5}
DURATION=${2:-10}
LARGE=${LARGE:-0}
LARGE_GETS=${LARGE_GETS:-4}
IMAGE=$REPO/build/images/nginx
WRK_ARGS=(-t2 -c64 -d"${DURATION}s" --latency)
WRK_LARGE_ARGS=(-t2 -c16 -d"${DURATION}s" --latency)
THREADS=${THREADS:-1 $(nproc)}
BACKEND_WORKERS=${BACKEND_WORKERS:-auto}
declare -A PORT=([direct]=8080 [berth-http]=18250 [berth-tcp]=18251
	[haproxy-http]=18252 [haproxy-tcp]=18253 [nginx-proxy]=18254)
TARGETS=(direct)
BATCH=${BATCH:-1}
for n in $THREADS; do
	for b in $BATCH; do
		sfx=; [ "$b" = 1 ] || sfx=-nobatch
		TARGETS+=("berth-http-${n}t$sfx" "berth-tcp-${n}t$sfx")
		PORT[berth-http-${n}t$sfx]=${PORT[berth-http]}
		PORT[berth-tcp-${n}t$sfx]=${PORT[berth-tcp]}
	done
done
BATCH_NOW=1
TARGETS+=(haproxy-http haproxy-tcp nginx-proxy)
THREADS_NOW=${THREADS%% *}
HAPROXY_PID=
NGINX_PID=
PROXY_TID=
SPLICE_NOW=

cleanup() {
	set +e
	stop_pid "$HAPROXY_PID"
	stop_pid "$NGINX_PID"
	HAPROXY_PID='' NGINX_PID=''
	daemon_stop 60
	bench_remove
}
bench_traps cleanup

need_root
need_tools wrk haproxy nginx jq curl runc
need_berth
need_image "$IMAGE"
for t in direct berth-http berth-tcp haproxy-http haproxy-tcp nginx-proxy; do
	need_free_port "${PORT[$t]}"
done

bench_tmpdir berth-bench-proxy

# --- berth: the backend pod and the two services ---------------------------
# the image's nginx.conf answers `nginx\n` on / and ok on /healthz with
# one worker: the same with BACKEND_WORKERS workers, and with LARGE=1
# /files/ from the mounted temp dir
mkdir -p "$T/www/files"
sed "s|^worker_processes .*;|worker_processes $BACKEND_WORKERS;|" \
	"$IMAGE/etc/nginx/nginx.conf" >"$T/www/nginx.conf"
grep -q "^worker_processes $BACKEND_WORKERS;" "$T/www/nginx.conf" ||
	die "$IMAGE/etc/nginx/nginx.conf has no worker_processes line to change"
if [ "$LARGE" = 1 ]; then
	dd if=/dev/zero of="$T/www/files/1m" bs=1M count=1 status=none
	dd if=/dev/zero of="$T/www/files/256m" bs=1M count=256 status=none
	sed -i 's|^\([[:space:]]*\)location /healthz {|\1location /files/ { root /bench; sendfile on; }\n&|' \
		"$T/www/nginx.conf"
	grep -q 'location /files/' "$T/www/nginx.conf" ||
		die "$IMAGE/etc/nginx/nginx.conf has no /healthz location to add /files/ next to"
fi
backend_args=" -c /bench/nginx.conf"
backend_mount="mount = $T/www:/bench:ro
"
# write_ini N: the config, with proxyThreads = N
write_ini() {
	berth_section
	echo "proxyThreads = $1"
	cat <<INI

[deployment backend]
image = $IMAGE
command = /usr/sbin/nginx${backend_args}
${backend_mount}replicas = 1
labels = app=backend
network = host
port = 8080
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
lifecycle.stopSignal = SIGQUIT
terminationGracePeriodSeconds = 5

[service bhttp]
listen = 127.0.0.1:${PORT[berth-http]}
selector = app=backend
targetPort = 8080
mode = http

[service btcp]
listen = 127.0.0.1:${PORT[berth-tcp]}
selector = app=backend
targetPort = 8080
mode = tcp
INI
}
write_ini "$THREADS_NOW" >"$T/berth.ini"

ready() {
	[ "$("$BERTH" get services -o json |
		jq '[.services[].endpoints[]] | length')" -eq 2 ]
}
daemon_ready() { # daemon_ready: both services have the backend, or die
	wait_for 60 ready || {
		tail -n 20 "$T/daemon.log" >&2
		die "the backend pod did not become ready"
	}
}
daemon_start
if [ "${BERTH_PROXY_SPLICE:-1}" = 0 ]; then SPLICE_NOW=0; else SPLICE_NOW=1; fi
daemon_ready

# --- HAProxy ------------------------------------------------------------------
mkdir -p "$T/haproxy"
cat >"$T/haproxy/haproxy.cfg" <<CFG
global
	maxconn 4096
defaults
	timeout connect 5s
	timeout client 60s
	timeout server 60s
frontend fe_http
	mode http
	option forwardfor
	bind 127.0.0.1:${PORT[haproxy-http]}
	default_backend be_http
backend be_http
	mode http
	server s1 127.0.0.1:8080
frontend fe_tcp
	mode tcp
	bind 127.0.0.1:${PORT[haproxy-tcp]}
	default_backend be_tcp
backend be_tcp
	mode tcp
	server s1 127.0.0.1:8080
CFG
haproxy -db -f "$T/haproxy/haproxy.cfg" >"$T/haproxy/log" 2>&1 &
HAPROXY_PID=$!

# --- nginx as a reverse proxy ------------------------------------------------
mkdir -p "$T/nginx/logs"
cat >"$T/nginx/nginx.conf" <<CFG
user root;
daemon off;
master_process on;
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	upstream backend {
		server 127.0.0.1:8080;
		keepalive 64;
	}
	server {
		listen 127.0.0.1:${PORT[nginx-proxy]};
		location / {
			proxy_pass http://backend;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
		}
	}
}
CFG
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" >"$T/nginx/logs/stderr" 2>&1 &
NGINX_PID=$!

for t in "${TARGETS[@]}"; do
	wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:${PORT[$t]}/" ||
		die "$t (port ${PORT[$t]}) does not answer"
done

# --- the runs -----------------------------------------------------------------
to_ms() { # to_ms 1.23ms|456.00us|1.02s
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
		else if (v ~ /s$/) n *= 1000
		printf "%.3f", n }'
}

# proxy_cpu TARGET: CPU ticks so far of the proxy behind TARGET ("-" for direct)
proxy_cpu() {
	case $1 in
	berth-*) proxy_threads_ticks "$DAEMON_PID" ;;
	haproxy-*) tree_ticks "$HAPROXY_PID" ;;
	nginx-proxy) tree_ticks "$NGINX_PID" ;;
	*) echo - ;;
	esac
}

# per_unit TICKS COUNT: microseconds of CPU per unit, "-" without a proxy
per_unit() {
	case $1 in
	-) echo - ;;
	*) awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN {
		if (n > 0) printf "%.2f", t * 1000000 / hz / n; else print "-" }' ;;
	esac
}

# measured TARGET CMD...: run CMD; CPU_TICKS is the proxy's ticks meanwhile
measured() {
	local target=$1 c0 c1
	shift
	c0=$(proxy_cpu "$target")
	"$@"
	c1=$(proxy_cpu "$target")
	if [ "$c0" = - ]; then CPU_TICKS=-; else CPU_TICKS=$((c1 - c0)); fi
}

# wrk_fields FILE: rps, p50, p99 (ms), nreq, errs of one wrk report, and
# cpu (us per request, from CPU_TICKS of the run)
wrk_fields() {
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$1")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$1")")
	nreq=$(awk '/requests in/ {print $1}' "$1")
	cpu=$(per_unit "$CPU_TICKS" "${nreq:-0}")
	# what failed, if anything (wrk runs without the status script here:
	# it would slow wrk down)
	errs=
	if ! wrk_out=$(wrk_check "$1" --without-status 2>&1); then
		errs=$(printf '%s\n' "$wrk_out" | sed -e '/^# wrk:/d' -e "s|^$1: ||" | tr '\n' ' ')
	fi
}

# find_proxy_thread: says how many proxy threads the daemon runs
find_proxy_thread() {
	PROXY_TID=$(proxy_tid "$DAEMON_PID") || die "no proxy thread in the daemon"
	echo "# berth: $(grep -l '^berth-proxy' /proc/"$DAEMON_PID"/task/*/comm | wc -l) proxy threads of $(find /proc/"$DAEMON_PID"/task -mindepth 1 -maxdepth 1 | wc -l) threads" >&2
}

# threads_daemon N [BATCH]: the daemon runs with proxyThreads = N, and
# batched writes unless BATCH is 0
threads_daemon() {
	local batch=${2:-1} env=()
	[ "$THREADS_NOW" != "$1" ] || [ "$BATCH_NOW" != "$batch" ] || return 0
	echo "# restarting berth with proxyThreads = $1, batched writes $batch" >&2
	daemon_stop 60
	write_ini "$1" >"$T/berth.ini"
	[ "$SPLICE_NOW" != 0 ] || env+=(BERTH_PROXY_SPLICE=0)
	[ "$batch" = 1 ] || env+=(BERTH_PROXY_URING=0)
	daemon_start "${env[@]}"
	THREADS_NOW=$1
	BATCH_NOW=$batch
	daemon_ready
	wrk -t2 -c64 -d1s "http://127.0.0.1:${PORT[berth-http]}/" >/dev/null 2>&1
	find_proxy_thread
}

mkdir -p "$T/out"
echo "# warm-up: 2 s per target" >&2
for t in "${TARGETS[@]}"; do
	wrk -t2 -c64 -d2s "http://127.0.0.1:${PORT[$t]}/" >/dev/null 2>&1
done
find_proxy_thread
for r in $(seq "$ROUNDS"); do
	for t in "${TARGETS[@]}"; do
		case $t in
		berth-*-nobatch) n=${t%-nobatch} && n=${n##*-} && threads_daemon "${n%t}" 0 ;;
		berth-*) n=${t##*-} && threads_daemon "${n%t}" 1 ;;
		esac
		f=$T/out/$t.$r
		measured "$t" wrk "${WRK_ARGS[@]}" "http://127.0.0.1:${PORT[$t]}/" >"$f" 2>&1
		wrk_fields "$f"
		echo "$t $r $rps $p50 $p99 $cpu" >>"$T/out/all"
		printf '# round %d %-13s %10s req/s  p50 %7s ms  p99 %7s ms  cpu %6s us/req %s\n' \
			"$r" "$t" "$rps" "$p50" "$p99" "$cpu" "$errs" >&2
		if [ -n "$errs" ]; then
			echo "## errors in $t round $r:" >>"$T/out/errors"
			cat "$f" >>"$T/out/errors"
		fi
	done
done

col() { # col TARGET FIELD: the values of FIELD (3 rps, 4 p50, 5 p99, 6 cpu)
	awk -v t="$1" -v f="$2" '$1 == t {print $f}' "$T/out/all"
}
# med TARGET FIELD: median of a column, "-" if it holds no number
med() {
	if col "$@" | grep -q '^[0-9.]*$'; then col "$@" | median; else echo -; fi
}
declare -A RPS P50 P99 CPU
for t in "${TARGETS[@]}"; do
	RPS[$t]=$(col "$t" 3 | median)
	P50[$t]=$(col "$t" 4 | median)
	P99[$t]=$(col "$t" 5 | median)
	CPU[$t]=$(med "$t" 6)
done
fmt1() { # fmt1 VALUE: one decimal, or "-"
	case $1 in -) echo - ;; *) printf '%.1f' "$1" ;; esac
}

echo
echo "machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "versions: $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "command: wrk ${WRK_ARGS[*]} http://127.0.0.1:PORT/  ($ROUNDS rounds, alternating)"
echo "backend: nginx, worker_processes $BACKEND_WORKERS; berth-*-Nt: proxyThreads = N; haproxy: default threads ($(nproc) cores)"
echo "proxy CPU: utime+stime per request over each wrk run (berth: its proxy threads; haproxy: process; nginx: master+workers), ${HZ} ticks/s"
echo
echo "| target | req/s (median) | p50 ms | p99 ms | req/s vs HAProxy | proxy CPU us/req | per-round req/s |"
echo "|---|---:|---:|---:|---:|---:|---|"
for t in "${TARGETS[@]}"; do
	case $t in
	*-tcp | *-tcp-*) ref=${RPS[haproxy-tcp]} ;;
	*) ref=${RPS[haproxy-http]} ;;
	esac
	ratio=$(awk -v a="${RPS[$t]}" -v b="$ref" 'BEGIN {printf "%.2f", a / b}')
	rounds=$(col "$t" 3 | tr '\n' ' ' | sed 's/ $//')
	printf '| %s | %.0f | %.3f | %.3f | %s | %s | %s |\n' "$t" "${RPS[$t]}" \
		"${P50[$t]}" "${P99[$t]}" "$ratio" "$(fmt1 "${CPU[$t]}")" "$rounds"
done
echo
if [ -s "$T/out/errors" ]; then
	echo "errors seen (wrk reports):"
	cat "$T/out/errors"
else
	echo "no wrk run reported a socket error or a non-2xx answer"
fi

[ "$LARGE" = 1 ] || exit 0

# --- LARGE=1: large bodies through the tcp targets ---------------------------
# splice_daemon 0|1: the daemon runs with BERTH_PROXY_SPLICE=0|1
splice_daemon() {
	[ "$SPLICE_NOW" != "$1" ] || return 0
	echo "# restarting berth with BERTH_PROXY_SPLICE=$1" >&2
	daemon_stop 60
	daemon_start BERTH_PROXY_SPLICE="$1"
	SPLICE_NOW=$1
	daemon_ready
	wrk -t2 -c64 -d1s "http://127.0.0.1:${PORT[berth-tcp]}/" >/dev/null 2>&1
	find_proxy_thread
}

# curl_gets URL N: N GETs of URL in a row on one connection; prints
# "BYTES SECONDS" summed over them
curl_gets() {
	local args=() _
	for _ in $(seq "$2"); do args+=(-o /dev/null "$1"); done
	{ curl -sf -w '%{size_download} %{time_total}\n' "${args[@]}" || true; } |
		awk '{b += $1; s += $2} END {printf "%d %.6f\n", b, s}'
}

# large_one NAME TARGET: the three workloads against TARGET, recorded as NAME
large_one() {
	local name=$1 port=${PORT[$2]} f rps p50 p99 nreq cpu errs bytes secs
	# 1 MiB, wrk
	f=$T/out/large.1m.$name.$r
	measured "$2" wrk "${WRK_LARGE_ARGS[@]}" "http://127.0.0.1:$port/files/1m" >"$f" 2>&1
	wrk_fields "$f" # one request is one MiB
	echo "$name 1m $rps $(awk -v r="$rps" 'BEGIN {printf "%.3f", r / 1024}') $p99 $cpu" >>"$T/out/large"
	printf '# round %d %-18s 1 MiB   %8s req/s  p99 %8s ms  cpu %7s us/MiB %s\n' \
		"$r" "$name" "$rps" "$p99" "$cpu" "$errs" >&2
	if [ -n "$errs" ]; then
		echo "## errors in $name 1 MiB round $r:" >>"$T/out/large-errors"
		cat "$f" >>"$T/out/large-errors"
	fi
	# 256 MiB, curl on one connection
	f=$T/out/large.256m.$name.$r
	measured "$2" curl_gets "http://127.0.0.1:$port/files/256m" "$LARGE_GETS" >"$f" 2>&1
	read -r bytes secs <"$f" || true
	if [ "${bytes:-0}" -ne $((LARGE_GETS * 256 * 1048576)) ]; then
		echo "## $name 256 MiB round $r: got ${bytes:-0} bytes, expected $((LARGE_GETS * 256 * 1048576))" >>"$T/out/large-errors"
	fi
	cpu=$(per_unit "$CPU_TICKS" "$((${bytes:-0} / 1048576))")
	local gibs
	gibs=$(awk -v b="${bytes:-0}" -v s="${secs:-0}" 'BEGIN {
		if (s > 0) printf "%.3f", b / s / 1073741824; else print 0 }')
	echo "$name 256m - $gibs - $cpu" >>"$T/out/large"
	printf '# round %d %-18s 256 MiB %8s GiB/s              cpu %7s us/MiB\n' \
		"$r" "$name" "$gibs" "$cpu" >&2
	# 6 bytes, wrk
	f=$T/out/large.6b.$name.$r
	measured "$2" wrk "${WRK_ARGS[@]}" "http://127.0.0.1:$port/" >"$f" 2>&1
	wrk_fields "$f"
	echo "$name 6b $rps - $p99 $cpu" >>"$T/out/large"
	printf '# round %d %-18s 6 bytes %8s req/s  p99 %8s ms  cpu %7s us/req %s\n' \
		"$r" "$name" "$rps" "$p99" "$cpu" "$errs" >&2
	if [ -n "$errs" ]; then
		echo "## errors in $name 6 bytes round $r:" >>"$T/out/large-errors"
		cat "$f" >>"$T/out/large-errors"
	fi
}

for t in direct haproxy-tcp berth-tcp; do
	wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:${PORT[$t]}/files/1m" ||
		die "$t (port ${PORT[$t]}) does not serve /files/1m"
done
echo "# large bodies: warm-up, 2 s of 1 MiB per target" >&2
for t in direct haproxy-tcp berth-tcp; do
	wrk -t2 -c16 -d2s "http://127.0.0.1:${PORT[$t]}/files/1m" >/dev/null 2>&1
done
splice_name() { if [ "$1" = 1 ]; then echo berth-tcp-splice; else echo berth-tcp-buffer; fi; }
for r in $(seq "$ROUNDS"); do
	large_one direct direct
	large_one haproxy-tcp haproxy-tcp
	# berth: the path the daemon runs now, then the other one
	first=$SPLICE_NOW
	large_one "$(splice_name "$first")" berth-tcp
	splice_daemon $((1 - first))
	large_one "$(splice_name $((1 - first)))" berth-tcp
done

# lcol NAME WORKLOAD FIELD: FIELD of the rows (3 req/s, 4 GiB/s, 5 p99, 6 cpu)
lcol() {
	awk -v n="$1" -v w="$2" -v f="$3" '$1 == n && $2 == w {print $f}' "$T/out/large"
}
lmed() { # lmed NAME WORKLOAD FIELD: median, "-" if no number
	if lcol "$@" | grep -q '^[0-9.]*$'; then lcol "$@" | median; else echo -; fi
}
# fmt PRINTF_FORMAT VALUE: formatted, or "-"
# shellcheck disable=SC2059 # the format is the argument
fmt() {
	case $2 in -) echo - ;; *) printf "$1" "$2" ;; esac
}

echo
echo "large bodies (LARGE=1): backend nginx, worker_processes $BACKEND_WORKERS, sendfile on, proxyThreads = $THREADS_NOW; berth-tcp-splice/-buffer = the daemon with BERTH_PROXY_SPLICE=1/0"
echo "commands: wrk ${WRK_LARGE_ARGS[*]} http://127.0.0.1:PORT/files/1m;" \
	"curl, one connection, $LARGE_GETS x GET /files/256m;" \
	"wrk ${WRK_ARGS[*]} http://127.0.0.1:PORT/  ($ROUNDS rounds, alternating)"
echo "proxy CPU: utime+stime over each run, per MiB for the bodies, per request for 6 bytes"
echo
echo "| workload | target | req/s (median) | GiB/s | p99 ms | proxy CPU | per-round |"
echo "|---|---|---:|---:|---:|---:|---|"
for w in 1m 256m 6b; do
	for n in direct berth-tcp-splice berth-tcp-buffer haproxy-tcp; do
		rps=$(lmed "$n" "$w" 3)
		gib=$(lmed "$n" "$w" 4)
		p99=$(lmed "$n" "$w" 5)
		cpu=$(lmed "$n" "$w" 6)
		case $w in
		1m) wl="wrk -t2 -c16 GET 1 MiB" unit="us/MiB" field=3 ;;
		256m) wl="curl GET 256 MiB, one connection" unit="us/MiB" field=4 ;;
		6b) wl="wrk -t2 -c64 GET 6 bytes" unit="us/req" field=3 ;;
		esac
		[ "$cpu" = - ] || cpu="$(fmt '%.1f' "$cpu") $unit"
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$wl" "$n" \
			"$(fmt '%.0f' "$rps")" "$(fmt '%.2f' "$gib")" "$(fmt '%.3f' "$p99")" \
			"$cpu" "$(lcol "$n" "$w" "$field" | tr '\n' ' ' | sed 's/ $//')"
	done
done
echo
if [ -s "$T/out/large-errors" ]; then
	echo "errors seen (wrk reports, short curl transfers):"
	cat "$T/out/large-errors"
else
	echo "no large-body run reported a socket error, a non-2xx answer or a short transfer"
fi
