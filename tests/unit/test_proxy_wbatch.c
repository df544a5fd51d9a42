/*
 * test_proxy_wbatch.c - the proxy's batched writes (proxy/wbatch.c) on
 * socket pairs: nothing leaves before the turn's end or a flush, writes
 * to one socket keep their order, a full socket's rest goes to libuv's
 * queue (and later writes wait behind it), large writes and writes with
 * the batch off are not taken, a closed socket's bytes are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "../../proxy/wbatch.h"
#include "../lib/stream_pair.h"
#include "../lib/tap.h"

/* Everything readable on e's peer now, NUL-terminated into buf. */
static size_t drain(struct stream_pair *e, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < cap &&
	       (n = recv(e->peer, buf + got, cap - 1 - got, MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return got;
}

static void never(uv_timer_t *t)
{
	(void)t;
}

static int put(struct stream_pair *e, const char *s)
{
	return proxy_wbatch_write((uv_stream_t *)&e->s, s, strlen(s));
}

int main(void)
{
	uv_loop_t loop;
	struct stream_pair a, b, c;
	struct proxy_wbatch *wb;
	uv_timer_t alive; /* keeps the loop turning in UV_RUN_NOWAIT */
	char buf[1 << 16];

	uv_loop_init(&loop);
	stream_pair_open(&loop, &a);
	stream_pair_open(&loop, &b);
	stream_pair_open(&loop, &c);
	uv_timer_init(&loop, &alive);

	proxy_wbatch_set_enabled(true);
	wb = proxy_wbatch_open(&loop);
	if (wb == NULL) {
		printf("1..0 # SKIP io_uring is not available here\n");
		return 0;
	}

	/* Taken, and held until the flush. */
	ok(put(&a, "one ") == 1 && put(&b, "x") == 1 && put(&a, "two") == 1,
	   "small writes are taken");
	is_int(drain(&a, buf, sizeof(buf)), 0,
	       "nothing is sent before a flush");
	proxy_wbatch_flush();
	drain(&a, buf, sizeof(buf));
	is_str(buf, "one two", "one socket's writes arrive whole, in order");
	drain(&b, buf, sizeof(buf));
	is_str(buf, "x", "another socket's write arrives");

	/* The loop turn's end sends. */
	uv_timer_start(&alive, never, 60000, 0);
	put(&a, "turn");
	uv_run(&loop, UV_RUN_NOWAIT);
	drain(&a, buf, sizeof(buf));
	is_str(buf, "turn", "the end of a loop turn sends");

	/* Large writes are not copied. */
	{
		static char big[32 * 1024];

		is_int(
		    proxy_wbatch_write((uv_stream_t *)&a.s, big, sizeof(big)),
		    0, "a large write is not taken");
	}

	/* A full socket: the rest goes to libuv, later writes wait. */
	{
		uv_os_fd_t fd;
		size_t filled = 0, got = 0;
		ssize_t n;
		char tail[600];
		char *all;

		uv_fileno((uv_handle_t *)&a.s, &fd);
		memset(buf, 'f', sizeof(buf));
		while ((n = send(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			filled += (size_t)n;
		for (size_t i = 0; i < sizeof(tail); i++)
			tail[i] = (char)('a' + i % 26);
		ok(proxy_wbatch_write((uv_stream_t *)&a.s, tail,
				      sizeof(tail)) == 1,
		   "a write to a full socket is taken");
		proxy_wbatch_flush();
		ok(a.s.write_queue_size > 0,
		   "what the full socket refused is in libuv's queue");
		is_int(put(&a, "after"), 0,
		       "a write behind libuv's queue is not taken");
		all = malloc(filled + sizeof(tail) + 1);
		for (int spins = 0;
		     spins < 100000 && got < filled + sizeof(tail); spins++) {
			n = recv(a.peer, all + got, filled + sizeof(tail) - got,
				 MSG_DONTWAIT);
			if (n > 0)
				got += (size_t)n;
			uv_run(&loop, UV_RUN_NOWAIT);
		}
		is_int(got, filled + sizeof(tail), "every byte arrives");
		ok(got == filled + sizeof(tail) &&
		       memcmp(all + filled, tail, sizeof(tail)) == 0,
		   "the refused rest follows what the socket held, in order");
		free(all);
	}

	/* A socket closed without a flush: its bytes are dropped. */
	put(&c, "lost");
	uv_close((uv_handle_t *)&c.s, NULL);
	proxy_wbatch_flush();
	ok(drain(&c, buf, sizeof(buf)) == 0 && strcmp(buf, "") == 0,
	   "a closed socket's batched bytes are not sent");

	/* Closed, and off. */
	proxy_wbatch_close(wb);
	uv_close((uv_handle_t *)&alive, NULL);
	is_int(put(&b, "y"), 0,
	       "after the batch is closed, writes are not taken");
	uv_close((uv_handle_t *)&a.s, NULL);
	uv_close((uv_handle_t *)&b.s, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	proxy_wbatch_free(wb);
	proxy_wbatch_set_enabled(false);
	ok(proxy_wbatch_open(&loop) == NULL,
	   "BERTH_PROXY_URING=0 (or the switch): no batch");
	is_int(put(&b, "z"), 0, "without a batch, writes are not taken");
	uv_loop_close(&loop);
	close(a.peer);
	close(b.peer);
	close(c.peer);

	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
