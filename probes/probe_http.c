/*
 * probe_http.c - httpGet probes as kubelet does them: GET with kube-probe's
 * headers and Connection: close, success on 200-399, redirects followed
 * only to the same host (at most as many as Go's client), a redirect to
 * another host counted as success with a warning, one timeout covering
 * connects, redirects and the response headers. Owns only its run; must
 * not apply thresholds (probe_done does).
 */
#include <ctype.h>
#include <errno.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "probe_impl.h"

#define HTTP_HEADERS_MAX (64 * 1024)
#define HTTP_LOCATION_MAX 4096
#define HTTP_REDIRECT_LIMIT 10
#define PROBE_USER_AGENT "kube-probe/1.29"

struct http_run;

/* One connection of a run; a followed redirect opens a new one. */
struct http_conn {
	struct http_run *run;
	bool closed;
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_write_t wreq;
	llhttp_t parser;
	char *request;
	char rbuf[4096];
	size_t received;
	char field[32];
	size_t field_len;
	bool in_location;
	char *location; /* first Location header, NUL-terminated */
	size_t location_len;
	bool headers_done;
};

struct http_run {
	struct probe *p; /* NULL once detached (done or cancelled) */
	uv_timer_t timer;
	struct http_conn *conn;
	int open_handles;
	int redirects;
	int port;
	char *path;	     /* current request target */
	char *url_host;	     /* host[:port] of the current URL */
	char *orig_hostname; /* hostname redirects are compared with */
	bool custom_host;    /* the Host header still comes from the config */
	char url[1024];
	char addr[32];
};

static llhttp_settings_t parser_settings;
static bool parser_settings_ready;

static void run_handle_closed(struct http_run *r)
{
	if (--r->open_handles > 0)
		return;
	free(r->path);
	free(r->url_host);
	free(r->orig_hostname);
	free(r);
}

static void on_conn_close(uv_handle_t *h)
{
	struct http_conn *c = h->data;
	struct http_run *r = c->run;

	free(c->request);
	free(c->location);
	free(c);
	run_handle_closed(r);
}

static void conn_close(struct http_conn *c)
{
	if (c == NULL || c->closed)
		return;
	c->closed = true;
	if (c->run->conn == c)
		c->run->conn = NULL;
	uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

static void on_timer_close(uv_handle_t *h)
{
	run_handle_closed(h->data);
}

static void run_close(struct http_run *r)
{
	r->p = NULL;
	conn_close(r->conn);
	uv_close((uv_handle_t *)&r->timer, on_timer_close);
}

static void run_cancel(void *run)
{
	run_close(run);
}

static void run_finish(struct http_run *r, enum probe_result res, int code,
		       const char *output)
{
	struct probe *p = r->p;
	struct probe_result_ctx ctx = {
	    .url = r->url, .addr = r->addr, .code = code, .output = output};
	char detail[PROBE_MSG_MAX];

	if (p == NULL)
		return;
	p->run = NULL;
	probe_result_detail(detail, sizeof(detail), res, &ctx);
	run_close(r);
	probe_done(p, res, detail);
}

static void set_target(struct http_run *r, int port, const char *url_host,
		       const char *path)
{
	r->port = port;
	if (url_host != r->url_host) {
		free(r->url_host);
		r->url_host = xstrdup(url_host);
	}
	if (path != r->path) {
		free(r->path);
		r->path = xstrdup(path);
	}
	snprintf(r->addr, sizeof(r->addr), "127.0.0.1:%d", port);
	snprintf(r->url, sizeof(r->url), "http://%s%s", r->url_host, r->path);
}

/* A header value from the config that cannot split the request. */
static bool header_ok(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

static const char *config_header(const struct handler_spec *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->http_headers.n; i++)
		if (strcasecmp(h->http_headers.v[i].key, name) == 0)
			return h->http_headers.v[i].value;
	return NULL;
}

static char *build_request(const struct http_run *r,
			   const struct handler_spec *h)
{
	const char *host = r->url_host;
	const char *ch = config_header(h, "Host");
	char *req, *tmp;
	size_t i;

	if (r->custom_host && ch != NULL && header_ok(ch))
		host = ch;
	req = xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\n", r->path, host);
	if (config_header(h, "User-Agent") == NULL) {
		tmp = xasprintf("%sUser-Agent: " PROBE_USER_AGENT "\r\n", req);
		free(req);
		req = tmp;
	}
	if (config_header(h, "Accept") == NULL) {
		tmp = xasprintf("%sAccept: */*\r\n", req);
		free(req);
		req = tmp;
	}
	tmp = xasprintf("%sConnection: close\r\n", req);
	free(req);
	req = tmp;
	for (i = 0; i < h->http_headers.n; i++) {
		const struct kv *kv = &h->http_headers.v[i];

		if (strcasecmp(kv->key, "Host") == 0 ||
		    strcasecmp(kv->key, "Connection") == 0 ||
		    !header_ok(kv->key) || !header_ok(kv->value))
			continue;
		tmp = xasprintf("%s%s: %s\r\n", req, kv->key, kv->value);
		free(req);
		req = tmp;
	}
	tmp = xasprintf("%s\r\n", req);
	free(req);
	return tmp;
}

static int on_header_field(llhttp_t *parser, const char *at, size_t len)
{
	struct http_conn *c = parser->data;
	size_t room = sizeof(c->field) - 1 - c->field_len;

	if (len > room)
		len = room;
	memcpy(c->field + c->field_len, at, len);
	c->field_len += len;
	c->field[c->field_len] = '\0';
	return 0;
}

static int on_header_field_complete(llhttp_t *parser)
{
	struct http_conn *c = parser->data;

	c->in_location =
	    c->location == NULL && strcasecmp(c->field, "Location") == 0;
	if (c->in_location)
		c->location = xcalloc(1, 1);
	c->field_len = 0;
	c->field[0] = '\0';
	return 0;
}

static int on_header_value(llhttp_t *parser, const char *at, size_t len)
{
	struct http_conn *c = parser->data;

	if (!c->in_location || c->location_len + len > HTTP_LOCATION_MAX)
		return 0;
	c->location = xrealloc(c->location, c->location_len + len + 1);
	memcpy(c->location + c->location_len, at, len);
	c->location_len += len;
	c->location[c->location_len] = '\0';
	return 0;
}

static int on_header_value_complete(llhttp_t *parser)
{
	struct http_conn *c = parser->data;

	c->in_location = false;
	return 0;
}

static int on_headers_complete(llhttp_t *parser)
{
	struct http_conn *c = parser->data;
	int status = llhttp_get_status_code(parser);

	/* Go's client skips informational responses (except 101). */
	if (status >= 100 && status < 200 && status != 101) {
		free(c->location);
		c->location = NULL;
		c->location_len = 0;
		return 1;
	}
	c->headers_done = true;
	return HPE_PAUSED;
}

static const llhttp_settings_t *settings(void)
{
	if (!parser_settings_ready) {
		llhttp_settings_init(&parser_settings);
		parser_settings.on_header_field = on_header_field;
		parser_settings.on_header_field_complete =
		    on_header_field_complete;
		parser_settings.on_header_value = on_header_value;
		parser_settings.on_header_value_complete =
		    on_header_value_complete;
		parser_settings.on_headers_complete = on_headers_complete;
		parser_settings_ready = true;
	}
	return &parser_settings;
}

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/*
 * Splits an absolute or scheme-relative Location into hostname, host[:port]
 * (as written), port and path. Returns false for anything but http.
 */
static bool parse_absolute(const char *loc, char *hostname, size_t hlen,
			   char *hostport, size_t hplen, int *port,
			   const char **path)
{
	const char *a, *end, *colon = NULL, *h0, *h1;
	const char *at;

	if (strncasecmp(loc, "http://", 7) == 0)
		a = loc + 7;
	else if (strncmp(loc, "//", 2) == 0)
		a = loc + 2;
	else
		return false;
	end = a + strcspn(a, "/?#");
	at = memchr(a, '@', (size_t)(end - a));
	if (at != NULL)
		a = at + 1;
	if (*a == '[') {
		h0 = a + 1;
		h1 = memchr(a, ']', (size_t)(end - a));
		if (h1 == NULL)
			return false;
		if (h1 + 1 < end && h1[1] == ':')
			colon = h1 + 1;
	} else {
		h0 = a;
		colon = memchr(a, ':', (size_t)(end - a));
		h1 = colon != NULL ? colon : end;
	}
	snprintf(hostname, hlen, "%.*s", (int)(h1 - h0), h0);
	snprintf(hostport, hplen, "%.*s", (int)(end - a), a);
	*port = 80;
	if (colon != NULL && colon + 1 < end) {
		char *e;
		long v = strtol(colon + 1, &e, 10);

		if (e != end || v <= 0 || v > 65535)
			return false;
		*port = (int)v;
	}
	*path = end;
	return true;
}

/* Target of a relative Location, resolved against the current path. */
static char *resolve_relative(const char *base, const char *loc)
{
	size_t dir;

	if (loc[0] == '/')
		return xstrndup(loc, strcspn(loc, "#"));
	if (loc[0] == '?')
		return xasprintf("%.*s%.*s", (int)strcspn(base, "?"), base,
				 (int)strcspn(loc, "#"), loc);
	dir = strcspn(base, "?");
	while (dir > 0 && base[dir - 1] != '/')
		dir--;
	return xasprintf("%.*s%.*s", (int)dir, base, (int)strcspn(loc, "#"),
			 loc);
}

static void conn_start(struct http_run *r);

static void follow(struct http_run *r, const char *loc)
{
	char hostname[256], hostport[300];
	const char *rest;
	char *path;
	int port;

	if (strncasecmp(loc, "https://", 8) == 0) {
		/* No TLS here: stop as if the redirect went elsewhere. */
		run_finish(r, PROBE_RESULT_OK, 0,
			   "Probe terminated redirects, Response body: ");
		return;
	}
	if (parse_absolute(loc, hostname, sizeof(hostname), hostport,
			   sizeof(hostport), &port, &rest)) {
		if (strcasecmp(hostname, r->orig_hostname) != 0) {
			/* kubelet: http.ErrUseLastResponse, a warning. */
			run_finish(r, PROBE_RESULT_OK, 0,
				   "Probe terminated redirects, Response "
				   "body: ");
			return;
		}
		if (rest[0] == '/')
			path = xstrndup(rest, strcspn(rest, "#"));
		else if (rest[0] == '?')
			path =
			    xasprintf("/%.*s", (int)strcspn(rest, "#"), rest);
		else
			path = xstrdup("/");
		r->custom_host = false;
	} else {
		port = r->port;
		snprintf(hostport, sizeof(hostport), "%s", r->url_host);
		path = resolve_relative(r->path, loc);
	}
	/* Go's default policy: error once 10 requests were made. */
	if (r->redirects + 1 >= HTTP_REDIRECT_LIMIT) {
		free(path);
		run_finish(r, PROBE_RESULT_HTTP_REDIRECTS, 0, NULL);
		return;
	}
	r->redirects++;
	conn_close(r->conn);
	set_target(r, port, hostport, path);
	free(path);
	conn_start(r);
}

static void decide(struct http_conn *c)
{
	struct http_run *r = c->run;
	int status = llhttp_get_status_code(&c->parser);

	if (is_redirect(status) && c->location != NULL &&
	    c->location[0] != '\0') {
		char *loc = xstrdup(c->location);

		follow(r, loc);
		free(loc);
		return;
	}
	if (status >= 200 && status < 300)
		run_finish(r, PROBE_RESULT_OK, 0, NULL);
	else if (status >= 300 && status < 400)
		run_finish(r, PROBE_RESULT_OK, 0,
			   "Probe terminated redirects, Response body: ");
	else
		run_finish(r, PROBE_RESULT_HTTP_STATUS, status, NULL);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct http_conn *c = h->data;

	buf->base = c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct http_conn *c = s->data;
	struct http_run *r = c->run;
	char text[256];
	llhttp_errno_t e;

	if (c->closed || r->p == NULL || nread == 0)
		return;
	if (nread < 0) {
		if (nread == UV_EOF)
			snprintf(text, sizeof(text), "EOF");
		else
			snprintf(text, sizeof(text), "read tcp %s: read: %s",
				 r->addr, uv_strerror((int)nread));
		run_finish(r, PROBE_RESULT_HTTP_ERROR, 0, text);
		return;
	}
	c->received += (size_t)nread;
	e = llhttp_execute(&c->parser, buf->base, (size_t)nread);
	if (e == HPE_PAUSED && c->headers_done) {
		decide(c);
	} else if (e != HPE_OK) {
		snprintf(text, sizeof(text),
			 "net/http: HTTP/1.x transport connection broken: "
			 "malformed HTTP response (%s)",
			 llhttp_get_error_reason(&c->parser));
		run_finish(r, PROBE_RESULT_HTTP_ERROR, 0, text);
	} else if (c->received > HTTP_HEADERS_MAX) {
		run_finish(r, PROBE_RESULT_HTTP_ERROR, 0,
			   "net/http: HTTP/1.x transport connection broken: "
			   "response headers too large");
	}
}

static void on_write(uv_write_t *req, int status)
{
	/* A failed write shows up as EOF or reset on the read side. */
}

static void on_connect(uv_connect_t *req, int status)
{
	struct http_conn *c = req->data;
	struct http_run *r = c->run;
	uv_buf_t b;
	int rc;

	if (status == UV_ECANCELED || c->closed || r->p == NULL)
		return;
	if (status == UV_ECONNREFUSED) {
		run_finish(r, PROBE_RESULT_TCP_REFUSED, 0, NULL);
		return;
	}
	if (status != 0) {
		run_finish(r, PROBE_RESULT_TCP_ERROR, -status, NULL);
		return;
	}
	b = uv_buf_init(c->request, (unsigned)strlen(c->request));
	rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (rc != 0)
		run_finish(r, PROBE_RESULT_TCP_ERROR, -rc, NULL);
}

static void conn_start(struct http_run *r)
{
	struct probe *p = r->p;
	struct http_conn *c;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct berr err = BERR_INIT;
	int fd, rc;

	fd = probe_target_socket(p->set, &err);
	if (fd == -1) {
		run_finish(r, PROBE_RESULT_NETNS_ERROR, 0, err.msg);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->run = r;
	c->request = build_request(r, &p->h);
	llhttp_init(&c->parser, HTTP_RESPONSE, settings());
	c->parser.data = c;
	uv_tcp_init(p->set->loop, &c->tcp);
	c->tcp.data = c->creq.data = c->wreq.data = c;
	r->open_handles++;
	r->conn = c;
	rc = uv_tcp_open(&c->tcp, fd);
	if (rc != 0) {
		close(fd);
		run_finish(r, PROBE_RESULT_INTERNAL, 0, uv_strerror(rc));
		return;
	}
	sin.sin_port = htons((uint16_t)r->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&sin,
			    on_connect);
	if (rc == UV_ECONNREFUSED)
		run_finish(r, PROBE_RESULT_TCP_REFUSED, 0, NULL);
	else if (rc != 0)
		run_finish(r, PROBE_RESULT_TCP_ERROR, -rc, NULL);
}

static void on_timeout(uv_timer_t *t)
{
	run_finish(t->data, PROBE_RESULT_TIMEOUT, 0, NULL);
}

void probe_http_run(struct probe *p)
{
	struct http_run *r = xcalloc(1, sizeof(*r));
	const char *host = p->h.http_host;
	char *url_host, *path;

	r->p = p;
	r->custom_host = true;
	if (host == NULL)
		host = "127.0.0.1";
	/* A configured host:port keeps only its name; the port is ours. */
	r->orig_hostname = xstrndup(
	    host, host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":"));
	url_host = xasprintf("%s:%d", r->orig_hostname, p->h.http_port);
	path = p->h.http_path[0] == '/' ? xstrdup(p->h.http_path)
					: xasprintf("/%s", p->h.http_path);
	set_target(r, p->h.http_port, url_host, path);
	free(url_host);
	free(path);
	uv_timer_init(p->set->loop, &r->timer);
	r->timer.data = r;
	r->open_handles = 1;
	p->run = r;
	p->cancel = run_cancel;
	uv_timer_start(&r->timer, on_timeout, p->timeout_ms, 0);
	conn_start(r);
}
