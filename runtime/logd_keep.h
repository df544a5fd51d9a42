/*
 * logd_keep.h - the daemon's hold on the log collector (logd.h): its
 * connection to the collector, a copy of every container's pipe read
 * ends the collector announces on it, and the collector's replacement.
 * While the daemon holds a copy, a container never writes to a pipe
 * without a reader: when the collector dies (its connection closes) the
 * container only waits once the pipe is full, a new collector is started
 * and handed every pipe with the file it writes to, and what was in the
 * pipes is read by the new one. A daemon started again (after a crash
 * or an upgrade) gets the copies back from the collector running then.
 * Runs on the loop thread; the restart's blocking calls on the thread
 * pool. Knows nothing of pods.
 */
#ifndef BERTH_RUNTIME_LOGD_KEEP_H
#define BERTH_RUNTIME_LOGD_KEEP_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

struct logd_keep;

/* Starts keeping: fd is logd_hello()'s connection, taken over (-1: none
 * yet, a collector is started within a second). */
struct logd_keep *logd_keep_start(uv_loop_t *loop, const char *run_dir, int fd);

/* The reaper's report of a child's end: true when it was the collector
 * (its status then goes into the restart's log line). k may be NULL. */
bool logd_keep_reaped(struct logd_keep *k, pid_t pid, int status);

/* Closes the connection and every copy; freed once its handles and a
 * restart in flight are done (the loop runs on). k may be NULL. */
void logd_keep_stop(struct logd_keep *k);

#endif
