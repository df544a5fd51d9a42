#!/usr/bin/env bats
# Services and the proxy with real runc: round-robin across replicas,
# blue/green by selector under load, kill -9 of a backend under load,
# keep-alive clients across swaps, 504 at the response timeout, tcp mode
# against a non-HTTP server, and the admin listener. Every address is on
# 127.0.0.1, ports 18000-18999; every load run is bounded in time.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	[ -z "${wrk_pid:-}" ] || kill "$wrk_pid" 2>/dev/null || true
	teardown_env
}

# service NAME PORT SELECTOR [extra keys...]
service() {
	cat <<INI

[service $1]
listen = 127.0.0.1:$2
selector = $3
targetPort = 8080
INI
	shift 3
	for kv in "$@"; do echo "$kv"; done
}

endpoints() { # endpoints SERVICE: number of endpoints listed
	bctl get services -o json |
		jq "[.services[] | select(.name == \"$1\") | .endpoints[]] | length"
}

has_endpoints() { [ "$(endpoints "$1")" -eq "$2" ]; }

@test "http: requests are balanced round-robin across 3 replicas" {
	{ berth_header; deployment echo echo-0.1.0 0.1.0 3 app=echo
	  service web 18101 app=echo; } >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 3
	wait_for 10 has_endpoints web 3
	names=$(for i in 1 2 3 4 5 6; do curl -sf http://127.0.0.1:18101/hostname | tr -d '\n'; echo; done)
	echo "$names"
	[ "$(echo "$names" | sort -u | wc -l)" -eq 3 ]
	# each pod answered exactly twice
	[ "$(echo "$names" | sort | uniq -c | awk '{print $1}' | sort -u)" = 2 ]
	# forwarding headers reach the backend's access to them: at least the
	# proxy answered with the backend's body and kept HTTP/1.1
	run curl -s -o /dev/null -w '%{http_code} %{http_version}' http://127.0.0.1:18101/
	[ "$output" = "200 1.1" ]
}

@test "http: no endpoint is 503 with a body, never a hang" {
	{ berth_header; deployment echo echo-0.1.0 0.1.0 1 app=echo
	  service web 18102 app=nothing; } >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 1
	run curl -s -m 5 -w ' %{http_code}' http://127.0.0.1:18102/
	[[ "$output" =~ "no ready endpoint".*503$ ]]
}

@test "blue/green: apply of a new selector under load drops nothing" {
	{ berth_header
	  deployment blue echo-0.1.0 0.1.0 2 app=echo,color=blue
	  deployment green echo-0.2.0 0.2.0 2 app=echo,color=green
	  service web 18103 app=echo,color=blue; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 4
	wait_for 10 has_endpoints web 2
	[ "$(curl -sf http://127.0.0.1:18103/)" = 0.1.0 ]
	wrk -s "$WRK_STATUS" -t1 -c8 -d5s http://127.0.0.1:18103/ >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!
	wait_for 10 load_connected 18103 8
	sed -i 's/^selector = app=echo,color=blue$/selector = app=echo,color=green/' "$T/berth.ini"
	run bctl apply -f "$T/berth.ini"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "service/web configured" ]]
	wait "$wrk_pid"
	wrk_check "$T/wrk.txt"
	for i in 1 2 3 4 5 6; do
		[ "$(curl -sf http://127.0.0.1:18103/)" = 0.2.0 ]
	done
}

@test "blue/green: set selector switches at once; an outage needs --force" {
	{ berth_header
	  deployment blue echo-0.1.0 0.1.0 2 app=echo,color=blue
	  deployment green echo-0.2.0 0.2.0 2 app=echo,color=green
	  service web 18104 app=echo,color=blue; } >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 4
	wait_for 10 has_endpoints web 2
	run bctl set selector web app=echo,color=purple
	[ "$status" -eq 1 ]
	[[ "$output" =~ "matches no ready pod" ]]
	[[ "$output" =~ "outage" ]]
	[ "$(curl -sf http://127.0.0.1:18104/)" = 0.1.0 ]
	# a keep-alive client: one connection, many requests, across the swap
	wrk -s "$WRK_STATUS" -t1 -c4 -d4s http://127.0.0.1:18104/ >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!
	wait_for 10 load_connected 18104 4
	run bctl set selector web app=echo,color=green
	[ "$status" -eq 0 ]
	wait "$wrk_pid"
	wrk_check "$T/wrk.txt"
	for i in 1 2 3 4; do
		[ "$(curl -sf http://127.0.0.1:18104/)" = 0.2.0 ]
	done
	run bctl get services -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.services[0].selector.color')" = green ]
	run bctl set selector web app=echo,color=purple --force
	[ "$status" -eq 0 ]
	run curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:18104/
	[ "$output" = 503 ]
	# apply resets the override to the file's selector
	run bctl apply -f "$T/berth.ini"
	[ "$status" -eq 0 ]
	[ "$(curl -sf http://127.0.0.1:18104/)" = 0.1.0 ]
}

@test "kill -9 of a backend under load: no failed GET" {
	{ berth_header; deployment echo echo-0.1.0 0.1.0 3 app=echo
	  service web 18105 app=echo; } >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 3
	wait_for 10 has_endpoints web 3
	victim=$(pods_json | jq -r '.pods[0].pid')
	[ "$victim" -gt 0 ]
	wrk -s "$WRK_STATUS" -t1 -c16 -d5s http://127.0.0.1:18105/ >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!
	wait_for 10 load_connected 18105 16
	kill -9 "$victim"
	wait "$wrk_pid"
	wrk_check "$T/wrk.txt"
}

@test "keep-alive client sees no reset while pods roll away under it" {
	{ berth_header; deployment echo echo-0.1.0 0.1.0 2 app=echo
	  service web 18106 app=echo; } >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 2
	wait_for 10 has_endpoints web 2
	wrk -s "$WRK_STATUS" -t1 -c4 -d5s http://127.0.0.1:18106/ >"$T/wrk.txt" 2>&1 &
	wrk_pid=$!
	wait_for 10 load_connected 18106 4
	# delete both pods one after the other: replacements take over
	for p in $(pod_names); do
		bctl delete pod "$p" >/dev/null
		wait_for 30 ready_pods 2
		wait_for 10 has_endpoints web 2
	done
	wait "$wrk_pid"
	wrk_check "$T/wrk.txt"
}

@test "slow backend: 504 at the response timeout" {
	{ berth_header; deployment echo echo-0.1.0 0.1.0 1 app=echo
	  service web 18107 app=echo timeout.response=1; } >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 1
	wait_for 10 has_endpoints web 1
	start=$SECONDS
	run curl -s -m 10 -w ' %{http_code}' 'http://127.0.0.1:18107/slow?ms=4000'
	echo "$output"
	[[ "$output" =~ 504$ ]]
	[ $((SECONDS - start)) -le 3 ]
	# the service still answers afterwards
	curl -sf http://127.0.0.1:18107/ | grep -q 0.1.0
}

@test "tcp mode: a non-HTTP echo server, balanced per connection" {
	{ berth_header; cat <<INI

[deployment nc]
image = $IMAGES/echo-0.1.0
command = /usr/bin/nc
args = -ll -p 9000 -e /bin/cat
replicas = 2
labels = app=nc
port = 9000
terminationGracePeriodSeconds = 2
readinessProbe.tcpSocket.port = 9000
readinessProbe.periodSeconds = 1
INI
	  cat <<INI

[service raw]
listen = 127.0.0.1:18108
selector = app=nc
targetPort = 9000
mode = tcp
INI
	} >"$T/berth.ini"
	sed -i 's/^admin = off$/admin = 127.0.0.1:18191/' "$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 2
	wait_for 10 has_endpoints raw 2
	for i in 1 2 3 4; do
		exec {sock}<>/dev/tcp/127.0.0.1/18108
		printf 'hello %s\n' "$i" >&"$sock"
		read -r -t 5 out <&"$sock"
		exec {sock}<&-
		[ "$out" = "hello $i" ]
	done
	# both replicas served connections
	run curl -sf http://127.0.0.1:18191/metrics
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^berth_endpoint_requests_total{service="raw",pod="nc-[^"]*"} 2$')" -eq 2 ]
}

@test "admin listener: /healthz and /metrics" {
	{ berth_header | sed 's/^admin = off$/admin = 127.0.0.1:18190/'
	  deployment echo echo-0.1.0 0.1.0 1 app=echo
	  service web 18109 app=echo; } >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 1
	wait_for 10 has_endpoints web 1
	curl -sf http://127.0.0.1:18109/ >/dev/null
	[ "$(curl -sf http://127.0.0.1:18190/healthz)" = ok ]
	run curl -sf http://127.0.0.1:18190/metrics
	[ "$status" -eq 0 ]
	[[ "$output" =~ berth_service_requests_total\{service=\"web\",code=\"2xx\"\}\ [1-9] ]]
	[[ "$output" =~ berth_endpoint_up\{service=\"web\",pod=\"echo- ]]
	[[ "$output" =~ berth_service_request_duration_seconds_bucket ]]
	[[ "$output" =~ berth_service_active_connections ]]
}
