/*
 * logd.c - the log collector process (`berth __logd RUN_DIR`, logd.h):
 * one epoll loop over its socket, its clients and the containers' pipes.
 * Every read from a pipe is written at once, cut into CRI records stamped
 * with the time of the read; a file is rotated before a record would take
 * it past its cap. Owns the log files of the containers it was handed
 * (writing, rotating, the move to .previous at a new run) and tells each
 * daemon which pipes it reads, with copies of them, so that a collector
 * started after this one died can be handed them again. Knows nothing of
 * pods or the daemon beyond the protocol; its process set-up is
 * logd_setup.c.
 */
#include "logd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "cri_log.h"
#include "logd_proto.h"
#include "logd_setup.h"
#include "logs.h"

enum item_kind { ITEM_LISTEN, ITEM_CLIENT, ITEM_PIPE };

struct sink;

/* A message waiting for a daemon's socket to take it, with copies of
 * the descriptors it carries. */
struct outmsg {
	struct outmsg *next;
	int fds[2];
	int nfds;
	size_t len;
	char text[];
};

/* What an epoll event points at. */
struct item {
	enum item_kind kind;
	int fd;
	struct item *next; /* clients */
	bool daemon;	   /* a client that said "D" */
	bool keep;	   /* ... "D keep": told of every sink (logd.h) */
	struct outmsg *outq, **outq_tail;
	bool out_armed;	   /* EPOLLOUT asked for */
	struct sink *sink; /* a pipe's */
	enum cri_stream stream;
};

/* One container's log file and its two pipes. */
struct sink {
	struct sink *next;
	char *path;
	int fd; /* the live file, -1 when it could not be opened */
	off_t size, max;
	int max_files;
	size_t max_text;
	struct item pipe[2];
	int open_pipes;
	bool write_failed; /* said once */
};

struct logd {
	int ep;
	struct item listen;
	struct item *clients;
	struct sink *sinks;
	struct sink *dead; /* freed after the current batch of events */
	int daemons;
	bool had_client;
	struct logd_cgroup cgroup;
};

static char outbuf[256 * 1024];
static char inbuf[64 * 1024];

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void watch(struct logd *l, struct item *it)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = it};

	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, it->fd, &ev) == -1)
		log_warn("logd: epoll_ctl");
}

static void set_events(struct logd *l, struct item *it, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = it};

	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, it->fd, &ev) == -1)
		log_warn("logd: epoll_ctl");
}

static void outmsg_free(struct outmsg *m)
{
	for (int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	free(m);
}

static void outq_pop(struct item *c)
{
	struct outmsg *m = c->outq;

	c->outq = m->next;
	if (c->outq == NULL)
		c->outq_tail = &c->outq;
	outmsg_free(m);
}

/* Sends what c's socket takes now, the rest once it has room (EPOLLOUT):
 * the collector never waits for a daemon. A daemon gone drops the queue
 * (its connection's read side closes it). */
static void flush_out(struct logd *l, struct item *c)
{
	while (c->outq) {
		struct outmsg *m = c->outq;
		char cbuf[CMSG_SPACE(sizeof(int) * 2)];
		struct iovec iov = {.iov_base = m->text, .iov_len = m->len};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

		if (m->nfds > 0) {
			struct cmsghdr *cm;

			memset(cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
			memcpy(CMSG_DATA(cm), m->fds, sizeof(int) * m->nfds);
		}
		if (RETRY_EINTR(sendmsg(c->fd, &mh,
					MSG_DONTWAIT | MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN) {
				if (!c->out_armed)
					set_events(l, c, EPOLLIN | EPOLLOUT);
				c->out_armed = true;
				return;
			}
			if (errno == EPIPE || errno == ECONNRESET ||
			    errno == ENOTCONN) {
				while (c->outq)
					outq_pop(c);
				break;
			}
			log_warn("logd: tell a daemon `%s`", m->text);
		}
		outq_pop(c);
	}
	if (c->out_armed) {
		set_events(l, c, EPOLLIN);
		c->out_armed = false;
	}
}

/* Queues text (and copies of fds) for daemon c. */
static void push(struct logd *l, struct item *c, const char *text,
		 const int *fds, int nfds)
{
	size_t len = strlen(text);
	struct outmsg *m = xmalloc(sizeof(*m) + len + 1);

	m->next = NULL;
	m->len = len;
	m->nfds = 0;
	memcpy(m->text, text, len + 1);
	for (int i = 0; i < nfds; i++) {
		int d = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);

		if (d == -1) {
			log_warn("logd: copy a pipe for a daemon");
			outmsg_free(m);
			return;
		}
		m->fds[m->nfds++] = d;
	}
	*c->outq_tail = m;
	c->outq_tail = &m->next;
	if (c->outq == m)
		flush_out(l, c);
}

/* "S ..." with s's open pipes: to daemon only, or to every daemon that
 * asked (NULL). */
static void announce_sink(struct logd *l, struct sink *s, struct item *only)
{
	struct logd_pipes p = {.max_bytes = (long long)s->max,
			       .max_files = s->max_files,
			       .path = s->path};
	char msg[LOGD_MSG_MAX];
	int fds[2], nfds = 0;

	for (int i = 0; i < 2; i++) {
		if (s->pipe[i].fd < 0)
			continue;
		p.mask |= i == 0 ? LOGD_PIPE_OUT : LOGD_PIPE_ERR;
		fds[nfds++] = s->pipe[i].fd;
	}
	if (nfds == 0 || logd_pipes_format(msg, sizeof(msg), 'S', &p) == -1)
		return;
	for (struct item *c = l->clients; c; c = c->next)
		if (c->keep && (only == NULL || c == only))
			push(l, c, msg, fds, nfds);
}

static void announce_closed(struct logd *l, const char *path)
{
	char msg[LOGD_MSG_MAX];

	if (logd_closed_format(msg, sizeof(msg), path) == -1)
		return;
	for (struct item *c = l->clients; c; c = c->next)
		if (c->keep)
			push(l, c, msg, NULL, 0);
}

static void flush(struct sink *s, size_t len)
{
	if (len == 0 || s->fd < 0)
		return;
	if (fd_write_all(s->fd, outbuf, len) == -1) {
		if (!s->write_failed)
			log_warn("logd: write `%s` (output dropped until "
				 "writes succeed again)",
				 s->path);
		s->write_failed = true;
		/* what did reach the file counts */
		struct stat st;
		if (fstat(s->fd, &st) == 0)
			s->size = st.st_size;
		return;
	}
	s->write_failed = false;
	s->size += (off_t)len;
}

/* path -> path.1 (older parts up one, at most max_files files), then a
 * new live file. When the rename is not possible the live file is
 * emptied, so the cap holds whatever happens. */
static void rotate(struct sink *s)
{
	struct berr err = BERR_INIT;

	if (s->fd >= 0)
		close(s->fd);
	if (logs_rotate(s->path, s->max_files, &err) == -1)
		log_warnx("logd: rotate: %s", err.msg);
	s->fd = open(s->path,
		     O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	s->size = 0;
}

/* data[0..len), read from one stream at one time, as records. */
static void write_records(struct sink *s, enum cri_stream stream,
			  const char *data, size_t len)
{
	int64_t ns = now_ns();
	size_t used = 0;

	while (len > 0) {
		size_t text_len, rec, n;
		bool partial;
		char head[CRI_HEADER_MAX];
		size_t hl;

		n = cri_next_record(data, len, s->max_text, &text_len,
				    &partial);
		hl = cri_header(head, ns, stream, partial);
		rec = hl + text_len + 1;
		if (cri_must_rotate(s->size + (off_t)used, rec, s->max)) {
			flush(s, used);
			used = 0;
			rotate(s);
		}
		if (used + rec > sizeof(outbuf)) {
			flush(s, used);
			used = 0;
		}
		memcpy(outbuf + used, head, hl);
		memcpy(outbuf + used + hl, data, text_len);
		outbuf[used + hl + text_len] = '\n';
		used += rec;
		data += n;
		len -= n;
	}
	flush(s, used);
}

/* Closed at once; freed after the batch of events it may be named in. */
static void sink_free(struct logd *l, struct sink *s)
{
	struct sink **pp;

	for (pp = &l->sinks; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	announce_closed(l, s->path);
	s->next = l->dead;
	l->dead = s;
}

static void free_dead(struct logd *l)
{
	while (l->dead) {
		struct sink *s = l->dead;

		l->dead = s->next;
		free(s->path);
		free(s);
	}
}

static void pipe_close(struct logd *l, struct item *it)
{
	struct sink *s = it->sink;

	if (it->fd < 0)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, it->fd, NULL);
	close(it->fd);
	it->fd = -1;
	if (--s->open_pipes == 0)
		sink_free(l, s);
}

/* One read (fair to the other pipes: epoll reports it again while data
 * is left). Returns false once the pipe is closed. */
static bool pipe_read(struct logd *l, struct item *it)
{
	ssize_t n = RETRY_EINTR(read(it->fd, inbuf, sizeof(inbuf)));

	if (n > 0) {
		write_records(it->sink, it->stream, inbuf, (size_t)n);
		return true;
	}
	if (n == -1 && errno == EAGAIN)
		return true;
	pipe_close(l, it);
	return false;
}

/* A new run on the same path: what the old pipes still hold is written
 * first (its writers are gone), then they are closed. */
static void sink_drain_close(struct logd *l, struct sink *s)
{
	for (int i = 0; i < 2; i++) {
		struct item *it = &s->pipe[i];

		while (it->fd >= 0) {
			ssize_t n =
			    RETRY_EINTR(read(it->fd, inbuf, sizeof(inbuf)));

			if (n <= 0) {
				pipe_close(l, it);
				break;
			}
			write_records(s, it->stream, inbuf, (size_t)n);
		}
	}
}

static void reply(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void reply(int fd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (send(fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg),
		 MSG_NOSIGNAL) == -1)
		log_warn("logd: reply");
}

/* A sink for path, writing fd (size bytes already), reading the pipes
 * mask names (fds in order); every daemon that asked is told. */
static void sink_new(struct logd *l, const char *path, long long max, int files,
		     int fd, off_t size, int mask, const int *fds)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	int k = 0;

	s->path = xstrdup(path);
	s->max = (off_t)max;
	s->max_files = files;
	s->fd = fd;
	s->size = size;
	/* a record always fits an empty file */
	s->max_text =
	    max > CRI_HEADER_MAX + 1 + CRI_MAX_TEXT
		? CRI_MAX_TEXT
		: (max > CRI_HEADER_MAX + 2 ? (size_t)max - CRI_HEADER_MAX - 1
					    : 1);
	for (int i = 0; i < 2; i++) {
		struct item *it = &s->pipe[i];

		it->kind = ITEM_PIPE;
		it->sink = s;
		it->stream = i == 0 ? CRI_STDOUT : CRI_STDERR;
		it->fd = -1;
		if (!(mask & (i == 0 ? LOGD_PIPE_OUT : LOGD_PIPE_ERR)))
			continue;
		it->fd = fds[k++];
		fcntl(it->fd, F_SETFL, O_NONBLOCK);
		fcntl(it->fd, F_SETFD, FD_CLOEXEC);
		watch(l, it);
		s->open_pipes++;
	}
	s->next = l->sinks;
	l->sinks = s;
	announce_sink(l, s, NULL);
}

static struct sink *sink_find(struct logd *l, const char *path)
{
	for (struct sink *s = l->sinks; s; s = s->next)
		if (!strcmp(s->path, path))
			return s;
	return NULL;
}

static void close_fds(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void do_register(struct logd *l, struct item *c, const char *msg,
			int fds[2])
{
	long long max;
	int files, off = 0, fd;
	const char *path;
	struct berr err = BERR_INIT;
	struct sink *s;

	if (sscanf(msg, "R %lld %d %n", &max, &files, &off) != 2 || off == 0 ||
	    max <= 0 || files < 2 || files > LOGS_MAX_FILES) {
		reply(c->fd, "error: malformed request");
		close_fds(fds, 2);
		return;
	}
	path = msg + off;
	if (path[0] != '/') {
		reply(c->fd, "error: log path `%s` is not absolute", path);
		close_fds(fds, 2);
		return;
	}
	s = sink_find(l, path);
	if (s)
		sink_drain_close(l, s);
	if (logs_keep_previous(path, &err) == -1)
		log_warnx("logd: %s", err.msg);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0640);
	if (fd == -1) {
		reply(c->fd, "error: open `%s`: %s", path, strerror(errno));
		close_fds(fds, 2);
		return;
	}
	/* the daemons have their copies before the caller closes its own */
	sink_new(l, path, max, files, fd, 0, LOGD_PIPE_OUT | LOGD_PIPE_ERR,
		 fds);
	reply(c->fd, "ok");
}

/*
 * "A": a daemon hands over the pipes of a collector that died. The file
 * goes on (appended to, never moved to .previous), cut back to its last
 * whole record. A path already read is left as it is and the pipes
 * dropped ("ok held"): a second daemon handing the same pipes over
 * during an upgrade, or a new run that registered the path first, whose
 * predecessor's pipes are not read again.
 */
static void do_adopt(struct logd *l, struct item *c, const char *msg, int *fds,
		     int nfds)
{
	struct logd_pipes p;
	struct berr err = BERR_INIT;
	struct stat st;
	off_t cut;
	int fd;

	if (logd_pipes_parse(msg, 'A', &p) == -1 ||
	    logd_pipes_count(p.mask) != nfds) {
		reply(c->fd, "error: malformed request");
		close_fds(fds, nfds);
		return;
	}
	if (sink_find(l, p.path)) {
		reply(c->fd, "ok held");
		close_fds(fds, nfds);
		return;
	}
	fd = open(p.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd == -1) {
		reply(c->fd, "error: open `%s`: %s", p.path, strerror(errno));
		close_fds(fds, nfds);
		return;
	}
	cut = logs_cut_partial(fd, &err);
	if (cut == -1)
		log_warnx("logd: `%s`: %s", p.path, err.msg);
	else if (cut > 0)
		log_warnx("logd: `%s`: dropped the last %lld bytes, a record "
			  "cut short when the previous collector ended",
			  p.path, (long long)cut);
	sink_new(l, p.path, p.max_bytes, p.max_files, fd,
		 fstat(fd, &st) == 0 ? st.st_size : 0, p.mask, fds);
	reply(c->fd, "ok");
}

static void client_close(struct logd *l, struct item *c)
{
	struct item **pp;

	for (pp = &l->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->daemon)
		l->daemons--;
	while (c->outq)
		outq_pop(c);
	epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* "D keep": the daemon gets the collector's pid, then every sink's
 * pipes, then each change as it happens. */
static void keep_daemon(struct logd *l, struct item *c)
{
	char hello[32];

	c->keep = true;
	if (logd_hello_format(hello, sizeof(hello), getpid()) > 0)
		push(l, c, hello, NULL, 0);
	for (struct sink *s = l->sinks; s; s = s->next)
		announce_sink(l, s, c);
}

static void client_read(struct logd *l, struct item *c)
{
	char msg[PATH_MAX + 64];
	char cbuf[CMSG_SPACE(sizeof(int) * 2)];
	struct iovec iov = {.iov_base = msg, .iov_len = sizeof(msg) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int fds[2] = {-1, -1}, nfds = 0;
	ssize_t n = RETRY_EINTR(recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC));

	if (n <= 0) {
		if (n == -1 && errno == EAGAIN)
			return;
		client_close(l, c);
		return;
	}
	msg[n] = '\0';
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *got = (int *)CMSG_DATA(cm);

		for (size_t i = 0; i < k; i++) {
			if (nfds < 2)
				fds[nfds++] = got[i];
			else
				close(got[i]);
		}
	}
	if (msg[0] == 'D') {
		if (!c->daemon)
			l->daemons++;
		c->daemon = true;
		if (!c->keep && !strcmp(msg, "D keep"))
			keep_daemon(l, c);
	} else if (msg[0] == 'R' && nfds == 2) {
		do_register(l, c, msg, fds);
		return;
	} else if (msg[0] == 'A' && nfds > 0) {
		do_adopt(l, c, msg, fds, nfds);
		return;
	} else {
		reply(c->fd, "error: unknown request");
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

static void accept_clients(struct logd *l)
{
	for (;;) {
		int fd = accept4(l->listen.fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct item *c;

		if (fd == -1)
			return;
		c = xcalloc(1, sizeof(*c));
		c->kind = ITEM_CLIENT;
		c->fd = fd;
		c->outq_tail = &c->outq;
		c->next = l->clients;
		l->clients = c;
		l->had_client = true;
		watch(l, c);
	}
}

int logd_main(int argc, char **argv)
{
	struct logd l = {.ep = -1};
	struct epoll_event evs[64];
	cleanup_free char *sock = NULL;
	int lock;

	if (argc != 3 || argv[2][0] != '/') {
		fprintf(stderr, "usage: berth __logd RUN_DIR\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	lock = logd_take_lock(argv[2]);
	if (lock == -1)
		return 0; /* another collector serves RUN_DIR */
	l.listen.kind = ITEM_LISTEN;
	l.listen.fd = logd_bind_socket(argv[2]);
	if (l.listen.fd == -1) {
		close(lock);
		return 1;
	}
	sock = xasprintf("%s/%s", argv[2], LOGD_SOCKET);
	logd_cgroup_leave_unit(&l.cgroup, argv[2]);
	/* Its death leaves the containers' pipes unread until the daemon
	 * starts another (with no daemon running: SIGPIPE at their next
	 * write): the OOM killer picks others first. It starts no process,
	 * so nothing inherits this. */
	logd_oom_protect();
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	watch(&l, &l.listen);
	for (;;) {
		int n, timeout = -1;

		if (l.sinks == NULL && l.daemons == 0) {
			/* nothing to hold: gone once its last client is */
			if (l.clients == NULL && l.had_client)
				break;
			timeout = 10000; /* never connected to: give up */
		}
		n = epoll_wait(l.ep, evs, 64, timeout);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 && l.sinks == NULL && l.daemons == 0)
				break;
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct item *it = evs[i].data.ptr;

			if (it->kind == ITEM_LISTEN)
				accept_clients(&l);
			else if (it->kind == ITEM_CLIENT) {
				if (evs[i].events & EPOLLOUT)
					flush_out(&l, it);
				if (evs[i].events & ~(uint32_t)EPOLLOUT)
					client_read(&l, it);
			} else if (it->fd >= 0)
				pipe_read(&l, it);
		}
		/* a sink closed in this batch may still be named by a later
		 * event of it (its pipes' fds are -1 by then) */
		free_dead(&l);
	}
	unlink(sock);
	close(l.listen.fd);
	while (l.clients)
		client_close(&l, l.clients);
	close(l.ep);
	logd_cgroup_return(&l.cgroup);
	close(lock);
	return 0;
}
