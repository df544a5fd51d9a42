/*
 * logs_read.h - reading a container's log back, as `kubectl logs` shows
 * it: the kept files of one run (LOG.N-1 ... LOG.1, LOG) rendered from
 * the CRI format (cri_log.h) to the text the container wrote, optionally
 * with each line's time (--timestamps), from a time on (--since), its
 * last lines (--tail), and followed (-f) across rotations. Files written
 * before the collector (the container wrote the text itself) are read as
 * plain text. Reading blocks: the daemon queues it on libuv's thread pool
 * (logs_reader_queue); one read of a reader at a time.
 */
#ifndef BERTH_RUNTIME_LOGS_READ_H
#define BERTH_RUNTIME_LOGS_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct logs_view {
	bool timestamps;  /* each line starts with its RFC 3339 time */
	int64_t since_ns; /* only lines from then on (0: all) */
	long tail;	  /* the last N lines (-1: all) */
	size_t max_bytes; /* at most the newest this many (0: no limit) */
};

struct logs_reader;

/* path: the live file (LOG), or the previous run's (LOG.previous). */
struct logs_reader *logs_reader_new(const char *path,
				    const struct logs_view *view, bool follow);
/* The first call: what the kept files hold (view applied); each later
 * one (follow): what was written since, across rotations. *out is
 * malloc'd (NUL-terminated). Blocking. */
void logs_reader_next(struct logs_reader *r, char **out, size_t *len);
void logs_reader_free(struct logs_reader *r);

/* text is the callback's to free. */
typedef void (*logs_reader_cb)(void *data, char *text, size_t len);
/* logs_reader_next on loop's thread pool; cb on the loop thread. The
 * reader must not be used or freed until cb ran. -1: not queued. */
int logs_reader_queue(uv_loop_t *loop, struct logs_reader *r, logs_reader_cb cb,
		      void *data);

/* "5s", "2m", "3h", "1h30m" (Go's durations, as kubectl --since) in ns;
 * -1 when malformed or not positive. */
int logs_parse_duration(const char *s, int64_t *ns);

#endif
