/*
 * rootfs.h - a pod's root filesystem: the image directory as the read-only
 * lower layer (or an OCI image's layers) shared by every replica, a
 * per-pod writable upper layer, and
 * the overlay mounted at BUNDLE/rootfs. Owns those mounts and directories
 * only; the runtime does every other mount inside the container.
 */
#ifndef BERTH_RUNTIME_ROOTFS_H
#define BERTH_RUNTIME_ROOTFS_H

#include <uv.h>

#include "../common/err.h"

/* Folders removed from now on (a pod's folder, an old upper layer) are
 * renamed to a trash name next to the pod folders at once and deleted on
 * loop's thread pool (fs_jobs.h). Before this, or with NULL, they are
 * deleted synchronously. Called once at start-up. */
void rootfs_set_loop(uv_loop_t *loop);
/* Mounts image under pod_dir (pod_dir/{upper,work,bundle/rootfs}): the
 * folder image, or when lowerdir ("lowerdir=TOP:...:BOTTOM", an OCI
 * image's layers) is not NULL, those. A fresh upper layer is made each
 * time (a restarted container starts clean); the old one is unmounted and
 * removed here, synchronously: call it off the loop. */
int rootfs_mount(const char *image, const char *lowerdir, const char *pod_dir,
		 struct berr *err);
/* Unmounts the overlay if mounted; never fails on "not mounted". */
int rootfs_unmount(const char *pod_dir, struct berr *err);
/* Unmounts and removes pod_dir entirely. The unmount and the rename are
 * done when this returns (the name pod_dir is free); the deletion of the
 * renamed tree may still be running on the thread pool. */
int rootfs_remove(const char *pod_dir, struct berr *err);
/* true when pod_dir/bundle/rootfs is a mount point. */
int rootfs_is_mounted(const char *pod_dir);

#endif
