/*
 * sdnotify.c - systemd's notify protocol, sender side (sd_notify(3)
 * without libsystemd): $NOTIFY_SOCKET is a unix datagram socket, a path
 * or, with a leading '@', an abstract name. Owns the socket address, the
 * watchdog interval and the descriptors passed in (LISTEN_FDS: socket
 * activation, or the fd store handing back what it held;
 * BERTH_HANDOVER_FDS: a daemon handing over to this one) read at
 * start-up; must not decide what to send.
 */
#include "sdnotify.h"

#include <errno.h>
#include <fcntl.h>
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
static size_t n_listen;
static char **listen_names;
static char *socket_name; /* NOTIFY_SOCKET as read, for a successor */

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

/* n descriptors from 3 on, named by names (':'-separated; may be NULL),
 * made close-on-exec at once, so no child inherits them. */
static void take_fds(size_t n, const char *names)
{
	const char *s = names;

	n_listen = n;
	listen_names = calloc(n_listen, sizeof(*listen_names));
	for (size_t i = 0; i < n_listen; i++) {
		size_t len = s ? strcspn(s, ":") : 0;

		fcntl(SDNOTIFY_LISTEN_START + (int)i, F_SETFD, FD_CLOEXEC);
		if (listen_names)
			listen_names[i] = strndup(s ? s : "", len);
		if (s)
			s = s[len] ? s + len + 1 : NULL;
	}
}

/* sd_listen_fds(3): LISTEN_PID must be ours. */
static void read_listen_fds(const char *pid, const char *fds, const char *names)
{
	long long p, n;

	if (pid == NULL || fds == NULL || str_parse_ll(pid, &p) == -1 ||
	    p != getpid() || str_parse_ll(fds, &n) == -1 || n <= 0 ||
	    n > SDNOTIFY_LISTEN_MAX)
		return;
	take_fds((size_t)n, names);
}

/* BERTH_HANDOVER_FDS: the ':'-separated names of the descriptors (3, 4,
 * ...) a daemon passed to the successor it started (an upgrade). No pid
 * check: the variable is set for that child alone. */
static void read_handover_fds(const char *names)
{
	size_t n = 1;

	if (names == NULL || names[0] == '\0' || listen_names != NULL)
		return;
	for (const char *c = names; *c; c++)
		n += *c == ':';
	if (n <= SDNOTIFY_LISTEN_MAX)
		take_fds(n, names);
}

bool sdnotify_init(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");

	read_socket(sock);
	if (sock && addr_len)
		socket_name = strdup(sock);
	read_watchdog(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"));
	read_listen_fds(getenv("LISTEN_PID"), getenv("LISTEN_FDS"),
			getenv("LISTEN_FDNAMES"));
	read_handover_fds(getenv("BERTH_HANDOVER_FDS"));
	unsetenv("BERTH_HANDOVER_FDS");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return addr_len != 0;
}

size_t sdnotify_listen_fds(const char *const **names)
{
	if (names)
		*names = (const char *const *)listen_names;
	return listen_names ? n_listen : 0;
}

int sdnotify_listen_take(const char *name)
{
	for (size_t i = 0; listen_names && i < n_listen; i++) {
		if (listen_names[i] == NULL || strcmp(listen_names[i], name))
			continue;
		/* taken: listed under a name nothing asks for */
		free(listen_names[i]);
		listen_names[i] = strdup("-taken-");
		return SDNOTIFY_LISTEN_START + (int)i;
	}
	return -1;
}

const char *sdnotify_socket_name(void)
{
	return addr_len ? socket_name : NULL;
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

int sdnotify_send_fds(const char *msg, const int *fds, size_t n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * SDNOTIFY_LISTEN_MAX)];
	} u;
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = strlen(msg)};
	struct msghdr mh;
	ssize_t r;
	int fd, saved;

	if (addr_len == 0)
		return 0;
	if (n == 0 || n > SDNOTIFY_LISTEN_MAX)
		return sdnotify_send(msg);
	memset(&u, 0, sizeof(u));
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &addr;
	mh.msg_namelen = addr_len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, sizeof(int) * n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	r = sendmsg(fd, &mh, MSG_NOSIGNAL);
	saved = errno;
	close(fd);
	errno = saved;
	return r == -1 ? -1 : 0;
}

uint64_t sdnotify_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
