/*
 * fdio.h - file and descriptor helpers: whole-file reads, atomic writes
 * (temp + fsync + rename), recursive mkdir/rm. Leaf module: libc only.
 */
#ifndef BERTH_COMMON_FDIO_H
#define BERTH_COMMON_FDIO_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define RETRY_EINTR(expr)                                                      \
	({                                                                     \
		long _r;                                                       \
		do                                                             \
			_r = (long)(expr);                                     \
		while (_r == -1L && errno == EINTR);                           \
		_r;                                                            \
	})

int fd_write_all(int fd, const void *buf, size_t len);
/* file_read_bounded() flag: refuse a symlink as the last component. */
#define FILE_READ_NOFOLLOW 0x1
/* The most file_read_all() reads (berth's own small files). */
#define FILE_READ_ALL_MAX (16u << 20)

/*
 * The one reader of files whose path someone else may choose: reads a
 * regular file of at most max bytes into a NUL-terminated malloc'd buffer.
 * Never blocks and never allocates more than max + 2 bytes: anything that
 * is not a regular file (a FIFO, /dev/zero, a directory) is refused before
 * it is opened and again after (opened O_NONBLOCK, checked with fstat).
 * On failure err->msg says only why ("is a FIFO, not a regular file", "is
 * larger than 4 MiB", strerror) so the caller names the file; err->code is
 * the errno, EINVAL for "not a regular file", EFBIG for "too large".
 */
int file_read_bounded(const char *path, size_t max, int flags, char **out,
		      size_t *len_out, struct berr *err);
/* file_read_bounded() with FILE_READ_ALL_MAX; the message names the file
 * ("read `PATH`: why"). */
int file_read_all(const char *path, char **out, size_t *len_out,
		  struct berr *err);
/* Writes path atomically: a new PATH.tmp-RANDOM (O_EXCL, never through a
 * symlink), fsync, rename, fsync of the folder. */
int file_write_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode, struct berr *err);
/* Replaces path (temp + rename) without fsync: for files that do not
 * outlive a reboot anyway (bundles under the run dir). */
int file_write_replace(const char *path, const void *buf, size_t len,
		       mode_t mode, struct berr *err);
/* mkdir -p with mode for every created level. */
int mkdir_p(const char *path, mode_t mode, struct berr *err);
/* rm -rf that never crosses into another filesystem (mount points). */
int rm_rf(const char *path, struct berr *err);

#endif
