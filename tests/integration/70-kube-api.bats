#!/usr/bin/env bats
# The Kubernetes API with real runc and the real kubectl 1.32 (skipped,
# visibly, when it is not installed): the credentials and kubeconfig berth
# makes, version and discovery, get/list of pods, deployments,
# replicasets, services, events and namespaces (tables, -o wide, -o json,
# selectors), watch, scale, delete pod, logs [-f], and the security rules: no certificate → 401, a foreign CA
# either way → refused, loopback only unless configured, 0600 files.
# Addresses: 127.0.0.1, ports 26443-26499 (API 26443-26445, service 26480).

load ../lib/kube_env

start_kube() {
	kube_start 26443
}

@test "credentials and the kubeconfig are made at first start, secrets 0600" {
	kube_ini 127.0.0.1:26443 >"$T/berth.ini"
	start_daemon
	[ "$(stat -c %a "$T/state/kubeconfig")" = 600 ]
	for k in ca apiserver admin; do
		[ "$(stat -c %a "$T/state/pki/$k.key")" = 600 ]
		[ -s "$T/state/pki/$k.crt" ]
	done
	[ "$(stat -c %a "$T/state/pki")" = 700 ]
	run openssl x509 -in "$T/state/pki/admin.crt" -noout -subject
	[[ "$output" == *"O = system:masters, CN = berth-admin"* ]]
	run openssl verify -CAfile "$T/state/pki/ca.crt" "$T/state/pki/admin.crt"
	[ "$status" -eq 0 ]
	run openssl x509 -in "$T/state/pki/apiserver.crt" -noout -ext subjectAltName
	[[ "$output" == *"DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"* ]]
	run "$BERTH" kubeconfig
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$T/state/kubeconfig")" ]
	grep -q "server: https://127.0.0.1:26443" "$T/state/kubeconfig"

	# A restart keeps the CA (every kubeconfig trusts it) and the admin
	# credentials; the server certificate is made again.
	local ca admin
	ca=$(sha256sum <"$T/state/pki/ca.crt")
	admin=$(sha256sum <"$T/state/pki/admin.crt")
	"$BERTH" down >/dev/null
	wait "$DAEMON_PID" || true
	start_daemon
	[ "$(sha256sum <"$T/state/pki/ca.crt")" = "$ca" ]
	[ "$(sha256sum <"$T/state/pki/admin.crt")" = "$admin" ]
	kcurl https://127.0.0.1:26443/version | jqt '.minor == "32"'
}

@test "kubectl version and discovery" {
	need_kubectl
	kube_ini 127.0.0.1:26443 >"$T/berth.ini"
	start_daemon
	run kctl version
	[ "$status" -eq 0 ]
	[[ "$output" == *"Server Version: v1.32.0-berth"* ]]
	run kctl api-resources --no-headers
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployments"*"deploy"*"apps/v1"*"true"*"Deployment"* ]]
	[[ "$output" == *"pods"*"po"*"v1"*"true"*"Pod"* ]]
	[[ "$output" == *"namespaces"*"ns"*"v1"*"false"*"Namespace"* ]]
	kcurl https://127.0.0.1:26443/api | jqt '.versions == ["v1"]'
	kcurl https://127.0.0.1:26443/apis | jqt '.groups[0].name == "apps"'
}

@test "kubectl get pods, deploy, rs, svc, ns: the apiserver's columns" {
	need_kubectl
	start_kube
	local hash
	hash=$("$BERTH" get pods -o json | jq -r '.pods[0].revision_hash')

	run kctl get pods
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | head -1 | tr -s ' ')" = "NAME READY STATUS RESTARTS AGE" ]
	[ "$(echo "$output" | grep -c "^echo-$hash-.* 1/1 *Running *0 ")" -eq 2 ]

	run kctl get pods -o wide
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | head -1 | tr -s ' ')" = "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES" ]
	[ "$(echo "$output" | grep -c " <none> *$(hostname) *<none> *<none>$")" -eq 2 ]

	run kctl get deploy
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | head -1 | tr -s ' ')" = "NAME READY UP-TO-DATE AVAILABLE AGE" ]
	[[ "$(echo "$output" | sed -n 2p | tr -s ' ')" == "echo 2/2 2 2 "* ]]

	run kctl get deploy -o wide
	[ "$status" -eq 0 ]
	[[ "$(echo "$output" | sed -n 2p | tr -s ' ')" == *" echo $IMAGES/echo-0.1.0 app=echo" ]]

	run kctl get rs -o wide
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | head -1 | tr -s ' ')" = "NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR" ]
	[[ "$(echo "$output" | sed -n 2p | tr -s ' ')" == "echo-$hash 2 2 2 "*" app=echo,pod-template-hash=$hash" ]]

	run kctl get svc -o wide
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | head -1 | tr -s ' ')" = "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR" ]
	[[ "$(echo "$output" | sed -n 2p | tr -s ' ')" == "web ClusterIP 127.0.0.1 <none> 26480/TCP "*" app=echo" ]]

	run kctl get ns
	[ "$status" -eq 0 ]
	[[ "$(echo "$output" | sed -n 2p | tr -s ' ')" == "default Active "* ]]
	[ "$(echo "$output" | wc -l)" -eq 2 ]
	run kctl get ns kube-system
	[ "$status" -eq 1 ]
	[ "$output" = 'Error from server (NotFound): namespaces "kube-system" not found' ]

	run kctl get events
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | head -1 | tr -s ' ')" = "LAST SEEN TYPE REASON OBJECT MESSAGE" ]
	[[ "$output" == *"Normal"*"SuccessfulCreate"*"deployment/echo"*"Created pod: echo-$hash-"* ]]

	run kctl get pod nope
	[ "$status" -eq 1 ]
	[ "$output" = 'Error from server (NotFound): pods "nope" not found' ]
	run kctl get deploy nope
	[ "$output" = 'Error from server (NotFound): deployments.apps "nope" not found' ]
	run kctl -n other get pods
	[ "$status" -eq 0 ]
	[ "$output" = "No resources found in other namespace." ]
}

@test "kubectl -o json: objects, owners and revisions as Kubernetes has them" {
	need_kubectl
	start_kube
	local hash pod
	hash=$("$BERTH" get pods -o json | jq -r '.pods[0].revision_hash')
	pod=$("$BERTH" get pods -o json | jq -r '.pods[0].name')

	kctl get pod "$pod" -o json >"$T/pod.json"
	jqt '.kind == "Pod" and .apiVersion == "v1"' "$T/pod.json"
	jqt '.metadata.labels == {"app": "echo", "pod-template-hash": $h}' --arg h "$hash" "$T/pod.json"
	jqt '.metadata.ownerReferences[0] | .kind == "ReplicaSet" and .name == "echo-\($h)" and .controller' --arg h "$hash" "$T/pod.json"
	jqt '.status.phase == "Running" and .status.containerStatuses[0].ready' "$T/pod.json"
	jqt '.spec.containers[0].ports[0] == {"containerPort": 8080, "protocol": "TCP"}' "$T/pod.json"
	jqt '.metadata.creationTimestamp | test("^[0-9-]+T[0-9:]+Z$")' "$T/pod.json"

	kctl get rs "echo-$hash" -o json >"$T/rs.json"
	kctl get deploy echo -o json >"$T/deploy.json"
	jqt '.metadata.annotations["deployment.kubernetes.io/revision"] == "1"' "$T/rs.json"
	[ "$(jq -r '.metadata.ownerReferences[0].uid' "$T/rs.json")" = "$(jq -r .metadata.uid "$T/deploy.json")" ]
	[ "$(jq -r '.metadata.ownerReferences[0].uid' "$T/pod.json")" = "$(jq -r .metadata.uid "$T/rs.json")" ]
	jqt '.spec.replicas == 2 and .status.readyReplicas == 2 and .status.updatedReplicas == 2' "$T/deploy.json"
	jqt '.spec.selector.matchLabels == {"app": "echo"}' "$T/deploy.json"

	run kctl get pods -o json
	[ "$(echo "$output" | jq -r '.items | length')" -eq 2 ]
	run kctl get pods -A --no-headers
	[ "$(echo "$output" | grep -c "^default  *echo-$hash-")" -eq 2 ]

	# Selectors, decoded and applied by the server.
	run kctl get pods -l app=echo -o name
	[ "$(echo "$output" | wc -l)" -eq 2 ]
	run kctl get pods -l 'app in (db, cache)' -o name
	[ "$output" = "" ]
	run kctl get pods -l '!app' -o name
	[ "$output" = "" ]
	run kctl get pods --field-selector "metadata.name=$pod" -o name
	[ "$output" = "pod/$pod" ]
	run kctl get pods --field-selector "spec.bogus=1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(BadRequest)"*"field label not supported: spec.bogus"* ]]
	run kctl describe deploy echo
	[ "$status" -eq 0 ]
	[[ "$output" == *"NewReplicaSet:"*"echo-$hash (2/2 replicas created)"* ]]
}

@test "security: 401 without a certificate, foreign CAs refused, loopback only" {
	kube_ini 127.0.0.1:26444 >"$T/berth.ini"
	start_daemon
	local url=https://127.0.0.1:26444

	# No client certificate: the TLS session is fine, the request is not.
	run curl -sS -m 10 --cacert "$T/state/pki/ca.crt" -o "$T/body" -w '%{http_code}' "$url/api/v1/pods"
	[ "$output" = 401 ]
	jqt '.kind == "Status" and .reason == "Unauthorized" and .code == 401' "$T/body"
	run curl -sS -m 10 -k -o "$T/body" -w '%{http_code}' "$url/version"
	[ "$output" = 401 ]

	# With the admin certificate the same request works.
	[ "$(kcurl "$url/api/v1/namespaces/default/pods" | jq -r .kind)" = PodList ]

	# A certificate from another CA ends the handshake.
	mkdir "$T/evil"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/evil/ca.key" -out "$T/evil/ca.crt" -days 1 \
		-subj /CN=evil-ca 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/evil/admin.key" -out "$T/evil/admin.csr" \
		-subj "/O=system:masters/CN=berth-admin" 2>/dev/null
	openssl x509 -req -in "$T/evil/admin.csr" -CA "$T/evil/ca.crt" \
		-CAkey "$T/evil/ca.key" -CAcreateserial -days 1 \
		-out "$T/evil/admin.crt" 2>/dev/null
	run curl -sS -m 10 --cacert "$T/state/pki/ca.crt" \
		--cert "$T/evil/admin.crt" --key "$T/evil/admin.key" "$url/version"
	[ "$status" -ne 0 ]
	[[ "$output" != *'"major"'* ]]

	# A client that trusts another CA refuses berth's server.
	run curl -sS -m 10 --cacert "$T/evil/ca.crt" \
		--cert "$T/state/pki/admin.crt" --key "$T/state/pki/admin.key" "$url/version"
	[ "$status" -eq 60 ]

	# Only the configured loopback address listens.
	run ss -Hltn "sport = :26444"
	[ "$(echo "$output" | awk '{print $4}')" = "127.0.0.1:26444" ]

	# A bare pod cannot be created: refused, with a Status.
	run kcurl "$url/api/v1/namespaces/default/pods" -X POST -d '{}' -o "$T/body" -w '%{http_code}'
	[ "$output" = 405 ]
	jqt '.reason == "MethodNotAllowed"' "$T/body"
}

@test "kubernetesAPI: off disables it; the default is loopback 6443" {
	kube_ini off >"$T/berth.ini"
	start_daemon
	[ ! -e "$T/state/kubeconfig" ]
	[ ! -e "$T/state/pki" ]
	run "$BERTH" kubeconfig
	[ "$status" -eq 1 ]
	[[ "$output" == *"the Kubernetes API is off (kubernetesAPI = off)"* ]]
	"$BERTH" down >/dev/null
	wait "$DAEMON_PID" || true

	# Without the key: 127.0.0.1:6443 (whether or not another daemon on
	# this host holds it already, the kubeconfig names it).
	berth_header | grep -v '^kubernetesAPI' >"$T/berth.ini"
	start_daemon
	grep -q "^    server: https://127.0.0.1:6443$" "$T/state/kubeconfig"
	if ss -Hltn "sport = :6443" | grep -q "0.0.0.0:6443\|\[::\]:6443"; then
		false
	fi

	kube_ini 0.0.0.0:99999 >"$T/bad.ini"
	run "$BERTH" validate -f "$T/bad.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == *"kubernetesAPI: \"0.0.0.0:99999\" is not ADDR:PORT"* ]]
}

@test "an address in use is logged and the daemon runs without the API" {
	python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",26445)); s.listen(); time.sleep(60)' &
	local holder=$!
	wait_for 20 sh -c 'ss -Hltn "sport = :26445" | grep -q 26445'
	kube_ini 127.0.0.1:26445 >"$T/berth.ini"
	start_daemon
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	grep -q "kubernetesAPI 127.0.0.1:26445: address already in use; the Kubernetes API is not served" "$T/daemon.log"
	"$BERTH" get pods >/dev/null
}

@test "a CA that cannot be read is logged, never replaced; the daemon runs" {
	kube_ini 127.0.0.1:26443 >"$T/berth.ini"
	start_daemon
	"$BERTH" down >/dev/null
	wait "$DAEMON_PID" || true
	echo garbage >"$T/state/pki/ca.crt"
	start_daemon
	grep -q "kubernetesAPI: credentials under \`$T/state/pki\`: read certificate \`$T/state/pki/ca.crt\`.*; the Kubernetes API is not served" "$T/daemon.log"
	[ "$(cat "$T/state/pki/ca.crt")" = garbage ]
	run curl -sS -m 5 -k https://127.0.0.1:26443/version
	[ "$status" -ne 0 ]
	"$BERTH" get pods >/dev/null
}

@test "kubectl get -w streams changes; a watch without resourceVersion starts with ADDED" {
	need_kubectl
	start_kube
	local victim
	victim=$("$BERTH" get pods -o json | jq -r '.pods[0].name')

	# Raw stream: every current pod ADDED first, one JSON line each.
	timeout 15 curl -sS -N --cacert "$T/state/pki/ca.crt" \
		--cert "$T/state/pki/admin.crt" --key "$T/state/pki/admin.key" \
		"https://127.0.0.1:26443/api/v1/namespaces/default/pods?watch=True&timeoutSeconds=10" \
		>"$T/raw.out" &
	local raw=$!
	timeout 15 "$KUBECTL" --kubeconfig "$T/state/kubeconfig" --cache-dir "$T/kcache" \
		get pods -w >"$T/w.out" 2>&1 &
	local kw=$!
	wait_for 10 sh -c "[ \$(wc -l <'$T/raw.out') -ge 2 ]"
	wait_for 10 sh -c "[ \$(wc -l <'$T/w.out') -ge 3 ]"
	"$BERTH" delete pod "$victim" --wait=false >/dev/null
	wait_for 30 sh -c "grep -q '\"type\":\"DELETED\".*\"name\":\"$victim\"' '$T/raw.out'"
	wait "$raw" || true
	kill "$kw" 2>/dev/null || true
	wait "$kw" 2>/dev/null || true

	[ "$(head -2 "$T/raw.out" | jq -r .type | sort -u)" = ADDED ]
	jq -s -e --arg v "$victim" 'map(select(.type == "MODIFIED" and .object.metadata.name == $v and .object.metadata.deletionTimestamp != null)) | length > 0' "$T/raw.out"
	# versions only grow
	jq -r .object.metadata.resourceVersion "$T/raw.out" | sort -c -n
	# the replacement pod arrives as ADDED after the first two
	[ "$(jq -r 'select(.type == "ADDED") | .object.metadata.name' "$T/raw.out" | sort -u | wc -l)" -eq 3 ]
	# timeoutSeconds ended the stream (curl exited by itself, status 0)
	[ "$(head -1 "$T/w.out" | tr -s ' ')" = "NAME READY STATUS RESTARTS AGE" ]
	grep -q "^$victim .*Terminating" "$T/w.out"
}

@test "kubectl scale and delete pod go through berth's own operations" {
	need_kubectl
	start_kube
	run kctl scale deployment/echo --replicas=3
	[ "$status" -eq 0 ]
	[ "$output" = "deployment.apps/echo scaled" ]
	wait_for 60 ready_pods 3
	[ "$("$BERTH" get deployments -o json | jq '.deployments[0].replicas')" -eq 3 ]
	run kctl get deploy echo --no-headers
	[[ "$(echo "$output" | tr -s ' ')" == "echo 3/3 3 3 "* ]]
	kcurl https://127.0.0.1:26443/apis/apps/v1/namespaces/default/deployments/echo/scale |
		jqt '.kind == "Scale" and .spec.replicas == 3 and .status.selector == "app=echo"'

	# A bad count is refused with 422 and changes nothing.
	run kcurl https://127.0.0.1:26443/apis/apps/v1/namespaces/default/deployments/echo/scale \
		-X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d '{"spec":{"replicas":-2}}' -o "$T/body" -w '%{http_code}'
	[ "$output" = 422 ]
	jqt '.reason == "Invalid"' "$T/body"
	[ "$("$BERTH" get deployments -o json | jq '.deployments[0].replicas')" -eq 3 ]

	local victim
	victim=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
	run kctl delete pod "$victim"
	[ "$status" -eq 0 ]
	[ "$output" = "pod \"$victim\" deleted" ]
	# kubectl returned once the pod was gone; the deployment replaces it
	run "$BERTH" get pods -o json
	[ "$(echo "$output" | jq --arg v "$victim" '[.pods[] | select(.name == $v)] | length')" -eq 0 ]
	grep -q "pod/$victim.*deleted" "$T/daemon.log"
	wait_for 60 ready_pods 3
	run kctl delete pod nope
	[ "$status" -eq 1 ]
	[ "$output" = 'Error from server (NotFound): pods "nope" not found' ]
}

@test "kubectl logs, --tail, -c, and -f that ends with the container" {
	need_kubectl
	start_kube
	local pod
	pod=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
	run kctl logs "$pod"
	[ "$status" -eq 0 ]
	[ "$output" = "$("$BERTH" logs "$pod")" ]
	[[ "$output" == *"echo-version 0.1.0 listening on :8080"* ]]
	run kctl logs "$pod" --tail 0
	[ "$output" = "" ]
	run kctl logs "$pod" -c echo --tail 1
	[ "$output" = "echo-version 0.1.0 listening on :8080" ]
	run kctl logs "$pod" -c nope
	[ "$status" -eq 1 ]
	[ "$output" = "error: container nope is not valid for pod $pod" ]
	# timestamps, sinceSeconds, sinceTime as the kubelet reads them
	run kctl logs "$pod" --timestamps --tail 1
	[[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ echo-version\ 0.1.0\ listening ]]
	run kctl logs "$pod" --since=1h
	[ "$output" = "$("$BERTH" logs "$pod")" ]
	run kctl logs "$pod" --since-time=2999-01-01T00:00:00Z
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	run kctl logs "$pod" --previous
	[ "$status" -eq 1 ]
	[[ "$output" == *"previous terminated container \"echo\" in pod \"$pod\" not found"* ]]

	timeout 60 "$KUBECTL" --kubeconfig "$T/state/kubeconfig" --cache-dir "$T/kcache" \
		logs -f "$pod" >"$T/follow.out" 2>&1 &
	local follower=$!
	wait_for 10 grep -q listening "$T/follow.out"
	"$BERTH" delete pod "$pod" >/dev/null
	# the stream ends once the container is gone, and kubectl exits 0
	wait "$follower"
}

@test "a watch from a list's resourceVersion sees what happened in between; 410 when too old" {
	start_kube
	local url=https://127.0.0.1:26443/api/v1/namespaces/default/pods
	local rv victim
	rv=$(kcurl "$url" | jq -r .metadata.resourceVersion)
	victim=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
	"$BERTH" delete pod "$victim" >/dev/null # returns once it is gone
	kcurl "$url?watch=1&resourceVersion=$rv&timeoutSeconds=2" >"$T/w.out"
	jq -s -e --arg v "$victim" 'map(select(.type == "DELETED" and .object.metadata.name == $v)) | length == 1' "$T/w.out"
	# every event is newer than the list
	jq -s -e --argjson rv "$rv" 'length > 0 and all(.[]; (.object.metadata.resourceVersion | tonumber) > $rv)' "$T/w.out"

	# An object that does not change sends nothing.
	local deploys=https://127.0.0.1:26443/apis/apps/v1/namespaces/default/deployments
	rv=$(kcurl "$deploys" | jq -r .metadata.resourceVersion)
	kcurl "$deploys?watch=1&resourceVersion=$rv&timeoutSeconds=3" >"$T/idle.out"
	[ ! -s "$T/idle.out" ]

	kcurl "$url?watch=1&resourceVersion=5&timeoutSeconds=2" >"$T/old.out"
	jq -s -e 'length == 1 and .[0].type == "ERROR" and .[0].object.code == 410 and .[0].object.reason == "Expired"' "$T/old.out"

	# Malformed HTTP inside a good TLS session: 400 and the connection ends.
	run sh -c "printf 'NOT HTTP\r\n\r\n' | timeout 10 openssl s_client -quiet -connect 127.0.0.1:26443 \
		-CAfile '$T/state/pki/ca.crt' -cert '$T/state/pki/admin.crt' -key '$T/state/pki/admin.key' 2>/dev/null"
	[[ "$output" == "HTTP/1.1 400 Bad Request"* ]]
	[[ "$output" == *'"reason":"BadRequest"'* ]]
}
