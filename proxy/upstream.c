/*
 * upstream.c - connections to backends: a socket made inside the pod's
 * network namespace (network = private) or on the host (network = host),
 * a non-blocking connect to 127.0.0.1:targetPort bounded by the connect
 * timeout, and the per-backend pool of idle keep-alive connections.
 * Owns upstream memory and handles; must not parse HTTP.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "../runtime/netns.h"
#include "internal.h"
#include "wbatch.h"

static void up_release(struct proxy_upstream *u)
{
	if (--u->handles > 0)
		return;
	if (u->on_closed)
		u->on_closed(u);
	proxy_backend_release(u->svc, u->be);
	proxy_service_release(u->svc);
	free(u);
}

/* By address: a tunnel reuses the data field of tcp. */
static void tcp_closed(uv_handle_t *h)
{
	up_release(proxy_container_of(h, struct proxy_upstream, tcp));
}

static void timer_closed(uv_handle_t *h)
{
	up_release(proxy_container_of(h, struct proxy_upstream, timer));
}

void proxy_upstream_close(struct proxy_upstream *u)
{
	if (u->closing)
		return;
	u->closing = true;
	proxy_wbatch_flush(); /* the descriptor goes with the close */
	uv_close((uv_handle_t *)&u->tcp, tcp_closed);
	uv_close((uv_handle_t *)&u->timer, timer_closed);
}

static void on_timeout(uv_timer_t *t)
{
	struct proxy_upstream *u = t->data;
	void (*cb)(struct proxy_upstream *, int) = u->on_connect;

	u->on_connect = NULL;
	if (cb)
		cb(u, UV_ETIMEDOUT);
}

static void on_connected(uv_connect_t *req, int status)
{
	struct proxy_upstream *u = req->data;
	void (*cb)(struct proxy_upstream *, int) = u->on_connect;

	if (u->closing)
		return;
	uv_timer_stop(&u->timer);
	u->on_connect = NULL;
	if (status == 0) {
		u->connected = true;
		uv_tcp_nodelay(&u->tcp, 1);
	}
	if (cb)
		cb(u, status);
}

struct proxy_upstream *
proxy_upstream_connect(struct proxy_service *s, struct proxy_backend *b,
		       void (*on_connect)(struct proxy_upstream *u, int status),
		       void *owner, struct berr *err)
{
	struct proxy_upstream *u;
	struct sockaddr_in sin = {0};
	int fd, type = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, rc;

	if (b->ep.host_network) {
		fd = socket(AF_INET, type, 0);
		if (fd == -1) {
			berr_errno(err, errno, "socket");
			return NULL;
		}
	} else {
		fd = rt_netns_socket(b->ep.pid, AF_INET, type, err);
		if (fd == -1)
			return NULL;
	}
	u = xcalloc(1, sizeof(*u));
	u->svc = s;
	u->be = b;
	u->owner = owner;
	u->on_connect = on_connect;
	proxy_service_hold(s);
	b->refs++;
	uv_tcp_init(&s->px->loop, &u->tcp);
	uv_timer_init(&s->px->loop, &u->timer);
	u->tcp.data = u;
	u->timer.data = u;
	u->handles = 2;
	if (uv_tcp_open(&u->tcp, fd) != 0) {
		close(fd);
		berr_set(err, "cannot adopt backend socket");
		proxy_upstream_close(u);
		return NULL;
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)b->ep.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	u->creq.data = u;
	rc = uv_tcp_connect(&u->creq, &u->tcp, (struct sockaddr *)&sin,
			    on_connected);
	if (rc != 0) {
		berr_set(err, "connect: %s", uv_strerror(rc));
		proxy_upstream_close(u);
		return NULL;
	}
	uv_timer_start(&u->timer, on_timeout,
		       (uint64_t)s->conf.timeout_connect_ms, 0);
	return u;
}

static void unpool(struct proxy_upstream *u)
{
	struct proxy_backend *b = u->be;

	for (struct proxy_upstream **pp = &b->idle; *pp; pp = &(*pp)->pool_next)
		if (*pp == u) {
			*pp = u->pool_next;
			b->n_idle--;
			break;
		}
	u->pool_next = NULL;
}

/* By address, like tcp_closed. */
static void read_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct proxy_upstream *u =
	    proxy_container_of(h, struct proxy_upstream, tcp);
	static char scratch[512];

	if (u->on_read && u->rbuf) {
		buf->base = u->rbuf;
		buf->len = u->rbuf_len;
		return;
	}
	buf->base = scratch;
	buf->len = sizeof(scratch);
}

/* An idle pooled connection that speaks or closes is no longer usable. */
static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct proxy_upstream *u =
	    proxy_container_of(st, struct proxy_upstream, tcp);

	if (n == 0 || u->closing)
		return;
	if (u->on_read) {
		u->on_read(u, n, buf);
		return;
	}
	unpool(u);
	proxy_upstream_close(u);
}

int proxy_upstream_read(struct proxy_upstream *u, bool on)
{
	int rc = 0;

	if (on == u->reading || u->closing)
		return 0;
	if (on)
		rc = uv_read_start((uv_stream_t *)&u->tcp, read_alloc, on_read);
	else
		uv_read_stop((uv_stream_t *)&u->tcp);
	if (rc == 0)
		u->reading = on;
	return rc;
}

void proxy_upstream_park(struct proxy_upstream *u)
{
	struct proxy_backend *b = u->be;

	/* The bound holds for the process: each thread keeps its share. */
	size_t cap = PROXY_POOL_MAX / u->svc->px->leader->n_workers;

	if (u->closing || !u->connected || !b->in_set ||
	    b->n_idle >= (int)(cap ? cap : 1) || u->svc->removed) {
		proxy_upstream_close(u);
		return;
	}
	u->owner = NULL;
	u->on_closed = NULL;
	u->on_read = NULL;
	u->rbuf = NULL;
	u->idle_since = proxy_now_ms();
	u->tcp.data = u;
	if (proxy_upstream_read(u, true) != 0) {
		proxy_upstream_close(u);
		return;
	}
	u->pool_next = b->idle;
	b->idle = u;
	b->n_idle++;
}

struct proxy_upstream *proxy_upstream_take(struct proxy_backend *b)
{
	struct proxy_upstream *u = b->idle;

	if (u == NULL)
		return NULL;
	b->idle = u->pool_next;
	b->n_idle--;
	u->pool_next = NULL;
	u->reused = true;
	return u;
}

void proxy_pool_close_idle(struct proxy_backend *b)
{
	struct proxy_upstream *u;

	while ((u = proxy_upstream_take(b)) != NULL)
		proxy_upstream_close(u);
}

void proxy_pool_sweep(struct proxy_service *s, int64_t now)
{
	for (struct proxy_backend *b = s->backends; b; b = b->next) {
		struct proxy_upstream **pp = &b->idle;

		while (*pp) {
			struct proxy_upstream *u = *pp;

			if (now - u->idle_since < s->conf.timeout_server_ms) {
				pp = &u->pool_next;
				continue;
			}
			*pp = u->pool_next;
			b->n_idle--;
			u->pool_next = NULL;
			proxy_upstream_close(u);
		}
	}
}
