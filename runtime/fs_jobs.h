/*
 * fs_jobs.h - slow filesystem work on libuv's thread pool, so the loop
 * thread never waits for a disk: capping a log file, and removing a whole
 * tree after it has been renamed out of the way. A job works on copies of
 * its arguments and touches nothing but its own files; its error is logged
 * (with the path) from the after-work callback, on the loop thread. Every
 * function here is called on the loop thread. Knows nothing about pods.
 */
#ifndef BERTH_RUNTIME_FS_JOBS_H
#define BERTH_RUNTIME_FS_JOBS_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "../common/err.h"

/* Trash folders are named TRASH_DIR/.trash-LABEL-PID-N. */
#define FS_JOBS_TRASH_PREFIX ".trash-"

/*
 * Queues logs_cap(path, max_bytes) on loop's thread pool. At most one cap
 * per path is in flight: while one runs, a new request is skipped and
 * false is returned. true: queued.
 */
bool fs_jobs_cap_log(uv_loop_t *loop, const char *path, off_t max_bytes);
/* The same with logs_cap_files(path, max_bytes, max_files). */
bool fs_jobs_cap_log_files(uv_loop_t *loop, const char *path, off_t max_bytes,
			   int max_files);

/*
 * Queues rm_rf(path) on loop's thread pool. path must be a name nothing
 * else uses any more (a trash name, see fs_jobs_trash).
 */
void fs_jobs_remove_tree(uv_loop_t *loop, const char *path);

/*
 * Removes path (rm -rf) without waiting for it: renames it at once to a
 * fresh trash name in trash_dir (same filesystem; the name path is free
 * when this returns) and queues the removal on loop's thread pool. A
 * missing path is not an error. When loop is NULL or the rename is not
 * possible (another filesystem, ...), removes path here, synchronously.
 */
int fs_jobs_trash(uv_loop_t *loop, const char *path, const char *trash_dir,
		  struct berr *err);

/* true when a folder entry's name is a trash name. */
bool fs_jobs_is_trash(const char *name);

/* Jobs queued and not finished yet (their after-work callback not run). */
unsigned fs_jobs_pending(void);

#endif
