/*
 * sdnotify.c - systemd's notify protocol, sender side (sd_notify(3)
 * without libsystemd): $NOTIFY_SOCKET is a unix datagram socket, a path
 * or, with a leading '@', an abstract name. Owns the socket address and
 * the watchdog interval read at start-up; must not decide what to send.
 */
#include "sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "strutil.h"

static struct sockaddr_un addr;
static socklen_t addr_len; /* 0: no service manager */
static uint64_t watchdog_usec;

static void read_socket(const char *name)
{
	size_t n;

	if (name == NULL || (name[0] != '/' && name[0] != '@'))
		return;
	n = strlen(name);
	if (n >= sizeof(addr.sun_path))
		return;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, name, n);
	/* An abstract name starts with a NUL byte and has no terminator:
	 * its length is exactly the bytes given. */
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			       (name[0] == '/'));
}

static void read_watchdog(const char *usec, const char *pid)
{
	long long v, p;

	if (usec == NULL || str_parse_ll(usec, &v) == -1 || v <= 0)
		return;
	/* WATCHDOG_PID names the process the interval is for. */
	if (pid != NULL && (str_parse_ll(pid, &p) == -1 || p != getpid()))
		return;
	watchdog_usec = (uint64_t)v;
}

bool sdnotify_init(void)
{
	read_socket(getenv("NOTIFY_SOCKET"));
	read_watchdog(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"));
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return addr_len != 0;
}

bool sdnotify_enabled(void)
{
	return addr_len != 0;
}

uint64_t sdnotify_watchdog_usec(void)
{
	return addr_len ? watchdog_usec : 0;
}

int sdnotify_send(const char *msg)
{
	ssize_t n;
	int fd, saved;

	if (addr_len == 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (const struct sockaddr *)&addr, addr_len);
	saved = errno;
	close(fd);
	errno = saved;
	return n == -1 ? -1 : 0;
}

uint64_t sdnotify_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
