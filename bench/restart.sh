#!/bin/bash
# bench/restart.sh - what a daemon crash costs under load: requests failed
# by a kill -9 of the daemon and its restart, with 20 ready echo pods
# behind one http service and wrk (1 thread, 16 keep-alive connections,
# 8 s, the kill 2 s in, the new daemon started at once). Run as root from
# the repository root after `make all images`.
#
#   bench/restart.sh [RUNS]        (default 3 per mode)
#
# Two modes:
#   plain    - `berth up` again by hand: the listening socket dies with the
#              daemon, connections tried before the new one listens are
#              refused
#   fdstore  - under tests/lib/fd_keeper.py, a stand-in for systemd's fd
#              store: the listener is kept across the crash and handed
#              back (LISTEN_FDS), connections wait in its backlog
# For each run it prints the requests made, the socket errors (connect,
# read, write, timeout), the answers that were not 2xx and the total
# failed. BERTH=PATH measures another build (an older one, for a before
# and after). Everything runs on 127.0.0.1:19790; the daemon, its pods and
# every mount are removed at the end, also on failure or ^C.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

RUNS=${1:-3}
PORT=19790
PODS=20
KEEPER=

cleanup() {
	set +e
	echo_bench_cleanup "$KEEPER"
	KEEPER=
	set -e
}
bench_traps cleanup

echo_bench_needs "$PORT" python3

# last_started: the pid of the daemon the keeper started last.
last_started() { awk '$1 == "started" {p = $2} END {print p}' "$T/notify"; }
starts() { grep -c '^started ' "$T/notify" || true; }
more_starts() { [ "$(starts)" -gt "$1" ]; }
kept() { grep -q '^kept service-web$' "$T/notify"; }

start() { # start MODE
	if [ "$1" = fdstore ]; then
		: >"$T/notify"
		python3 "$REPO/tests/lib/fd_keeper.py" "$T/notify.sock" \
			"$T/notify" "$BERTH" up -c "$T/berth.ini" \
			>>"$T/daemon.log" 2>&1 &
		KEEPER=$!
		wait_for 10 more_starts 0 || die "the keeper did not start berth"
		DAEMON_PID=$(last_started)
	else
		daemon_start
	fi
	daemon_wait_socket 30 || die "daemon did not answer"
}

# crash MODE: kill -9 the daemon and start it again at once.
crash() {
	local n
	if [ "$1" = fdstore ]; then
		n=$(starts)
		kill -9 "$DAEMON_PID"
		kill -USR1 "$KEEPER"
		wait_for 10 more_starts "$n" || die "no restart"
		DAEMON_PID=$(last_started)
	else
		kill -9 "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null || true
		daemon_start
	fi
}

# socket_errors FILE / non2xx FILE: from a wrk report made with $WRK_STATUS.
socket_errors() {
	awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10; f = 1 }
	     END { if (!f) print 0 }' "$1"
}
non2xx() {
	awk '$1 == "Status" && $2 !~ /^2/ { n += $3 } END { print n + 0 }' "$1"
}

bench_mode() { # bench_mode MODE
	local mode=$1 run req failed
	bench_tmpdir berth-bench-restart
	echo_service_config "$PODS" "$PORT" "terminationGracePeriodSeconds = 5"
	start "$mode"
	wait_ready_pods "$PODS"
	if [ "$mode" = fdstore ] && ! wait_for 10 kept; then
		echo "fdstore  -   (this build stores no listener)"
		cleanup
		return 0
	fi
	for run in $(seq "$RUNS"); do
		wrk_background "$T/wrk.txt" -s "$WRK_STATUS" -t1 -c16 -d8s \
			--timeout 10s "http://127.0.0.1:$PORT/"
		sleep 2
		crash "$mode"
		wrk_wait
		read -r req failed < <(wrk_summary "$T/wrk.txt")
		printf '%-8s %3d %9d %13d %6d %7d\n' "$mode" "$run" "$req" \
			"$(socket_errors "$T/wrk.txt")" "$(non2xx "$T/wrk.txt")" \
			"$failed"
		daemon_wait_socket 30 || die "daemon did not answer"
		wait_ready_pods "$PODS"
	done
	cleanup
}

machine_line
echo "# berth: $BERTH"
printf '%-8s %3s %9s %13s %6s %7s\n' mode run requests socket_errors non2xx failed
bench_mode plain
bench_mode fdstore
