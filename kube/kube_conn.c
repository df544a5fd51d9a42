/*
 * kube_conn.c - TCP + TLS + HTTP/1.1 for the Kubernetes API. Ciphertext
 * moves between libuv and OpenSSL through two memory BIOs, so a slow or
 * hostile client never blocks the loop; plaintext is parsed with llhttp.
 * A connection serves one request at a time and stays open while the
 * client keeps it alive. Owns sockets, TLS sessions and HTTP framing;
 * must not know any route or berth object.
 */
#include "kube_conn.h"

#include <arpa/inet.h>
#include <llhttp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/log.h"
#include "../common/sdnotify.h"
#include "../common/strutil.h"
#include "../common/xalloc.h"

#define HANDSHAKE_TIMEOUT_MS 10000
#define IDLE_TIMEOUT_MS 120000
#define SWEEP_MS 2000
#define MAX_QUEUED_BYTES (8 * 1024 * 1024)

struct kube_conn {
	uv_tcp_t tcp;
	uv_shutdown_t shutdown_req;
	struct kube_listener *l;
	struct kube_conn *prev, *next;
	SSL *ssl;
	BIO *rbio, *wbio; /* ciphertext in, ciphertext out */
	llhttp_t parser;
	bool closing, handle_closed, finishing;
	bool handshaken;
	bool paused;  /* a whole request is parsed, not answered yet */
	bool replied; /* the current request has its answer */
	bool keep_alive;
	bool streaming; /* a chunked answer is being sent */
	void (*on_close)(void *arg);
	void *on_close_arg;
	bool head;
	bool authenticated, admin;
	char user[128];
	uint64_t last_ms;
	/* plaintext received, not parsed yet */
	char *in;
	size_t in_len, in_off;
	/* the request being parsed */
	char *url;
	size_t url_len;
	char *body;
	size_t body_len;
	char field[64];
	size_t field_len;
	/* the headers berth reads (hdr_names), "" when absent */
	char hdr[KUBE_HDR_N][1024];
	size_t hdr_len[KUBE_HDR_N];
	int in_hdr; /* the header whose value is being read, -1: none */
	/* after kube_upgrade(): plaintext goes to on_raw, not to llhttp */
	bool upgraded;
	kube_raw_cb on_raw;
	size_t header_bytes;
	bool too_large;
};

struct kube_listener {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	uv_timer_t sweep;
	SSL_CTX *ctx;
	kube_handler handler;
	void *data;
	llhttp_settings_t settings;
	struct kube_conn *conns;
	size_t n_conns;
	int handles_open;
	bool stopping;
};

/* Lower-case names of the headers kept, by enum kube_header. */
static const char *const hdr_names[KUBE_HDR_N] = {
    [KUBE_HDR_ACCEPT] = "accept",
    [KUBE_HDR_CONTENT_TYPE] = "content-type",
    [KUBE_HDR_UPGRADE] = "upgrade",
    [KUBE_HDR_WS_KEY] = "sec-websocket-key",
    [KUBE_HDR_WS_PROTOCOL] = "sec-websocket-protocol",
};

struct write_req {
	uv_write_t req;
	char *buf;
};

static void conn_close(struct kube_conn *c);
static void conn_process(struct kube_conn *c);

static const char *status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
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
	case 406:
		return "Not Acceptable";
	case 413:
		return "Request Entity Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	default:
		return status < 400 ? "OK" : "Error";
	}
}

/* --- memory ------------------------------------------------------------- */

static void listener_maybe_free(struct kube_listener *l)
{
	if (!l->stopping || l->handles_open > 0 || l->n_conns > 0)
		return;
	SSL_CTX_free(l->ctx);
	free(l);
}

static void request_reset(struct kube_conn *c)
{
	free(c->url);
	free(c->body);
	c->url = c->body = NULL;
	c->url_len = c->body_len = 0;
	c->field_len = 0;
	for (int i = 0; i < KUBE_HDR_N; i++) {
		c->hdr_len[i] = 0;
		c->hdr[i][0] = '\0';
	}
	c->in_hdr = -1;
	c->header_bytes = 0;
	c->too_large = false;
}

static void on_conn_closed(uv_handle_t *h)
{
	struct kube_conn *c = h->data;
	struct kube_listener *l = c->l;

	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->n_conns--;
	SSL_free(c->ssl); /* frees both BIOs */
	request_reset(c);
	free(c->in);
	free(c);
	listener_maybe_free(l);
}

static void conn_close(struct kube_conn *c)
{
	void (*cb)(void *arg) = c->on_close;

	if (c->closing)
		return;
	c->closing = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
	c->on_close = NULL;
	if (cb)
		cb(c->on_close_arg);
}

/* --- ciphertext out ------------------------------------------------------ */

static void on_write(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct kube_conn *c = req->data;

	free(w->buf);
	free(w);
	if (status < 0)
		conn_close(c);
}

/* Sends whatever OpenSSL has queued in the write BIO. */
static void flush_tls(struct kube_conn *c)
{
	int pending;

	while (!c->closing && (pending = BIO_pending(c->wbio)) > 0) {
		struct write_req *w = xmalloc(sizeof(*w));
		uv_buf_t b;
		int n;

		w->buf = xmalloc((size_t)pending);
		n = BIO_read(c->wbio, w->buf, pending);
		if (n <= 0) {
			free(w->buf);
			free(w);
			return;
		}
		w->req.data = c;
		b = uv_buf_init(w->buf, (unsigned int)n);
		if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) <
		    0) {
			free(w->buf);
			free(w);
			conn_close(c);
			return;
		}
	}
}

static void send_plain(struct kube_conn *c, const char *data, size_t len)
{
	while (len > 0 && !c->closing) {
		int n =
		    SSL_write(c->ssl, data, len > 1 << 30 ? 1 << 30 : (int)len);

		if (n <= 0) {
			ERR_clear_error();
			conn_close(c);
			return;
		}
		data += n;
		len -= (size_t)n;
	}
	flush_tls(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	conn_close(req->data);
}

/* close_notify, then close once everything queued is written. */
static void conn_finish(struct kube_conn *c)
{
	if (c->closing || c->finishing)
		return;
	c->finishing = true;
	if (c->handshaken)
		SSL_shutdown(c->ssl);
	ERR_clear_error();
	flush_tls(c);
	if (c->closing)
		return;
	c->shutdown_req.data = c;
	if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) <
	    0)
		conn_close(c);
}

/* --- replies ------------------------------------------------------------- */

void kube_reply(struct kube_conn *c, int status, const char *content_type,
		const char *body, size_t len)
{
	char *head;

	if (c == NULL || c->replied)
		return;
	c->replied = true;
	head = xasprintf("HTTP/1.1 %d %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "Cache-Control: no-cache, private\r\n"
			 "X-Content-Type-Options: nosniff\r\n"
			 "%s\r\n",
			 status, status_text(status), content_type, len,
			 c->keep_alive ? "" : "Connection: close\r\n");
	send_plain(c, head, strlen(head));
	free(head);
	if (!c->head && len > 0)
		send_plain(c, body, len);
	if (!c->keep_alive)
		conn_finish(c);
}

void kube_reply_json(struct kube_conn *c, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(body);
	if (text == NULL)
		text = xstrdup("{}");
	kube_reply(c, status, "application/json", text, strlen(text));
	free(text);
}

/* --- HTTP parsing -------------------------------------------------------- */

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct kube_conn *c = p->data;

	c->header_bytes += len;
	if (c->header_bytes > KUBE_MAX_HEADER_BYTES)
		return -1;
	c->url = xrealloc(c->url, c->url_len + len + 1);
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	c->url[c->url_len] = '\0';
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct kube_conn *c = p->data;

	c->header_bytes += len + 4;
	if (c->header_bytes > KUBE_MAX_HEADER_BYTES)
		return -1;
	if (c->field_len + len < sizeof(c->field)) {
		memcpy(c->field + c->field_len, at, len);
		c->field_len += len;
	} else {
		c->field_len =
		    sizeof(c->field); /* too long: no header we use */
	}
	return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
	struct kube_conn *c = p->data;

	c->in_hdr = -1;
	for (int i = 0; i < KUBE_HDR_N; i++)
		if (c->field_len == strlen(hdr_names[i]) &&
		    !strncasecmp(c->field, hdr_names[i], c->field_len))
			c->in_hdr = i;
	c->field_len = 0;
	/* A repeated header: the last Accept or Content-Type counts; the
	 * lists (Upgrade, Sec-WebSocket-Protocol) are joined with ", ". */
	if (c->in_hdr == KUBE_HDR_ACCEPT || c->in_hdr == KUBE_HDR_CONTENT_TYPE)
		c->hdr_len[c->in_hdr] = 0;
	else if (c->in_hdr >= 0 && c->hdr_len[c->in_hdr] > 0 &&
		 c->hdr_len[c->in_hdr] + 2 < sizeof(c->hdr[0])) {
		memcpy(c->hdr[c->in_hdr] + c->hdr_len[c->in_hdr], ", ", 3);
		c->hdr_len[c->in_hdr] += 2;
	}
	return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct kube_conn *c = p->data;

	c->header_bytes += len;
	if (c->header_bytes > KUBE_MAX_HEADER_BYTES)
		return -1;
	if (c->in_hdr >= 0 &&
	    c->hdr_len[c->in_hdr] + len < sizeof(c->hdr[c->in_hdr])) {
		char *h = c->hdr[c->in_hdr];
		memcpy(h + c->hdr_len[c->in_hdr], at, len);
		c->hdr_len[c->in_hdr] += len;
		h[c->hdr_len[c->in_hdr]] = '\0';
	}
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct kube_conn *c = p->data;

	if ((p->flags & F_CONTENT_LENGTH) &&
	    p->content_length > KUBE_MAX_BODY_BYTES) {
		c->too_large = true;
		return -1;
	}
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct kube_conn *c = p->data;

	if (c->body_len + len > KUBE_MAX_BODY_BYTES) {
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

static void reject(struct kube_conn *c, int status, const char *reason,
		   const char *msg)
{
	c->keep_alive = false;
	c->replied = false;
	kube_reply_json(c, status,
			json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}",
				  "kind", "Status", "apiVersion", "v1",
				  "metadata", "status", "Failure", "message",
				  msg, "reason", reason, "code", status));
}

void kube_stream_begin(struct kube_conn *c, const char *content_type,
		       void (*on_close)(void *arg), void *arg)
{
	char *head;

	if (c == NULL || c->replied)
		return;
	c->replied = true;
	c->streaming = true;
	c->keep_alive = false;
	c->on_close = on_close;
	c->on_close_arg = arg;
	head = xasprintf("HTTP/1.1 200 OK\r\n"
			 "Content-Type: %s\r\n"
			 "Transfer-Encoding: chunked\r\n"
			 "Cache-Control: no-cache, private\r\n"
			 "Connection: close\r\n\r\n",
			 content_type);
	send_plain(c, head, strlen(head));
	free(head);
}

/* A client that stopped reading a stream is cut, never waited for. */
static bool stream_stalled(struct kube_conn *c)
{
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) <=
	    MAX_QUEUED_BYTES)
		return false;
	log_warnx("kubernetes API: dropping a stream whose client stopped "
		  "reading");
	conn_close(c);
	return true;
}

int kube_stream_write(struct kube_conn *c, const char *data, size_t len)
{
	char head[32];

	if (c == NULL || !c->streaming || c->closing || c->finishing)
		return -1;
	if (len == 0 || c->head)
		return 0;
	if (stream_stalled(c))
		return -1;
	snprintf(head, sizeof(head), "%zx\r\n", len);
	send_plain(c, head, strlen(head));
	send_plain(c, data, len);
	send_plain(c, "\r\n", 2);
	return c->closing ? -1 : 0;
}

void kube_stream_end(struct kube_conn *c)
{
	if (c == NULL || !c->streaming)
		return;
	c->on_close = NULL; /* the handler lets go of c now */
	if (!c->closing && !c->head)
		send_plain(c, "0\r\n\r\n", 5);
	conn_finish(c);
}

void kube_upgrade(struct kube_conn *c, const char *headers, kube_raw_cb on_data,
		  void (*on_close)(void *arg), void *arg)
{
	char *head;

	if (c == NULL || c->replied)
		return;
	c->replied = true;
	c->streaming = true; /* the sweep leaves it alone; no keep-alive */
	c->upgraded = true;
	c->keep_alive = false;
	c->on_raw = on_data;
	c->on_close = on_close;
	c->on_close_arg = arg;
	head = xasprintf("HTTP/1.1 101 Switching Protocols\r\n%s\r\n", headers);
	send_plain(c, head, strlen(head));
	free(head);
}

int kube_raw_write(struct kube_conn *c, const void *data, size_t len)
{
	if (c == NULL || !c->upgraded || c->closing || c->finishing)
		return -1;
	if (stream_stalled(c))
		return -1;
	send_plain(c, data, len);
	return c->closing ? -1 : 0;
}

size_t kube_raw_queued(struct kube_conn *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
}

void kube_raw_end(struct kube_conn *c)
{
	if (c == NULL || !c->upgraded)
		return;
	c->on_close = NULL; /* the owner lets go of c now */
	c->on_raw = NULL;
	conn_finish(c);
}

static void dispatch(struct kube_conn *c)
{
	struct kube_listener *l = c->l;
	struct kube_request req;
	const char *method = llhttp_method_name(llhttp_get_method(&c->parser));
	char *q;

	if (c->url == NULL)
		c->url = xstrdup("/");
	q = strchr(c->url, '?');
	if (q)
		*q++ = '\0';
	c->head = !strcmp(method, "HEAD");
	c->keep_alive = llhttp_should_keep_alive(&c->parser) && !l->stopping;
	c->replied = false;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = c->url;
	req.query = q ? q : "";
	req.accept = c->hdr[KUBE_HDR_ACCEPT];
	req.content_type = c->hdr[KUBE_HDR_CONTENT_TYPE];
	req.upgrade = c->hdr[KUBE_HDR_UPGRADE];
	req.ws_key = c->hdr[KUBE_HDR_WS_KEY];
	req.ws_protocol = c->hdr[KUBE_HDR_WS_PROTOCOL];
	req.body = c->body ? c->body : "";
	req.body_len = c->body_len;
	req.authenticated = c->authenticated;
	req.admin = c->admin;
	req.user = c->user;
	l->handler(l->data, c, &req);
	if (!c->replied) {
		log_warnx("kubernetes API: %s %s got no answer", method,
			  c->url);
		reject(c, 500, "InternalError", "no answer");
	}
}

/* After an upgrade: everything buffered goes to the stream's owner. */
static void deliver_raw(struct kube_conn *c)
{
	while (!c->closing && c->on_raw && c->in_off < c->in_len) {
		size_t n = c->in_len - c->in_off;
		const char *p = c->in + c->in_off;
		c->in_off = c->in_len;
		c->on_raw(c->on_close_arg, p, n);
	}
	if (!c->closing && c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
}

/* Parses buffered plaintext while requests are complete and answered. */
static void conn_process(struct kube_conn *c)
{
	if (c->upgraded) {
		deliver_raw(c);
		return;
	}
	while (!c->closing && !c->finishing && !c->streaming &&
	       c->in_off < c->in_len) {
		const char *start = c->in + c->in_off;
		size_t n = c->in_len - c->in_off;
		llhttp_errno_t rc = llhttp_execute(&c->parser, start, n);

		if (rc == HPE_OK) {
			c->in_off = c->in_len;
			break;
		}
		if (rc == HPE_PAUSED) {
			const char *pos = llhttp_get_error_pos(&c->parser);

			c->in_off += pos ? (size_t)(pos - start) : n;
			dispatch(c);
			request_reset(c);
			if (c->upgraded) {
				deliver_raw(c);
				return;
			}
			llhttp_resume(&c->parser);
			continue;
		}
		if (c->too_large)
			reject(c, 413, "RequestEntityTooLarge",
			       "request entity too large");
		else if (c->header_bytes > KUBE_MAX_HEADER_BYTES)
			reject(c, 431, "BadRequest",
			       "request headers too large");
		else
			reject(c, 400, "BadRequest",
			       llhttp_get_error_reason(&c->parser));
		return;
	}
	if (c->in_off == c->in_len) {
		c->in_off = c->in_len = 0;
	}
}

/* --- TLS ----------------------------------------------------------------- */

/* Who the verified client certificate says the peer is. */
static void conn_identify(struct kube_conn *c)
{
	X509 *peer = SSL_get1_peer_certificate(c->ssl);
	X509_NAME *subj;
	int i = -1;

	if (peer == NULL)
		return;
	if (SSL_get_verify_result(c->ssl) == X509_V_OK) {
		c->authenticated = true;
		subj = X509_get_subject_name(peer);
		X509_NAME_get_text_by_NID(subj, NID_commonName, c->user,
					  sizeof(c->user));
		while ((i = X509_NAME_get_index_by_NID(
			    subj, NID_organizationName, i)) >= 0) {
			ASN1_STRING *s = X509_NAME_ENTRY_get_data(
			    X509_NAME_get_entry(subj, i));

			if (ASN1_STRING_length(s) == 14 &&
			    !memcmp(ASN1_STRING_get0_data(s), "system:masters",
				    14))
				c->admin = true;
		}
	}
	X509_free(peer);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = xmalloc(suggested);
	buf->len = suggested;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct kube_conn *c = stream->data;
	char plain[16384];
	int n;

	if (nread < 0) {
		free(buf->base);
		conn_close(c);
		return;
	}
	if (nread == 0 || c->finishing) {
		free(buf->base);
		return;
	}
	c->last_ms = uv_now(c->l->loop);
	BIO_write(c->rbio, buf->base, (int)nread);
	free(buf->base);
	if (!c->handshaken) {
		n = SSL_do_handshake(c->ssl);
		flush_tls(c);
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);

			if (e != SSL_ERROR_WANT_READ) {
				char why[256] = "";

				ERR_error_string_n(ERR_peek_error(), why,
						   sizeof(why));
				log_debug("kubernetes API: TLS handshake "
					  "failed: %s",
					  why);
				ERR_clear_error();
				conn_close(c);
			}
			return;
		}
		c->handshaken = true;
		conn_identify(c);
	}
	while ((n = SSL_read(c->ssl, plain, sizeof(plain))) > 0) {
		if (c->in_len + (size_t)n >
		    KUBE_MAX_HEADER_BYTES + KUBE_MAX_BODY_BYTES + 65536) {
			conn_close(c); /* pipelining far ahead of us */
			return;
		}
		c->in = xrealloc(c->in, c->in_len + (size_t)n);
		memcpy(c->in + c->in_len, plain, (size_t)n);
		c->in_len += (size_t)n;
	}
	{
		int e = SSL_get_error(c->ssl, n);

		ERR_clear_error();
		if (e == SSL_ERROR_ZERO_RETURN) {
			conn_process(c);
			conn_finish(c);
			return;
		}
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			conn_close(c);
			return;
		}
	}
	flush_tls(c); /* session tickets, key updates */
	conn_process(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct kube_listener *l = server->data;
	struct kube_conn *c;

	if (status < 0) {
		log_warnx("kubernetes API: accept: %s", uv_strerror(status));
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->l = l;
	c->in_hdr = -1;
	c->last_ms = uv_now(l->loop);
	uv_tcp_init(l->loop, &c->tcp);
	c->tcp.data = c;
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->n_conns++;
	c->ssl = SSL_new(l->ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_accept_state(c->ssl);
	llhttp_init(&c->parser, HTTP_REQUEST, &l->settings);
	c->parser.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    l->n_conns > KUBE_MAX_CONNS) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		conn_close(c);
}

/* Handshakes that never finish and idle keep-alive connections end. */
static void on_sweep(uv_timer_t *t)
{
	struct kube_listener *l = t->data;
	uint64_t now = uv_now(l->loop);

	for (struct kube_conn *c = l->conns, *next; c; c = next) {
		next = c->next;
		if (c->closing)
			continue;
		if (!c->handshaken && now - c->last_ms > HANDSHAKE_TIMEOUT_MS)
			conn_close(c);
		else if (!c->streaming && now - c->last_ms > IDLE_TIMEOUT_MS)
			conn_finish(c);
	}
}

static void on_handle_closed(uv_handle_t *h)
{
	struct kube_listener *l = h->data;

	l->handles_open--;
	listener_maybe_free(l);
}

SSL_CTX *kube_tls_ctx(const char *cert_file, const char *key_file,
		      const char *ca_file, struct berr *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	STACK_OF(X509_NAME) * cas;
	char why[256] = "";

	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)
		goto fail;
	cas = SSL_load_client_CA_file(ca_file);
	if (cas == NULL)
		goto fail;
	SSL_CTX_set_client_CA_list(ctx, cas);
	/* A certificate is asked for, not required: a request without one
	 * reaches HTTP and gets 401; a certificate that fails verification
	 * ends the handshake. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
fail:
	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	ERR_clear_error();
	SSL_CTX_free(ctx);
	berr_set(err, "TLS set-up with `%s`: %s", cert_file, why);
	return NULL;
}

int kube_listener_fd(const struct kube_listener *l)
{
	uv_os_fd_t fd = -1;

	if (l == NULL || uv_fileno((const uv_handle_t *)&l->tcp, &fd) != 0)
		return -1;
	return fd;
}

int kube_listen(uv_loop_t *loop, const char *addr, SSL_CTX *ctx, kube_handler h,
		void *data, struct kube_listener **out, struct berr *err)
{
	struct sockaddr_storage ss;
	char host[64];
	int port, rc;
	const char *why = "";
	struct kube_listener *l;

	if (str_split_hostport(addr, host, sizeof(host), &port, &why) == -1)
		return berr_set(err, "kubernetesAPI %s: %s", addr, why);
	if (strchr(host, ':'))
		rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
	if (rc < 0)
		return berr_set(err, "kubernetesAPI %s: %s", addr,
				uv_strerror(rc));
	l = xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->handler = h;
	l->data = data;
	l->ctx = ctx;
	SSL_CTX_up_ref(ctx);
	llhttp_settings_init(&l->settings);
	l->settings.on_url = on_url;
	l->settings.on_header_field = on_header_field;
	l->settings.on_header_field_complete = on_header_field_complete;
	l->settings.on_header_value = on_header_value;
	l->settings.on_headers_complete = on_headers_complete;
	l->settings.on_body = on_body;
	l->settings.on_message_complete = on_message_complete;
	uv_tcp_init(loop, &l->tcp);
	l->tcp.data = l;
	l->handles_open = 1;
	/* A listening socket handed over by the previous daemon (upgrade)
	 * keeps its waiting clients; otherwise bind one. */
	int fd = sdnotify_listen_take("berth-kube");

	rc = fd >= 0 ? uv_tcp_open(&l->tcp, fd)
		     : uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss,
				   strchr(host, ':') ? UV_TCP_IPV6ONLY : 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, 128, on_connection);
	if (rc < 0) {
		berr_set(err, "kubernetesAPI %s: %s", addr, uv_strerror(rc));
		l->stopping = true;
		uv_close((uv_handle_t *)&l->tcp, on_handle_closed);
		return -1;
	}
	uv_timer_init(loop, &l->sweep);
	l->sweep.data = l;
	l->handles_open++;
	uv_timer_start(&l->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
	uv_unref((uv_handle_t *)&l->sweep);
	*out = l;
	return 0;
}

void kube_listener_stop(struct kube_listener *l)
{
	if (l == NULL || l->stopping)
		return;
	l->stopping = true;
	uv_close((uv_handle_t *)&l->sweep, on_handle_closed);
	uv_close((uv_handle_t *)&l->tcp, on_handle_closed);
	for (struct kube_conn *c = l->conns; c; c = c->next)
		conn_close(c);
}
