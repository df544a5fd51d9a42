/*
 * netns_socket.h - sockets created inside another process's network
 * namespace, so a probe of a network=private pod dials that pod's own
 * 127.0.0.1. Owns only the setns dance; must not connect or do I/O.
 */
#ifndef BERTH_PROBES_NETNS_SOCKET_H
#define BERTH_PROBES_NETNS_SOCKET_H

#include <sys/types.h>

#include "../common/err.h"

/*
 * Returns a socket(domain, type, 0) created in the network namespace of
 * pid, or -1 with err set. The calling thread enters that namespace only
 * for the socket() call and is always switched back to the namespace it
 * had when this was first called (saved from /proc/thread-self/ns/net);
 * other threads are never affected. Add SOCK_CLOEXEC/SOCK_NONBLOCK to type
 * as needed.
 */
int probe_netns_socket(pid_t pid, int domain, int type, struct berr *err);

#endif
