/*
 * logd_client.c - the daemon's side of the log collector (logd.h):
 * finding RUN_DIR's collector, starting it when none answers, saying a
 * daemon is here, and handing it a container's pipes (a new run's, or a
 * dead collector's again). Blocking calls (a connect, a reply within
 * seconds); logd_register() and logd_adopt() run on worker threads,
 * logd_hello() at start-up and on a worker. Knows nothing of pods; what
 * the daemon keeps is logd_keep.c.
 */
#include "logd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "logd_proto.h"

extern char **environ;

/* one start at a time: two workers finding no collector start one */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

static int try_connect(const char *run_dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", run_dir,
			     LOGD_SOCKET) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* `berth __logd RUN_DIR` in a session of its own, not waited for here:
 * it is the daemon's child (or, re-parented, its subreaper's), and the
 * daemon's reaper collects it when it exits. */
static int start_collector(const char *run_dir, struct berr *err)
{
	char *argv[] = {"berth", "__logd", (char *)run_dir, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t pid;
	int r;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF |
					    POSIX_SPAWN_SETSID);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	r = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return berr_errno(err, r, "start the log collector");
	return 0;
}

/* A connection to the collector, started when none answers (5 s). */
static int logd_connect(const char *run_dir, struct berr *err)
{
	int fd = try_connect(run_dir);

	if (fd >= 0)
		return fd;
	pthread_mutex_lock(&start_lock);
	fd = try_connect(run_dir);
	if (fd >= 0) {
		pthread_mutex_unlock(&start_lock);
		return fd;
	}
	if (start_collector(run_dir, err) == -1) {
		pthread_mutex_unlock(&start_lock);
		return -1;
	}
	for (int i = 0; i < 500 && fd < 0; i++) {
		usleep(10000);
		fd = try_connect(run_dir);
	}
	pthread_mutex_unlock(&start_lock);
	if (fd < 0)
		return berr_errno(err, errno,
				  "the log collector (`berth __logd %s`) does "
				  "not answer on `%s/%s`",
				  run_dir, run_dir, LOGD_SOCKET);
	return fd;
}

int logd_hello(const char *run_dir, struct berr *err)
{
	int fd = logd_connect(run_dir, err);

	if (fd == -1)
		return -1;
	if (send(fd, "D keep", 6, MSG_NOSIGNAL) != 6) {
		berr_errno(err, errno, "log collector");
		close(fd);
		return -1;
	}
	return fd;
}

/* One request with its descriptors on a connection of its own; the
 * answer in answer[size]. *retry: the collector went away meanwhile (the
 * next one may take it). */
static int request_once(const char *run_dir, const char *msg, const int *fds,
			int nfds, char *answer, size_t size, bool *retry,
			struct berr *err)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 2)] = {0};
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = strlen(msg)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * nfds)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct pollfd pfd;
	ssize_t n;
	int fd = logd_connect(run_dir, err), r;

	*retry = false;
	if (fd == -1)
		return -1;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	if (RETRY_EINTR(sendmsg(fd, &mh, MSG_NOSIGNAL)) == -1) {
		/* a collector that was exiting: the next one takes it */
		*retry = true;
		berr_errno(err, errno, "log collector: send");
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	r = RETRY_EINTR(poll(&pfd, 1, 10000));
	if (r == 0) {
		close(fd);
		return berr_set(err, "the log collector did not answer "
				     "within 10 s");
	}
	n = RETRY_EINTR(recv(fd, answer, size - 1, 0));
	close(fd);
	if (n <= 0) {
		*retry = true;
		return berr_set(err, "the log collector closed the "
				     "connection");
	}
	answer[n] = '\0';
	return 0;
}

/* The request, tried again (3 times in all, within 150 ms) while the
 * collector goes away under it; 0 when answered with one of the two oks
 * (*second: it was ok2). */
static int request(const char *run_dir, const char *msg, const int *fds,
		   int nfds, const char *ok2, bool *second, struct berr *err)
{
	char answer[1100];
	bool retry = true;

	for (int attempt = 0; attempt < 3 && retry; attempt++) {
		/* a collector just killed may take a connection before the
		 * kernel releases its listening socket: give it that time */
		if (attempt > 0)
			usleep(50000 * (useconds_t)attempt);
		*err = (struct berr)BERR_INIT;
		if (request_once(run_dir, msg, fds, nfds, answer,
				 sizeof(answer), &retry, err) == -1)
			continue;
		if (!strcmp(answer, "ok") || (ok2 && !strcmp(answer, ok2))) {
			if (second)
				*second = ok2 && !strcmp(answer, ok2);
			return 0;
		}
		return berr_set(err, "log collector: %s", answer);
	}
	return -1;
}

int logd_register(const char *run_dir, const char *path, off_t max_bytes,
		  int max_files, int out_fd, int err_fd, struct berr *err)
{
	char msg[LOGD_MSG_MAX];
	int fds[2] = {out_fd, err_fd};

	if ((size_t)snprintf(msg, sizeof(msg), "R %lld %d %s",
			     (long long)max_bytes, max_files,
			     path) >= sizeof(msg))
		return berr_set(err, "log path `%s` is too long", path);
	return request(run_dir, msg, fds, 2, NULL, NULL, err);
}

int logd_adopt(const char *run_dir, const struct logd_pipes *p, const int *fds,
	       bool *held, struct berr *err)
{
	char msg[LOGD_MSG_MAX];

	if (logd_pipes_format(msg, sizeof(msg), 'A', p) == -1)
		return berr_set(err, "log path `%s` is too long", p->path);
	return request(run_dir, msg, fds, logd_pipes_count(p->mask), "ok held",
		       held, err);
}
