/*
 * listener.c - accepting connections on the proxy thread without ever
 * spinning: the listening socket is polled (uv_poll) and accepted with
 * accept4() here, so berth decides what a full fd table means instead
 * of libuv's accept loop. Three limits, in order:
 *   - a service at its maxConnections stops polling: new connections
 *     wait in the kernel's backlog (as HAProxy's maxconn), and polling
 *     resumes when one of its connections closes;
 *   - an accepted descriptor that leaves less than the process reserve
 *     (fdlimit_reserve()) free is shed at once: http mode answers 503,
 *     tcp mode closes, so the control socket, probes and runc keep the
 *     descriptors they need;
 *   - EMFILE/ENFILE (the table is full after all) stops every listener
 *     for PROXY_ACCEPT_PAUSE_MS, then they resume by themselves.
 * Owns listener polls and the pause timer; must not know about requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/fdlimit.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "internal.h"

#define PROXY_ACCEPT_PAUSE_MS 100
#define PROXY_ACCEPT_BATCH 64

static void update(struct proxy_acceptor *a);

static bool wanted(struct proxy_acceptor *a)
{
	return !a->closing && !a->px->stopping && !a->px->accept_paused &&
	       (a->may_accept == NULL || a->may_accept(a));
}

static void poll_closed(uv_handle_t *h)
{
	struct proxy_acceptor *a = h->data;

	close(a->fd);
	if (a->on_closed)
		a->on_closed(a);
	free(a);
}

static void unlist(struct proxy_acceptor *a)
{
	for (struct proxy_acceptor **pp = &a->px->acceptors; *pp;
	     pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			return;
		}
}

static void on_pause_end(uv_timer_t *t)
{
	struct proxy *px = t->data;

	px->accept_paused = false;
	for (struct proxy_acceptor *a = px->acceptors; a; a = a->next)
		update(a);
}

/* The fd table is full: every listener rests a moment. */
static void pause_all(struct proxy *px, int err)
{
	log_warnx("proxy: accept: %s; new connections wait %d ms",
		  strerror(err), PROXY_ACCEPT_PAUSE_MS);
	px->accept_paused = true;
	for (struct proxy_acceptor *a = px->acceptors; a; a = a->next)
		update(a);
	uv_timer_start(&px->accept_pause, on_pause_end, PROXY_ACCEPT_PAUSE_MS,
		       0);
}

static void on_ready(uv_poll_t *h, int status, int events)
{
	struct proxy_acceptor *a = h->data;

	if (status != 0)
		return;
	for (int i = 0; i < PROXY_ACCEPT_BATCH && wanted(a); i++) {
		bool full;
		int fd = fdlimit_accept(a->fd, &full);

		if (fd == -1) {
			if (full)
				pause_all(a->px, errno);
			else if (errno != EAGAIN && errno != EWOULDBLOCK &&
				 errno != ECONNABORTED && errno != EPROTO)
				log_warn("proxy: accept");
			if (errno != ECONNABORTED && errno != EPROTO)
				return;
			continue;
		}
		if (fdlimit_low(fd)) {
			log_warnx(
			    "proxy: fewer than %ld file descriptors free: "
			    "new connections are refused",
			    fdlimit_reserve());
			if (a->shed)
				a->shed(a, fd);
			close(fd);
			continue;
		}
		a->on_fd(a, fd);
	}
	update(a);
}

static void update(struct proxy_acceptor *a)
{
	bool want = wanted(a);

	if (want == a->on || a->closing)
		return;
	if (want && uv_poll_start(&a->poll, UV_READABLE, on_ready) != 0)
		return;
	if (!want)
		uv_poll_stop(&a->poll);
	a->on = want;
}

void proxy_acceptor_update(struct proxy_acceptor *a)
{
	if (a)
		update(a);
}

struct proxy_acceptor *proxy_acceptor_open(struct proxy *px, int fd, void *data)
{
	struct proxy_acceptor *a = xcalloc(1, sizeof(*a));

	a->px = px;
	a->fd = fd;
	a->data = data;
	if (uv_poll_init(&px->loop, &a->poll, fd) != 0) {
		free(a);
		return NULL;
	}
	a->poll.data = a;
	a->next = px->acceptors;
	px->acceptors = a;
	return a;
}

void proxy_acceptor_close(struct proxy_acceptor *a)
{
	if (a == NULL || a->closing)
		return;
	a->closing = true;
	unlist(a);
	uv_close((uv_handle_t *)&a->poll, poll_closed);
}

/* A best-effort answer on a descriptor about to be closed: what the
 * client already sent is read first, so the close sends no reset. */
void proxy_shed_http(struct proxy_acceptor *a, int fd)
{
	static const char msg[] =
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 44\r\n"
	    "Connection: close\r\nRetry-After: 1\r\n\r\n"
	    "berth: too many open connections, try again\n";
	char scratch[4096];

	while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
		;
	if (send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		shutdown(fd, SHUT_WR);
}
