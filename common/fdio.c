/*
 * fdio.c - descriptor and file helpers shared by every layer. Knows nothing
 * about pods or configs.
 */
#include "fdio.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int file_read_all(const char *path, char **out, size_t *len_out,
		  struct berr *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, len = 0;
	char *buf;

	if (fd == -1)
		return berr_errno(err, errno, "open `%s`", path);
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			return berr_errno(err, errno, "read `%s`", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	if (len_out)
		*len_out = len;
	return 0;
}

int file_write_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode, struct berr *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp", path);
	cleanup_free char *dircopy = xstrdup(path);
	int fd, dfd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return berr_errno(err, errno, "create `%s`", tmp);
	if (fd_write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
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
	cleanup_free char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd == -1)
		return berr_errno(err, errno, "create `%s`", tmp);
	if (fd_write_all(fd, buf, len) == -1) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return berr_errno(err, e, "write `%s`", tmp);
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		int e = errno;

		unlink(tmp);
		return berr_errno(err, e, "rename `%s`", tmp);
	}
	return 0;
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
