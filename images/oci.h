/*
 * oci.h - the JSON documents of an image (OCI and Docker schema 2):
 * manifests, indexes / manifest lists with the host's platform, and image
 * configs. Parsing only (jansson): no files, no store, no pods.
 */
#ifndef BERTH_IMAGES_OCI_H
#define BERTH_IMAGES_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/image_ref.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_DOCKER_MANIFEST                                                     \
	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST                                                         \
	"application/vnd.docker.distribution.manifest.list.v2+json"

struct oci_desc {
	char media_type[128];
	char digest[IMAGE_DIGEST_LEN + 1];
	int64_t size;
};

struct oci_manifest {
	struct oci_desc config;
	struct oci_desc *layers;
	size_t n_layers;
};

/* What a container runs, from the image config's "config" object. */
struct oci_image_config {
	char **entrypoint; /* NULL-terminated, or NULL when unset */
	char **cmd;
	char **env;
	char *working_dir;
	char *user;
	char *os, *architecture, *variant;
	char (*diff_ids)[IMAGE_DIGEST_LEN + 1];
	size_t n_diff_ids;
};

enum oci_kind { OCI_KIND_MANIFEST, OCI_KIND_INDEX, OCI_KIND_UNKNOWN };

/* What buf is, from its mediaType (or its shape when it has none). */
enum oci_kind oci_kind_of(const char *buf, size_t len);

int oci_manifest_parse(const char *buf, size_t len, struct oci_manifest *out,
		       struct berr *err);
void oci_manifest_free(struct oci_manifest *m);

/* Picks the entry of an index for platform os/arch/variant (NULL for the
 * host's: linux and uname's machine in Go's names). */
int oci_index_pick(const char *buf, size_t len, const char *os,
		   const char *arch, const char *variant, struct oci_desc *out,
		   struct berr *err);
/* The host's platform in GOARCH terms ("amd64", "arm64", "arm" + "v7"). */
void oci_host_platform(const char **arch, const char **variant);

int oci_config_parse(const char *buf, size_t len, struct oci_image_config *out,
		     struct berr *err);
void oci_config_free(struct oci_image_config *c);

/* ChainID of layers 0..n-1 (OCI image spec, config.md): chain[0] =
 * diff[0], chain[i] = sha256(chain[i-1] + " " + diff[i]). */
void oci_chain_ids(const char (*diff_ids)[IMAGE_DIGEST_LEN + 1], size_t n,
		   char (*chain)[IMAGE_DIGEST_LEN + 1]);

/* Is this a layer media type berth can unpack (tar, +gzip, +zstd, and
 * Docker's rootfs.diff.tar.gzip)? Non-distributable ones are not. */
bool oci_layer_type_ok(const char *media_type);

#endif
