/*
 * route.c - the Kubernetes API's routes: authentication and method
 * checks, discovery, and get/list of the resources served, as JSON
 * objects, Lists or Tables, filtered by labelSelector and fieldSelector.
 * Reads the model through convert_*.c; changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/xalloc.h"
#include "../orchestrator/ctl_server.h"
#include "compat.h"
#include "convert.h"
#include "convert_rollout.h"
#include "discovery.h"
#include "kobj.h"
#include "kube_internal.h"
#include "objects.h"
#include "selector.h"
#include "table.h"

#define MAX_SEGS 8

static const char *const common_fields[] = {"metadata.name",
					    "metadata.namespace", NULL};
static const char *const pod_fields[] = {"metadata.name", "metadata.namespace",
					 "spec.nodeName", "spec.restartPolicy",
					 "status.phase",  NULL};
static const char *const event_fields[] = {"metadata.name",
					   "metadata.namespace",
					   "involvedObject.kind",
					   "involvedObject.namespace",
					   "involvedObject.name",
					   "involvedObject.uid",
					   "involvedObject.apiVersion",
					   "reason",
					   "source",
					   "type",
					   NULL};

const struct kres kube_resources[] = {
    {"", "pods", "PodList", true, pod_fields},
    {"", "services", "ServiceList", true, common_fields},
    {"", "events", "EventList", true, event_fields},
    {"", "namespaces", "NamespaceList", false, common_fields},
    {"apps", "deployments", "DeploymentList", true, common_fields},
    {"apps", "replicasets", "ReplicaSetList", true, common_fields},
    {"argoproj.io", "rollouts", "RolloutList", true, common_fields},
    {"argoproj.io", "analysistemplates", "AnalysisTemplateList", true,
     common_fields},
};

static void reply_status(struct kube_conn *c, int code, const char *reason,
			 const char *message, const char *kind,
			 const char *name)
{
	kube_reply_json(c, code,
			kube_status(code, reason, message, kind, name));
}

static void not_found_path(struct kube_conn *c)
{
	reply_status(c, 404, "NotFound",
		     "the server could not find the requested resource", NULL,
		     NULL);
}

/* Decoded value of key in the query, or NULL (caller frees). */
char *kube_query_get(const struct kube_request *req, const char *key)
{
	struct ctl_request cr = {.query = req->query};
	size_t len = strlen(req->query) + 1;
	char *buf = xmalloc(len);

	if (ctl_query_get(&cr, key, buf, len) == 0)
		return buf;
	free(buf);
	return NULL;
}

/* Go's strconv.ParseBool truths. */
static bool query_true(const struct kube_request *req, const char *key)
{
	char *v = kube_query_get(req, key);
	bool t = v && (!strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") ||
		       !strcmp(v, "true") || !strcmp(v, "TRUE") ||
		       !strcmp(v, "True"));

	free(v);
	return t;
}

static size_t split(const char *path, char seg[][256], size_t max)
{
	size_t n = 0;
	const char *p = path;

	while (*p == '/')
		p++;
	while (*p && n < max) {
		size_t len = strcspn(p, "/");

		if (ctl_url_decode(p, len, seg[n], 256) == -1)
			seg[n][0] = '\0';
		n++;
		p += len;
		while (*p == '/')
			p++;
	}
	return *p ? max + 1 : n;
}

static int event_cmp(const void *a, const void *b)
{
	const struct event *x = *(const struct event *const *)a;
	const struct event *y = *(const struct event *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int name_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(kube_path(x, "metadata.name")) ?: "",
		      json_string_value(kube_path(y, "metadata.name")) ?: "");
}

/* Sorted by name, as the apiserver lists (etcd key order). */
static void sort_by_name(json_t *items)
{
	size_t n = json_array_size(items);
	json_t **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(items, i));
	qsort(v, n, sizeof(*v), name_cmp);
	json_array_clear(items);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, v[i]);
	free(v);
}

/* Every object of a resource in namespace `default`. */
static json_t *collect(struct kube_server *ks, const struct kube_ctx *k,
		       const char *res)
{
	struct daemon *d = ks->d;
	json_t *items = json_array();

	if (!strcmp(res, "pods")) {
		for (struct pod *p = d->pods; p; p = p->next)
			if (p->phase != POD_GONE)
				json_array_append_new(items, kube_pod(k, p));
	} else if (!strcmp(res, "deployments")) {
		for (struct deployment *dep = d->deployments; dep;
		     dep = dep->next)
			if (!dep->deleting) {
				json_t *o = kube_deployment(k, dep);

				kube_record_overlay(ks, "Deployment", o);
				json_array_append_new(items, o);
			}
	} else if (!strcmp(res, "replicasets")) {
		for (struct deployment *dep = d->deployments; dep;
		     dep = dep->next)
			for (size_t i = 0; i < dep->n_revisions; i++)
				json_array_append_new(
				    items, kube_replicaset(k, dep,
							   &dep->revisions[i]));
	} else if (!strcmp(res, "services")) {
		for (size_t i = 0; d->cfg && i < d->cfg->n_services; i++) {
			json_t *o = kube_service(k, &d->cfg->services[i]);

			kube_record_overlay(ks, "Service", o);
			json_array_append_new(items, o);
		}
	} else if (!strcmp(res, "rollouts")) {
		for (struct deployment *dep = d->deployments; dep;
		     dep = dep->next)
			if (!dep->deleting && kube_is_rollout(dep))
				json_array_append_new(
				    items, kube_rollout_view(ks, k, dep, NULL));
	} else if (!strcmp(res, "analysistemplates")) {
		for (size_t i = 0; d->cfg && i < d->cfg->n_analyses; i++)
			json_array_append_new(
			    items, kube_rollout_view(ks, k, NULL,
						     &d->cfg->analyses[i]));
	} else if (!strcmp(res, "namespaces")) {
		json_array_append_new(items, kube_namespace(k));
	} else if (!strcmp(res, "events")) {
		size_t n = d->event_seq < EVENT_RING ? (size_t)d->event_seq
						     : EVENT_RING;
		const struct event **v = xcalloc(n + 1, sizeof(*v));

		for (size_t i = 0; i < n; i++)
			v[i] = &d->events[i];
		/* Oldest first, as events are named in creation order. */
		qsort(v, n, sizeof(*v), event_cmp);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, kube_event(k, v[i]));
		free(v);
		return items;
	}
	sort_by_name(items);
	return items;
}

bool kube_wants_table(const struct kube_request *req)
{
	return strstr(req->accept, "as=Table") != NULL;
}

bool kube_include_object(const struct kube_request *req)
{
	cleanup_free char *inc = kube_query_get(req, "includeObject");

	return inc && !strcmp(inc, "Object");
}

json_t *kube_collect(struct kube_server *ks, const struct kube_ctx *k,
		     const struct kres *r, const char *ns,
		     const struct kube_selector *ls,
		     const struct kube_selector *fs)
{
	json_t *all, *items = json_array(), *obj;
	size_t i;

	if (ns && strcmp(ns, KUBE_NAMESPACE))
		return items;
	all = collect(ks, k, r->name);
	json_array_foreach(all, i, obj)
	{
		if ((ls == NULL || kube_selector_matches(ls, obj)) &&
		    (fs == NULL || kube_selector_matches(fs, obj)))
			json_array_append(items, obj);
	}
	json_decref(all);
	return items;
}

static const char *group_version(const struct kres *r)
{
	if (!strcmp(r->group, "argoproj.io"))
		return "argoproj.io/v1alpha1";
	return r->group[0] ? "apps/v1" : "v1";
}

/* "pods" or "deployments.apps", as NotFound messages name a resource. */
static void qualified(const struct kres *r, char *buf, size_t len)
{
	if (r->group[0])
		snprintf(buf, len, "%s.%s", r->name, r->group);
	else
		snprintf(buf, len, "%s", r->name);
}

static void serve_list(struct kube_server *ks, struct kube_conn *c,
		       const struct kube_request *req, const struct kres *r,
		       const char *ns)
{
	struct kube_ctx k;
	struct kube_selector ls = {0}, fs = {0};
	char why[512];
	json_t *items;
	cleanup_free char *lsel = kube_query_get(req, "labelSelector");
	cleanup_free char *fsel = kube_query_get(req, "fieldSelector");

	if (lsel && kube_label_selector_parse(lsel, &ls, why, sizeof(why))) {
		reply_status(c, 400, "BadRequest", why, NULL, NULL);
		return;
	}
	if (fsel &&
	    kube_field_selector_parse(fsel, r->fields, &fs, why, sizeof(why))) {
		kube_selector_free(&ls);
		reply_status(c, 400, "BadRequest", why, NULL, NULL);
		return;
	}
	if (query_true(req, "watch")) {
		kube_watch_start(ks, c, req, r, ns, &ls, &fs);
		return;
	}
	kube_history_sync(ks, r);
	kube_ctx_init(&k, ks->d, ks->ns_created_ms);
	snprintf(k.rv, sizeof(k.rv), "%llu",
		 (unsigned long long)kube_history_head(ks));
	items = kube_collect(ks, &k, r, ns, &ls, &fs);
	kube_history_stamp(ks, r, items);
	kube_selector_free(&ls);
	kube_selector_free(&fs);
	if (kube_wants_table(req)) {
		kube_reply_json(c, 200,
				kube_table(r->name, items,
					   kube_include_object(req), k.now_ms,
					   k.rv));
		json_decref(items);
		return;
	}
	kube_reply_json(c, 200,
			json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind",
				  r->list_kind, "apiVersion", group_version(r),
				  "metadata", "resourceVersion", k.rv, "items",
				  items));
}

static void serve_get(struct kube_server *ks, struct kube_conn *c,
		      const struct kube_request *req, const struct kres *r,
		      const char *ns, const char *name)
{
	struct kube_ctx k;
	json_t *all, *obj, *found = NULL;
	char what[128], msg[512];
	size_t i;

	kube_history_sync(ks, r);
	kube_ctx_init(&k, ks->d, ks->ns_created_ms);
	snprintf(k.rv, sizeof(k.rv), "%llu",
		 (unsigned long long)kube_history_head(ks));
	all = kube_collect(ks, &k, r, ns, NULL, NULL);
	kube_history_stamp(ks, r, all);
	json_array_foreach(all, i, obj)
	{
		if (!strcmp(json_string_value(kube_path(obj, "metadata.name")),
			    name)) {
			found = json_incref(obj);
			break;
		}
	}
	json_decref(all);
	if (found == NULL) {
		qualified(r, what, sizeof(what));
		snprintf(msg, sizeof(msg), "%s \"%s\" not found", what, name);
		reply_status(c, 404, "NotFound", msg, r->name, name);
		return;
	}
	if (kube_wants_table(req)) {
		json_t *one = json_pack("[o]", found);

		kube_reply_json(c, 200,
				kube_table(r->name, one,
					   kube_include_object(req), k.now_ms,
					   k.rv));
		json_decref(one);
		return;
	}
	kube_reply_json(c, 200, found);
}

const struct kres *kube_resource(const char *group, const char *name)
{
	for (size_t i = 0; i < KUBE_N_RESOURCES; i++)
		if (!strcmp(kube_resources[i].group, group) &&
		    !strcmp(kube_resources[i].name, name))
			return &kube_resources[i];
	return NULL;
}

static void method_not_allowed(struct kube_conn *c,
			       const struct kube_request *req)
{
	char msg[256];

	snprintf(msg, sizeof(msg),
		 "the server does not allow this method on the requested "
		 "resource (%s)",
		 req->method);
	reply_status(c, 405, "MethodNotAllowed", msg, NULL, NULL);
}

static bool is_get(const struct kube_request *req)
{
	return !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
}

/* seg: what follows /api/v1 or /apis/apps/v1. */
static void serve_resource(struct kube_server *ks, struct kube_conn *c,
			   const struct kube_request *req, const char *group,
			   char seg[][256], size_t n)
{
	const struct kres *r;
	const char *ns = NULL;

	if (n >= 2 && !strcmp(seg[0], "namespaces") && !group[0] && n == 2) {
		/* GET /api/v1/namespaces/NAME */
		if (!is_get(req))
			method_not_allowed(c, req);
		else
			serve_get(ks, c, req, kube_resource("", "namespaces"),
				  NULL, seg[1]);
		return;
	}
	if (n >= 3 && !strcmp(seg[0], "namespaces")) {
		ns = seg[1];
		seg += 2;
		n -= 2;
	}
	r = kube_resource(group, seg[0]);
	if (r == NULL || n > 3 || (ns && !r->namespaced)) {
		not_found_path(c);
		return;
	}
	if (n == 3 && !strcmp(r->name, "pods") && !strcmp(seg[2], "exec") &&
	    ns && !strcmp(ns, KUBE_NAMESPACE)) {
		/* GET with Upgrade: websocket; kubectl's SPDY fallback is a
		 * POST, answered 400 so that the WebSocket error shows. */
		kube_pod_exec(ks, c, req, seg[1]);
		return;
	}
	if (n == 3 && !strcmp(r->name, "pods") && !strcmp(seg[2], "log") &&
	    ns && !strcmp(ns, KUBE_NAMESPACE)) {
		if (!is_get(req))
			method_not_allowed(c, req);
		else
			kube_pod_log(ks, c, req, seg[1]);
		return;
	}
	if (n == 3 && !strcmp(seg[2], "status") && is_get(req) &&
	    kube_compat_has_status(r->name)) {
		/* GET of the status subresource (client libraries'
		 * read_*_status): the whole object, as the apiserver. */
		serve_get(ks, c, req, r, ns, seg[1]);
		return;
	}
	if (n == 3) {
		/* Subresources: a pod's log, a deployment's scale, in
		 * `default`. */
		if (strcmp(r->name, "deployments") || strcmp(seg[2], "scale") ||
		    (ns && strcmp(ns, KUBE_NAMESPACE))) {
			not_found_path(c);
			return;
		}
		if (!is_get(req) && strcmp(req->method, "PUT") &&
		    strcmp(req->method, "PATCH")) {
			method_not_allowed(c, req);
			return;
		}
		kube_scale(ks, c, req, seg[1]);
		return;
	}
	if (n == 2 && !strcmp(req->method, "DELETE") &&
	    !strcmp(r->name, "pods") && ns) {
		if (strcmp(ns, KUBE_NAMESPACE)) {
			char msg[512];

			snprintf(msg, sizeof(msg), "pods \"%s\" not found",
				 seg[1]);
			reply_status(c, 404, "NotFound", msg, "pods", seg[1]);
			return;
		}
		kube_delete_pod(ks, c, req, seg[1]);
		return;
	}
	if (!is_get(req) && ns &&
	    (!strcmp(r->name, "deployments") || !strcmp(r->name, "services"))) {
		if (strcmp(ns, KUBE_NAMESPACE)) {
			reply_status(c, 404, "NotFound",
				     "berth has the namespace \"default\" only",
				     "namespaces", ns);
			return;
		}
		kube_write(ks, c, req, r, n == 2 ? seg[1] : NULL);
		return;
	}
	if (!is_get(req) && ns && !strcmp(r->group, "argoproj.io") && n <= 2) {
		if (strcmp(ns, KUBE_NAMESPACE)) {
			reply_status(c, 404, "NotFound",
				     "berth has the namespace \"default\" only",
				     "namespaces", ns);
			return;
		}
		kube_rollout_write(ks, c, req, r, n == 2 ? seg[1] : NULL);
		return;
	}
	if (!strcmp(req->method, "POST") && !strcmp(r->name, "pods")) {
		reply_status(c, 405, "MethodNotAllowed",
			     "berth runs no bare pods: create a Deployment",
			     "pods", NULL);
		return;
	}
	if (!is_get(req)) {
		method_not_allowed(c, req);
		return;
	}
	if (n == 1)
		serve_list(ks, c, req, r, ns);
	else
		serve_get(ks, c, req, r, ns, seg[1]);
}

void kube_route(void *data, struct kube_conn *c, const struct kube_request *in)
{
	struct kube_server *ks = data;
	char seg[MAX_SEGS][256];
	size_t n;
	json_t *doc;
	/* Python's client asks for "/version/" and "/api/". */
	struct kube_request clean = *in;
	const struct kube_request *req = &clean;
	cleanup_free char *path = xmalloc(strlen(in->path) + 1);

	kube_compat_path(in->path, path, strlen(in->path) + 1);
	clean.path = path;

	if (!req->authenticated) {
		reply_status(c, 401, "Unauthorized", "Unauthorized", NULL,
			     NULL);
		return;
	}
	if (!req->admin) {
		char msg[512];

		snprintf(msg, sizeof(msg),
			 "forbidden: User \"%s\" cannot %s path \"%s\"",
			 req->user, req->method, req->path);
		reply_status(c, 403, "Forbidden", msg, NULL, NULL);
		return;
	}
	if (!strcmp(req->path, "/version") && is_get(req)) {
		kube_reply_json(c, 200, kube_version_json());
		return;
	}
	if (!strcmp(req->path, "/healthz") || !strcmp(req->path, "/livez") ||
	    !strcmp(req->path, "/readyz")) {
		kube_reply(c, 200, "text/plain; charset=utf-8", "ok", 2);
		return;
	}
	/* Aggregated discovery only in the version the client asked for. */
	if (is_get(req)) {
		enum kube_disc_format f = kube_discovery_negotiate(req->accept);

		if ((doc = kube_discovery_aggregated(req->path, f))) {
			char *text = json_dumps(doc, JSON_COMPACT);

			kube_reply(c, 200, kube_discovery_content_type(f), text,
				   strlen(text));
			free(text);
			json_decref(doc);
			return;
		}
	}
	doc = kube_discovery_json(req->path, ks->listen);
	if (doc == NULL)
		doc = kube_openapi_json(req->path);
	if (doc && !is_get(req)) {
		json_decref(doc);
		method_not_allowed(c, req);
		return;
	}
	if (doc) {
		kube_reply_json(c, 200, doc);
		return;
	}
	n = split(req->path, seg, MAX_SEGS);
	if (n > MAX_SEGS) {
		not_found_path(c);
		return;
	}
	if (n >= 3 && !strcmp(seg[0], "api") && !strcmp(seg[1], "v1")) {
		serve_resource(ks, c, req, "", seg + 2, n - 2);
		return;
	}
	if (n >= 4 && !strcmp(seg[0], "apis") && !strcmp(seg[1], "apps") &&
	    !strcmp(seg[2], "v1")) {
		serve_resource(ks, c, req, "apps", seg + 3, n - 3);
		return;
	}
	if (n >= 4 && !strcmp(seg[0], "apis") &&
	    !strcmp(seg[1], "argoproj.io") && !strcmp(seg[2], "v1alpha1")) {
		serve_resource(ks, c, req, "argoproj.io", seg + 3, n - 3);
		return;
	}
	not_found_path(c);
}
