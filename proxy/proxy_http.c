/*
 * proxy_http.c - http mode: per-request balancing over keep-alive client
 * connections, pooled keep-alive backend connections, one retry on
 * another endpoint for an idempotent request whose backend failed before
 * any response byte, streamed bodies, Upgrade tunnels, 400/502/503/504
 * answers that never leave a client hanging, and the lingering close that
 * lets a client still uploading read the answer. Owns client connection
 * objects; framing is http_msg.c's, backend sockets upstream.c's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "http_msg.h"
#include "internal.h"
#include "wbatch.h"

#define HTTP_HIGH_WATER (1024 * 1024)
#define HTTP_RETRY_MAX (64 * 1024) /* requests larger are not retried */
/* Client bytes read ahead of the request being served (pipelining).
 * Reading goes on while a request is served, up to this much, so a
 * keep-alive client costs no epoll change per request. */
#define HTTP_AHEAD_MAX (64 * 1024)
/* Bounds on draining a client after the answer (see linger_start): the
 * kernel buffers on both sides can hold a few MiB of a body already on
 * its way, so the byte bound sits above that. */
#define HTTP_LINGER_MS 2000
#define HTTP_LINGER_MAX ((size_t)8 << 20)
/* A request body must bring this much per timeout.httpRequest, or 408. */
#define HTTP_BODY_MIN_PROGRESS 1024
/* A request buffer grown past this is given back between requests. */
#define HTTP_KEEP_BUF 4096

enum hphase { PH_CLIENT, PH_RESPONSE, PH_BODY };

struct hconn {
	struct proxy_conn_link link;
	struct proxy_service *svc;
	uv_tcp_t client;
	uv_timer_t timer;
	enum hphase phase;
	int handles;
	bool closing;
	bool shutting; /* answered and closing politely */
	bool client_reading;
	bool client_eof; /* the client half-closed after a request */
	bool up_reading;
	bool dispatched; /* this request has a backend (or answer) */
	bool retry_ok;	 /* retry holds every byte sent so far */
	bool close_after;
	bool drain_close; /* the proxy drains: say Connection: close */
	bool head_marked; /* this response's head said it */
	bool tunnel;
	int tries;
	int retries_left;
	int up_writes;	     /* backend writes whose callback has not run */
	size_t linger_left;  /* client bytes still to drop while lingering */
	uint64_t resp_bytes; /* response bytes sent to the client */
	int64_t req_start;
	uint64_t deadline; /* loop time the current phase times out at */
	/* timeout.httpRequest: the head must be whole by head_deadline (0:
	 * not started), and the body must reach body_mark bytes by
	 * body_deadline. */
	uint64_t head_deadline, body_deadline;
	uint64_t body_mark;
	bool got_bytes; /* some byte of the current request arrived */
	struct proxy_hreq req;
	struct proxy_hresp resp;
	struct proxy_buf in;	/* client bytes after the current request */
	struct proxy_buf retry; /* request bytes sent to the current backend */
	struct proxy_upstream *up;
	struct proxy_backend *be; /* backend whose active count we raised */
	/* revision the answer counts for: the pod being tried's; NULL once
	 * its attempt failed (attempt_failed); berth's own answers count
	 * for no revision */
	struct proxy_rev_stats *rev;
	int grp;	/* routing group of the request; -2 unset */
	int set_cookie; /* the answer sets the stickiness cookie to this
			   group; -1 not */
	struct proxy_pipe pipe;
	uv_shutdown_t sreq;
};

static void process(struct hconn *c, const char *data, size_t len);
static void dispatch(struct hconn *c, struct proxy_backend *avoid);
static void start_client_read(struct hconn *c);
static void up_resume(struct hconn *c);
static int write_with_cookie(struct hconn *c, const char *p, size_t n);

static void maybe_free(struct hconn *c)
{
	if (--c->handles > 0)
		return;
	proxy_hreq_free(&c->req);
	proxy_buf_free(&c->in);
	proxy_buf_free(&c->retry);
	proxy_service_release(c->svc);
	free(c);
}

/* Handles are found by address: a tunnel reuses their data field. */
static void client_closed(uv_handle_t *h)
{
	maybe_free(proxy_container_of(h, struct hconn, client));
}

static void timer_closed(uv_handle_t *h)
{
	maybe_free(proxy_container_of(h, struct hconn, timer));
}

/* A closed backend socket held c alive: its write callbacks carry c, and
 * a tunnel's pipe lives inside c; all of them run before this. */
static void up_closed(struct proxy_upstream *u)
{
	maybe_free(u->owner);
}

/* Only a connection with no write callback pending goes to the pool;
 * any other is closed, and c lives until it is. */
static void detach_up(struct hconn *c, bool pool)
{
	struct proxy_upstream *u = c->up;

	if (u == NULL)
		return;
	c->up = NULL;
	c->up_reading = false;
	u->on_read = NULL;
	u->rbuf = NULL;
	if (pool && c->up_writes == 0 && !u->closing &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&u->tcp) == 0) {
		u->owner = NULL;
		u->on_closed = NULL;
		proxy_upstream_park(u);
		return;
	}
	if (u->on_closed == NULL) {
		u->owner = c;
		u->on_closed = up_closed;
		c->handles++;
	}
	proxy_upstream_close(u);
}

static void uncount(struct hconn *c)
{
	if (c->be)
		proxy_backend_busy(c->be, -1);
	c->be = NULL;
}

static void conn_close(struct hconn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	proxy_unlink(&c->link);
	uncount(c);
	proxy_conn_closed(c->svc);
	detach_up(c, false);
	proxy_wbatch_flush(); /* the descriptor goes with the close */
	uv_close((uv_handle_t *)&c->timer, timer_closed);
	uv_close((uv_handle_t *)&c->client, client_closed);
}

static void conn_abort(struct proxy_conn_link *l)
{
	conn_close(proxy_container_of(l, struct hconn, link));
}

static void arm(struct hconn *c, enum hphase ph);

/* A successor daemon serves new connections: this one ends after its
 * current response (which says Connection: close), or, with no request
 * under way, after PROXY_DRAIN_IDLE_MS without one. A tunnel runs on. */
static void conn_drain(struct proxy_conn_link *l)
{
	struct hconn *c = proxy_container_of(l, struct hconn, link);

	if (c->closing || c->shutting || c->tunnel)
		return;
	c->close_after = true;
	c->drain_close = true;
	if (c->phase == PH_CLIENT && !c->got_bytes && !c->dispatched)
		arm(c, PH_CLIENT);
}

static void on_timer(uv_timer_t *t);

/* The deadline of the request being received, 0 when none applies. */
static uint64_t request_deadline(const struct hconn *c)
{
	if (c->shutting || c->tunnel || c->req.complete)
		return 0;
	if (!c->req.head_done)
		return c->head_deadline;
	return c->client_reading ? c->body_deadline : 0;
}

static void arm(struct hconn *c, enum hphase ph)
{
	const struct proxy_svc_conf *cf = &c->svc->conf;
	uint64_t now = uv_now(&c->svc->px->loop), rd;
	int ms = ph == PH_CLIENT     ? cf->timeout_client_ms
		 : ph == PH_RESPONSE ? cf->timeout_response_ms
				     : cf->timeout_server_ms;

	/* Draining, a connection with no request under way waits a moment
	 * for one, not the whole client timeout. */
	if (c->drain_close && ph == PH_CLIENT && !c->got_bytes &&
	    ms > PROXY_DRAIN_IDLE_MS)
		ms = PROXY_DRAIN_IDLE_MS;
	c->phase = ph;
	c->deadline = now + (uint64_t)ms;
	rd = ph == PH_CLIENT ? request_deadline(c) : 0;
	if (rd && rd < c->deadline) {
		c->deadline = rd;
		ms = rd > now ? (int)(rd - now) : 0;
	}
	/* Re-arming on every read costs two timer-heap operations: a timer
	 * that fires no later than the new deadline is kept, and on_timer
	 * waits out the rest. */
	if (uv_is_active((uv_handle_t *)&c->timer) &&
	    uv_timer_get_due_in(&c->timer) <= (uint64_t)ms)
		return;
	uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
}

static void client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);

static void linger_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct hconn *c = s->data;

	if (n == 0 || c->closing)
		return;
	if (n < 0 || (size_t)n >= c->linger_left) {
		conn_close(c);
		return;
	}
	c->linger_left -= (size_t)n;
}

/* Closing a socket with unread input makes the kernel send a reset, and
 * a client still uploading (an early 413, or berth's own 400/502/503/504
 * before the body was read) may then lose the answer it has not read
 * yet. So, once the answer is written and the write side shut, the
 * client's input is read and dropped until its EOF, or for at most
 * HTTP_LINGER_MS (the client timeout if shorter) and HTTP_LINGER_MAX
 * bytes, before closing. */
static void linger_start(struct hconn *c)
{
	int ms = c->svc->conf.timeout_client_ms;

	if (ms > HTTP_LINGER_MS)
		ms = HTTP_LINGER_MS;
	c->linger_left = HTTP_LINGER_MAX;
	c->phase = PH_CLIENT;
	c->deadline = uv_now(&c->svc->px->loop) + (uint64_t)ms;
	uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
	c->client_reading = true;
	if (uv_read_start((uv_stream_t *)&c->client, client_alloc,
			  linger_read) != 0)
		conn_close(c);
}

static void shut_done(uv_shutdown_t *req, int status)
{
	struct hconn *c = req->data;

	if (status != 0 || c->closing) {
		conn_close(c);
		return;
	}
	linger_start(c);
}

/* Ends the connection after what was written reaches the client, then
 * lingers; a client that stops reading is cut off at the client
 * timeout. */
static void close_politely(struct hconn *c)
{
	if (c->closing || c->shutting)
		return;
	c->shutting = true;
	uv_read_stop((uv_stream_t *)&c->client);
	c->client_reading = false;
	arm(c, PH_CLIENT);
	detach_up(c, false);
	uncount(c);
	c->sreq.data = c;
	proxy_wbatch_flush(); /* the answer goes before the FIN */
	if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->client, shut_done) != 0)
		conn_close(c);
}

static void record(struct hconn *c, int code)
{
	int64_t ms = proxy_now_ms() - c->req_start;

	proxy_metrics_request(c->svc, code, ms);
	proxy_rev_request(c->rev, code, ms);
	c->rev = NULL;
}

/* An attempt on b failed (connect, reset, timeout, or EOF before any
 * response byte): the pod's failure, its revision's connection error.
 * That is the attempt's one count: whatever answers the client next (a
 * retry elsewhere, or berth's own 502/504) is no answer of this
 * revision, so a failure is never also counted as a 5xx. */
static void attempt_failed(struct hconn *c, struct proxy_backend *b)
{
	b->failures++;
	proxy_rev_conn_error(b->rev);
	c->rev = NULL;
}

/* A short text answer of berth's own, then close. It counts for the
 * service, never for a revision: no pod answered. */
static void answer(struct hconn *c, int code, const char *reason,
		   const char *body)
{
	char head[512];
	int n;

	if (c->resp_bytes > 0 || c->closing || c->shutting) {
		conn_close(c);
		return;
	}
	c->rev = NULL;
	record(c, code);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     code, reason, strlen(body), body);
	c->resp_bytes += (uint64_t)n;
	if (proxy_write_copy((uv_stream_t *)&c->client, head, (size_t)n, NULL,
			     NULL) < 0) {
		conn_close(c);
		return;
	}
	close_politely(c);
}

static void on_timer(uv_timer_t *t)
{
	struct hconn *c = t->data;
	uint64_t now = uv_now(t->loop);

	if (now < c->deadline) {
		uv_timer_start(t, on_timer, c->deadline - now, 0);
		return;
	}
	if (c->phase == PH_RESPONSE && c->resp_bytes == 0) {
		if (c->be)
			attempt_failed(c, c->be);
		answer(c, 504, "Gateway Timeout",
		       "berth: the backend did not answer in time\n");
		return;
	}
	/* A head or body that came too slowly (slowloris): 408, unless
	 * nothing of a request came at all (a connection opened ahead of
	 * need, or kept alive): that one just closes. */
	if (c->phase == PH_CLIENT && !c->shutting && request_deadline(c) &&
	    now >= request_deadline(c) && c->got_bytes) {
		if (c->req.head_done)
			log_debug("proxy: service %s: a request body too slow",
				  c->svc->conf.name);
		answer(c, 408, "Request Timeout",
		       "berth: the request did not arrive in time\n");
		return;
	}
	conn_close(c);
}

static void up_written(uv_write_t *req, int status)
{
	struct hconn *c = req->data;

	c->up_writes--;
	if (status == UV_ECANCELED || c->closing)
		return;
	if (!c->client_reading && !c->req.complete && !c->shutting && c->up &&
	    c->up->connected &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->up->tcp) <
		HTTP_HIGH_WATER / 2)
		start_client_read(c);
}

/* Sends what the parser produced to the backend, keeping a copy while
 * the request is small enough to be retried. */
static void flush_up(struct hconn *c)
{
	struct proxy_buf *o = &c->req.out;
	int rc;

	if (c->up == NULL || !c->up->connected || o->len == 0)
		return;
	if (c->retry_ok) {
		if (c->retry.len + o->len > HTTP_RETRY_MAX) {
			c->retry_ok = false;
			proxy_buf_free(&c->retry);
		} else {
			proxy_buf_append(&c->retry, o->p, o->len);
		}
	}
	rc = proxy_write_copy((uv_stream_t *)&c->up->tcp, o->p, o->len,
			      up_written, c);
	o->len = 0;
	if (rc < 0)
		return; /* the read side reports the failure */
	if (rc == 0)
		c->up_writes++;
	if (c->req.complete && c->phase == PH_CLIENT)
		arm(c, PH_RESPONSE);
}

static void finish_request(struct hconn *c, bool backend_reusable)
{
	struct proxy_buf pending;

	record(c, c->resp.status);
	uncount(c);
	detach_up(c, backend_reusable && c->req.complete);
	if (!c->req.keep_alive || c->close_after || !c->req.complete ||
	    (c->client_eof && c->in.len == 0)) {
		close_politely(c);
		return;
	}
	proxy_hreq_next(&c->req);
	c->dispatched = false;
	c->resp_bytes = 0;
	c->retry.len = 0;
	if (c->retry.cap > HTTP_KEEP_BUF)
		proxy_buf_free(&c->retry);
	c->head_deadline = 0;
	c->got_bytes = false;
	arm(c, PH_CLIENT);
	pending = c->in;
	memset(&c->in, 0, sizeof(c->in));
	if (pending.len)
		process(c, pending.p, pending.len);
	proxy_buf_free(&pending);
	if (c->closing || c->shutting || c->req.complete)
		return;
	if (c->client_eof)
		close_politely(c); /* a partial request, and no more input */
	else if (!c->client_reading)
		start_client_read(c);
}

static void client_written(uv_write_t *req, int status)
{
	struct hconn *c = req->data;

	if (status == UV_ECANCELED || c->closing)
		return;
	if (status != 0) {
		conn_close(c);
		return;
	}
	if (c->shutting) {
		arm(c, PH_CLIENT); /* the client still reads: give it time */
		return;
	}
	if (c->up && !c->up_reading && !c->tunnel &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->client) <
		HTTP_HIGH_WATER / 2) {
		up_resume(c);
	}
}

static void pipe_done(struct proxy_pipe *p, int status)
{
	conn_close(proxy_container_of(p, struct hconn, pipe));
}

static void start_tunnel(struct hconn *c, const char *rest, size_t n)
{
	uv_timer_stop(&c->timer);
	record(c, 101);
	c->tunnel = true;
	/* The pipe installs its own read callbacks: libuv refuses a second
	 * uv_read_start on a stream that is reading (UV_EALREADY). */
	uv_read_stop((uv_stream_t *)&c->client);
	proxy_upstream_read(c->up, false);
	c->up->on_read = NULL;
	c->client_reading = false;
	c->up_reading = false;
	if (n > 0)
		proxy_write_copy((uv_stream_t *)&c->client, rest, n, NULL,
				 NULL);
	proxy_pipe_start(&c->pipe, (uv_stream_t *)&c->client,
			 (uv_stream_t *)&c->up->tcp, c->in.p, c->in.len,
			 pipe_done);
	c->in.len = 0;
}

/* The backend failed before answering anything: retry or 502. */
static void backend_failed(struct hconn *c)
{
	struct proxy_backend *failed = c->up ? c->up->be : NULL;
	bool reused = c->up && c->up->reused;

	if (failed)
		attempt_failed(c, failed);
	detach_up(c, false);
	uncount(c);
	if (c->resp_bytes == 0 && c->req.idempotent && c->retry_ok &&
	    (c->retries_left > 0 || reused)) {
		struct proxy_buf all = {0};

		/* A stale pooled connection is no fault of the backend. */
		if (!reused)
			c->retries_left--;
		c->svc->m.retries++;
		proxy_buf_append(&all, c->retry.p, c->retry.len);
		proxy_buf_append(&all, c->req.out.p, c->req.out.len);
		proxy_buf_free(&c->req.out);
		c->req.out = all;
		c->retry.len = 0;
		c->phase = PH_CLIENT;
		dispatch(c, reused ? NULL : failed);
		return;
	}
	answer(c, 502, "Bad Gateway", "berth: the backend failed\n");
}

/* The response bytes as the backend wrote them, except while draining:
 * the head then gets `Connection: close` (before its empty line), so a
 * keep-alive client knows the end of the connection is no error. A head
 * whose empty line straddles two reads goes out unmarked (the connection
 * still ends after the response). */
static void client_written(uv_write_t *req, int status);

static int write_response(struct hconn *c, const char *p, size_t n)
{
	static const char hdr[] = "Connection: close\r\n";
	uv_stream_t *cl = (uv_stream_t *)&c->client;
	const char *end;

	if (!c->drain_close || c->head_marked || !c->resp.head_done ||
	    c->resp.status < 200 || c->req.expect_continue)
		return proxy_write_copy(cl, p, n, client_written, c);
	c->head_marked = true;
	end = memmem(p, n, "\r\n\r\n", 4);
	if (end == NULL)
		return proxy_write_copy(cl, p, n, client_written, c);
	size_t k = (size_t)(end - p) + 2;

	if (proxy_write_copy(cl, p, k, NULL, NULL) < 0 ||
	    proxy_write_copy(cl, hdr, sizeof(hdr) - 1, NULL, NULL) < 0)
		return -1;
	c->resp_bytes += sizeof(hdr) - 1;
	return proxy_write_copy(cl, p + k, n - k, client_written, c);
}

static void up_read(struct proxy_upstream *u, ssize_t n, const uv_buf_t *buf)
{
	struct hconn *c = u->owner;
	size_t used = 0;

	if (c->closing || c->shutting)
		return;
	if (n < 0) {
		if (c->resp_bytes == 0) {
			backend_failed(c);
		} else if (n == UV_EOF && proxy_hresp_eof(&c->resp) == 0) {
			c->close_after = true;
			finish_request(c, false);
		} else {
			conn_close(c);
		}
		return;
	}
	if (proxy_hresp_feed(&c->resp, buf->base, (size_t)n, &used) == -1) {
		if (c->resp_bytes == 0) {
			/* the pod did answer, badly: its revision's 502 */
			proxy_rev_request(c->rev, 502,
					  proxy_now_ms() - c->req_start);
			answer(c, 502, "Bad Gateway",
			       "berth: the backend sent an invalid response\n");
			return;
		}
		conn_close(c);
		return;
	}
	/* Counted out before the client can read the end of the answer: a
	 * client's next request, on any proxy thread, finds the pod free
	 * (least-conn). */
	if (c->resp.complete && !(c->resp.upgrade && c->req.upgrade))
		uncount(c);
	if (used > 0) {
		bool cookie = c->resp_bytes == 0 && c->set_cookie >= 0;

		if (c->phase == PH_RESPONSE)
			arm(c, PH_BODY);
		else if (c->phase == PH_BODY)
			arm(c, PH_BODY);
		c->resp_bytes += used;
		/* The stickiness cookie goes into a head's first bytes; a
		 * drain's Connection: close into its end (with both, only the
		 * cookie: the connection still ends after the answer). */
		if ((cookie ? write_with_cookie(c, buf->base, used)
			    : write_response(c, buf->base, used)) < 0) {
			conn_close(c);
			return;
		}
	}
	if (!c->resp.complete) {
		if (uv_stream_get_write_queue_size((uv_stream_t *)&c->client) >=
		    HTTP_HIGH_WATER) {
			proxy_upstream_read(u, false);
			c->up_reading = false;
		}
		return;
	}
	if (c->resp.upgrade && c->req.upgrade) {
		start_tunnel(c, buf->base + used, (size_t)n - used);
		return;
	}
	if (c->resp.upgrade) {
		conn_close(c);
		return;
	}
	/* A declined upgrade leaves the request parser at the upgrade: what
	 * follows on this connection cannot be read as requests. */
	if (c->req.upgrade)
		c->close_after = true;
	/* The response head goes to the client as the backend wrote it: a
	 * response that says the connection ends (Connection: close, or
	 * HTTP/1.0 without keep-alive) must be followed by the end, or the
	 * client waits for an EOF that comes only at the idle timeout. */
	if (!c->resp.keep_alive)
		c->close_after = true;
	finish_request(c, c->resp.keep_alive && used == (size_t)n);
}

static void up_resume(struct hconn *c)
{
	c->up_reading = true;
	if (proxy_upstream_read(c->up, true) != 0)
		conn_close(c);
}

static void attach(struct hconn *c, struct proxy_upstream *u)
{
	c->up = u;
	u->owner = c;
	u->on_read = up_read;
	u->rbuf = c->svc->px->rbuf;
	u->rbuf_len = PROXY_READ_SIZE;
	proxy_hresp_init(&c->resp, c->req.is_head);
	up_resume(c);
	if (c->closing)
		return;
	flush_up(c);
}

static void on_up_connect(struct proxy_upstream *u, int status)
{
	struct hconn *c = u->owner;

	if (status != 0) {
		/* Nothing was sent: any request may go elsewhere. */
		struct proxy_backend *b = u->be;

		attempt_failed(c, b);
		c->up = NULL;
		u->owner = NULL;
		proxy_upstream_close(u);
		uncount(c);
		dispatch(c, b);
		return;
	}
	attach(c, u);
	if (!c->closing && !c->client_reading && !c->req.complete)
		start_client_read(c);
}

/* The routing group of the current request (header routes, then the
 * stickiness cookie, then the weighted draw), and its mirror copy. */
static void choose_group(struct hconn *c)
{
	struct proxy_service *s = c->svc;
	const struct proxy_routeset *r = s->route;
	bool matched =
	    r && r->n_headers > 0 &&
	    proxy_route_headers_match(r, c->req.out.p, c->req.out.len);
	int side = -1;

	c->set_cookie = -1;
	if (r && !matched && r->cookie[0] && r->weight > 0 && r->weight < 100) {
		side = proxy_route_cookie_side(r, c->req.out.p, c->req.out.len);
		if (side >= 0 && s->n_grp[side] == 0)
			side = -1;
	}
	if (side >= 0) {
		c->grp = side;
	} else {
		c->grp = proxy_route_group(r, s->n_grp[0], s->n_grp[1], matched,
					   &s->draw);
		if (r && !matched && r->cookie[0] && r->weight > 0 &&
		    r->weight < 100 && c->grp >= 0)
			c->set_cookie = c->grp;
	}
	if (c->grp == 0)
		proxy_mirror_maybe(
		    s, c->req.complete && !c->req.upgrade ? c->req.out.p : NULL,
		    c->req.out.len, c->req.is_head);
}

/* Writes the first bytes of a response with the stickiness cookie after
 * its status line. Returns what proxy_write_copy returns. */
static int write_with_cookie(struct hconn *c, const char *p, size_t n)
{
	const struct proxy_routeset *r = c->svc->route;
	const char *eol = memchr(p, '\n', n);
	struct proxy_buf b = {0};
	int rc;

	if (eol == NULL || r == NULL || r->cookie[0] == '\0')
		return proxy_write_copy((uv_stream_t *)&c->client, p, n,
					client_written, c);
	proxy_buf_append(&b, p, (size_t)(eol + 1 - p));
	proxy_buf_printf(&b, "Set-Cookie: %s=%s.%s; Path=/; HttpOnly\r\n",
			 r->cookie, c->set_cookie ? "canary" : "stable",
			 r->canary);
	proxy_buf_append(&b, eol + 1, (size_t)(p + n - eol - 1));
	c->resp_bytes += b.len - n;
	rc = proxy_write_copy((uv_stream_t *)&c->client, b.p, b.len,
			      client_written, c);
	proxy_buf_free(&b);
	return rc;
}

/* Picks a backend for the current request and sends it there. */
static void dispatch(struct hconn *c, struct proxy_backend *avoid)
{
	struct proxy_service *s = c->svc;
	struct berr err = BERR_INIT;

	c->dispatched = true;
	for (;;) {
		struct proxy_backend *b;
		struct proxy_upstream *u;

		if (!s->removed)
			proxy_service_sync(s);
		if (s->removed || s->n_cur == 0) {
			answer(c, 503, "Service Unavailable",
			       "berth: no ready endpoint for this service\n");
			return;
		}
		if (++c->tries > (int)s->n_cur + 2) {
			answer(c, 502, "Bad Gateway",
			       "berth: no endpoint could be reached\n");
			return;
		}
		if (c->grp == -2)
			choose_group(c);
		b = proxy_service_pick(s, c->grp, avoid);
		c->be = b;
		c->rev = b->rev;
		proxy_backend_busy(b, 1);
		b->requests++;
		u = proxy_upstream_take(b);
		if (u) {
			attach(c, u);
			return;
		}
		u = proxy_upstream_connect(s, b, on_up_connect, c, &err);
		if (u) {
			c->up = u;
			/* Body bytes wait in req.out until connected. */
			if (c->req.out.len >= HTTP_HIGH_WATER &&
			    c->client_reading) {
				uv_read_stop((uv_stream_t *)&c->client);
				c->client_reading = false;
			}
			return;
		}
		uncount(c);
		log_debug("proxy: service %s: %s", s->conf.name, err.msg);
		/* No descriptor to connect with: no backend's fault. */
		if (err.code == EMFILE || err.code == ENFILE) {
			answer(c, 503, "Service Unavailable",
			       "berth: too many open connections, try again\n");
			return;
		}
		attempt_failed(c, b);
		avoid = b;
	}
}

/* timeout.httpRequest from now for the next HTTP_BODY_MIN_PROGRESS
 * bytes of the body. */
static void body_stretch(struct hconn *c)
{
	c->body_deadline = uv_now(&c->svc->px->loop) +
			   (uint64_t)c->svc->conf.timeout_http_request_ms;
	c->body_mark = c->req.body_bytes + HTTP_BODY_MIN_PROGRESS;
}

static void refuse(struct hconn *c)
{
	int code = c->req.error ? c->req.error : 400;
	const char *body =
	    code == 431	  ? "berth: request head too large\n"
	    : code == 417 ? "berth: unsupported expectation\n"
	    : code == 505 ? "berth: only HTTP/1.0 and HTTP/1.1 are served\n"
			  : "berth: malformed request\n";

	detach_up(c, false);
	answer(c, code, proxy_hreq_reason(code), body);
}

/* Feeds client bytes; whatever follows the current request is kept. */
static void process(struct hconn *c, const char *data, size_t len)
{
	size_t used = 0;

	if (!c->req.head_done && len > 0) {
		c->got_bytes = true;
		if (c->head_deadline == 0)
			c->head_deadline =
			    uv_now(&c->svc->px->loop) +
			    (uint64_t)c->svc->conf.timeout_http_request_ms;
	}
	if (proxy_hreq_feed(&c->req, data, len, &used) == -1) {
		if (!c->dispatched || c->resp_bytes == 0)
			refuse(c);
		else
			conn_close(c);
		return;
	}
	if (used < len)
		proxy_buf_append(&c->in, data + used, len - used);
	if (c->req.head_done && !c->dispatched) {
		c->req_start = proxy_now_ms();
		c->tries = 0;
		c->grp = -2;
		c->set_cookie = -1;
		c->rev = NULL;
		c->retries_left = 1;
		c->retry_ok = c->req.idempotent;
		c->retry.len = 0;
		body_stretch(c);
		dispatch(c, NULL);
		if (c->closing || c->shutting)
			return;
		/* RFC 9110 10.1.1: the client waits for this before sending
		 * its body; the Expect header itself is not forwarded. */
		if (c->req.expect_continue && !c->req.complete &&
		    proxy_write_copy((uv_stream_t *)&c->client,
				     "HTTP/1.1 100 Continue\r\n\r\n", 25, NULL,
				     NULL) < 0) {
			conn_close(c);
			return;
		}
	} else {
		flush_up(c);
	}
	if (c->req.head_done && c->req.body_bytes >= c->body_mark)
		body_stretch(c);
	/* While the backend connects, body bytes wait in req.out. */
	if (c->in.len >= HTTP_AHEAD_MAX || c->req.out.len >= HTTP_HIGH_WATER ||
	    (c->up && c->up->connected &&
	     uv_stream_get_write_queue_size((uv_stream_t *)&c->up->tcp) >=
		 HTTP_HIGH_WATER)) {
		uv_read_stop((uv_stream_t *)&c->client);
		c->client_reading = false;
	}
	if (c->phase == PH_CLIENT && !c->closing && !c->shutting)
		arm(c, PH_CLIENT); /* a request deadline may have begun */
}

static void client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct hconn *c = h->data;

	buf->base = c->svc->px->rbuf;
	buf->len = PROXY_READ_SIZE;
}

static void client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct hconn *c = s->data;

	if (n == 0 || c->closing || c->shutting)
		return;
	if (n == UV_EOF && c->req.complete) {
		/* A client that half-closes after its request(s) still gets
		 * the answers; the connection ends after them. */
		uv_read_stop(s);
		c->client_reading = false;
		c->client_eof = true;
		return;
	}
	if (n < 0) {
		conn_close(c);
		return;
	}
	if (c->phase == PH_CLIENT)
		arm(c, PH_CLIENT);
	/* rbuf is shared with the response reader: process() copies what
	 * it keeps, so nothing refers to it once this returns. */
	process(c, buf->base, (size_t)n);
}

static void start_client_read(struct hconn *c)
{
	if (c->client_eof)
		return;
	/* A body paused by back-pressure gets a fresh stretch. */
	if (c->req.head_done && !c->req.complete)
		body_stretch(c);
	c->client_reading = true;
	if (uv_read_start((uv_stream_t *)&c->client, client_alloc,
			  client_read) != 0)
		conn_close(c);
}

void proxy_http_accept(struct proxy_service *s, int fd)
{
	struct hconn *c = xcalloc(1, sizeof(*c));
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	char ip[64] = "unknown";

	c->svc = s;
	c->set_cookie = -1;
	proxy_service_hold(s);
	uv_tcp_init(&s->px->loop, &c->client);
	uv_timer_init(&s->px->loop, &c->timer);
	c->client.data = c;
	c->timer.data = c;
	c->handles = 2;
	s->m.connections++;
	proxy_conn_opened(s);
	proxy_link(s->px, &c->link, conn_abort);
	c->link.drain = conn_drain;
	proxy_hreq_init(&c->req, "");
	if (uv_tcp_open(&c->client, fd) != 0) {
		close(fd);
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->client, 1);
	if (uv_tcp_getpeername(&c->client, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6)
			uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
		else
			uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
	}
	snprintf(c->req.client_ip, sizeof(c->req.client_ip), "%s", ip);
	/* The first request must be whole within timeout.httpRequest. */
	c->head_deadline =
	    uv_now(&s->px->loop) + (uint64_t)s->conf.timeout_http_request_ms;
	arm(c, PH_CLIENT);
	start_client_read(c);
}
