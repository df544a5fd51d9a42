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
/* Reads a whole file into a NUL-terminated malloc'd buffer. */
int file_read_all(const char *path, char **out, size_t *len_out,
		  struct berr *err);
/* Writes path atomically: PATH.tmp, fsync, rename, fsync of the folder. */
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
