#!/bin/sh
# examples/images/oci.sh - packs the example root folders (made by
# build.sh) as OCI images, to push to a registry with skopeo or to load
# with `berth image import`: OUTDIR/oci/echo is an OCI layout holding echo
# 0.1.0 and 0.2.0, each of two layers: the base (every file but
# /etc/echo-version), the same bytes in both versions, then the version
# file. Layers are reproducible tarballs (sorted names, mtime 0, numeric
# owners, gzip -n), so a rebuild gives the same digests. Needs tar, gzip,
# sha256sum, jq. Owns OUTDIR/oci and OUTDIR/.oci.tmp only.
#
#   sh examples/images/oci.sh OUTDIR
#
# With OCI_SH_FUNCTIONS=1 in the environment, sourcing this file only
# defines oci_layer and oci_add (tests and benchmarks build images with
# them).

# oci_layer DIR OUT [MEMBER...]: OUT (a .tar.gz) of DIR's tree, or of the
# members only (no parent folders) when given.
oci_layer() {
	_dir=$1 _out=$2
	shift 2
	if [ $# -eq 0 ]; then
		set -- --exclude=./.berth-image .
	else
		set -- --no-recursion "$@"
	fi
	tar --sort=name --mtime=@0 --numeric-owner --format=gnu -C "$_dir" \
		-cf - "$@" | gzip -n >"$_out"
}

# _oci_blob FILE LAYOUT: FILE copied into LAYOUT's blobs; prints its digest.
_oci_blob() {
	_d=$(sha256sum "$1" | cut -d' ' -f1)
	mkdir -p "$2/blobs/sha256"
	[ -f "$2/blobs/sha256/$_d" ] || cp "$1" "$2/blobs/sha256/$_d"
	echo "sha256:$_d"
}

# oci_add LAYOUT NAME CONFIG LAYER.tar.gz...: adds the image NAME
# (repository:tag) made of those layers, lowest first, to the OCI layout
# (made if needed); CONFIG is the JSON of the image config's "config"
# object (Entrypoint, Cmd, Env...). The index entry is named TAG
# (org.opencontainers.image.ref.name: skopeo's oci:LAYOUT:TAG) and NAME
# (io.containerd.image.name: the name `berth image import` gives it).
oci_add() {
	_layout=$1 _name=$2 _cfg=$3
	shift 3
	_tmp=$(mktemp -d)
	mkdir -p "$_layout/blobs/sha256"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$_layout/oci-layout"
	[ -f "$_layout/index.json" ] ||
		echo '{"schemaVersion":2,"manifests":[]}' >"$_layout/index.json"
	echo '[]' >"$_tmp/layers"
	echo '[]' >"$_tmp/diffs"
	for _l in "$@"; do
		_diff=sha256:$(gzip -dc "$_l" | sha256sum | cut -d' ' -f1)
		_dg=$(_oci_blob "$_l" "$_layout")
		jq -c --arg d "$_dg" --argjson s "$(stat -c %s "$_l")" \
			'. + [{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",
			digest:$d, size:$s}]' "$_tmp/layers" >"$_tmp/n" && mv "$_tmp/n" "$_tmp/layers"
		jq -c --arg d "$_diff" '. + [$d]' "$_tmp/diffs" >"$_tmp/n" && mv "$_tmp/n" "$_tmp/diffs"
	done
	jq -nc --arg arch "$(dpkg --print-architecture)" --argjson c "$_cfg" \
		--slurpfile d "$_tmp/diffs" '{architecture:$arch, os:"linux",
		config:$c, rootfs:{type:"layers", diff_ids:$d[0]}}' >"$_tmp/config.json"
	_cd=$(_oci_blob "$_tmp/config.json" "$_layout")
	jq -nc --arg c "$_cd" --argjson cs "$(stat -c %s "$_tmp/config.json")" \
		--slurpfile l "$_tmp/layers" '{schemaVersion:2,
		mediaType:"application/vnd.oci.image.manifest.v1+json",
		config:{mediaType:"application/vnd.oci.image.config.v1+json",
		digest:$c, size:$cs}, layers:$l[0]}' >"$_tmp/manifest.json"
	_md=$(_oci_blob "$_tmp/manifest.json" "$_layout")
	jq -c --arg d "$_md" --argjson s "$(stat -c %s "$_tmp/manifest.json")" \
		--arg n "$_name" --arg t "${_name##*:}" '.manifests |=
		([.[] | select(.annotations["io.containerd.image.name"] != $n)] +
		[{mediaType:"application/vnd.oci.image.manifest.v1+json",
		digest:$d, size:$s, annotations:{"io.containerd.image.name":$n,
		"org.opencontainers.image.ref.name":$t}}])' \
		"$_layout/index.json" >"$_tmp/index.json"
	mv "$_tmp/index.json" "$_layout/index.json"
	rm -rf "$_tmp"
}

[ -z "${OCI_SH_FUNCTIONS:-}" ] || return 0
set -eu

[ $# -eq 1 ] || {
	echo "usage: sh $0 OUTDIR" >&2
	exit 2
}
OUT=$1
# two concurrent builds (make test and make demo) must not interleave
if command -v flock >/dev/null 2>&1; then
	exec 9>"$OUT/.lock"
	flock 9
fi
stamp=$({
	cat "$0" "$OUT/echo-0.1.0/.berth-image" "$OUT/echo-0.2.0/.berth-image"
} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$OUT/oci/.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "images: oci up to date"
	exit 0
fi
rm -rf "$OUT/.oci.tmp"
mkdir -p "$OUT/.oci.tmp/layers"
L=$OUT/.oci.tmp/layers
ECHO_CONFIG='{"Entrypoint":["/bin/echo-version"],"Cmd":["--listen",":8080"],
	"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/",
	"ExposedPorts":{"8080/tcp":{}}}'
# the base: echo-0.1.0 without its version file (0.2.0's is the same bytes)
tar --sort=name --mtime=@0 --numeric-owner --format=gnu \
	-C "$OUT/echo-0.1.0" --exclude=./.berth-image --exclude=./etc/echo-version \
	-cf - . | gzip -n >"$L/base.tar.gz"
for v in 0.1.0 0.2.0; do
	oci_layer "$OUT/echo-$v" "$L/top-$v.tar.gz" ./etc/echo-version
	oci_add "$OUT/.oci.tmp/echo" "docker.io/library/echo:$v" "$ECHO_CONFIG" \
		"$L/base.tar.gz" "$L/top-$v.tar.gz"
done
rm -rf "$L"
echo "$stamp" >"$OUT/.oci.tmp/.stamp"
rm -rf "$OUT/oci"
mv "$OUT/.oci.tmp" "$OUT/oci"
echo "images: built $OUT/oci/echo (echo:0.1.0, echo:0.2.0; a shared base layer)"
