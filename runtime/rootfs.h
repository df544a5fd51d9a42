/*
 * rootfs.h - a pod's root filesystem: the image directory as the read-only
 * lower layer shared by every replica, a per-pod writable upper layer, and
 * the overlay mounted at BUNDLE/rootfs. Owns those mounts and directories
 * only; the runtime does every other mount inside the container.
 */
#ifndef BERTH_RUNTIME_ROOTFS_H
#define BERTH_RUNTIME_ROOTFS_H

#include "../common/err.h"

/* Mounts image under pod_dir (pod_dir/{upper,work,bundle/rootfs}). A fresh
 * upper layer is made each time (a restarted container starts clean). */
int rootfs_mount(const char *image, const char *pod_dir, struct berr *err);
/* Unmounts the overlay if mounted; never fails on "not mounted". */
int rootfs_unmount(const char *pod_dir, struct berr *err);
/* Unmounts and removes pod_dir entirely. */
int rootfs_remove(const char *pod_dir, struct berr *err);
/* true when pod_dir/bundle/rootfs is a mount point. */
int rootfs_is_mounted(const char *pod_dir);

#endif
