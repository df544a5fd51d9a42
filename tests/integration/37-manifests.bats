#!/usr/bin/env bats
# Kubernetes manifests as berth's config: `up -c app.yaml`, `apply -f` of
# YAML (a rollout under load with no failed request), refused fields named
# with FILE:LINE, and `berth export` whose output a fresh daemon runs to
# the same objects; named ports (a Service's targetPort and a readiness
# probe's port given by name) through a rollout that moves the number
# under load, written back by export and the Kubernetes API. Ports
# 20700-20799 and 21500-21599 (named ports: service 21501, API 21502).

load ../lib/helpers
load ../lib/kube

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

# named_yaml VERSION PORT: the echo deployment (2 pods) listening on PORT,
# its container port named `http`, its readiness probe on `http`, and a
# service on 127.0.0.1:21501 whose targetPort is `http`; the Kubernetes
# API on 127.0.0.1:21502.
named_yaml() {
	berth_yaml_header | sed 's/^kubernetesAPI: .*/kubernetesAPI: 127.0.0.1:21502/'
	cat <<YAML
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo
  labels: {app: echo}
spec:
  replicas: 2
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
        args: [--listen, ":$2"]
        env:
        - name: VERSION
          value: "$1"
        ports:
        - containerPort: $2
          name: http
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: echo
  annotations:
    berth.io/listen: 127.0.0.1:21501
spec:
  selector: {app: echo}
  ports:
  - port: 21501
    targetPort: http
YAML
}

named_served() {
	curl -fsS --max-time 2 http://127.0.0.1:21501/ | grep -q "$1"
}

@test "named ports: targetPort and a probe port by name, a rollout that moves the number under load, written back" {
	named_yaml 1.0.0 8080 >"$T/app.yaml"
	start_daemon "$T/app.yaml"
	wait_for 30 ready_pods 2
	wait_for 10 named_served 1.0.0
	# the first revision's pod-template-hash, from a pod's name
	local h1
	h1=$(pod_names | head -1 | awk -F- '{print $(NF-1)}')
	[ -n "$h1" ]

	# Revision 2 listens on 8081, still named http: each endpoint is its
	# own pod's number, so old and new pods serve side by side.
	wrk -t1 -c4 -d10s -s "$WRK_STATUS" http://127.0.0.1:21501/ >"$T/wrk.out" 2>&1 &
	local wrk_pid=$!
	wait_for 10 load_connected 21501 1
	named_yaml 2.0.0 8081 >"$T/app.yaml"
	run bctl apply -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" != *warning* ]]
	wait_for 40 named_served 2.0.0
	wait_for 60 eval '! pod_names | grep -q -- "-$h1-" && ready_pods 2'
	wait "$wrk_pid"
	wrk_check "$T/wrk.out"
	for _ in 1 2 3 4; do named_served 2.0.0; done

	# berth export and the Kubernetes API write the names back.
	bctl export -o json >"$T/export.json"
	jq -e '.items[] | select(.kind == "Service") | .spec.ports[0].targetPort == "http"' "$T/export.json"
	jq -e '.items[] | select(.kind == "Deployment") | .spec.template.spec.containers[0] | .readinessProbe.httpGet.port == "http" and .ports[0].name == "http" and .ports[0].containerPort == 8081' "$T/export.json"
	kcurl https://127.0.0.1:21502/api/v1/namespaces/default/services/echo >"$T/svc.json"
	jq -e '.spec.ports[0].targetPort == "http"' "$T/svc.json"
	kcurl https://127.0.0.1:21502/apis/apps/v1/namespaces/default/deployments/echo >"$T/dep.json"
	jq -e '.spec.template.spec.containers[0].readinessProbe.httpGet.port == "http"' "$T/dep.json"
	if [ -x "$KUBECTL" ]; then
		[ "$(kctl get service echo -o jsonpath='{.spec.ports[0].targetPort}')" = http ]
	fi

	# A probe port no container port is named after: refused at apply,
	# naming the field and the name; nothing changes.
	sed 's/httpGet: {path: \/healthz, port: http}/httpGet: {path: \/healthz, port: web}/' "$T/app.yaml" >"$T/bad.yaml"
	line=$(grep -n 'port: web}' "$T/bad.yaml" | cut -d: -f1)
	run bctl apply -f "$T/bad.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$T/bad.yaml:$line: readinessProbe.httpGet.port: the container has no port named \`web\` (its port 8081 is named \`http\`)"* ]]
	named_served 2.0.0

	# A targetPort name no selected deployment has: a warning at apply,
	# and the pods are no endpoints (said once per pod).
	sed 's/targetPort: http/targetPort: metrics/' "$T/app.yaml" >"$T/other.yaml"
	run bctl validate -f "$T/other.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: service echo: no deployment it selects has a container port named \`metrics\` (targetPort)"* ]]
	run bctl apply -f "$T/other.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: service/echo: no deployment it selects has a container port named \`metrics\`"* ]]
	run curl -sS --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:21501/
	[ "$output" = 503 ]
	bctl get pods -o json | jq -e '[.pods[] | select(.ready)] | length == 2'
	[ "$(bctl events -o json | jq '[.events[] | select(.reason == "NoNamedPort")] | length')" -eq 2 ]
	[ "$(bctl events -o json | jq '[.events[] | select(.reason == "NoNamedPort") | .count] | add')" -eq 2 ]
	[ "$(grep -c 'no container port named `metrics`' "$T/daemon.log")" -eq 2 ]
}
