#!/usr/bin/env bats
# Kubernetes manifests as berth's config: `up -c app.yaml`, `apply -f` of
# YAML (a rollout under load with no failed request), refused fields named
# with FILE:LINE, and `berth export` whose output a fresh daemon runs to
# the same objects. Ports 20700-20799.

load ../lib/helpers

setup() {
	new_env
}

teardown() {
	teardown_env
}

# berth_yaml_header: the [berth] section as a BerthConfig document.
berth_yaml_header() {
	cat <<YAML
apiVersion: berth.io/v1
kind: BerthConfig
state_dir: $T/state
run_dir: $T/run
admin: "off"
kubernetesAPI: "off"
dashboard: "off"
YAML
}

# app_yaml VERSION REPLICAS: an echo deployment and its service.
app_yaml() {
	berth_yaml_header
	cat <<YAML
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo
  labels: {app: echo}
spec:
  replicas: $2
  selector:
    matchLabels: {app: echo}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: echo}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: echo
        image: $IMAGES/echo-0.1.0
        command: [/bin/echo-version]
        args: [--listen, ":8080"]
        env:
        - name: VERSION
          value: "$1"
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: echo
  annotations:
    berth.io/listen: 127.0.0.1:20701
spec:
  selector: {app: echo}
  ports:
  - port: 20701
    targetPort: 8080
YAML
}

served_version() {
	curl -fsS --max-time 2 http://127.0.0.1:20701/ | grep -q "$1"
}

@test "up -c app.yaml runs the Deployment and the Service" {
	app_yaml 1.0.0 2 >"$T/app.yaml"
	start_daemon "$T/app.yaml"
	wait_for 30 ready_pods 2
	wait_for 10 served_version 1.0.0
	run bctl get deployments -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.deployments[0].name')" = echo ]
}

@test "apply -f of YAML rolls out with no failed request" {
	app_yaml 1.0.0 2 >"$T/app.yaml"
	start_daemon "$T/app.yaml"
	wait_for 30 ready_pods 2
	wait_for 10 served_version 1.0.0
	wrk -t1 -c4 -d8s -s "$WRK_STATUS" http://127.0.0.1:20701/ >"$T/wrk.out" 2>&1 &
	local wrk_pid=$!
	sleep 1
	app_yaml 2.0.0 2 >"$T/app.yaml"
	run bctl apply -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	wait_for 40 served_version 2.0.0
	wait "$wrk_pid"
	wrk_check "$T/wrk.out"
}

@test "a field berth does not run is refused with FILE:LINE" {
	app_yaml 1.0.0 1 >"$T/app.yaml"
	# A second container, on its own line.
	sed -i 's|^        command: \[/bin/echo-version\]|&\n      - name: sidecar\n        image: x:1|' "$T/app.yaml"
	line=$(grep -n 'name: sidecar' "$T/app.yaml" | cut -d: -f1)
	run bctl validate -f "$T/app.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == "$T/app.yaml:$line: Deployment echo: spec.template.spec.containers[1]: berth runs one container per pod"* ]]
}

@test "export gives manifests a fresh daemon runs to the same objects" {
	app_yaml 1.0.0 2 >"$T/app.yaml"
	start_daemon "$T/app.yaml"
	wait_for 30 ready_pods 2
	bctl scale deployment/echo --replicas 3
	wait_for 30 ready_pods 3
	run bctl export
	[ "$status" -eq 0 ]
	echo "$output" >"$T/export.yaml"
	# Clean manifests: no status, uid or resourceVersion.
	run grep -E '^ *(status|uid|resourceVersion):' "$T/export.yaml"
	[ "$status" -eq 1 ]
	bctl export -o json >"$T/export1.json"
	[ "$(jq -r '.items[0].spec.replicas' "$T/export1.json")" = 3 ]

	# A fresh daemon (own state and run dirs) from the export.
	timeout 60 "$BERTH" down >/dev/null
	wait_for 20 eval '! kill -0 "$DAEMON_PID" 2>/dev/null'
	rm -rf "$T/state" "$T/run"
	{ berth_yaml_header; echo ---; cat "$T/export.yaml"; } >"$T/again.yaml"
	start_daemon "$T/again.yaml"
	wait_for 30 ready_pods 3
	wait_for 10 served_version 1.0.0
	bctl export -o json >"$T/export2.json"
	diff <(jq -S . "$T/export1.json") <(jq -S . "$T/export2.json")
}
