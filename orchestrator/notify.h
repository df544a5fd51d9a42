/*
 * notify.h - what the daemon tells systemd (Type=notify): READY=1 once
 * started, STATUS= with its counts, WATCHDOG=1 from the loop, RELOADING=1
 * around a SIGHUP re-apply, STOPPING=1 at shutdown. Each call is one line
 * in daemon.c; every one does nothing when no NOTIFY_SOCKET was given.
 */
#ifndef BERTH_ORCHESTRATOR_NOTIFY_H
#define BERTH_ORCHESTRATOR_NOTIFY_H

#include "model.h"

/* Reads (and clears from the environment) NOTIFY_SOCKET and the watchdog
 * variables. First thing `berth up` does, before any child is spawned. */
void notify_init(void);
/* Once the proxy runs: hands it the listening sockets passed in
 * (LISTEN_FDS), and keeps every service listener it makes in the service
 * manager's fd store (FDSTORE=1, FDNAME=service-NAME), so a listener
 * outlives a daemon crash and queues connections until the next start. */
void notify_listeners(struct daemon *d);
/* State restored, pods adopted, listeners bound: READY=1 and STATUS=;
 * the first call starts the watchdog and status timers. Also ends a
 * reload. */
void notify_ready(struct daemon *d);
/* A SIGHUP re-apply begins: RELOADING=1 with MONOTONIC_USEC=. */
void notify_reloading(struct daemon *d);
/* Every pod is being stopped: STOPPING=1, and EXTEND_TIMEOUT_USEC= so
 * that the longest grace period fits in the stop timeout. */
void notify_stopping(struct daemon *d);

#endif
