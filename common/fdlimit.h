/*
 * fdlimit.h - the process's file-descriptor budget: raising the soft
 * RLIMIT_NOFILE to the hard one at start, the reserve kept free for the
 * control socket, probes and runc, and accept(2) that tells a full fd
 * table apart from other failures. Leaf: libc only.
 */
#ifndef BERTH_COMMON_FDLIMIT_H
#define BERTH_COMMON_FDLIMIT_H

#include <stdbool.h>

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit
 * in force afterwards. Never fails (a refusal keeps the old limit). */
long fdlimit_raise(void);

/* The soft RLIMIT_NOFILE now (1024 when it cannot be read). */
long fdlimit_soft(void);

/* Descriptors kept free for the control socket, probes, runc and state
 * files: an eighth of the limit, at least 64, at most 1024. */
long fdlimit_reserve(void);

/* Whether a descriptor numbered fd leaves less than the reserve free.
 * Linux hands out the lowest free number, so every number below fd is in
 * use: fd + 1 descriptors are open at least. Free numbers below the
 * highest open one make this an underestimate, but they are handed out
 * first, so the check catches up as the table fills; a table full anyway
 * shows as EMFILE, which accepting handles by pausing. */
bool fdlimit_low(int fd);

/* accept4(listen_fd, SOCK_NONBLOCK | SOCK_CLOEXEC): the new descriptor,
 * or -1 with errno set. *full is set when the failure is EMFILE, ENFILE,
 * ENOBUFS or ENOMEM (the caller should stop accepting for a moment). */
int fdlimit_accept(int listen_fd, bool *full);

#endif
