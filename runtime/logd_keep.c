/*
 * logd_keep.c - the daemon's hold on the log collector (logd_keep.h):
 * reads the "D keep" connection (the collector's pid, each container's
 * pipes as "S" with copies of their read ends, "X" when one ends) and,
 * when it closes, starts a collector again on the thread pool and hands
 * it every pipe held ("A"). The copies are the daemon's only tie to the
 * containers' output; it never reads them. Owns the connection, the
 * copies and the restart; must not touch pods or log files.
 */
#include "logd_keep.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/err.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "logd.h"
#include "logd_proto.h"

/* Messages read per wake-up; the poll reports the rest again. */
#define READ_BATCH 256
/* How long a new collector may take to say its pid. */
#define HELLO_WAIT_MS 2000
#define HELLO_ATTEMPTS 20
#define RETRY_MS 1000

/* A container's pipes as the collector announced them. */
struct entry {
	struct entry *next;
	char *path;
	long long max_bytes;
	int max_files;
	int fds[2];   /* stdout's and stderr's read ends, -1 when ended */
	bool dropped; /* a restart could not hand them over */
};

struct logd_keep {
	uv_loop_t *loop;
	char *run_dir;
	int fd;		 /* the "D keep" connection, -1 while none */
	uv_poll_t *poll; /* on fd */
	uv_timer_t retry;
	uv_work_t work;
	int handles; /* open handles: the timer, the poll */
	bool working, stopping, warned;
	struct entry *entries;
	pid_t pid; /* the collector's ("H"), 0 while unknown */
	/* the collector whose connection closed: a restart follows */
	bool lost;
	pid_t lost_pid;
	pid_t reaped_pid; /* its end, when the reaper reported it */
	int reaped_status;
	/* the restart's outcome, written by the worker */
	int new_fd;
	pid_t new_pid;
	int handed;
	struct berr err;
};

static void entry_free(struct entry *e)
{
	for (int i = 0; i < 2; i++)
		if (e->fds[i] >= 0)
			close(e->fds[i]);
	free(e->path);
	free(e);
}

static void entry_remove(struct logd_keep *k, const char *path)
{
	for (struct entry **pp = &k->entries; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->path, path)) {
			struct entry *e = *pp;

			*pp = e->next;
			entry_free(e);
			return;
		}
	}
}

static void close_fds(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* One message of the collector; fds are the descriptors it carried. */
static void on_message(struct logd_keep *k, const char *msg, int *fds, int nfds)
{
	struct logd_pipes p;
	const char *path;
	pid_t pid;

	if (logd_pipes_parse(msg, 'S', &p) == 0 &&
	    logd_pipes_count(p.mask) == nfds) {
		struct entry *e = xcalloc(1, sizeof(*e));
		int n = 0;

		/* a new run's pipes, or the same pipes again */
		entry_remove(k, p.path);
		e->path = xstrdup(p.path);
		e->max_bytes = p.max_bytes;
		e->max_files = p.max_files;
		e->fds[0] = p.mask & LOGD_PIPE_OUT ? fds[n++] : -1;
		e->fds[1] = p.mask & LOGD_PIPE_ERR ? fds[n++] : -1;
		e->next = k->entries;
		k->entries = e;
		return;
	}
	close_fds(fds, nfds);
	if (logd_hello_parse(msg, &pid) == 0)
		k->pid = pid;
	else if (logd_closed_parse(msg, &path) == 0)
		entry_remove(k, path);
	else
		log_debug("log collector: unknown message `%.40s`", msg);
}

static void restart(struct logd_keep *k);

static void on_poll_closed(uv_handle_t *h);

static void connection_lost(struct logd_keep *k)
{
	uv_close((uv_handle_t *)k->poll, on_poll_closed);
	k->poll = NULL;
	close(k->fd);
	k->fd = -1;
	k->lost = true;
	k->lost_pid = k->pid;
	k->pid = 0;
	restart(k);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct logd_keep *k = h->data;

	if (status < 0) {
		connection_lost(k);
		return;
	}
	for (int i = 0; i < READ_BATCH; i++) {
		char msg[LOGD_MSG_MAX + 1];
		char cbuf[CMSG_SPACE(sizeof(int) * 2)];
		struct iovec iov = {.iov_base = msg,
				    .iov_len = sizeof(msg) - 1};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		int fds[2], nfds = 0;
		ssize_t n =
		    recvmsg(k->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			connection_lost(k);
			return;
		}
		msg[n] = '\0';
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
		     cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			size_t got = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *p = (int *)CMSG_DATA(cm);

			for (size_t j = 0; j < got; j++) {
				if (nfds < 2)
					fds[nfds++] = p[j];
				else
					close(p[j]);
			}
		}
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
			close_fds(fds, nfds);
		else
			on_message(k, msg, fds, nfds);
	}
}

static void attach(struct logd_keep *k, int fd)
{
	int r;

	k->fd = fd;
	k->poll = xcalloc(1, sizeof(*k->poll));
	r = uv_poll_init(k->loop, k->poll, fd);
	if (r != 0) {
		/* not expected for a unix socket: the daemon holds nothing */
		log_warnx("log collector: %s", uv_strerror(r));
		free(k->poll);
		k->poll = NULL;
		close(fd);
		k->fd = -1;
		return;
	}
	k->poll->data = k;
	k->handles++;
	uv_poll_start(k->poll, UV_READABLE | UV_DISCONNECT, on_readable);
}

/* Worker: a collector (the one running, or a new one), its pid, and
 * every pipe held handed to it. */
static void restart_work(uv_work_t *w)
{
	struct logd_keep *k = w->data;
	struct pollfd pfd;
	char msg[64];
	int fd;

	k->new_fd = -1;
	k->new_pid = 0;
	k->handed = 0;
	for (int attempt = 0;; attempt++) {
		ssize_t n = 1;

		k->err = (struct berr)BERR_INIT;
		fd = logd_hello(k->run_dir, &k->err);
		if (fd == -1)
			return;
		/* "H PID" comes first; anything else is left for the loop */
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, HELLO_WAIT_MS) == 1) {
			n = recv(fd, msg, sizeof(msg) - 1, MSG_PEEK);
			if (n > 0) {
				msg[n] = '\0';
				if (logd_hello_parse(msg, &k->new_pid) == 0)
					n = recv(fd, msg, sizeof(msg), 0);
			}
		}
		if (n > 0)
			break;
		/* Closed at once: the dead collector's listening socket,
		 * which the kernel may release a little after the others,
		 * took the connection. Once released, a new one starts. */
		k->new_pid = 0;
		close(fd);
		if (attempt == HELLO_ATTEMPTS - 1) {
			berr_set(&k->err, "the log collector closed the "
					  "connection at once");
			return;
		}
		usleep(50000);
	}
	for (struct entry *e = k->entries; e; e = e->next) {
		struct logd_pipes p = {.max_bytes = e->max_bytes,
				       .max_files = e->max_files,
				       .path = e->path};
		struct berr err = BERR_INIT;
		int fds[2], nfds = 0;
		bool held = false;

		for (int i = 0; i < 2; i++) {
			if (e->fds[i] < 0)
				continue;
			p.mask |= i == 0 ? LOGD_PIPE_OUT : LOGD_PIPE_ERR;
			fds[nfds++] = e->fds[i];
		}
		if (nfds == 0)
			continue;
		if (logd_adopt(k->run_dir, &p, fds, &held, &err) == -1) {
			log_warnx("log collector: the pipes of `%s` were not "
				  "handed over: %s",
				  e->path, err.msg);
			e->dropped = true;
			continue;
		}
		if (!held)
			k->handed += nfds;
	}
	k->new_fd = fd;
}

static void on_retry(uv_timer_t *t);

/* " (signal 9)", " (status 1)" or "": how the lost collector ended, if
 * this daemon is its parent and saw it. */
static void lost_status(struct logd_keep *k, char *out, size_t size)
{
	siginfo_t si;

	out[0] = '\0';
	if (k->lost_pid <= 0)
		return;
	if (k->reaped_pid == k->lost_pid) {
		int st = k->reaped_status;

		if (WIFSIGNALED(st))
			snprintf(out, size, " (signal %d)", WTERMSIG(st));
		else if (WIFEXITED(st))
			snprintf(out, size, " (status %d)", WEXITSTATUS(st));
		return;
	}
	/* not reaped yet: look without reaping (the reaper does that) */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)k->lost_pid, &si,
		   WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == k->lost_pid) {
		if (si.si_code == CLD_EXITED)
			snprintf(out, size, " (status %d)", si.si_status);
		else
			snprintf(out, size, " (signal %d)", si.si_status);
	}
}

static void maybe_free(struct logd_keep *k)
{
	if (!k->stopping || k->handles > 0 || k->working)
		return;
	while (k->entries) {
		struct entry *e = k->entries;

		k->entries = e->next;
		entry_free(e);
	}
	free(k->run_dir);
	free(k);
}

static void restart_done(uv_work_t *w, int status)
{
	struct logd_keep *k = w->data;
	char how[32], who[32] = "";

	k->working = false;
	if (k->stopping) {
		if (k->new_fd >= 0)
			close(k->new_fd);
		maybe_free(k);
		return;
	}
	if (k->new_fd == -1) {
		if (!k->warned)
			log_warnx("log collector: %s; trying again every "
				  "second (the containers' pipes are held "
				  "meanwhile)",
				  k->err.msg);
		k->warned = true;
		uv_timer_start(&k->retry, on_retry, RETRY_MS, 0);
		return;
	}
	k->warned = false;
	attach(k, k->new_fd);
	if (k->fd < 0) {
		uv_timer_start(&k->retry, on_retry, RETRY_MS, 0);
		return;
	}
	k->pid = k->new_pid;
	for (struct entry **pp = &k->entries; *pp;) {
		struct entry *e = *pp;

		if (e->dropped) {
			*pp = e->next;
			entry_free(e);
		} else {
			pp = &e->next;
		}
	}
	if (!k->lost) {
		log_info("log collector (pid %d) connected", (int)k->pid);
		return;
	}
	k->lost = false;
	if (k->lost_pid > 0 && k->lost_pid == k->new_pid) {
		log_warnx("log collector (pid %d): connection lost and made "
			  "again, %d pipes handed over",
			  (int)k->new_pid, k->handed);
		return;
	}
	lost_status(k, how, sizeof(how));
	if (k->lost_pid > 0)
		snprintf(who, sizeof(who), " (pid %d)", (int)k->lost_pid);
	log_warnx("log collector%s exited%s; restarted as pid %d, %d pipes "
		  "handed over",
		  who, how, (int)k->new_pid, k->handed);
}

static void restart(struct logd_keep *k)
{
	int r;

	if (k->working || k->stopping)
		return;
	k->working = true;
	r = uv_queue_work(k->loop, &k->work, restart_work, restart_done);
	if (r != 0) {
		k->working = false;
		log_warnx("log collector: restart: %s", uv_strerror(r));
		uv_timer_start(&k->retry, on_retry, RETRY_MS, 0);
	}
}

static void on_retry(uv_timer_t *t)
{
	restart(t->data);
}

static void on_poll_closed(uv_handle_t *h)
{
	struct logd_keep *k = h->data;

	free(h);
	k->handles--;
	maybe_free(k);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct logd_keep *k = h->data;

	k->handles--;
	maybe_free(k);
}

struct logd_keep *logd_keep_start(uv_loop_t *loop, const char *run_dir, int fd)
{
	struct logd_keep *k = xcalloc(1, sizeof(*k));

	k->loop = loop;
	k->run_dir = xstrdup(run_dir);
	k->fd = -1;
	k->new_fd = -1;
	k->work.data = k;
	uv_timer_init(loop, &k->retry);
	k->retry.data = k;
	k->handles = 1;
	if (fd >= 0)
		attach(k, fd);
	if (k->fd < 0)
		uv_timer_start(&k->retry, on_retry, RETRY_MS, 0);
	return k;
}

bool logd_keep_reaped(struct logd_keep *k, pid_t pid, int status)
{
	if (k == NULL || pid <= 0 || (pid != k->pid && pid != k->lost_pid))
		return false;
	k->reaped_pid = pid;
	k->reaped_status = status;
	return true;
}

void logd_keep_stop(struct logd_keep *k)
{
	if (k == NULL || k->stopping)
		return;
	k->stopping = true;
	if (k->poll) {
		uv_close((uv_handle_t *)k->poll, on_poll_closed);
		k->poll = NULL;
	}
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	uv_close((uv_handle_t *)&k->retry, on_timer_closed);
}
