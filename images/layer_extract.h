/*
 * layer_extract.h - one OCI layer tarball unpacked into its own folder, as
 * an overlayfs layer above the folders of the layers below it. Knows
 * nothing about manifests, the store's layout or pods.
 */
#ifndef BERTH_IMAGES_LAYER_EXTRACT_H
#define BERTH_IMAGES_LAYER_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/image_ref.h"

struct layer_extract_result {
	char digest[IMAGE_DIGEST_LEN + 1]; /* sha256 of the bytes read */
	uint64_t size;			   /* bytes of regular files written */
	uint64_t entries;
};

/*
 * Unpacks the layer read from fd (a tar, gzip/zstd/xz-compressed or not)
 * into dest, an existing empty folder, following the OCI layer rules:
 * `.wh.NAME` becomes an overlay whiteout (char device 0/0), `.wh..wh..opq`
 * sets trusted.overlay.opaque=y on its folder, existing entries are
 * removed before being written (unless both are folders), owners are the
 * numeric ones of the tarball, modes (setuid included), xattrs (never
 * trusted.overlay.*), device nodes and times are kept.
 *
 * lowers are the folders of the layers below (lowest first): paths are
 * resolved through the merged view of lowers + dest, so a `lib -> usr/lib`
 * symlink of a lower layer is followed, a hard link to a file of a lower
 * layer becomes a copy, and a folder created implicitly takes the owner
 * and mode of the same folder below.
 *
 * Confinement: every name is resolved inside the merged root (`/` and `..`
 * of symlinks stop at the layer's root) and created through descriptors
 * opened beneath dest without following symlinks, so nothing is ever
 * written outside dest. A name that climbs out with `..`, or a hard link
 * to nothing inside the image, fails the whole layer.
 *
 * When want_digest is not NULL, the bytes read must hash to it. On failure
 * dest holds a partial tree the caller removes.
 */
int layer_extract(int fd, const char *want_digest, const char *dest,
		  const char *const *lowers, size_t n_lowers,
		  struct layer_extract_result *res, struct berr *err);

/* sha256 of the uncompressed tar stream (the config's diff_id). */
int layer_diff_id(int fd, char out[IMAGE_DIGEST_LEN + 1], struct berr *err);

#endif
