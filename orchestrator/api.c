/*
 * api.c - routes of the control API. Each route validates its input,
 * calls one orchestrator operation and renders the result; nothing here
 * decides how pods change.
 */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "../runtime/logs.h"
#include "daemon.h"
#include "describe.h"
#include "events.h"
#include "pod.h"
#include "reconcile.h"
#include "rollout.h"
#include "service_ops.h"
#include "store.h"
#include "terminate.h"
#include "view.h"
#include "watch.h"

#define LOGS_MAX_REPLY (16 * 1024 * 1024)

/* Splits "/v1/a/b/c" into at most max segments. */
static size_t split_path(const char *path, char seg[][128], size_t max)
{
	size_t n = 0;
	const char *p = path;

	while (*p == '/')
		p++;
	while (*p && n < max) {
		size_t len = strcspn(p, "/");

		if (len >= 128)
			len = 127;
		ctl_url_decode(p, len, seg[n], 128);
		n++;
		p += strcspn(p, "/");
		while (*p == '/')
			p++;
	}
	return n;
}

static bool want_watch(const struct ctl_request *req)
{
	char v[16];

	return ctl_query_get(req, "watch", v, sizeof(v)) == 0 &&
	       strcmp(v, "0") && strcmp(v, "false");
}

/* --- logs ------------------------------------------------------------------
 */

/* A `logs -f` stream. Freed when both its timer is closed and its
 * connection's close callback ran (refs counts those two). */
struct log_follow {
	struct log_follow *next; /* in d->follows */
	struct daemon *d;
	struct ctl_conn *conn; /* NULL once the client is gone */
	char pod[64];
	char *path;
	off_t offset;
	uv_timer_t timer;
	int refs;
	bool ending;
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
	free(f->path);
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

static void follow_tick(uv_timer_t *t)
{
	struct log_follow *f = t->data;
	struct stat st;
	char buf[65536];
	bool pod_alive = pod_find(f->d, f->pod) != NULL;

	if (f->conn && stat(f->path, &st) == 0) {
		cleanup_close int fd = open(f->path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (st.st_size < f->offset)
			f->offset = 0; /* rotated by the size cap */
		if (fd >= 0 && lseek(fd, f->offset, SEEK_SET) != -1) {
			while ((n = read(fd, buf, sizeof(buf))) > 0) {
				f->offset += n;
				if (ctl_stream_write(f->conn, buf, (size_t)n) ==
				    -1)
					break;
			}
		}
	}
	if (f->conn == NULL || !pod_alive || f->d->shutting_down) {
		if (f->conn && !f->ending) {
			f->ending = true;
			ctl_stream_end(f->conn);
		}
		uv_timer_stop(t);
		if (!uv_is_closing((uv_handle_t *)t))
			uv_close((uv_handle_t *)t, follow_timer_closed);
	}
}

void api_follows_stop(struct daemon *d)
{
	for (struct log_follow *f = d->follows; f; f = f->next) {
		if (uv_is_closing((uv_handle_t *)&f->timer))
			continue;
		uv_timer_stop(&f->timer);
		uv_close((uv_handle_t *)&f->timer, follow_timer_closed);
	}
}

static void route_logs(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, const char *name)
{
	struct pod *p = pod_find(d, name);
	cleanup_free char *path = NULL;
	char v[16];
	size_t len;
	char *text;
	struct stat st;

	if (p == NULL) {
		ctl_reply_error(c, 404, "pod \"%s\" not found", name);
		return;
	}
	path = pod_log_path(p);
	if (ctl_query_get(req, "follow", v, sizeof(v)) == 0 && strcmp(v, "0") &&
	    strcmp(v, "false")) {
		struct log_follow *f = xcalloc(1, sizeof(*f));

		f->d = d;
		f->conn = c;
		snprintf(f->pod, sizeof(f->pod), "%.63s", name);
		f->path = xstrdup(path);
		text = logs_read(path, LOGS_MAX_REPLY, &len);
		ctl_stream_begin(c, "text/plain");
		ctl_stream_write(c, text, len);
		free(text);
		f->offset = stat(path, &st) == 0 ? st.st_size : 0;
		uv_timer_init(d->loop, &f->timer);
		f->timer.data = f;
		f->refs = 2;
		uv_timer_start(&f->timer, follow_tick, 200, 200);
		ctl_conn_on_close(c, follow_client_gone, f);
		f->next = d->follows;
		d->follows = f;
		return;
	}
	text = logs_read(path, LOGS_MAX_REPLY, &len);
	ctl_reply_text(c, 200, "text/plain", text, len);
	free(text);
}

/* --- mutations --------------------------------------------------------------
 */

static void route_apply(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req)
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
			     const char *name)
{
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

static void route_scale(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, struct deployment *dep)
{
	json_t *body = ctl_body_object(c, req);
	json_t *r;
	char msg[160];

	if (body == NULL)
		return;
	r = json_object_get(body, "replicas");
	if (!json_is_integer(r) || json_integer_value(r) < 0 ||
	    json_integer_value(r) > 10000) {
		json_decref(body);
		ctl_reply_error(c, 400,
				"replicas must be an integer from 0 to 10000");
		return;
	}
	dep->replicas = (int)json_integer_value(r);
	json_decref(body);
	event_record(d, "Normal", "ScalingReplicaSet",
		     event_object_name("deployment", dep->name),
		     "Scaled to %d replicas (berth scale)", dep->replicas);
	store_save_deployment(dep);
	reconcile_schedule(d);
	watch_mark(d, WATCH_DEPLOYMENTS);
	snprintf(msg, sizeof(msg), "deployment.apps/%s scaled", dep->name);
	ctl_reply_json(c, 200, json_pack("{s:s}", "message", msg));
}

/* --- rollout
 * ------------------------------------------------------------------ */

static void route_rollout(struct daemon *d, struct ctl_conn *c,
			  const struct ctl_request *req, struct deployment *dep,
			  const char *verb)
{
	rollout_api(d, c, req, dep, verb);
}

/* --- router
 * ------------------------------------------------------------------- */

static void route_list(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, const char *what)
{
	static const struct {
		const char *name;
		enum watch_kind kind;
		json_t *(*view)(struct daemon *);
	} lists[] = {{"pods", WATCH_PODS, view_pods},
		     {"deployments", WATCH_DEPLOYMENTS, view_deployments},
		     {"services", WATCH_SERVICES, view_services},
		     {"events", WATCH_EVENTS, NULL}};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (strcmp(what, lists[i].name))
			continue;
		if (want_watch(req)) {
			watch_add(d, c, lists[i].kind);
			return;
		}
		if (lists[i].view)
			ctl_reply_json(c, 200, lists[i].view(d));
		else
			ctl_reply_json(
			    c, 200,
			    json_pack("{s:o}", "events", events_json(d, 0)));
		return;
	}
	ctl_reply_error(c, 404, "unknown resource \"%s\"", what);
}

/* The admin kubeconfig kube/ wrote: it holds a private key, so only
 * root or the daemon's own user may read it. */
static void route_kubeconfig(struct daemon *d, struct ctl_conn *c,
			     const struct ctl_request *req)
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

static const char *ext_name;
static api_extension_fn ext_fn;

void api_register_extension(const char *name, api_extension_fn fn)
{
	ext_name = name;
	ext_fn = fn;
}

void api_handle(void *data, struct ctl_conn *c, const struct ctl_request *req)
{
	struct daemon *d = data;
	char seg[6][128];
	size_t n = split_path(req->path, seg, 6);
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	bool post = !strcmp(req->method, "POST");

	if (n < 2 || strcmp(seg[0], "v1")) {
		ctl_reply_error(c, 404, "no such API path \"%s\"", req->path);
		return;
	}
	if (ext_fn && !strcmp(seg[1], ext_name)) {
		ext_fn(d, c, req);
		return;
	}
	if (n == 2 && get && !strcmp(seg[1], "kubeconfig")) {
		route_kubeconfig(d, c, req);
		return;
	}
	if (n == 2 && get) {
		route_list(d, c, req, seg[1]);
		return;
	}
	if (n == 2 && post && !strcmp(seg[1], "apply")) {
		route_apply(d, c, req);
		return;
	}
	if (n == 2 && post && !strcmp(seg[1], "down")) {
		daemon_down(d, c);
		return;
	}
	if (n == 4 && get && !strcmp(seg[1], "describe")) {
		char *text = describe_object(d, seg[2], seg[3]);

		if (text == NULL) {
			ctl_reply_error(c, 404, "%s \"%s\" not found", seg[2],
					seg[3]);
			return;
		}
		ctl_reply_text(c, 200, "text/plain", text, strlen(text));
		free(text);
		return;
	}
	if (!strcmp(seg[1], "pods") && n >= 3) {
		struct pod *p = pod_find(d, seg[2]);

		if (n == 3 && !strcmp(req->method, "DELETE")) {
			route_delete_pod(d, c, seg[2]);
			return;
		}
		if (n == 4 && get && !strcmp(seg[3], "logs")) {
			route_logs(d, c, req, seg[2]);
			return;
		}
		if (n == 4 && get && !strcmp(seg[3], "exec")) {
			if (p == NULL || p->phase != POD_RUNNING) {
				ctl_reply_error(c, p ? 409 : 404,
						p ? "pod \"%s\" is not running"
						  : "pod \"%s\" not found",
						seg[2]);
				return;
			}
			ctl_reply_json(c, 200,
				       json_pack("{s:s, s:s, s:s}", "runtime",
						 d->rt.path, "root", d->rt.root,
						 "id", p->name));
			return;
		}
	}
	if (!strcmp(seg[1], "services") && n == 4 && post &&
	    !strcmp(seg[3], "selector")) {
		json_t *body = ctl_body_object(c, req);

		if (body != NULL) {
			service_set_selector(d, c, seg[2], body);
			json_decref(body);
		}
		return;
	}
	if (!strcmp(seg[1], "deployments") && n >= 4) {
		struct deployment *dep = daemon_find_deployment(d, seg[2]);

		if (dep == NULL) {
			ctl_reply_error(c, 404,
					"deployments.apps \"%s\" not found",
					seg[2]);
			return;
		}
		if (n == 4 && post && !strcmp(seg[3], "scale")) {
			route_scale(d, c, req, dep);
			return;
		}
		if (n == 5 && !strcmp(seg[3], "rollout")) {
			route_rollout(d, c, req, dep, seg[4]);
			return;
		}
		if (n == 4 && post && !strcmp(seg[3], "image")) {
			rollout_api_image(d, c, req, dep);
			return;
		}
	}
	ctl_reply_error(c, 404, "no such API path \"%s %s\"", req->method,
			req->path);
}
