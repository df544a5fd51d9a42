/*
 * test_proxy_pipe.c - the buffer path's hand-over of a bulk transfer
 * (proxy/pipe.c, proxy_pipe_hand_over_after): with the destination full
 * and writes queued, done runs with UV_EAGAIN only once every byte read
 * is written, in order, with reading stopped on both sides; small reads
 * go out through the loop turn's write batch; a pipe without a hand-over
 * never stops.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "../../proxy/internal.h"
#include "../../proxy/wbatch.h"
#include "../lib/stream_pair.h"
#include "../lib/tap.h"

static int done_status = 1; /* 1: done has not run */
static size_t queued_at_done;
static int inflight_at_done;

static void on_done(struct proxy_pipe *p, int status)
{
	done_status = status;
	queued_at_done = uv_stream_get_write_queue_size(p->a.s) +
			 uv_stream_get_write_queue_size(p->b.s);
	inflight_at_done = p->inflight;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

/* Writes what the peer's socket takes of the pattern from *sent on. */
static void feed(int fd, size_t *sent, size_t total)
{
	unsigned char chunk[16384];
	ssize_t n;

	while (*sent < total) {
		size_t k = total - *sent < sizeof(chunk) ? total - *sent
							 : sizeof(chunk);

		for (size_t i = 0; i < k; i++)
			chunk[i] = pattern(*sent + i);
		n = send(fd, chunk, k, MSG_DONTWAIT);
		if (n <= 0)
			return;
		*sent += (size_t)n;
	}
}

/* Reads what the peer holds, checking the pattern; returns bytes read. */
static size_t take(int fd, size_t *got, size_t *bad)
{
	unsigned char buf[65536];
	size_t before = *got;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (ssize_t i = 0; i < n; i++, (*got)++)
			if (buf[i] != pattern(*got) && *bad == (size_t)-1)
				*bad = *got;
	return *got - before;
}

int main(void)
{
	uv_loop_t loop;
	struct stream_pair a, b;
	struct proxy_pipe p;
	uv_timer_t alive;
	size_t total = 4u << 20, sent = 0, got = 0, bad = (size_t)-1;
	bool queued_seen = false;
	struct proxy_wbatch *wb;

	uv_loop_init(&loop);
	uv_timer_init(&loop, &alive);
	stream_pair_open(&loop, &a);
	stream_pair_open(&loop, &b);
	proxy_wbatch_set_enabled(true);
	wb = proxy_wbatch_open(&loop); /* NULL without io_uring: fine */

	/* a's peer writes, b's peer does not read yet: b fills up. */
	proxy_pipe_start(&p, (uv_stream_t *)&a.s, (uv_stream_t *)&b.s, NULL, 0,
			 on_done);
	proxy_pipe_hand_over_after(&p, 256u << 10);
	for (int i = 0; i < 20000 && !p.handing; i++) {
		feed(a.peer, &sent, total);
		uv_run(&loop, UV_RUN_NOWAIT);
		if (uv_stream_get_write_queue_size((uv_stream_t *)&b.s) > 0)
			queued_seen = true;
	}
	ok(p.handing, "a bulk transfer stops for a hand-over (%zu bytes in)",
	   (size_t)p.bytes[0]);
	ok(queued_seen, "the full destination had writes queued");
	is_int(done_status, 1, "done waits while writes are queued");
	/* Now b's peer reads: the queue drains, then done runs. */
	uv_timer_start(&alive, (uv_timer_cb)abort, 60000, 0);
	for (int i = 0; i < 20000 && done_status == 1; i++) {
		take(b.peer, &got, &bad);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	is_int(done_status, UV_EAGAIN, "done runs with UV_EAGAIN");
	is_int(queued_at_done, 0, "nothing was queued when done ran");
	is_int(inflight_at_done, 0, "no write was in flight when done ran");
	take(b.peer, &got, &bad);
	is_int(got, p.bytes[0], "every byte read from a reached b");
	ok(bad == (size_t)-1, "in order (first bad byte: %zd)", (ssize_t)bad);
	ok(!p.a.reading && !p.b.reading, "reading stopped on both sides");
	/* What came after stays in a's socket for the next owner. */
	{
		unsigned char c;

		feed(a.peer, &sent, total);
		uv_run(&loop, UV_RUN_NOWAIT);
		ok(recv(b.peer, &c, 1, MSG_DONTWAIT) < 0,
		   "nothing more is copied after the hand-over");
	}

	/* Without a hand-over the same transfer runs to its end. */
	done_status = 1;
	proxy_pipe_start(&p, (uv_stream_t *)&a.s, (uv_stream_t *)&b.s, NULL, 0,
			 on_done);
	for (int i = 0; i < 200000 && got < total; i++) {
		feed(a.peer, &sent, total);
		take(b.peer, &got, &bad);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	is_int(got, total, "without a hand-over all 4 MiB arrive");
	ok(bad == (size_t)-1, "in order (first bad byte: %zd)", (ssize_t)bad);
	ok(!p.handing && done_status == 1, "and the pipe never stops");

	uv_close((uv_handle_t *)&alive, NULL);
	uv_close((uv_handle_t *)&a.s, NULL);
	uv_close((uv_handle_t *)&b.s, NULL);
	proxy_wbatch_close(wb);
	uv_run(&loop, UV_RUN_DEFAULT);
	proxy_wbatch_free(wb);
	uv_loop_close(&loop);
	close(a.peer);
	close(b.peer);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
