/*
 * netns_socket.c - socket() inside a pod's network namespace via setns().
 * Owns the saved descriptor of the daemon's own namespace; must not touch
 * any other namespace type or keep the thread outside its own netns.
 */
#include "netns_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"

/* The namespace every probe socket returns to; opened once. */
static int home_ns_fd = -1;

static int home_ns(struct berr *err)
{
	if (home_ns_fd >= 0)
		return home_ns_fd;
	home_ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_ns_fd == -1)
		return berr_errno(err, errno, "open /proc/thread-self/ns/net");
	return home_ns_fd;
}

int probe_netns_socket(pid_t pid, int domain, int type, struct berr *err)
{
	char path[64];
	cleanup_close int ns = -1;
	int home, fd, saved;

	home = home_ns(err);
	if (home == -1)
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
	if (setns(home, CLONE_NEWNET) == -1)
		fatalx("cannot return to the daemon's network namespace: %s",
		       strerror(errno));
	if (fd == -1)
		return berr_errno(err, saved, "socket in %s", path);
	return fd;
}
