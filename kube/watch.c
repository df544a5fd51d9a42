/*
 * watch.c - watch streams (`kubectl get -w`, `delete`'s wait, informers):
 * each watch sends, one JSON line per chunk, the events of history.c
 * after the resourceVersion it started from that match its namespace and
 * selectors, as plain objects or one-row Tables. Reads the model through
 * history.c and kube_collect(); changes nothing.
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
	uint64_t rv; /* events after this one are still to send */
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
	free(w->ns);
	free(w);
}

static void watch_client_gone(void *arg)
{
	struct kube_watch *w = arg;

	w->conn = NULL; /* freed at the next tick: we may be inside it */
}

static int send_line(struct kube_watch *w, json_t *ev)
{
	char *line = json_dumps(ev, JSON_COMPACT);
	size_t n = strlen(line);
	int rc;

	line = xrealloc(line, n + 2);
	line[n] = '\n';
	line[n + 1] = '\0';
	rc = kube_stream_write(w->conn, line, n + 1);
	free(line);
	if (rc == -1)
		w->conn = NULL;
	return rc;
}

static int send_event(void *arg, const struct kres *r, const char *type,
		      json_t *obj)
{
	struct kube_watch *w = arg;
	const char *ns =
	    json_string_value(kube_path(obj, "metadata.namespace"));
	json_t *o, *ev;
	int rc;

	if (w->conn == NULL)
		return -1;
	if (r != w->r || (w->ns && (ns == NULL || strcmp(ns, w->ns))) ||
	    !kube_selector_matches(&w->ls, obj) ||
	    !kube_selector_matches(&w->fs, obj))
		return 0;
	if (w->table) {
		json_t *one = json_pack("[O]", obj);

		o = kube_table(r->name, one, w->include_object, now_ms(),
			       json_string_value(
				   kube_path(obj, "metadata.resourceVersion")));
		json_decref(one);
	} else {
		o = json_incref(obj);
	}
	ev = json_pack("{s:s, s:o}", "type", type, "object", o);
	rc = send_line(w, ev);
	json_decref(ev);
	return rc;
}

/* The version asked for is gone from the history: 410, as the apiserver
 * answers; the client lists again. */
static void send_expired(struct kube_watch *w, uint64_t rv)
{
	char msg[128];
	json_t *ev;

	snprintf(msg, sizeof(msg), "too old resource version: %llu (%llu)",
		 (unsigned long long)rv,
		 (unsigned long long)kube_history_head(w->ks));
	ev = json_pack("{s:s, s:o}", "type", "ERROR", "object",
		       kube_status(410, "Expired", msg, NULL, NULL));
	send_line(w, ev);
	json_decref(ev);
	if (w->conn) {
		kube_stream_end(w->conn);
		w->conn = NULL;
	}
}

static void watch_catch_up(struct kube_watch *w)
{
	if (w->conn == NULL)
		return;
	if (kube_history_since(w->ks, w->rv, send_event, w) == -1) {
		send_expired(w, w->rv);
		return;
	}
	w->rv = kube_history_head(w->ks);
}

static void on_tick(uv_timer_t *t)
{
	struct kube_server *ks = t->data;
	uint64_t now = uv_now(t->loop);

	for (size_t i = 0; i < KUBE_N_RESOURCES; i++) {
		const struct kres *r = &kube_resources[i];

		for (struct kube_watch *w = ks->watches; w; w = w->next) {
			if (w->r == r) {
				kube_history_sync(ks, r);
				break;
			}
		}
	}
	for (struct kube_watch *w = ks->watches, *next; w; w = next) {
		next = w->next;
		watch_catch_up(w);
		if (w->conn && now >= w->deadline_ms) {
			/* The client lists again and watches anew. */
			kube_stream_end(w->conn);
			w->conn = NULL;
		}
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
	w->next = ks->watches;
	ks->watches = w;
	kube_stream_begin(c, "application/json", watch_client_gone, w);
	kube_history_sync(ks, r);
	if (rv == NULL || rv[0] == '\0' || !strcmp(rv, "0")) {
		/* No version: the current state first, as ADDED. */
		struct kube_ctx k;
		json_t *items, *obj;
		size_t i;

		kube_ctx_init(&k, ks->d, ks->ns_created_ms);
		items = kube_collect(ks, &k, r, w->ns, &w->ls, &w->fs);
		kube_history_stamp(ks, r, items);
		json_array_foreach(items, i, obj)
		{
			if (send_event(w, r, "ADDED", obj) == -1)
				break;
		}
		json_decref(items);
		w->rv = kube_history_head(ks);
	} else {
		char *end;
		unsigned long long v = strtoull(rv, &end, 10);

		if (*end) {
			send_expired(w, 0);
		} else {
			/* A version from the future (another daemon's
			 * run): from now on. */
			w->rv = v > kube_history_head(ks)
				    ? kube_history_head(ks)
				    : (uint64_t)v;
			watch_catch_up(w);
		}
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
