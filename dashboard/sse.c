/*
 * sse.c - the frame ring, resume points and the per-client write step
 * (sse.h). Pure: no sockets, no clock, no berth objects.
 */
#include "sse.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

void sse_ring_init(struct sse_ring *r, size_t cap, const char *epoch)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap ? cap : 1;
	r->f = xcalloc(r->cap, sizeof(*r->f));
	snprintf(r->epoch, sizeof(r->epoch), "%s", epoch);
}

void sse_ring_free(struct sse_ring *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->f[(r->head + i) % r->cap].text);
	free(r->f);
	memset(r, 0, sizeof(*r));
}

char *sse_format(const struct sse_ring *r, uint64_t id, const char *event,
		 const char *data, size_t *len)
{
	char *text = xasprintf("id: %s-%" PRIu64 "\nevent: %s\ndata: %s\n\n",
			       r->epoch, id, event, data);

	*len = strlen(text);
	return text;
}

uint64_t sse_ring_push(struct sse_ring *r, const char *event, const char *data)
{
	struct sse_frame *slot;

	if (r->n == r->cap) {
		free(r->f[r->head].text);
		r->head = (r->head + 1) % r->cap;
		r->n--;
	}
	slot = &r->f[(r->head + r->n) % r->cap];
	slot->id = ++r->last_id;
	slot->text = sse_format(r, slot->id, event, data, &slot->len);
	r->n++;
	return slot->id;
}

static uint64_t oldest_id(const struct sse_ring *r)
{
	return r->n ? r->f[r->head].id : r->last_id + 1;
}

const struct sse_frame *sse_ring_get(const struct sse_ring *r, uint64_t id)
{
	uint64_t first = oldest_id(r);

	if (r->n == 0 || id < first || id > r->last_id)
		return NULL;
	return &r->f[(r->head + (size_t)(id - first)) % r->cap];
}

int sse_resume_point(const struct sse_ring *r, const char *last_event_id,
		     uint64_t *from)
{
	size_t elen = strlen(r->epoch);
	const char *num;
	char *end;
	unsigned long long v;

	if (last_event_id == NULL || strncmp(last_event_id, r->epoch, elen) ||
	    last_event_id[elen] != '-')
		return -1;
	num = last_event_id + elen + 1;
	if (*num < '0' || *num > '9')
		return -1;
	v = strtoull(num, &end, 10);
	if (*end != '\0' || v > r->last_id || v + 1 < oldest_id(r))
		return -1;
	*from = v;
	return 0;
}

enum sse_step sse_client_next(const struct sse_ring *r, struct sse_client *c,
			      size_t queued, size_t cap,
			      const struct sse_frame **out)
{
	*out = NULL;
	if (queued >= cap)
		return SSE_WAIT;
	if (!c->need_snapshot && c->sent < r->last_id &&
	    sse_ring_get(r, c->sent + 1) == NULL)
		c->need_snapshot = true; /* fell out of the ring */
	if (c->need_snapshot)
		return SSE_SNAPSHOT;
	if (c->sent >= r->last_id)
		return SSE_IDLE;
	*out = sse_ring_get(r, c->sent + 1);
	return SSE_FRAME;
}
