/*
 * netns.h - sockets created inside another process's network namespace,
 * so a probe or the proxy reaches a network=private pod's own 127.0.0.1.
 * Owns only the setns dance; must not connect or do I/O.
 */
#ifndef BERTH_RUNTIME_NETNS_H
#define BERTH_RUNTIME_NETNS_H

#include <sys/types.h>

#include "../common/err.h"

/*
 * Saves the daemon's own network namespace (the one every thread returns
 * to). Called once before any other thread starts; later calls, from any
 * thread, return at once. 0, or -1 with err set.
 */
int rt_netns_init(struct berr *err);

/*
 * Returns a socket(domain, type, 0) created in the network namespace of
 * pid, or -1 with err set. The calling thread enters that namespace only
 * for the socket() call and is always switched back to the daemon's
 * namespace; other threads are never affected. Add SOCK_CLOEXEC /
 * SOCK_NONBLOCK to type as needed.
 */
int rt_netns_socket(pid_t pid, int domain, int type, struct berr *err);

#endif
