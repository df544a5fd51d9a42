/*
 * write_common.c - the steps every write of the Kubernetes API takes,
 * whatever the kind: Status answers (errors, 422 Invalid, a DELETE
 * done), the object as GET shows it, the resourceVersion check, the
 * patch per Content-Type, the record's common part and the POST/PUT/PATCH
 * dispatch. What an object of a kind means, and making it real, is the
 * kind's file's (write.c, rollout_write.c) through struct kwrite_ops;
 * nothing here reads a config or touches the model.
 */
#include "write_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "kobj.h"
#include "kube_internal.h"
#include "objects.h"
#include "patch.h"

void kwrite_init(struct kwrite *w, struct kube_server *ks, struct kube_conn *c,
		 const struct kube_request *req, const struct kres *r)
{
	char *mgr = kube_query_get(req, "fieldManager");
	char *dry = kube_query_get(req, "dryRun");

	w->ks = ks;
	w->c = c;
	w->req = req;
	w->r = r;
	snprintf(w->manager, sizeof(w->manager), "%s", mgr ? mgr : "unknown");
	w->dry_run = dry && !strcmp(dry, "All");
	free(mgr);
	free(dry);
}

void kwrite_fail(struct kwrite *w, int code, const char *reason,
		 const char *name, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kube_reply_json(w->c, code,
			kube_status(code, reason, msg, w->r->name, name));
}

void kwrite_invalid(struct kwrite *w, const char *name, const char *why)
{
	const char *sep = strstr(why, ": ");
	char field[200] = "", msg[1200];
	json_t *st;

	if (sep && (size_t)(sep - why) < sizeof(field) &&
	    memchr(why, ' ', (size_t)(sep - why)) == NULL)
		snprintf(field, sizeof(field), "%.*s", (int)(sep - why), why);
	snprintf(msg, sizeof(msg), "%s%s \"%s\" is invalid: %s", w->kind,
		 w->kind_suffix, name, why);
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

void kwrite_not_found(struct kwrite *w, const char *name)
{
	kwrite_fail(w, 404, "NotFound", name, "%s \"%s\" not found", w->what,
		    name);
}

void kwrite_reply_deleted(struct kwrite *w, const char *name)
{
	kube_reply_json(w->c, 200,
			json_pack("{s:s, s:s, s:{}, s:s, s:{s:s, s:s, s:s}}",
				  "kind", "Status", "apiVersion", "v1",
				  "metadata", "status", "Success", "details",
				  "name", name, "group", w->r->group, "kind",
				  w->r->name));
}

json_t *kwrite_current(struct kwrite *w, const char *name)
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

void kwrite_reply_current(struct kwrite *w, int code, const char *name)
{
	json_t *obj = kwrite_current(w, name);

	if (obj == NULL) /* made and gone at once (a dry run of a create) */
		obj = json_pack("{s:s, s:s, s:{s:s}}", "kind", w->kind,
				"apiVersion", w->api_version, "metadata",
				"name", name);
	kube_reply_json(w->c, code, obj);
}

json_t *kwrite_record_meta(struct kwrite *w, const char *name, json_t *obj,
			   json_t *ann)
{
	json_t *rec = kube_record(w->ks, w->kind, name, true);
	json_t *meta = json_object_get(obj, "metadata");

	json_object_set_new(rec, "annotations", ann ? ann : json_object());
	json_object_set_new(rec, "labels",
			    json_deep_copy(json_object_get(meta, "labels"))
				?: json_object());
	return rec;
}

void kwrite_record_applied(struct kwrite *w, json_t *rec, const json_t *applied)
{
	if (applied == NULL)
		return;
	if (!json_is_object(json_object_get(rec, "applied")))
		json_object_set_new(rec, "applied", json_object());
	json_object_set_new(json_object_get(rec, "applied"), w->manager,
			    json_deep_copy(applied));
}

json_t *kwrite_clean_object(const json_t *obj)
{
	json_t *clean = json_deep_copy(obj);
	json_t *cm;

	json_object_del(clean, "status");
	cm = json_object_get(clean, "metadata");
	json_object_del(cm, "uid");
	json_object_del(cm, "resourceVersion");
	json_object_del(cm, "generation");
	json_object_del(cm, "creationTimestamp");
	json_object_del(cm, "managedFields");
	return clean;
}

int kwrite_record_save(struct kwrite *w, const char *name, json_t *rec)
{
	struct berr err = BERR_INIT;

	if (kube_record_save(w->ks, rec, &err) == -1) {
		kwrite_fail(w, 500, "InternalError", name,
			    "the object changed but its record could not be "
			    "saved: %s",
			    err.msg);
		return -1;
	}
	return 0;
}

static void do_create(struct kwrite *w, json_t *obj, const json_t *applied)
{
	const char *n = json_string_value(kube_path(obj, "metadata.name"));
	char name[128];

	if (n == NULL || n[0] == '\0') {
		kwrite_invalid(w, "", "metadata.name: Required value");
		return;
	}
	snprintf(name, sizeof(name), "%s", n);
	if (w->ops->exists(w, name)) {
		kwrite_fail(w, 409, "AlreadyExists", name,
			    "%s \"%s\" already exists", w->what, name);
		return;
	}
	if (w->ops->put(w, name, obj, applied, true) == 0)
		kwrite_reply_current(w, 201, name);
}

/* A resourceVersion given must be the current one. */
static bool stale(struct kwrite *w, const char *name, json_t *cur, json_t *obj)
{
	const char *want =
	    json_string_value(kube_path(obj, "metadata.resourceVersion"));
	const char *have =
	    json_string_value(kube_path(cur, "metadata.resourceVersion"));

	if (want == NULL || want[0] == '\0' || (have && !strcmp(want, have)))
		return false;
	kwrite_fail(w, 409, "Conflict", name,
		    "Operation cannot be fulfilled on %s \"%s\": the object "
		    "has been modified; please apply your changes to the "
		    "latest version and try again",
		    w->what, name);
	return true;
}

/* The patched object per Content-Type; NULL once answered. */
static json_t *patched(struct kwrite *w, const char *name, json_t *cur,
		       json_t *body)
{
	const char *ct = w->req->content_type;
	char why[512] = "";
	json_t *out = NULL;

	if (!strncmp(ct, "application/json-patch+json", 27))
		out = kube_patch_json(cur, body, why, sizeof(why));
	else if (!strncmp(ct, "application/merge-patch+json", 28))
		out = kube_patch_merge(cur, body);
	else if (w->strategic &&
		 !strncmp(ct, "application/strategic-merge-patch+json", 38))
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
		kwrite_fail(w, 415, "UnsupportedMediaType", name,
			    "the body of the request was in an unknown format "
			    "- accepted media types include: "
			    "application/json-patch+json, "
			    "application/merge-patch+json, %s"
			    "application/apply-patch+yaml",
			    w->strategic
				? "application/strategic-merge-patch+json, "
				: "");
		return NULL;
	}
	if (out == NULL) {
		char msg[600];

		snprintf(msg, sizeof(msg), "patch: %s", why);
		kwrite_invalid(w, name, msg);
	}
	return out;
}

static void do_patch(struct kwrite *w, const char *name, json_t *body)
{
	json_t *cur = kwrite_current(w, name), *obj;
	bool apply =
	    !strncmp(w->req->content_type, "application/apply-patch+yaml", 28);

	if (cur == NULL) {
		if (apply) /* server-side apply creates */
			do_create(w, body, body);
		else
			kwrite_not_found(w, name);
		return;
	}
	obj = patched(w, name, cur, body);
	/* A patch may take them out (null, "remove"): the URL names them. */
	kube_compat_type_meta(obj, w->api_version, w->kind);
	if (obj && !stale(w, name, cur, obj) &&
	    w->ops->put(w, name, obj, apply ? body : NULL, false) == 0)
		kwrite_reply_current(w, 200, name);
	json_decref(obj);
	json_decref(cur);
}

static void do_replace(struct kwrite *w, const char *name, json_t *obj)
{
	json_t *cur = kwrite_current(w, name);

	if (cur == NULL)
		kwrite_not_found(w, name);
	else if (!stale(w, name, cur, obj) &&
		 w->ops->put(w, name, obj, NULL, false) == 0)
		kwrite_reply_current(w, 200, name);
	json_decref(cur);
}

void kwrite_dispatch(struct kwrite *w, const char *name, json_t *body)
{
	const char *method = w->req->method;

	/* A client library may leave them out of an object (a whole one:
	 * POST, PUT, server-side apply; a patched object is filled once
	 * patched): the URL names them. */
	if (strcmp(method, "PATCH") ||
	    !strncmp(w->req->content_type, "application/apply-patch+yaml", 28))
		kube_compat_type_meta(body, w->api_version, w->kind);
	if (!strcmp(method, "POST") && name == NULL)
		do_create(w, body, NULL);
	else if (!strcmp(method, "PUT") && name)
		do_replace(w, name, body);
	else if (!strcmp(method, "PATCH") && name)
		do_patch(w, name, body);
	else
		kwrite_fail(w, 405, "MethodNotAllowed", name ? name : "",
			    "the server does not allow this method on the "
			    "requested resource (%s)",
			    method);
}
