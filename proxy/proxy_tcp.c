/*
 * proxy_tcp.c - tcp mode: one backend per client connection, chosen when
 * it is accepted, then a plain byte copy (pipe.c). A connection keeps its
 * backend for life, so an endpoint change only steers new connections.
 * The copy starts on the buffer path (pipe.c), whose small writes go
 * out in the loop turn's batch (wbatch.c), and moves to splice(2)
 * (splice.c) once a direction turns out to be a bulk transfer; without a
 * batch it splices from the start. Splice may be turned off (splice.h),
 * and the kernel may refuse it: the buffer path then carries on.
 * Owns tcp connection objects; must not parse the bytes it copies.
 */
#include <stdlib.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "internal.h"
#include "splice.h"
#include "wbatch.h"

struct tcp_conn {
	struct proxy_conn_link link;
	struct proxy_service *svc;
	uv_tcp_t client;
	struct proxy_upstream *up;
	struct proxy_backend *counted; /* backend whose active we raised */
	struct proxy_pipe pipe;
	struct proxy_splice *sp; /* NULL on the buffer path */
	int tries;
	int grp; /* routing group, chosen at the first try */
	int handles;
	bool closing;
	int64_t start_ms;
};

static void client_closed(uv_handle_t *h)
{
	struct tcp_conn *c = proxy_container_of(h, struct tcp_conn, client);

	if (--c->handles > 0)
		return;
	proxy_service_release(c->svc);
	free(c);
}

static void up_closed(struct proxy_upstream *u)
{
	struct tcp_conn *c = u->owner;

	if (--c->handles == 0) {
		proxy_service_release(c->svc);
		free(c);
	}
}

static void conn_close(struct tcp_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	proxy_unlink(&c->link);
	if (c->counted)
		proxy_backend_busy(c->counted, -1);
	c->counted = NULL;
	proxy_conn_closed(c->svc);
	if (c->sp)
		proxy_splice_close(c->sp);
	c->sp = NULL;
	proxy_wbatch_flush(); /* the descriptor goes with the close */
	uv_close((uv_handle_t *)&c->client, client_closed);
	if (c->up) {
		c->up->on_closed = up_closed;
		c->handles++;
		proxy_upstream_close(c->up);
		c->up = NULL;
	}
}

static void conn_abort(struct proxy_conn_link *l)
{
	conn_close(proxy_container_of(l, struct tcp_conn, link));
}

/* A direction has moved this much and a read filled the whole buffer:
 * the rest goes by splice. */
#define TCP_SPLICE_AFTER (128 * 1024)

static void splice_done(struct proxy_splice *sp, int status);

static void pipe_done(struct proxy_pipe *p, int status)
{
	struct tcp_conn *c = proxy_container_of(p, struct tcp_conn, pipe);

	if (status == UV_EAGAIN && !c->closing) {
		/* The buffer path handed a bulk transfer over, idle. */
		c->sp = proxy_splice_start(
		    &c->svc->px->loop, (uv_stream_t *)&c->client,
		    (uv_stream_t *)&c->up->tcp, splice_done, c);
		if (c->sp == NULL)
			proxy_pipe_start(&c->pipe, (uv_stream_t *)&c->client,
					 (uv_stream_t *)&c->up->tcp, NULL, 0,
					 pipe_done);
		return;
	}
	conn_close(c);
}

static void splice_done(struct proxy_splice *sp, int status)
{
	struct tcp_conn *c = proxy_splice_data(sp);

	if (status == UV_ENOSYS && !c->closing) {
		/* No byte moved yet: the buffer path takes over. */
		proxy_splice_close(sp);
		c->sp = NULL;
		proxy_pipe_start(&c->pipe, (uv_stream_t *)&c->client,
				 (uv_stream_t *)&c->up->tcp, NULL, 0,
				 pipe_done);
		return;
	}
	conn_close(c);
}

static void start_copy(struct tcp_conn *c)
{
	if (proxy_splice_enabled() && proxy_wbatch_active()) {
		proxy_pipe_start(&c->pipe, (uv_stream_t *)&c->client,
				 (uv_stream_t *)&c->up->tcp, NULL, 0,
				 pipe_done);
		proxy_pipe_hand_over_after(&c->pipe, TCP_SPLICE_AFTER);
		return;
	}
	if (proxy_splice_enabled()) {
		c->sp = proxy_splice_start(
		    &c->svc->px->loop, (uv_stream_t *)&c->client,
		    (uv_stream_t *)&c->up->tcp, splice_done, c);
		if (c->sp)
			return;
	}
	proxy_pipe_start(&c->pipe, (uv_stream_t *)&c->client,
			 (uv_stream_t *)&c->up->tcp, NULL, 0, pipe_done);
}

static void try_connect(struct tcp_conn *c, struct proxy_backend *avoid);

static void on_up_connect(struct proxy_upstream *u, int status)
{
	struct tcp_conn *c = u->owner;

	if (status != 0) {
		u->be->failures++;
		proxy_rev_conn_error(u->be->rev);
		proxy_backend_busy(c->counted, -1);
		c->counted = NULL;
		c->up = NULL;
		proxy_upstream_close(u);
		try_connect(c, u->be);
		return;
	}
	u->be->requests++;
	proxy_rev_request(u->be->rev, 200, -1);
	start_copy(c);
}

/* Each endpoint is tried at most once; a connection with none left is
 * closed (a tcp client has no other way to hear "unavailable"). */
static void try_connect(struct tcp_conn *c, struct proxy_backend *avoid)
{
	struct proxy_service *s = c->svc;
	struct berr err = BERR_INIT;
	struct proxy_backend *b;

	for (;;) {
		if (c->svc->removed || c->closing)
			break;
		proxy_service_sync(s);
		if (c->tries >= (int)s->n_cur || c->tries >= 3)
			break;
		if (c->tries++ == 0)
			c->grp =
			    proxy_route_group(s->route, s->n_grp[0],
					      s->n_grp[1], false, &s->draw);
		b = proxy_service_pick(s, c->grp, avoid);
		if (b == NULL)
			break;
		c->up = proxy_upstream_connect(s, b, on_up_connect, c, &err);
		if (c->up) {
			c->counted = b;
			proxy_backend_busy(c->counted, 1);
			return;
		}
		b->failures++;
		proxy_rev_conn_error(b->rev);
		avoid = b;
		log_debug("proxy: service %s: %s", s->conf.name, err.msg);
	}
	s->m.codes[5]++;
	conn_close(c);
}

void proxy_tcp_accept(struct proxy_service *s, int fd)
{
	struct tcp_conn *c = xcalloc(1, sizeof(*c));

	c->svc = s;
	proxy_service_hold(s);
	uv_tcp_init(&s->px->loop, &c->client);
	c->handles = 1;
	c->start_ms = proxy_now_ms();
	s->m.connections++;
	proxy_conn_opened(s);
	proxy_link(s->px, &c->link, conn_abort);
	if (uv_tcp_open(&c->client, fd) != 0) {
		close(fd);
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->client, 1);
	try_connect(c, NULL);
}
