/*
 * layer_view.h - the merged view (this layer above its lower layers) that
 * layer_extract.c resolves names through, and descriptors opened beneath
 * a layer's root without following symlinks. Internal to images/.
 */
#ifndef BERTH_IMAGES_LAYER_VIEW_H
#define BERTH_IMAGES_LAYER_VIEW_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "../common/err.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"

struct layer_view {
	int root;	  /* the layer being written */
	const int *lower; /* lower layers' roots, lowest first */
	size_t n_lower;
};

/* Opens rel (relative, no symlink, no `..`) beneath root:
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or an O_NOFOLLOW walk
 * where the kernel has no openat2. -1 with errno. */
int lv_open_beneath(int root, const char *rel, int flags);
/* lstat of rel beneath root; -1 with errno. */
int lv_stat_beneath(int root, const char *rel, struct stat *st);
/* Copies rel's folder into dir ("" at the top) and returns its last name. */
const char *lv_split_last(const char *rel, char dir[PATH_MAX]);
/* A character device 0/0: overlayfs' whiteout. */
bool lv_is_whiteout(const struct stat *st);
/* Finds rel in the view, top layer first: 0 with *st and the owning
 * layer's root in *owner, or -1 with errno ENOENT when absent or hidden
 * by a whiteout, a non-folder or an opaque folder above it. */
int lv_lookup(const struct layer_view *v, const char *rel, struct stat *st,
	      int *owner);
/* Resolves rel as the kernel would in a chroot of the view: symlinks
 * followed (the last one only when follow_last), absolute targets from
 * the root, `..` stopping at the root. out has no symlink and no `..`. */
int lv_resolve(const struct layer_view *v, const char *rel, bool follow_last,
	       char out[PATH_MAX], struct berr *err);
/* Appends "/comp" (or "comp" to "") within PATH_MAX; -1 when too long. */
int lv_append_comp(char *path, const char *comp, size_t clen);
/* Drops the last component ("" stays ""). */
void lv_pop_comp(char *path);

#endif
