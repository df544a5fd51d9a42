/*
 * http.c - the dashboard's HTTP/1.1 transport on the daemon's loop: a TCP
 * listener, one request per connection parsed with llhttp (size and time
 * limits), replies, and long-lived event streams whose queued bytes the
 * stream's writer bounds. Knows no routes (routes.c) and no berth objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sdnotify.h"
#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "dash_internal.h"

struct write_req {
	uv_write_t req;
	struct dash_conn *c;
	bool then_close;
	char data[];
};

static void on_conn_closed(uv_handle_t *h)
{
	struct dash_conn *c = h->data;
	struct dashboard *db = c->db;

	if (c->prev)
		c->prev->next = c->next;
	else
		db->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	db->n_conns--;
	if (c->fwd)
		dash_fwd_detach(c->fwd);
	free(c->url);
	free(c->value);
	free(c->cookie);
	free(c->csrf);
	free(c->last_event_id);
	free(c->host);
	free(c->origin);
	free(c->body);
	free(c);
	dash_handle_closed(db);
}

void dash_conn_close(struct dash_conn *c)
{
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	c->state = DC_CLOSING;
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct dash_conn *c = w->c;

	if (status < 0 || w->then_close)
		dash_conn_close(c);
	else if (c->state == DC_SSE)
		dash_sse_flush(c->db, c);
	free(w);
}

void dash_write_raw(struct dash_conn *c, const char *data, size_t len,
		    bool then_close)
{
	struct write_req *w;
	uv_buf_t buf;

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	w = xmalloc(sizeof(*w) + len);
	w->c = c;
	w->then_close = then_close;
	memcpy(w->data, data, len);
	buf = uv_buf_init(w->data, (unsigned)len);
	if (then_close)
		c->state = DC_CLOSING;
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) <
	    0) {
		free(w);
		dash_conn_close(c);
	}
}

size_t dash_conn_queued(const struct dash_conn *c)
{
	return uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp);
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 421:
		return "Misdirected Request";
	case 431:
		return "Request Header Fields Too Large";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	}
	return "Error";
}

/* Every page and answer: nothing from elsewhere, never framed. */
#define SECURITY_HEADERS                                                       \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; "     \
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; "         \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n"      \
	"X-Content-Type-Options: nosniff\r\n"                                  \
	"Referrer-Policy: no-referrer\r\n"

void dash_reply(struct dash_conn *c, int status, const char *ctype,
		const char *extra_headers, const char *body, size_t len)
{
	char *head =
	    xasprintf("HTTP/1.1 %d %s\r\n"
		      "Content-Type: %s\r\n"
		      "Content-Length: %zu\r\n"
		      "Cache-Control: no-store\r\n" SECURITY_HEADERS "%s"
		      "Connection: close\r\n\r\n",
		      status, reason(status), ctype, len,
		      extra_headers ? extra_headers : "");
	size_t hlen = strlen(head);
	bool head_only = c->parser.method == HTTP_HEAD;
	char *all = xmalloc(hlen + len + 1);

	memcpy(all, head, hlen);
	if (!head_only && len)
		memcpy(all + hlen, body, len);
	dash_write_raw(c, all, hlen + (head_only ? 0 : len), true);
	free(all);
	free(head);
}

void dash_reply_json(struct dash_conn *c, int status, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);

	json_decref(doc);
	dash_reply(c, status, "application/json", NULL, text ? text : "{}",
		   text ? strlen(text) : 2);
	free(text);
}

void dash_reply_error(struct dash_conn *c, int status, const char *msg)
{
	dash_reply_json(c, status, json_pack("{s:s}", "error", msg));
}

void dash_sse_begin(struct dash_conn *c)
{
	static const char head[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n"
	    "Cache-Control: no-store\r\n" SECURITY_HEADERS
	    "X-Accel-Buffering: no\r\n"
	    "Connection: keep-alive\r\n\r\n"
	    "retry: 1000\n\n";

	c->state = DC_SSE;
	c->since_ms = 0;
	dash_write_raw(c, head, sizeof(head) - 1, false);
}

/* --- request parsing ------------------------------------------------------
 */

static int grow(struct dash_conn *c, char **dst, size_t *dlen, const char *at,
		size_t len)
{
	c->header_bytes += len;
	if (c->header_bytes > DASH_MAX_HEADER_BYTES)
		return -1;
	*dst = xrealloc(*dst, *dlen + len + 1);
	memcpy(*dst + *dlen, at, len);
	*dlen += len;
	(*dst)[*dlen] = '\0';
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct dash_conn *c = p->data;
	size_t n = c->url ? strlen(c->url) : 0;

	return grow(c, &c->url, &n, at, len);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct dash_conn *c = p->data;

	c->header_bytes += len;
	if (c->header_bytes > DASH_MAX_HEADER_BYTES)
		return -1;
	if (c->field_len + len < sizeof(c->field)) {
		memcpy(c->field + c->field_len, at, len);
		c->field_len += len;
	} else {
		c->field_len = sizeof(c->field); /* too long: not ours */
	}
	return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct dash_conn *c = p->data;

	return grow(c, &c->value, &c->value_len, at, len);
}

static int on_header_value_complete(llhttp_t *p)
{
	struct dash_conn *c = p->data;
	static const struct {
		const char *name;
		size_t off;
	} keep[] = {
	    {"cookie", offsetof(struct dash_conn, cookie)},
	    {"x-csrf-token", offsetof(struct dash_conn, csrf)},
	    {"last-event-id", offsetof(struct dash_conn, last_event_id)},
	    {"host", offsetof(struct dash_conn, host)},
	    {"origin", offsetof(struct dash_conn, origin)},
	};

	if (c->field_len < sizeof(c->field)) {
		c->field[c->field_len] = '\0';
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			char **slot = (char **)((char *)c + keep[i].off);

			if (strcasecmp(c->field, keep[i].name))
				continue;
			free(*slot); /* the last one counts */
			*slot = c->value ? c->value : xstrdup("");
			c->value = NULL;
		}
	}
	free(c->value);
	c->value = NULL;
	c->value_len = 0;
	c->field_len = 0;
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct dash_conn *c = p->data;

	if ((p->flags & F_CONTENT_LENGTH) &&
	    p->content_length > DASH_MAX_BODY_BYTES) {
		c->too_large = true;
		return -1;
	}
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct dash_conn *c = p->data;

	if (c->body_len + len > DASH_MAX_BODY_BYTES) {
		c->too_large = true;
		return -1;
	}
	c->body = xrealloc(c->body, c->body_len + len + 1);
	memcpy(c->body + c->body_len, at, len);
	c->body_len += len;
	c->body[c->body_len] = '\0';
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	return HPE_PAUSED;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = xmalloc(suggested);
	buf->len = suggested;
}

static void dispatch(struct dash_conn *c)
{
	const char *method = llhttp_method_name(llhttp_get_method(&c->parser));
	char *q;

	if (c->url == NULL)
		c->url = xstrdup("/");
	q = strchr(c->url, '?');
	if (q)
		*q++ = '\0';
	c->state = DC_HANDLING;
	c->since_ms = 0;
	dash_route(c, method, c->url, q ? q : "");
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct dash_conn *c = s->data;
	llhttp_errno_t rc;

	if (nread < 0) {
		free(buf->base);
		dash_conn_close(c);
		return;
	}
	if (nread == 0 || c->state != DC_READING) {
		free(buf->base); /* bytes after the request: ignored */
		return;
	}
	rc = llhttp_execute(&c->parser, buf->base, (size_t)nread);
	free(buf->base);
	if (rc == HPE_PAUSED) {
		dispatch(c);
		return;
	}
	if (rc == HPE_OK)
		return;
	c->state = DC_HANDLING;
	if (c->too_large)
		dash_reply_error(c, 413, "request body larger than 64 KiB");
	else if (c->header_bytes > DASH_MAX_HEADER_BYTES)
		dash_reply_error(c, 431, "request headers larger than 16 KiB");
	else
		dash_reply_error(c, 400, "malformed request");
}

static void on_connection(uv_stream_t *server, int status)
{
	struct dashboard *db = server->data;
	struct dash_conn *c;

	if (status < 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->db = db;
	uv_tcp_init(db->d->loop, &c->tcp);
	c->tcp.data = c;
	c->next = db->conns;
	if (db->conns)
		db->conns->prev = c;
	db->conns = c;
	db->n_conns++;
	db->handles++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    db->n_conns > DASH_MAX_CONNS || db->stopping) {
		dash_conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	c->since_ms = uv_now(db->d->loop);
	llhttp_init(&c->parser, HTTP_REQUEST, &db->settings);
	c->parser.data = c;
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		dash_conn_close(c);
}

int dash_http_listen(struct dashboard *db, struct berr *err)
{
	struct sockaddr_storage ss;
	char host[64];
	int port, rc;
	const char *why = "";

	if (str_split_hostport(db->listen, host, sizeof(host), &port, &why) ==
	    -1)
		return berr_set(err, "dashboard %s: %s", db->listen, why);
	if (strchr(host, ':'))
		rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
	if (rc < 0)
		return berr_set(err, "dashboard %s: %s", db->listen,
				uv_strerror(rc));
	llhttp_settings_init(&db->settings);
	db->settings.on_url = on_url;
	db->settings.on_header_field = on_header_field;
	db->settings.on_header_value = on_header_value;
	db->settings.on_header_value_complete = on_header_value_complete;
	db->settings.on_headers_complete = on_headers_complete;
	db->settings.on_body = on_body;
	db->settings.on_message_complete = on_message_complete;
	uv_tcp_init(db->d->loop, &db->listener);
	db->listener.data = db;
	db->listening = true;
	db->handles++;
	/* A listening socket handed over by the previous daemon (upgrade)
	 * keeps its waiting clients; otherwise bind one. */
	int fd = sdnotify_listen_take("berth-dashboard");

	rc = fd >= 0 ? uv_tcp_open(&db->listener, fd)
		     : uv_tcp_bind(&db->listener, (struct sockaddr *)&ss,
				   strchr(host, ':') ? UV_TCP_IPV6ONLY : 0);
	if (rc == 0)
		rc =
		    uv_listen((uv_stream_t *)&db->listener, 128, on_connection);
	if (rc < 0)
		return berr_set(err, "dashboard %s: %s", db->listen,
				uv_strerror(rc));
	return 0;
}

void dash_http_sweep(struct dashboard *db, uint64_t now)
{
	for (struct dash_conn *c = db->conns, *next; c; c = next) {
		next = c->next;
		if (c->state == DC_READING && c->since_ms &&
		    now - c->since_ms > DASH_READ_TIMEOUT_MS) {
			c->state = DC_HANDLING;
			dash_reply_error(c, 408,
					 "request not received in time");
		} else if (c->state == DC_SSE && c->since_ms &&
			   now - c->since_ms > DASH_SSE_STALL_MS) {
			dash_conn_close(c); /* it stopped reading */
		}
	}
}

static void on_listener_closed(uv_handle_t *h)
{
	dash_handle_closed(h->data);
}

void dash_http_close_all(struct dashboard *db)
{
	if (db->listening)
		uv_close((uv_handle_t *)&db->listener, on_listener_closed);
	db->listening = false;
	for (struct dash_conn *c = db->conns; c; c = c->next)
		dash_conn_close(c);
}
