/*
 * proxy.c - the proxy thread and its services: the command queue through
 * which the orchestrator thread sets services and listeners, the endpoint
 * snapshots it publishes (an atomic pointer per service; a replaced
 * snapshot is freed on the proxy thread once no service points at it, so
 * the request path never locks), listeners, and the backends each service
 * knows. Owns the loop and everything on it; must not include orchestrator
 * headers or touch pods.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/fdlimit.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "internal.h"
#include "wbatch.h"

enum cmd_kind {
	CMD_SET,
	CMD_REMOVE,
	CMD_ADMIN,
	CMD_METRICS,
	CMD_STOP,
	CMD_HOLD,
	CMD_LISTENERS, /* to the leader: copies of the listening sockets */
	CMD_DRAIN,     /* every worker: listeners closed, connections end */
	CMD_FD,	       /* to a worker: a client connection of slot */
	CMD_COLLECT    /* to a worker: a copy of its counters */
};

struct proxy_cmd {
	struct proxy_cmd *next;
	enum cmd_kind kind;
	struct proxy_svc_conf conf;
	int fd;
	uv_sem_t *done;
	struct proxy_buf *out;
	struct proxy_slot *slot;
	struct proxy_msnap **snap;
};

int64_t proxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int proxy_parse_addr(const char *listen, struct sockaddr_storage *ss,
		     struct berr *err)
{
	char host[128];
	const char *colon, *hs = listen, *he;
	long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (listen[0] == '[') {
		he = strchr(listen, ']');
		if (he == NULL || he[1] != ':')
			return berr_set(err, "listen `%s`: bad address",
					listen);
		hs = listen + 1;
		colon = he + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL)
			return berr_set(err, "listen `%s`: no port", listen);
		he = colon;
	}
	if ((size_t)(he - hs) >= sizeof(host))
		return berr_set(err, "listen `%s`: bad address", listen);
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535 || colon[1] == '\0')
		return berr_set(err, "listen `%s`: bad port", listen);
	if (host[0] == '\0')
		snprintf(host, sizeof(host), "0.0.0.0");
	if (listen[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return berr_set(err, "listen `%s`: bad address",
					listen);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return berr_set(err, "listen `%s`: bad address",
					listen);
	}
	return 0;
}

/* Bound and listening, on the caller's thread. */
static int bind_listener(const char *addr, struct berr *err)
{
	struct sockaddr_storage ss;
	int fd, one = 1;
	socklen_t len;

	if (proxy_parse_addr(addr, &ss, err) == -1)
		return -1;
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return berr_errno(err, errno, "socket for %s", addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
				       : sizeof(struct sockaddr_in);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 1024) == -1) {
		int e = errno;

		close(fd);
		return berr_errno(err, e, "listen on %s", addr);
	}
	return fd;
}

static void push(struct proxy *px, struct proxy_cmd *c)
{
	pthread_mutex_lock(&px->lock);
	*px->cmds_tail = c;
	px->cmds_tail = &c->next;
	pthread_mutex_unlock(&px->lock);
	uv_async_send(&px->wake);
}

/* Under px->lock. */
struct proxy_slot *proxy_slot_get(struct proxy *px, const char *name)
{
	struct proxy_slot *s;

	for (s = px->slots; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	/* read per request by every thread: no neighbour's line */
	s = xcalloc_aligned(PROXY_CACHE_LINE, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	atomic_init(&s->eps, NULL);
	atomic_init(&s->route, NULL);
	s->next = px->slots;
	px->slots = s;
	return s;
}

void proxy_link(struct proxy *px, struct proxy_conn_link *l,
		void (*abort)(struct proxy_conn_link *l))
{
	l->abort = abort;
	l->drain = NULL;
	l->next = px->conns.next;
	l->prev = &px->conns;
	px->conns.next->prev = l;
	px->conns.next = l;
}

void proxy_unlink(struct proxy_conn_link *l)
{
	if (l->next == NULL)
		return;
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->next = l->prev = NULL;
}

static struct proxy_service *find_service(struct proxy *px, const char *name)
{
	for (struct proxy_service *s = px->services; s; s = s->next)
		if (!strcmp(s->conf.name, name))
			return s;
	return NULL;
}

static void free_backend(struct proxy_backend *b)
{
	free(b);
}

void proxy_service_hold(struct proxy_service *s)
{
	s->refs++;
}

void proxy_service_release(struct proxy_service *s)
{
	if (--s->refs > 0)
		return;
	for (struct proxy_backend *b = s->backends, *n; b; b = n) {
		n = b->next;
		free_backend(b);
	}
	free(s->cur_be);
	free(s->grp[0]);
	free(s->grp[1]);
	free(s);
}

void proxy_backend_release(struct proxy_service *s, struct proxy_backend *b)
{
	if (--b->refs > 0 || b->in_set)
		return;
	for (struct proxy_backend **pp = &s->backends; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			free_backend(b);
			return;
		}
}

/* The in-flight counters of pod in slot, made on first use. */
static struct proxy_pod_busy *pod_busy(struct proxy *lead,
				       struct proxy_slot *slot, const char *pod)
{
	struct proxy_pod_busy *p;

	pthread_mutex_lock(&lead->lock);
	for (p = slot->busy; p; p = p->next)
		if (!strcmp(p->pod, pod))
			break;
	if (p == NULL) {
		p = xcalloc_aligned(PROXY_CACHE_LINE,
				    sizeof(*p) +
					lead->n_workers * sizeof(p->per[0]));
		snprintf(p->pod, sizeof(p->pod), "%s", pod);
		p->n = lead->n_workers;
		for (size_t i = 0; i < p->n; i++)
			atomic_init(&p->per[i].n, 0);
		p->next = slot->busy;
		slot->busy = p;
	}
	pthread_mutex_unlock(&lead->lock);
	return p;
}

/* Every thread's requests count, but each thread writes only its own
 * copy: a request costs no locked instruction and no cache line moving
 * between threads, and only least-conn reads the others'. */
void proxy_backend_busy(struct proxy_backend *b, int d)
{
	b->active += d;
	atomic_store_explicit(
	    b->busy_mine,
	    atomic_load_explicit(b->busy_mine, memory_order_relaxed) + d,
	    memory_order_relaxed);
}

static struct proxy_backend *backend_for(struct proxy_service *s,
					 const struct proxy_endpoint *ep)
{
	struct proxy_backend *b;

	for (b = s->backends; b; b = b->next)
		if (b->ep.pid == ep->pid && b->ep.port == ep->port &&
		    b->ep.host_network == ep->host_network &&
		    !strcmp(b->ep.pod, ep->pod) &&
		    !strcmp(b->ep.revision, ep->revision))
			return b;
	b = xcalloc(1, sizeof(*b));
	b->ep = *ep;
	b->rev = proxy_rev_stats_get(s->px, s->slot, ep->revision);
	b->busy = pod_busy(s->px->leader, s->slot, ep->pod);
	b->busy_mine = &b->busy->per[s->px->index].n;
	b->next = s->backends;
	s->backends = b;
	return b;
}

void proxy_service_sync(struct proxy_service *s)
{
	struct proxy_epset *set =
	    atomic_load_explicit(&s->slot->eps, memory_order_acquire);
	struct proxy_routeset *route =
	    atomic_load_explicit(&s->slot->route, memory_order_acquire);
	struct proxy_backend **pp;
	size_t n = set ? set->n : 0;

	if ((set == s->cur && s->cur != NULL) ||
	    (set == NULL && s->cur == NULL && s->n_cur == 0)) {
		if (route != s->route) {
			s->route = route;
			proxy_service_regroup(s);
		}
		return;
	}
	s->route = route;
	for (struct proxy_backend *b = s->backends; b; b = b->next)
		b->in_set = false;
	if (n > s->cap_cur) {
		s->cur_be = xrealloc(s->cur_be, n * sizeof(*s->cur_be));
		s->cap_cur = n;
	}
	for (size_t i = 0; i < n; i++) {
		s->cur_be[i] = backend_for(s, &set->eps[i]);
		s->cur_be[i]->in_set = true;
	}
	s->n_cur = n;
	s->cur = set;
	/* A pod that left: no idle connection of it stays pooled. */
	pp = &s->backends;
	while (*pp) {
		struct proxy_backend *b = *pp;

		if (b->in_set) {
			pp = &b->next;
			continue;
		}
		proxy_pool_close_idle(b);
		if (b->refs == 0) {
			*pp = b->next;
			free_backend(b);
			continue;
		}
		pp = &b->next;
	}
	proxy_service_regroup(s);
}

/* maxConnections, or half the descriptors outside the reserve (each
 * proxied connection holds two). */
static int64_t conn_cap(const struct proxy_service *s)
{
	int64_t cap = s->conf.max_connections;

	if (cap > 0)
		return cap;
	cap = (fdlimit_soft() - fdlimit_reserve()) / 2;
	return cap > 0 ? cap : 1;
}

static bool may_accept(struct proxy_acceptor *a)
{
	struct proxy_service *s = a->data;

	if (s->removed || atomic_load(&s->px->accept_held))
		return false;
	/* Said before the count is read: a worker that lowers the count
	 * after this read sees the flag and wakes the leader. */
	atomic_store(&s->slot->capped, true);
	if (atomic_load(&s->slot->active) >= conn_cap(s))
		return false;
	atomic_store(&s->slot->capped, false);
	return true;
}

static void serve_fd(struct proxy_service *s, int fd)
{
	if (s->conf.mode == SERVICE_TCP)
		proxy_tcp_accept(s, fd);
	else
		proxy_http_accept(s, fd);
}

/* The worker with the fewest client connections, ties in turn. */
static struct proxy *pick_worker(struct proxy *px)
{
	size_t n = px->n_workers, start = px->rr_worker % n, best = start;
	int_fast64_t bl = atomic_load(&px->workers[start]->load);

	for (size_t k = 1; k < n; k++) {
		size_t i = (start + k) % n;
		int_fast64_t l = atomic_load(&px->workers[i]->load);

		if (l < bl) {
			best = i;
			bl = l;
		}
	}
	px->rr_worker = best + 1;
	return px->workers[best];
}

/* On the leader: a client connection, served here or handed over. The
 * hand-over goes through the worker's command queue, after any command
 * the leader forwarded before (a service is set there before any of its
 * connections arrives, and removed only after them). */
static void on_fd(struct proxy_acceptor *a, int fd)
{
	struct proxy_service *s = a->data;
	struct proxy *w = pick_worker(s->px);
	struct proxy_cmd *c;

	atomic_fetch_add(&s->slot->active, 1);
	atomic_fetch_add(&w->load, 1);
	if (w == s->px) {
		serve_fd(s, fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->kind = CMD_FD;
	c->fd = fd;
	c->slot = s->slot;
	push(w, c);
}

static void shed_http(struct proxy_acceptor *a, int fd)
{
	struct proxy_service *s = a->data;

	s->m.codes[5]++;
	s->m.shed++;
	proxy_shed_http(a, fd);
}

static void shed_tcp(struct proxy_acceptor *a, int fd)
{
	struct proxy_service *s = a->data;

	s->m.shed++;
}

static void listener_closed(struct proxy_acceptor *a)
{
	proxy_service_release(a->data);
}

/* The leader counted the connection in slot->active and the worker's
 * load as it accepted it (on_fd). */
void proxy_conn_opened(struct proxy_service *s)
{
	s->m.active++;
	if (++s->px->n_conns > s->px->conns_peak)
		s->px->conns_peak = s->px->n_conns;
	if (s->listener && atomic_load(&s->slot->active) >= conn_cap(s))
		proxy_acceptor_update(s->listener);
}

/* Lowers the counts raised by on_fd; a leader stopped at the cap is
 * woken (itself: at once). */
static void uncount_conn(struct proxy *px, struct proxy_slot *slot)
{
	struct proxy_cmd *c;

	atomic_fetch_sub(&px->load, 1);
	atomic_fetch_sub(&slot->active, 1);
	if (!atomic_exchange(&slot->capped, false) || px->leader == px ||
	    px->stopping)
		return;
	c = xcalloc(1, sizeof(*c));
	c->kind = CMD_HOLD; /* the leader updates its listeners */
	c->fd = -1;
	push(px->leader, c);
}

void proxy_conn_closed(struct proxy_service *s)
{
	s->m.active--;
	s->px->n_conns--;
	uncount_conn(s->px, s->slot);
	if (s->listener && !s->listener->on)
		proxy_acceptor_update(s->listener);
}

/* A replaced listener closes while the new one already serves. */
static void close_listener(struct proxy_service *s)
{
	if (s->listener == NULL)
		return;
	proxy_acceptor_close(s->listener);
	s->listener = NULL;
}

static void open_listener(struct proxy_service *s, int fd)
{
	struct proxy_acceptor *a = proxy_acceptor_open(s->px, fd, s);

	if (a == NULL) {
		log_warnx("proxy: service %s: cannot poll its listener",
			  s->conf.name);
		close(fd);
		return;
	}
	proxy_service_hold(s);
	a->on_fd = on_fd;
	a->may_accept = may_accept;
	a->shed = s->conf.mode == SERVICE_TCP ? shed_tcp : shed_http;
	a->on_closed = listener_closed;
	s->listener = a;
	proxy_acceptor_update(a);
}

static void do_set(struct proxy *px, struct proxy_cmd *c)
{
	struct proxy_service *s = find_service(px, c->conf.name);

	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->px = px;
		s->refs = 1;
		/* Each service draws its own sequence; no two start alike. */
		if (getrandom(&s->draw.rng, sizeof(s->draw.rng), 0) !=
		    sizeof(s->draw.rng))
			s->draw.rng = (uint64_t)proxy_now_ms() ^ (uintptr_t)s;
		pthread_mutex_lock(&px->leader->lock);
		s->slot = proxy_slot_get(px->leader, c->conf.name);
		pthread_mutex_unlock(&px->leader->lock);
		s->next = px->services;
		px->services = s;
	}
	s->conf = c->conf;
	if (c->fd >= 0) {
		close_listener(s);
		open_listener(s, c->fd);
	}
	s->removed = false;
	if (s->listener) {
		s->listener->shed =
		    s->conf.mode == SERVICE_TCP ? shed_tcp : shed_http;
		proxy_acceptor_update(s->listener); /* the cap may have moved */
	}
	proxy_service_sync(s);
}

static void drop_service(struct proxy *px, struct proxy_service *s)
{
	for (struct proxy_service **pp = &px->services; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->removed = true;
	close_listener(s);
	for (struct proxy_backend *b = s->backends; b; b = b->next)
		proxy_pool_close_idle(b);
	/* No longer synced: nothing may point at a snapshot that will be
	 * retired (its connections get 503 from here on). */
	s->route = NULL;
	proxy_service_regroup(s);
	proxy_service_release(s);
}

static void do_stop(struct proxy *px)
{
	px->stopping = true;
	while (px->services)
		drop_service(px, px->services);
	proxy_admin_close(px);
	while (px->conns.next != &px->conns) {
		struct proxy_conn_link *l = px->conns.next;

		proxy_unlink(l);
		l->abort(l);
	}
	uv_close((uv_handle_t *)&px->sweep, NULL);
	uv_close((uv_handle_t *)&px->wake, NULL);
	uv_close((uv_handle_t *)&px->accept_pause, NULL);
	proxy_wbatch_close(px->wb);
}

/* Copies of the listening sockets (close-on-exec) with their names, for
 * a successor daemon: service-NAME per service, berth-admin. */
static void dup_listeners(struct proxy *px, struct proxy_buf *out)
{
	for (struct proxy_service *s = px->services; s; s = s->next) {
		int fd;

		if (s->listener == NULL || s->removed)
			continue;
		fd = fcntl(s->listener->fd, F_DUPFD_CLOEXEC, 3);
		if (fd >= 0)
			proxy_buf_printf(out, "%d service-%s\n", fd,
					 s->conf.name);
	}
	if (px->admin) {
		int fd = fcntl(px->admin->fd, F_DUPFD_CLOEXEC, 3);

		if (fd >= 0)
			proxy_buf_printf(out, "%d berth-admin\n", fd);
	}
}

/* Every listener closes (a successor serves them now); a connection
 * that can end after its current request is told to. */
static void do_drain(struct proxy *px)
{
	px->draining = true;
	for (struct proxy_service *s = px->services; s; s = s->next)
		close_listener(s);
	proxy_admin_close(px);
	for (struct proxy_conn_link *l = px->conns.next, *n; l != &px->conns;
	     l = n) {
		n = l->next; /* a drain may close it at once */
		if (l->drain)
			l->drain(l);
	}
}

/* The leader passes a service or stop command on to the other workers
 * (a copy each, without the listener). */
static void forward(struct proxy *px, const struct proxy_cmd *c)
{
	if (px->leader != px)
		return;
	for (size_t i = 1; i < px->n_workers; i++) {
		struct proxy_cmd *f = xmalloc(sizeof(*f));

		*f = *c;
		f->next = NULL;
		f->fd = -1;
		push(px->workers[i], f);
	}
}

static struct proxy_service *service_of_slot(struct proxy *px,
					     const struct proxy_slot *slot)
{
	for (struct proxy_service *s = px->services; s; s = s->next)
		if (s->slot == slot && !s->removed)
			return s;
	return NULL;
}

static void run_cmd(struct proxy *px, struct proxy_cmd *c)
{
	struct proxy_service *s;

	switch (c->kind) {
	case CMD_SET:
		if (!px->stopping && !px->draining) {
			do_set(px, c);
			forward(px, c);
		} else if (c->fd >= 0) {
			close(c->fd);
		}
		break;
	case CMD_REMOVE:
		s = find_service(px, c->conf.name);
		if (s)
			drop_service(px, s);
		forward(px, c);
		break;
	case CMD_ADMIN:
		proxy_admin_close(px);
		if (c->fd >= 0 && (px->stopping || px->draining ||
				   proxy_admin_open(px, c->fd) == -1))
			close(c->fd);
		break;
	case CMD_METRICS:
		proxy_metrics_render(px, c->out);
		uv_sem_post(c->done);
		return; /* owned by the caller */
	case CMD_COLLECT:
		*c->snap = px->stopping ? NULL : proxy_metrics_collect(px);
		uv_sem_post(c->done);
		return;
	case CMD_STOP:
		if (!px->stopping) {
			forward(px, c);
			do_stop(px);
		}
		break;
	case CMD_HOLD:
		for (struct proxy_acceptor *l = px->acceptors; l; l = l->next)
			proxy_acceptor_update(l);
		break;
	case CMD_LISTENERS: /* the leader holds every listener */
		dup_listeners(px, c->out);
		uv_sem_post(c->done);
		return; /* owned by the caller */
	case CMD_DRAIN:
		if (!px->stopping && !px->draining) {
			forward(px, c);
			do_drain(px);
		}
		break;
	case CMD_FD:
		s = px->stopping ? NULL : service_of_slot(px, c->slot);
		if (s) {
			serve_fd(s, c->fd);
		} else {
			close(c->fd);
			uncount_conn(px, c->slot);
		}
		break;
	}
	free(c);
}

static void on_wake(uv_async_t *a)
{
	struct proxy *px = a->data, *lead = px->leader;
	struct proxy_cmd *cmds;
	struct proxy_epset *retired = NULL, **ep;
	struct proxy_routeset *old_routes = NULL, **rp;
	uint64_t gen, min;

	pthread_mutex_lock(&px->lock);
	cmds = px->cmds;
	px->cmds = NULL;
	px->cmds_tail = &px->cmds;
	pthread_mutex_unlock(&px->lock);
	/* Snapshots retired up to now are current for none of this
	 * worker's services once they have synced below. */
	pthread_mutex_lock(&lead->lock);
	gen = lead->gen;
	pthread_mutex_unlock(&lead->lock);
	while (cmds) {
		struct proxy_cmd *c = cmds;

		cmds = c->next;
		run_cmd(px, c);
	}
	for (struct proxy_service *s = px->services; s; s = s->next)
		proxy_service_sync(s);
	/* A snapshot goes once every worker has synced past it. */
	pthread_mutex_lock(&lead->lock);
	px->synced = gen;
	min = gen;
	for (size_t i = 0; i < lead->n_workers; i++)
		if (lead->workers[i]->synced < min)
			min = lead->workers[i]->synced;
	for (ep = &lead->retired; *ep;) {
		struct proxy_epset *e = *ep;

		if (e->gen > min) {
			ep = &e->retired_next;
			continue;
		}
		*ep = e->retired_next;
		e->retired_next = retired;
		retired = e;
	}
	for (rp = &lead->retired_routes; *rp;) {
		struct proxy_routeset *r = *rp;

		if (r->gen > min) {
			rp = &r->retired_next;
			continue;
		}
		*rp = r->retired_next;
		r->retired_next = old_routes;
		old_routes = r;
	}
	pthread_mutex_unlock(&lead->lock);
	while (retired) {
		struct proxy_epset *n = retired->retired_next;

		free(retired);
		retired = n;
	}
	while (old_routes) {
		struct proxy_routeset *n = old_routes->retired_next;

		proxy_routeset_free(old_routes);
		old_routes = n;
	}
}

struct proxy_msnap *proxy_collect_workers(struct proxy *lead)
{
	struct proxy_msnap *all = NULL;

	if (lead->stopping)
		return NULL;
	for (size_t i = 1; i < lead->n_workers; i++) {
		struct proxy_cmd *c = xcalloc(1, sizeof(*c));
		struct proxy_msnap *snap = NULL, *last;
		uv_sem_t done;

		uv_sem_init(&done, 0);
		c->kind = CMD_COLLECT;
		c->fd = -1;
		c->done = &done;
		c->snap = &snap;
		push(lead->workers[i], c);
		uv_sem_wait(&done);
		uv_sem_destroy(&done);
		free(c);
		if (snap == NULL)
			continue;
		for (last = snap; last->next; last = last->next)
			;
		last->next = all;
		all = snap;
	}
	return all;
}

static void on_sweep(uv_timer_t *t)
{
	struct proxy *px = t->data;
	int64_t now = proxy_now_ms();

	for (struct proxy_service *s = px->services; s; s = s->next)
		proxy_pool_sweep(s, now);
	/* After a burst drains, what malloc keeps of it goes back. */
	if (px->conns_peak >= 256 && px->n_conns < px->conns_peak / 4) {
		malloc_trim(0);
		px->conns_peak = px->n_conns;
	}
}

static void thread_main(void *arg)
{
	struct proxy *px = arg;
	char name[16];

	/* Visible as such in top -H, ps -L and /proc/PID/task/TID/comm. */
	if (px->index == 0)
		snprintf(name, sizeof(name), "berth-proxy");
	else
		snprintf(name, sizeof(name), "berth-proxy-%u",
			 (unsigned)(unsigned char)px->index);
	pthread_setname_np(pthread_self(), name);
	px->wb = proxy_wbatch_open(&px->loop);
	uv_run(&px->loop, UV_RUN_DEFAULT);
	proxy_wbatch_free(px->wb);
	px->wb = NULL;
}

/* A worker's loop and handles, its thread not started. */
static struct proxy *worker_new(struct proxy *lead, size_t index,
				struct berr *err)
{
	/* its loop is written on every turn: no other thread's line */
	struct proxy *px = xcalloc_aligned(PROXY_CACHE_LINE, sizeof(*px));
	int rc;

	pthread_mutex_init(&px->lock, NULL);
	px->cmds_tail = &px->cmds;
	px->conns.next = px->conns.prev = &px->conns;
	px->started_ms = proxy_now_ms();
	px->leader = lead ? lead : px;
	px->index = index;
	rc = uv_loop_init(&px->loop);
	if (rc != 0) {
		berr_set(err, "proxy loop: %s", uv_strerror(rc));
		pthread_mutex_destroy(&px->lock);
		free(px);
		return NULL;
	}
	uv_async_init(&px->loop, &px->wake, on_wake);
	px->wake.data = px;
	uv_timer_init(&px->loop, &px->sweep);
	px->sweep.data = px;
	uv_timer_start(&px->sweep, on_sweep, 1000, 1000);
	uv_unref((uv_handle_t *)&px->sweep);
	uv_timer_init(&px->loop, &px->accept_pause);
	px->accept_pause.data = px;
	uv_unref((uv_handle_t *)&px->accept_pause);
	px->rbuf = xcalloc_aligned(PROXY_CACHE_LINE, PROXY_READ_SIZE);
	return px;
}

/* A worker whose thread never ran (or has ended): its loop and memory
 * (the leader's own struct is freed by the caller). */
static void worker_free(struct proxy *px, bool started)
{
	struct proxy_cmd *c;

	if (!started) {
		uv_close((uv_handle_t *)&px->wake, NULL);
		uv_close((uv_handle_t *)&px->sweep, NULL);
		uv_close((uv_handle_t *)&px->accept_pause, NULL);
		uv_run(&px->loop, UV_RUN_DEFAULT);
	}
	/* Commands that came after the stop. */
	while ((c = px->cmds) != NULL) {
		px->cmds = c->next;
		if (c->fd >= 0)
			close(c->fd);
		free(c);
	}
	uv_loop_close(&px->loop);
	pthread_mutex_destroy(&px->lock);
	free(px->rbuf);
	if (px->leader != px)
		free(px);
}

static void proxy_stop_started(struct proxy *px, size_t all);

struct proxy *proxy_start_threads(int n, struct berr *err)
{
	struct proxy *px;
	size_t started = 0;
	int rc = 0;

	if (n < 1)
		n = 1;
	px = worker_new(NULL, 0, err);
	if (px == NULL)
		return NULL;
	px->workers = xcalloc((size_t)n, sizeof(*px->workers));
	px->workers[0] = px;
	px->n_workers = 1;
	for (int i = 1; i < n; i++) {
		px->workers[i] = worker_new(px, (size_t)i, err);
		if (px->workers[i] == NULL)
			goto fail;
		px->n_workers++;
	}
	for (; started < px->n_workers; started++) {
		rc = uv_thread_create(&px->workers[started]->thread,
				      thread_main, px->workers[started]);
		if (rc != 0) {
			berr_set(err, "proxy thread: %s", uv_strerror(rc));
			break;
		}
	}
	if (started == px->n_workers)
		return px;
	if (started > 0) {
		/* Those running stop as proxy_stop stops them. */
		size_t all = px->n_workers;

		px->n_workers = started;
		proxy_stop_started(px, all);
		return NULL;
	}
fail:
	for (size_t i = px->n_workers; i-- > 1;)
		worker_free(px->workers[i], false);
	free(px->workers);
	worker_free(px, false);
	free(px);
	return NULL;
}

struct proxy *proxy_start(struct berr *err)
{
	return proxy_start_threads(1, err);
}

static void conf_from_spec(struct proxy_svc_conf *c,
			   const struct service_spec *svc)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", svc->name);
	snprintf(c->listen, sizeof(c->listen), "%s", svc->listen);
	c->mode = svc->mode;
	c->balance = svc->balance;
	c->target_port = svc->target_port;
	c->timeout_connect_ms = svc->timeout_connect_ms;
	c->timeout_client_ms = svc->timeout_client_ms;
	c->timeout_server_ms = svc->timeout_server_ms;
	c->timeout_response_ms = svc->timeout_response_ms;
	/* 0 (a spec not made by cfg_service_defaults): the default. */
	c->timeout_http_request_ms = svc->timeout_http_request_ms > 0
					 ? svc->timeout_http_request_ms
					 : 10000;
	c->max_connections = svc->max_connections;
}

/* A CMD_SET for svc, its listener bound when the address is new; nothing
 * is published yet. NULL with err set when the address cannot be bound. */
static struct proxy_cmd *
prepare_set(struct proxy *px, const struct service_spec *svc, struct berr *err)
{
	struct proxy_cmd *c = xcalloc(1, sizeof(*c));
	bool moved;

	c->kind = CMD_SET;
	c->fd = -1;
	conf_from_spec(&c->conf, svc);
	pthread_mutex_lock(&px->lock);
	moved =
	    strcmp(proxy_slot_get(px, svc->name)->listen, c->conf.listen) != 0;
	pthread_mutex_unlock(&px->lock);
	if (moved) {
		struct sockaddr_storage ss;

		c->fd = -1;
		if (proxy_parse_addr(c->conf.listen, &ss, err) == 0)
			c->fd = proxy_inherited_take(px, &ss);
		if (c->fd == -1)
			c->fd = bind_listener(c->conf.listen, err);
		if (c->fd == -1) {
			free(c);
			berr_wrap(err, "service `%s`", svc->name);
			return NULL;
		}
	}
	return c;
}

int proxy_services_set(struct proxy *px, const struct service_spec *svcs,
		       size_t n, struct berr *err)
{
	struct proxy_cmd **cmds = xcalloc(n ? n : 1, sizeof(*cmds));

	/* Every address first: one that cannot be bound changes nothing. */
	for (size_t i = 0; i < n; i++) {
		cmds[i] = prepare_set(px, &svcs[i], err);
		if (cmds[i] != NULL)
			continue;
		while (i-- > 0) {
			if (cmds[i]->fd >= 0)
				close(cmds[i]->fd);
			free(cmds[i]);
		}
		free(cmds);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct proxy_slot *slot;

		pthread_mutex_lock(&px->lock);
		slot = proxy_slot_get(px, cmds[i]->conf.name);
		snprintf(slot->listen, sizeof(slot->listen), "%s",
			 cmds[i]->conf.listen);
		pthread_mutex_unlock(&px->lock);
		/* told before the proxy thread owns (and may close) it */
		if (cmds[i]->fd >= 0 && px->lhook)
			px->lhook(px->lhook_arg, cmds[i]->conf.name,
				  cmds[i]->fd);
		push(px, cmds[i]);
	}
	if (!px->inherited_done) {
		const char **names = xcalloc(n + 1, sizeof(*names));

		for (size_t i = 0; i < n; i++)
			names[i] = svcs[i].name;
		proxy_inherited_finish(px, names, n);
		free(names);
	}
	free(cmds);
	return 0;
}

int proxy_service_set(struct proxy *px, const struct service_spec *svc,
		      struct berr *err)
{
	return proxy_services_set(px, svc, 1, err);
}

void proxy_accept_hold(struct proxy *px, bool hold)
{
	struct proxy_cmd *c = xcalloc(1, sizeof(*c));

	atomic_store(&px->accept_held, hold);
	c->kind = CMD_HOLD;
	c->fd = -1;
	push(px, c);
}

void proxy_service_remove(struct proxy *px, const char *name)
{
	struct proxy_cmd *c = xcalloc(1, sizeof(*c));

	c->kind = CMD_REMOVE;
	c->fd = -1;
	snprintf(c->conf.name, sizeof(c->conf.name), "%s", name);
	pthread_mutex_lock(&px->lock);
	for (struct proxy_slot *s = px->slots; s; s = s->next)
		if (!strcmp(s->name, name))
			s->listen[0] = '\0';
	pthread_mutex_unlock(&px->lock);
	if (px->lhook)
		px->lhook(px->lhook_arg, name, -1);
	push(px, c);
}

void proxy_endpoints_publish(struct proxy *px, const char *service,
			     const struct proxy_endpoint *eps, size_t n)
{
	struct proxy_epset *set = xcalloc(1, sizeof(*set) + n * sizeof(*eps));
	struct proxy_epset *old;
	struct proxy_slot *slot;

	set->n = n;
	if (n)
		memcpy(set->eps, eps, n * sizeof(*eps));
	pthread_mutex_lock(&px->lock);
	slot = proxy_slot_get(px, service);
	old = atomic_exchange_explicit(&slot->eps, set, memory_order_acq_rel);
	if (old) {
		old->gen = ++px->gen;
		old->retired_next = px->retired;
		px->retired = old;
	}
	pthread_mutex_unlock(&px->lock);
	proxy_wake_all(px);
}

int proxy_admin_listen(struct proxy *px, const char *addr, struct berr *err)
{
	return proxy_admin_listen_fd(px, addr, -1, err);
}

int proxy_admin_listen_fd(struct proxy *px, const char *addr, int fd,
			  struct berr *err)
{
	struct proxy_cmd *c = xcalloc(1, sizeof(*c));

	c->kind = CMD_ADMIN;
	c->fd = -1;
	if (addr && fd >= 0) {
		c->fd = fd;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	} else if (addr) {
		c->fd = bind_listener(addr, err);
		if (c->fd == -1) {
			free(c);
			return berr_wrap(err, "admin");
		}
	}
	pthread_mutex_lock(&px->lock);
	snprintf(px->admin_addr, sizeof(px->admin_addr), "%s",
		 addr ? addr : "");
	pthread_mutex_unlock(&px->lock);
	push(px, c);
	return 0;
}

void proxy_metrics(struct proxy *px, char **text, size_t *len)
{
	struct proxy_cmd *c = xcalloc(1, sizeof(*c));
	struct proxy_buf out = {0};
	uv_sem_t done;

	uv_sem_init(&done, 0);
	c->kind = CMD_METRICS;
	c->fd = -1;
	c->done = &done;
	c->out = &out;
	push(px, c);
	uv_sem_wait(&done);
	uv_sem_destroy(&done);
	free(c);
	proxy_buf_append(&out, "", 1);
	*len = out.len - 1;
	*text = out.p;
}

size_t proxy_listeners_dup(struct proxy *px, int **fds, char ***names)
{
	struct proxy_cmd *c = xcalloc(1, sizeof(*c));
	struct proxy_buf out = {0};
	uv_sem_t done;
	size_t n = 0;
	char *line, *save = NULL;

	uv_sem_init(&done, 0);
	c->kind = CMD_LISTENERS;
	c->fd = -1;
	c->done = &done;
	c->out = &out;
	push(px, c);
	uv_sem_wait(&done);
	uv_sem_destroy(&done);
	free(c);
	proxy_buf_append(&out, "", 1);
	*fds = NULL;
	*names = NULL;
	for (line = strtok_r(out.p, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (sp == NULL)
			continue;
		*fds = xrealloc(*fds, (n + 1) * sizeof(**fds));
		*names = xrealloc(*names, (n + 1) * sizeof(**names));
		(*fds)[n] = atoi(line);
		(*names)[n] = xstrdup(sp + 1);
		n++;
	}
	proxy_buf_free(&out);
	return n;
}

void proxy_drain(struct proxy *px)
{
	struct proxy_cmd *c = xcalloc(1, sizeof(*c));

	c->kind = CMD_DRAIN;
	c->fd = -1;
	push(px, c);
}

int64_t proxy_open_connections(struct proxy *px)
{
	int64_t n = 0;

	for (size_t i = 0; i < px->n_workers; i++)
		n += atomic_load(&px->workers[i]->load);
	return n;
}

void proxy_wake_all(struct proxy *px)
{
	for (size_t i = 0; i < px->n_workers; i++)
		uv_async_send(&px->workers[i]->wake);
}

/* Stops the leader (which stops the others), joins the first n_workers
 * threads and frees every one of all workers. */
static void proxy_stop_started(struct proxy *px, size_t all)
{
	struct proxy_cmd *c = xcalloc(1, sizeof(*c));

	c->kind = CMD_STOP;
	c->fd = -1;
	push(px, c);
	for (size_t i = 0; i < px->n_workers; i++)
		uv_thread_join(&px->workers[i]->thread);
	for (size_t i = all; i-- > px->n_workers;)
		worker_free(px->workers[i], false);
	for (size_t i = px->n_workers; i-- > 1;)
		worker_free(px->workers[i], true);
	worker_free(px, true);
	for (struct proxy_epset *e = px->retired, *n; e; e = n) {
		n = e->retired_next;
		free(e);
	}
	for (struct proxy_routeset *r = px->retired_routes, *n; r; r = n) {
		n = r->retired_next;
		proxy_routeset_free(r);
	}
	for (struct proxy_slot *s = px->slots, *n; s; s = n) {
		n = s->next;
		free(atomic_load(&s->eps));
		proxy_routeset_free(atomic_load(&s->route));
		proxy_rev_free_all(s);
		for (struct proxy_pod_busy *b = s->busy, *bn; b; b = bn) {
			bn = b->next;
			free(b);
		}
		free(s);
	}
	for (size_t i = 0; i < px->n_inherited; i++)
		if (px->inherited[i].fd >= 0)
			close(px->inherited[i].fd);
	free(px->inherited);
	free(px->workers);
	free(px);
}

void proxy_stop(struct proxy *px)
{
	if (px == NULL)
		return;
	proxy_stop_started(px, px->n_workers);
}
