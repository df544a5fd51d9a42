/*
 * rootfs.c - overlay root filesystems for pods. Must not touch runtime
 * state or container processes. Unmounts run here, synchronously; removal
 * of a folder is a rename to a trash name plus a thread-pool job
 * (fs_jobs.c) once rootfs_set_loop() has been called. rootfs_mount runs
 * on a worker thread (runtime.c) and so removes what it replaces there.
 */
#include "rootfs.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "fs_jobs.h"

/* Loop thread only; NULL: remove synchronously. */
static uv_loop_t *trash_loop;

void rootfs_set_loop(uv_loop_t *loop)
{
	trash_loop = loop;
}

/* Removes path, a pod folder or a folder in one, off the loop thread: the
 * trash folder goes next to the pod folders, where start-up looks. */
static int discard(const char *pod_dir, const char *path, struct berr *err)
{
	cleanup_free char *copy = xstrdup(pod_dir);

	return fs_jobs_trash(trash_loop, path, dirname(copy), err);
}

int rootfs_is_mounted(const char *pod_dir)
{
	cleanup_free char *rootfs = xasprintf("%s/bundle/rootfs", pod_dir);
	cleanup_free char *parent = xasprintf("%s/bundle", pod_dir);
	struct stat a, b;

	if (stat(rootfs, &a) == -1 || stat(parent, &b) == -1)
		return 0;
	return a.st_dev != b.st_dev;
}

int rootfs_mount(const char *image, const char *lowerdir, const char *pod_dir,
		 struct berr *err)
{
	cleanup_free char *upper = xasprintf("%s/upper", pod_dir);
	cleanup_free char *work = xasprintf("%s/work", pod_dir);
	cleanup_free char *rootfs = xasprintf("%s/bundle/rootfs", pod_dir);
	cleanup_free char *opts = NULL;
	cleanup_free char *parent = xstrdup(pod_dir);

	if (lowerdir == NULL && strpbrk(image, ",:") != NULL)
		return berr_set(err,
				"image path `%s` contains ',' or ':', which "
				"overlayfs cannot take",
				image);
	if (rootfs_unmount(pod_dir, err) == -1)
		return -1;
	/* on a worker thread: removed here, synchronously */
	if (fs_jobs_trash(NULL, upper, dirname(parent), err) == -1 ||
	    fs_jobs_trash(NULL, work, dirname(parent), err) == -1)
		return -1;
	if (mkdir_p(upper, 0755, err) == -1 || mkdir_p(work, 0700, err) == -1 ||
	    mkdir_p(rootfs, 0755, err) == -1)
		return -1;
	if (lowerdir)
		opts = xasprintf("%s,upperdir=%s,workdir=%s", lowerdir, upper,
				 work);
	else
		opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", image,
				 upper, work);
	if (mount("overlay", rootfs, "overlay", MS_NODEV, opts) == -1)
		return berr_errno(err, errno, "mount overlay on `%s`", rootfs);
	return 0;
}

int rootfs_unmount(const char *pod_dir, struct berr *err)
{
	cleanup_free char *rootfs = xasprintf("%s/bundle/rootfs", pod_dir);

	for (int i = 0; i < 8 && rootfs_is_mounted(pod_dir); i++) {
		if (umount2(rootfs, 0) == 0)
			continue;
		if (errno == EBUSY && umount2(rootfs, MNT_DETACH) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			break;
		return berr_errno(err, errno, "unmount `%s`", rootfs);
	}
	return 0;
}

int rootfs_remove(const char *pod_dir, struct berr *err)
{
	if (rootfs_unmount(pod_dir, err) == -1)
		return -1;
	return discard(pod_dir, pod_dir, err);
}
