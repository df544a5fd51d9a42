/* test_dashboard_sse.c - the dashboard's frame ring, Last-Event-ID resume
 * points and the per-client step that bounds a slow client's queue. */
#include <stdlib.h>

#include "../../dashboard/sse.h"
#include "../lib/tap.h"

static void push_n(struct sse_ring *r, int n)
{
	for (int i = 0; i < n; i++)
		sse_ring_push(r, "state", "{\"n\":1}");
}

int main(void)
{
	struct sse_ring r;
	struct sse_client c = {0};
	const struct sse_frame *f;
	uint64_t from = 99;

	sse_ring_init(&r, 4, "abc");
	ok(sse_resume_point(&r, NULL, &from) == -1, "no id: snapshot");
	ok(sse_resume_point(&r, "abc-0", &from) == 0 && from == 0,
	   "id 0 of this run on an empty ring: resume from the start");
	push_n(&r, 3);
	f = sse_ring_get(&r, 2);
	ok(f && f->id == 2, "frame 2 is kept");
	is_str(f ? f->text : NULL,
	       "id: abc-2\nevent: state\ndata: {\"n\":1}\n\n",
	       "a frame carries its run and sequence id");
	ok(sse_resume_point(&r, "abc-2", &from) == 0 && from == 2,
	   "resume after frame 2");
	ok(sse_resume_point(&r, "xyz-2", &from) == -1,
	   "another run's id: snapshot");
	ok(sse_resume_point(&r, "abc-7", &from) == -1,
	   "an id from the future: snapshot");
	ok(sse_resume_point(&r, "abc-2x", &from) == -1, "garbage: snapshot");
	ok(sse_resume_point(&r, "abc--1", &from) == -1, "negative: snapshot");
	push_n(&r, 3); /* ids 4..6; the ring keeps 3..6 */
	ok(sse_ring_get(&r, 2) == NULL, "frame 2 was dropped");
	ok(sse_ring_get(&r, 3) != NULL && sse_ring_get(&r, 6) != NULL,
	   "frames 3..6 are kept");
	ok(sse_resume_point(&r, "abc-2", &from) == 0 && from == 2,
	   "after 2: every later frame (3..6) is still there");
	ok(sse_resume_point(&r, "abc-1", &from) == -1,
	   "after 1: frame 2 is gone, so a snapshot");

	/* the write step */
	c.sent = 3;
	is_int(sse_client_next(&r, &c, 0, 100, &f), SSE_FRAME,
	       "behind: the next frame");
	ok(f && f->id == 4, "and it is frame 4");
	is_int(sse_client_next(&r, &c, 100, 100, &f), SSE_WAIT,
	       "queue at the cap: nothing more is queued");
	ok(f == NULL, "no frame while waiting");
	c.sent = 6;
	is_int(sse_client_next(&r, &c, 0, 100, &f), SSE_IDLE, "up to date");
	c.sent = 1;
	is_int(sse_client_next(&r, &c, 0, 100, &f), SSE_SNAPSHOT,
	       "fell out of the ring while waiting: a snapshot");
	ok(c.need_snapshot, "and it stays owed until written");
	c.sent = r.last_id;
	c.need_snapshot = false;
	push_n(&r, 1000);
	is_int(sse_client_next(&r, &c, 50, 100, &f), SSE_SNAPSHOT,
	       "a client 1000 frames behind gets one snapshot, not 1000");
	sse_ring_free(&r);
	return tap_done();
}
