#!/usr/bin/env bats
# Writes through the Kubernetes API with real runc and the real kubectl
# 1.32 (skipped, visibly, when it is not installed): apply -f (client-side
# and --server-side) of a Deployment and a Service, objects made through
# the API kept across `berth apply -f FILE` and a restart, set image →
# rollout status, history, undo --to-revision, pause/resume/restart with
# no failed request through the service, patch in all three --type's, the
# seed's commands (patch … image, a Service selector from blue to green),
# delete -f, and the errors: a field berth cannot honour (422 naming it),
# a stale resourceVersion (409), a bare pod (405).
# Addresses: 127.0.0.1, ports 26500-26599 (API 26500-26502, services
# 26580-26582).

load ../lib/helpers
load ../lib/kube

setup() {
	new_env
}

teardown() {
	teardown_env
}

start_kube() {
	kube_ini 127.0.0.1:26500 | sed 's/26480/26580/' >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
}

# app_yaml IMAGE [REPLICAS]: a Deployment `api` and a Service `apisvc`
# (127.0.0.1:26581) as a user writes them.
app_yaml() {
	cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels:
    team: edge
spec:
  replicas: ${2:-2}
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: server
        image: $1
        command: ["/bin/echo-version"]
        args: ["--listen", ":8080"]
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet:
            path: /healthz
            port: 8080
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: apisvc
spec:
  selector:
    app: api
  ports:
  - port: 26581
    targetPort: 8080
YAML
}

api_ready() {
	[ "$(kctl get deploy api -o jsonpath='{.status.readyReplicas}')" = "${1:-2}" ]
}

@test "kubectl apply -f (client-side): create, unchanged, kept by berth apply and a restart, delete -f" {
	need_kubectl
	start_kube
	app_yaml "$IMAGES/echo-0.1.0" >"$T/app.yaml"
	run kctl apply -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/api created"* ]]
	[[ "$output" == *"service/apisvc created"* ]]
	wait_for 60 api_ready
	curl -sf http://127.0.0.1:26581/ | grep -q 0.1.0
	run kctl apply -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/api unchanged"* ]]
	[[ "$output" == *"service/apisvc unchanged"* ]]
	# The container keeps its name, the object its labels and kubectl's
	# last applied configuration.
	kctl get deploy api -o json >"$T/api.json"
	jqt '.spec.template.spec.containers[0].name == "server"' "$T/api.json"
	jqt '.metadata.labels.team == "edge"' "$T/api.json"
	jqt '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] | fromjson | .metadata.name == "api"' "$T/api.json"

	# A change applied: a new revision rolls out.
	app_yaml "$IMAGES/echo-0.2.0" 3 >"$T/app.yaml"
	run kctl apply -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/api configured"* ]]
	run kctl rollout status deploy/api --timeout 90s
	[ "$status" -eq 0 ]
	[[ "$output" == *'deployment "api" successfully rolled out'* ]]
	api_ready 3
	curl -sf http://127.0.0.1:26581/ | grep -q 0.2.0

	# `berth apply -f FILE` neither deletes nor changes them.
	run "$BERTH" apply -f "$T/berth.ini"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/api unchanged"* ]]
	[[ "$output" == *"service/apisvc unchanged"* ]]
	run kctl get deploy/api svc/apisvc
	[ "$status" -eq 0 ]

	# A file that names them is refused, naming the conflict.
	sed 's/^\[deployment echo\]/[deployment api]/' "$T/berth.ini" >"$T/clash.ini"
	run "$BERTH" apply -f "$T/clash.ini"
	[ "$status" -ne 0 ]
	[[ "$output" == *"deployment \`api\` was created through the Kubernetes API"* ]]

	# A restart makes them again from their records.
	"$BERTH" down >/dev/null
	wait "$DAEMON_PID" || true
	start_daemon
	wait_for 60 api_ready 3
	curl -sf http://127.0.0.1:26581/ | grep -q 0.2.0
	[ "$(kctl get deploy api -o jsonpath='{.spec.template.spec.containers[0].image}')" = "$IMAGES/echo-0.2.0" ]

	run kctl delete -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *'deployment.apps "api" deleted'* ]]
	[[ "$output" == *'service "apisvc" deleted'* ]]
	run kctl get deploy api
	[ "$status" -ne 0 ]
	[[ "$output" == *"NotFound"* ]]
	wait_for 60 test "$(count_pods '.name | startswith("api-")')" -eq 0
	run curl -s -m 2 http://127.0.0.1:26581/
	[ "$status" -ne 0 ]
	# ... and stay deleted after an apply of the file.
	"$BERTH" apply -f "$T/berth.ini" >/dev/null
	run kctl get deploy api
	[ "$status" -ne 0 ]
}
