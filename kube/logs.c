/*
 * logs.c - GET .../pods/NAME/log (`kubectl logs [-f] [-p] [--tail N]
 * [--timestamps] [--since D|--since-time T] [--limit-bytes N]`): the
 * container's output as text, read from its log files on the thread pool
 * (runtime/logs_read.h); with follow=true a chunked stream that ends when
 * the container is no longer running. Reads files and the model; changes
 * nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/xalloc.h"
#include "../orchestrator/clock.h"
#include "../orchestrator/pod.h"
#include "../runtime/cri_log.h"
#include "../runtime/logs.h"
#include "../runtime/logs_read.h"
#include "kobj.h"
#include "kube_internal.h"

#define LOG_MAX_REPLY (16 * 1024 * 1024)
#define FOLLOW_MS 200

/* One request: always a chunked answer (begun before the handler
 * returns), filled from the thread pool. Freed once its timer is closed
 * (or never opened) and no read is in flight. */
struct kube_follow {
	struct kube_follow *next;
	struct kube_server *ks;
	struct kube_conn *conn; /* NULL once ended or the client is gone */
	char pod[64];
	struct logs_reader *reader;
	long long limit; /* limitBytes of the first answer (0: none) */
	uv_timer_t timer;
	int refs;
	bool follow, reading, last, timer_open;
};

static void unlink_follow(struct kube_follow *f)
{
	struct kube_follow **pp;

	for (pp = &f->ks->follows; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
}

static void follow_release(struct kube_follow *f)
{
	if (--f->refs > 0)
		return;
	logs_reader_free(f->reader);
	free(f);
}

static void on_follow_closed(uv_handle_t *h)
{
	follow_release(h->data);
}

/* Ends the answer and lets go of the server (its list). */
static void follow_end(struct kube_follow *f)
{
	if (f->conn)
		kube_stream_end(f->conn);
	f->conn = NULL;
	if (f->ks) {
		unlink_follow(f);
		f->ks = NULL;
	}
	if (f->timer_open) {
		f->timer_open = false;
		uv_timer_stop(&f->timer);
		uv_close((uv_handle_t *)&f->timer, on_follow_closed);
	}
}

static void follow_client_gone(void *arg)
{
	struct kube_follow *f = arg;

	f->conn = NULL; /* the next tick (or read) ends the follow */
}

static void follow_read(struct kube_follow *f);

static void follow_read_done(void *data, char *text, size_t len)
{
	struct kube_follow *f = data;

	f->reading = false;
	if (f->limit > 0) {
		if ((size_t)f->limit < len)
			len = (size_t)f->limit;
		f->limit -= (long long)len;
		if (f->limit == 0)
			f->last = true; /* limitBytes reached */
	}
	if (f->conn && len && kube_stream_write(f->conn, text, len) == -1)
		f->last = true;
	free(text);
	if (!f->follow || f->last || f->conn == NULL)
		follow_end(f);
	follow_release(f);
}

static void follow_read(struct kube_follow *f)
{
	f->reading = true;
	f->refs++;
	if (logs_reader_queue(f->ks->d->loop, f->reader, follow_read_done, f) ==
	    -1) {
		f->reading = false;
		f->refs--;
		follow_end(f);
	}
}

static void follow_tick(uv_timer_t *t)
{
	struct kube_follow *f = t->data;
	struct pod *p;

	if (f->reading || f->ks == NULL)
		return;
	p = pod_find(f->ks->d, f->pod);
	/* one last read once the container no longer runs */
	if (p == NULL || p->phase != POD_RUNNING)
		f->last = true;
	if (f->conn == NULL) {
		follow_end(f);
		return;
	}
	follow_read(f);
}

static bool is_true(const char *v)
{
	return v &&
	       (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "True"));
}

static void bad_request(struct kube_conn *c, const char *msg)
{
	kube_reply_json(c, 400,
			kube_status(400, "BadRequest", msg, NULL, NULL));
}

/* tailLines, timestamps, sinceSeconds, sinceTime as the kubelet reads
 * them; 0, or -1 after a 400. */
static int view_from(struct kube_conn *c, const struct kube_request *req,
		     struct logs_view *v)
{
	cleanup_free char *tail = kube_query_get(req, "tailLines");
	cleanup_free char *ts = kube_query_get(req, "timestamps");
	cleanup_free char *secs = kube_query_get(req, "sinceSeconds");
	cleanup_free char *when = kube_query_get(req, "sinceTime");
	char msg[320], *end;
	long long n;

	memset(v, 0, sizeof(*v));
	v->tail = -1;
	v->max_bytes = LOG_MAX_REPLY;
	v->timestamps = is_true(ts);
	if (tail) {
		n = strtoll(tail, &end, 10);
		if (end == tail || *end || n < 0 || n > INT32_MAX) {
			bad_request(c, "tailLines must be a non-negative "
				       "integer");
			return -1;
		}
		v->tail = (long)n;
	}
	if (secs && when) {
		bad_request(c, "at most one of sinceTime or sinceSeconds may "
			       "be specified");
		return -1;
	}
	if (secs) {
		n = strtoll(secs, &end, 10);
		if (end == secs || *end || n < 1 || n > INT32_MAX) {
			bad_request(c, "sinceSeconds must be greater than 0");
			return -1;
		}
		v->since_ns = (now_ms() - n * 1000) * 1000000;
	}
	if (when && cri_parse_time(when, strlen(when), &v->since_ns) == -1) {
		snprintf(msg, sizeof(msg),
			 "sinceTime must be an RFC 3339 time, not \"%.200s\"",
			 when);
		bad_request(c, msg);
		return -1;
	}
	if ((secs || when) && v->since_ns <= 0)
		v->since_ns = 1;
	return 0;
}

void kube_pod_log(struct kube_server *ks, struct kube_conn *c,
		  const struct kube_request *req, const char *name)
{
	struct pod *p = pod_find(ks->d, name);
	const char *container = p && p->deployment ? p->deployment->name : name;
	cleanup_free char *want = kube_query_get(req, "container");
	cleanup_free char *follow = kube_query_get(req, "follow");
	cleanup_free char *previous = kube_query_get(req, "previous");
	cleanup_free char *limit = kube_query_get(req, "limitBytes");
	cleanup_free char *path = NULL;
	struct logs_view view;
	struct kube_follow *f;
	char msg[256];
	struct stat st;

	if (p == NULL || p->phase == POD_GONE) {
		snprintf(msg, sizeof(msg), "pods \"%s\" not found", name);
		kube_reply_json(
		    c, 404, kube_status(404, "NotFound", msg, "pods", name));
		return;
	}
	if (want && want[0] && strcmp(want, container)) {
		snprintf(msg, sizeof(msg),
			 "container %s is not valid for pod %s", want, name);
		bad_request(c, msg);
		return;
	}
	if (view_from(c, req, &view) == -1)
		return;
	path = pod_log_path(p);
	if (is_true(previous)) {
		char *prev = logs_previous_path(path);

		free(path);
		path = prev;
		if (stat(prev, &st) == -1) {
			snprintf(msg, sizeof(msg),
				 "previous terminated container \"%s\" in "
				 "pod \"%s\" not found",
				 container, name);
			bad_request(c, msg);
			return;
		}
	}
	f = xcalloc(1, sizeof(*f));
	f->ks = ks;
	f->conn = c;
	snprintf(f->pod, sizeof(f->pod), "%s", name);
	f->follow = is_true(follow) && !is_true(previous);
	f->limit = limit ? strtoll(limit, NULL, 10) : 0;
	if (f->limit < 0)
		f->limit = 0;
	f->reader = logs_reader_new(path, &view, f->follow);
	f->refs = 0;
	kube_stream_begin(c, "text/plain", follow_client_gone, f);
	f->next = ks->follows;
	ks->follows = f;
	if (f->follow) {
		uv_timer_init(ks->d->loop, &f->timer);
		f->timer.data = f;
		f->timer_open = true;
		f->refs++;
		uv_timer_start(&f->timer, follow_tick, FOLLOW_MS, FOLLOW_MS);
	}
	follow_read(f);
}

void kube_follow_stop_all(struct kube_server *ks)
{
	while (ks->follows)
		follow_end(ks->follows);
}
