/*
 * upgrade.h - the daemon handing over to a new binary without stopping a
 * pod or dropping a connection (`berth upgrade`, SIGUSR2). See upgrade.c.
 */
#ifndef BERTH_ORCHESTRATOR_UPGRADE_H
#define BERTH_ORCHESTRATOR_UPGRADE_H

#include <stdbool.h>
#include <sys/types.h>

#include "daemon.h"

/* Records the running binary's path (the default successor); after
 * notify_init(). true when a previous daemon started this one to hand
 * over to it. */
bool upgrade_init(void);
/*
 * Starts binary (NULL: the path this daemon was started from) as the
 * successor and waits until it is ready, with this daemon's loop stopped
 * meanwhile. 0 with *pid: call upgrade_finish() once the answer is sent.
 * -1 with err: the successor is gone and this daemon goes on as before.
 */
int upgrade_start(struct daemon *d, const char *binary, pid_t *pid,
		  struct berr *err);
/* Drains and leaves (exec of the reaper in place, or exit); does not
 * return. */
void upgrade_finish(struct daemon *d, const char *binary, pid_t successor)
    __attribute__((noreturn));
/* The successor's side: tells the previous daemon it is ready (when
 * started by one); just before READY=1. */
void upgrade_ready(void);

#endif
