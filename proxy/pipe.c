/*
 * pipe.c - bidirectional byte copy between two connected streams, as tcp
 * mode and upgraded (WebSocket) http connections need: each read buffer
 * is handed to the peer's write as is, reading pauses while the peer has
 * too much queued, and an EOF on one side shuts down the write side of
 * the other (half-close). A read that fits the loop turn's write batch
 * (wbatch.c) goes out with it; larger ones are written from their read
 * buffer. On request, a bulk transfer stops for a hand-over to splice
 * once its writes are out (proxy_pipe_hand_over_after). Owns the buffers
 * in flight; must not close the streams (the owner does, from done).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "internal.h"
#include "wbatch.h"

#define PIPE_READ_SIZE (64 * 1024)
#define PIPE_HIGH_WATER (512 * 1024)

struct pipe_write {
	uv_write_t req;
	struct proxy_pipe_side *to;
	size_t n;
	char data[];
};

static void finish(struct proxy_pipe *p, int status)
{
	if (p->finished)
		return;
	p->finished = true;
	uv_read_stop(p->a.s);
	uv_read_stop(p->b.s);
	p->done(p, status);
}

static void check_done(struct proxy_pipe *p)
{
	if (p->a.eof && p->b.eof && p->a.shut && p->b.shut && p->inflight == 0)
		finish(p, 0);
}

/* With a write batch, reads land in the thread's shared buffer: a small
 * one is copied into the batch, a larger one into a write of its own
 * size; without, each read gets a write-sized buffer of its own. */
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	size_t len;
	char *shared = proxy_wbatch_read_buffer(&len);
	struct pipe_write *w;

	if (shared) {
		buf->base = shared;
		buf->len = len < PIPE_READ_SIZE ? len : PIPE_READ_SIZE;
		return;
	}
	w = xmalloc(sizeof(*w) + PIPE_READ_SIZE);

	buf->base = w->data;
	buf->len = PIPE_READ_SIZE;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct proxy_pipe_side *side = req->data;
	struct proxy_pipe *p = side->pipe;

	p->inflight--;
	side->shut = true;
	if (!p->finished)
		check_done(p);
}

static void start_reading(struct proxy_pipe_side *side);

static atomic_uint_fast64_t hand_overs;

uint64_t proxy_pipe_hand_overs(void)
{
	return atomic_load_explicit(&hand_overs, memory_order_relaxed);
}

/* Handing over: done once nothing is in flight and nothing is queued. */
static void check_handed(struct proxy_pipe *p)
{
	if (p->inflight == 0 && uv_stream_get_write_queue_size(p->a.s) == 0 &&
	    uv_stream_get_write_queue_size(p->b.s) == 0) {
		atomic_fetch_add_explicit(&hand_overs, 1, memory_order_relaxed);
		finish(p, UV_EAGAIN);
	}
}

/* An empty write behind what libuv holds for side's stream (the rest of a
 * batched write has no callback): its callback says all before it is
 * out. */
static void mark_queue_end(struct proxy_pipe *p, struct proxy_pipe_side *side);

static void hand_over(struct proxy_pipe *p)
{
	p->handing = true;
	uv_read_stop(p->a.s);
	uv_read_stop(p->b.s);
	p->a.reading = p->b.reading = false;
	proxy_wbatch_flush();
	mark_queue_end(p, &p->a);
	mark_queue_end(p, &p->b);
	if (!p->finished)
		check_handed(p);
}

static void on_written(uv_write_t *req, int status)
{
	struct pipe_write *w = proxy_container_of(req, struct pipe_write, req);
	struct proxy_pipe_side *to = w->to;
	struct proxy_pipe *p = to->pipe;

	p->inflight--;
	to->pending -= w->n;
	free(w);
	if (p->finished)
		return;
	if (status != 0) {
		p->failed = true;
		finish(p, status);
		return;
	}
	if (p->handing) {
		check_handed(p);
		return;
	}
	/* The peer drained: read from the other side again. */
	if (to->pending < PIPE_HIGH_WATER / 2 && !to->peer->eof &&
	    !to->peer->reading)
		start_reading(to->peer);
	check_done(p);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct proxy_pipe_side *from = s->data;
	struct proxy_pipe_side *to = from->peer;
	struct proxy_pipe *p = from->pipe;
	struct pipe_write *w = NULL;
	uv_buf_t out;
	size_t len;
	bool bulk;
	int dir;

	if (buf->base && buf->base != proxy_wbatch_read_buffer(&len))
		w = proxy_container_of(buf->base, struct pipe_write, data);
	if (n == 0 || p->finished) {
		free(w);
		return;
	}
	if (n < 0) {
		free(w);
		if (n != UV_EOF) {
			p->failed = true;
			finish(p, (int)n);
			return;
		}
		from->eof = true;
		from->reading = false;
		uv_read_stop(s);
		p->inflight++;
		to->sreq.data = to;
		proxy_wbatch_flush(); /* batched bytes go before the FIN */
		if (uv_shutdown(&to->sreq, to->s, on_shutdown) != 0) {
			p->inflight--;
			to->shut = true;
		}
		check_done(p);
		return;
	}
	dir = from == &p->a ? 0 : 1;
	p->bytes[dir] += (uint64_t)n;
	bulk = p->hand_over_after != 0 && !p->handing && n == PIPE_READ_SIZE &&
	       p->bytes[dir] >= p->hand_over_after && !p->a.eof && !p->b.eof;
	if (!bulk && proxy_wbatch_write(to->s, buf->base, (size_t)n)) {
		free(w);
		return;
	}
	if (w == NULL) {
		w = xmalloc(sizeof(*w) + (size_t)n);
		memcpy(w->data, buf->base, (size_t)n);
	}
	w->to = to;
	w->n = (size_t)n;
	out = uv_buf_init(w->data, (unsigned)n);
	p->inflight++;
	to->pending += (size_t)n;
	proxy_wbatch_flush(); /* batched bytes go first */
	if (uv_write(&w->req, to->s, &out, 1, on_written) != 0) {
		p->inflight--;
		to->pending -= (size_t)n;
		free(w);
		p->failed = true;
		finish(p, UV_EPIPE);
		return;
	}
	if (bulk)
		hand_over(p);
	else if (to->pending >= PIPE_HIGH_WATER) {
		from->reading = false;
		uv_read_stop(s);
	}
}

static void mark_queue_end(struct proxy_pipe *p, struct proxy_pipe_side *side)
{
	struct pipe_write *w;
	uv_buf_t out;

	if (uv_stream_get_write_queue_size(side->s) == 0)
		return;
	w = xmalloc(sizeof(*w) + 1);
	w->to = side;
	w->n = 0;
	out = uv_buf_init(w->data, 0);
	p->inflight++;
	if (uv_write(&w->req, side->s, &out, 1, on_written) != 0) {
		p->inflight--;
		free(w);
		p->failed = true;
		finish(p, UV_EPIPE);
	}
}

void proxy_pipe_hand_over_after(struct proxy_pipe *p, uint64_t bytes)
{
	p->hand_over_after = bytes;
}

static void start_reading(struct proxy_pipe_side *side)
{
	side->reading = true;
	if (uv_read_start(side->s, on_alloc, on_read) != 0) {
		side->reading = false;
		finish(side->pipe, UV_EPIPE);
	}
}

void proxy_pipe_start(struct proxy_pipe *p, uv_stream_t *a, uv_stream_t *b,
		      const char *initial, size_t n,
		      void (*done)(struct proxy_pipe *p, int status))
{
	memset(p, 0, sizeof(*p));
	p->done = done;
	p->a.pipe = p->b.pipe = p;
	p->a.s = a;
	p->b.s = b;
	p->a.peer = &p->b;
	p->b.peer = &p->a;
	a->data = &p->a;
	b->data = &p->b;
	if (n > 0) {
		struct pipe_write *w = xmalloc(sizeof(*w) + n);
		uv_buf_t out;

		memcpy(w->data, initial, n);
		w->to = &p->b;
		w->n = n;
		out = uv_buf_init(w->data, (unsigned)n);
		p->inflight++;
		p->b.pending += n;
		proxy_wbatch_flush(); /* batched bytes go first */
		if (uv_write(&w->req, b, &out, 1, on_written) != 0) {
			p->inflight--;
			free(w);
			finish(p, UV_EPIPE);
			return;
		}
	}
	start_reading(&p->a);
	if (!p->finished)
		start_reading(&p->b);
}

struct copy_write {
	uv_write_t req;
	void (*cb)(uv_write_t *req, int status);
	char data[];
};

static void copy_written(uv_write_t *req, int status)
{
	struct copy_write *w = proxy_container_of(req, struct copy_write, req);

	if (w->cb)
		w->cb(req, status);
	free(w);
}

int proxy_write_copy(uv_stream_t *s, const void *data, size_t n,
		     void (*cb)(uv_write_t *req, int status), void *arg)
{
	struct copy_write *w;
	uv_buf_t out = uv_buf_init((char *)data, (unsigned)n);
	int rc;

	/* Small writes of this loop turn go out together (wbatch.c). */
	if (proxy_wbatch_write(s, data, n))
		return 1;
	/* Most answers fit the socket buffer: written now, nothing is
	 * copied and no callback is queued. uv_try_write refuses while
	 * earlier writes wait, so the order holds. */
	rc = uv_try_write(s, &out, 1);
	if (rc == (int)n)
		return 1;
	if (rc < 0 && rc != UV_EAGAIN)
		return rc;
	if (rc > 0) {
		data = (const char *)data + rc;
		n -= (size_t)rc;
	}
	w = xmalloc(sizeof(*w) + n);
	memcpy(w->data, data, n);
	w->cb = cb;
	w->req.data = arg;
	out = uv_buf_init(w->data, (unsigned)n);
	rc = uv_write(&w->req, s, &out, 1, copy_written);
	if (rc != 0)
		free(w);
	return rc;
}
