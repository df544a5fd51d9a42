/*
 * fdlimit.c - the file-descriptor budget (see fdlimit.h). Owns no state
 * beyond what getrlimit returns; must not log or allocate.
 */
#include "fdlimit.h"

#include <errno.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>

long fdlimit_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t old = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = old;
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

long fdlimit_soft(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

long fdlimit_reserve(void)
{
	long r = fdlimit_soft() / 8;

	if (r < 64)
		r = 64;
	if (r > 1024)
		r = 1024;
	return r;
}

bool fdlimit_low(int fd)
{
	return (long)fd + 1 > fdlimit_soft() - fdlimit_reserve();
}

int fdlimit_accept(int listen_fd, bool *full)
{
	int fd;

	*full = false;
	do
		fd = accept4(listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		*full = errno == EMFILE || errno == ENFILE ||
			errno == ENOBUFS || errno == ENOMEM;
	return fd;
}
