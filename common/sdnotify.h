/*
 * sdnotify.h - the sender half of systemd's notify protocol: one datagram
 * per message to the socket named by $NOTIFY_SOCKET, and the watchdog
 * interval from $WATCHDOG_USEC/$WATCHDOG_PID. No libsystemd. Leaf: libc
 * only; knows nothing of what the messages say.
 */
#ifndef BERTH_COMMON_SDNOTIFY_H
#define BERTH_COMMON_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID and LISTEN_PID,
 * LISTEN_FDS, LISTEN_FDNAMES (or, from a daemon handing over to this
 * one, BERTH_HANDOVER_FDS: the names of fds 3... alone), then removes them
 * from the environment so that no child inherits them (runc treats an
 * inherited NOTIFY_SOCKET as the container's own). Returns whether a
 * service manager is listening. Call once, before the first child.
 */
bool sdnotify_init(void);
/* Whether sdnotify_init() found a socket. */
bool sdnotify_enabled(void);
/* The watchdog interval meant for this process, in µs; 0 if none. */
uint64_t sdnotify_watchdog_usec(void);
/*
 * Sends msg ("READY=1", several NAME=VALUE lines separated by '\n') as one
 * datagram. 0 when sent or when nobody listens, -1 with errno set.
 */
int sdnotify_send(const char *msg);
/*
 * As sdnotify_send, with n descriptors attached (SCM_RIGHTS), as
 * "FDSTORE=1\nFDNAME=..." needs them: the service manager keeps a copy
 * and hands it back to the next start through LISTEN_FDS.
 */
int sdnotify_send_fds(const char *msg, const int *fds, size_t n);

/* Passed descriptors are SDNOTIFY_LISTEN_START, +1, ... */
#define SDNOTIFY_LISTEN_START 3
#define SDNOTIFY_LISTEN_MAX 256
/*
 * The descriptors sdnotify_init() found passed in (LISTEN_PID naming this
 * process, LISTEN_FDS, LISTEN_FDNAMES: socket activation or the fd store
 * giving back what it held), already close-on-exec; their names in
 * *names ("" when none was given). Returns how many.
 */
size_t sdnotify_listen_fds(const char *const **names);

/*
 * Takes the passed descriptor named name (LISTEN_FDNAMES, or
 * BERTH_HANDOVER_FDS from a daemon handing over to this one, read the
 * same way): its number, or -1. A taken one is listed as "-taken-".
 */
int sdnotify_listen_take(const char *name);
/* NOTIFY_SOCKET as it was (for a successor's environment), or NULL. */
const char *sdnotify_socket_name(void);

/* CLOCK_MONOTONIC in µs, for MONOTONIC_USEC=. */
uint64_t sdnotify_monotonic_usec(void);

#endif
