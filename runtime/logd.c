/*
 * logd.c - the log collector process (`berth __logd RUN_DIR`, logd.h):
 * one epoll loop over its socket, its clients and the containers' pipes.
 * Every read from a pipe is written at once, cut into CRI records stamped
 * with the time of the read; a file is rotated before a record would take
 * it past its cap. Owns the log files of the containers it was handed
 * (writing, rotating, the move to .previous at a new run); knows nothing
 * of pods or the daemon beyond the protocol.
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
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "cri_log.h"
#include "logs.h"

enum item_kind { ITEM_LISTEN, ITEM_CLIENT, ITEM_PIPE };

struct sink;

/* What an epoll event points at. */
struct item {
	enum item_kind kind;
	int fd;
	struct item *next; /* clients */
	bool daemon;	   /* a client that said "D" */
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
	char *cgroup; /* the cgroup made for this collector, if any */
	char *home_cgroup;
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

static void do_register(struct logd *l, struct item *c, const char *msg,
			int fds[2])
{
	long long max;
	int files, off = 0;
	const char *path;
	struct berr err = BERR_INIT;
	struct sink *s;

	if (sscanf(msg, "R %lld %d %n", &max, &files, &off) != 2 || off == 0 ||
	    max <= 0 || files < 2 || files > LOGS_MAX_FILES) {
		reply(c->fd, "error: malformed request");
		close(fds[0]);
		close(fds[1]);
		return;
	}
	path = msg + off;
	if (path[0] != '/') {
		reply(c->fd, "error: log path `%s` is not absolute", path);
		close(fds[0]);
		close(fds[1]);
		return;
	}
	for (s = l->sinks; s; s = s->next) {
		if (!strcmp(s->path, path)) {
			sink_drain_close(l, s);
			break;
		}
	}
	if (logs_keep_previous(path, &err) == -1)
		log_warnx("logd: %s", err.msg);
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->max = (off_t)max;
	s->max_files = files;
	/* a record always fits an empty file */
	s->max_text =
	    max > CRI_HEADER_MAX + 1 + CRI_MAX_TEXT
		? CRI_MAX_TEXT
		: (max > CRI_HEADER_MAX + 2 ? (size_t)max - CRI_HEADER_MAX - 1
					    : 1);
	s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		     0640);
	if (s->fd == -1) {
		reply(c->fd, "error: open `%s`: %s", path, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		free(s->path);
		free(s);
		return;
	}
	for (int i = 0; i < 2; i++) {
		s->pipe[i].kind = ITEM_PIPE;
		s->pipe[i].fd = fds[i];
		s->pipe[i].sink = s;
		s->pipe[i].stream = i == 0 ? CRI_STDOUT : CRI_STDERR;
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		watch(l, &s->pipe[i]);
	}
	s->open_pipes = 2;
	s->next = l->sinks;
	l->sinks = s;
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
	epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
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
	} else if (msg[0] == 'R' && nfds == 2) {
		do_register(l, c, msg, fds);
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
		c->next = l->clients;
		l->clients = c;
		l->had_client = true;
		watch(l, c);
	}
}

/*
 * Under systemd the daemon's unit cgroup is emptied (SIGKILL) when the
 * daemon dies: the collector moves to a cgroup of its own beside the
 * containers' (cgroup v2: /berth/logd-HASH), as the containers do, and
 * back before it exits. Best effort: elsewhere it stays where it is.
 */
static void cgroup_leave_unit(struct logd *l, const char *run_dir)
{
	cleanup_free char *self = NULL;
	unsigned long h = 5381;
	char *nl;

	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == -1 ||
	    file_read_all("/proc/self/cgroup", &self, NULL, NULL) == -1 ||
	    strncmp(self, "0::", 3) != 0)
		return;
	nl = strchr(self, '\n');
	if (nl)
		*nl = '\0';
	for (const char *p = run_dir; *p; p++)
		h = h * 33 + (unsigned char)*p;
	l->cgroup =
	    xasprintf("/sys/fs/cgroup/berth/logd-%08lx", h & 0xffffffff);
	mkdir("/sys/fs/cgroup/berth", 0755);
	mkdir(l->cgroup, 0755);
	cleanup_free char *procs = xasprintf("%s/cgroup.procs", l->cgroup);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, "0", 1) != 1) {
		if (fd >= 0)
			close(fd);
		rmdir(l->cgroup);
		free(l->cgroup);
		l->cgroup = NULL;
		return;
	}
	close(fd);
	l->home_cgroup = xasprintf("/sys/fs/cgroup%s", self + 3);
}

static void cgroup_return(struct logd *l)
{
	if (l->cgroup == NULL)
		return;
	cleanup_free char *procs = xasprintf("%s/cgroup.procs", l->home_cgroup);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, "0", 1) != 1) {
		if (fd >= 0)
			close(fd);
		fd = open("/sys/fs/cgroup/cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "0", 1) != 1)
			log_warn("logd: leave `%s`", l->cgroup);
	}
	if (fd >= 0)
		close(fd);
	rmdir(l->cgroup);
	rmdir("/sys/fs/cgroup/berth"); /* when nothing else is there */
}

static int take_lock(const char *run_dir)
{
	cleanup_free char *path = xasprintf("%s/%s", run_dir, LOGD_LOCK);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd == -1)
		return -1;
	/* one that is exiting frees it soon; one that runs does not */
	for (int i = 0; i < 100; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		usleep(20000);
	}
	close(fd);
	return -1;
}

static int bind_socket(const char *run_dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", run_dir,
			     LOGD_SOCKET) >= sizeof(sa.sun_path)) {
		log_warnx("logd: run folder `%s` is too long for a socket",
			  run_dir);
		return -1;
	}
	unlink(sa.sun_path); /* a dead collector's: the lock is ours */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    chmod(sa.sun_path, 0600) == -1 || listen(fd, 128) == -1) {
		log_warn("logd: listen on `%s`", sa.sun_path);
		close(fd);
		return -1;
	}
	return fd;
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
	lock = take_lock(argv[2]);
	if (lock == -1)
		return 0; /* another collector serves RUN_DIR */
	l.listen.kind = ITEM_LISTEN;
	l.listen.fd = bind_socket(argv[2]);
	if (l.listen.fd == -1) {
		close(lock);
		return 1;
	}
	sock = xasprintf("%s/%s", argv[2], LOGD_SOCKET);
	cgroup_leave_unit(&l, argv[2]);
	/* Its death would leave every container's pipe without a reader
	 * (SIGPIPE at the next write): the OOM killer picks others first.
	 * It starts no process, so nothing inherits this. Best effort. */
	int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (oom >= 0) {
		if (write(oom, "-998", 4) != 4)
			log_warn("logd: oom_score_adj");
		close(oom);
	}
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
			else if (it->kind == ITEM_CLIENT)
				client_read(&l, it);
			else if (it->fd >= 0)
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
	cgroup_return(&l);
	free(l.cgroup);
	free(l.home_cgroup);
	close(lock);
	return 0;
}
