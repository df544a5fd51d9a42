/*
 * ctl_server.c - HTTP/1.1 over the control unix socket: listener set-up
 * (0600, stale-socket replacement), accepting without ever spinning (the
 * socket is polled and accepted here: a full fd table pauses accepting
 * for CTL_ACCEPT_PAUSE_MS instead of looping on EMFILE), request parsing
 * with llhttp, size limits, the root-only rule for mutating methods,
 * replies and chunked streams, and connection lifetime. Must not know any route
 * or berth object: the handler given to ctl_server_start() owns those.
 */
#include "ctl_server.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <llhttp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdlimit.h"
#include "../common/log.h"
#include "../common/strutil.h"
#include "../common/xalloc.h"

/* Back-pressure limit for streams whose client does not read. */
#define CTL_MAX_QUEUED_BYTES (8 * 1024 * 1024)
#define CTL_ACCEPT_PAUSE_MS 100
#define CTL_ACCEPT_BATCH 16

enum conn_state {
	CONN_READING,	/* parsing the request */
	CONN_HANDLING,	/* handler called, no reply yet */
	CONN_STREAMING, /* chunked stream in progress */
	CONN_DONE,	/* final reply queued; closing once flushed */
};

struct close_cb {
	void (*cb)(void *arg);
	void *arg;
	struct close_cb *next;
};

struct ctl_conn {
	uv_pipe_t pipe;
	uv_shutdown_t shutdown_req;
	struct ctl_server *srv;
	struct ctl_conn *prev, *next;
	llhttp_t parser;
	enum conn_state state;
	uid_t peer_uid;
	int head;	   /* HEAD request: headers only */
	int closing;	   /* uv_close called */
	int handle_closed; /* libuv's close callback ran */
	int held;	   /* the handler still owns a reference */
	int too_large;	   /* 413 already decided */
	size_t header_bytes;
	uint64_t accepted_ms; /* for the request-read deadline */
	char *url;
	size_t url_len;
	char *body;
	size_t body_len;
	struct close_cb *close_cbs;
};

struct ctl_server {
	uv_loop_t *loop;
	uv_poll_t listener; /* polls lfd */
	int lfd;
	uv_timer_t pause; /* accepting rests after EMFILE */
	int pause_closed;
	char *path;
	ctl_handler handler;
	void *data;
	llhttp_settings_t settings;
	struct ctl_conn *conns;
	size_t n_conns;
	int stopping;
	int listener_closed;
	uv_timer_t sweep; /* closes connections that never finish a request */
	int sweep_closed;
};

struct write_req {
	uv_write_t req;
	char *buf;
};

static void conn_close(struct ctl_conn *c);

static const char *status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
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
		return "Payload Too Large";
	case 422:
		return "Unprocessable Entity";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return status < 400 ? "OK" : "Error";
	}
}

static void server_maybe_free(struct ctl_server *s)
{
	if (!s->stopping || !s->listener_closed || !s->sweep_closed ||
	    !s->pause_closed || s->n_conns > 0)
		return;
	free(s->path);
	free(s);
}

static void conn_free(struct ctl_conn *c)
{
	struct ctl_server *s = c->srv;
	struct close_cb *cb, *next;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	for (cb = c->close_cbs; cb; cb = next) {
		next = cb->next;
		free(cb);
	}
	free(c->url);
	free(c->body);
	free(c);
	server_maybe_free(s);
}

/* The handler lets go of c (final reply, or its close callback ran). */
static void conn_release(struct ctl_conn *c)
{
	if (!c->held)
		return;
	c->held = 0;
	if (c->handle_closed)
		conn_free(c);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;

	c->handle_closed = 1;
	if (!c->held)
		conn_free(c);
}

static void fire_close_cbs(struct ctl_conn *c)
{
	struct close_cb *cb = c->close_cbs;
	int had = cb != NULL;

	c->close_cbs = NULL;
	while (cb) {
		struct close_cb *next = cb->next;

		cb->cb(cb->arg);
		free(cb);
		cb = next;
	}
	/* A handler that asked to be told about the close has dropped c. */
	if (had)
		conn_release(c);
}

static void conn_close(struct ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
	fire_close_cbs(c);
}

static void on_write(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct ctl_conn *c = req->data;

	free(w->buf);
	free(w);
	if (status < 0 && !c->closing)
		conn_close(c);
}

/* Queues len bytes (taking ownership of buf). -1 if the conn is dead. */
static int conn_send(struct ctl_conn *c, char *buf, size_t len)
{
	struct write_req *w;
	uv_buf_t b;

	if (c->closing) {
		free(buf);
		return -1;
	}
	w = xmalloc(sizeof(*w));
	w->buf = buf;
	w->req.data = c;
	b = uv_buf_init(buf, (unsigned int)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write) < 0) {
		free(buf);
		free(w);
		conn_close(c);
		return -1;
	}
	return 0;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	conn_close(req->data);
}

/* Marks the final reply: close after every queued byte has been written. */
static void conn_finish(struct ctl_conn *c)
{
	c->state = CONN_DONE;
	if (!c->closing) {
		c->shutdown_req.data = c;
		if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe,
				on_shutdown) < 0)
			conn_close(c);
	}
	conn_release(c);
}

static int conn_replied(const struct ctl_conn *c)
{
	return c->state == CONN_DONE || c->state == CONN_STREAMING;
}

void ctl_reply_text(struct ctl_conn *c, int status, const char *content_type,
		    const char *body, size_t len)
{
	char *head;
	size_t hlen;
	char *buf;

	if (c == NULL || conn_replied(c))
		return;
	head = xasprintf("HTTP/1.1 %d %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "Cache-Control: no-cache\r\n"
			 "Connection: close\r\n\r\n",
			 status, status_text(status), content_type, len);
	hlen = strlen(head);
	if (c->head)
		len = 0;
	buf = xrealloc(head, hlen + len + 1);
	if (len)
		memcpy(buf + hlen, body, len);
	conn_send(c, buf, hlen + len);
	conn_finish(c);
}

void ctl_reply_json(struct ctl_conn *c, int status, json_t *body)
{
	char *text = NULL;

	if (body)
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (text == NULL)
		text = xstrdup("{}");
	{
		size_t n = strlen(text);
		char *line = xmalloc(n + 2);

		memcpy(line, text, n);
		line[n] = '\n';
		line[n + 1] = '\0';
		ctl_reply_text(c, status, "application/json", line, n + 1);
		free(line);
	}
	free(text);
}

void ctl_reply_error(struct ctl_conn *c, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_reply_json(c, status, json_pack("{s:s}", "error", msg));
}

json_t *ctl_body_object(struct ctl_conn *c, const struct ctl_request *req)
{
	json_error_t jerr;
	json_t *j;

	if (req->body == NULL || req->body[0] == '\0')
		return json_object();
	j = json_loads(req->body, 0, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		ctl_reply_error(c, 400, "request body is not a JSON object: %s",
				jerr.text);
		return NULL;
	}
	return j;
}

/* 400 "KEY must be an integer from MIN to MAX". Always -1. */
static int int_range_error(struct ctl_conn *c, const char *where,
			   const char *key, long long min, long long max)
{
	ctl_reply_error(c, 400, "%s%s must be an integer from %lld to %lld",
			where, key, min, max);
	return -1;
}

int ctl_body_int(struct ctl_conn *c, const json_t *body, const char *key,
		 long long min, long long max, long long dflt, long long *out)
{
	const json_t *v = json_object_get(body, key);

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return 0;
	/* jansson reads a number beyond int64 as a real: refused here too */
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return int_range_error(c, "", key, min, max);
	*out = json_integer_value(v);
	return 0;
}

int ctl_query_int(struct ctl_conn *c, const struct ctl_request *req,
		  const char *key, long long min, long long max, long long dflt,
		  long long *out)
{
	char v[32];
	long long n;
	int rc = ctl_query_get(req, key, v, sizeof(v));

	*out = dflt;
	if (rc == -1)
		return 0;
	if (rc != 0 || str_parse_ll(v, &n) == -1 || n < min || n > max)
		return int_range_error(c, "query parameter ", key, min, max);
	*out = n;
	return 0;
}

void ctl_stream_begin(struct ctl_conn *c, const char *content_type)
{
	char *head;

	if (c == NULL || conn_replied(c))
		return;
	c->state = CONN_STREAMING;
	head = xasprintf("HTTP/1.1 200 OK\r\n"
			 "Content-Type: %s\r\n"
			 "Transfer-Encoding: chunked\r\n"
			 "Cache-Control: no-cache\r\n"
			 "Connection: close\r\n\r\n",
			 content_type);
	conn_send(c, head, strlen(head));
}

int ctl_stream_write(struct ctl_conn *c, const char *data, size_t len)
{
	char head[32];
	size_t hlen;
	char *buf;

	if (c == NULL || c->state != CONN_STREAMING || c->closing)
		return -1;
	if (c->head || len == 0)
		return 0;
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
	    CTL_MAX_QUEUED_BYTES) {
		log_warnx("control: dropping a stream whose client stopped "
			  "reading");
		conn_close(c);
		return -1;
	}
	hlen = (size_t)snprintf(head, sizeof(head), "%zx\r\n", len);
	buf = xmalloc(hlen + len + 2);
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, data, len);
	memcpy(buf + hlen + len, "\r\n", 2);
	return conn_send(c, buf, hlen + len + 2);
}

void ctl_stream_end(struct ctl_conn *c)
{
	if (c == NULL || c->state != CONN_STREAMING)
		return;
	if (!c->head)
		conn_send(c, xstrdup("0\r\n\r\n"), 5);
	conn_finish(c);
}

int ctl_conn_alive(const struct ctl_conn *c)
{
	return c != NULL && !c->closing;
}

void ctl_conn_on_close(struct ctl_conn *c, void (*cb)(void *arg), void *arg)
{
	struct close_cb *n;

	if (c == NULL)
		return;
	if (c->closing) {
		/* Already gone: the contract is "fires once", so fire now. */
		cb(arg);
		conn_release(c);
		return;
	}
	n = xmalloc(sizeof(*n));
	n->cb = cb;
	n->arg = arg;
	n->next = c->close_cbs;
	c->close_cbs = n;
}

int ctl_url_decode(const char *src, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char ch = src[i];

		if (ch == '+') {
			ch = ' ';
		} else if (ch == '%' && i + 2 < n &&
			   isxdigit((unsigned char)src[i + 1]) &&
			   isxdigit((unsigned char)src[i + 2])) {
			char hex[3] = {src[i + 1], src[i + 2], 0};

			ch = (char)strtol(hex, NULL, 16);
			i += 2;
		}
		if (o + 1 >= len)
			return -1;
		buf[o++] = ch;
	}
	if (len == 0)
		return -1;
	buf[o] = '\0';
	return 0;
}

int ctl_query_get(const struct ctl_request *req, const char *key, char *buf,
		  size_t len)
{
	const char *p = req->query;
	size_t klen = strlen(key);

	while (p && *p) {
		const char *end = strchr(p, '&');
		const char *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char name[256];

		eq = memchr(p, '=', n);
		if (ctl_url_decode(p, eq ? (size_t)(eq - p) : n, name,
				   sizeof(name)) == 0 &&
		    strlen(name) == klen && memcmp(name, key, klen) == 0) {
			if (eq == NULL)
				return len > 0 ? (buf[0] = '\0', 0) : -2;
			return ctl_url_decode(eq + 1, n - (size_t)(eq + 1 - p),
					      buf, len) == 0
				   ? 0
				   : -2;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

static struct ctl_conn *parser_conn(llhttp_t *p)
{
	return p->data;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct ctl_conn *c = parser_conn(p);

	c->header_bytes += len;
	if (c->header_bytes > CTL_MAX_HEADER_BYTES)
		return -1;
	c->url = xrealloc(c->url, c->url_len + len + 1);
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	c->url[c->url_len] = '\0';
	return 0;
}

static int on_header_data(llhttp_t *p, const char *at, size_t len)
{
	struct ctl_conn *c = parser_conn(p);

	c->header_bytes += len + 4;
	return c->header_bytes > CTL_MAX_HEADER_BYTES ? -1 : 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct ctl_conn *c = parser_conn(p);

	if ((p->flags & F_CONTENT_LENGTH) &&
	    p->content_length > CTL_MAX_BODY_BYTES) {
		c->too_large = 1;
		return -1;
	}
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct ctl_conn *c = parser_conn(p);

	if (c->body_len + len > CTL_MAX_BODY_BYTES) {
		c->too_large = 1;
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

static void conn_dispatch(struct ctl_conn *c)
{
	struct ctl_server *s = c->srv;
	struct ctl_request req;
	const char *method = llhttp_method_name(llhttp_get_method(&c->parser));
	char *q;

	if (c->url == NULL)
		c->url = xstrdup("/");
	q = strchr(c->url, '?');
	if (q)
		*q++ = '\0';
	c->head = strcmp(method, "HEAD") == 0;
	c->state = CONN_HANDLING;
	c->held = 1;
	if (strcmp(method, "GET") != 0 && !c->head && c->peer_uid != 0) {
		ctl_reply_error(c, 403,
				"permission denied: uid %u may only read; "
				"mutating calls need root",
				(unsigned)c->peer_uid);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = c->url;
	req.query = q ? q : "";
	req.body = c->body ? c->body : "";
	req.body_len = c->body_len;
	req.peer_uid = c->peer_uid;
	s->handler(s->data, c, &req);
}

static void conn_reject(struct ctl_conn *c, int status, const char *msg)
{
	c->state = CONN_HANDLING;
	c->held = 1;
	ctl_reply_error(c, status, "%s", msg);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = xmalloc(suggested);
	buf->len = suggested;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_conn *c = stream->data;
	llhttp_errno_t rc;
	char msg[256];

	if (nread < 0) {
		free(buf->base);
		/* EOF before or during a reply: the client is gone. */
		conn_close(c);
		return;
	}
	if (nread == 0 || c->state != CONN_READING) {
		free(buf->base);
		return;
	}
	rc = llhttp_execute(&c->parser, buf->base, (size_t)nread);
	free(buf->base);
	if (rc == HPE_PAUSED) {
		conn_dispatch(c);
		return;
	}
	if (rc == HPE_OK)
		return;
	if (c->too_large) {
		conn_reject(c, 413, "request body larger than 1 MiB");
	} else if (c->header_bytes > CTL_MAX_HEADER_BYTES) {
		conn_reject(c, 431, "request headers larger than 16 KiB");
	} else {
		snprintf(msg, sizeof(msg), "malformed request: %s",
			 llhttp_get_error_reason(&c->parser));
		conn_reject(c, 400, msg);
	}
}

int ctl_server_adopt(struct ctl_server *s, int fd)
{
	struct ctl_conn *c;
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->accepted_ms = uv_now(s->loop);
	c->peer_uid = (uid_t)-1;
	uv_pipe_init(s->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	if (uv_pipe_open(&c->pipe, fd) < 0) {
		close(fd);
		conn_close(c);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		c->peer_uid = cred.uid;
	llhttp_init(&c->parser, HTTP_REQUEST, &s->settings);
	c->parser.data = c;
	if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0) {
		conn_close(c);
		return -1;
	}
	return 0;
}

static void on_connection(uv_poll_t *h, int status, int events);

static void on_pause_end(uv_timer_t *t)
{
	struct ctl_server *s = t->data;

	if (!s->stopping)
		uv_poll_start(&s->listener, UV_READABLE, on_connection);
}

static void on_connection(uv_poll_t *h, int status, int events)
{
	struct ctl_server *s = h->data;

	for (int i = 0; i < CTL_ACCEPT_BATCH && !s->stopping; i++) {
		bool full;
		int fd = fdlimit_accept(s->lfd, &full);

		if (fd != -1) {
			ctl_server_adopt(s, fd);
			continue;
		}
		if (errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (full) {
			log_warnx("control: accept: %s; new connections wait "
				  "%d ms",
				  strerror(errno), CTL_ACCEPT_PAUSE_MS);
			uv_poll_stop(&s->listener);
			uv_timer_start(&s->pause, on_pause_end,
				       CTL_ACCEPT_PAUSE_MS, 0);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_warn("control: accept");
		}
		return;
	}
}

/*
 * Decides what to do with an existing file at path: a socket nobody listens
 * on is removed; a live one or a non-socket is an error.
 */
static int clear_stale_socket(const char *path, struct berr *err)
{
	struct sockaddr_un sun;
	struct stat st;
	cleanup_close int fd = -1;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return berr_errno(err, errno, "stat `%s`", path);
	}
	if (!S_ISSOCK(st.st_mode))
		return berr_set(err, "`%s` exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return berr_errno(err, errno, "socket");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return berr_set(
		    err, "another berth daemon is listening on `%s`", path);
	if (errno != ECONNREFUSED)
		return berr_errno(err, errno, "probe `%s`", path);
	if (unlink(path) == -1 && errno != ENOENT)
		return berr_errno(err, errno, "remove stale socket `%s`", path);
	return 0;
}

/* A client that connects and never completes its request within
 * CTL_READ_TIMEOUT_MS gets 408 and is closed: it cannot hold a slot. */
static void on_sweep(uv_timer_t *t)
{
	struct ctl_server *s = t->data;
	uint64_t now = uv_now(s->loop);
	struct ctl_conn *c, *next;

	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->state == CONN_READING && !c->closing &&
		    now - c->accepted_ms > CTL_READ_TIMEOUT_MS)
			conn_reject(c, 408, "request not received in time");
	}
}

static void on_sweep_closed(uv_handle_t *h)
{
	struct ctl_server *s = h->data;

	s->sweep_closed = 1;
	server_maybe_free(s);
}

static void on_listener_closed(uv_handle_t *h)
{
	struct ctl_server *s = h->data;

	close(s->lfd);
	s->listener_closed = 1;
	server_maybe_free(s);
}

static void on_pause_closed(uv_handle_t *h)
{
	struct ctl_server *s = h->data;

	s->pause_closed = 1;
	server_maybe_free(s);
}

/* Bound (never with a mode wider than 0600) and listening. */
static int listen_unix(const char *path, struct berr *err)
{
	struct sockaddr_un sun;
	mode_t old_umask;
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return berr_errno(err, errno, "socket");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	old_umask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (rc == 0)
		rc = chmod(path, 0600);
	if (rc == 0)
		rc = listen(fd, 128);
	if (rc == -1) {
		int e = errno;

		close(fd);
		return berr_errno(err, e, "listen on `%s`", path);
	}
	return fd;
}

int ctl_server_start(uv_loop_t *loop, const char *sock_path, ctl_handler h,
		     void *data, struct ctl_server **out, struct berr *err)
{
	return ctl_server_start_fd(loop, sock_path, -1, h, data, out, err);
}

int ctl_server_fd(const struct ctl_server *s)
{
	return s ? s->lfd : -1;
}

int ctl_server_start_fd(uv_loop_t *loop, const char *sock_path, int fd,
			ctl_handler h, void *data, struct ctl_server **out,
			struct berr *err)
{
	struct ctl_server *s;

	if (strlen(sock_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return berr_set(err, "socket path `%s` is too long", sock_path);
	if (fd >= 0) {
		/* passed in by the daemon this one succeeds: already bound
		 * at sock_path and listening, with clients in its backlog */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	} else {
		if (clear_stale_socket(sock_path, err) == -1)
			return -1;
		fd = listen_unix(sock_path, err);
		if (fd == -1)
			return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->path = xstrdup(sock_path);
	s->handler = h;
	s->data = data;
	s->lfd = fd;
	llhttp_settings_init(&s->settings);
	s->settings.on_url = on_url;
	s->settings.on_header_field = on_header_data;
	s->settings.on_header_value = on_header_data;
	s->settings.on_headers_complete = on_headers_complete;
	s->settings.on_body = on_body;
	s->settings.on_message_complete = on_message_complete;
	if (uv_poll_init(loop, &s->listener, fd) != 0) {
		close(fd);
		unlink(sock_path);
		free(s->path);
		free(s);
		return berr_set(err, "listen on `%s`: cannot poll", sock_path);
	}
	s->listener.data = s;
	uv_poll_start(&s->listener, UV_READABLE, on_connection);
	uv_timer_init(loop, &s->pause);
	s->pause.data = s;
	uv_unref((uv_handle_t *)&s->pause);
	uv_timer_init(loop, &s->sweep);
	s->sweep.data = s;
	uv_timer_start(&s->sweep, on_sweep, 1000, 1000);
	uv_unref((uv_handle_t *)&s->sweep);
	*out = s;
	return 0;
}

void ctl_server_stop(struct ctl_server *s)
{
	struct ctl_conn *c, *next;

	if (s == NULL || s->stopping)
		return;
	s->stopping = 1;
	unlink(s->path);
	uv_close((uv_handle_t *)&s->sweep, on_sweep_closed);
	uv_close((uv_handle_t *)&s->pause, on_pause_closed);
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
	for (c = s->conns; c; c = next) {
		next = c->next;
		/* After stop nobody may reply: drop the handler's reference. */
		c->held = 0;
		if (c->handle_closed) {
			conn_free(c);
			continue;
		}
		/* A reply being flushed finishes; anything else closes now. */
		if (c->state != CONN_DONE)
			conn_close(c);
	}
}
