#!/bin/bash
# bench/proxy.sh - berth's proxy against HAProxy and nginx, in one run.
# Run as root from the repository root after `make all images`:
#
#   bench/proxy.sh [ROUNDS [SECONDS]]        (defaults 3 10)
#
# One backend for every target: Debian's nginx in a berth pod with
# `network = host` (image build/images/nginx, 127.0.0.1:8080), so HAProxy
# and nginx reach it on loopback exactly as berth does. Targets:
#
#   direct       the backend itself, 127.0.0.1:8080
#   berth-http   berth service, mode = http            127.0.0.1:18250
#   berth-tcp    berth service, mode = tcp             127.0.0.1:18251
#   haproxy-http Debian's haproxy, mode http           127.0.0.1:18252
#   haproxy-tcp  Debian's haproxy, mode tcp            127.0.0.1:18253
#   nginx-proxy  Debian's nginx as a reverse proxy     127.0.0.1:18254
#
# Each round runs `wrk -t2 -c64 -d${SECONDS}s --latency` (keep-alive, 64
# connections) against every target in turn; rounds alternate so a drift
# of the machine hits every target alike. The table reports the median
# over the rounds of req/s, p50 and p99, and the ratio of req/s to HAProxy
# in the same mode. Nothing is pinned: wrk, the proxy under test and the
# backend share the machine's cores. HAProxy and nginx run in the
# foreground from configs generated in a temp dir and are stopped by PID;
# berth is brought down and every container, mount and file removed.
set -euo pipefail

ROUNDS=${1:-3}
DURATION=${2:-10}
REPO=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$REPO/build/berth}
IMAGE=$REPO/build/images/nginx
WRK_ARGS=(-t2 -c64 -d"${DURATION}s" --latency)
TARGETS=(direct berth-http berth-tcp haproxy-http haproxy-tcp nginx-proxy)
declare -A PORT=([direct]=8080 [berth-http]=18250 [berth-tcp]=18251
	[haproxy-http]=18252 [haproxy-tcp]=18253 [nginx-proxy]=18254)
T=
DAEMON_PID=
HAPROXY_PID=
NGINX_PID=

die() {
	echo "proxy.sh: $*" >&2
	exit 1
}

stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 5 s
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	set +e
	stop_pid "$HAPROXY_PID"
	stop_pid "$NGINX_PID"
	HAPROXY_PID= NGINX_PID=
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		timeout 60 "$BERTH" down >/dev/null 2>&1
		for _ in $(seq 100); do
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
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
		[ -n "${KEEP_BENCH_DIR:-}" ] || rm -rf "$T"
	fi
	T=
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # wait_for SECONDS CMD...
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

[ "$(id -u)" -eq 0 ] || die "run as root (berth runs containers with runc)"
for tool in wrk haproxy nginx jq curl runc; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x "$BERTH" ] || die "$BERTH not built: make all"
[ -d "$IMAGE" ] || die "$IMAGE not built: make images"
for t in "${TARGETS[@]}"; do
	if ss -Hltn "sport = :${PORT[$t]}" | grep -q .; then
		die "port ${PORT[$t]} is already in use"
	fi
done

T=$(mktemp -d /tmp/berth-bench-proxy.XXXXXX)
export BERTH_SOCKET=$T/run/berth.sock

# --- berth: the backend pod and the two services ---------------------------
cat >"$T/berth.ini" <<INI
[berth]
state_dir = $T/state
run_dir = $T/run
admin = off

[deployment backend]
image = $IMAGE
command = /usr/sbin/nginx
replicas = 1
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
"$BERTH" up -c "$T/berth.ini" >"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
ready() {
	[ "$("$BERTH" get services -o json |
		jq '[.services[].endpoints[]] | length')" -eq 2 ]
}
wait_for 60 ready || {
	tail -n 20 "$T/daemon.log" >&2
	die "the backend pod did not become ready"
}

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

mkdir -p "$T/out"
echo "# warm-up: 2 s per target" >&2
for t in "${TARGETS[@]}"; do
	wrk -t2 -c64 -d2s "http://127.0.0.1:${PORT[$t]}/" >/dev/null 2>&1
done
for r in $(seq "$ROUNDS"); do
	for t in "${TARGETS[@]}"; do
		f=$T/out/$t.$r
		wrk "${WRK_ARGS[@]}" "http://127.0.0.1:${PORT[$t]}/" >"$f" 2>&1
		rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
		p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$f")")
		p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$f")")
		errs=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$f")
		echo "$t $r $rps $p50 $p99" >>"$T/out/all"
		printf '# round %d %-13s %10s req/s  p50 %7s ms  p99 %7s ms %s\n' \
			"$r" "$t" "$rps" "$p50" "$p99" "$errs" >&2
		if [ -n "$errs" ]; then
			echo "## errors in $t round $r:" >>"$T/out/errors"
			cat "$f" >>"$T/out/errors"
		fi
	done
done

median() { # median: of the numbers on stdin
	sort -g | awk '{a[NR] = $1} END {
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
col() { # col TARGET FIELD: the values of FIELD (3 rps, 4 p50, 5 p99)
	awk -v t="$1" -v f="$2" '$1 == t {print $f}' "$T/out/all"
}
declare -A RPS P50 P99
for t in "${TARGETS[@]}"; do
	RPS[$t]=$(col "$t" 3 | median)
	P50[$t]=$(col "$t" 4 | median)
	P99[$t]=$(col "$t" 5 | median)
done

echo
echo "machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "versions: $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "command: wrk ${WRK_ARGS[*]} http://127.0.0.1:PORT/  ($ROUNDS rounds, alternating)"
echo
echo "| target | req/s (median) | p50 ms | p99 ms | req/s vs HAProxy | per-round req/s |"
echo "|---|---:|---:|---:|---:|---|"
for t in "${TARGETS[@]}"; do
	case $t in
	*-tcp) ref=${RPS[haproxy-tcp]} ;;
	*) ref=${RPS[haproxy-http]} ;;
	esac
	ratio=$(awk -v a="${RPS[$t]}" -v b="$ref" 'BEGIN {printf "%.2f", a / b}')
	rounds=$(col "$t" 3 | tr '\n' ' ' | sed 's/ $//')
	printf '| %s | %.0f | %.3f | %.3f | %s | %s |\n' "$t" "${RPS[$t]}" \
		"${P50[$t]}" "${P99[$t]}" "$ratio" "$rounds"
done
echo
if [ -s "$T/out/errors" ]; then
	echo "errors seen (wrk reports):"
	cat "$T/out/errors"
else
	echo "no wrk run reported a socket error or a non-2xx answer"
fi
