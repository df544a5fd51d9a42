/*
 * upgrade.h - the daemon handing over to a new binary without stopping a
 * pod or dropping a connection (`berth upgrade`, SIGUSR2). See upgrade.c.
 */
#ifndef BERTH_ORCHESTRATOR_UPGRADE_H
#define BERTH_ORCHESTRATOR_UPGRADE_H

#include <stdbool.h>
#include <sys/types.h>

#include "daemon.h"

struct ctl_conn;

/* Records the running binary's path (the default successor); after
 * notify_init(). true when a previous daemon started this one to hand
 * over to it. */
bool upgrade_init(void);
/* The successor's side, once its start no longer depends on state
 * (process, config, runtime, proxy threads): tells the previous daemon it
 * is warm and waits until that one has stopped acting. 0 to go on (also
 * when not started by a hand-over), -1 with err when the previous daemon
 * gave up: exit without touching anything. */
int upgrade_wait_go(struct berr *err);
/*
 * Starts binary (NULL: the path this daemon was started from) as the
 * successor. This daemon serves on while the successor starts; once it is
 * warm, this one stops acting and waits (loop stopped) until it is ready.
 * conn (NULL for SIGUSR2) is answered with the outcome; on success this
 * daemon drains and leaves (upgrade_finish()) from its loop. 0: started,
 * the outcome comes later; -1 with err: nothing was started.
 */
int upgrade_begin(struct daemon *d, const char *binary, struct ctl_conn *conn,
		  struct berr *err);
/* `down`/SIGTERM: a successor still starting is stopped. */
void upgrade_cancel(struct daemon *d);
/* Drains and leaves (exec of the reaper in place, or exit); does not
 * return. Called by upgrade_begin()'s outcome. */
void upgrade_finish(struct daemon *d, const char *binary, pid_t successor)
    __attribute__((noreturn));
/* The successor's side: tells the previous daemon it is ready (when
 * started by one); just before READY=1. */
void upgrade_ready(void);

#endif
