/*
 * stream_pair.h - for unit tests of code that writes to libuv streams: a
 * connected AF_UNIX socket pair, one end a uv_pipe_t on the test's loop
 * (the code under test writes there), the other a plain non-blocking
 * descriptor the test reads and writes directly.
 */
#ifndef BERTH_TESTS_STREAM_PAIR_H
#define BERTH_TESTS_STREAM_PAIR_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <uv.h>

struct stream_pair {
	uv_pipe_t s; /* the stream end, on the loop */
	int peer;    /* the test's end, O_NONBLOCK */
};

static inline void stream_pair_open(uv_loop_t *loop, struct stream_pair *e)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	uv_pipe_init(loop, &e->s, 0);
	if (uv_pipe_open(&e->s, sv[0]) != 0)
		abort();
	e->peer = sv[1];
}

#endif
