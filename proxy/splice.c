/*
 * splice.c - tcp mode's zero-copy byte copy: per direction a pipe, and
 * splice(2) socket -> pipe -> socket, driven by uv_poll on duplicates of
 * the two sockets' fds (the libuv streams stay idle and owned by the
 * caller). A direction reads only while its pipe is empty; while the pipe
 * holds bytes the destination's writability is polled instead, which is
 * the backpressure. EOF on a source shuts down the write side of its
 * destination once the pipe is drained (half-close); any error ends both
 * directions. Owns the pipes, the duplicated fds and the poll handles;
 * must not close or read the caller's streams.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "splice.h"

/* Bytes asked of one splice into an empty pipe (the pipe's default
 * capacity), and splices into a pipe per wakeup so that a fast direction
 * cannot starve the other one (the poll is level-triggered). */
#define SPLICE_CHUNK (64 * 1024)
#define SPLICE_ROUNDS 16
#define SPLICE_FLAGS (SPLICE_F_MOVE | SPLICE_F_NONBLOCK)

struct splice_dir {
	int src, dst; /* duplicated socket fds, shared with the other dir */
	int pr, pw;   /* the pipe */
	size_t inpipe;
	bool eof;  /* src sent EOF */
	bool shut; /* dst's write side shut down */
};

struct proxy_splice {
	uv_poll_t poll[2]; /* [0] on a's socket, [1] on b's */
	int fd[2];
	int events[2];		  /* what poll[i] currently waits for */
	struct splice_dir dir[2]; /* [0] a -> b, [1] b -> a */
	void (*done)(struct proxy_splice *sp, int status);
	void *data;
	uint64_t bytes[2];
	int handles;
	bool finished;
};

static atomic_int splice_mode = -1; /* -1: environment not read yet */

bool proxy_splice_enabled(void)
{
	int m = atomic_load(&splice_mode);

	if (m == -1) {
		const char *v = getenv("BERTH_PROXY_SPLICE");

		m = !(v && strcmp(v, "0") == 0);
		atomic_store(&splice_mode, m);
	}
	return m == 1;
}

void proxy_splice_set_enabled(bool on)
{
	atomic_store(&splice_mode, on ? 1 : 0);
}

static void finish(struct proxy_splice *sp, int status)
{
	if (sp->finished)
		return;
	sp->finished = true;
	for (int i = 0; i < 2; i++)
		if (sp->events[i] != 0)
			uv_poll_stop(&sp->poll[i]);
	sp->events[0] = sp->events[1] = 0;
	sp->done(sp, status);
}

/* Moves what it can in direction i; returns 0 or a negative errno. */
static int pump(struct proxy_splice *sp, int i)
{
	struct splice_dir *d = &sp->dir[i];
	int rounds = 0;
	bool drained = false;
	ssize_t n;

	for (;;) {
		if (d->inpipe > 0) {
			n = splice(d->pr, NULL, d->dst, NULL, d->inpipe,
				   SPLICE_FLAGS);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				return errno == EAGAIN ? 0 : -errno;
			}
			d->inpipe -= (size_t)n;
			continue;
		}
		if (d->eof) {
			/* ENOTCONN: the peer is gone already; nothing to
			 * shut down, as the buffer path treats it. */
			if (!d->shut)
				shutdown(d->dst, SHUT_WR);
			d->shut = true;
			return 0;
		}
		/* A short splice most likely emptied the socket: leave the
		 * next one to the (level-triggered) poll rather than spend
		 * a syscall on EAGAIN, as libuv's reads do. */
		if (rounds++ == SPLICE_ROUNDS || drained)
			return 0;
		n = splice(d->src, NULL, d->pw, NULL, SPLICE_CHUNK,
			   SPLICE_FLAGS);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		if (n == 0)
			d->eof = true;
		drained = n < SPLICE_CHUNK;
		d->inpipe += (size_t)n;
		sp->bytes[i] += (uint64_t)n;
	}
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Sets what each socket waits for: readable while its outgoing pipe is
 * empty and open, writable while its incoming pipe holds bytes. */
static void update(struct proxy_splice *sp)
{
	if (sp->dir[0].shut && sp->dir[1].shut) {
		finish(sp, 0);
		return;
	}
	for (int k = 0; k < 2; k++) {
		const struct splice_dir *out = &sp->dir[k],
					*in = &sp->dir[1 - k];
		int ev = 0;

		if (!out->eof && out->inpipe == 0)
			ev |= UV_READABLE;
		if (in->inpipe > 0)
			ev |= UV_WRITABLE;
		if (ev == sp->events[k])
			continue;
		sp->events[k] = ev;
		if (ev == 0)
			uv_poll_stop(&sp->poll[k]);
		else if (uv_poll_start(&sp->poll[k], ev, on_poll) != 0) {
			finish(sp, UV_EIO);
			return;
		}
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct proxy_splice *sp = h->data;
	int k = h == &sp->poll[0] ? 0 : 1, rc = 0;

	if (sp->finished)
		return;
	if (status < 0) {
		finish(sp, status);
		return;
	}
	if (events & UV_READABLE)
		rc = pump(sp, k);
	if (rc == 0 && (events & UV_WRITABLE))
		rc = pump(sp, 1 - k);
	if (rc != 0) {
		/* EINVAL: a kernel or socket type without splice support. */
		if ((rc == -EINVAL || rc == -ENOSYS) &&
		    sp->bytes[0] + sp->bytes[1] == 0)
			finish(sp, UV_ENOSYS);
		else
			finish(sp, uv_translate_sys_error(-rc));
		return;
	}
	update(sp);
}

static void close_fds(struct proxy_splice *sp)
{
	for (int i = 0; i < 2; i++) {
		if (sp->fd[i] != -1)
			close(sp->fd[i]);
		if (sp->dir[i].pr != -1)
			close(sp->dir[i].pr);
		if (sp->dir[i].pw != -1)
			close(sp->dir[i].pw);
	}
}

static void poll_closed(uv_handle_t *h)
{
	struct proxy_splice *sp = h->data;

	if (--sp->handles > 0)
		return;
	close_fds(sp);
	free(sp);
}

struct proxy_splice *
proxy_splice_start(uv_loop_t *loop, uv_stream_t *a, uv_stream_t *b,
		   void (*done)(struct proxy_splice *sp, int status),
		   void *data)
{
	struct proxy_splice *sp = xcalloc(1, sizeof(*sp));
	uv_os_fd_t orig[2];
	int p[2];

	sp->done = done;
	sp->data = data;
	for (int i = 0; i < 2; i++)
		sp->fd[i] = sp->dir[i].pr = sp->dir[i].pw = -1;
	if (uv_fileno((uv_handle_t *)a, &orig[0]) != 0 ||
	    uv_fileno((uv_handle_t *)b, &orig[1]) != 0)
		goto fail;
	for (int i = 0; i < 2; i++) {
		sp->fd[i] = fcntl(orig[i], F_DUPFD_CLOEXEC, 0);
		if (sp->fd[i] == -1 || pipe2(p, O_NONBLOCK | O_CLOEXEC) == -1)
			goto fail;
		sp->dir[i].pr = p[0];
		sp->dir[i].pw = p[1];
	}
	sp->dir[0].src = sp->dir[1].dst = sp->fd[0];
	sp->dir[1].src = sp->dir[0].dst = sp->fd[1];
	if (uv_poll_init(loop, &sp->poll[0], sp->fd[0]) != 0)
		goto fail;
	if (uv_poll_init(loop, &sp->poll[1], sp->fd[1]) != 0) {
		sp->handles = 1;
		sp->poll[0].data = sp;
		uv_close((uv_handle_t *)&sp->poll[0], poll_closed);
		return NULL;
	}
	sp->handles = 2;
	sp->poll[0].data = sp->poll[1].data = sp;
	for (int i = 0; i < 2; i++) {
		sp->events[i] = UV_READABLE;
		if (uv_poll_start(&sp->poll[i], UV_READABLE, on_poll) != 0) {
			sp->events[0] = sp->events[1] = 0;
			proxy_splice_close(sp);
			return NULL;
		}
	}
	return sp;

fail:
	close_fds(sp);
	free(sp);
	return NULL;
}

void *proxy_splice_data(const struct proxy_splice *sp)
{
	return sp->data;
}

uint64_t proxy_splice_bytes(const struct proxy_splice *sp, int dir)
{
	return sp->bytes[dir & 1];
}

void proxy_splice_close(struct proxy_splice *sp)
{
	if (sp->handles == 0 || uv_is_closing((uv_handle_t *)&sp->poll[0]))
		return;
	sp->finished = true;
	uv_close((uv_handle_t *)&sp->poll[0], poll_closed);
	uv_close((uv_handle_t *)&sp->poll[1], poll_closed);
}
