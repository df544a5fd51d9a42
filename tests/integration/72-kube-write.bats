#!/usr/bin/env bats
# Writes through the Kubernetes API with real runc and the real kubectl
# 1.32 (skipped, visibly, when it is not installed): apply -f (client-side
# and --server-side) of a Deployment and a Service, objects made through
# the API kept across `berth apply -f FILE` and a restart, set image →
# rollout status, history, undo --to-revision, pause/resume/restart with
# no failed request through the service, patch in all three --type's, the
# seed's commands (patch … image, a Service selector from blue to green),
# delete -f, `berth export` applied with kubectl to a fresh daemon (the
# same objects), and the errors: a field berth cannot honour (422 naming it),
# a stale resourceVersion (409), a bare pod (405).
# Addresses: 127.0.0.1, ports 26500-26599 (API 26500-26502, services
# 26580-26582).

load ../lib/kube_env

start_kube() {
	kube_start 26500 26580
}

# app_yaml IMAGE [REPLICAS]: a Deployment `api` and a Service `apisvc`
# (127.0.0.1:26581) as a user writes them; its env value LONG has 1000
# characters (no line or value limit on the way in).
app_yaml() {
	local long
	long=$(printf '%01000d' 7)
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
        env:
        - name: LONG
          value: "$long"
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

# api_pods_gone: no pod of the deployment `api` is left.
api_pods_gone() {
	[ "$(count_pods '.name | startswith("api-")')" -eq 0 ]
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
	jqt '.spec.template.spec.containers[0].env[0].value | length == 1000' "$T/api.json"
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
	[ "$(kctl get deploy api -o jsonpath='{.spec.template.spec.containers[0].env[0].value}' | wc -c)" -eq 1000 ]

	run kctl delete -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *'deployment.apps "api" deleted'* ]]
	[[ "$output" == *'service "apisvc" deleted'* ]]
	run kctl get deploy api
	[ "$status" -ne 0 ]
	[[ "$output" == *"NotFound"* ]]
	wait_for 60 api_pods_gone
	run curl -s -m 2 http://127.0.0.1:26581/
	[ "$status" -ne 0 ]
	# ... and stay deleted after an apply of the file.
	"$BERTH" apply -f "$T/berth.ini" >/dev/null
	run kctl get deploy api
	[ "$status" -ne 0 ]
}

@test "export round trip: berth export, a fresh daemon, kubectl apply -f, the same objects" {
	need_kubectl
	start_kube
	app_yaml "$IMAGES/echo-0.1.0" 1 >"$T/app.yaml"
	kctl apply -f "$T/app.yaml" >/dev/null
	wait_for 60 api_ready 1
	"$BERTH" export >"$T/export.yaml"
	"$BERTH" export -o json >"$T/export1.json"
	jqt '[.items[].metadata.name] | sort == ["api", "apisvc", "echo", "web"]' "$T/export1.json"

	# A fresh daemon (new state and run dirs) with the file alone.
	timeout 60 "$BERTH" down >/dev/null
	wait_for 20 eval '! kill -0 "$DAEMON_PID" 2>/dev/null'
	rm -rf "$T/state" "$T/run" "$T/kcache"
	start_daemon
	wait_for 60 ready_pods 2
	run kctl apply -f "$T/export.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/api created"* ]]
	[[ "$output" == *"service/apisvc created"* ]]
	wait_for 60 api_ready 1
	"$BERTH" export -o json >"$T/export2.json"
	diff <(jq -S . "$T/export1.json") <(jq -S . "$T/export2.json")
	# Read through the API and written back: nothing changes.
	kctl get deploy api -o yaml >"$T/api.yaml"
	run kctl replace -f "$T/api.yaml"
	[ "$status" -eq 0 ]
	[ "$(kctl get rs -o name | grep -c '^replicaset.apps/api-')" -eq 1 ]
}

@test "kubectl apply --server-side: create, change, a field dropped is removed" {
	need_kubectl
	start_kube
	app_yaml "$IMAGES/echo-0.1.0" 1 >"$T/app.yaml"
	run kctl apply --server-side -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/api serverside-applied"* ]]
	[[ "$output" == *"service/apisvc serverside-applied"* ]]
	wait_for 60 api_ready 1
	# minReadySeconds applied, then no longer: the manager's field goes.
	sed 's/^  replicas: 1$/  replicas: 2\n  minReadySeconds: 1/' "$T/app.yaml" >"$T/app2.yaml"
	run kctl apply --server-side -f "$T/app2.yaml"
	[ "$status" -eq 0 ]
	[ "$(kctl get deploy api -o jsonpath='{.spec.minReadySeconds}')" = 1 ]
	wait_for 60 api_ready 2
	run kctl apply --server-side -f "$T/app.yaml"
	[ "$status" -eq 0 ]
	[ "$(kctl get deploy api -o jsonpath='{.spec.minReadySeconds}')" = 0 ]
	[ "$(kctl get deploy api -o jsonpath='{.spec.replicas}')" = 1 ]
	run kctl delete -f "$T/app.yaml"
	[ "$status" -eq 0 ]
}

@test "set image, rollout status/history/undo --to-revision, pause/resume/restart, with no failed request" {
	need_kubectl
	start_kube
	wrk -s "$WRK_STATUS" -t1 -c4 -d20s http://127.0.0.1:26580/ >"$T/wrk.txt" 2>&1 &
	local wrk_pid=$!
	wait_for 10 load_connected 26580 4

	# The seed's `kubectl get pod -w`, watching the rollout.
	timeout 120 "$KUBECTL" --kubeconfig "$T/state/kubeconfig" \
		--cache-dir "$T/kcache" get pod -w >"$T/w.out" 2>&1 &
	local kw=$!
	wait_for 10 sh -c "[ \$(wc -l <'$T/w.out') -ge 3 ]"

	run kctl set image deployment/echo echo="$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo image updated"* ]]
	run kctl rollout status deployment/echo --timeout 90s
	[ "$status" -eq 0 ]
	[[ "$output" == *'deployment "echo" successfully rolled out'* ]]
	[ "$(curl -sf http://127.0.0.1:26580/)" = 0.2.0 ]
	kill "$kw" 2>/dev/null || true
	wait "$kw" 2>/dev/null || true
	# Old pods seen Terminating, two new ones seen Running.
	grep -q "^echo-.* Terminating " "$T/w.out"
	[ "$(awk '$3 == "Running" && $2 == "1/1" {print $1}' "$T/w.out" | sort -u | wc -l)" -ge 4 ]

	# The seed's command: kubectl patch … image.
	run kctl patch deployment echo -p "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"echo\",\"image\":\"$IMAGES/echo-0.1.0\"}]}}}}"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo patched"* ]]
	run kctl rollout status deployment/echo --timeout 90s
	[ "$status" -eq 0 ]
	run kctl rollout history deployment/echo
	[ "$status" -eq 0 ]
	# Revision 1's template came back as revision 3.
	[[ "$output" == *$'\n2 '*$'\n3 '* ]]
	[[ "$output" != *$'\n1 '* ]]

	# undo --to-revision re-uses the old ReplicaSet.
	run kctl rollout undo deployment/echo --to-revision=2
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo rolled back"* ]]
	run kctl rollout status deployment/echo --timeout 90s
	[ "$status" -eq 0 ]
	[ "$(curl -sf http://127.0.0.1:26580/)" = 0.2.0 ]
	[ "$(kctl get rs -o name | wc -l)" -eq 2 ]
	[ "$(kctl get deploy echo -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" = 4 ]

	# pause: a new template waits; resume rolls it out; restart stamps.
	run kctl rollout pause deployment/echo
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo paused"* ]]
	kctl set image deployment/echo echo="$IMAGES/echo-0.1.0" >/dev/null
	sleep 2
	[ "$(curl -sf http://127.0.0.1:26580/)" = 0.2.0 ]
	run kctl rollout resume deployment/echo
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo resumed"* ]]
	run kctl rollout status deployment/echo --timeout 90s
	[ "$status" -eq 0 ]
	[ "$(curl -sf http://127.0.0.1:26580/)" = 0.1.0 ]
	run kctl rollout restart deployment/echo
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo restarted"* ]]
	run kctl rollout status deployment/echo --timeout 90s
	[ "$status" -eq 0 ]
	kctl get deploy echo -o json | jqt '.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] | length > 0'

	wait "$wrk_pid"
	wrk_check "$T/wrk.txt"
}

@test "kubectl patch in all three types, a Service from blue to green, and the errors" {
	need_kubectl
	start_kube
	run kctl patch deployment echo --type=merge -p '{"spec":{"replicas":3}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment.apps/echo patched"* ]]
	wait_for 60 ready_pods 3
	run kctl patch deployment echo --type=json -p '[{"op":"replace","path":"/spec/replicas","value":1},{"op":"add","path":"/spec/minReadySeconds","value":2}]'
	[ "$status" -eq 0 ]
	[ "$(kctl get deploy echo -o jsonpath='{.spec.replicas}/{.spec.minReadySeconds}')" = 1/2 ]
	run kctl patch deployment echo -p '{"spec":{"minReadySeconds":null,"replicas":2}}'
	[ "$status" -eq 0 ]
	[ "$(kctl get deploy echo -o jsonpath='{.spec.replicas}/{.spec.minReadySeconds}')" = 2/0 ]
	wait_for 60 ready_pods 2
	# A patch that takes apiVersion and kind out: the URL names them.
	run kctl patch deployment echo --type=json -p '[{"op":"remove","path":"/apiVersion"},{"op":"remove","path":"/kind"},{"op":"replace","path":"/spec/minReadySeconds","value":1}]'
	[ "$status" -eq 0 ]
	run kctl patch deployment echo --type=merge -p '{"apiVersion":null,"kind":null,"spec":{"minReadySeconds":null}}'
	[ "$status" -eq 0 ]
	[ "$(kctl get deploy echo -o jsonpath='{.apiVersion}/{.kind}/{.spec.minReadySeconds}')" = apps/v1/Deployment/0 ]

	# A failed JSON patch test changes nothing.
	run kctl patch deployment echo --type=json -p '[{"op":"test","path":"/spec/replicas","value":9},{"op":"replace","path":"/spec/replicas","value":5}]'
	[ "$status" -ne 0 ]
	[[ "$output" == *"test failed"* ]]
	[ "$(kctl get deploy echo -o jsonpath='{.spec.replicas}')" = 2 ]

	# A field berth cannot honour: 422 naming it, nothing changed.
	run kctl patch deployment echo -p '{"spec":{"template":{"spec":{"initContainers":[{"name":"i","image":"x"}]}}}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *'The Deployment "echo" is invalid: spec.template.spec.initContainers: field not supported by berth'* ]]
	run kctl patch deployment echo -p '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"x"}]}}}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"spec.template.spec.containers"*"one container"* ]]
	[ "$(kctl get rs -o name | wc -l)" -eq 1 ]
	# A stale resourceVersion: 409.
	kctl get deploy echo -o json | jq '.metadata.resourceVersion = "1" | .spec.replicas = 3' >"$T/stale.json"
	run kctl replace -f "$T/stale.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *"(Conflict)"* ]]
	# No bare pods.
	run kctl run bare --image=x --restart=Never
	[ "$status" -ne 0 ]
	[[ "$output" == *"MethodNotAllowed"*"bare pods"* ]]
	# Strict validation (create sends fieldValidation=Strict).
	app_yaml "$IMAGES/echo-0.1.0" | sed 's/^  replicas:/  replicaz:/' >"$T/typo.yaml"
	run kctl create -f "$T/typo.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"spec.replicaz"* ]]

	# The seed's Service selector from blue to green.
	run kctl patch service web -p '{"spec":{"selector":{"app":"nothing"}}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"service/web patched"* ]]
	[ "$(kctl get svc web -o jsonpath='{.spec.selector.app}')" = nothing ]
	run curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:26580/
	[ "$output" = 503 ]
	run kctl patch service web --type=merge -p '{"spec":{"selector":{"app":"echo"}}}'
	[ "$status" -eq 0 ]
	[ "$(curl -sf http://127.0.0.1:26580/)" = 0.1.0 ]
	# The rest of a file's service is the file's.
	run kctl patch service web --type=json -p '[{"op":"replace","path":"/spec/ports/0/port","value":26582}]'
	[ "$status" -ne 0 ]
	[[ "$output" == *"comes from the config file"* ]]
}
