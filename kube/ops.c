/*
 * ops.c - the Kubernetes API's writes: DELETE of a pod and the
 * deployments' scale subresource. Each calls the orchestrator operations
 * the control API calls for `berth delete pod` and `berth scale`, and
 * answers with Kubernetes objects; no decision about pods is made here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "../orchestrator/daemon.h"
#include "../orchestrator/events.h"
#include "../orchestrator/pod.h"
#include "../orchestrator/reconcile.h"
#include "../orchestrator/store.h"
#include "../orchestrator/terminate.h"
#include "../orchestrator/watch.h"
#include "kobj.h"
#include "kube_internal.h"
#include "objects.h"

#define MAX_REPLICAS 10000

static void status(struct kube_conn *c, int code, const char *reason,
		   const char *msg, const char *kind, const char *name)
{
	kube_reply_json(c, code, kube_status(code, reason, msg, kind, name));
}

/* obj, with the resourceVersion of its last change (after a sync). */
static json_t *stamped(struct kube_server *ks, const struct kres *r,
		       json_t *obj)
{
	json_t *one = json_pack("[o]", obj);

	kube_history_stamp(ks, r, one);
	obj = json_incref(json_array_get(one, 0));
	json_decref(one);
	return obj;
}

static bool dry_run(const struct kube_request *req)
{
	cleanup_free char *v = kube_query_get(req, "dryRun");

	return v && !strcmp(v, "All");
}

/* The request body as a JSON object; NULL once 400 has been answered. */
static json_t *body_object(struct kube_conn *c, const struct kube_request *req)
{
	json_error_t e;
	json_t *j;
	char msg[256];

	if (req->body_len == 0)
		return json_object();
	j = json_loadb(req->body, req->body_len, 0, &e);
	if (json_is_object(j))
		return j;
	json_decref(j);
	snprintf(msg, sizeof(msg),
		 "the body of the request is not a JSON "
		 "object: %s",
		 e.text);
	status(c, 400, "BadRequest", msg, NULL, NULL);
	return NULL;
}

void kube_delete_pod(struct kube_server *ks, struct kube_conn *c,
		     const struct kube_request *req, const char *name)
{
	struct pod *p = pod_find(ks->d, name);
	struct kube_ctx k;
	json_t *body, *grace;
	int seconds = -1;
	char msg[256];

	if (p == NULL || p->phase == POD_GONE) {
		snprintf(msg, sizeof(msg), "pods \"%s\" not found", name);
		status(c, 404, "NotFound", msg, "pods", name);
		return;
	}
	body = body_object(c, req);
	if (body == NULL)
		return;
	/* DeleteOptions, in the body or the query. */
	grace = json_object_get(body, "gracePeriodSeconds");
	if (json_is_integer(grace)) {
		seconds = (int)json_integer_value(grace);
	} else {
		cleanup_free char *q =
		    kube_query_get(req, "gracePeriodSeconds");

		if (q)
			seconds = atoi(q);
	}
	json_decref(body);
	if (seconds < -1)
		seconds = -1;
	if (!dry_run(req) && !pod_leaving(p))
		pod_terminate(p, TERM_REMOVE, seconds, "deleted");
	kube_history_sync(ks, kube_resource("", "pods"));
	kube_ctx_init(&k, ks->d, ks->ns_created_ms);
	/* Still there, terminating: kubectl waits for it to go. */
	kube_reply_json(
	    c, 200, stamped(ks, kube_resource("", "pods"), kube_pod(&k, p)));
}

static json_t *scale_json(struct kube_server *ks, struct deployment *dep)
{
	struct kube_ctx k;
	json_t *d, *sel, *v;
	const char *key;
	char *selector = xstrdup("");

	kube_history_sync(ks, kube_resource("apps", "deployments"));
	kube_ctx_init(&k, ks->d, ks->ns_created_ms);
	d = stamped(ks, kube_resource("apps", "deployments"),
		    kube_deployment(&k, dep));
	sel = kube_path(d, "spec.selector.matchLabels");
	json_object_foreach(sel, key, v)
	{
		char *next =
		    xasprintf("%s%s%s=%s", selector, selector[0] ? "," : "",
			      key, json_string_value(v));

		free(selector);
		selector = next;
	}
	v = json_pack(
	    "{s:s, s:s, s:{s:s, s:s, s:O, s:O, s:O}, s:{s:i}, s:{s:O, s:s}}",
	    "kind", "Scale", "apiVersion", "autoscaling/v1", "metadata", "name",
	    dep->name, "namespace", KUBE_NAMESPACE, "uid",
	    kube_path(d, "metadata.uid"), "resourceVersion",
	    kube_path(d, "metadata.resourceVersion"), "creationTimestamp",
	    kube_path(d, "metadata.creationTimestamp"), "spec", "replicas",
	    dep->replicas, "status", "replicas",
	    kube_path(d, "status.replicas"), "selector", selector);
	free(selector);
	json_decref(d);
	return v;
}

/* A deployment made through the API is made again from its record: the
 * record follows the scale. */
static void remember_replicas(struct kube_server *ks, struct deployment *dep)
{
	json_t *rec = kube_record(ks, "Deployment", dep->name, false);
	json_t *spec = kube_path(json_object_get(rec, "object"), "spec");
	struct berr err = BERR_INIT;

	if (!json_is_true(json_object_get(rec, "api")) || !json_is_object(spec))
		return;
	json_object_set_new(spec, "replicas", json_integer(dep->replicas));
	if (kube_record_save(ks, rec, &err) == -1)
		log_warnx("kubernetes API: %s", err.msg);
}

void kube_scale(struct kube_server *ks, struct kube_conn *c,
		const struct kube_request *req, const char *name)
{
	struct deployment *dep = daemon_find_deployment(ks->d, name);
	json_t *body, *r;
	json_int_t n;
	char msg[256];

	if (dep == NULL || dep->deleting) {
		snprintf(msg, sizeof(msg), "deployments.apps \"%s\" not found",
			 name);
		status(c, 404, "NotFound", msg, "deployments", name);
		return;
	}
	if (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")) {
		kube_reply_json(c, 200, scale_json(ks, dep));
		return;
	}
	/* PUT sends a Scale; a merge or strategic merge patch sends
	 * {"spec":{"replicas":N}}: the same field either way. */
	body = body_object(c, req);
	if (body == NULL)
		return;
	r = kube_path(body, "spec.replicas");
	if (r == NULL) {
		json_decref(body);
		kube_reply_json(c, 200, scale_json(ks, dep));
		return;
	}
	n = json_integer_value(r);
	if (!json_is_integer(r) || n < 0 || n > MAX_REPLICAS) {
		char *v = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT);

		snprintf(msg, sizeof(msg),
			 "Scale.autoscaling \"%s\" is invalid: spec.replicas: "
			 "Invalid value: %s: must be an integer from 0 to %d",
			 name, v ? v : "?", MAX_REPLICAS);
		free(v);
		json_decref(body);
		status(c, 422, "Invalid", msg, "deployments", name);
		return;
	}
	json_decref(body);
	if (!dry_run(req) && n != dep->replicas) {
		dep->replicas = (int)n;
		event_record(ks->d, "Normal", "ScalingReplicaSet",
			     event_object_name("deployment", dep->name),
			     "Scaled to %d replicas (Kubernetes API)",
			     dep->replicas);
		store_save_deployment(dep);
		reconcile_schedule(ks->d);
		watch_mark(ks->d, WATCH_DEPLOYMENTS);
		remember_replicas(ks, dep);
	}
	kube_reply_json(c, 200, scale_json(ks, dep));
}
