/*
 * admin.c - the admin listener ([berth] admin) on the proxy thread:
 * GET /healthz answers "ok", GET /metrics the Prometheus text; anything
 * else 404 (405 for other methods). One request per connection. Owns the
 * admin listener and its connections; must not change any service.
 */
#include <llhttp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "internal.h"
#include "wbatch.h"

struct admin_conn {
	struct proxy_conn_link link;
	struct proxy *px;
	uv_tcp_t tcp;
	uv_timer_t timer;
	llhttp_t parser;
	llhttp_settings_t settings;
	struct proxy_buf url;
	uv_shutdown_t sreq;
	int handles;
	bool closing;
	bool answered;
	char rbuf[4096];
};

static void conn_free(uv_handle_t *h)
{
	struct admin_conn *c = h->data;

	if (--c->handles > 0)
		return;
	proxy_buf_free(&c->url);
	free(c);
}

static void conn_close(struct admin_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	proxy_unlink(&c->link);
	proxy_wbatch_flush(); /* the descriptor goes with the close */
	uv_close((uv_handle_t *)&c->tcp, conn_free);
	uv_close((uv_handle_t *)&c->timer, conn_free);
}

static void conn_abort(struct proxy_conn_link *l)
{
	conn_close(proxy_container_of(l, struct admin_conn, link));
}

static void shut_done(uv_shutdown_t *req, int status)
{
	conn_close(req->data);
}

static void reply(struct admin_conn *c, int code, const char *reason,
		  const char *type, const char *body, size_t n)
{
	struct proxy_buf o = {0};

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	proxy_buf_printf(&o,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 code, reason, type, n);
	proxy_buf_append(&o, body, n);
	if (proxy_write_copy((uv_stream_t *)&c->tcp, o.p, o.len, NULL, NULL) <
	    0) {
		proxy_buf_free(&o);
		conn_close(c);
		return;
	}
	proxy_buf_free(&o);
	c->sreq.data = c;
	proxy_wbatch_flush(); /* the answer goes before the FIN */
	if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, shut_done) != 0)
		conn_close(c);
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct admin_conn *c = proxy_container_of(p, struct admin_conn, parser);

	if (c->url.len + n > 2048)
		return -1;
	proxy_buf_append(&c->url, at, n);
	return 0;
}

static bool path_is(const struct proxy_buf *u, const char *path)
{
	size_t n = strlen(path);

	return u->len >= n && !memcmp(u->p, path, n) &&
	       (u->len == n || u->p[n] == '?');
}

static int on_complete(llhttp_t *p)
{
	struct admin_conn *c = proxy_container_of(p, struct admin_conn, parser);
	const char *text = "text/plain; charset=utf-8";

	if (p->method != HTTP_GET && p->method != HTTP_HEAD) {
		reply(c, 405, "Method Not Allowed", text,
		      "method not allowed\n", 19);
	} else if (path_is(&c->url, "/healthz")) {
		reply(c, 200, "OK", text, "ok\n", 3);
	} else if (path_is(&c->url, "/metrics")) {
		struct proxy_buf m = {0};

		proxy_metrics_render(c->px, &m);
		reply(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
		      m.p ? m.p : "", m.len);
		proxy_buf_free(&m);
	} else {
		reply(c, 404, "Not Found", text, "not found\n", 10);
	}
	return HPE_PAUSED;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct admin_conn *c = h->data;

	buf->base = c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct admin_conn *c = s->data;
	llhttp_errno_t e;

	if (n == 0 || c->closing || c->answered)
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	e = llhttp_execute(&c->parser, buf->base, (size_t)n);
	if (e != HPE_OK && e != HPE_PAUSED && !c->answered)
		reply(c, 400, "Bad Request", "text/plain", "bad request\n", 12);
}

static void on_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_fd(struct proxy_acceptor *a, int fd)
{
	struct proxy *px = a->data;
	struct admin_conn *c;

	c = xcalloc(1, sizeof(*c));
	c->px = px;
	uv_tcp_init(&px->loop, &c->tcp);
	uv_timer_init(&px->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles = 2;
	proxy_link(px, &c->link, conn_abort);
	llhttp_settings_init(&c->settings);
	c->settings.on_url = on_url;
	c->settings.on_message_complete = on_complete;
	llhttp_init(&c->parser, HTTP_REQUEST, &c->settings);
	if (uv_tcp_open(&c->tcp, fd) != 0) {
		close(fd);
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, 10000, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		conn_close(c);
}

int proxy_admin_open(struct proxy *px, int fd)
{
	px->admin = proxy_acceptor_open(px, fd, px);
	if (px->admin == NULL)
		return -1;
	/* From here the acceptor owns fd and closes it. */
	px->admin->on_fd = on_fd;
	px->admin->shed = proxy_shed_http;
	proxy_acceptor_update(px->admin);
	return 0;
}

void proxy_admin_close(struct proxy *px)
{
	proxy_acceptor_close(px->admin);
	px->admin = NULL;
}
