/*
 * logs_read.c - a container's log read back (logs_read.h): the kept
 * files in order, CRI records turned back into text, the view's filters,
 * following the live file across rotations (by inode, so a rotation
 * between two reads loses nothing), and the thread-pool job. Reads files
 * only; never writes or rotates them.
 */
#include "logs_read.h"

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
#include "logs.h"

/* what one follow step reads at most; the rest at the next */
#define FOLLOW_STEP (4u << 20)

struct obuf {
	char *p;
	size_t len, cap;
};

struct logs_reader {
	char *path;
	struct logs_view v;
	bool follow, started;
	/* rendering: inside a line of that stream (a P record was seen);
	 * the line in progress is left out (before since) */
	bool mid[2], skip[2];
	/* following: the file read last, where, and its format */
	int fd;
	ino_t ino;
	off_t off;
	bool raw;
	struct obuf carry; /* an incomplete last line */
};

static void ob_add(struct obuf *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

/* Keeps the newest max bytes from a line start when b has grown past
 * twice that (so a long read never holds more than ~2 x max). */
static void ob_trim(struct obuf *b, size_t max, bool force)
{
	size_t cut;
	const char *nl;

	if (max == 0 || b->len <= (force ? max : 2 * max))
		return;
	cut = b->len - max;
	nl = memchr(b->p + cut, '\n', b->len - cut);
	if (nl)
		cut = (size_t)(nl - b->p) + 1;
	memmove(b->p, b->p + cut, b->len - cut);
	b->len -= cut;
}

/* The whole lines of text[0..len) rendered to out; returns the bytes
 * used (up to the last newline). */
static size_t render(struct logs_reader *r, const char *text, size_t len,
		     bool raw, struct obuf *out)
{
	size_t used = 0;

	while (used < len) {
		const char *line = text + used;
		const char *nl = memchr(line, '\n', len - used);
		size_t n;
		struct cri_record rec;

		if (nl == NULL)
			break;
		n = (size_t)(nl - line);
		used += n + 1;
		if (raw || cri_parse_line(line, n, &rec) == -1) {
			/* plain text (or a line not ours): shown as is */
			ob_add(out, line, n + 1);
			continue;
		}
		if (!r->mid[rec.stream]) {
			r->skip[rec.stream] =
			    r->v.since_ns > 0 && rec.ns < r->v.since_ns;
			if (!r->skip[rec.stream] && r->v.timestamps) {
				char ts[CRI_TIME_LEN + 1];

				cri_format_time(rec.ns, ts);
				ob_add(out, ts, CRI_TIME_LEN);
				ob_add(out, " ", 1);
			}
		}
		if (!r->skip[rec.stream]) {
			ob_add(out, rec.text, rec.len);
			if (!rec.partial)
				ob_add(out, "\n", 1);
		}
		r->mid[rec.stream] = rec.partial;
	}
	return used;
}

/* Reads fd from off up to end (at most max bytes; 0: to EOF) onto
 * r->carry, renders its whole lines; returns the bytes read. */
static off_t read_render(struct logs_reader *r, int fd, off_t off, off_t end,
			 size_t max, bool raw, struct obuf *out)
{
	char buf[65536];
	off_t got = 0;
	ssize_t n;

	for (;;) {
		size_t want = sizeof(buf);

		if (end >= 0 && off + got >= end)
			break;
		if (end >= 0 && (off_t)want > end - off - got)
			want = (size_t)(end - off - got);
		if (max && (size_t)got >= max)
			break;
		n = RETRY_EINTR(pread(fd, buf, want, off + got));
		if (n <= 0)
			break;
		got += n;
		ob_add(&r->carry, buf, (size_t)n);
		size_t used = render(r, r->carry.p, r->carry.len, raw, out);

		memmove(r->carry.p, r->carry.p + used, r->carry.len - used);
		r->carry.len -= used;
		ob_trim(out, r->v.max_bytes, false);
	}
	return got;
}

/* The format of a file from its first bytes. */
static bool file_is_raw(int fd)
{
	char head[64];
	ssize_t n = RETRY_EINTR(pread(fd, head, sizeof(head), 0));

	return n > 0 && !logs_is_cri(head, (size_t)n);
}

/* A file written to the end: the incomplete last line too. */
static void flush_carry(struct logs_reader *r, struct obuf *out)
{
	if (r->carry.len == 0)
		return;
	ob_add(&r->carry, "\n", 1);
	render(r, r->carry.p, r->carry.len, r->raw, out);
	r->carry.len = 0;
}

/* A kept file read whole (since: a plain-text file older than since,
 * by its mtime, is left out: its lines have no time). */
static void read_file_whole(struct logs_reader *r, int fd, struct obuf *out)
{
	struct stat st;
	bool raw = file_is_raw(fd);

	if (fstat(fd, &st) == -1)
		return;
	if (raw && r->v.since_ns > 0 &&
	    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec <
		r->v.since_ns)
		return;
	r->raw = raw;
	read_render(r, fd, 0, st.st_size, 0, raw, out);
	flush_carry(r, out);
}

/*
 * The kept files, opened newest first (LOG, LOG.1, ...: the direction a
 * rotation moves them, so one moved meanwhile is seen twice, which its
 * inode tells, and never missed), then read oldest first. Following,
 * the file followed is read up to where the follow starts, and any newer
 * one (a rotation meanwhile) is left to the follow.
 */
static void first_read(struct logs_reader *r, struct obuf *out)
{
	int fds[LOGS_MAX_FILES + 1];
	ino_t inos[LOGS_MAX_FILES + 1];
	int n = 0, stop = -1;
	struct stat live;
	off_t live_end = -1;

	if (r->follow) {
		r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (r->fd >= 0 && fstat(r->fd, &live) == 0) {
			r->ino = live.st_ino;
			live_end = live.st_size;
		}
	}
	for (int k = 0; k <= LOGS_MAX_FILES && n <= LOGS_MAX_FILES; k++) {
		cleanup_free char *p =
		    k ? xasprintf("%s.%d", r->path, k) : xstrdup(r->path);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		struct stat st;
		bool seen = false;

		if (fd == -1)
			continue;
		if (fstat(fd, &st) == -1) {
			close(fd);
			continue;
		}
		for (int i = 0; i < n && !seen; i++)
			seen = inos[i] == st.st_ino;
		if (seen) {
			close(fd);
			continue;
		}
		fds[n] = fd;
		inos[n++] = st.st_ino;
	}
	/* newer files than the one followed are the follow's */
	for (int i = 0; i < n && r->fd >= 0 && stop < 0; i++)
		if (inos[i] == r->ino)
			stop = i;
	for (int i = n - 1; i >= 0; i--) {
		struct stat st;

		if (i < stop) {
			close(fds[i]);
			continue;
		}
		if (i == stop && fstat(fds[i], &st) == 0) {
			/* the file being followed: up to where it was, the
			 * rest is the follow's */
			r->raw = file_is_raw(fds[i]);
			if (!(r->raw && r->v.since_ns > 0 &&
			      (int64_t)st.st_mtim.tv_sec * 1000000000 +
				      st.st_mtim.tv_nsec <
				  r->v.since_ns))
				read_render(r, fds[i], 0, live_end, 0, r->raw,
					    out);
			r->off = live_end;
		} else {
			read_file_whole(r, fds[i], out);
		}
		close(fds[i]);
	}
	if (out->len && out->p) {
		size_t len = out->len;
		const char *t;

		out->p[len] = '\0';
		t = logs_tail_lines(out->p, &len, r->v.tail);
		memmove(out->p, t, len);
		out->len = len;
	}
	ob_trim(out, r->v.max_bytes, true);
}

/* Following: what was written since, across rotations. */
static void follow_read(struct logs_reader *r, struct obuf *out)
{
	struct stat st, cur;
	off_t got;

	if (r->fd < 0) {
		/* no live file yet */
		r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0 || fstat(r->fd, &st) == -1)
			return;
		r->ino = st.st_ino;
		r->off = 0;
		r->raw = file_is_raw(r->fd);
	}
	if (fstat(r->fd, &cur) == 0 && cur.st_size < r->off)
		r->off = 0; /* a plain file copied and emptied (logs_cap) */
	if (r->off == 0)
		r->raw = file_is_raw(r->fd);
	got = read_render(r, r->fd, r->off, -1, FOLLOW_STEP, r->raw, out);
	r->off += got;
	if ((size_t)got >= FOLLOW_STEP)
		return; /* more at the next step */
	if (stat(r->path, &st) == 0 && st.st_ino == r->ino)
		return;
	/* Rotated: the rest of ours, then each newer file in turn. */
	r->off += read_render(r, r->fd, r->off, -1, 0, r->raw, out);
	flush_carry(r, out);
	int j = 0;

	for (int k = 1; k <= LOGS_MAX_FILES && j == 0; k++) {
		cleanup_free char *p = xasprintf("%s.%d", r->path, k);

		if (stat(p, &st) == 0 && st.st_ino == r->ino)
			j = k;
	}
	close(r->fd);
	r->fd = -1;
	for (int k = j - 1; k >= 1; k--) {
		cleanup_free char *p = xasprintf("%s.%d", r->path, k);
		cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			read_file_whole(r, fd, out);
	}
	r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (r->fd >= 0 && fstat(r->fd, &st) == 0) {
		r->ino = st.st_ino;
		r->raw = file_is_raw(r->fd);
		r->off = read_render(r, r->fd, 0, -1, FOLLOW_STEP, r->raw, out);
	}
}

struct logs_reader *logs_reader_new(const char *path,
				    const struct logs_view *view, bool follow)
{
	struct logs_reader *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path);
	r->v = *view;
	r->follow = follow;
	r->fd = -1;
	return r;
}

void logs_reader_next(struct logs_reader *r, char **out, size_t *len)
{
	struct obuf b = {0};

	if (!r->started) {
		r->started = true;
		first_read(r, &b);
	} else {
		follow_read(r, &b);
	}
	ob_add(&b, "", 0);
	b.p[b.len] = '\0';
	*out = b.p;
	*len = b.len;
}

void logs_reader_free(struct logs_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->carry.p);
	free(r->path);
	free(r);
}

struct reader_job {
	uv_work_t work;
	struct logs_reader *r;
	logs_reader_cb cb;
	void *data;
	char *out;
	size_t len;
};

static void job_work(uv_work_t *w)
{
	struct reader_job *j = w->data;

	logs_reader_next(j->r, &j->out, &j->len);
}

static void job_after(uv_work_t *w, int status)
{
	struct reader_job *j = w->data;

	if (j->out == NULL) { /* cancelled */
		j->out = xstrdup("");
		j->len = 0;
	}
	j->cb(j->data, j->out, j->len);
	free(j);
}

int logs_reader_queue(uv_loop_t *loop, struct logs_reader *r, logs_reader_cb cb,
		      void *data)
{
	struct reader_job *j = xcalloc(1, sizeof(*j));

	j->r = r;
	j->cb = cb;
	j->data = data;
	j->work.data = j;
	if (uv_queue_work(loop, &j->work, job_work, job_after) != 0) {
		free(j);
		return -1;
	}
	return 0;
}

int logs_parse_duration(const char *s, int64_t *ns)
{
	int64_t total = 0;
	const char *p = s;

	if (*p == '\0')
		return -1;
	while (*p) {
		char *end;
		double v;
		int64_t unit;

		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || v < 0)
			return -1;
		p = end;
		if (!strncmp(p, "ns", 2))
			unit = 1, p += 2;
		else if (!strncmp(p, "us", 2) || !strncmp(p, "\xc2\xb5s", 3))
			unit = 1000, p += p[0] == 'u' ? 2 : 3;
		else if (!strncmp(p, "ms", 2))
			unit = 1000000, p += 2;
		else if (*p == 's')
			unit = 1000000000, p++;
		else if (*p == 'm')
			unit = 60LL * 1000000000, p++;
		else if (*p == 'h')
			unit = 3600LL * 1000000000, p++;
		else
			return -1;
		if (v * (double)unit > 9.2e18 - (double)total)
			return -1;
		total += (int64_t)(v * (double)unit);
	}
	if (total <= 0)
		return -1;
	*ns = total;
	return 0;
}
