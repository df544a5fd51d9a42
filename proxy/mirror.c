/*
 * mirror.c - setMirrorRoute: copies of requests the stable pods serve,
 * sent to a canary pod on a connection of their own (pooled like any
 * other), the answer read to its end and discarded. Bounded: a copy is
 * made only of a whole request of at most MIRROR_REQ_MAX bytes, at most
 * MIRROR_INFLIGHT_MAX per service are in flight (the rest are dropped and
 * counted), and each ends at the service's response timeout. Never
 * touches the client's connection or request; framing is http_msg.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "http_msg.h"
#include "internal.h"

#define MIRROR_REQ_MAX (64 * 1024)
#define MIRROR_INFLIGHT_MAX 64

struct mirror {
	struct proxy_conn_link link;
	struct proxy_service *svc;
	struct proxy_upstream *up;
	struct proxy_rev_stats *rev;
	struct proxy_hresp resp;
	int64_t start;
	size_t len;
	char data[];
};

/* Ends the copy; the connection goes back to the pool when it answered
 * whole and may be kept, else it is closed. */
static void mirror_end(struct mirror *m, bool pool)
{
	struct proxy_upstream *u = m->up;
	struct proxy_service *s = m->svc;

	if (u) {
		m->up = NULL;
		u->owner = NULL;
		u->on_read = NULL;
		u->on_connect = NULL;
		u->rbuf = NULL;
		if (!u->closing)
			uv_timer_stop(&u->timer);
		if (pool &&
		    uv_stream_get_write_queue_size((uv_stream_t *)&u->tcp) == 0)
			proxy_upstream_park(u);
		else
			proxy_upstream_close(u);
	}
	proxy_unlink(&m->link);
	s->mirror_inflight--;
	proxy_service_release(s);
	free(m);
}

static void mirror_failed(struct mirror *m)
{
	m->svc->m.mirror_failed++;
	if (m->up && m->up->be)
		m->up->be->failures++;
	proxy_rev_conn_error(m->rev);
	mirror_end(m, false);
}

static void mirror_abort(struct proxy_conn_link *l)
{
	mirror_end(proxy_container_of(l, struct mirror, link), false);
}

static void on_timeout(uv_timer_t *t)
{
	struct proxy_upstream *u = t->data;

	if (u->owner)
		mirror_failed(u->owner);
}

static void on_read(struct proxy_upstream *u, ssize_t n, const uv_buf_t *buf)
{
	struct mirror *m = u->owner;
	size_t used = 0;

	if (n < 0) {
		if (n == UV_EOF && m->resp.head_done &&
		    proxy_hresp_eof(&m->resp) == 0) {
			proxy_rev_request(m->rev, m->resp.status,
					  proxy_now_ms() - m->start);
			mirror_end(m, false);
			return;
		}
		mirror_failed(m);
		return;
	}
	if (proxy_hresp_feed(&m->resp, buf->base, (size_t)n, &used) == -1) {
		mirror_failed(m);
		return;
	}
	if (!m->resp.complete)
		return;
	proxy_rev_request(m->rev, m->resp.status, proxy_now_ms() - m->start);
	mirror_end(m,
		   m->resp.keep_alive && !m->resp.upgrade && used == (size_t)n);
}

/* Connected (or taken from the pool): send the copy, wait for its
 * answer until the response timeout. */
static void send_copy(struct mirror *m)
{
	struct proxy_upstream *u = m->up;

	u->owner = m;
	u->on_read = on_read;
	u->rbuf = m->svc->px->rbuf;
	u->rbuf_len = PROXY_READ_SIZE;
	if (proxy_upstream_read(u, true) != 0 ||
	    proxy_write_copy((uv_stream_t *)&u->tcp, m->data, m->len, NULL,
			     NULL) < 0) {
		mirror_failed(m);
		return;
	}
	uv_timer_start(&u->timer, on_timeout,
		       (uint64_t)m->svc->conf.timeout_response_ms, 0);
}

static void on_connect(struct proxy_upstream *u, int status)
{
	struct mirror *m = u->owner;

	if (m == NULL)
		return;
	if (status != 0) {
		mirror_failed(m);
		return;
	}
	send_copy(m);
}

void proxy_mirror_maybe(struct proxy_service *s, const char *req, size_t len,
			bool is_head)
{
	const struct proxy_routeset *r = s->route;
	struct berr err = BERR_INIT;
	struct proxy_backend *b;
	struct mirror *m;

	if (r == NULL || r->mirror <= 0 || s->n_grp[1] == 0 ||
	    !proxy_draw_take(&s->mdraw, r->mirror))
		return;
	if (req == NULL || len > MIRROR_REQ_MAX ||
	    s->mirror_inflight >= MIRROR_INFLIGHT_MAX) {
		s->m.mirror_dropped++;
		return;
	}
	b = proxy_service_pick(s, 1, NULL);
	if (b == NULL) {
		s->m.mirror_dropped++;
		return;
	}
	m = xmalloc(sizeof(*m) + len);
	memset(m, 0, sizeof(*m));
	memcpy(m->data, req, len);
	m->len = len;
	m->svc = s;
	m->rev = b->rev;
	m->start = proxy_now_ms();
	proxy_hresp_init(&m->resp, is_head);
	proxy_service_hold(s);
	s->mirror_inflight++;
	s->m.mirror_sent++;
	proxy_link(s->px, &m->link, mirror_abort);
	m->up = proxy_upstream_take(b);
	if (m->up) {
		send_copy(m);
		return;
	}
	m->up = proxy_upstream_connect(s, b, on_connect, m, &err);
	if (m->up == NULL) {
		log_debug("proxy: service %s: mirror: %s", s->conf.name,
			  err.msg);
		mirror_failed(m);
	}
}
