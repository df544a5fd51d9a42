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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/xalloc.h"
#include "../config/manifest.h"
#include "../orchestrator/daemon.h"
#include "../orchestrator/rollout.h"
#include "../orchestrator/service_ops.h"
#include "kobj.h"
#include "kube_internal.h"
#include "objects.h"
#include "patch.h"
#include "protobuf.h"
#include "write_common.h"

struct wctx {
	struct kwrite k; /* first: the kind Deployment | Service */
	bool strict;	 /* fieldValidation=Strict */
};

int kube_object_config(const json_t *obj, const char *kind, bool strict,
		       struct berth_config **out, bool *paused,
		       struct berr *err)
{
	struct cfg_object_opts o = {
	    .strict = strict, .keeps_metadata = true, .paused = paused};
	const char *k = json_string_value(json_object_get(obj, "kind"));

	if (!json_is_object(obj))
		return berr_set(err, "the object is not a JSON object");
	if (k && strcmp(k, kind))
		return berr_set(err, "kind: expected %s, not %s", kind, k);
	return cfg_manifest_object(obj, &o, out, err);
}

static json_t *body_json(struct kwrite *w)
{
	json_error_t e;
	json_t *j =
	    json_loadb(w->req->body, w->req->body_len, JSON_DECODE_ANY, &e);

	if (j == NULL)
		kwrite_fail(w, 400, "BadRequest", "",
			    "the body is not JSON (berth reads JSON only): %s",
			    e.text);
	return j;
}

/* What the record keeps of obj's metadata, and the object itself when
 * it was created through the API. */
static int remember(struct kwrite *w, const char *name, json_t *obj, bool api,
		    const json_t *applied)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *ann = json_deep_copy(json_object_get(meta, "annotations"));
	const json_t *ctr = kube_path(obj, "spec.template.spec.containers");
	json_t *rec;
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
	rec = kwrite_record_meta(w, name, obj, ann);
	if (json_is_array(ctr) && json_array_size(ctr) == 1)
		json_object_set(
		    rec, "container",
		    json_object_get(json_array_get(ctr, 0), "name"));
	kwrite_record_applied(w, rec, applied);
	if (api) {
		json_object_set_new(rec, "api", json_true());
		json_object_set_new(rec, "object", kwrite_clean_object(obj));
	}
	return kwrite_record_save(w, name, rec);
}

/* Makes obj the deployment name (dep NULL: a new one). 0, or -1 once
 * answered. */
static int put_deployment(struct wctx *w, const char *name, json_t *obj,
			  struct deployment *dep, const json_t *applied)
{
	struct kwrite *k = &w->k;
	struct daemon *d = k->ks->d;
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	struct cfg_ref *ref;
	bool paused = false,
	     api = dep == NULL || kube_record_api(k->ks, k->kind, name);
	const char *cause = json_string_value(
	    json_object_get(kube_path(obj, "metadata.annotations"),
			    "kubernetes.io/change-cause"));

	if (kube_object_config(obj, "Deployment", w->strict, &cfg, &paused,
			       &err) == -1) {
		kwrite_invalid(k, name, err.msg);
		return -1;
	}
	if (strcmp(cfg->deployments[0].name, name)) {
		kwrite_fail(
		    k, 400, "BadRequest", name,
		    "the name of the object (%s) does not match the name "
		    "in the URL (%s)",
		    cfg->deployments[0].name, name);
		cfg_free(cfg);
		return -1;
	}
	if (k->dry_run) {
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
	return remember(k, name, obj, api, applied);
}

static const struct service_spec *find_service(struct daemon *d,
					       const char *name)
{
	for (size_t i = 0; d->cfg && i < d->cfg->n_services; i++)
		if (!strcmp(d->cfg->services[i].name, name))
			return &d->cfg->services[i];
	return NULL;
}

static int put_service(struct wctx *w, const char *name, json_t *obj,
		       const struct service_spec *cur, const json_t *applied)
{
	struct kwrite *k = &w->k;
	struct daemon *d = k->ks->d;
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	bool api = cur == NULL || kube_record_api(k->ks, k->kind, name);
	struct service_spec *s;

	if (kube_object_config(obj, "Service", w->strict, &cfg, NULL, &err) ==
	    -1) {
		kwrite_invalid(k, name, err.msg);
		return -1;
	}
	s = &cfg->services[0];
	if (strcmp(s->name, name)) {
		kwrite_fail(
		    k, 400, "BadRequest", name,
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
		    (s->target_port_name == NULL) !=
			(cur->target_port_name == NULL) ||
		    (s->target_port_name &&
		     strcmp(s->target_port_name, cur->target_port_name)) ||
		    s->mode != cur->mode || s->balance != cur->balance) {
			char why[512];

			snprintf(why, sizeof(why),
				 "spec: service `%s` comes from the config "
				 "file %s: only its selector changes through "
				 "the API (edit the file for the rest)",
				 name, d->config_path);
			kwrite_invalid(k, name, why);
			cfg_free(cfg);
			return -1;
		}
		if (!k->dry_run &&
		    !kvlist_equal(&s->selector, service_selector(d, cur)) &&
		    service_override_selector(d, name, &s->selector, &err) ==
			-1) {
			kwrite_fail(k, 404, "NotFound", name, "%s", err.msg);
			cfg_free(cfg);
			return -1;
		}
		cfg_free(cfg);
		return k->dry_run ? 0 : remember(k, name, obj, false, applied);
	}
	if (k->dry_run) {
		cfg_free(cfg);
		return 0;
	}
	if (daemon_put_service(d, s, &err) == -1) {
		kwrite_invalid(k, name, err.msg);
		cfg_free(cfg);
		return -1;
	}
	cfg_free(cfg);
	return remember(k, name, obj, true, applied);
}

static int put(struct kwrite *k, const char *name, json_t *obj,
	       const json_t *applied, bool create)
{
	struct wctx *w = (struct wctx *)k;

	if (!strcmp(k->kind, "Deployment"))
		return put_deployment(
		    w, name, obj,
		    create ? NULL : daemon_find_deployment(k->ks->d, name),
		    applied);
	return put_service(w, name, obj,
			   create ? NULL : find_service(k->ks->d, name),
			   applied);
}

static bool exists(struct kwrite *w, const char *name)
{
	if (!strcmp(w->kind, "Deployment"))
		return daemon_find_deployment(w->ks->d, name) != NULL;
	return find_service(w->ks->d, name) != NULL;
}

static const struct kwrite_ops ops = {.put = put, .exists = exists};

static void do_delete(struct kwrite *w, const char *name)
{
	struct daemon *d = w->ks->d;
	struct berr err = BERR_INIT;
	json_t *cur = kwrite_current(w, name);

	if (cur == NULL) {
		kwrite_not_found(w, name);
		return;
	}
	if (!w->dry_run) {
		if (!strcmp(w->kind, "Deployment"))
			daemon_delete_deployment(
			    d, daemon_find_deployment(d, name));
		else if (daemon_delete_service(d, name, &err) == -1) {
			json_decref(cur);
			kwrite_fail(w, 404, "NotFound", name, "%s", err.msg);
			return;
		}
		kube_record_delete(w->ks, w->kind, name);
		if (!strcmp(w->kind, "Deployment")) /* made as a Rollout */
			kube_record_delete(w->ks, "Rollout", name);
	}
	json_decref(cur);
	kwrite_reply_deleted(w, name);
}

void kube_write(struct kube_server *ks, struct kube_conn *c,
		const struct kube_request *req, const struct kres *r,
		const char *name)
{
	struct wctx w = {.strict = false};
	cleanup_free char *fv = kube_query_get(req, "fieldValidation");
	bool dep = !strcmp(r->name, "deployments");
	json_t *body = NULL;

	kwrite_init(&w.k, ks, c, req, r);
	w.k.ops = &ops;
	w.k.kind = dep ? "Deployment" : "Service";
	w.k.what = dep ? "deployments.apps" : "services";
	w.k.kind_suffix = dep ? ".apps" : "";
	w.k.api_version = r->group[0] ? "apps/v1" : "v1";
	w.k.strategic = true;
	w.strict = fv && !strcmp(fv, "Strict");
	if (!strcmp(req->method, "DELETE")) {
		do_delete(&w.k, name);
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
			kwrite_fail(&w.k, code,
				    code == 415 ? "UnsupportedMediaType"
						: "BadRequest",
				    name ? name : "", "%s", why);
			return;
		}
	} else {
		body = body_json(&w.k);
	}
	if (body == NULL)
		return;
	kwrite_dispatch(&w.k, name, body);
	json_decref(body);
}
