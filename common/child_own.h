/*
 * child_own.h - children started by a worker thread (posix_spawn there,
 * waited for there), which the SIGCHLD reaper must leave alone. The
 * worker spawns and records under one lock; the reaper checks under the
 * same lock before it reaps. Owns only that set of pids.
 */
#ifndef BERTH_COMMON_CHILD_OWN_H
#define BERTH_COMMON_CHILD_OWN_H

#include <stdbool.h>
#include <sys/types.h>

void child_own_lock(void);
/* false: a worker holds it (spawning); the loop must not wait. */
bool child_own_trylock(void);
void child_own_unlock(void);
/* With the lock held. */
void child_own_add(pid_t pid);
bool child_own_has(pid_t pid);
/* Takes the lock itself. */
void child_own_remove(pid_t pid);

#endif
