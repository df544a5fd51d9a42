#!/usr/bin/env bats
# The image store through `berth image ...` (no daemon): OCI layouts,
# oci-archive and docker-save archives built here from folders with tar,
# gzip and zstd; the unpacked layers stacked by overlayfs give the same
# tree as `umoci unpack`; shared layers, rm, prune, corrupted blobs; and a
# pull through skopeo from Debian's docker-registry on 127.0.0.1, port
# 18700 (this file uses 18700-18799), plain HTTP only when the config
# lists the registry in insecureRegistries.

load ../lib/helpers

REG_PORT=18700

setup() {
	new_env
	REG_PID=
	S="--state-dir $T/state"
	ARCH=$(dpkg --print-architecture)
}

teardown() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null || true
		wait "$REG_PID" 2>/dev/null || true
	fi
	teardown_env
}

# layer_tar SRC OUT [MEMBER...]: a layer tarball of SRC (numeric owners,
# user.* xattrs); with members, only those (no parent folders).
layer_tar() {
	local src=$1 out=$2
	shift 2
	if [ $# -eq 0 ]; then
		tar --numeric-owner --xattrs --xattrs-include='user.*' -C "$src" -cf "$out" .
	else
		tar --numeric-owner --xattrs --xattrs-include='user.*' --no-recursion -C "$src" -cf "$out" "$@"
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

# oci_image LAYOUT NAME TAG LAYER...: adds one image made of those layer
# tarballs (lowest first; .gz and .zst are compressed) to an OCI layout.
oci_image() {
	local layout=$1 name=$2 tag=$3 t mt diff dg size layers='[]' diffs=()
	shift 3
	mkdir -p "$layout/blobs/sha256"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
	[ -f "$layout/index.json" ] || echo '{"schemaVersion":2,"manifests":[]}' >"$layout/index.json"
	for t in "$@"; do
		mt=application/vnd.oci.image.layer.v1.tar
		case $t in
		*.gz) diff=$(gzip -dc "$t" | sha256sum | cut -d' ' -f1) mt=$mt+gzip ;;
		*.zst) diff=$(zstd -qdc "$t" | sha256sum | cut -d' ' -f1) mt=$mt+zstd ;;
		*) diff=$(sha256sum <"$t" | cut -d' ' -f1) ;;
		esac
		size=$(stat -c %s "$t")
		dg=$(blob "$t" "$layout")
		layers=$(jq -c --arg mt "$mt" --arg d "$dg" --argjson s "$size" \
			'. + [{mediaType:$mt, digest:$d, size:$s}]' <<<"$layers")
		diffs+=("sha256:$diff")
	done
	jq -nc --arg arch "$ARCH" '{architecture:$arch, os:"linux",
		config:{Entrypoint:["/bin/sh"], Cmd:["-c","true"], Env:["PATH=/bin"], WorkingDir:"/srv"},
		rootfs:{type:"layers", diff_ids:$ARGS.positional}}' --args "${diffs[@]}" >"$T/config.json"
	dg=$(blob "$T/config.json" "$layout")
	size=$(stat -c %s "$T/config.json")
	jq -nc --arg d "$dg" --argjson s "$size" --argjson l "$layers" \
		'{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
		config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$d, size:$s},
		layers:$l}' >"$T/manifest.json"
	dg=$(blob "$T/manifest.json" "$layout")
	size=$(stat -c %s "$T/manifest.json")
	jq -c --arg d "$dg" --argjson s "$size" --arg n "$name" --arg t "$tag" \
		'.manifests += [{mediaType:"application/vnd.oci.image.manifest.v1+json",
		digest:$d, size:$s, annotations:{"io.containerd.image.name":$n,
		"org.opencontainers.image.ref.name":$t}}]' "$layout/index.json" >"$T/index.new"
	mv "$T/index.new" "$layout/index.json"
}

# tree_list DIR: names, types, modes, owners, link targets, device
# numbers, file digests and user.* xattrs of everything under DIR.
tree_list() {
	(
		cd "$1"
		find . -mindepth 1 -printf '%p %y %m %U %G %l\n' | sort
		find . -mindepth 1 \( -type c -o -type b \) -exec stat -c '%n dev %t:%T' {} + | sort
		find . -mindepth 1 -type f -exec sha256sum {} + | sort -k2
		find . -mindepth 1 | sort | while IFS= read -r p; do
			x=$(getfattr -h -d -m '^user\.' "$p" 2>/dev/null | grep -v '^#' | tr '\n' ' ')
			[ -z "${x// /}" ] || echo "$p xattrs $x"
		done
	)
}

# The three-layer image of the cross-check: every OCI rule in use.
build_rules_image() {
	local l1=$T/l1 l2=$T/l2 l3=$T/l3
	mkdir -p "$l1"/{usr/lib,bin,etc/opq,home/u,dev,srv} "$l2"/{bin,etc/opq,lib} "$l3"
	ln -s usr/lib "$l1/lib"
	printf 'BB' >"$l1/bin/busybox" && chmod 0755 "$l1/bin/busybox"
	printf 'su' >"$l1/bin/su" && chmod 4755 "$l1/bin/su"
	echo a >"$l1/etc/opq/a"
	echo b >"$l1/etc/opq/b"
	echo gone >"$l1/etc/gone"
	echo keep >"$l1/etc/keep"
	echo mine >"$l1/home/u/file"
	chown -R 1000:1000 "$l1/home/u" && chmod 0700 "$l1/home/u"
	mknod "$l1/dev/null" c 1 3 && chmod 0666 "$l1/dev/null"
	mkfifo "$l1/srv/fifo"
	echo x >"$l1/srv/attr" && setfattr -n user.berth -v yes "$l1/srv/attr"
	layer_tar "$l1" "$T/l1.tar"

	# layer 2 (gzip): a file through the lower lib -> usr/lib symlink,
	# a hard link to a lower file, whiteouts, an opaque folder, a file
	# replaced by a symlink, setgid with a group
	printf 'foo' >"$l2/lib/libfoo.so"
	printf 'BB' >"$l2/bin/busybox" && chmod 0755 "$l2/bin/busybox"
	ln "$l2/bin/busybox" "$l2/bin/sh"
	: >"$l2/etc/.wh.gone"
	: >"$l2/etc/opq/.wh..wh..opq"
	echo c >"$l2/etc/opq/c"
	ln -s /etc/opq/c "$l2/etc/keep"
	printf 'g' >"$l2/bin/sg" && chown 0:50 "$l2/bin/sg" && chmod 2755 "$l2/bin/sg"
	layer_tar "$l2" "$T/l2.tar" ./lib/libfoo.so ./bin/busybox ./bin/sh \
		./etc/.wh.gone ./etc/opq ./etc/opq/.wh..wh..opq ./etc/opq/c ./etc/keep ./bin/sg
	# the hard link's target lives in layer 1 only
	tar --delete -f "$T/l2.tar" ./bin/busybox
	gzip -n "$T/l2.tar"

	# layer 3: a whole folder whited out
	: >"$l3/.wh.home"
	layer_tar "$l3" "$T/l3.tar"

	oci_image "$T/oci" example.com/rules:1 1 "$T/l1.tar" "$T/l2.tar.gz" "$T/l3.tar"
}

@test "layers stacked by overlayfs are the tree umoci unpacks" {
	build_rules_image
	run "$BERTH" image import "$T/oci" $S
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"Loaded image: example.com/rules:1"* ]]
	run "$BERTH" image inspect example.com/rules:1 $S
	[ "$status" -eq 0 ]
	echo "$output" >"$T/inspect.json"
	[ "$(jq '.layers | length' "$T/inspect.json")" -eq 3 ]
	[ "$(jq -r '.config.WorkingDir' "$T/inspect.json")" = /srv ]
	[ "$(jq -c '.config.Entrypoint' "$T/inspect.json")" = '["/bin/sh"]' ]
	lowerdir=$(jq -r .lowerdir "$T/inspect.json")
	[ -n "$lowerdir" ] && [ "$lowerdir" != null ]

	# the layer folders hold overlay whiteouts, not .wh. files
	l2=$(jq -r '.layers[1]' "$T/inspect.json")
	[ "$(stat -c '%F %t:%T' "$l2/etc/gone")" = "character special file 0:0" ]
	[ "$(getfattr -h --only-values -n trusted.overlay.opaque "$l2/etc/opq")" = y ]
	[ ! -e "$l2/etc/.wh.gone" ]

	mkdir -p "$T/mnt"
	mount -t overlay overlay -o "ro,$lowerdir" "$T/mnt"
	umoci unpack --image "$T/oci:1" "$T/bundle" >/dev/null
	tree_list "$T/mnt" >"$T/berth.list"
	tree_list "$T/bundle/rootfs" >"$T/umoci.list"
	umount "$T/mnt"
	diff -u "$T/umoci.list" "$T/berth.list"
	# and the rules did apply (a diff of two empty trees proves nothing)
	grep -q '^./usr/lib/libfoo.so f 644 0 0' "$T/berth.list"
	grep -q '^./bin/sh f 755 0 0' "$T/berth.list"
	grep -q '^./bin/su f 4755 0 0' "$T/berth.list"
	grep -q '^./bin/sg f 2755 0 50' "$T/berth.list"
	grep -q '^./etc/keep l 777 0 0 /etc/opq/c' "$T/berth.list"
	grep -q '^./dev/null dev 1:3' "$T/berth.list"
	grep -q '^./srv/attr xattrs user.berth="yes"' "$T/berth.list"
	run grep -E '^./(etc/gone|etc/opq/a|home) ' "$T/berth.list"
	[ "$status" -eq 1 ]
}

@test "oci-archive, docker save (legacy) and zstd layers import; names and sizes" {
	mkdir -p "$T/a/bin" "$T/b/etc"
	printf 'base' >"$T/a/bin/base"
	printf 'top' >"$T/b/etc/top"
	layer_tar "$T/a" "$T/a.tar"
	layer_tar "$T/b" "$T/b.tar"
	zstd -q "$T/b.tar" -o "$T/b.tar.zst"
	cp "$T/a.tar" "$T/a-copy.tar"

	# oci-archive: a tarball of an OCI layout
	oci_image "$T/oci" registry.example:5000/team/app:2.0 2.0 "$T/a.tar" "$T/b.tar.zst"
	tar -C "$T/oci" -cf "$T/app.oci.tar" .
	run "$BERTH" image import "$T/app.oci.tar" $S
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"Loaded image: registry.example:5000/team/app:2.0"* ]]

	# docker save before Docker 25: manifest.json + <id>/layer.tar
	mkdir -p "$T/save/l1"
	cp "$T/a-copy.tar" "$T/save/l1/layer.tar"
	diff=$(sha256sum <"$T/a-copy.tar" | cut -d' ' -f1)
	jq -nc --arg d "sha256:$diff" --arg arch "$ARCH" '{architecture:$arch, os:"linux",
		config:{Cmd:["/bin/base"]}, rootfs:{type:"layers", diff_ids:[$d]}}' >"$T/save/cfg.json"
	cid=$(sha256sum "$T/save/cfg.json" | cut -d' ' -f1)
	mv "$T/save/cfg.json" "$T/save/$cid.json"
	jq -nc --arg c "$cid.json" '[{Config:$c, RepoTags:["legacy:1"], Layers:["l1/layer.tar"]}]' >"$T/save/manifest.json"
	tar -C "$T/save" -cf "$T/legacy.tar" .
	run "$BERTH" image import "$T/legacy.tar" $S
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"Loaded image: docker.io/library/legacy:1"* ]]

	run "$BERTH" image inspect "${cid:0:12}" $S
	[ "$status" -eq 0 ]
	[ "$(jq -r '.names[0]' <<<"$output")" = docker.io/library/legacy:1 ]
	[ "$(jq -c '.config.Cmd' <<<"$output")" = '["/bin/base"]' ]
	run "$BERTH" images -o json $S
	[ "$status" -eq 0 ]
	echo "$output" >"$T/images.json"
	[ "$(jq '.images | length' "$T/images.json")" -eq 2 ]
	# the base layer is the same chain in both images: unpacked once, shared
	[ "$(ls "$T/state/images/layers" | wc -l)" -eq 2 ]
	[ "$(jq '[.images[] | select(.sharedSize == 4)] | length' "$T/images.json")" -eq 2 ]
	[ "$(jq -r '.images[] | select(.repository == "docker.io/library/legacy") | .id' "$T/images.json")" = "sha256:$cid" ]
	run "$BERTH" images $S
	[[ "${lines[0]}" == "REPOSITORY"*"TAG"*"IMAGE ID"*"SIZE"*"SHARED SIZE" ]]
	[[ "$output" == *"registry.example:5000/team/app"*"2.0"* ]]

	# rm one: the shared layer stays for the other; prune -a empties
	run "$BERTH" image rm registry.example:5000/team/app:2.0 $S
	[ "$status" -eq 0 ]
	[ "$(ls "$T/state/images/layers" | wc -l)" -eq 1 ]
	run "$BERTH" image inspect legacy:1 $S
	[ "$status" -eq 0 ]
	run "$BERTH" image rm registry.example:5000/team/app:2.0 $S
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image"* ]]
	run "$BERTH" image prune -a $S
	[ "$status" -eq 0 ]
	[ "$(ls "$T/state/images/layers" | wc -l)" -eq 0 ]
	[ "$(ls "$T/state/images/blobs/sha256" | wc -l)" -eq 0 ]
	[ "$(ls "$T/state/images/l" | wc -l)" -eq 0 ]
}

@test "docker save of Docker 25+ (an OCI layout that also has manifest.json) imports" {
	mkdir -p "$T/a/bin"
	printf 'docker25' >"$T/a/bin/app"
	layer_tar "$T/a" "$T/a.tar"
	gzip -n "$T/a.tar"
	oci_image "$T/oci" docker.io/library/new:25 25 "$T/a.tar.gz"
	man=$(jq -r '.manifests[0].digest' "$T/oci/index.json")
	cfg=$(jq -r '.config.digest' "$T/oci/blobs/sha256/${man#sha256:}")
	lay=$(jq -r '.layers[0].digest' "$T/oci/blobs/sha256/${man#sha256:}")
	# what Docker 25 writes beside the OCI layout, for older readers
	jq -nc --arg c "blobs/sha256/${cfg#sha256:}" --arg l "blobs/sha256/${lay#sha256:}" \
		'[{Config:$c, RepoTags:["new:25"], Layers:[$l]}]' >"$T/oci/manifest.json"
	tar -C "$T/oci" -cf "$T/new.tar" .
	run "$BERTH" image import "$T/new.tar" $S
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$output" = "Loaded image: docker.io/library/new:25" ]
	run "$BERTH" image inspect new:25 $S
	[ "$status" -eq 0 ]
	[ "$(jq -r .manifest <<<"$output")" = "$man" ]
	[ "$(cat "$(jq -r '.layers[0]' <<<"$output")/bin/app")" = docker25 ]
}

@test "a corrupted blob is never used; a bad archive loses nothing; leftovers are collected" {
	mkdir -p "$T/a/bin"
	printf 'base' >"$T/a/bin/base"
	layer_tar "$T/a" "$T/a.tar"
	oci_image "$T/oci" example.com/c:1 1 "$T/a.tar"
	# a blob whose bytes do not match its name is refused at import
	cp -r "$T/oci" "$T/bad"
	b=$(ls "$T/bad/blobs/sha256" | head -n 1)
	printf 'x' >>"$T/bad/blobs/sha256/$b"
	run "$BERTH" image import "$T/bad" $S
	[ "$status" -eq 1 ]
	[[ "$output" == *"digest mismatch"* || "$output" == *"corrupted"* ]]
	run "$BERTH" images -q $S
	[ -z "$output" ]

	run "$BERTH" image import "$T/oci" $S
	[ "$status" -eq 0 ]
	# the layer blob rots on disk and its folder is lost: resolving it
	# again unpacks from the blob, which fails its digest check
	layer=$(jq -r '.manifests[0].digest' "$T/oci/index.json")
	ldg=$(jq -r '.layers[0].digest' "$T/oci/blobs/sha256/${layer#sha256:}")
	printf 'rot' >>"$T/state/images/blobs/sha256/${ldg#sha256:}"
	rm -rf "$T/state/images/layers/"*
	run "$BERTH" image inspect example.com/c:1 $S
	[ "$status" -eq 1 ]
	[[ "$output" == *"digest mismatch"* || "$output" == *"is not the"* || "$output" == *"content is"* ]]
	[ "$(ls "$T/state/images/layers" | wc -l)" -eq 0 ]

	# what a killed import leaves (work folders) is removed by the next GC
	mkdir -p "$T/state/images/tmp/layer-killed/root/etc"
	run "$BERTH" image prune $S
	[ "$status" -eq 0 ]
	[ "$(ls "$T/state/images/tmp" | wc -l)" -eq 0 ]

	run "$BERTH" image import "$T/nothing-here.tar" $S
	[ "$status" -eq 1 ]
	run "$BERTH" image import "$T/oci" --name 'Bad:Name' $S
	[ "$status" -eq 2 ]
}

start_registry() {
	mkdir -p "$T/registry"
	cat >"$T/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: 127.0.0.1:$REG_PORT
EOF
	/usr/bin/docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
	REG_PID=$!
	wait_for 30 curl -sf "http://127.0.0.1:$REG_PORT/v2/"
}

@test "pull from a registry through skopeo; plain HTTP only for insecureRegistries" {
	start_registry
	mkdir -p "$T/a/bin"
	printf 'pulled' >"$T/a/bin/app"
	layer_tar "$T/a" "$T/a.tar"
	gzip -n "$T/a.tar"
	oci_image "$T/oci" x 1 "$T/a.tar.gz"
	skopeo copy --quiet --dest-tls-verify=false "oci:$T/oci:1" \
		"docker://127.0.0.1:$REG_PORT/test/app:1"
	digest=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$REG_PORT/test/app:1" | jq -r .Digest)

	# not listed: skopeo insists on TLS and the pull fails, nothing stored
	run "$BERTH" image pull "127.0.0.1:$REG_PORT/test/app:1" $S
	[ "$status" -eq 1 ]
	[[ "$output" == *"pull \`127.0.0.1:$REG_PORT/test/app:1\`"* ]]
	[[ "$output" == *"http"* ]]
	run "$BERTH" images -q $S
	[ -z "$output" ]

	berth_header >"$T/berth.ini"
	echo "insecureRegistries = 127.0.0.1:$REG_PORT" >>"$T/berth.ini"
	run "$BERTH" image pull "127.0.0.1:$REG_PORT/test/app:1" -c "$T/berth.ini"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"Digest: $digest"* ]]
	run "$BERTH" image inspect "127.0.0.1:$REG_PORT/test/app:1" -c "$T/berth.ini"
	[ "$status" -eq 0 ]
	[ "$(jq -r ".repoDigests[0]" <<<"$output")" = "127.0.0.1:$REG_PORT/test/app@$digest" ]
	layer=$(jq -r '.layers[0]' <<<"$output")
	[ "$(cat "$layer/bin/app")" = pulled ]

	# by digest, and a second name for the same image
	run "$BERTH" image pull "127.0.0.1:$REG_PORT/test/app@$digest" -c "$T/berth.ini"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$BERTH" image inspect "127.0.0.1:$REG_PORT/test/app@$digest" -c "$T/berth.ini"
	[ "$status" -eq 0 ]
	# pulled by digest only, into a store of its own: listed by repository
	run "$BERTH" image pull "127.0.0.1:$REG_PORT/test/app@$digest" -c "$T/berth.ini" --state-dir "$T/state2"
	[ "$status" -eq 0 ]
	run "$BERTH" images -o json --state-dir "$T/state2"
	[ "$(jq -r '.images[0] | .repository + " " + .tag' <<<"$output")" = "127.0.0.1:$REG_PORT/test/app <none>" ]
	run "$BERTH" image pull "127.0.0.1:$REG_PORT/test/missing:1" -c "$T/berth.ini"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing"* ]]
	run "$BERTH" images -o json -c "$T/berth.ini"
	[ "$(jq '.images | length' <<<"$output")" -eq 1 ]
}

@test "an import killed at any instant leaves no half layer in use" {
	mkdir -p "$T/a/data" "$T/b/data"
	for i in $(seq 1 400); do echo "file $i" >"$T/a/data/f$i"; done
	head -c 30000000 /dev/urandom >"$T/b/data/big"
	layer_tar "$T/a" "$T/a.tar"
	layer_tar "$T/b" "$T/b.tar"
	gzip -n -1 "$T/b.tar"
	oci_image "$T/oci" example.com/crash:1 1 "$T/a.tar" "$T/b.tar.gz"
	for delay in 0.05 0.2 0.5 1; do
		"$BERTH" image import "$T/oci" $S >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# every layer folder is complete; a listed image resolves
		for l in "$T/state/images/layers"/*; do
			[ -e "$l" ] || continue
			[ -f "$l/meta.json" ]
		done
		if "$BERTH" images -q $S | grep -q .; then
			run "$BERTH" image inspect example.com/crash:1 $S
			[ "$status" -eq 0 ]
		fi
		run "$BERTH" image prune -a $S
		[ "$status" -eq 0 ]
		[ "$(ls "$T/state/images/tmp" | wc -l)" -eq 0 ]
		[ "$(ls "$T/state/images/layers" | wc -l)" -eq 0 ]
	done
	run "$BERTH" image import "$T/oci" $S
	[ "$status" -eq 0 ]
	run "$BERTH" image inspect example.com/crash:1 $S
	top=$(jq -r '.layers[1]' <<<"$output")
	cmp "$top/data/big" "$T/b/data/big"
}

@test "a multi-platform index imports the host's platform" {
	mkdir -p "$T/a"
	printf 'host' >"$T/a/which"
	layer_tar "$T/a" "$T/a.tar"
	oci_image "$T/oci" example.com/multi:1 1 "$T/a.tar"
	host=$(jq -c '.manifests[0] | del(.annotations)' "$T/oci/index.json")
	# the other platform's manifest names a blob that is not there: taking
	# it would fail the import
	other=$(jq -nc '{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
		config:{mediaType:"application/vnd.oci.image.config.v1+json",
		digest:"sha256:0000000000000000000000000000000000000000000000000000000000000000", size:1},
		layers:[]}')
	echo "$other" >"$T/other.json"
	odg=$(blob "$T/other.json" "$T/oci")
	other_arch=s390x
	[ "$ARCH" != s390x ] || other_arch=amd64
	jq -nc --argjson h "$host" --arg o "$odg" --arg a "$ARCH" --arg oa "$other_arch" \
		'{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json",
		manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$o, size:1,
		platform:{os:"linux", architecture:$oa}},
		($h + {platform:{os:"linux", architecture:$a}})]}' >"$T/list.json"
	ldg=$(blob "$T/list.json" "$T/oci")
	jq -c --arg d "$ldg" '.manifests = [{mediaType:"application/vnd.oci.image.index.v1+json",
		digest:$d, size:1, annotations:{"io.containerd.image.name":"example.com/multi:1"}}]' \
		"$T/oci/index.json" >"$T/index.new"
	mv "$T/index.new" "$T/oci/index.json"
	run "$BERTH" image import "$T/oci" $S
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$BERTH" image inspect example.com/multi:1 $S
	[ "$status" -eq 0 ]
	[ "$(cat "$(jq -r '.layers[0]' <<<"$output")/which")" = host ]
	[ "$(jq -r .manifest <<<"$output")" = "$(jq -r .digest <<<"$host")" ]
}
