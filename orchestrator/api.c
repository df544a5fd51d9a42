/*
 * api.c - routes of the control API: one table (method, path pattern,
 * handler), like the CLI's verb table. Each route validates its input,
 * calls one orchestrator operation and renders the result; nothing here
 * decides how pods change. HEAD is answered wherever GET is (the
 * transport drops the body); a path that exists answers another method
 * with 405.
 */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "../runtime/cri_log.h"
#include "../runtime/logs.h"
#include "../runtime/logs_read.h"
#include "canary.h"
#include "clock.h"
#include "daemon.h"
#include "describe.h"
#include "events.h"
#include "pod.h"
#include "reconcile.h"
#include "rollout.h"
#include "rollout_analysis.h"
#include "service_ops.h"
#include "store.h"
#include "terminate.h"
#include "upgrade.h"
#include "usage.h"
#include "view.h"
#include "watch.h"

#define LOGS_MAX_REPLY (16 * 1024 * 1024)

/* ?NAME, ?NAME=1, ?NAME=true... (not 0, not false); never on HEAD, which
 * gets the headers of one reply rather than a stream. */
static bool query_flag(const struct ctl_request *req, const char *name)
{
	char v[16];

	return strcmp(req->method, "HEAD") != 0 &&
	       ctl_query_get(req, name, v, sizeof(v)) == 0 && strcmp(v, "0") &&
	       strcmp(v, "false");
}

/* --- logs ------------------------------------------------------------------
 */

/* A `logs` reply: the kept files read on the thread pool, then (-f) what
 * is written next, every 200 ms while the pod exists. Freed when its
 * timer is closed, no read is in flight and its connection's close
 * callback ran (refs counts those three). */
struct log_follow {
	struct log_follow *next; /* in d->follows */
	struct daemon *d;
	struct ctl_conn *conn; /* NULL once the client is gone */
	char pod[64];
	struct logs_reader *reader;
	uv_timer_t timer;
	int refs;
	bool follow, reading, last, ending, timer_open;
};

static void follow_release(struct log_follow *f)
{
	struct log_follow **pp;

	if (--f->refs > 0)
		return;
	for (pp = &f->d->follows; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	logs_reader_free(f->reader);
	free(f);
}

static void follow_timer_closed(uv_handle_t *h)
{
	follow_release(h->data);
}

static void follow_client_gone(void *arg)
{
	struct log_follow *f = arg;

	f->conn = NULL;
	follow_release(f);
}

static void follow_close_timer(struct log_follow *f)
{
	if (!f->timer_open)
		return;
	f->timer_open = false;
	uv_timer_stop(&f->timer);
	uv_close((uv_handle_t *)&f->timer, follow_timer_closed);
}

static void follow_finish(struct log_follow *f)
{
	if (f->conn && !f->ending) {
		f->ending = true;
		if (f->follow)
			ctl_stream_end(f->conn);
	}
	follow_close_timer(f);
}

static void follow_read_done(void *data, char *text, size_t len)
{
	struct log_follow *f = data;

	f->reading = false;
	if (f->conn && !f->ending) {
		if (!f->follow) {
			f->ending = true;
			ctl_reply_text(f->conn, 200, "text/plain", text, len);
		} else if (ctl_stream_write(f->conn, text, len) == -1) {
			f->last = true;
		}
	}
	free(text);
	if (!f->follow || f->last || f->conn == NULL)
		follow_finish(f);
	follow_release(f);
}

static void follow_read(struct log_follow *f)
{
	f->reading = true;
	f->refs++;
	if (logs_reader_queue(f->d->loop, f->reader, follow_read_done, f) ==
	    -1) {
		f->reading = false;
		f->refs--;
		f->last = true;
		follow_finish(f);
	}
}

static void follow_tick(uv_timer_t *t)
{
	struct log_follow *f = t->data;

	if (f->reading || f->ending)
		return;
	/* one last read once the pod is gone */
	if (f->conn == NULL || pod_find(f->d, f->pod) == NULL ||
	    f->d->shutting_down)
		f->last = true;
	if (f->conn == NULL) {
		follow_finish(f);
		return;
	}
	follow_read(f);
}

/* After ctl_server_stop(): no connection is touched any more. */
void api_follows_stop(struct daemon *d)
{
	for (struct log_follow *f = d->follows; f; f = f->next) {
		f->last = true;
		f->ending = true;
		follow_close_timer(f);
	}
}

/*
 * The view a logs request asks for: tail=N, timestamps=1, since=DURATION
 * (5s, 2m, 3h; sinceSeconds=N too) or sinceTime=RFC3339. 0, or -1 after
 * a 400 naming the parameter.
 */
static int logs_view_from(struct ctl_conn *c, const struct ctl_request *req,
			  struct logs_view *v)
{
	char since[64], when[64];
	long long tail, secs;
	int have_since = ctl_query_get(req, "since", since, sizeof(since));
	int have_time = ctl_query_get(req, "sinceTime", when, sizeof(when));

	memset(v, 0, sizeof(*v));
	if (ctl_query_int(c, req, "tail", -1, INT32_MAX, -1, &tail) == -1 ||
	    ctl_query_int(c, req, "sinceSeconds", 1, INT32_MAX, 0, &secs) == -1)
		return -1;
	v->tail = (long)tail;
	v->timestamps = query_flag(req, "timestamps");
	v->max_bytes = LOGS_MAX_REPLY;
	if ((have_since == 0 || secs > 0) && have_time == 0) {
		ctl_reply_error(c, 400,
				"at most one of since and sinceTime may be "
				"given");
		return -1;
	}
	if (have_since == -2 || have_time == -2) {
		ctl_reply_error(c, 400, "since or sinceTime is too long");
		return -1;
	}
	if (have_since == 0) {
		int64_t ns;

		if (logs_parse_duration(since, &ns) == -1) {
			ctl_reply_error(c, 400,
					"since must be a positive duration "
					"such as 5s, 2m or 3h, not \"%s\"",
					since);
			return -1;
		}
		v->since_ns = now_ms() * 1000000 - ns;
	} else if (secs > 0) {
		v->since_ns = (now_ms() - secs * 1000) * 1000000;
	} else if (have_time == 0) {
		if (cri_parse_time(when, strlen(when), &v->since_ns) == -1) {
			ctl_reply_error(c, 400,
					"sinceTime must be an RFC 3339 time "
					"such as 2024-01-02T15:04:05Z, not "
					"\"%s\"",
					when);
			return -1;
		}
	}
	if (v->since_ns < 0)
		v->since_ns = 1;
	return 0;
}

static void route_logs(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, const char *const *arg)
{
	const char *name = arg[0];
	struct pod *p = pod_find(d, name);
	cleanup_free char *path = NULL;
	struct logs_view view;
	struct log_follow *f;
	bool previous = query_flag(req, "previous");
	struct stat st;

	if (p == NULL) {
		ctl_reply_error(c, 404, "pod \"%s\" not found", name);
		return;
	}
	if (logs_view_from(c, req, &view) == -1)
		return;
	path = pod_log_path(p);
	if (previous) {
		char *prev = logs_previous_path(path);

		free(path);
		path = prev;
		if (stat(prev, &st) == -1) {
			ctl_reply_error(
			    c, 400,
			    "previous terminated container \"%s\" "
			    "in pod \"%s\" not found",
			    p->deployment ? p->deployment->name : name, name);
			return;
		}
	}
	f = xcalloc(1, sizeof(*f));
	f->d = d;
	f->conn = c;
	snprintf(f->pod, sizeof(f->pod), "%.63s", name);
	f->follow = !previous && query_flag(req, "follow");
	f->reader = logs_reader_new(path, &view, f->follow);
	f->refs = 1; /* the connection's close callback */
	ctl_conn_on_close(c, follow_client_gone, f);
	f->next = d->follows;
	d->follows = f;
	if (f->follow) {
		ctl_stream_begin(c, "text/plain");
		uv_timer_init(d->loop, &f->timer);
		f->timer.data = f;
		f->timer_open = true;
		f->refs++;
		uv_timer_start(&f->timer, follow_tick, 200, 200);
	}
	follow_read(f);
}

/* --- mutations --------------------------------------------------------------
 */

static void route_apply(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, const char *const *arg)
{
	json_t *body = ctl_body_object(c, req), *messages;
	const char *path;
	struct berr err = BERR_INIT;

	if (body == NULL)
		return;
	path = json_string_value(json_object_get(body, "path"));
	if (path == NULL || path[0] != '/') {
		json_decref(body);
		ctl_reply_error(c, 400,
				"apply needs {\"path\": ABSOLUTE_PATH}");
		return;
	}
	if (d->shutting_down) {
		json_decref(body);
		ctl_reply_error(c, 409, "berth is shutting down");
		return;
	}
	messages = json_array();
	if (daemon_apply(d, path, messages, &err) == -1) {
		json_decref(messages);
		json_decref(body);
		ctl_reply_error(c, 422, "%s", err.msg);
		return;
	}
	json_decref(body);
	ctl_reply_json(c, 200, json_pack("{s:o}", "messages", messages));
}

static void route_delete_pod(struct daemon *d, struct ctl_conn *c,
			     const struct ctl_request *req,
			     const char *const *arg)
{
	const char *name = arg[0];
	struct pod *p = pod_find(d, name);

	if (p == NULL) {
		ctl_reply_error(c, 404, "pod \"%s\" not found", name);
		return;
	}
	char msg[160];

	pod_terminate(p, TERM_REMOVE, -1, "deleted");
	snprintf(msg, sizeof(msg), "pod \"%s\" deleted", name);
	ctl_reply_json(c, 200, json_pack("{s:s}", "message", msg));
}

static void route_exec(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, const char *const *arg)
{
	struct pod *p = pod_find(d, arg[0]);

	if (p == NULL) {
		ctl_reply_error(c, 404, "pod \"%s\" not found", arg[0]);
		return;
	}
	if (p->phase != POD_RUNNING) {
		ctl_reply_error(c, 409, "pod \"%s\" is not running", arg[0]);
		return;
	}
	ctl_reply_json(c, 200,
		       json_pack("{s:s, s:s, s:s}", "runtime", d->rt.path,
				 "root", d->rt.root, "id", p->name));
}

static void route_scale(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, struct deployment *dep)
{
	json_t *body = ctl_body_object(c, req);
	long long replicas;
	char msg[160];
	int rc;

	if (body == NULL)
		return;
	if (json_object_get(body, "replicas") == NULL) {
		json_decref(body);
		ctl_reply_error(c, 400,
				"replicas must be an integer from 0 to 10000");
		return;
	}
	rc = ctl_body_int(c, body, "replicas", 0, 10000, 0, &replicas);
	json_decref(body);
	if (rc == -1)
		return;
	dep->replicas = (int)replicas;
	event_record(d, "Normal", "ScalingReplicaSet",
		     event_object_name("deployment", dep->name),
		     "Scaled to %d replicas (berth scale)", dep->replicas);
	store_save_deployment(dep);
	reconcile_schedule(d);
	watch_mark(d, WATCH_DEPLOYMENTS);
	snprintf(msg, sizeof(msg), "deployment.apps/%s scaled", dep->name);
	ctl_reply_json(c, 200, json_pack("{s:s}", "message", msg));
}

static void route_selector(struct daemon *d, struct ctl_conn *c,
			   const struct ctl_request *req,
			   const char *const *arg)
{
	json_t *body = ctl_body_object(c, req);

	if (body == NULL)
		return;
	service_set_selector(d, c, arg[0], body);
	json_decref(body);
}

static void route_describe(struct daemon *d, struct ctl_conn *c,
			   const struct ctl_request *req,
			   const char *const *arg)
{
	char *text = describe_object(d, arg[0], arg[1]);

	if (text == NULL) {
		ctl_reply_error(c, 404, "%s \"%s\" not found", arg[0], arg[1]);
		return;
	}
	ctl_reply_text(c, 200, "text/plain", text, strlen(text));
	free(text);
}

static void route_down(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, const char *const *arg)
{
	daemon_down(d, c);
}

/* POST /v1/upgrade {"binary": PATH}: answered once the successor is
 * ready (200, then this daemon drains and leaves) or failed (500, and
 * this daemon goes on); upgrade.c answers. */
static void route_upgrade(struct daemon *d, struct ctl_conn *c,
			  const struct ctl_request *req, const char *const *arg)
{
	json_t *body = ctl_body_object(c, req);
	const char *binary;
	struct berr err = BERR_INIT;

	if (body == NULL)
		return;
	binary = json_string_value(json_object_get(body, "binary"));
	if (json_object_get(body, "binary") && binary == NULL) {
		json_decref(body);
		ctl_reply_error(c, 400, "binary must be a string");
		return;
	}
	if (upgrade_begin(d, binary, c, &err) == -1)
		ctl_reply_error(c, 500, "upgrade failed: %s", err.msg);
	json_decref(body);
}

/* GET /v1/KIND: the list, or with ?watch a stream of them. */
static void list(struct daemon *d, struct ctl_conn *c,
		 const struct ctl_request *req, enum watch_kind kind)
{
	if (query_flag(req, "watch")) {
		watch_add(d, c, kind);
		return;
	}
	switch (kind) {
	case WATCH_PODS:
		ctl_reply_json(c, 200, view_pods(d));
		break;
	case WATCH_DEPLOYMENTS:
		ctl_reply_json(c, 200, view_deployments(d));
		break;
	case WATCH_SERVICES:
		ctl_reply_json(c, 200, view_services(d));
		break;
	case WATCH_EVENTS:
		ctl_reply_json(c, 200,
			       json_pack("{s:o}", "events", events_json(d, 0)));
		break;
	}
}

static void route_pods(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, const char *const *arg)
{
	list(d, c, req, WATCH_PODS);
}

static void route_top_pods(struct daemon *d, struct ctl_conn *c,
			   const struct ctl_request *req,
			   const char *const *arg)
{
	ctl_reply_json(c, 200, usage_view(d));
}

static void route_deployments(struct daemon *d, struct ctl_conn *c,
			      const struct ctl_request *req,
			      const char *const *arg)
{
	list(d, c, req, WATCH_DEPLOYMENTS);
}

static void route_services(struct daemon *d, struct ctl_conn *c,
			   const struct ctl_request *req,
			   const char *const *arg)
{
	list(d, c, req, WATCH_SERVICES);
}

static void route_events(struct daemon *d, struct ctl_conn *c,
			 const struct ctl_request *req, const char *const *arg)
{
	list(d, c, req, WATCH_EVENTS);
}

/* --- router
 * ------------------------------------------------------------------- */

/*
 * One route. A "*" segment of the pattern matches any one path segment
 * (URL-decoded), handed to fn in order. Routes under /v1/deployments/NAME/
 * set dep_fn instead: the router finds the deployment (404 when there is
 * none) and hands it over.
 */
/* The admin kubeconfig kube/ wrote: it holds a private key, so only
 * root or the daemon's own user may read it. */
static void route_kubeconfig(struct daemon *d, struct ctl_conn *c,
			     const struct ctl_request *req,
			     const char *const *arg)
{
	cleanup_free char *path = xasprintf("%s/kubeconfig", d->state_dir);
	cleanup_free char *text = NULL;
	struct berr err = BERR_INIT;
	size_t len;

	if (req->peer_uid != 0 && req->peer_uid != geteuid()) {
		ctl_reply_error(c, 403,
				"permission denied: the kubeconfig "
				"holds the admin key");
		return;
	}
	if (d->cfg == NULL || d->cfg->kubernetes_api == NULL) {
		ctl_reply_error(c, 404,
				"the Kubernetes API is off "
				"(kubernetesAPI = off)");
		return;
	}
	if (file_read_all(path, &text, &len, &err) == -1) {
		ctl_reply_error(c, 404, "%s", err.msg);
		return;
	}
	ctl_reply_text(c, 200, "application/yaml", text, len);
}

struct route {
	const char *method; /* "GET" answers HEAD too */
	const char *pattern;
	void (*fn)(struct daemon *d, struct ctl_conn *c,
		   const struct ctl_request *req, const char *const *arg);
	void (*dep_fn)(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, struct deployment *dep);
};

#define DEP_ROUTE(m, verb, f)                                                  \
	{                                                                      \
		m, "/v1/deployments/*/" verb, NULL, f                          \
	}

static const struct route routes[] = {
    {"GET", "/v1/pods", route_pods, NULL},
    {"GET", "/v1/deployments", route_deployments, NULL},
    {"GET", "/v1/services", route_services, NULL},
    {"GET", "/v1/events", route_events, NULL},
    {"GET", "/v1/analysisruns", rollout_analysis_api_list, NULL},
    {"GET", "/v1/analysisruns/*", rollout_analysis_api_get, NULL},
    {"GET", "/v1/kubeconfig", route_kubeconfig, NULL},
    {"GET", "/v1/export", route_export, NULL},
    {"POST", "/v1/apply", route_apply, NULL},
    {"POST", "/v1/down", route_down, NULL},
    {"POST", "/v1/upgrade", route_upgrade, NULL},
    {"GET", "/v1/describe/*/*", route_describe, NULL},
    {"DELETE", "/v1/pods/*", route_delete_pod, NULL},
    {"GET", "/v1/pods/*/logs", route_logs, NULL},
    {"GET", "/v1/pods/*/exec", route_exec, NULL},
    {"GET", "/v1/top/pods", route_top_pods, NULL},
    {"POST", "/v1/services/*/selector", route_selector, NULL},
    DEP_ROUTE("POST", "scale", route_scale),
    DEP_ROUTE("POST", "image", rollout_api_image),
    DEP_ROUTE("GET", "rollout/status", rollout_api_status),
    DEP_ROUTE("GET", "rollout/history", rollout_api_history),
    DEP_ROUTE("POST", "rollout/pause", rollout_api_pause),
    DEP_ROUTE("POST", "rollout/resume", rollout_api_resume),
    DEP_ROUTE("POST", "rollout/promote", canary_api_promote),
    DEP_ROUTE("POST", "rollout/abort", canary_api_abort),
    DEP_ROUTE("POST", "rollout/retry", canary_api_retry),
    DEP_ROUTE("POST", "rollout/undo", rollout_api_undo),
    DEP_ROUTE("POST", "rollout/restart", rollout_api_restart),
};

#define MAX_ARGS 2

/*
 * Whether path matches pattern; the "*" segments go to arg (URL-decoded,
 * each at most API_SEG_MAX - 1 bytes). -1: a segment is too long.
 */
static int match(const char *pattern, const char *path,
		 char arg[MAX_ARGS][API_SEG_MAX])
{
	size_t n = 0;

	for (;;) {
		size_t pl, sl;

		while (*pattern == '/')
			pattern++;
		while (*path == '/')
			path++;
		if (*pattern == '\0' || *path == '\0')
			return *pattern == '\0' && *path == '\0';
		pl = strcspn(pattern, "/");
		sl = strcspn(path, "/");
		if (pl == 1 && pattern[0] == '*') {
			if (n == MAX_ARGS ||
			    ctl_url_decode(path, sl, arg[n], API_SEG_MAX) == -1)
				return -1;
			n++;
		} else if (pl != sl || strncmp(pattern, path, pl) != 0) {
			return 0;
		}
		pattern += pl;
		path += sl;
	}
}

static bool method_is(const struct route *r, const char *method)
{
	return !strcmp(r->method, method) ||
	       (!strcmp(r->method, "GET") && !strcmp(method, "HEAD"));
}

int api_route(const char *method, const char *path, char *allowed, size_t len)
{
	char arg[MAX_ARGS][API_SEG_MAX];
	size_t used = 0;
	bool path_known = false;

	allowed[0] = '\0';
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		int m = match(routes[i].pattern, path, arg);

		if (m == -1)
			return -400;
		if (m == 0)
			continue;
		if (method_is(&routes[i], method))
			return (int)i;
		path_known = true;
		used += (size_t)snprintf(allowed + used,
					 used < len ? len - used : 0, "%s%s",
					 used ? ", " : "", routes[i].method);
		if (!strcmp(routes[i].method, "GET"))
			used += (size_t)snprintf(allowed + used,
						 used < len ? len - used : 0,
						 ", HEAD");
	}
	return path_known ? -405 : -404;
}

static const char *ext_name;
static api_extension_fn ext_fn;

void api_register_extension(const char *name, api_extension_fn fn)
{
	ext_name = name;
	ext_fn = fn;
}

/* /v1/NAME or /v1/NAME/... of the registered extension. */
static bool is_extension_path(const char *path)
{
	size_t n;

	if (ext_fn == NULL || strncmp(path, "/v1/", 4) != 0)
		return false;
	n = strlen(ext_name);
	return strncmp(path + 4, ext_name, n) == 0 &&
	       (path[4 + n] == '\0' || path[4 + n] == '/' ||
		path[4 + n] == '?');
}

void api_handle(void *data, struct ctl_conn *c, const struct ctl_request *req)
{
	struct daemon *d = data;
	char arg[MAX_ARGS][API_SEG_MAX], allowed[128];
	const char *args[MAX_ARGS] = {arg[0], arg[1]};
	const struct route *r;
	int i = api_route(req->method, req->path, allowed, sizeof(allowed));
	struct deployment *dep;

	if (i == -400) {
		ctl_reply_error(c, 400,
				"a segment of \"%s\" is longer than %d "
				"bytes",
				req->path, API_SEG_MAX - 1);
		return;
	}
	if (is_extension_path(req->path)) {
		ext_fn(d, c, req);
		return;
	}
	if (i == -405) {
		ctl_reply_error(c, 405, "%s is not allowed on %s (allowed: %s)",
				req->method, req->path, allowed);
		return;
	}
	if (i < 0) {
		ctl_reply_error(c, 404, "no such API path \"%s %s\"",
				req->method, req->path);
		return;
	}
	r = &routes[i];
	match(r->pattern, req->path, arg);
	if (r->fn != NULL) {
		r->fn(d, c, req, args);
		return;
	}
	dep = daemon_find_deployment(d, arg[0]);
	if (dep == NULL) {
		ctl_reply_error(c, 404, "deployments.apps \"%s\" not found",
				arg[0]);
		return;
	}
	r->dep_fn(d, c, req, dep);
}
