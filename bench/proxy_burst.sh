#!/bin/bash
# bench/proxy_burst.sh - the daemon's memory around a burst of client
# connections through an http service. Run as root from the repository
# root after `make all images`:
#
#   bench/proxy_burst.sh [CONNECTIONS...]          (default 5000 8000)
#   BERTH=/path/to/other/berth bench/proxy_burst.sh   (another build)
#
# One daemon, three echo pods behind service web (127.0.0.1:19390). For
# each count N: 50 warm-up requests and 2 s of rest, then VmRSS of the
# daemon ("base"); N connections opened at once, one GET on each (all
# answered before the next step), VmRSS while all N are open ("peak");
# the N connections closed, 5 s of rest, VmRSS again ("after"). The
# counts run in order in the same daemon, so a later "base" shows what
# an earlier burst left behind. Each connection may hold two descriptors
# of the daemon (client and backend) while its request is in flight, so
# N must stay under half the daemon's RLIMIT_NOFILE less its reserve
# (SPEC §6): up to 9,000 with the hard limit of 20000 of the machine in
# docs/benchmarks.md. The client is tests/lib/http_client.py.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=19390

cleanup() {
	daemon_stop 30
	bench_remove
}

all_ready() { [ "$(ready_count)" -eq 3 ]; }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }

main() {
	local counts=("$@") n base peak after ok hold_pid
	[ ${#counts[@]} -gt 0 ] || counts=(5000 8000)
	need_root
	need_tools runc jq curl python3
	need_berth
	need_image "$REPO/build/images/echo-0.1.0"
	need_free_port "$PORT"
	ulimit -n "$(ulimit -Hn)"
	bench_traps cleanup
	bench_tmpdir berth-burst
	{ berth_section
	  cat <<INI

[deployment echo]
image = $REPO/build/images/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
replicas = 3
labels = app=echo
port = 8080
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1

[service web]
listen = 127.0.0.1:$PORT
selector = app=echo
targetPort = 8080
INI
	} >"$T/berth.ini"
	daemon_start
	daemon_wait_socket 30 || die "the daemon did not start"
	wait_for 60 all_ready || die "pods not ready"
	sleep 2
	machine_line
	echo "# berth: $BERTH"
	printf '%-8s %10s %10s %10s %12s %8s\n' connections "base MiB" \
		"peak MiB" "after MiB" "KiB/conn" answered
	for n in "${counts[@]}"; do
		for _ in $(seq 50); do
			curl -s -o /dev/null "http://127.0.0.1:$PORT/"
		done
		sleep 2
		base=$(rss_kb)
		python3 "$REPO/tests/lib/http_client.py" hold "$PORT" "$n" 3 \
			>"$T/hold.txt" &
		hold_pid=$!
		wait_for 120 grep -q ok= "$T/hold.txt" || die "no answer"
		peak=$(rss_kb)
		wait "$hold_pid"
		ok=$(sed -n 's/^ok=//p' "$T/hold.txt")
		sleep 5
		after=$(rss_kb)
		awk -v n="$n" -v b="$base" -v p="$peak" -v a="$after" -v ok="$ok" \
			'BEGIN { printf "%-8d %10.1f %10.1f %10.1f %12.1f %8d\n",
				n, b / 1024, p / 1024, a / 1024, (p - b) / n, ok }'
	done
}

main "$@"
