/*
 * reaper.h - the daemon is the child subreaper of its containers: the runtime
 * leaves each container's init process to us, so we learn its exit status
 * without polling. This module reaps every zombie child that libuv does not
 * own (libuv reaps its own uv_spawn children by pid) nor a worker thread
 * waits for (common/child_own.h), and reports each one. It looks before it
 * reaps (waitid WNOWAIT) and never calls waitpid(-1): that would steal
 * libuv's exit callbacks.
 */
#ifndef BERTH_SIGNALS_REAPER_H
#define BERTH_SIGNALS_REAPER_H

#include <sys/types.h>
#include <uv.h>

#include "../common/err.h"

/* status is a wait(2) status. Called from the loop thread. */
typedef void (*reaper_exit_cb)(void *data, pid_t pid, int status);

int reaper_start(uv_loop_t *loop, reaper_exit_cb cb, void *data,
		 struct berr *err);
/* Reaps what has exited now (also done on every SIGCHLD); one waitid
 * call when nothing has. */
void reaper_scan(void);
void reaper_stop(void);

/* Exit status as shells report it: code, or 128 + signal. */
int reaper_exit_code(int status);

#endif
