/*
 * logs.h - per-pod log files. The log collector (logd.h) writes LOG in
 * the CRI format and rotates it (logs_rotate) before a record would pass
 * the cap. A container started before the collector existed writes LOG
 * itself (O_APPEND, plain text): when that file grows past the cap its
 * content moves to LOG.1 and LOG starts over (logs_cap_files, polled).
 * Before a restarted container starts, LOG and LOG.1 become
 * LOG.previous[.1] (`logs --previous`).
 */
#ifndef BERTH_RUNTIME_LOGS_H
#define BERTH_RUNTIME_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../common/err.h"

#define LOGS_DEFAULT_MAX_BYTES (10 * 1024 * 1024)
#define LOGS_DEFAULT_MAX_FILES 5 /* the live file included, as the kubelet */
#define LOGS_MAX_FILES 100

/* Rotates path when it is larger than max_bytes; a missing path is not an
 * error. Blocking: the daemon runs it on the thread pool
 * (fs_jobs_cap_log), never on its loop thread. Thread-safe. */
int logs_cap(const char *path, off_t max_bytes, struct berr *err);
/* The same, keeping max_files files in all (LOG, LOG.1 ... LOG.N-1, N >=
 * 2): older parts move up one, the oldest is removed. */
int logs_cap_files(const char *path, off_t max_bytes, int max_files,
		   struct berr *err);
/* The log collector's rotation (logd.c): LOG.K -> LOG.K+1 (the oldest,
 * LOG.max_files-1, removed), then LOG -> LOG.1. Missing files are not an
 * error. */
int logs_rotate(const char *path, int max_files, struct berr *err);
/* A log file whose writer died in the middle of a record (the log
 * collector killed inside a write): fd (opened for reading and writing)
 * is cut back to just after its last newline, so the next record starts
 * a line. Returns the bytes cut (0 when it ends with a newline or is
 * empty), -1 with err. */
off_t logs_cut_partial(int fd, struct berr *err);
/* true when text (a file's first bytes) starts with a CRI record
 * (cri_log.h); false for plain text a container wrote itself. */
bool logs_is_cri(const char *text, size_t len);
/* Reads the last max_bytes of LOG.1 + LOG into a malloc'd buffer. */
char *logs_read(const char *path, size_t max_bytes, size_t *len);

/* The last n lines of text[0..*len) (n < 0: all of it); *len becomes
 * their length. */
const char *logs_tail_lines(const char *text, size_t *len, long n);
/* LOG.previous: the output of the container instance before the last
 * restart (read it with logs_read). free() it. */
char *logs_previous_path(const char *path);
/* Moves LOG (and LOG.1) to LOG.previous (and LOG.previous.1), replacing
 * what was there; call it only while no container writes LOG. Missing
 * files are not an error. */
int logs_keep_previous(const char *path, struct berr *err);

#endif
