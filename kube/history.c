/*
 * history.c - resourceVersions and the recent change history: a snapshot
 * of every object served as last seen, and a bounded ring of the events
 * that moved it. Watches read the ring from the version a client names,
 * so nothing that happened between a list and its watch is lost. Reads
 * the model through kube_collect(); changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "kobj.h"
#include "kube_internal.h"

#define HISTORY_RING 2048

struct hist_event {
	uint64_t rv;
	const struct kres *r;
	const char *type; /* ADDED, MODIFIED, DELETED */
	json_t *obj;	  /* with its resourceVersion */
};

struct kube_history {
	uint64_t head; /* resourceVersion of the last event */
	/* "RESOURCE/NAME" → {"o": object without resourceVersion, "rv": N} */
	json_t *state;
	struct hist_event ring[HISTORY_RING];
	size_t start, n;
	uint64_t floor; /* events after floor are all in the ring */
};

void kube_history_init(struct kube_server *ks)
{
	struct kube_history *h = xcalloc(1, sizeof(*h));

	h->head = (uint64_t)now_ms();
	h->floor = h->head;
	h->state = json_object();
	ks->history = h;
}

void kube_history_free(struct kube_server *ks)
{
	struct kube_history *h = ks->history;

	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		json_decref(h->ring[(h->start + i) % HISTORY_RING].obj);
	json_decref(h->state);
	free(h);
	ks->history = NULL;
}

uint64_t kube_history_head(const struct kube_server *ks)
{
	return ks->history->head;
}

static void set_rv(json_t *obj, uint64_t rv)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)rv);
	json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
			    json_string(buf));
}

static void record(struct kube_history *h, const struct kres *r,
		   const char *type, json_t *obj)
{
	struct hist_event *e;

	if (h->n == HISTORY_RING) {
		e = &h->ring[h->start];
		h->floor = e->rv;
		json_decref(e->obj);
		h->start = (h->start + 1) % HISTORY_RING;
		h->n--;
	}
	e = &h->ring[(h->start + h->n) % HISTORY_RING];
	e->rv = ++h->head;
	e->r = r;
	e->type = type;
	e->obj = json_deep_copy(obj);
	set_rv(e->obj, e->rv);
	h->n++;
}

static void sync_resource(struct kube_server *ks, const struct kube_ctx *k,
			  const struct kres *r)
{
	struct kube_history *h = ks->history;
	json_t *items = kube_collect(ks, k, r, NULL, NULL, NULL);
	json_t *seen = json_object(), *obj, *v;
	const char *key;
	size_t i, plen = strlen(r->name);
	void *tmp;

	json_array_foreach(items, i, obj)
	{
		const char *name =
		    json_string_value(kube_path(obj, "metadata.name"));
		char *id;
		json_t *old, *cmp;

		if (name == NULL)
			continue;
		id = xasprintf("%s/%s", r->name, name);
		cmp = json_deep_copy(obj);
		json_object_del(json_object_get(cmp, "metadata"),
				"resourceVersion");
		old = json_object_get(h->state, id);
		if (old == NULL ||
		    !json_equal(json_object_get(old, "o"), cmp)) {
			record(h, r, old ? "MODIFIED" : "ADDED", cmp);
			json_object_set_new(h->state, id,
					    json_pack("{s:o, s:I}", "o", cmp,
						      "rv",
						      (json_int_t)h->head));
		} else {
			json_decref(cmp);
		}
		json_object_set_new(seen, id, json_true());
		free(id);
	}
	json_decref(items);
	json_object_foreach_safe(h->state, tmp, key, v)
	{
		if (strncmp(key, r->name, plen) || key[plen] != '/' ||
		    json_object_get(seen, key))
			continue;
		record(h, r, "DELETED", json_object_get(v, "o"));
		json_object_del(h->state, key);
	}
	json_decref(seen);
}

void kube_history_sync(struct kube_server *ks, const struct kres *r)
{
	struct kube_ctx k;

	kube_ctx_init(&k, ks->d, ks->ns_created_ms);
	for (size_t i = 0; i < KUBE_N_RESOURCES; i++)
		if (r == NULL || r == &kube_resources[i])
			sync_resource(ks, &k, &kube_resources[i]);
}

void kube_history_stamp(struct kube_server *ks, const struct kres *r,
			json_t *items)
{
	json_t *obj;
	size_t i;

	json_array_foreach(items, i, obj)
	{
		const char *name =
		    json_string_value(kube_path(obj, "metadata.name"));
		char *id = xasprintf("%s/%s", r->name, name ? name : "");
		json_t *s = json_object_get(ks->history->state, id);

		if (s)
			set_rv(obj, (uint64_t)json_integer_value(
					json_object_get(s, "rv")));
		free(id);
	}
}

int kube_history_since(struct kube_server *ks, uint64_t rv,
		       int (*fn)(void *arg, const struct kres *r,
				 const char *type, json_t *obj),
		       void *arg)
{
	struct kube_history *h = ks->history;

	if (rv < h->floor)
		return -1;
	for (size_t i = 0; i < h->n; i++) {
		struct hist_event *e = &h->ring[(h->start + i) % HISTORY_RING];

		if (e->rv <= rv)
			continue;
		if (fn(arg, e->r, e->type, e->obj) == -1)
			return 0;
	}
	return 0;
}
