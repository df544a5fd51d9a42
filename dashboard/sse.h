/*
 * sse.h - the Server-Sent Events side of the dashboard without any I/O:
 * a bounded ring of formatted frames with sequence ids, where a
 * reconnecting client resumes (Last-Event-ID), and the per-client step
 * that bounds what is queued for a slow client. Knows no sockets and no
 * berth objects.
 */
#ifndef BERTH_DASHBOARD_SSE_H
#define BERTH_DASHBOARD_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sse_frame {
	uint64_t id;
	char *text; /* "id: EPOCH-N\nevent: E\ndata: D\n\n" */
	size_t len;
};

struct sse_ring {
	struct sse_frame *f;
	size_t cap, head, n; /* head: index of the oldest frame */
	uint64_t last_id;    /* 0: nothing pushed yet */
	char epoch[17];	     /* this daemon's run: ids of another run differ */
};

void sse_ring_init(struct sse_ring *r, size_t cap, const char *epoch);
void sse_ring_free(struct sse_ring *r);
/* Appends a frame (data is one line of JSON), dropping the oldest when
 * full. Returns its id. */
uint64_t sse_ring_push(struct sse_ring *r, const char *event, const char *data);
/* The frame with this id, NULL when it was dropped or never existed. */
const struct sse_frame *sse_ring_get(const struct sse_ring *r, uint64_t id);
/* Formats a frame with id last_id (a snapshot is "as of" the last frame). */
char *sse_format(const struct sse_ring *r, uint64_t id, const char *event,
		 const char *data, size_t *len);

/*
 * Where a client that sent Last-Event-ID (NULL: none) starts: 0 and *from
 * set when every frame after it is still in the ring, -1 when it needs a
 * snapshot (no id, another run's id, an id too old or from the future).
 */
int sse_resume_point(const struct sse_ring *r, const char *last_event_id,
		     uint64_t *from);

struct sse_client {
	uint64_t sent; /* frames up to this id are written */
	bool need_snapshot;
};

enum sse_step {
	SSE_IDLE,     /* up to date */
	SSE_WAIT,     /* cap bytes already queued: write nothing now */
	SSE_SNAPSHOT, /* write a snapshot, then sent = last_id */
	SSE_FRAME,    /* write *out, then sent = out->id */
};

/* The next thing to write to a client with queued bytes not yet taken by
 * the kernel. A client whose next frame left the ring gets a snapshot. */
enum sse_step sse_client_next(const struct sse_ring *r, struct sse_client *c,
			      size_t queued, size_t cap,
			      const struct sse_frame **out);

#endif
