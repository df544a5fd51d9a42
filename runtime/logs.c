/*
 * logs.c - log size cap and read-back. Never holds a container's log fd.
 * logs_cap() runs on a thread-pool worker (fs_jobs.c): it touches only the
 * files it is given and allocates nothing shared.
 */
#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "cri_log.h"

/* Shifts LOG.K to LOG.K+1 for K = files-2 .. 1; LOG.files-1 is dropped.
 * LOG.1 is then free for the newest part. */
static int shift_rotated(const char *path, int max_files, struct berr *err)
{
	cleanup_free char *last = xasprintf("%s.%d", path, max_files - 1);

	if (max_files > 2 && unlink(last) == -1 && errno != ENOENT)
		return berr_errno(err, errno, "remove `%s`", last);
	for (int k = max_files - 2; k >= 1; k--) {
		cleanup_free char *from = xasprintf("%s.%d", path, k);
		cleanup_free char *to = xasprintf("%s.%d", path, k + 1);

		if (rename(from, to) == -1 && errno != ENOENT)
			return berr_errno(err, errno, "rename `%s`", from);
	}
	return 0;
}

int logs_rotate(const char *path, int max_files, struct berr *err)
{
	cleanup_free char *old = xasprintf("%s.1", path);

	if (shift_rotated(path, max_files, err) == -1)
		return -1;
	if (max_files == 2 && unlink(old) == -1 && errno != ENOENT)
		return berr_errno(err, errno, "remove `%s`", old);
	if (rename(path, old) == -1 && errno != ENOENT)
		return berr_errno(err, errno, "rename `%s`", path);
	return 0;
}

off_t logs_cut_partial(int fd, struct berr *err)
{
	char buf[4096];
	struct stat st;
	off_t end, pos, keep = 0;

	if (fstat(fd, &st) == -1)
		return berr_errno(err, errno, "fstat");
	end = pos = st.st_size;
	while (pos > 0 && keep == 0) {
		size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t r = RETRY_EINTR(pread(fd, buf, n, pos - (off_t)n));

		if (r != (ssize_t)n)
			return berr_errno(err, r == -1 ? errno : EIO, "read");
		pos -= (off_t)n;
		for (size_t i = n; i-- > 0;) {
			if (buf[i] == '\n') {
				keep = pos + (off_t)i + 1;
				break;
			}
		}
	}
	if (keep < end && ftruncate(fd, keep) == -1)
		return berr_errno(err, errno, "truncate");
	return end - keep;
}

bool logs_is_cri(const char *text, size_t len)
{
	struct cri_record r;
	const char *nl = memchr(text, '\n', len);

	/* the header alone tells: a time, a stream and a tag */
	if (nl)
		len = (size_t)(nl - text);
	return len > 0 && cri_parse_line(text, len, &r) == 0;
}

int logs_cap(const char *path, off_t max_bytes, struct berr *err)
{
	return logs_cap_files(path, max_bytes, 2, err);
}

int logs_cap_files(const char *path, off_t max_bytes, int max_files,
		   struct berr *err)
{
	cleanup_free char *old = xasprintf("%s.1", path);
	cleanup_free char *tmp = xasprintf("%s.1.tmp", path);
	cleanup_close int in = -1;
	cleanup_close int out = -1;
	struct stat st;
	char buf[65536];
	ssize_t n;

	if (stat(path, &st) == -1)
		return errno == ENOENT
			   ? 0
			   : berr_errno(err, errno, "stat `%s`", path);
	if (st.st_size <= max_bytes)
		return 0;
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in == -1)
		return berr_errno(err, errno, "open `%s`", path);
	/* The collector's files (CRI records) are its own to rotate: only a
	 * file a container writes itself (started before logd) is capped. */
	n = RETRY_EINTR(read(in, buf, 64));
	if (n > 0 && logs_is_cri(buf, (size_t)n))
		return 0;
	if (n > 0 && lseek(in, 0, SEEK_SET) == -1)
		return berr_errno(err, errno, "seek `%s`", path);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out == -1)
		return berr_errno(err, errno, "create `%s`", tmp);
	while ((n = RETRY_EINTR(read(in, buf, sizeof(buf)))) > 0) {
		if (fd_write_all(out, buf, (size_t)n) == -1) {
			berr_errno(err, errno, "write `%s`", tmp);
			unlink(tmp);
			return -1;
		}
	}
	if (n == -1) {
		berr_errno(err, errno, "read `%s`", path);
		unlink(tmp);
		return -1;
	}
	/* Truncated right after the read that found the end: a line the
	 * container writes between the two is the only one that can be
	 * lost (a window of one system call). The writer has O_APPEND, so
	 * its next write lands at 0. */
	if (truncate(path, 0) == -1) {
		berr_errno(err, errno, "truncate `%s`", path);
		unlink(tmp);
		return -1;
	}
	if (max_files > 2 && shift_rotated(path, max_files, err) == -1) {
		/* LOG.1 still holds older lines: the copy stays as .1.tmp */
		return -1;
	}
	if (rename(tmp, old) == -1)
		return berr_errno(err, errno,
				  "rename `%s` (the lines it holds "
				  "are kept there)",
				  tmp);
	return 0;
}

static void append_tail(const char *path, size_t max, char **buf, size_t *len,
			size_t *cap)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	off_t start = 0;
	ssize_t n;

	if (fd == -1 || fstat(fd, &st) == -1)
		return;
	if ((size_t)st.st_size > max)
		start = st.st_size - (off_t)max;
	if (lseek(fd, start, SEEK_SET) == -1)
		return;
	for (;;) {
		if (*len + 65536 > *cap) {
			*cap = (*len + 65536) * 2;
			*buf = xrealloc(*buf, *cap);
		}
		n = read(fd, *buf + *len, 65536);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
}

char *logs_read(const char *path, size_t max_bytes, size_t *len)
{
	cleanup_free char *old = xasprintf("%s.1", path);
	size_t cap = 65536;
	char *buf = xmalloc(cap);

	*len = 0;
	append_tail(old, max_bytes, &buf, len, &cap);
	append_tail(path, max_bytes, &buf, len, &cap);
	if (*len > max_bytes) {
		memmove(buf, buf + (*len - max_bytes), max_bytes);
		*len = max_bytes;
	}
	buf = xrealloc(buf, *len + 1);
	buf[*len] = '\0';
	return buf;
}

const char *logs_tail_lines(const char *text, size_t *len, long n)
{
	size_t i = *len, seen = 0;

	if (n < 0)
		return text;
	if (n == 0) {
		*len = 0;
		return text + i;
	}
	/* A last line without its newline still counts as a line. */
	if (i > 0 && text[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (text[i - 1] == '\n' && ++seen == (size_t)n)
			break;
		i--;
	}
	*len -= i;
	return text + i;
}

char *logs_previous_path(const char *path)
{
	return xasprintf("%s.previous", path);
}

int logs_keep_previous(const char *path, struct berr *err)
{
	cleanup_free char *prev = logs_previous_path(path);
	cleanup_free char *old = xasprintf("%s.1", path);
	cleanup_free char *prev_old = xasprintf("%s.1", prev);

	if (rename(path, prev) == -1 && errno != ENOENT)
		return berr_errno(err, errno, "rename `%s`", path);
	/* Older rotated parts of the run (LOG.2 ...) are not kept. */
	for (int k = 2; k <= LOGS_MAX_FILES; k++) {
		cleanup_free char *part = xasprintf("%s.%d", path, k);

		if (unlink(part) == -1 && errno != ENOENT)
			return berr_errno(err, errno, "remove `%s`", part);
	}
	if (rename(old, prev_old) == -1) {
		if (errno != ENOENT)
			return berr_errno(err, errno, "rename `%s`", old);
		if (unlink(prev_old) == -1 && errno != ENOENT)
			return berr_errno(err, errno, "remove `%s`", prev_old);
	}
	return 0;
}
