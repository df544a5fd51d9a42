#!/usr/bin/env bats
# Image garbage collection on a real, small file system: STATE_DIR is a
# 128 MiB tmpfs this test mounts under its own folder. The echo images
# (build/images/oci/echo) run a deployment: 0.2.0 under a pod, 0.1.0 kept
# by the deployment's revision history; three more images (the echo base
# plus 4 MiB of random data each) are used by nothing. Filled past the
# kubelet's high watermark (85 %), the daemon removes unused images, least
# recently used first, until the file system is below the low watermark
# (80 %), and keeps the rest; `image rm` and `image prune` refuse what a
# pod or a kept revision uses. Then the import folder (imageImportDir)
# scanned by the daemon. No port is used.

load ../lib/helpers
bats_require_minimum_version 1.5.0

setup() {
	new_env
	mkdir -p "$T/state"
	mount -t tmpfs -o size=128m,mode=0700 tmpfs "$T/state"
	S="--state-dir $T/state"
}

teardown() {
	teardown_env
}

# usage: percent of the state file system in use (as statvfs counts it)
usage() {
	stat -f -c '%b %f' "$T/state" | awk '{printf "%d\n", 100 * ($1 - $2) / $1}'
}

used_bytes() {
	stat -f -c '%b %f %S' "$T/state" | awk '{printf "%d\n", ($1 - $2) * $3}'
}

# fill_image NAME: the echo base layer plus 4 MiB of random data, imported
# as example.com/fill:NAME.
fill_image() {
	(
		OCI_SH_FUNCTIONS=1
		. "$REPO/examples/images/oci.sh"
		mkdir -p "$T/fill-$1/data"
		head -c 4194304 /dev/urandom >"$T/fill-$1/data/$1"
		oci_layer "$T/fill-$1" "$T/fill-$1.tar.gz"
		base=$(jq -r '.manifests[0].digest' "$IMAGES/oci/echo/index.json")
		base=$(jq -r '.layers[0].digest' "$IMAGES/oci/echo/blobs/sha256/${base#sha256:}")
		cp "$IMAGES/oci/echo/blobs/sha256/${base#sha256:}" "$T/base.tar.gz"
		oci_add "$T/oci-$1" "example.com/fill:$1" '{"Cmd":["/bin/true"]}' \
			"$T/base.tar.gz" "$T/fill-$1.tar.gz"
	)
	"$BERTH" image import "$T/oci-$1" $S >/dev/null
}

has_image() { # has_image REPOSITORY TAG
	"$BERTH" images -o json $S |
		jq -e --arg r "$1" --arg t "$2" '.images[] | select(.repository == $r and .tag == $t)' >/dev/null
}

lease_exists() { [ -f "$T/state/images/leases/$1" ]; }

@test "image GC: above 85 % unused images go, least recently used first, down to 80 %; used ones stay" {
	run "$BERTH" image import "$IMAGES/oci/echo" $S
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	{
		berth_header
		cat <<INI

[deployment echo]
image = echo:0.1.0
replicas = 1
port = 8080
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
INI
	} >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 1
	run bctl set image deployment/echo echo=echo:0.2.0
	[ "$status" -eq 0 ]
	wait_for 60 has_pods '.ready and .image == "echo:0.2.0"' 1
	wait_for 30 has_pods 'true' 1
	# 0.1.0 is kept by revision 1, 0.2.0 by revision 2 and its pod
	wait_for 20 lease_exists revision.echo.1
	wait_for 20 lease_exists revision.echo.2

	# three unused images, a, b, c, added in that order; then a is used
	# (its stamp touched, as dropping a pod's lease does): b is the least
	# recently used, then c
	before=$(used_bytes)
	fill_image a
	one=$(($(used_bytes) - before))
	sleep 1
	fill_image b
	sleep 1
	fill_image c
	sleep 1
	a=$("$BERTH" images -o json $S | jq -r '.images[] | select(.tag == "a") | .manifest')
	touch "$T/state/images/used/${a#sha256:}"
	[ "$(usage)" -lt 85 ]

	# fill to the low watermark plus one and a half images: GC must remove
	# two images (one is not enough) and no more
	total=$(stat -f -c '%b %S' "$T/state" | awk '{print $1 * $2}')
	fill=$((total * 80 / 100 + one * 3 / 2 - $(used_bytes)))
	head -c "$fill" /dev/zero >"$T/state/fill"
	[ "$(usage)" -ge 85 ]
	wait_for 30 grep -q "image garbage collection: removed 2 unused images" "$T/daemon.log"
	[ "$(usage)" -lt 80 ]
	run ! has_image example.com/fill b
	run ! has_image example.com/fill c
	has_image example.com/fill a
	has_image docker.io/library/echo 0.1.0
	has_image docker.io/library/echo 0.2.0
	ready_pods 1

	# what a pod or a kept revision uses cannot be removed by hand either
	run "$BERTH" image rm echo:0.1.0 $S
	[ "$status" -eq 1 ]
	[[ "$output" == *"kept by revision 1 of deployment \`echo\`"* ]]
	pod=$(pod_names)
	run "$BERTH" image rm echo:0.2.0 $S
	[ "$status" -eq 1 ]
	[[ "$output" == *"in use by \`$pod\`"* ]]
	run "$BERTH" image prune -a $S
	[ "$status" -eq 0 ]
	run ! has_image example.com/fill a
	has_image docker.io/library/echo 0.1.0
	has_image docker.io/library/echo 0.2.0
	run "$BERTH" image inspect echo:0.1.0 $S
	[ "$status" -eq 0 ]
}

@test "the import folder: an archive dropped in is imported by the daemon and runs" {
	{
		berth_header
		cat <<INI
imageImportDir = $T/drop

[deployment echo]
image = echo:0.1.0
imagePullPolicy = Never
replicas = 1
port = 8080
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
INI
	} >"$T/berth.ini"
	mkdir -p "$T/drop"
	start_daemon
	wait_for 30 has_pods '.status == "ErrImageNeverPull"' 1
	# an oci-archive of the example echo images, written under a dot name
	# (skipped while incomplete) and renamed when complete
	tar -C "$IMAGES/oci/echo" -cf "$T/drop/.echo.tar" .
	mv "$T/drop/.echo.tar" "$T/drop/echo.tar"
	wait_for 30 test -f "$T/drop/imported/echo.tar"
	wait_for 10 grep -q "imported 1 image archive from $T/drop" "$T/daemon.log"
	has_image docker.io/library/echo 0.1.0
	has_image docker.io/library/echo 0.2.0
	# the pod's next try finds it (ErrImageNeverPull backs off 10 s)
	wait_for 40 ready_pods 1
	# a broken archive goes to failed/ with the reason beside it
	echo junk >"$T/drop/junk.tar"
	wait_for 30 test -f "$T/drop/failed/junk.tar"
	[ -s "$T/drop/failed/junk.tar.error" ]
}
