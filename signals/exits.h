/*
 * exits.h - containers' exit statuses handed from the daemon that was
 * their parent (an upgraded daemon, then `berth __reaper` in its place)
 * to the daemon in charge, through RUN_DIR/exits/PID. Knows no pod.
 */
#ifndef BERTH_SIGNALS_EXITS_H
#define BERTH_SIGNALS_EXITS_H

#include <sys/types.h>

/* Records pid's wait(2) status. -1 when it could not be written. */
int exits_write(const char *run_dir, pid_t pid, int status);
/* 1 with *status (a wait(2) status) when pid's status was recorded (the
 * record is removed), else 0. */
int exits_take(const char *run_dir, pid_t pid, int *status);
/* Removes every record of a pid not in keep[0..n): a status nobody will
 * read (its pod is gone, or was found gone by a daemon that adopted it).
 * Only names that are pids are touched. Returns how many were removed. */
size_t exits_prune(const char *run_dir, const pid_t *keep, size_t n);
/* Reaps every child that has exited, without waiting; the status of each
 * one listed in pids is recorded before it is reaped, and it leaves the
 * list (order not kept). Returns how many are still listed. */
size_t exits_collect(const char *run_dir, pid_t *pids, size_t n);
/* `berth __reaper RUN_DIR PID...`: waits for the listed children, doing
 * as exits_collect, and returns once none is left. */
int exits_reaper_main(int argc, char **argv);

#endif
