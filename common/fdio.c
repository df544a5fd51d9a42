/*
 * fdio.c - descriptor and file helpers shared by every layer. Knows nothing
 * about pods or configs.
 */
#include "fdio.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "xalloc.h"

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

/* The read errors say why only; file_read_all() and callers name the file. */
static int errno_why(struct berr *err, int e)
{
	if (err == NULL)
		return -1;
	berr_set(err, "%s", strerror(e));
	err->code = e;
	return -1;
}

static int not_regular(struct berr *err, mode_t mode)
{
	if (err == NULL)
		return -1;
	berr_set(err, "is %s, not a regular file", file_kind(mode));
	err->code = EINVAL;
	return -1;
}

static int too_big(struct berr *err, size_t max)
{
	if (err == NULL)
		return -1;
	if (max >= (1u << 20) && max % (1u << 20) == 0)
		berr_set(err, "is larger than %zu MiB", max >> 20);
	else
		berr_set(err, "is larger than %zu bytes", max);
	err->code = EFBIG;
	return -1;
}

int file_read_bounded(const char *path, size_t max, int flags, char **out,
		      size_t *len_out, struct berr *err)
{
	int oflags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	cleanup_close int fd = -1;
	struct stat st;
	size_t cap, len = 0;
	char *buf;

	/* Look before opening: opening a device may already do something
	 * (a tape rewinds, a tty becomes ours), and a FIFO would block. */
	if ((flags & FILE_READ_NOFOLLOW ? lstat(path, &st) : stat(path, &st)) ==
	    -1)
		return errno_why(err, errno);
	if (!S_ISREG(st.st_mode))
		return not_regular(err, st.st_mode);
	if (flags & FILE_READ_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	/* O_NONBLOCK: what is swapped in between stat and open must not
	 * block the open either; fstat then decides. */
	fd = open(path, oflags);
	if (fd == -1)
		return errno_why(err, errno);
	if (fstat(fd, &st) == -1)
		return errno_why(err, errno);
	if (!S_ISREG(st.st_mode))
		return not_regular(err, st.st_mode);
	if (st.st_size > 0 && (uintmax_t)st.st_size > max)
		return too_big(err, max);
	/* st_size is 0 for /proc and /sys files: read to EOF, never more
	 * than max + 1 bytes. */
	cap = (size_t)st.st_size + 1 > 4096 ? (size_t)st.st_size + 2 : 4096;
	if (cap > max + 2)
		cap = max + 2;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			cap = cap > (max + 2) / 2 ? max + 2 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1) {
			int e = errno;

			if (e == EINTR)
				continue;
			free(buf);
			return errno_why(err, e);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return too_big(err, max);
		}
	}
	buf[len] = '\0';
	*out = buf;
	if (len_out)
		*len_out = len;
	return 0;
}

int file_read_all(const char *path, char **out, size_t *len_out,
		  struct berr *err)
{
	if (file_read_bounded(path, FILE_READ_ALL_MAX, 0, out, len_out, err) ==
	    -1)
		return berr_wrap(err, "read `%s`", path);
	return 0;
}

/*
 * Creates PATH.tmp-RANDOM exclusively: never an existing file and never
 * through a symlink someone planted under a predictable name.
 */
static int tmp_create(const char *path, mode_t mode, char **tmp_out,
		      struct berr *err)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[6];
		char *tmp;
		int fd;

		if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
			struct timespec ts;

			/* No entropy yet (early boot): a unique-enough name
			 * still does, since O_EXCL is what protects. */
			clock_gettime(CLOCK_MONOTONIC, &ts);
			memcpy(r, &ts.tv_nsec, 4);
			r[4] = (unsigned char)tries;
			r[5] = (unsigned char)getpid();
		}
		tmp = xasprintf("%s.tmp-%02x%02x%02x%02x%02x%02x", path, r[0],
				r[1], r[2], r[3], r[4], r[5]);
		fd = open(tmp,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  mode);
		if (fd >= 0) {
			*tmp_out = tmp;
			return fd;
		}
		if (errno != EEXIST) {
			int e = errno;

			berr_errno(err, e, "create `%s`", tmp);
			free(tmp);
			return -1;
		}
		free(tmp);
	}
	return berr_set(err,
			"create a temporary file next to `%s`: every "
			"name taken",
			path);
}

/* Writes buf to a fresh temp file and renames it over path. */
static int write_replace(const char *path, const void *buf, size_t len,
			 mode_t mode, bool sync, struct berr *err)
{
	cleanup_free char *tmp = NULL;
	int fd = tmp_create(path, mode, &tmp, err);

	if (fd == -1)
		return -1;
	if (fd_write_all(fd, buf, len) == -1 || (sync && fsync(fd) == -1)) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return berr_errno(err, e, "write `%s`", tmp);
	}
	if (close(fd) == -1) {
		int e = errno;

		unlink(tmp);
		return berr_errno(err, e, "close `%s`", tmp);
	}
	if (rename(tmp, path) == -1) {
		int e = errno;

		unlink(tmp);
		return berr_errno(err, e, "rename `%s`", tmp);
	}
	return 0;
}

int file_write_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode, struct berr *err)
{
	cleanup_free char *dircopy = xstrdup(path);
	int dfd;

	if (write_replace(path, buf, len, mode, true, err) == -1)
		return -1;
	dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int file_write_replace(const char *path, const void *buf, size_t len,
		       mode_t mode, struct berr *err)
{
	return write_replace(path, buf, len, mode, false, err);
}

int mkdir_p(const char *path, mode_t mode, struct berr *err)
{
	cleanup_free char *copy = xstrdup(path);
	char *p;

	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST)
			return berr_errno(err, errno, "mkdir `%s`", copy);
		*p = '/';
	}
	if (mkdir(copy, mode) == -1 && errno != EEXIST)
		return berr_errno(err, errno, "mkdir `%s`", copy);
	return 0;
}

static int rm_rf_at(int parent, const char *name, dev_t dev, struct berr *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT
			   ? 0
			   : berr_errno(err, errno, "stat `%s`", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) == -1 && errno != ENOENT)
			return berr_errno(err, errno, "unlink `%s`", name);
		return 0;
	}
	if (st.st_dev != dev)
		return berr_set(err, "`%s` is a mount point, not removed",
				name);
	fd = openat(parent, name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return berr_errno(err, errno, "open `%s`", name);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berr_errno(err, errno, "opendir `%s`", name);
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_rf_at(dirfd(d), de->d_name, dev, err) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return berr_errno(err, errno, "rmdir `%s`", name);
	return 0;
}

int rm_rf(const char *path, struct berr *err)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT
			   ? 0
			   : berr_errno(err, errno, "stat `%s`", path);
	if (rm_rf_at(AT_FDCWD, path, st.st_dev, err) == -1)
		return berr_wrap(err, "remove `%s`", path);
	return 0;
}
