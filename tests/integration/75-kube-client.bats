#!/usr/bin/env bats
# The Kubernetes API with a second, independent client and the bodies
# kubectl sends in protobuf: Debian's python3-kubernetes (its generated
# models deserialize strictly) lists, reads, watches across a scale and
# resumes, patches an image and scales through /scale, reads logs (exec
# over v4 is in 73-kube-exec.bats); the real kubectl 1.32 creates a
# Deployment from a protobuf body and exposes it; a Service's selector
# moves from blue to green under load. Each client is skipped, visibly,
# when it is not installed. The python steps are in kube_client.py.
# Addresses: 127.0.0.1, ports 21000-21099 (services 21080-21083) and
# 26700-26799 (API 26700-26701).

load ../lib/kube_env

need_python_client() {
	/usr/bin/python3 -c 'import kubernetes' 2>/dev/null ||
		skip "python3-kubernetes not installed"
}

# py STEP [ARGS...]: a step of kube_client.py with berth's kubeconfig.
py() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/kube_client.py" \
		"$T/state/kubeconfig" "$@"
}

# svc_says PORT BODY: the service on PORT answers BODY.
svc_says() {
	[ "$(curl -sf "http://127.0.0.1:$1/")" = "$2" ]
}

# ready_replicas DEPLOYMENT N: kubectl sees N of its replicas ready.
ready_replicas() {
	[ "$(kctl get deploy "$1" -o jsonpath='{.status.readyReplicas}')" = "$2" ]
}

start_kube() {
	kube_start 26700 21080
}

@test "python3-kubernetes lists, reads, creates and deletes; version, discovery, log" {
	need_python_client
	start_kube
	run py list echo
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^pod echo-[0-9a-z-]* Running True$')" -eq 2 ]
	[[ "$output" == *"all-namespaces 2"* ]]
	[[ "$output" == *"deployments echo"* ]]
	[[ "$output" == *"deployment echo 2 2 $IMAGES/echo-0.1.0"* ]]
	echo "$output" | grep -q '^replicaset echo-[0-9a-z]* 1 2$'
	[[ "$output" == *"service web ClusterIP 21080 8080 {'app': 'echo'}"* ]]
	[[ "$output" == *"events True"* ]]
	[[ "$output" == *"namespaces default"* ]]

	run py log echo
	[ "$status" -eq 0 ]
	[ "$output" = "log echo-version 0.1.0 listening on :8080" ]

	# Version, discovery, objects from models without apiVersion and
	# kind, the status subresource, the dynamic client, deletes.
	run py write "$IMAGES/echo-0.1.0" 21082
	[ "$status" -eq 0 ]
	[ "$output" = "made py 21082" ]
	[ -e "$T/state/kube/Deployment.py.json" ]
	[ "$(curl -sf http://127.0.0.1:21082/)" = 0.1.0 ]
	run py delete
	[ "$status" -eq 0 ]
	[ "$output" = "deleted py" ]
	run curl -s -m 2 http://127.0.0.1:21082/
	[ "$status" -ne 0 ]
	[ ! -e "$T/state/kube/Deployment.py.json" ]
}

@test "python3-kubernetes watches across a scale and resumes, 410 when too old; patches the image" {
	need_python_client
	start_kube
	run py watch-scale echo
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '^event ADDED echo-'
	echo "$output" | grep -q '^event MODIFIED echo-'
	echo "$output" | grep -q '^event DELETED echo-'
	[[ "$output" == *"synthetic 2"* ]]
	[[ "$output" == *"expired 410 Expired"* ]]
	[ "$("$BERTH" get deployments -o json | jq '.deployments[0].replicas')" -eq 2 ]
	wait_for 60 ready_pods 2

	# A strategic merge patch of the image: a new ReplicaSet rolls out.
	run py patch-image echo "$IMAGES/echo-0.2.0"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '^rolled-out echo-[0-9a-z]* 2$'
	[ "$(curl -sf http://127.0.0.1:21080/)" = 0.2.0 ]
	[ "$(count_pods '.image | endswith("echo-0.2.0")')" -eq 2 ]
}

@test "kubectl create deployment and create service (protobuf bodies) and expose" {
	need_kubectl
	start_kube
	run kctl -v=8 create deployment front --image="$IMAGES/echo-0.1.0" \
		--replicas=2 --port=8080 -- /bin/echo-version --listen :8080
	[ "$status" -eq 0 ]
	# kubectl really sent protobuf, and berth read it.
	echo "$output" | grep -q 'POST https://127.0.0.1:26700/apis/apps/v1/namespaces/default/deployments'
	echo "$output" | grep -q 'Content-Type: application/vnd.kubernetes.protobuf'
	[ "$(echo "$output" | tail -1)" = "deployment.apps/front created" ]
	wait_for 60 ready_replicas front 2
	kctl get deploy front -o json >"$T/front.json"
	jqt '.spec.replicas == 2 and .spec.selector.matchLabels == {"app": "front"}' "$T/front.json"
	jqt '.spec.template.spec.containers[0] | (.name | startswith("echo-0-1-0-")) and .image == $i and .command == ["/bin/echo-version", "--listen", ":8080"] and .ports[0].containerPort == 8080' --arg i "$IMAGES/echo-0.1.0" "$T/front.json"

	# expose (JSON) makes a Service without a port name.
	run kctl expose deployment front --port=21081 --target-port=8080
	[ "$status" -eq 0 ]
	[ "$output" = "service/front exposed" ]
	[ "$(curl -sf http://127.0.0.1:21081/)" = 0.1.0 ]
	run kctl get svc front -o jsonpath='{.spec.selector.app} {.spec.ports[0].port}'
	[ "$output" = "front 21081" ]
	# create service sends protobuf; it names its port P-T, kept as the
	# service's portName and served back.
	run kctl -v=8 create service clusterip front2 --tcp=21082:8080
	[ "$status" -eq 0 ]
	echo "$output" | grep -q 'Content-Type: application/vnd.kubernetes.protobuf'
	[ "$(echo "$output" | tail -1)" = "service/front2 created" ]
	run kctl get svc front2 -o jsonpath='{.spec.selector.app} {.spec.ports[0].port} {.spec.ports[0].name}'
	[ "$output" = "front2 21082 21082-8080" ]
	# a name Kubernetes would refuse is refused, naming the field
	run kctl create service clusterip front3 --tcp=21083:8080 --dry-run=client -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq '.spec.ports[0].name = "Bad_Name"' >"$T/front3.json"
	run kctl create -f "$T/front3.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *'spec.ports[0].name: portName: "Bad_Name" is not a port name'* ]]

	# A kind berth does not read from protobuf: 415 naming it.
	printf 'k8s\0\n\017\n\002v1\022\tConfigMap\022\000' >"$T/cm.pb"
	[ "$(od -An -tx1 "$T/cm.pb" | tr -d ' \n')" = 6b3873000a0f0a0276311209436f6e6669674d61701200 ]
	run kcurl https://127.0.0.1:26700/api/v1/namespaces/default/services \
		-X POST -H 'Content-Type: application/vnd.kubernetes.protobuf' \
		--data-binary @"$T/cm.pb" -o "$T/body" -w '%{http_code}'
	[ "$output" = 415 ]
	jqt '.reason == "UnsupportedMediaType" and (.message | contains("not v1 ConfigMap"))' "$T/body"
}

@test "a Service's selector from blue to green with kubectl patch, no failed request" {
	need_kubectl
	{
		BERTH_KUBE_API=127.0.0.1:26701 berth_header
		deployment blue echo-0.1.0 0.1.0 2 color=blue
		deployment green echo-0.2.0 0.2.0 2 color=green
		cat <<INI

[service web]
listen = 127.0.0.1:21083
selector = color=blue
targetPort = 8080
INI
	} >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 4
	[ "$(curl -sf http://127.0.0.1:21083/)" = 0.1.0 ]
	wrk -s "$WRK_STATUS" -t1 -c4 -d8s http://127.0.0.1:21083/ >"$T/wrk.txt" 2>&1 &
	local wrk_pid=$!
	wait_for 10 load_connected 21083 4
	run kctl patch service web -p '{"spec":{"selector":{"color":"green"}}}'
	[ "$status" -eq 0 ]
	[ "$output" = "service/web patched" ]
	[ "$(kctl get svc web -o jsonpath='{.spec.selector}')" = '{"color":"green"}' ]
	wait_for 10 svc_says 21083 0.2.0
	wait "$wrk_pid"
	wrk_check "$T/wrk.txt"
}
