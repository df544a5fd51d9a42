/*
 * upgrade.c - `berth upgrade` (POST /v1/upgrade) and SIGUSR2: the running
 * daemon starts a new binary as its successor and hands it every
 * listening socket, then drains and leaves, without stopping a pod.
 *
 * The old daemon (this process):
 *   1. saves what it has not saved yet; from here its loop does not run
 *      again unless the upgrade fails: no probe, timer, reconcile or
 *      reaping acts while the successor starts, and control clients wait
 *      in the socket's backlog. The proxy thread goes on serving.
 *   2. starts BINARY up -c CONFIG with the run-dir lock, the control
 *      socket, each service listener, the admin, Kubernetes API and
 *      dashboard listeners and a pipe, as descriptors 3, 4, ... named in
 *      BERTH_HANDOVER_FDS (read by common/sdnotify.c like LISTEN_FDS);
 *   3. waits for one byte on the pipe: the successor writes it when it
 *      would send READY=1 (state restored, pods adopted, every listener
 *      taken over, nothing bound anew). A successor that exits first or
 *      is not ready within UPGRADE_READY_MS (it is then killed) fails the
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
 * Owns the hand-over; must not act on pods (the successor does).
 */
#include "upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

bool upgrade_init(void)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	const char *const *names = NULL;
	size_t k = sdnotify_listen_fds(&names);

	self_exe[n > 0 ? n : 0] = '\0';
	for (size_t i = 0; names && i < k; i++)
		if (names[i] && !strcmp(names[i], "berth-ready"))
			return true;
	return false;
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
	char *argv[] = {"berth", "up", "-c", d->config_path, NULL};
	char **env = child_env(h);
	pid_t pid = -1;
	int rc;

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
static int wait_ready(pid_t pid, int rfd, const char *binary, struct berr *err)
{
	int64_t deadline = now_mono() + UPGRADE_READY_MS;
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

int upgrade_start(struct daemon *d, const char *binary, pid_t *out,
		  struct berr *err)
{
	struct handover h;
	int pfd[2];
	pid_t pid;
	int rc;

	if (binary == NULL || binary[0] == '\0')
		binary = self_exe;
	if (d->shutting_down)
		return berr_set(err, "the daemon is stopping");
	if (d->config_path == NULL)
		return berr_set(err, "no config applied");
	if (binary[0] != '/')
		return berr_set(err, "binary `%s`: give an absolute path",
				binary);
	if (access(binary, X_OK) == -1)
		return berr_errno(err, errno, "binary `%s`", binary);
	store_retry_unsaved(d);
	analysis_store_write_now(d);
	if (pipe2(pfd, O_CLOEXEC) == -1)
		return berr_errno(err, errno, "pipe");
	memset(&h, 0, sizeof(h));
	collect(d, &h);
	add_fd(&h, pfd[1], "berth-ready", true);
	log_info("upgrade: starting `%s` with %zu descriptors", binary, h.n);
	pid = spawn(d, binary, &h, err);
	handover_free(&h); /* closes our write end of the pipe too */
	if (pid == -1) {
		close(pfd[0]);
		return -1;
	}
	rc = wait_ready(pid, pfd[0], binary, err);
	close(pfd[0]);
	if (rc == -1) {
		log_warnx("upgrade failed: %s; this daemon goes on serving",
			  err->msg);
		return -1;
	}
	*out = pid;
	return 0;
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
	int fd = sdnotify_listen_take("berth-ready");
	const char *rest[] = {"berth-admin", "berth-kube", "berth-dashboard"};

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			log_warn("upgrade: telling the previous daemon");
		close(fd);
	}
	/* sockets handed over for something this config turned off */
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		int r = sdnotify_listen_take(rest[i]);

		if (r >= 0)
			close(r);
	}
}
