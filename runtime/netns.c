/*
 * netns.c - socket() inside a pod's network namespace via setns().
 * Owns the saved descriptor of the daemon's own namespace, opened exactly
 * once (pthread_once) so the loop and proxy threads never race on it; must
 * not touch any other namespace type or keep a thread outside its netns.
 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"

/* Written once under home_once, read-only afterwards. */
static int home_ns_fd = -1;
static int home_ns_errno;
static pthread_once_t home_once = PTHREAD_ONCE_INIT;

static void open_home(void)
{
	home_ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_ns_fd == -1)
		home_ns_errno = errno;
}

int rt_netns_init(struct berr *err)
{
	pthread_once(&home_once, open_home);
	if (home_ns_fd == -1)
		return berr_errno(err, home_ns_errno,
				  "open /proc/thread-self/ns/net");
	return 0;
}

int rt_netns_socket(pid_t pid, int domain, int type, struct berr *err)
{
	char path[64];
	cleanup_close int ns = -1;
	int fd, saved;

	if (rt_netns_init(err) == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns == -1)
		return berr_errno(err, errno, "open %s", path);
	if (setns(ns, CLONE_NEWNET) == -1)
		return berr_errno(err, errno, "setns %s", path);
	fd = socket(domain, type, 0);
	saved = errno;
	/*
	 * A thread left in the pod's namespace would silently open every
	 * later socket (listeners, proxy backends) there: never go on.
	 */
	if (setns(home_ns_fd, CLONE_NEWNET) == -1)
		fatalx("cannot return to the daemon's network namespace: %s",
		       strerror(errno));
	if (fd == -1)
		return berr_errno(err, saved, "socket in %s", path);
	return fd;
}
