/*
 * logd_setup.c - the log collector's process set-up (logd_setup.h): its
 * one-per-folder lock, its listening socket, its own cgroup and its OOM
 * score. Touches nothing of the containers' pipes or files (logd.c).
 */
#include "logd_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "logd.h"

/*
 * Under systemd the daemon's unit cgroup is emptied (SIGKILL) when the
 * daemon dies: the collector moves to a cgroup of its own beside the
 * containers' (cgroup v2: /berth/logd-HASH), as the containers do, and
 * back before it exits. Best effort: elsewhere it stays where it is.
 */
void logd_cgroup_leave_unit(struct logd_cgroup *l, const char *run_dir)
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
	l->home = xasprintf("/sys/fs/cgroup%s", self + 3);
}

void logd_cgroup_return(struct logd_cgroup *l)
{
	if (l->cgroup == NULL)
		return;
	cleanup_free char *procs = xasprintf("%s/cgroup.procs", l->home);
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
	free(l->cgroup);
	free(l->home);
	l->cgroup = l->home = NULL;
}

int logd_take_lock(const char *run_dir)
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

int logd_bind_socket(const char *run_dir)
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

void logd_oom_protect(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd == -1)
		return;
	if (write(fd, "-998", 4) != 4)
		log_warn("logd: oom_score_adj");
	close(fd);
}
