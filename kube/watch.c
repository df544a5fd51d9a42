/*
 * watch.c - watch streams (`kubectl get -w`, informers): each watch keeps
 * the objects its client has seen, compares them with the model every
 * tick and sends ADDED, MODIFIED and DELETED events, one JSON line per
 * chunk, as plain objects or one-row Tables. Reads the model through
 * kube_collect(); changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/xalloc.h"
#include "kobj.h"
#include "kube_internal.h"
#include "table.h"

#define TICK_MS 250
#define DEFAULT_TIMEOUT_S 1800

struct kube_watch {
	struct kube_watch *next;
	struct kube_server *ks;
	struct kube_conn *conn; /* NULL once the client is gone */
	const struct kres *r;
	char *ns;
	struct kube_selector ls, fs;
	bool table, include_object;
	json_t *seen; /* name → object as last sent, without resourceVersion */
	uint64_t deadline_ms;
};

static void watch_free(struct kube_watch *w)
{
	struct kube_watch **pp;

	for (pp = &w->ks->watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	kube_selector_free(&w->ls);
	kube_selector_free(&w->fs);
	json_decref(w->seen);
	free(w->ns);
	free(w);
}

static void watch_client_gone(void *arg)
{
	struct kube_watch *w = arg;

	w->conn = NULL; /* freed at the next tick: we may be inside it */
}

/* The object without its resourceVersion, which moves with any change
 * anywhere: what tells whether this object changed. */
static json_t *comparable(json_t *obj)
{
	json_t *c = json_deep_copy(obj);

	json_object_del(json_object_get(c, "metadata"), "resourceVersion");
	return c;
}

static int send_event(struct kube_watch *w, const char *type, json_t *obj,
		      const struct kube_ctx *k)
{
	json_t *ev, *o;
	char *line;
	int rc;

	json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
			    json_string(k->rv));
	if (w->table) {
		json_t *one = json_pack("[O]", obj);

		o = kube_table(w->r->name, one, w->include_object, k->now_ms,
			       k->rv);
		json_decref(one);
	} else {
		o = json_incref(obj);
	}
	ev = json_pack("{s:s, s:o}", "type", type, "object", o);
	line = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	line = xrealloc(line, strlen(line) + 2);
	strcat(line, "\n");
	rc = kube_stream_write(w->conn, line, strlen(line));
	free(line);
	return rc;
}

/* Sends what changed since the last tick. -1 when the client is gone. */
static int watch_poll(struct kube_watch *w, const struct kube_ctx *k)
{
	json_t *items = kube_collect(w->ks, k, w->r, w->ns, &w->ls, &w->fs);
	json_t *now = json_object(), *obj, *old;
	const char *name;
	size_t i;
	void *tmp;
	int rc = 0;

	json_array_foreach(items, i, obj)
	{
		json_t *cmp = comparable(obj);

		name = json_string_value(kube_path(obj, "metadata.name"));
		if (name == NULL) {
			json_decref(cmp);
			continue;
		}
		old = json_object_get(w->seen, name);
		if (rc == 0 && old == NULL)
			rc = send_event(w, "ADDED", obj, k);
		else if (rc == 0 && !json_equal(old, cmp))
			rc = send_event(w, "MODIFIED", obj, k);
		json_object_set_new(now, name, cmp);
	}
	json_object_foreach_safe(w->seen, tmp, name, old)
	{
		if (rc == 0 && json_object_get(now, name) == NULL) {
			json_t *gone = json_deep_copy(old);

			rc = send_event(w, "DELETED", gone, k);
			json_decref(gone);
		}
	}
	json_decref(items);
	json_decref(w->seen);
	w->seen = now;
	return rc;
}

static void on_tick(uv_timer_t *t)
{
	struct kube_server *ks = t->data;
	struct kube_ctx k;
	uint64_t now = uv_now(t->loop);

	kube_ctx_init(&k, ks->d, ks->ns_created_ms);
	for (struct kube_watch *w = ks->watches, *next; w; w = next) {
		next = w->next;
		if (w->conn && now >= w->deadline_ms) {
			/* The client lists again and watches anew. */
			kube_stream_end(w->conn);
			w->conn = NULL;
		}
		if (w->conn && watch_poll(w, &k) == -1)
			w->conn = NULL; /* its close callback already ran */
		if (w->conn == NULL)
			watch_free(w);
	}
	if (ks->watches == NULL)
		uv_timer_stop(t);
}

void kube_watch_start(struct kube_server *ks, struct kube_conn *c,
		      const struct kube_request *req, const struct kres *r,
		      const char *ns, struct kube_selector *ls,
		      struct kube_selector *fs)
{
	struct kube_watch *w = xcalloc(1, sizeof(*w));
	cleanup_free char *rv = kube_query_get(req, "resourceVersion");
	cleanup_free char *timeout = kube_query_get(req, "timeoutSeconds");
	long secs = timeout ? strtol(timeout, NULL, 10) : 0;
	struct kube_ctx k;

	w->ks = ks;
	w->conn = c;
	w->r = r;
	w->ns = ns ? xstrdup(ns) : NULL;
	w->ls = *ls;
	w->fs = *fs;
	memset(ls, 0, sizeof(*ls));
	memset(fs, 0, sizeof(*fs));
	w->table = kube_wants_table(req);
	w->include_object = kube_include_object(req);
	w->deadline_ms = uv_now(ks->d->loop) +
			 (uint64_t)(secs > 0 ? secs : DEFAULT_TIMEOUT_S) * 1000;
	w->seen = json_object();
	w->next = ks->watches;
	ks->watches = w;
	kube_stream_begin(c, "application/json", watch_client_gone, w);
	kube_ctx_init(&k, ks->d, ks->ns_created_ms);
	if (rv && strcmp(rv, "0")) {
		/* The client has the state of a list it just made; changes
		 * between that list and now are not replayed (berth keeps no
		 * history of objects). */
		json_t *items = kube_collect(ks, &k, r, w->ns, &w->ls, &w->fs);
		json_t *obj;
		size_t i;

		json_array_foreach(items, i, obj)
		{
			const char *name =
			    json_string_value(kube_path(obj, "metadata.name"));

			if (name)
				json_object_set_new(w->seen, name,
						    comparable(obj));
		}
		json_decref(items);
	} else if (watch_poll(w, &k) == -1) {
		w->conn = NULL;
	}
	if (ks->tick_open && !uv_is_active((uv_handle_t *)&ks->tick))
		uv_timer_start(&ks->tick, on_tick, TICK_MS, TICK_MS);
}

void kube_watch_stop_all(struct kube_server *ks)
{
	while (ks->watches) {
		struct kube_watch *w = ks->watches;

		if (w->conn)
			kube_stream_end(w->conn);
		watch_free(w);
	}
}
