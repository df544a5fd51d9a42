#!/usr/bin/env bats
# Pods from OCI images: a registry (Debian's docker-registry on 127.0.0.1,
# started and stopped by PID here) holds echo images built from the
# example root folders as OCI layouts (a base layer shared by every tag, a
# small top layer per version; Entrypoint/Cmd/Env in the image config, no
# `command` in the config). Pull by tag and by digest, the pull policies,
# ErrImagePull -> ImagePullBackOff -> Running once pushed, a rolling update
# between two tags under wrk (the base layer downloaded once; then a tag
# that cannot be pulled stalls it until the progress deadline), a daemon
# killed during a pull, imageID kept across kill -9. Addresses are
# 127.0.0.1:18800-18899.

load ../lib/helpers

REG_PORT=18800
SVC_PORT=18801
REG=127.0.0.1:$REG_PORT

setup() {
	new_env
	REG_PID=
	WRK=
	ARCH=$(dpkg --print-architecture)
}

teardown() {
	[ -z "${WRK:-}" ] || kill "$WRK" 2>/dev/null || true
	stop_registry
	teardown_env
}

start_registry() {
	mkdir -p "$T/registry"
	cat >"$T/registry.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: $REG
EOF
	/usr/bin/docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
	REG_PID=$!
	wait_for 30 curl -sf "http://$REG/v2/"
}

stop_registry() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null || true
		wait "$REG_PID" 2>/dev/null || true
		REG_PID=
	fi
}

# blob FILE LAYOUT: copies FILE into LAYOUT's blobs, prints its digest.
blob() {
	local d
	d=$(sha256sum "$1" | cut -d' ' -f1)
	mkdir -p "$2/blobs/sha256"
	cp "$1" "$2/blobs/sha256/$d"
	echo "sha256:$d"
}

# base_layer: the echo image's files but its version file, as a tar.
base_layer() {
	[ -f "$T/base.tar" ] ||
		tar --numeric-owner -C "$IMAGES/echo-0.1.0" --exclude=./etc/echo-version \
			--exclude=./.berth-image -cf "$T/base.tar" .
}

# echo_layout VERSION: $T/oci-VERSION, an OCI layout of echo VERSION: the
# base layer, then etc/echo-version; the config runs echo-version on :8080.
echo_layout() {
	local v=$1 layout=$T/oci-$1 top=$T/top-$1.tar dbase dtop cfg man
	base_layer
	tar --numeric-owner -C "$IMAGES/echo-$v" -cf "$top" ./etc/echo-version
	mkdir -p "$layout"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
	dbase=$(blob "$T/base.tar" "$layout")
	dtop=$(blob "$top" "$layout")
	jq -nc --arg arch "$ARCH" --arg v "$v" --arg b "$dbase" --arg t "$dtop" '{
		architecture:$arch, os:"linux",
		config:{Entrypoint:["/bin/echo-version"], Cmd:["--listen",":8080"],
			Env:["PATH=/usr/bin:/bin", ("VERSION=" + $v)], WorkingDir:"/"},
		rootfs:{type:"layers", diff_ids:[$b, $t]}}' >"$T/config-$v.json"
	cfg=$(blob "$T/config-$v.json" "$layout")
	jq -nc --arg c "$cfg" --argjson cs "$(stat -c %s "$T/config-$v.json")" \
		--arg b "$dbase" --argjson bs "$(stat -c %s "$T/base.tar")" \
		--arg t "$dtop" --argjson ts "$(stat -c %s "$top")" '{schemaVersion:2,
		mediaType:"application/vnd.oci.image.manifest.v1+json",
		config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$c, size:$cs},
		layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar", digest:$b, size:$bs},
			{mediaType:"application/vnd.oci.image.layer.v1.tar", digest:$t, size:$ts}]}' \
		>"$T/manifest-$v.json"
	man=$(blob "$T/manifest-$v.json" "$layout")
	jq -nc --arg d "$man" --argjson s "$(stat -c %s "$T/manifest-$v.json")" --arg v "$v" \
		'{schemaVersion:2, manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",
		digest:$d, size:$s, annotations:{"org.opencontainers.image.ref.name":$v}}]}' \
		>"$layout/index.json"
}

# push VERSION [TAG]: echo VERSION to $REG/test/echo:TAG (default VERSION).
push() {
	[ -d "$T/oci-$1" ] || echo_layout "$1"
	skopeo copy --quiet --dest-tls-verify=false "oci:$T/oci-$1:$1" \
		"docker://$REG/test/echo:${2:-$1}"
}

repo_digest() {
	skopeo inspect --tls-verify=false "docker://$REG/test/echo:$1" | jq -r .Digest
}

# image_ini IMAGE REPLICAS [LINE...]: echo from IMAGE, no command.
image_ini() {
	local image=$1 replicas=$2
	shift 2
	berth_header
	cat <<INI
insecureRegistries = $REG

[deployment echo]
image = $image
replicas = $replicas
labels = app=echo
port = 8080
terminationGracePeriodSeconds = 5
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
INI
	local k
	for k in "$@"; do echo "$k"; done
}

leases_are() { # leases_are N: pods' leases (not the revisions')
	[ "$(ls "$T/state/images/leases" | grep -vc '^revision\.')" -eq "$1" ]
}

status_is() { # status_is STATUS N
	has_pods ".status == \"$1\"" "$2"
}

events_have() { # events_have TEXT
	bctl get events 2>/dev/null | grep -qF -- "$1"
}

@test "a pod runs an image pulled by tag, then by digest" {
	start_registry
	push 0.1.0
	digest=$(repo_digest 0.1.0)
	image_ini "$REG/test/echo:0.1.0" 2 >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
	# the image's Entrypoint, Cmd and Env ran it: it answers its version
	p=$(pod_names | head -n 1)
	run bctl exec "$p" -- sh -c 'echo "$VERSION $PATH"; pwd'
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0.1.0 /usr/bin:/bin" ]
	[ "${lines[1]}" = / ]
	[[ "$output" == *0.1.0* ]]
	run pods_json
	[ "$(jq -r '.pods[0].imageID' <<<"$output")" = "$REG/test/echo@$digest" ]
	run bctl describe pod "$p"
	[[ "$output" == *"Image ID:       $REG/test/echo@$digest"* ]]
	run bctl get events
	[[ "$output" == *"Pulling image \"$REG/test/echo:0.1.0\""* ]]
	[[ "$output" =~ Successfully\ pulled\ image\ \"$REG/test/echo:0.1.0\"\ in\ [0-9]+\.[0-9]{3}s\.\ Image\ size:\ [0-9]+\ bytes\. ]]
	# one pull for both pods: the store got the image once
	[ "$(ls "$T/state/images/layers" | wc -l)" -eq 2 ]
	# the digest is part of the pod's record: after kill -9 and a restart
	# the adopted pods (same pids) still show it
	pids=$(pods_json | jq -c '[.pods[] | .pid] | sort')
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
	start_daemon
	wait_for 30 ready_pods 2
	[ "$(pods_json | jq -c '[.pods[] | .pid] | sort')" = "$pids" ]
	run pods_json
	[ "$(jq -r '[.pods[].imageID] | unique | .[]' <<<"$output")" = "$REG/test/echo@$digest" ]
	run bctl describe pod "$p"
	[[ "$output" == *"Image ID:       $REG/test/echo@$digest"* ]]
	run bctl get events
	[[ "$output" != *"already present on machine"* ]]
	# by digest: IfNotPresent, already present
	run bctl set image deployment/echo "echo=$REG/test/echo@$digest"
	[ "$status" -eq 0 ]
	wait_for 60 has_pods ".imageID == \"$REG/test/echo@$digest\" and .ready and (.image | contains(\"@\"))" 2
	wait_for 30 events_have "Container image \"$REG/test/echo@$digest\" already present on machine"
	# leases: one per pod; removed pods drop theirs
	wait_for 30 has_pods 'true' 2
	wait_for 10 leases_are 2
	# and one per revision kept, each naming its image's manifest
	wait_for 10 test -f "$T/state/images/leases/revision.echo.1"
	wait_for 10 test -f "$T/state/images/leases/revision.echo.2"
	[ "$(cat "$T/state/images/leases/revision.echo.2")" = "$digest" ]
}

@test "imagePullPolicy: Never, IfNotPresent, Always" {
	start_registry
	push 0.1.0
	image_ini "$REG/test/echo:0.1.0" 1 "imagePullPolicy = Never" >"$T/berth.ini"
	start_daemon
	wait_for 30 status_is ErrImageNeverPull 1
	wait_for 10 events_have "Container image \"$REG/test/echo:0.1.0\" is not present with pull policy of Never"
	# the image arrives in the store (the CLI works on it directly)
	run "$BERTH" image pull "$REG/test/echo:0.1.0" -c "$T/berth.ini"
	[ "$status" -eq 0 ]
	wait_for 40 ready_pods 1
	run bctl get events
	[[ "$output" != *"Pulling image"* ]]
	bctl down >/dev/null
	wait "$DAEMON_PID" || true
	DAEMON_PID=

	# IfNotPresent with the image stored and the registry gone: runs
	stop_registry
	image_ini "$REG/test/echo:0.1.0" 1 "imagePullPolicy = IfNotPresent" >"$T/berth.ini"
	start_daemon
	wait_for 40 ready_pods 1
	wait_for 10 events_have "Container image \"$REG/test/echo:0.1.0\" already present on machine"
	bctl down >/dev/null
	wait "$DAEMON_PID" || true
	DAEMON_PID=

	# Always (the default for a tag... set here explicitly): must pull
	image_ini "$REG/test/echo:0.1.0" 1 "imagePullPolicy = Always" >"$T/berth.ini"
	start_daemon
	wait_for 40 status_is ErrImagePull 1
	wait_for 10 events_have "Failed to pull image \"$REG/test/echo:0.1.0\""
	run bctl get pods
	[[ "$output" != *Running* ]]
}

@test "ErrImagePull, then ImagePullBackOff, then Running once the image is pushed" {
	start_registry
	image_ini "$REG/test/echo:0.3.0" 1 >"$T/berth.ini"
	start_daemon
	wait_for 30 status_is ErrImagePull 1
	wait_for 10 status_is ImagePullBackOff 1
	wait_for 10 events_have "Back-off pulling image \"$REG/test/echo:0.3.0\""
	wait_for 10 events_have "Error: ImagePullBackOff"
	run bctl describe pod "$(pod_names | head -n 1)"
	[[ "$output" == *ImagePullBackOff* ]]
	push 0.1.0 0.3.0
	# the next try is at most 20 s after the first failure (10 s, 20 s)
	wait_for 60 ready_pods 1
	run pods_json
	[ "$(jq -r '.pods[0].restarts' <<<"$output")" -eq 0 ]
}

@test "a rolling update between two tags: the base layer stored once, no failed request" {
	start_registry
	push 0.1.0
	push 0.2.0
	{
		image_ini "$REG/test/echo:0.1.0" 3 \
			"strategy.rollingUpdate.maxSurge = 1" \
			"strategy.rollingUpdate.maxUnavailable = 0" \
			"progressDeadlineSeconds = 10"
		cat <<INI

[service echo]
listen = 127.0.0.1:$SVC_PORT
selector = app=echo
targetPort = 8080
mode = http
INI
	} >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 3
	wrk -s "$WRK_STATUS" -t2 -c16 -d300s "http://127.0.0.1:$SVC_PORT/" >"$T/wrk.txt" 2>&1 &
	WRK=$!
	wait_for 10 load_connected "$SVC_PORT" 16
	run bctl set image deployment/echo "echo=$REG/test/echo:0.2.0"
	[ "$status" -eq 0 ]
	run timeout 120 "$BERTH" rollout status deployment/echo
	[ "$status" -eq 0 ]
	wait_for 30 has_pods ".ready and .image == \"$REG/test/echo:0.2.0\"" 3
	[ "$(curl -s "http://127.0.0.1:$SVC_PORT/")" != "" ]
	curl -s "http://127.0.0.1:$SVC_PORT/" | grep -q 0.2.0
	# a tag that cannot be pulled: the rollout stalls, nothing is dropped
	run bctl set image deployment/echo "echo=$REG/test/echo:9.9.9"
	[ "$status" -eq 0 ]
	wait_for 40 has_pods '.status == "ErrImagePull" or .status == "ImagePullBackOff"' 1
	# ... and the progress deadline reports it
	run timeout 60 "$BERTH" rollout status deployment/echo
	[ "$status" -eq 1 ]
	[[ "$output" == *'error: deployment "echo" exceeded its progress deadline'* ]]
	run bctl get events
	[[ "$output" == *ProgressDeadlineExceeded* ]]
	has_pods ".ready and .image == \"$REG/test/echo:0.2.0\"" 3
	kill -INT "$WRK"
	wait "$WRK" || true
	WRK=
	wrk_check "$T/wrk.txt"
	# base, top 0.1.0, top 0.2.0: the base once
	[ "$(ls "$T/state/images/layers" | wc -l)" -eq 3 ]
	# and downloaded once: 0.2.0's pull fetched only its own layer
	raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/test/echo:0.2.0")
	base=$(jq -r '.layers[0].digest' <<<"$raw")
	top=$(jq -r '.layers[1].digest' <<<"$raw")
	[ "$(grep -c "GET /v2/test/echo/blobs/$top " "$T/registry.log")" -eq 1 ]
	[ "$(grep -c "GET /v2/test/echo/blobs/$base " "$T/registry.log")" -eq 1 ]
}

@test "the daemon killed during a pull: the next start finishes it, pods come up" {
	start_registry
	push 0.1.0
	image_ini "$REG/test/echo:0.1.0" 2 >"$T/berth.ini"
	start_daemon
	wait_for 30 status_is ContainerCreating 2
	sleep 0.3
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
	start_daemon
	wait_for 90 ready_pods 2
	# nothing half-written is left in the store
	run "$BERTH" image ls --state-dir "$T/state"
	[ "$status" -eq 0 ]
}
