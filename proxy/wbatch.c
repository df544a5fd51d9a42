/*
 * wbatch.c - a proxy thread's socket writes of one loop turn, sent
 * together. proxy_write_copy() (pipe.c) hands small writes here: each is
 * copied into an entry of its socket (one per socket per turn, later
 * writes appended in order), and at the turn's end (a uv_check after the
 * I/O callbacks, a uv_prepare before the loop sleeps) every entry goes to
 * the kernel as an IORING_OP_SEND in one io_uring_enter(2) instead of a
 * write(2) each: on a machine where a system call costs a microsecond,
 * that is most of a small request's user-to-kernel crossings on the
 * write side. Sends are MSG_DONTWAIT, so each completes within that call;
 * what a socket did not take (a full buffer, an error) goes to libuv's
 * write queue, which retries or reports it as for any write. Owns the
 * ring and the entries; knows nothing of HTTP, services or backends.
 */
#include "wbatch.h"

#include <errno.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "../common/xalloc.h"

/* Submission queue size: a turn with more writes sends early. */
#define WB_RING_ENTRIES 256
/* Writes larger than this skip the batch (when nothing of their socket is
 * queued in it): the copy would cost more than the system call. */
#define WB_COPY_MAX (16 * 1024)
/* After a send, the first WB_KEEP_ENTRIES entries keep a buffer of up to
 * WB_KEEP bytes for the next turn; the others give theirs back, so a
 * burst leaves no more than 64 x 4 KiB behind per thread. */
#define WB_KEEP 4096
#define WB_KEEP_ENTRIES 64
/* proxy_wbatch_read_buffer()'s size. */
#define WB_READ_SIZE (64 * 1024)

struct wb_entry {
	uv_stream_t *s;
	int fd;
	char *p;
	size_t len, cap;
};

struct proxy_wbatch {
	uv_loop_t *loop;
	struct io_uring ring;
	bool broken; /* the ring refused a submission: never used again */
	uv_prepare_t prepare;
	uv_check_t check;
	struct wb_entry *e;
	size_t n, cap;
	char *rbuf; /* proxy_wbatch_read_buffer(), made on first use */
};

/* The batch of the proxy thread running here; NULL on other threads. */
static __thread struct proxy_wbatch *tl_wb;

static atomic_int wb_mode = -1; /* -1: environment not read yet */

bool proxy_wbatch_enabled(void)
{
	int m = atomic_load(&wb_mode);

	if (m == -1) {
		const char *v = getenv("BERTH_PROXY_URING");

		m = !(v && strcmp(v, "0") == 0);
		atomic_store(&wb_mode, m);
	}
	return m == 1;
}

void proxy_wbatch_set_enabled(bool on)
{
	atomic_store(&wb_mode, on ? 1 : 0);
}

struct wb_copy {
	uv_write_t req;
	char data[];
};

static void copy_written(uv_write_t *req, int status)
{
	(void)status; /* the stream's reader sees a broken socket */
	free((char *)req - offsetof(struct wb_copy, req));
}

/* What the socket did not take, to libuv's queue for s (empty: the
 * batch only takes a socket whose queue is). */
static void queue_rest(uv_stream_t *s, const char *p, size_t n)
{
	struct wb_copy *w = xmalloc(sizeof(*w) + n);
	uv_buf_t out;

	memcpy(w->data, p, n);
	out = uv_buf_init(w->data, (unsigned)n);
	if (uv_write(&w->req, s, &out, 1, copy_written) != 0)
		free(w);
}

static void entry_done(struct wb_entry *e, bool keep, int res)
{
	if (res < 0 || (size_t)res < e->len) {
		size_t sent = res > 0 ? (size_t)res : 0;

		if (!uv_is_closing((uv_handle_t *)e->s))
			queue_rest(e->s, e->p + sent, e->len - sent);
	}
	e->s = NULL;
	e->len = 0;
	if (!keep || e->cap > WB_KEEP) {
		free(e->p);
		e->p = NULL;
		e->cap = 0;
	}
}

static void flush(struct proxy_wbatch *wb)
{
	size_t n = wb->n, submitted = 0, reaped = 0;
	int rc;

	if (n == 0)
		return;
	wb->n = 0;
	if (!wb->broken) {
		for (size_t i = 0; i < n; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&wb->ring);
			struct wb_entry *e = &wb->e[i];

			/* A socket closed since its write was taken: its
			 * descriptor may be another's now. Every close
			 * flushes first (proxy_wbatch_flush), so this does
			 * not happen; if it did, the bytes are dropped. */
			if (uv_is_closing((uv_handle_t *)e->s))
				io_uring_prep_nop(sqe);
			else
				io_uring_prep_send(sqe, e->fd, e->p, e->len,
						   MSG_NOSIGNAL | MSG_DONTWAIT);
			io_uring_sqe_set_data64(sqe, i);
		}
		do
			rc = io_uring_submit(&wb->ring);
		while (rc == -EINTR);
		if (rc >= 0)
			submitted = (size_t)rc;
		if (submitted < n) {
			/* Never reached in practice; the unsubmitted entries
			 * must not go out twice, so the ring is left. */
			log_warn("proxy: io_uring submitted %zu of %zu writes "
				 "(%s): writing one by one from now on",
				 submitted, n, strerror(rc < 0 ? -rc : EIO));
			wb->broken = true;
		}
	}
	while (reaped < submitted) {
		struct io_uring_cqe *cqe;

		rc = io_uring_wait_cqe(&wb->ring, &cqe);
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			break;
		uint64_t i = io_uring_cqe_get_data64(cqe);

		entry_done(&wb->e[i], i < WB_KEEP_ENTRIES, cqe->res);
		io_uring_cqe_seen(&wb->ring, cqe);
		reaped++;
	}
	/* What never went to the kernel goes to libuv. */
	for (size_t i = 0; i < n; i++)
		if (wb->e[i].s != NULL)
			entry_done(&wb->e[i], i < WB_KEEP_ENTRIES, 0);
}

char *proxy_wbatch_read_buffer(size_t *len)
{
	struct proxy_wbatch *wb = tl_wb;

	if (wb == NULL || wb->broken)
		return NULL;
	if (wb->rbuf == NULL)
		wb->rbuf = xmalloc(WB_READ_SIZE);
	*len = WB_READ_SIZE;
	return wb->rbuf;
}

bool proxy_wbatch_active(void)
{
	return tl_wb != NULL && !tl_wb->broken;
}

void proxy_wbatch_flush(void)
{
	if (tl_wb != NULL)
		flush(tl_wb);
}

static void on_turn(uv_handle_t *h)
{
	flush(h->data);
}

static void on_prepare(uv_prepare_t *h)
{
	on_turn((uv_handle_t *)h);
}

static void on_check(uv_check_t *h)
{
	on_turn((uv_handle_t *)h);
}

int proxy_wbatch_write(uv_stream_t *s, const void *data, size_t n)
{
	struct proxy_wbatch *wb = tl_wb;
	struct wb_entry *e = NULL;
	uv_os_fd_t fd;

	if (wb == NULL || wb->broken || s->loop != wb->loop || n == 0)
		return 0;
	for (size_t i = wb->n; i-- > 0;)
		if (wb->e[i].s == s) {
			e = &wb->e[i];
			break;
		}
	if (e == NULL) {
		/* libuv's own queue goes first (it holds earlier bytes), a
		 * connecting socket is written once connected, and a shut
		 * down or closing one not at all: those are libuv's. The
		 * fields read are the ones uv_try_write checks. */
		if (n > WB_COPY_MAX || s->write_queue_size != 0 ||
		    s->connect_req != NULL || s->shutdown_req != NULL ||
		    !uv_is_writable(s) || uv_is_closing((uv_handle_t *)s) ||
		    uv_fileno((uv_handle_t *)s, &fd) != 0)
			return 0;
		if (wb->n == WB_RING_ENTRIES)
			flush(wb);
		if (wb->n == wb->cap) {
			size_t cap = wb->cap ? wb->cap * 2 : 16;

			wb->e = xrealloc(wb->e, cap * sizeof(*wb->e));
			memset(wb->e + wb->cap, 0,
			       (cap - wb->cap) * sizeof(*wb->e));
			wb->cap = cap;
		}
		e = &wb->e[wb->n++];
		e->s = s;
		e->fd = fd;
	}
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 512;

		while (cap < e->len + n)
			cap *= 2;
		e->p = xrealloc(e->p, cap);
		e->cap = cap;
	}
	memcpy(e->p + e->len, data, n);
	e->len += n;
	return 1;
}

static int ring_init(struct io_uring *ring)
{
	/* The ring is only ever entered by this thread, and it runs the
	 * completions' work itself when it asks for them: the cheapest
	 * set-up the kernel offers, then older ones. */
	static const unsigned flags[] = {
#if defined(IORING_SETUP_SINGLE_ISSUER) && defined(IORING_SETUP_DEFER_TASKRUN)
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
#endif
#ifdef IORING_SETUP_COOP_TASKRUN
		IORING_SETUP_COOP_TASKRUN,
#endif
		0,
	};
	int rc = -EINVAL;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		rc = io_uring_queue_init(WB_RING_ENTRIES, ring, flags[i]);
		if (rc != -EINVAL)
			break;
	}
	return rc;
}

struct proxy_wbatch *proxy_wbatch_open(uv_loop_t *loop)
{
	struct proxy_wbatch *wb;
	int rc;

	if (!proxy_wbatch_enabled())
		return NULL;
	wb = xcalloc(1, sizeof(*wb));
	rc = ring_init(&wb->ring);
	if (rc < 0) {
		log_info("proxy: io_uring unavailable (%s): writes one by one",
			 strerror(-rc));
		free(wb);
		return NULL;
	}
	wb->loop = loop;
	uv_prepare_init(loop, &wb->prepare);
	uv_check_init(loop, &wb->check);
	wb->prepare.data = wb->check.data = wb;
	uv_prepare_start(&wb->prepare, on_prepare);
	uv_check_start(&wb->check, on_check);
	/* they keep no loop alive */
	uv_unref((uv_handle_t *)&wb->prepare);
	uv_unref((uv_handle_t *)&wb->check);
	tl_wb = wb;
	return wb;
}

void proxy_wbatch_close(struct proxy_wbatch *wb)
{
	if (wb == NULL)
		return;
	flush(wb);
	if (tl_wb == wb)
		tl_wb = NULL;
	uv_close((uv_handle_t *)&wb->prepare, NULL);
	uv_close((uv_handle_t *)&wb->check, NULL);
}

void proxy_wbatch_free(struct proxy_wbatch *wb)
{
	if (wb == NULL)
		return;
	io_uring_queue_exit(&wb->ring);
	for (size_t i = 0; i < wb->cap; i++)
		free(wb->e[i].p);
	free(wb->e);
	free(wb->rbuf);
	free(wb);
}
