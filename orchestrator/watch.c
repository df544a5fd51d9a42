/*
 * watch.c - streams documents to watching control connections. Owns the
 * watcher list; builds documents through view.c, never mutates objects.
 */
#include "watch.h"

#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "ctl_server.h"
#include "events.h"
#include "view.h"

#define WATCH_COALESCE_MS 20

static void watcher_free(struct watcher *w)
{
	free(w->last_sent);
	free(w);
}

/* The connection's close callback: the last moment w->conn is valid. A
 * watcher already unlinked from the list is freed here. */
static void watcher_gone(void *arg)
{
	struct watcher *w = arg;

	w->dead = true;
	w->conn = NULL;
	if (w->unlinked)
		watcher_free(w);
}

static json_t *document(struct daemon *d, enum watch_kind kind)
{
	switch (kind) {
	case WATCH_PODS:
		return view_pods(d);
	case WATCH_DEPLOYMENTS:
		return view_deployments(d);
	case WATCH_SERVICES:
		return view_services(d);
	case WATCH_EVENTS:
		break;
	}
	return NULL;
}

/* Documents hold age_seconds, which changes every second; a watch
 * compares documents without it so it prints only real changes. */
static char *compare_key(json_t *doc)
{
	json_t *copy = json_deep_copy(doc);
	const char *key;
	json_t *arr, *item;
	size_t i;
	char *text;

	json_object_foreach(copy, key, arr)
	{
		json_array_foreach(arr, i, item)
		    json_object_del(item, "age_seconds");
	}
	text = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	return text;
}

static void send_line(struct watcher *w, json_t *doc, bool dedup)
{
	char *key = dedup ? compare_key(doc) : NULL;
	char *text;
	size_t len;

	if (key && w->last_sent && !strcmp(w->last_sent, key)) {
		free(key);
		return;
	}
	text = json_dumps(doc, JSON_COMPACT);
	if (text == NULL) {
		free(key);
		return;
	}
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len] = '\n';
	text[len + 1] = '\0';
	if (ctl_stream_write(w->conn, text, len + 1) == -1)
		w->dead = true;
	free(text);
	if (key) {
		free(w->last_sent);
		w->last_sent = key;
	}
}

static void flush_kind(struct daemon *d, enum watch_kind kind)
{
	json_t *doc = NULL;

	for (struct watcher *w = d->watchers; w; w = w->next) {
		if (w->dead || w->kind != (int)kind)
			continue;
		if (kind == WATCH_EVENTS) {
			json_t *arr = events_json(d, w->event_seq);

			w->event_seq = d->event_seq;
			if (json_array_size(arr) > 0) {
				json_t *one = json_pack("{s:o}", "events", arr);

				send_line(w, one, false);
				json_decref(one);
			} else {
				json_decref(arr);
			}
			continue;
		}
		if (doc == NULL)
			doc = document(d, kind);
		send_line(w, doc, true);
	}
	json_decref(doc);
}

static void reap_dead(struct daemon *d)
{
	struct watcher **pp = &d->watchers;

	while (*pp) {
		struct watcher *w = *pp;

		if (w->dead) {
			*pp = w->next;
			if (w->conn) {
				/* freed by watcher_gone once it closes */
				struct ctl_conn *c = w->conn;

				w->unlinked = true;
				ctl_stream_end(c);
			} else {
				watcher_free(w);
			}
		} else {
			pp = &w->next;
		}
	}
}

static void on_watch_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;

	for (int k = 0; k < 4; k++) {
		if (!d->watch_dirty[k])
			continue;
		d->watch_dirty[k] = false;
		flush_kind(d, (enum watch_kind)k);
	}
	reap_dead(d);
}

void watch_init(struct daemon *d)
{
	uv_timer_init(d->loop, &d->watch_timer);
	d->watch_timer.data = d;
}

void watch_mark(struct daemon *d, enum watch_kind kind)
{
	d->watch_dirty[kind] = true;
	if (d->watchers && !uv_is_active((uv_handle_t *)&d->watch_timer))
		uv_timer_start(&d->watch_timer, on_watch_timer,
			       WATCH_COALESCE_MS, 0);
}

void watch_add(struct daemon *d, struct ctl_conn *conn, enum watch_kind kind)
{
	struct watcher *w = xcalloc(1, sizeof(*w));

	w->conn = conn;
	w->kind = kind;
	w->next = d->watchers;
	d->watchers = w;
	ctl_conn_on_close(conn, watcher_gone, w);
	ctl_stream_begin(conn, "application/json");
	if (kind == WATCH_EVENTS) {
		json_t *doc = json_pack("{s:o}", "events", events_json(d, 0));

		w->event_seq = d->event_seq;
		send_line(w, doc, false);
		json_decref(doc);
	} else {
		json_t *doc = document(d, kind);

		send_line(w, doc, true);
		json_decref(doc);
	}
}

void watch_close_all(struct daemon *d)
{
	for (struct watcher *w = d->watchers; w; w = w->next)
		w->dead = true;
	reap_dead(d);
	if (!uv_is_closing((uv_handle_t *)&d->watch_timer))
		uv_close((uv_handle_t *)&d->watch_timer, NULL);
}
