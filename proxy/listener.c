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
 * Listening sockets passed in across a restart (systemd's fd store or
 * socket activation) are matched to services by address here.
 * Owns listener polls and the pause timer; must not know about requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
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

/* --- listening sockets passed in ----------------------------------------- */

void proxy_listeners_inherit(struct proxy *px, const int *fds,
			     const char *const *names, size_t n,
			     proxy_listener_hook hook, void *arg)
{
	px->lhook = hook;
	px->lhook_arg = arg;
	px->inherited = xcalloc(n + 1, sizeof(*px->inherited));
	px->n_inherited = n;
	for (size_t i = 0; i < n; i++) {
		px->inherited[i].fd = fds[i];
		snprintf(px->inherited[i].name, sizeof(px->inherited[i].name),
			 "%s", names && names[i] ? names[i] : "");
	}
}

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr,
			       sizeof(x->sin6_addr));
	}
	return false;
}

int proxy_inherited_take(struct proxy *px, const struct sockaddr_storage *ss)
{
	if (px->inherited_done)
		return -1;
	for (size_t i = 0; i < px->n_inherited; i++) {
		struct proxy_inherited *h = &px->inherited[i];
		struct sockaddr_storage got;
		socklen_t len = sizeof(got);
		int type = 0, acc = 0;
		socklen_t tl = sizeof(type), al = sizeof(acc);

		memset(&got, 0, sizeof(got));
		if (h->fd < 0 || getsockname(h->fd, (void *)&got, &len) == -1 ||
		    getsockopt(h->fd, SOL_SOCKET, SO_TYPE, &type, &tl) == -1 ||
		    getsockopt(h->fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) ==
			-1 ||
		    type != SOCK_STREAM || !acc || !same_addr(&got, ss))
			continue;
		int fd = h->fd;

		h->fd = -1;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		log_info("proxy: listening socket `%s` passed in kept (its "
			 "waiting connections are served)",
			 h->name);
		return fd;
	}
	return -1;
}

void proxy_inherited_finish(struct proxy *px, const char *const *names,
			    size_t n)
{
	if (px->inherited_done)
		return;
	px->inherited_done = true;
	for (size_t i = 0; i < px->n_inherited; i++) {
		struct proxy_inherited *h = &px->inherited[i];
		bool named = false;

		if (h->fd < 0)
			continue;
		log_info("proxy: listening socket `%s` passed in matches no "
			 "service; closed",
			 h->name);
		close(h->fd);
		h->fd = -1;
		/* the service it was kept for is gone: tell the keeper */
		for (size_t k = 0; k < n; k++)
			named |= !strncmp(h->name, "service-", 8) &&
				 !strcmp(h->name + 8, names[k]);
		if (!named && !strncmp(h->name, "service-", 8) && px->lhook)
			px->lhook(px->lhook_arg, h->name + 8, -1);
	}
	free(px->inherited);
	px->inherited = NULL;
	px->n_inherited = 0;
}
