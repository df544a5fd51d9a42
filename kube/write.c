/*
 * write.c - the Kubernetes API's writes of Deployments and Services:
 * POST (create), PUT (replace), PATCH in its four types and DELETE. The
 * object's next state is computed on its Kubernetes form (patch.c),
 * read by config/'s manifest reader, as a manifest file is
 * (cfg_manifest_object), and made real through the
 * operations `berth apply` uses (daemon_put_deployment, rollout pause,
 * the services of the applied config, `set selector`); the record
 * (objects.c) keeps what the model has no place for. No decision about
 * pods is made here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/xalloc.h"
#include "../config/manifest.h"
#include "../orchestrator/daemon.h"
#include "../orchestrator/rollout.h"
#include "../orchestrator/service_ops.h"
#include "compat.h"
#include "kobj.h"
#include "kube_internal.h"
#include "objects.h"
#include "patch.h"
#include "protobuf.h"

struct wctx {
	struct kube_server *ks;
	struct kube_conn *c;
	const struct kube_request *req;
	const struct kres *r;
	const char *kind;  /* Deployment | Service */
	const char *what;  /* deployments.apps | services */
	char manager[128]; /* fieldManager */
	bool dry_run;
	bool strict; /* fieldValidation=Strict */
};

static void fail(struct wctx *w, int code, const char *reason, const char *name,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

int kube_object_config(const json_t *obj, const char *kind, bool strict,
		       struct berth_config **out, bool *paused,
		       struct berr *err)
{
	struct cfg_object_opts o = {
	    .strict = strict, .keeps_metadata = true, .paused = paused};
	bool dep = !strcmp(kind, "Deployment");
	const char *k = json_string_value(json_object_get(obj, "kind"));
	json_t *copy;
	int rc;

	if (!json_is_object(obj))
		return berr_set(err, "the object is not a JSON object");
	if (k && strcmp(k, kind))
		return berr_set(err, "kind: expected %s, not %s", kind, k);
	copy = json_deep_copy(obj);
	/* What a client may leave out: the endpoint says it. */
	if (k == NULL)
		json_object_set_new(copy, "kind", json_string(kind));
	if (json_object_get(copy, "apiVersion") == NULL)
		json_object_set_new(copy, "apiVersion",
				    json_string(dep ? "apps/v1" : "v1"));
	rc = cfg_manifest_object(copy, &o, out, err);
	json_decref(copy);
	return rc;
}

static void fail(struct wctx *w, int code, const char *reason, const char *name,
		 const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kube_reply_json(w->c, code,
			kube_status(code, reason, msg, w->r->name, name));
}

/* 422 Invalid with the cause kubectl prints: "FIELD: message" in why. */
static void invalid(struct wctx *w, const char *name, const char *why)
{
	const char *sep = strstr(why, ": ");
	char field[200] = "", msg[1200];
	json_t *st;

	if (sep && (size_t)(sep - why) < sizeof(field) &&
	    memchr(why, ' ', (size_t)(sep - why)) == NULL)
		snprintf(field, sizeof(field), "%.*s", (int)(sep - why), why);
	snprintf(msg, sizeof(msg), "%s%s \"%s\" is invalid: %s", w->kind,
		 strcmp(w->kind, "Deployment") ? "" : ".apps", name, why);
	st = kube_status(422, "Invalid", msg, w->r->name, name);
	json_object_set_new(json_object_get(st, "details"), "kind",
			    json_string(w->kind));
	json_object_set_new(json_object_get(st, "details"), "group",
			    json_string(w->r->group));
	json_object_set_new(
	    json_object_get(st, "details"), "causes",
	    json_pack("[{s:s, s:s, s:s}]", "reason", "FieldValueInvalid",
		      "message", field[0] ? sep + 2 : why, "field", field));
	kube_reply_json(w->c, 422, st);
}

/* The object as GET shows it now (a new reference), or NULL. */
static json_t *current(struct wctx *w, const char *name)
{
	struct kube_ctx k;
	json_t *all, *obj, *found = NULL;
	size_t i;

	kube_history_sync(w->ks, w->r);
	kube_ctx_init(&k, w->ks->d, w->ks->ns_created_ms);
	snprintf(k.rv, sizeof(k.rv), "%llu",
		 (unsigned long long)kube_history_head(w->ks));
	all = kube_collect(w->ks, &k, w->r, KUBE_NAMESPACE, NULL, NULL);
	kube_history_stamp(w->ks, w->r, all);
	json_array_foreach(all, i, obj)
	{
		const char *n =
		    json_string_value(kube_path(obj, "metadata.name"));

		if (n && !strcmp(n, name)) {
			found = json_incref(obj);
			break;
		}
	}
	json_decref(all);
	return found;
}

static void reply_current(struct wctx *w, int code, const char *name)
{
	json_t *obj = current(w, name);

	if (obj == NULL) {
		/* Made and gone at once (a dry run of a create). */
		kube_reply_json(w->c, code,
				json_pack("{s:s, s:s, s:{s:s}}", "kind",
					  w->kind, "apiVersion",
					  w->r->group[0] ? "apps/v1" : "v1",
					  "metadata", "name", name));
		return;
	}
	kube_reply_json(w->c, code, obj);
}

static json_t *body_json(struct wctx *w)
{
	json_error_t e;
	json_t *j =
	    json_loadb(w->req->body, w->req->body_len, JSON_DECODE_ANY, &e);

	if (j == NULL)
		fail(w, 400, "BadRequest", "",
		     "the body is not JSON (berth reads JSON only): %s",
		     e.text);
	return j;
}

/* What the record keeps of obj's metadata, and the object itself when
 * it was created through the API. */
static int remember(struct wctx *w, const char *name, json_t *obj, bool api,
		    const json_t *applied)
{
	json_t *rec = kube_record(w->ks, w->kind, name, true);
	json_t *meta = json_object_get(obj, "metadata");
	json_t *ann = json_deep_copy(json_object_get(meta, "annotations"));
	json_t *clean = json_deep_copy(obj), *cm;
	const json_t *ctr = kube_path(obj, "spec.template.spec.containers");
	struct berr err = BERR_INIT;
	void *it;

	/* Berth's own annotations (the revision's, and the berth.io/ ones
	 * of its settings) are made again at every read. */
	for (it = json_object_iter(ann); it;) {
		const char *k = json_object_iter_key(it);

		it = json_object_iter_next(ann, it);
		if (!strncmp(k, "deployment.kubernetes.io/", 25) ||
		    !strncmp(k, "berth.io/", 9))
			json_object_del(ann, k);
	}
	json_object_set_new(rec, "annotations", ann ? ann : json_object());
	json_object_set_new(rec, "labels",
			    json_deep_copy(json_object_get(meta, "labels"))
				?: json_object());
	if (json_is_array(ctr) && json_array_size(ctr) == 1)
		json_object_set(
		    rec, "container",
		    json_object_get(json_array_get(ctr, 0), "name"));
	if (applied) {
		if (!json_is_object(json_object_get(rec, "applied")))
			json_object_set_new(rec, "applied", json_object());
		json_object_set_new(json_object_get(rec, "applied"), w->manager,
				    json_deep_copy(applied));
	}
	json_object_del(clean, "status");
	cm = json_object_get(clean, "metadata");
	json_object_del(cm, "uid");
	json_object_del(cm, "resourceVersion");
	json_object_del(cm, "generation");
	json_object_del(cm, "creationTimestamp");
	json_object_del(cm, "managedFields");
	if (api) {
		json_object_set_new(rec, "api", json_true());
		json_object_set_new(rec, "object", clean);
	} else {
		json_decref(clean);
	}
	if (kube_record_save(w->ks, rec, &err) == -1) {
		fail(w, 500, "InternalError", name,
		     "the object changed but its record could not be saved: "
		     "%s",
		     err.msg);
		return -1;
	}
	return 0;
}

/* Makes obj the deployment name (dep NULL: a new one). 0, or -1 once
 * answered. */
static int put_deployment(struct wctx *w, const char *name, json_t *obj,
			  struct deployment *dep, const json_t *applied)
{
	struct daemon *d = w->ks->d;
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	struct cfg_ref *ref;
	bool paused = false,
	     api = dep == NULL || kube_record_api(w->ks, w->kind, name);
	const char *cause = json_string_value(
	    json_object_get(kube_path(obj, "metadata.annotations"),
			    "kubernetes.io/change-cause"));

	if (kube_object_config(obj, "Deployment", w->strict, &cfg, &paused,
			       &err) == -1) {
		invalid(w, name, err.msg);
		return -1;
	}
	if (strcmp(cfg->deployments[0].name, name)) {
		fail(w, 400, "BadRequest", name,
		     "the name of the object (%s) does not match the name "
		     "in the URL (%s)",
		     cfg->deployments[0].name, name);
		cfg_free(cfg);
		return -1;
	}
	if (w->dry_run) {
		cfg_free(cfg);
		return 0;
	}
	/* Like a template `set image` makes: not the file's. */
	free(cfg->path);
	cfg->path = NULL;
	ref = cfg_ref_new(cfg);
	daemon_put_deployment(d, &cfg->deployments[0], ref, cause ? cause : "",
			      NULL);
	cfg_ref_put(ref);
	dep = daemon_find_deployment(d, name);
	if (dep)
		rollout_set_paused(d, dep, paused);
	return remember(w, name, obj, api, applied);
}

static const struct service_spec *find_service(struct daemon *d,
					       const char *name)
{
	for (size_t i = 0; d->cfg && i < d->cfg->n_services; i++)
		if (!strcmp(d->cfg->services[i].name, name))
			return &d->cfg->services[i];
	return NULL;
}

static bool kvlist_same(const struct kvlist *a, const struct kvlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) ||
		    strcmp(a->v[i].value, b->v[i].value))
			return false;
	return true;
}

static int put_service(struct wctx *w, const char *name, json_t *obj,
		       const struct service_spec *cur, const json_t *applied)
{
	struct daemon *d = w->ks->d;
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	bool api = cur == NULL || kube_record_api(w->ks, w->kind, name);
	struct service_spec *s;

	if (kube_object_config(obj, "Service", w->strict, &cfg, NULL, &err) ==
	    -1) {
		invalid(w, name, err.msg);
		return -1;
	}
	s = &cfg->services[0];
	if (strcmp(s->name, name)) {
		fail(w, 400, "BadRequest", name,
		     "the name of the object (%s) does not match the name "
		     "in the URL (%s)",
		     s->name, name);
		cfg_free(cfg);
		return -1;
	}
	if (!api) {
		/* A service of the config file: its selector may change
		 * (as `berth set selector` does); the rest is the file's. */
		if (strcmp(s->listen, cur->listen) ||
		    s->target_port != cur->target_port ||
		    s->mode != cur->mode || s->balance != cur->balance) {
			char why[512];

			snprintf(why, sizeof(why),
				 "spec: service `%s` comes from the config "
				 "file %s: only its selector changes through "
				 "the API (edit the file for the rest)",
				 name, d->config_path);
			invalid(w, name, why);
			cfg_free(cfg);
			return -1;
		}
		if (!w->dry_run &&
		    !kvlist_same(&s->selector, service_selector(d, cur)) &&
		    service_override_selector(d, name, &s->selector, &err) ==
			-1) {
			fail(w, 404, "NotFound", name, "%s", err.msg);
			cfg_free(cfg);
			return -1;
		}
		cfg_free(cfg);
		return w->dry_run ? 0 : remember(w, name, obj, false, applied);
	}
	if (w->dry_run) {
		cfg_free(cfg);
		return 0;
	}
	if (daemon_put_service(d, s, &err) == -1) {
		invalid(w, name, err.msg);
		cfg_free(cfg);
		return -1;
	}
	cfg_free(cfg);
	return remember(w, name, obj, true, applied);
}

static int put(struct wctx *w, const char *name, json_t *obj,
	       const json_t *applied, bool create)
{
	if (!strcmp(w->kind, "Deployment"))
		return put_deployment(
		    w, name, obj,
		    create ? NULL : daemon_find_deployment(w->ks->d, name),
		    applied);
	return put_service(w, name, obj,
			   create ? NULL : find_service(w->ks->d, name),
			   applied);
}

static bool exists(struct wctx *w, const char *name)
{
	if (!strcmp(w->kind, "Deployment"))
		return daemon_find_deployment(w->ks->d, name) != NULL;
	return find_service(w->ks->d, name) != NULL;
}

static void not_found(struct wctx *w, const char *name)
{
	fail(w, 404, "NotFound", name, "%s \"%s\" not found", w->what, name);
}

static void do_create(struct wctx *w, json_t *obj, const json_t *applied)
{
	const char *name = json_string_value(kube_path(obj, "metadata.name"));
	char buf[128];

	if (name == NULL || name[0] == '\0') {
		invalid(w, "", "metadata.name: Required value");
		return;
	}
	snprintf(buf, sizeof(buf), "%s", name);
	if (exists(w, buf)) {
		fail(w, 409, "AlreadyExists", buf, "%s \"%s\" already exists",
		     w->what, buf);
		return;
	}
	if (put(w, buf, obj, applied, true) == 0)
		reply_current(w, 201, buf);
}

/* The patched object per Content-Type; NULL once answered. */
static json_t *patched(struct wctx *w, const char *name, json_t *cur,
		       json_t *body)
{
	const char *ct = w->req->content_type;
	char why[512] = "";
	json_t *out = NULL;

	if (!strncmp(ct, "application/json-patch+json", 27))
		out = kube_patch_json(cur, body, why, sizeof(why));
	else if (!strncmp(ct, "application/merge-patch+json", 28))
		out = kube_patch_merge(cur, body);
	else if (!strncmp(ct, "application/strategic-merge-patch+json", 38))
		out =
		    kube_patch_strategic(cur, body, w->kind, why, sizeof(why));
	else if (!strncmp(ct, "application/apply-patch+yaml", 28)) {
		json_t *rec = kube_record(w->ks, w->kind, name, false);

		out = kube_patch_apply(
		    cur,
		    json_object_get(json_object_get(rec, "applied"),
				    w->manager),
		    body, w->kind, why, sizeof(why));
	} else {
		fail(w, 415, "UnsupportedMediaType", name,
		     "the body of the request was in an unknown format - "
		     "accepted media types include: "
		     "application/json-patch+json, "
		     "application/merge-patch+json, "
		     "application/strategic-merge-patch+json, "
		     "application/apply-patch+yaml");
		return NULL;
	}
	if (out == NULL) {
		char msg[600];

		snprintf(msg, sizeof(msg), "patch: %s", why);
		invalid(w, name, msg);
	}
	return out;
}

/* A resourceVersion given must be the current one. */
static bool stale(struct wctx *w, const char *name, json_t *cur, json_t *obj)
{
	const char *want =
	    json_string_value(kube_path(obj, "metadata.resourceVersion"));
	const char *have =
	    json_string_value(kube_path(cur, "metadata.resourceVersion"));

	if (want == NULL || want[0] == '\0' || (have && !strcmp(want, have)))
		return false;
	fail(w, 409, "Conflict", name,
	     "Operation cannot be fulfilled on %s \"%s\": the object has "
	     "been modified; please apply your changes to the latest "
	     "version and try again",
	     w->what, name);
	return true;
}

static void do_patch(struct wctx *w, const char *name, json_t *body)
{
	json_t *cur = current(w, name), *obj;
	bool apply =
	    !strncmp(w->req->content_type, "application/apply-patch+yaml", 28);

	if (cur == NULL) {
		if (apply) {
			/* Server-side apply creates. */
			do_create(w, body, body);
			return;
		}
		not_found(w, name);
		return;
	}
	obj = patched(w, name, cur, body);
	if (obj == NULL) {
		json_decref(cur);
		return;
	}
	if (!stale(w, name, cur, obj) &&
	    put(w, name, obj, apply ? body : NULL, false) == 0)
		reply_current(w, 200, name);
	json_decref(obj);
	json_decref(cur);
}

static void do_replace(struct wctx *w, const char *name, json_t *obj)
{
	json_t *cur = current(w, name);

	if (cur == NULL) {
		not_found(w, name);
		return;
	}
	if (!stale(w, name, cur, obj) && put(w, name, obj, NULL, false) == 0)
		reply_current(w, 200, name);
	json_decref(cur);
}

static void do_delete(struct wctx *w, const char *name)
{
	struct daemon *d = w->ks->d;
	struct berr err = BERR_INIT;
	json_t *cur = current(w, name);

	if (cur == NULL) {
		not_found(w, name);
		return;
	}
	if (!w->dry_run) {
		if (!strcmp(w->kind, "Deployment"))
			daemon_delete_deployment(
			    d, daemon_find_deployment(d, name));
		else if (daemon_delete_service(d, name, &err) == -1) {
			json_decref(cur);
			fail(w, 404, "NotFound", name, "%s", err.msg);
			return;
		}
		kube_record_delete(w->ks, w->kind, name);
		if (!strcmp(w->kind, "Deployment")) /* made as a Rollout */
			kube_record_delete(w->ks, "Rollout", name);
	}
	json_decref(cur);
	kube_reply_json(w->c, 200,
			json_pack("{s:s, s:s, s:{}, s:s, s:{s:s, s:s, s:s}}",
				  "kind", "Status", "apiVersion", "v1",
				  "metadata", "status", "Success", "details",
				  "name", name, "group", w->r->group, "kind",
				  w->r->name));
}

void kube_write(struct kube_server *ks, struct kube_conn *c,
		const struct kube_request *req, const struct kres *r,
		const char *name)
{
	struct wctx w = {.ks = ks, .c = c, .req = req, .r = r};
	cleanup_free char *mgr = kube_query_get(req, "fieldManager");
	cleanup_free char *dry = kube_query_get(req, "dryRun");
	cleanup_free char *fv = kube_query_get(req, "fieldValidation");
	json_t *body = NULL;

	w.kind = strcmp(r->name, "deployments") ? "Service" : "Deployment";
	w.what =
	    strcmp(r->name, "deployments") ? "services" : "deployments.apps";
	snprintf(w.manager, sizeof(w.manager), "%s", mgr ? mgr : "unknown");
	w.dry_run = dry && !strcmp(dry, "All");
	w.strict = fv && !strcmp(fv, "Strict");
	if (!strcmp(req->method, "DELETE")) {
		do_delete(&w, name);
		return;
	}
	if (kube_pb_content_type(req->content_type)) {
		/* kubectl create deployment, create service: the same
		 * object as JSON would carry. */
		int code;
		char why[512];

		body = kube_pb_decode(req->body, req->body_len, &code, why,
				      sizeof(why));
		if (body == NULL) {
			fail(&w, code,
			     code == 415 ? "UnsupportedMediaType"
					 : "BadRequest",
			     name ? name : "", "%s", why);
			return;
		}
	} else {
		body = body_json(&w);
	}
	if (body == NULL)
		return;
	/* A client library may leave them out of an object: the URL names
	 * them. */
	if (strcmp(req->method, "PATCH"))
		kube_compat_type_meta(body, r->group[0] ? "apps/v1" : "v1",
				      w.kind);
	if (!strcmp(req->method, "POST") && name == NULL)
		do_create(&w, body, NULL);
	else if (!strcmp(req->method, "PUT") && name)
		do_replace(&w, name, body);
	else if (!strcmp(req->method, "PATCH") && name)
		do_patch(&w, name, body);
	else
		fail(&w, 405, "MethodNotAllowed", name ? name : "",
		     "the server does not allow this method on the requested "
		     "resource (%s)",
		     req->method);
	json_decref(body);
}
