/*
 * http_msg.c - request head rewriting and message framing with llhttp
 * (strict: no lenient flag is ever set, so conflicting Content-Length and
 * Transfer-Encoding, bad chunk sizes and bare LF are errors). Owns only
 * parser state and the bytes it produces; must not do I/O.
 */
#include "http_msg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static struct proxy_hreq *req_of(llhttp_t *p)
{
	return proxy_container_of(p, struct proxy_hreq, parser);
}

static struct proxy_hresp *resp_of(llhttp_t *p)
{
	return proxy_container_of(p, struct proxy_hresp, parser);
}

/* Counts n bytes of the head; over the limit, the request is refused. */
static int count(struct proxy_hreq *r, size_t n)
{
	r->head_bytes += n;
	if (r->head_bytes > PROXY_HEAD_MAX) {
		r->too_large = true;
		r->error = 431;
		return -1;
	}
	return 0;
}

static int grow(struct proxy_hreq *r, struct proxy_buf *b, const char *at,
		size_t n)
{
	if (count(r, n) == -1)
		return -1;
	proxy_buf_append(b, at, n);
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct proxy_hreq *r = req_of(p);

	return grow(r, &r->url, at, n);
}

static int on_field(llhttp_t *p, const char *at, size_t n)
{
	struct proxy_hreq *r = req_of(p);

	return grow(r, &r->field, at, n);
}

static int on_value(llhttp_t *p, const char *at, size_t n)
{
	struct proxy_hreq *r = req_of(p);

	return grow(r, &r->value, at, n);
}

static bool field_is(const struct proxy_buf *f, const char *name)
{
	return f->len == strlen(name) && strncasecmp(f->p, name, f->len) == 0;
}

static void append_list(struct proxy_buf *b, const struct proxy_buf *v)
{
	if (b->len)
		proxy_buf_append(b, ", ", 2);
	proxy_buf_append(b, v->p, v->len);
}

/* RFC 9110 tchar; llhttp built without strict mode lets a space in. */
static bool is_token(const struct proxy_buf *f)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (f->len == 0)
		return false;
	for (size_t i = 0; i < f->len; i++) {
		unsigned char ch = (unsigned char)f->p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') ||
		      (ch != 0 && strchr(extra, ch))))
			return false;
	}
	return true;
}

/* One whole header: kept, dropped (hop-by-hop) or merged. */
static int on_value_complete(llhttp_t *p)
{
	struct proxy_hreq *r = req_of(p);
	struct proxy_buf *f = &r->field, *v = &r->value;
	static const char *const hop[] = {
	    "connection", "keep-alive",	       "proxy-connection",
	    "te",	  "x-forwarded-proto", "x-forwarded-for",
	    "via",	  "upgrade",
	};

	/* ": " and CRLF around the name and value counted so far. */
	if (count(r, 4) == -1)
		return -1;
	if (++r->n_headers > PROXY_HEADERS_MAX) {
		r->too_large = true;
		r->error = 431;
		return -1;
	}
	if (!is_token(f))
		return -1;
	for (size_t i = 0; i < v->len; i++)
		if ((unsigned char)v->p[i] < 0x20 && v->p[i] != '\t')
			return -1;
	if (field_is(f, "host")) {
		r->n_host++;
	} else if (field_is(f, "expect")) {
		/* RFC 9110 10.1.1: 100-continue is the only expectation;
		 * berth answers it itself (proxy_http.c), so it stops here. */
		if (v->len != 12 || strncasecmp(v->p, "100-continue", 12)) {
			r->error = 417;
			return -1;
		}
		r->expect_continue = true;
		goto done;
	}
	if (field_is(f, "x-forwarded-for"))
		append_list(&r->xff, v);
	else if (field_is(f, "via"))
		append_list(&r->via, v);
	else if (field_is(f, "upgrade"))
		append_list(&r->upgrade_value, v);
	else if (field_is(f, "connection"))
		append_list(&r->conn, v);
	else if (field_is(f, "transfer-encoding"))
		r->has_te = true;
	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (field_is(f, hop[i]))
			goto done;
	proxy_buf_append(&r->hdrs, f->p, f->len);
	proxy_buf_append(&r->hdrs, ": ", 2);
	proxy_buf_append(&r->hdrs, v->p, v->len);
	proxy_buf_append(&r->hdrs, "\r\n", 2);
done:
	f->len = 0;
	v->len = 0;
	return 0;
}

/* Whether name (n bytes) is one of the comma-separated tokens in list. */
static bool in_list(const struct proxy_buf *list, const char *name, size_t n)
{
	size_t i = 0;

	while (i < list->len) {
		size_t s, e;

		while (i < list->len &&
		       (list->p[i] == ' ' || list->p[i] == '\t' ||
			list->p[i] == ','))
			i++;
		s = i;
		while (i < list->len && list->p[i] != ',')
			i++;
		e = i;
		while (e > s &&
		       (list->p[e - 1] == ' ' || list->p[e - 1] == '\t'))
			e--;
		if (e > s && e - s == n &&
		    strncasecmp(list->p + s, name, n) == 0)
			return true;
	}
	return false;
}

/* Drops the kept headers the Connection header names (RFC 9110 7.6.1):
 * they are meant for this hop only. */
static void drop_connection_listed(struct proxy_hreq *r)
{
	struct proxy_buf *h = &r->hdrs;
	size_t in = 0, out = 0;

	if (r->conn.len == 0)
		return;
	while (in < h->len) {
		const char *line = h->p + in;
		const char *colon = memchr(line, ':', h->len - in);
		const char *end = memchr(line, '\n', h->len - in);
		size_t n = end ? (size_t)(end - line) + 1 : h->len - in;

		size_t name = colon ? (size_t)(colon - line) : 0;

		/* Host stays: a request without one is invalid. */
		if (colon == NULL || name >= n ||
		    (name == 4 && strncasecmp(line, "host", 4) == 0) ||
		    !in_list(&r->conn, line, name)) {
			memmove(h->p + out, line, n);
			out += n;
		}
		in += n;
	}
	h->len = out;
}

static bool method_idempotent(int m)
{
	return m == HTTP_GET || m == HTTP_HEAD || m == HTTP_PUT ||
	       m == HTTP_DELETE || m == HTTP_OPTIONS || m == HTTP_TRACE;
}

/* Appends a string literal without counting its bytes by hand. */
#define APPEND_LIT(b, lit) proxy_buf_append((b), (lit), sizeof(lit) - 1)

static int on_headers_complete(llhttp_t *p)
{
	struct proxy_hreq *r = req_of(p);
	struct proxy_buf *o = &r->out;
	char ver[3] = {'1', '.', '1'};
	const char *method;

	r->method = p->method;
	/* The request line and its CRLF, the blank line after the head. */
	if (count(r, strlen(llhttp_method_name((llhttp_method_t)p->method)) +
			 13) == -1)
		return -1;
	if (p->http_major != 1) {
		r->error = 505;
		return -1;
	}
	/* RFC 9112 3.2: an HTTP/1.1 request has exactly one Host; no
	 * request has two. */
	if (r->n_host > 1 || (p->http_minor == 1 && r->n_host != 1))
		return -1;
	/* RFC 9110 10.1.1: an HTTP/1.0 client cannot take a 100. */
	if (p->http_minor == 0)
		r->expect_continue = false;
	if (r->method == HTTP_CONNECT)
		return -1;
	/* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is a smuggling shape. */
	if (r->has_te && p->http_major == 1 && p->http_minor == 0)
		return -1;
	drop_connection_listed(r);
	r->idempotent = method_idempotent(r->method);
	r->is_head = r->method == HTTP_HEAD;
	r->chunked = (p->flags & F_CHUNKED) != 0;
	r->upgrade = p->upgrade != 0;
	r->keep_alive = llhttp_should_keep_alive(p) != 0;
	/* Plain appends: this runs once per request, and formatting with
	 * printf was the largest cost on the request path. */
	method = llhttp_method_name((llhttp_method_t)p->method);
	ver[0] = (char)('0' + p->http_major % 10);
	ver[2] = (char)('0' + p->http_minor % 10);
	proxy_buf_append(o, method, strlen(method));
	APPEND_LIT(o, " ");
	proxy_buf_append(o, r->url.p, r->url.len);
	APPEND_LIT(o, " HTTP/");
	proxy_buf_append(o, ver, 3);
	APPEND_LIT(o, "\r\n");
	proxy_buf_append(o, r->hdrs.p, r->hdrs.len);
	APPEND_LIT(o, "X-Forwarded-For: ");
	if (r->xff.len) {
		proxy_buf_append(o, r->xff.p, r->xff.len);
		APPEND_LIT(o, ", ");
	}
	proxy_buf_append(o, r->client_ip, strlen(r->client_ip));
	APPEND_LIT(o, "\r\nX-Forwarded-Proto: http\r\nVia: ");
	if (r->via.len) {
		proxy_buf_append(o, r->via.p, r->via.len);
		APPEND_LIT(o, ", ");
	}
	proxy_buf_append(o, ver, 3);
	APPEND_LIT(o, " berth\r\n");
	if (r->upgrade) {
		APPEND_LIT(o, "Connection: Upgrade\r\nUpgrade: ");
		proxy_buf_append(o, r->upgrade_value.p, r->upgrade_value.len);
		APPEND_LIT(o, "\r\n");
	} else if (p->http_major == 1 && p->http_minor == 0) {
		APPEND_LIT(o, "Connection: keep-alive\r\n");
	}
	APPEND_LIT(o, "\r\n");
	r->head_done = true;
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct proxy_hreq *r = req_of(p);

	r->body_bytes += n;
	if (r->chunked)
		proxy_buf_printf(&r->out, "%zx\r\n", n);
	proxy_buf_append(&r->out, at, n);
	if (r->chunked)
		proxy_buf_append(&r->out, "\r\n", 2);
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct proxy_hreq *r = req_of(p);

	if (r->chunked)
		proxy_buf_append(&r->out, "0\r\n\r\n", 5);
	r->complete = true;
	/* An upgrade stops by itself (HPE_PAUSED_UPGRADE). */
	return r->upgrade ? 0 : HPE_PAUSED;
}

void proxy_hreq_init(struct proxy_hreq *r, const char *client_ip)
{
	memset(r, 0, sizeof(*r));
	llhttp_settings_init(&r->settings);
	r->settings.on_url = on_url;
	r->settings.on_header_field = on_field;
	r->settings.on_header_value = on_value;
	r->settings.on_header_value_complete = on_value_complete;
	r->settings.on_headers_complete = on_headers_complete;
	r->settings.on_body = on_body;
	r->settings.on_message_complete = on_message_complete;
	llhttp_init(&r->parser, HTTP_REQUEST, &r->settings);
	snprintf(r->client_ip, sizeof(r->client_ip), "%s", client_ip);
}

/* Runs p over data until a message ends (the callbacks pause it there):
 * *used is what it took, *paused whether a resume is owed. -1 on a
 * parse error. */
static int execute(llhttp_t *p, bool *paused, const char *data, size_t len,
		   size_t *used)
{
	llhttp_errno_t e = llhttp_execute(p, data, len);

	if (e == HPE_OK) {
		*used = len;
		return 0;
	}
	if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
		*paused = e == HPE_PAUSED;
		*used = (size_t)(llhttp_get_error_pos(p) - data);
		return 0;
	}
	return -1;
}

int proxy_hreq_feed(struct proxy_hreq *r, const char *data, size_t len,
		    size_t *used)
{
	bool in_head = !r->head_done;
	int rc;

	*used = 0;
	if (r->complete || len == 0)
		return 0;
	rc = execute(&r->parser, &r->paused, data, len, used);
	/* Bytes of a head still incomplete count whole (whitespace, line
	 * ends): the callbacks only see names, values and the target. */
	if (rc == 0 && in_head && !r->head_done) {
		r->head_raw += *used;
		if (r->head_raw > PROXY_HEAD_MAX) {
			r->too_large = true;
			r->error = 431;
			return -1;
		}
	}
	if (rc == -1 && r->error == 0)
		r->error = 400;
	return rc;
}

const char *proxy_hreq_reason(int status)
{
	switch (status) {
	case 417:
		return "Expectation Failed";
	case 431:
		return "Request Header Fields Too Large";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Bad Request";
	}
}

void proxy_hreq_next(struct proxy_hreq *r)
{
	if (r->paused)
		llhttp_resume(&r->parser);
	r->paused = false;
	/* A buffer a large request grew goes back; small ones stay. */
	struct proxy_buf *bufs[] = {&r->out,   &r->url,		  &r->field,
				    &r->value, &r->hdrs,	  &r->xff,
				    &r->via,   &r->upgrade_value, &r->conn};

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		if (bufs[i]->cap > 4096)
			proxy_buf_free(bufs[i]);
	r->out.len = r->url.len = r->field.len = r->value.len = 0;
	r->hdrs.len = r->xff.len = r->via.len = r->upgrade_value.len = 0;
	r->conn.len = 0;
	r->has_te = false;
	r->expect_continue = false;
	r->n_headers = r->n_host = r->error = 0;
	r->head_bytes = r->head_raw = 0;
	r->head_done = r->complete = r->upgrade = r->chunked = false;
	r->keep_alive = r->idempotent = r->is_head = false;
	r->body_bytes = 0;
}

void proxy_hreq_free(struct proxy_hreq *r)
{
	proxy_buf_free(&r->out);
	proxy_buf_free(&r->url);
	proxy_buf_free(&r->field);
	proxy_buf_free(&r->value);
	proxy_buf_free(&r->hdrs);
	proxy_buf_free(&r->xff);
	proxy_buf_free(&r->via);
	proxy_buf_free(&r->upgrade_value);
	proxy_buf_free(&r->conn);
}

static int resp_headers_complete(llhttp_t *p)
{
	struct proxy_hresp *r = resp_of(p);

	r->status = p->status_code;
	r->head_done = true;
	if (r->head_request && r->status >= 200)
		return 1; /* no body follows a response to HEAD */
	return 0;
}

static int resp_message_complete(llhttp_t *p)
{
	struct proxy_hresp *r = resp_of(p);

	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		/* 100 Continue and friends precede the real response. */
		r->head_done = false;
		return 0;
	}
	r->complete = true;
	r->upgrade = r->status == 101;
	r->keep_alive = llhttp_should_keep_alive(p) != 0;
	return r->upgrade ? 0 : HPE_PAUSED;
}

void proxy_hresp_init(struct proxy_hresp *r, bool head_request)
{
	memset(r, 0, sizeof(*r));
	llhttp_settings_init(&r->settings);
	r->settings.on_headers_complete = resp_headers_complete;
	r->settings.on_message_complete = resp_message_complete;
	llhttp_init(&r->parser, HTTP_RESPONSE, &r->settings);
	r->head_request = head_request;
}

int proxy_hresp_feed(struct proxy_hresp *r, const char *data, size_t len,
		     size_t *used)
{
	*used = 0;
	if (r->complete || len == 0)
		return 0;
	return execute(&r->parser, &r->paused, data, len, used);
}

int proxy_hresp_eof(struct proxy_hresp *r)
{
	if (r->complete)
		return 0;
	if (!r->head_done)
		return -1;
	if (llhttp_finish(&r->parser) != HPE_OK && !r->complete)
		return -1;
	if (!r->complete)
		return -1;
	r->keep_alive = false;
	return 0;
}
