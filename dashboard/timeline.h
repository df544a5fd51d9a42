/*
 * timeline.h - a recorded rollout as timeline.c records it and
 * timeline_store.c keeps it on disk. Not for use outside dashboard/.
 */
#ifndef BERTH_DASHBOARD_TIMELINE_H
#define BERTH_DASHBOARD_TIMELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define TL_MAX_SAMPLES 1200 /* 10 minutes at 500 ms */
#define TL_MAX_EVENTS 200
#define TL_MAX_REVS 4

struct tl_point {
	uint32_t t_ms;
	struct {
		int rev;
		int16_t ready, present;
		float rps, eps; /* requests/s, errors/s (5xx + conn errors) */
	} r[TL_MAX_REVS];
};

struct tl_event {
	uint32_t t_ms;
	bool warning;
	char reason[32];
	char object[96];
	char message[200];
};

struct tl_rec {
	uint64_t complete_ms; /* first sample the rollout was complete, 0 */
	char dep[64];
	char hash[16]; /* the new template's */
	int revision, from;
	int64_t start_wall_ms;
	uint64_t start, done; /* loop ms; done 0: still going */
	uint64_t last_seq;
	bool interrupted; /* the daemon stopped while it was recorded */
	int revs[TL_MAX_REVS];
	char rev_hash[TL_MAX_REVS][16];
	int n_revs;
	struct tl_point *pts; /* TL_MAX_SAMPLES */
	size_t n_pts;
	struct tl_event *evs; /* TL_MAX_EVENTS */
	size_t n_evs;
	bool dirty; /* changed since it was last written */
	char file[320];
};

struct tl_rec *tl_rec_new(void);
void tl_rec_free(struct tl_rec *r);

/* timeline_store.c: the records on disk, STATE_DIR/timelines/NAME.json,
 * one file per record, each written whole (file_write_atomic) on
 * libuv's thread pool; files of records no longer kept are removed
 * there too. */
struct tl_disk;

/* The folder's records into recs (at most max, newest kept), oldest
 * first; returns how many. Reads at most 2 * max files of at most
 * 4 MiB; a file that cannot be read or parsed is logged and skipped.
 * Creates the folder (0700). NULL dir: nothing on disk. */
struct tl_disk *tl_disk_open(uv_loop_t *loop, const char *dir,
			     struct tl_rec **recs, size_t max, size_t *n);
/* Writes every dirty record of recs (and clears its flag), then removes
 * the folder's record files that none of recs names; one job at a time
 * (a call while one runs is done after it). Copies what it needs. */
void tl_disk_save(struct tl_disk *t, struct tl_rec *const *recs, size_t n);
/* Frees t; a job in flight finishes on its own. */
void tl_disk_close(struct tl_disk *t);

/* The record as JSON and back (the file's format). */
json_t *tl_rec_to_json(const struct tl_rec *r);
struct tl_rec *tl_rec_from_json(json_t *o, char *why, size_t why_len);

#endif
