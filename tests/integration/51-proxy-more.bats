#!/usr/bin/env bats
# More of the proxy with real runc: an upgraded (WebSocket-style) tunnel
# that outlives a selector switch until its pod terminates, `set selector`
# under load (zero failed requests, only the new color afterwards), an
# outage refused unless --force, `get services -o json` following the
# override, the override kept across a daemon restart unless the file's
# selector changed, an apply whose address is in use moving no service, an
# IPv6 listener on [::1], and least-conn balancing.
# Addresses are 127.0.0.1 and ::1, ports 18200-18299 (18290: the admin
# listener of the least-conn test); every load run is bounded.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	for pid in ${BG_PIDS:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	teardown_env
}

# service NAME LISTEN SELECTOR [extra keys...]
service() {
	cat <<INI

[service $1]
listen = $2
selector = $3
targetPort = 8080
INI
	shift 3
	for kv in "$@"; do echo "$kv"; done
}

svc_endpoints() { # svc_endpoints SERVICE: the endpoint pods, sorted
	bctl get services -o json |
		jq -r ".services[] | select(.name == \"$1\") | .endpoints[]" | sort
}

has_endpoints() { [ "$(svc_endpoints "$1" | grep -c .)" -eq "$2" ]; }

# pods_of DEPLOYMENT: its pods, sorted.
pods_of() {
	pods_json | jq -r ".pods[] | select(.deployment == \"$1\") | .name" | sort
}

# The upgrade backend: answers 101 to any request head, then echoes every
# line prefixed with its color, one shell per connection (busybox nc).
ws_backend() {
	mkdir -p "$T/ws"
	cat >"$T/ws/ws.sh" <<'SH'
#!/bin/sh
cr=$(printf '\r')
while IFS= read -r line; do
	line=${line%"$cr"}
	[ -z "$line" ] && break
done
printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'
while IFS= read -r line; do
	echo "$COLOR ${line%"$cr"}"
done
SH
	chmod 755 "$T/ws/ws.sh"
}

# ws_deployment NAME COLOR
ws_deployment() {
	cat <<INI

[deployment $1]
image = $IMAGES/echo-0.1.0
command = /usr/bin/nc
args = -ll -p 8080 -e /ws/ws.sh
env = COLOR=$2
mount = $T/ws:/ws:ro
replicas = 1
labels = app=ws,color=$2
port = 8080
terminationGracePeriodSeconds = 3
readinessProbe.tcpSocket.port = 8080
readinessProbe.periodSeconds = 1
INI
}

# ws_open PORT: opens fd WS and reads the 101 head; fails otherwise.
ws_open() {
	local line status=
	exec {WS}<>/dev/tcp/127.0.0.1/"$1"
	printf 'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n' >&"$WS"
	while IFS= read -r -t 5 line <&"$WS"; do
		line=${line%$'\r'}
		[ -n "$status" ] || status=$line
		[ -z "$line" ] && break
	done
	echo "ws status: $status" >&2
	[[ "$status" =~ ^HTTP/1\.1\ 101 ]]
}

# ws_say TEXT: sends one line on fd WS, prints the echoed line.
ws_say() {
	local out
	printf '%s\n' "$1" >&"$WS"
	IFS= read -r -t 5 out <&"$WS" || return 1
	echo "$out"
}

# web_is DEPLOYMENT: web's endpoints are exactly that deployment's pods
# (a function, so that wait_for evaluates it afresh each time).
web_is() { [ "$(svc_endpoints web)" = "$(pods_of "$1")" ]; }

# blue_green_up N ADDR: N blue (0.1.0) and N green (0.2.0) echo pods,
# service web on ADDR selecting blue; returns once every pod is ready and
# web has the N blue ones as endpoints.
blue_green_up() {
	{ berth_header
	  deployment blue echo-0.1.0 0.1.0 "$1" app=echo,color=blue
	  deployment green echo-0.2.0 0.2.0 "$1" app=echo,color=green
	  service web "$2" app=echo,color=blue; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods $(($1 * 2))
	wait_for 10 has_endpoints web "$1"
}

@test "upgrade: a tunnel survives a selector switch until its pod terminates" {
	ws_backend
	{ berth_header
	  ws_deployment wsblue blue
	  ws_deployment wsgreen green
	  service ws 127.0.0.1:18201 app=ws,color=blue; } >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 2
	wait_for 10 has_endpoints ws 1
	ws_open 18201
	[ "$(ws_say hello)" = "blue hello" ]
	old=$WS

	run bctl set selector ws app=ws,color=green
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(svc_endpoints ws)" = "$(pods_of wsgreen)" ]
	# a new upgrade goes to green; the old tunnel still reaches blue
	ws_open 18201
	[ "$(ws_say hi)" = "green hi" ]
	exec {WS}<&-
	WS=$old
	sleep 1 # a window: the switch must not end the old tunnel later either
	[ "$(ws_say "still there")" = "blue still there" ]

	# the blue pod terminates: the tunnel ends (EOF), it does not hang
	blue=$(pods_of wsblue)
	bctl scale wsblue --replicas 0 >/dev/null
	[ "$(ws_say "during grace")" = "blue during grace" ]
	start=$SECONDS
	wait_for 20 has_pods ".name == \"$blue\"" 0
	run timeout 10 cat <&"$WS"
	echo "after termination: status $status, output '$output'"
	[ "$status" -ne 124 ]
	[ $((SECONDS - start)) -le 15 ]
	exec {WS}<&-
	# green still serves upgrades
	ws_open 18201
	[ "$(ws_say bye)" = "green bye" ]
	exec {WS}<&-
}

@test "set selector under load: zero failed requests, then only green" {
	blue_green_up 2 127.0.0.1:18202
	[ "$(svc_endpoints web)" = "$(pods_of blue)" ]
	[ "$(curl -sf http://127.0.0.1:18202/)" = 0.1.0 ]
	wrk -s "$WRK_STATUS" -t2 -c16 -d5s http://127.0.0.1:18202/ >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!
	BG_PIDS=$wrk_pid
	wait_for 10 load_connected 18202 16
	run bctl set selector web app=echo,color=green
	echo "$output"
	[ "$status" -eq 0 ]
	wait "$wrk_pid"
	BG_PIDS=
	wrk_check "$T/wrk.txt"
	for i in $(seq 10); do
		[ "$(curl -sf http://127.0.0.1:18202/)" = 0.2.0 ]
	done
	# one keep-alive client connection, several requests: only green
	out=$(curl -sf http://127.0.0.1:18202/ http://127.0.0.1:18202/ http://127.0.0.1:18202/)
	[ "$out" = "$(printf '0.2.0\n0.2.0\n0.2.0')" ]
}

@test "set selector: an outage is refused unless --force; JSON endpoints follow" {
	blue_green_up 1 127.0.0.1:18203
	[ "$(svc_endpoints web)" = "$(pods_of blue)" ]

	run bctl set selector web app=echo,color=purple
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" =~ outage ]]
	# nothing changed
	[ "$(svc_endpoints web)" = "$(pods_of blue)" ]
	[ "$(bctl get services -o json | jq -r '.services[0].selector.color')" = blue ]
	curl -sf http://127.0.0.1:18203/ | grep -q 0.1.0

	run bctl set selector web app=echo,color=green
	[ "$status" -eq 0 ]
	wait_for 5 web_is green
	[ "$(svc_endpoints web)" = "$(pods_of green)" ]
	[ "$(bctl get services -o json | jq -r '.services[0].selector.color')" = green ]
	curl -sf http://127.0.0.1:18203/ | grep -q 0.2.0

	# selecting both colors: both pods are endpoints
	run bctl set selector web app=echo
	[ "$status" -eq 0 ]
	[ "$(svc_endpoints web)" = "$( (pods_of blue; pods_of green) | sort)" ]

	run bctl set selector web app=echo,color=purple --force
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(svc_endpoints web)" ]
	[ "$(bctl get services -o json | jq -r '.services[0].selector.color')" = purple ]
	run curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:18203/
	[ "$output" = 503 ]

	# an unknown service is an error, not a silent success
	run bctl set selector nosuch app=echo
	[ "$status" -ne 0 ]
}

@test "set selector survives a daemon restart; an edited file wins" {
	blue_green_up 1 127.0.0.1:18207
	run bctl set selector web app=echo,color=green
	[ "$status" -eq 0 ]
	wait_for 5 web_is green
	[ -f "$T/state/selectors.json" ]

	# the daemon dies; the next one adopts the pods and keeps green
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon
	wait_for 30 web_is green
	[ "$(bctl get services -o json | jq -r '.services[0].selector.color')" = green ]
	curl -sf http://127.0.0.1:18207/ | grep -q 0.2.0
	grep -q "selector app=echo,color=green kept" "$T/daemon.log"

	# the file's selector changed while the daemon was down: the file wins
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	sed -i 's/^selector = app=echo,color=blue$/selector = app=echo/' "$T/berth.ini"
	start_daemon
	wait_for 30 has_endpoints web 2
	[ "$(bctl get services -o json | jq -r '.services[0].selector.color')" = null ]
	[ ! -f "$T/state/selectors.json" ]
}

@test "apply is all or nothing for listeners: an address in use moves no service" {
	{ berth_header
	  deployment blue echo-0.1.0 0.1.0 1 app=echo,color=blue
	  service web 127.0.0.1:18208 app=echo; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 1
	wait_for 10 has_endpoints web 1
	# web moves to 18209 while a new service asks for web's old address,
	# which web still holds: the apply fails and nothing moves
	{ berth_header
	  deployment blue echo-0.1.0 0.1.0 1 app=echo,color=blue
	  service web 127.0.0.1:18209 app=echo
	  service other 127.0.0.1:18208 app=echo; } >"$T/moved.ini"
	run bctl apply -f "$T/moved.ini"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" =~ 127.0.0.1:18208 ]]
	curl -sf http://127.0.0.1:18208/ | grep -q 0.1.0
	run curl -s -m 2 http://127.0.0.1:18209/
	[ "$status" -ne 0 ]
	[ "$(bctl get services -o json | jq '.services | length')" -eq 1 ]
}

@test "IPv6: a service listening on [::1]" {
	{ berth_header
	  deployment echo echo-0.1.0 0.1.0 2 app=echo
	  service web6 '[::1]:18204' app=echo
	  service web6tcp '[::1]:18205' app=echo mode=tcp; } >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 2
	wait_for 10 has_endpoints web6 2
	[ "$(bctl get services -o json | jq -r '.services[] | select(.name == "web6") | .listen')" = '[::1]:18204' ]
	for i in 1 2 3 4; do
		[ "$(curl -sf -g 'http://[::1]:18204/')" = 0.1.0 ]
		[ "$(curl -sf -g 'http://[::1]:18205/')" = 0.1.0 ]
	done
	# nothing listens on IPv4 for this service
	run curl -s -m 2 http://127.0.0.1:18204/
	[ "$status" -ne 0 ]
	wrk -s "$WRK_STATUS" -t1 -c8 -d2s 'http://[::1]:18204/' >"$T/wrk.txt" 2>&1
	wrk_check "$T/wrk.txt"
}

# busy_endpoints N: exactly N of web's endpoints have a request in flight
# (the admin listener of the least-conn test).
busy_endpoints() {
	local m
	m=$(curl -sf http://127.0.0.1:18290/metrics) || return 1
	[ "$(echo "$m" | grep -c '^berth_endpoint_active{service="web",pod="[^"]*"} [1-9]')" -eq "$1" ]
}

@test "least-conn: new requests avoid the backends busy with slow ones" {
	{ berth_header | sed 's/^admin = off$/admin = 127.0.0.1:18290/'
	  deployment echo echo-0.1.0 0.1.0 3 app=echo
	  service web 127.0.0.1:18206 app=echo balance=least-conn \
		timeout.response=30; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 3
	wait_for 10 has_endpoints web 3
	# idle backends share the load
	names=$(for i in $(seq 6); do curl -sf http://127.0.0.1:18206/hostname; echo; done)
	echo "$names"
	[ "$(echo "$names" | sort -u | grep -c .)" -eq 3 ]
	# two slow requests hold two backends...
	curl -sf -o "$T/slow1" 'http://127.0.0.1:18206/slow?ms=5000' &
	BG_PIDS="$!"
	wait_for 4 busy_endpoints 1
	curl -sf -o "$T/slow2" 'http://127.0.0.1:18206/slow?ms=5000' &
	BG_PIDS="$BG_PIDS $!"
	wait_for 4 busy_endpoints 2
	# ...so every quick one goes to the third
	names=$(for i in $(seq 6); do curl -sf http://127.0.0.1:18206/hostname; echo; done)
	echo "$names"
	[ "$(echo "$names" | sort -u | grep -c .)" -eq 1 ]
	for pid in $BG_PIDS; do wait "$pid"; done
	BG_PIDS=
	[ "$(cat "$T/slow1")" = 0.1.0 ]
	[ "$(cat "$T/slow2")" = 0.1.0 ]
	# once they are done, all three share again
	busy_endpoints 0
	names=$(for i in $(seq 6); do curl -sf http://127.0.0.1:18206/hostname; echo; done)
	echo "$names"
	[ "$(echo "$names" | sort -u | grep -c .)" -eq 3 ]
}
