/*
 * upgrade.c - `berth upgrade` (POST /v1/upgrade) and SIGUSR2: the running
 * daemon starts a new binary as its successor and hands it every
 * listening socket, then drains and leaves, without stopping a pod.
 *
 * The old daemon (this process):
 *   1. starts BINARY up -c CONFIG with the run-dir lock, the control
 *      socket, each service listener, the admin, Kubernetes API and
 *      dashboard listeners and one end of a socket pair, as descriptors
 *      3, 4, ... named in BERTH_HANDOVER_FDS (read by common/sdnotify.c
 *      like LISTEN_FDS), and serves on meanwhile: the successor's process
 *      start, config and runtime set-up (most of its start on a busy
 *      host) cost the control API nothing;
 *   2. when the successor says it is warm ('w' on the pair), saves what
 *      it has not saved yet and tells it to go ('g'); from here its loop
 *      does not run again unless the upgrade fails: no probe, timer,
 *      reconcile or reaping acts while the successor adopts, and control
 *      clients wait in the socket's backlog. The proxy thread goes on
 *      serving. If a listener or the config path changed while the
 *      successor started, it is stopped instead (it holds the old set);
 *   3. waits for '1': the successor writes it when it would send READY=1
 *      (state restored, pods adopted, every listener taken over, nothing
 *      bound anew). A successor that exits first or is not ready within
 *      UPGRADE_READY_MS of its start (it is then killed) fails the
 *      upgrade: this daemon carries on as before and says why;
 *   4. on success: answers, tells systemd the new MAINPID, closes its
 *      own listeners (the copies serve on) and drains the proxy: each
 *      http connection ends after its current response, which says
 *      `Connection: close`; tcp connections run to their end, for at
 *      most UPGRADE_DRAIN_MS. Meanwhile it reaps its containers that
 *      exit, recording their statuses (signals/exits.c);
 *   5. execs `BINARY __reaper RUN_DIR PID...` in place: the same pid, so
 *      still the parent of the containers it started, which the
 *      successor adopted and watches through pidfds. The reaper records
 *      each one's exit status for the successor and exits after the last.
 *
 * The pair is passed twice: as `berth-handover` (this protocol) and as
 * `berth-ready`, which a binary older than the warm start knows: it
 * writes '1' without waiting to be told, and the hand-over completes as
 * it did then.
 *
 * Owns the hand-over; must not act on pods (the successor does).
 */
#include "upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/child_own.h"
#include "../common/log.h"
#include "../common/sdnotify.h"
#include "../common/xalloc.h"
#include "../proxy/proxy.h"
#include "../signals/exits.h"
#include "analysis_store.h"
#include "ctl_server.h"
#include "store.h"

extern char **environ;

/* How long the successor may take to adopt the pods and get ready. */
#define UPGRADE_READY_MS 30000
/* How long tcp connections (and slow http ones) may keep the old
 * daemon draining before it closes them. */
#define UPGRADE_DRAIN_MS 30000
#define UPGRADE_MAX_FDS 200

static char self_exe[4096];
/* The successor's end of the pair, and whether the daemon handing over
 * speaks the warm start (`berth-handover`) or only `berth-ready`. */
static int handover_fd = -1;
static bool handover_warm;

bool upgrade_init(void)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	int warm = sdnotify_listen_take("berth-handover");
	int ready = sdnotify_listen_take("berth-ready");

	self_exe[n > 0 ? n : 0] = '\0';
	if (warm >= 0) {
		handover_fd = warm;
		handover_warm = true;
		if (ready >= 0)
			close(ready); /* the same socket, for older binaries */
	} else {
		handover_fd = ready;
	}
	return handover_fd >= 0;
}

int upgrade_wait_go(struct berr *err)
{
	char c = 0;
	ssize_t got;

	if (handover_fd < 0 || !handover_warm)
		return 0;
	if (write(handover_fd, "w", 1) != 1)
		return berr_errno(err, errno,
				  "hand-over: telling the "
				  "previous daemon");
	do
		got = read(handover_fd, &c, 1);
	while (got == -1 && errno == EINTR);
	if (got == 1 && c == 'g')
		return 0;
	return berr_set(err, "the previous daemon ended the hand-over "
			     "before it began (it goes on serving)");
}

static int64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct handover {
	int fds[UPGRADE_MAX_FDS];
	char *names[UPGRADE_MAX_FDS];
	bool owned[UPGRADE_MAX_FDS]; /* a copy made here, closed after */
	size_t n;
};

static void add_fd(struct handover *h, int fd, const char *name, bool owned)
{
	if (fd < 0 || h->n == UPGRADE_MAX_FDS) {
		if (owned && fd >= 0)
			close(fd);
		return;
	}
	h->fds[h->n] = fd;
	h->names[h->n] = xstrdup(name);
	h->owned[h->n++] = owned;
}

static void handover_free(struct handover *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->owned[i])
			close(h->fds[i]);
		free(h->names[i]);
	}
	h->n = 0;
}

static void collect(struct daemon *d, struct handover *h)
{
	int *fds = NULL, pfds[DAEMON_MAX_PLUGINS];
	const char *pnames[DAEMON_MAX_PLUGINS];
	char **names = NULL;
	size_t n = proxy_listeners_dup(d->proxy, &fds, &names), np;

	add_fd(h, d->lock_fd, "berth-lock", false);
	add_fd(h, ctl_server_fd(d->ctl), "berth-control", false);
	for (size_t i = 0; i < n; i++) {
		add_fd(h, fds[i], names[i], true);
		free(names[i]);
	}
	free(fds);
	free(names);
	np = daemon_plugin_fds(d, pfds, pnames, DAEMON_MAX_PLUGINS);
	for (size_t i = 0; i < np; i++)
		add_fd(h, pfds[i], pnames[i], false);
}

/* The successor's environment: ours, its descriptors' names, and what
 * systemd gave us (sdnotify_init() took it out of ours). */
static char **child_env(const struct handover *h)
{
	size_t n = 0, k = 0, len = 32;
	char **env, *names;
	const char *sock = sdnotify_socket_name();

	while (environ[n])
		n++;
	env = xcalloc(n + 4, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "BERTH_HANDOVER_FDS=", 19))
			env[k++] = xstrdup(environ[i]);
	for (size_t i = 0; i < h->n; i++)
		len += strlen(h->names[i]) + 1;
	names = xcalloc(1, len);
	strcpy(names, "BERTH_HANDOVER_FDS=");
	for (size_t i = 0; i < h->n; i++) {
		if (i)
			strcat(names, ":");
		strcat(names, h->names[i]);
	}
	env[k++] = names;
	if (sock)
		env[k++] = xasprintf("NOTIFY_SOCKET=%s", sock);
	if (sdnotify_watchdog_usec())
		env[k++] =
		    xasprintf("WATCHDOG_USEC=%llu",
			      (unsigned long long)sdnotify_watchdog_usec());
	return env;
}

static void env_free(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

/* Starts binary with h's descriptors at 3, 4, ... */
static pid_t spawn(struct daemon *d, const char *binary,
		   const struct handover *h, struct berr *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int high[UPGRADE_MAX_FDS];
	char *argv[] = {"berth", "up", "-c", d->config_path, NULL, NULL};
	char **env = child_env(h);
	pid_t pid = -1;
	int rc;

	/* `berth up -d`: the successor logs at the same level */
	if (log_get_level() == LOG_LEVEL_DEBUG)
		argv[4] = "--debug";
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	/* Above every target first, so no dup2 overwrites a source. */
	for (size_t i = 0; i < h->n; i++) {
		high[i] = fcntl(h->fds[i], F_DUPFD_CLOEXEC, 3 + (int)h->n);
		if (high[i] == -1) {
			berr_errno(err, errno, "dup");
			for (size_t k = 0; k < i; k++)
				close(high[k]);
			goto out;
		}
		posix_spawn_file_actions_adddup2(&fa, high[i], 3 + (int)i);
	}
	rc = posix_spawn(&pid, binary, &fa, &attr, argv, env);
	if (rc != 0) {
		berr_errno(err, rc, "cannot start `%s`", binary);
		pid = -1;
	}
	for (size_t i = 0; i < h->n; i++)
		close(high[i]);
out:
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	env_free(env);
	return pid;
}

static void describe_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "ended (status 0x%x)", status);
}

/* 0 once the successor said it is ready; -1 (err set, the successor
 * gone) when it exited, closed the pipe or ran out of time. */
static int wait_ready(pid_t pid, int rfd, const char *binary, int64_t deadline,
		      struct berr *err)
{
	int64_t next_ping = 0;
	char how[64];
	int status;

	for (;;) {
		struct pollfd pfd = {.fd = rfd, .events = POLLIN};
		int64_t now = now_mono();
		int r;

		/* this loop is the daemon's now: it keeps the watchdog fed */
		if (sdnotify_watchdog_usec() && now >= next_ping) {
			sdnotify_send("WATCHDOG=1");
			next_ping = now + 1000;
		}
		if (now >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				;
			return berr_set(err,
					"the new daemon (`%s`, pid %d) was not "
					"ready within %d s; it was killed",
					binary, (int)pid,
					UPGRADE_READY_MS / 1000);
		}
		r = poll(&pfd, 1, 50);
		if (r == 1) {
			char c = 0;
			ssize_t got = read(rfd, &c, 1);

			if (got == 1 && c == '1')
				return 0;
			if (got == -1 && errno == EINTR)
				continue;
			/* EOF: it closed the pipe (exited) without being
			 * ready; its status comes below */
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				;
			describe_status(how, sizeof(how), status);
			return berr_set(err,
					"the new daemon (`%s`, pid %d) %s "
					"before it was ready (its messages are "
					"in this daemon's log)",
					binary, (int)pid, how);
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			describe_status(how, sizeof(how), status);
			return berr_set(err,
					"the new daemon (`%s`, pid %d) %s "
					"before it was ready (its messages are "
					"in this daemon's log)",
					binary, (int)pid, how);
		}
	}
}

/* --- the hand-over in progress (old daemon) ------------------------------ */

struct upgrade_job {
	struct daemon *d;
	char *binary;
	struct ctl_conn *conn; /* NULL: SIGUSR2, or the client left */
	pid_t pid;
	int fd;	      /* this daemon's end of the pair */
	char *handed; /* the listeners and config handed over (signature) */
	int64_t deadline;
	uv_poll_t poll;
	uv_timer_t timer;
	int open_handles;
};

static struct upgrade_job *job;

/* What was handed over, to notice a change before the go: each
 * descriptor's name and socket inode, and the config path. */
static char *signature(const struct handover *h, const char *config_path)
{
	size_t len = strlen(config_path) + 1, at;
	char *sig;

	for (size_t i = 0; i < h->n; i++)
		len += strlen(h->names[i]) + 24;
	sig = xcalloc(1, len);
	at = (size_t)snprintf(sig, len, "%s", config_path);
	for (size_t i = 0; i < h->n; i++) {
		struct stat st;

		memset(&st, 0, sizeof(st));
		fstat(h->fds[i], &st);
		at += (size_t)snprintf(sig + at, len - at, ";%s=%llu",
				       h->names[i],
				       (unsigned long long)st.st_ino);
	}
	return sig;
}

static void job_handle_closed(uv_handle_t *h)
{
	struct upgrade_job *j = h->data;

	if (--j->open_handles > 0)
		return;
	close(j->fd);
	free(j->binary);
	free(j->handed);
	free(j);
}

/* arg: the connection (it may outlive the job it asked for) */
static void on_conn_gone(void *arg)
{
	if (job && job->conn == arg)
		job->conn = NULL; /* the upgrade goes on; its answer is lost */
}

/* The upgrade failed (err); the successor is gone. This daemon goes on. */
static void job_fail(struct upgrade_job *j, struct berr *err)
{
	child_own_remove(j->pid);
	log_warnx("upgrade failed: %s; this daemon goes on serving", err->msg);
	if (j->conn)
		ctl_reply_error(j->conn, 500, "upgrade failed: %s", err->msg);
	j->conn = NULL;
	job = NULL;
	uv_close((uv_handle_t *)&j->poll, job_handle_closed);
	uv_close((uv_handle_t *)&j->timer, job_handle_closed);
}

static void kill_successor(struct upgrade_job *j)
{
	int status;

	kill(j->pid, SIGKILL);
	while (waitpid(j->pid, &status, 0) == -1 && errno == EINTR)
		;
}

/* The successor serves: answer, then drain and leave (no return). */
static void job_succeed(struct upgrade_job *j) __attribute__((noreturn));
static void job_succeed(struct upgrade_job *j)
{
	char msg[160];

	child_own_remove(j->pid);
	snprintf(msg, sizeof(msg),
		 "upgraded: pid %d serves now; pid %d drains and exits, pods "
		 "keep running",
		 (int)j->pid, (int)getpid());
	if (j->conn)
		ctl_reply_json(
		    j->conn, 200,
		    json_pack("{s:s,s:i}", "message", msg, "pid", (int)j->pid));
	upgrade_finish(j->d, j->binary, j->pid);
}

/* The successor is warm: stop acting, let it go, wait for its readiness
 * (this loop stopped meanwhile). */
static void job_go(struct upgrade_job *j)
{
	struct daemon *d = j->d;
	struct berr err = BERR_INIT;
	struct handover h;
	char *now;
	bool same;

	memset(&h, 0, sizeof(h));
	collect(d, &h);
	now = signature(&h, d->config_path ? d->config_path : "");
	handover_free(&h);
	same = !strcmp(now, j->handed);
	free(now);
	if (d->shutting_down || !same) {
		kill_successor(j);
		berr_set(&err, d->shutting_down
				   ? "the daemon is stopping"
				   : "a listening socket or the config changed "
				     "while the new daemon started; nothing "
				     "was handed over (run it again)");
		job_fail(j, &err);
		return;
	}
	log_debug("upgrade: pid %d is warm; handing over", (int)j->pid);
	store_retry_unsaved(d);
	analysis_store_write_now(d);
	if (write(j->fd, "g", 1) != 1) {
		berr_errno(&err, errno, "telling the new daemon to go");
		kill_successor(j);
		job_fail(j, &err);
		return;
	}
	if (wait_ready(j->pid, j->fd, j->binary, j->deadline, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	job_succeed(j);
}

static void on_job_readable(uv_poll_t *h, int status, int events)
{
	struct upgrade_job *j = h->data;
	struct berr err = BERR_INIT;
	char c = 0, how[64];
	ssize_t got = read(j->fd, &c, 1);
	int st = 0;

	if (got == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	uv_poll_stop(&j->poll);
	uv_timer_stop(&j->timer);
	if (got == 1 && c == 'w') {
		job_go(j);
		return;
	}
	if (got == 1 && c == '1') {
		/* a binary older than the warm start: it did not wait */
		log_warnx("upgrade: pid %d took over without waiting to be "
			  "told (an older berth); records may be one save "
			  "behind",
			  (int)j->pid);
		job_succeed(j);
	}
	/* it closed its end: it has exited (or is about to) */
	while (waitpid(j->pid, &st, 0) == -1 && errno == EINTR)
		;
	describe_status(how, sizeof(how), st);
	berr_set(&err,
		 "the new daemon (`%s`, pid %d) %s before it was ready (its "
		 "messages are in this daemon's log)",
		 j->binary, (int)j->pid, how);
	job_fail(j, &err);
}

static void on_job_timeout(uv_timer_t *t)
{
	struct upgrade_job *j = t->data;
	struct berr err = BERR_INIT;

	uv_poll_stop(&j->poll);
	kill_successor(j);
	berr_set(&err,
		 "the new daemon (`%s`, pid %d) was not ready within %d s; "
		 "it was killed",
		 j->binary, (int)j->pid, UPGRADE_READY_MS / 1000);
	job_fail(j, &err);
}

int upgrade_begin(struct daemon *d, const char *binary, struct ctl_conn *conn,
		  struct berr *err)
{
	struct upgrade_job *j;
	struct handover h;
	int sp[2], copy;
	pid_t pid;

	if (binary == NULL || binary[0] == '\0')
		binary = self_exe;
	if (job)
		return berr_set(err, "an upgrade (pid %d) is already under way",
				(int)job->pid);
	if (d->shutting_down)
		return berr_set(err, "the daemon is stopping");
	if (d->config_path == NULL)
		return berr_set(err, "no config applied");
	if (binary[0] != '/')
		return berr_set(err, "binary `%s`: give an absolute path",
				binary);
	if (access(binary, X_OK) == -1)
		return berr_errno(err, errno, "binary `%s`", binary);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return berr_errno(err, errno, "socketpair");
	memset(&h, 0, sizeof(h));
	collect(d, &h);
	j = xcalloc(1, sizeof(*j));
	j->handed = signature(&h, d->config_path);
	copy = fcntl(sp[1], F_DUPFD_CLOEXEC, 3);
	add_fd(&h, sp[1], "berth-handover", true);
	add_fd(&h, copy, "berth-ready", true);
	log_info("upgrade: starting `%s` with %zu descriptors; serving on "
		 "while it starts",
		 binary, h.n);
	/* the reaper leaves it alone: its status is read here */
	child_own_lock();
	pid = spawn(d, binary, &h, err);
	if (pid > 0)
		child_own_add(pid);
	child_own_unlock();
	handover_free(&h); /* closes the successor's ends here */
	if (pid == -1) {
		close(sp[0]);
		free(j->handed);
		free(j);
		return -1;
	}
	j->d = d;
	j->binary = xstrdup(binary);
	j->conn = conn;
	j->pid = pid;
	j->fd = sp[0];
	j->deadline = now_mono() + UPGRADE_READY_MS;
	uv_poll_init(d->loop, &j->poll, j->fd);
	j->poll.data = j;
	uv_timer_init(d->loop, &j->timer);
	j->timer.data = j;
	j->open_handles = 2;
	uv_poll_start(&j->poll, UV_READABLE, on_job_readable);
	uv_timer_start(&j->timer, on_job_timeout, UPGRADE_READY_MS, 0);
	if (conn)
		ctl_conn_on_close(conn, on_conn_gone, conn);
	job = j;
	return 0;
}

void upgrade_cancel(struct daemon *d)
{
	struct upgrade_job *j = job;
	struct berr err = BERR_INIT;

	if (j == NULL)
		return;
	uv_poll_stop(&j->poll);
	uv_timer_stop(&j->timer);
	kill_successor(j);
	berr_set(&err, "the daemon is stopping");
	job_fail(j, &err);
}

/* The pids of running pods that are this process's children. */
static size_t own_children(struct daemon *d, pid_t **out)
{
	size_t n = 0;

	*out = NULL;
	for (struct pod *p = d->pods; p; p = p->next) {
		siginfo_t si;

		if (p->pid <= 0)
			continue;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)p->pid, &si,
			   WEXITED | WNOHANG | WNOWAIT) == -1)
			continue; /* not ours (adopted) */
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = p->pid;
	}
	return n;
}

void upgrade_finish(struct daemon *d, const char *binary, pid_t successor)
{
	int64_t deadline = now_mono() + UPGRADE_DRAIN_MS;
	pid_t *pids;
	size_t n = own_children(d, &pids);
	char **argv;

	if (binary == NULL || binary[0] == '\0')
		binary = self_exe;
	if (sdnotify_enabled()) {
		char msg[64];

		snprintf(msg, sizeof(msg), "MAINPID=%d", (int)successor);
		sdnotify_send(msg);
	}
	log_info("upgrade: pid %d serves now; draining %lld connection(s)",
		 (int)successor, (long long)proxy_open_connections(d->proxy));
	proxy_drain(d->proxy);
	while (proxy_open_connections(d->proxy) > 0 && now_mono() < deadline) {
		n = exits_collect(d->run_dir, pids, n);
		usleep(20 * 1000);
	}
	n = exits_collect(d->run_dir, pids, n);
	log_info("upgrade: drained (%lld connection(s) left open); %zu "
		 "container(s) of this daemon still running",
		 (long long)proxy_open_connections(d->proxy), n);
	if (n == 0)
		_exit(0);
	argv = xcalloc(n + 4, sizeof(*argv));
	argv[0] = "berth";
	argv[1] = "__reaper";
	argv[2] = d->run_dir;
	for (size_t i = 0; i < n; i++)
		argv[3 + i] = xasprintf("%d", (int)pids[i]);
	/* Same pid: still the parent of those containers. */
	execve(binary, argv, environ);
	log_warn("upgrade: exec `%s __reaper`; reaping here", binary);
	_exit(exits_reaper_main((int)n + 3, argv));
}

void upgrade_ready(void)
{
	const char *rest[] = {"berth-admin", "berth-kube", "berth-dashboard"};

	if (handover_fd >= 0) {
		if (write(handover_fd, "1", 1) != 1)
			log_warn("upgrade: telling the previous daemon");
		close(handover_fd);
		handover_fd = -1;
	}
	/* sockets handed over for something this config turned off */
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		int r = sdnotify_listen_take(rest[i]);

		if (r >= 0)
			close(r);
	}
}
