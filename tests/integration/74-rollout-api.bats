#!/usr/bin/env bats
# Argo Rollouts' Rollout through the Kubernetes API with real runc and the
# real kubectl 1.32 (skipped, visibly, when it is not installed): aggregated
# discovery negotiated by Accept (v2, v2beta1, legacy) with the exact
# Content-Type, `kubectl apply -f` of a Rollout with canary steps and a
# Service, `kubectl get ro` with Argo's columns, the canary reaching its
# pause (`berth rollout status`, the Rollout's status), `berth export`
# writing it back as a Rollout, and a fresh daemon given the export having
# the same object; an AnalysisTemplate and a BlueGreen Rollout through
# kubectl (a template in use is kept, a field berth does not run refused by
# name, no strategic merge patch), kept across `berth apply` and a restart.
# Addresses: 127.0.0.1, ports 20900-20999 (API 20900, services 20981-20983).

load ../lib/kube_env

# rollout_yaml VERSION: a Service `websvc` and a Rollout `web` (2 replicas,
# steps setWeight 20, pause) as a user writes them.
rollout_yaml() {
	cat <<YAML
apiVersion: v1
kind: Service
metadata:
  name: websvc
spec:
  selector:
    app: web
  ports:
  - port: 20981
    targetPort: 8080
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: web
        image: $IMAGES/echo-$1
        command: ["/bin/echo-version"]
        args: ["--listen", ":8080"]
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet:
            path: /healthz
            port: 8080
          periodSeconds: 1
  strategy:
    canary:
      steps:
      - setWeight: 20
      - pause: {}
YAML
}

ro_json() {
	kctl get ro web -o json
}

ro_is() { # ro_is JQ_FILTER: the Rollout's JSON satisfies it
	ro_json | jqt "$1"
}

@test "aggregated discovery: v2, v2beta1 only when asked, legacy otherwise" {
	need_kubectl
	BERTH_KUBE_API=127.0.0.1:20900 berth_header >"$T/berth.ini"
	start_daemon
	wait_for 20 kcurl https://127.0.0.1:20900/version
	local v2='application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'
	local v2b='application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'
	kcurl https://127.0.0.1:20900/apis -D "$T/h" -o "$T/apis.json" \
		-H "Accept: $v2,$v2b,application/json"
	grep -qix "content-type: $v2"$'\r' "$T/h"
	jqt '.kind == "APIGroupDiscoveryList" and .apiVersion == "apidiscovery.k8s.io/v2"' "$T/apis.json"
	jqt '[.items[] | select(.metadata.name == "argoproj.io") | .versions[0].resources[] | select(.resource == "rollouts") | .shortNames[0]] == ["ro"]' "$T/apis.json"
	kcurl https://127.0.0.1:20900/api -D "$T/h" -o "$T/api.json" -H "Accept: $v2b"
	grep -qix "content-type: $v2b"$'\r' "$T/h"
	jqt '.apiVersion == "apidiscovery.k8s.io/v2beta1" and .items[0].metadata.name == ""' "$T/api.json"
	kcurl https://127.0.0.1:20900/apis -D "$T/h" -o "$T/legacy.json" -H 'Accept: application/json'
	grep -qix 'content-type: application/json'$'\r' "$T/h"
	jqt '.kind == "APIGroupList" and ([.groups[].name] == ["apps", "argoproj.io"])' "$T/legacy.json"
	kcurl https://127.0.0.1:20900/apis/argoproj.io/v1alpha1 -o "$T/argo.json"
	jqt '[.resources[].name] == ["rollouts", "analysistemplates"]' "$T/argo.json"
	# kubectl finds the kinds through it (its own cache folder).
	run kctl api-resources --api-group argoproj.io
	[ "$status" -eq 0 ]
	[[ "$output" == *"rollouts"*"ro"*"argoproj.io/v1alpha1"*"true"*"Rollout"* ]]
}

@test "kubectl apply -f of a Rollout: get ro, the canary's pause, export, a fresh daemon" {
	need_kubectl
	BERTH_KUBE_API=127.0.0.1:20900 berth_header >"$T/berth.ini"
	start_daemon
	rollout_yaml 0.1.0 >"$T/ro.yaml"
	run kctl apply -f "$T/ro.yaml"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == *"service/websvc created"* ]]
	[[ "$output" == *"rollout.argoproj.io/web created"* ]]
	wait_for 60 ready_pods 2
	wait_for 20 ro_is '.status.availableReplicas == 2 and .status.phase == "Healthy"'
	run kctl get ro
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^NAME\ +DESIRED\ +CURRENT\ +UP-TO-DATE\ +AVAILABLE\ +AGE$ ]]
	[[ "${lines[1]}" =~ ^web\ +2\ +2\ +2\ +2\ +[0-9]+s$ ]]
	run kctl apply -f "$T/ro.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rollout.argoproj.io/web unchanged"* ]]
	# A body without apiVersion and kind takes the URL's.
	ro_json | jq 'del(.apiVersion, .kind, .status, .metadata.resourceVersion)' >"$T/nokind.json"
	run kcurl "https://127.0.0.1:20900/apis/argoproj.io/v1alpha1/namespaces/default/rollouts/web?dryRun=All" \
		-X PUT -H 'Content-Type: application/json' --data-binary @"$T/nokind.json" \
		-o "$T/put.json" -w '%{http_code}'
	cat "$T/put.json" >&2
	[ "$output" = 200 ]
	jqt '.kind == "Rollout" and .apiVersion == "argoproj.io/v1alpha1"' "$T/put.json"

	# A new image: the canary takes 20 % and pauses.
	rollout_yaml 0.2.0 >"$T/ro.yaml"
	run kctl apply -f "$T/ro.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rollout.argoproj.io/web configured"* ]]
	wait_for 60 eval 'timeout 3 "$BERTH" rollout status web | grep -q "at step 2/2 (pause), weight set 20 %"'
	wait_for 20 ro_is '.status.phase == "Paused" and .status.currentStepIndex == 1 and .status.canary.weights.canary.weight == 20 and .status.stableRS != .status.currentPodHash'
	ro_json >"$T/ro1.json"
	jqt '.spec.strategy.canary.steps == [{"setWeight": 20}, {"pause": {}}]' "$T/ro1.json"
	jqt '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] | fromjson | .kind == "Rollout"' "$T/ro1.json"
	run kctl get ro web -o yaml
	[ "$status" -eq 0 ]
	[[ "$output" == *"kind: Rollout"* ]]
	[[ "$output" == *"phase: Paused"* ]]

	# berth export writes it back as a Rollout.
	run bctl export
	[ "$status" -eq 0 ]
	echo "$output" >"$T/export.yaml"
	grep -q '^kind: Rollout$' "$T/export.yaml"
	grep -q 'setWeight: 20' "$T/export.yaml"
	run grep -E '^ *(status|uid|resourceVersion):|berth.io/strategy' "$T/export.yaml"
	[ "$status" -eq 1 ]
	bctl export -o json >"$T/export1.json"

	# A fresh daemon (own state and run dirs) given the export has the
	# same object.
	timeout 60 "$BERTH" down >/dev/null
	wait_for 20 eval '! kill -0 "$DAEMON_PID" 2>/dev/null'
	rm -rf "$T/state" "$T/run" "$T/kcache"
	{
		cat <<YAML
apiVersion: berth.io/v1
kind: BerthConfig
state_dir: $T/state
run_dir: $T/run
admin: "off"
kubernetesAPI: 127.0.0.1:20900
dashboard: "off"
proxyThreads: 1
---
YAML
		cat "$T/export.yaml"
	} >"$T/again.yaml"
	start_daemon "$T/again.yaml"
	wait_for 60 ready_pods 2
	wait_for 20 ro_is '.status.availableReplicas == 2'
	bctl export -o json >"$T/export2.json"
	diff <(jq -S . "$T/export1.json") <(jq -S . "$T/export2.json")
	# The API serves the same Rollout (kubectl's own spec was the
	# first daemon's; this one has berth's, with every default).
	ro_json >"$T/ro2.json"
	diff <(jq -S '.items[] | select(.kind == "Rollout") | .spec' "$T/export1.json") \
		<(jq -S .spec "$T/ro2.json")
	jqt '.status.phase == "Healthy" and .status.stableRS == .status.currentPodHash' "$T/ro2.json"
	curl -sf http://127.0.0.1:20981/ | grep -q 0.2.0
}

# bluegreen_yaml: Services `bgsvc` (20982) and `bgpre` (20983), an
# AnalysisTemplate `smoke` and a BlueGreen Rollout `bg` that names them.
bluegreen_yaml() {
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: bgsvc}
spec:
  selector: {app: bg}
  ports: [{port: 20982, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: bgpre}
spec:
  selector: {app: bg}
  ports: [{port: 20983, targetPort: 8080}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: smoke}
spec:
  metrics:
  - name: ok
    interval: 2s
    successCondition: result.successRate >= 0.5
    provider:
      berth: {minRequests: 1}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bg}
spec:
  replicas: 1
  selector: {matchLabels: {app: bg}}
  template:
    metadata: {labels: {app: bg}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: bg
        image: $IMAGES/echo-0.1.0
        command: ["/bin/echo-version"]
        args: ["--listen", ":8080"]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
  strategy:
    blueGreen:
      activeService: bgsvc
      previewService: bgpre
      autoPromotionEnabled: false
      prePromotionAnalysis: {templates: [{templateName: smoke}]}
YAML
}

@test "AnalysisTemplate and BlueGreen Rollout through kubectl: refusals, kept across apply and a restart" {
	need_kubectl
	BERTH_KUBE_API=127.0.0.1:20900 berth_header >"$T/berth.ini"
	start_daemon
	bluegreen_yaml >"$T/bg.yaml"
	run kctl apply -f "$T/bg.yaml"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == *"analysistemplate.argoproj.io/smoke created"* ]]
	[[ "$output" == *"rollout.argoproj.io/bg created"* ]]
	wait_for 60 ready_pods 1
	run kctl get analysistemplates
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^smoke\ +[0-9]+s$ ]]
	kctl get ro bg -o json >"$T/bg.json"
	jqt '.spec.strategy.blueGreen.prePromotionAnalysis.templates[0].templateName == "smoke" and .status.blueGreen.activeSelector == .status.currentPodHash' "$T/bg.json"
	run kctl apply -f "$T/bg.yaml"
	[[ "$output" == *"analysistemplate.argoproj.io/smoke unchanged"* ]]
	[[ "$output" == *"rollout.argoproj.io/bg unchanged"* ]]

	# A template a rollout names stays; a field berth does not run is
	# refused by name; a custom resource takes no strategic merge patch.
	run kctl delete analysistemplate smoke
	[ "$status" -ne 0 ]
	[[ "$output" == *'(Conflict)'*'"smoke" is used by rollout bg'* ]]
	run kctl patch ro bg --type merge -p '{"spec":{"strategy":{"blueGreen":{"antiAffinity":{}}}}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *'spec.strategy.blueGreen.antiAffinity: not supported by berth (berth runs on one host)'* ]]
	run kctl patch ro bg -p '{"spec":{"replicas":1}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"strategic-merge-patch+json is not supported"* ]]

	# berth apply of the file and a restart keep both.
	run "$BERTH" apply -f "$T/berth.ini"
	[ "$status" -eq 0 ]
	"$BERTH" down >/dev/null
	wait "$DAEMON_PID" || true
	start_daemon
	wait_for 60 ready_pods 1
	run kctl get ro/bg analysistemplate/smoke -o name
	[ "$status" -eq 0 ]
	[[ "$output" == *"rollout.argoproj.io/bg"*"analysistemplate.argoproj.io/smoke"* ]]
	# The file lists the template before the rollout that names it: it
	# goes at the second delete.
	run kctl delete -f "$T/bg.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *'rollout.argoproj.io "bg" deleted'* ]]
	[[ "$output" == *'"smoke" is used by rollout bg'* ]]
	run kctl delete analysistemplate smoke
	[ "$status" -eq 0 ]
	[[ "$output" == *'analysistemplate.argoproj.io "smoke" deleted'* ]]
	run kctl get ro,analysistemplates
	[ "$status" -eq 0 ]
	[[ "$output" == *"No resources found"* ]]
}
