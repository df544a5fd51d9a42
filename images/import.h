/*
 * import.h - images into the store without a registry: `docker save`
 * archives (the legacy manifest.json and the OCI layout current Docker
 * writes), oci-archive tarballs, OCI layout folders and skopeo `dir:`
 * folders, with gzip, zstd or uncompressed layers. Knows nothing about
 * registries or pods.
 */
#ifndef BERTH_IMAGES_IMPORT_H
#define BERTH_IMAGES_IMPORT_H

#include <jansson.h>

#include "../common/err.h"
#include "store.h"

/*
 * Imports every image of path (an archive file or a folder). name, when
 * not NULL, names the image (the archive must then hold exactly one);
 * otherwise names come from the archive (RepoTags, the
 * io.containerd.image.name annotation, or an
 * org.opencontainers.image.ref.name that is a full reference). A
 * repo_digest ("repo@sha256:...") is recorded as well when not NULL.
 * *out (may be NULL) gets [{"name","manifest","id"}]. Takes the store's
 * shared lock.
 */
int img_import(struct img_store *s, const char *path, const char *name,
	       const char *repo_digest, json_t **out, struct berr *err);

/*
 * Imports the archives of an import folder: each regular file ending in
 * .tar, .tar.gz, .tgz, .tar.zst or .oci is imported, then moved into
 * DIR/imported/ (or DIR/failed/ with a FILE.error next to it). Files
 * whose name starts with `.` are being written and are skipped. *n gets
 * the number imported.
 */
int img_import_dir_scan(struct img_store *s, const char *dir, int *n,
			struct berr *err);

#endif
