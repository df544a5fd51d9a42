/*
 * rollout_write.c - the Kubernetes API's writes of Argo Rollouts'
 * objects: POST, PUT, PATCH (JSON merge, JSON patch, apply; a custom
 * resource takes no strategic merge patch, as on a real apiserver) and
 * DELETE of rollouts and analysistemplates, and the objects made this
 * way added back to every config the daemon applies. The object's next
 * state is read by config/'s manifest reader (manifest_rollout.c) together
 * with the applied config's services and analysis templates, so every
 * check is the one `berth apply -f rollout.yaml` makes; it is made real
 * with daemon_put_deployment() and daemon_put_analysis(). No decision
 * about pods is made here.
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
#include "convert_rollout.h"
#include "kobj.h"
#include "kube_internal.h"
#include "objects.h"
#include "patch.h"

struct rwctx {
	struct kube_server *ks;
	struct kube_conn *c;
	const struct kube_request *req;
	const struct kres *r;
	bool template; /* analysistemplates, else rollouts */
	const char *kind;
	const char *what; /* rollouts.argoproj.io */
	char manager[128];
	bool dry_run;
};

static void fail(struct rwctx *w, int code, const char *reason,
		 const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void fail(struct rwctx *w, int code, const char *reason,
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

/* The loader's "request:LINE: Rollout web: FIELD: why" as "FIELD: why". */
static const char *strip_prefix(const char *msg, const char *kind,
				const char *name)
{
	const char *p = msg;
	char who[160];

	if (!strncmp(p, "request:", 8)) {
		p += 8;
		p += strspn(p, "0123456789");
		if (*p == ':')
			p++;
		while (*p == ' ')
			p++;
	}
	snprintf(who, sizeof(who), "%s %s: ", kind, name);
	if (!strncmp(p, who, strlen(who)))
		p += strlen(who);
	return p;
}

/* 422 Invalid with the cause kubectl prints. */
static void invalid(struct rwctx *w, const char *name, const char *why)
{
	const char *sep = strstr(why, ": ");
	char field[200] = "", msg[1200];
	json_t *st;

	if (sep && (size_t)(sep - why) < sizeof(field) &&
	    memchr(why, ' ', (size_t)(sep - why)) == NULL)
		snprintf(field, sizeof(field), "%.*s", (int)(sep - why), why);
	snprintf(msg, sizeof(msg), "%s.argoproj.io \"%s\" is invalid: %s",
		 w->kind, name, why);
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

int kube_rollout_load(const json_t *obj, const struct berth_config *ctx,
		      struct berth_config **out, struct berr *err)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *name = json_string_value(
	    json_object_get(json_object_get(obj, "metadata"), "name"));
	json_t *docs = json_pack("[O]", obj);
	int rc;

	/* A Rollout names services and templates of the applied config. */
	if (kind && !strcmp(kind, "Rollout") && ctx) {
		for (size_t i = 0; i < ctx->n_services; i++)
			json_array_append_new(
			    docs,
			    cfg_service_manifest(&ctx->services[i], NULL));
		for (size_t i = 0; i < ctx->n_analyses; i++)
			json_array_append_new(
			    docs, cfg_analysis_manifest(&ctx->analyses[i]));
	}
	rc = cfg_load_manifests("request", "/dev/null/kube", docs, out, err);
	json_decref(docs);
	if (rc == -1) {
		char msg[sizeof(err->msg)];

		snprintf(
		    msg, sizeof(msg), "%s",
		    strip_prefix(err->msg, kind ? kind : "", name ? name : ""));
		berr_set(err, "%s", msg);
	}
	return rc;
}

static struct deployment *find_rollout(struct rwctx *w, const char *name)
{
	struct deployment *dep = daemon_find_deployment(w->ks->d, name);

	return dep && kube_is_rollout(dep) ? dep : NULL;
}

static const struct analysis_template *find_template(struct rwctx *w,
						     const char *name)
{
	return w->ks->d->cfg ? cfg_find_analysis(w->ks->d->cfg, name) : NULL;
}

static json_t *current(struct rwctx *w, const char *name)
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

static void reply_current(struct rwctx *w, int code, const char *name)
{
	json_t *obj = current(w, name);

	if (obj == NULL)
		obj = json_pack("{s:s, s:s, s:{s:s}}", "kind", w->kind,
				"apiVersion", "argoproj.io/v1alpha1",
				"metadata", "name", name);
	kube_reply_json(w->c, code, obj);
}

/* The spec berth writes for the rollout or template name now; NULL
 * when there is none (a dry run of a create). */
static json_t *canonical_of(struct daemon *d, bool template, const char *name)
{
	json_t *o, *spec;

	if (template) {
		const struct analysis_template *t =
		    d->cfg ? cfg_find_analysis(d->cfg, name) : NULL;

		if (t == NULL)
			return NULL;
		o = cfg_analysis_manifest(t);
	} else {
		struct deployment *dep = daemon_find_deployment(d, name);

		if (dep == NULL || !kube_is_rollout(dep))
			return NULL;
		o = cfg_rollout_manifest(dep->spec, dep->replicas);
	}
	spec = json_incref(json_object_get(o, "spec"));
	json_decref(o);
	return spec;
}

static json_t *canonical_spec(struct rwctx *w, const char *name)
{
	return canonical_of(w->ks->d, w->template, name) ?: json_null();
}

json_t *kube_rollout_view(struct kube_server *ks, const struct kube_ctx *k,
			  struct deployment *dep,
			  const struct analysis_template *t)
{
	const char *kind = t ? "AnalysisTemplate" : "Rollout";
	const char *name = t ? t->name : dep->name;
	json_t *o = t ? kube_analysis_template(k, t) : kube_rollout(k, dep);
	json_t *rec = kube_record(ks, kind, name, false);
	json_t *user = kube_path(json_object_get(rec, "object"), "spec");

	kube_record_overlay(ks, kind, o);
	/* kubectl apply diffs custom resources with a JSON merge patch,
	 * whose lists are replaced whole: the spec it wrote, not berth's
	 * with every default filled in, keeps an unchanged apply
	 * "unchanged". */
	json_t *now = user ? canonical_of(ks->d, t != NULL, name) : NULL;

	if (user && json_is_object(user) && now &&
	    json_equal(json_object_get(rec, "canonical"), now)) {
		json_t *spec = json_deep_copy(user);

		if (dep && dep->paused)
			json_object_set_new(spec, "paused", json_true());
		json_object_set_new(o, "spec", spec);
	}
	json_decref(now);
	return o;
}

/* The record: labels, annotations, the last apply per manager and, for
 * an object made through the API, the object itself. */
static int remember(struct rwctx *w, const char *name, json_t *obj, bool api,
		    const json_t *applied)
{
	json_t *rec = kube_record(w->ks, w->kind, name, true);
	json_t *meta = json_object_get(obj, "metadata");
	json_t *ann = json_deep_copy(json_object_get(meta, "annotations"));
	json_t *clean = json_deep_copy(obj), *cm;
	struct berr err = BERR_INIT;

	if (ann)
		json_object_del(ann, "rollout.argoproj.io/revision");
	json_object_set_new(rec, "annotations", ann ? ann : json_object());
	json_object_set_new(rec, "labels",
			    json_deep_copy(json_object_get(meta, "labels"))
				?: json_object());
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
	if (api)
		json_object_set_new(rec, "api", json_true());
	/* The spec as the client wrote it, served while the model still
	 * says the same (canonical: the spec berth would write for it). */
	json_object_set_new(rec, "object", clean);
	json_object_set_new(rec, "canonical", canonical_spec(w, name));
	if (kube_record_save(w->ks, rec, &err) == -1) {
		fail(w, 500, "InternalError", name,
		     "the object changed but its record could not be saved: "
		     "%s",
		     err.msg);
		return -1;
	}
	return 0;
}

static int put(struct rwctx *w, const char *name, json_t *obj,
	       const json_t *applied, bool create)
{
	struct daemon *d = w->ks->d;
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));

	if (!kind || strcmp(kind, w->kind) || !api ||
	    strcmp(api, "argoproj.io/v1alpha1")) {
		fail(w, 400, "BadRequest", name,
		     "the object must be an argoproj.io/v1alpha1 %s", w->kind);
		return -1;
	}
	/* spec.paused is `rollout pause`: the model's, not the config's. */
	json_t *spec = json_object_get(obj, "spec");
	bool paused = json_is_true(json_object_get(spec, "paused"));
	json_t *load_obj = json_copy(obj);

	if (json_is_object(spec)) {
		json_t *s2 = json_copy(spec);

		json_object_del(s2, "paused");
		json_object_set_new(load_obj, "spec", s2);
	}
	if (kube_rollout_load(load_obj, d->cfg, &cfg, &err) == -1) {
		json_decref(load_obj);
		invalid(w, name, err.msg);
		return -1;
	}
	json_decref(load_obj);
	if (w->template ? strcmp(cfg->analyses[0].name, name)
			: strcmp(cfg->deployments[0].name, name)) {
		fail(w, 400, "BadRequest", name,
		     "the name of the object does not match the name in the "
		     "URL (%s)",
		     name);
		cfg_free(cfg);
		return -1;
	}
	if (w->dry_run) {
		cfg_free(cfg);
		return 0;
	}
	if (w->template) {
		daemon_put_analysis(d, &cfg->analyses[0]);
		cfg_free(cfg);
	} else {
		const char *cause = json_string_value(
		    json_object_get(kube_path(obj, "metadata.annotations"),
				    "kubernetes.io/change-cause"));
		struct cfg_ref *ref;

		free(cfg->path);
		cfg->path = NULL;
		ref = cfg_ref_new(cfg);
		daemon_put_deployment(d, &cfg->deployments[0], ref,
				      cause ? cause : "", NULL);
		cfg_ref_put(ref);
		if (daemon_find_deployment(d, name))
			rollout_set_paused(d, daemon_find_deployment(d, name),
					   paused);
	}
	return remember(w, name, obj, create, applied);
}

static void do_create(struct rwctx *w, json_t *obj, const json_t *applied)
{
	const char *n = json_string_value(kube_path(obj, "metadata.name"));
	char name[128];

	if (n == NULL || n[0] == '\0') {
		invalid(w, "", "metadata.name: Required value");
		return;
	}
	snprintf(name, sizeof(name), "%s", n);
	if (w->template ? find_template(w, name) != NULL
			: daemon_find_deployment(w->ks->d, name) != NULL) {
		fail(w, 409, "AlreadyExists", name, "%s \"%s\" already exists",
		     w->what, name);
		return;
	}
	if (put(w, name, obj, applied, true) == 0)
		reply_current(w, 201, name);
}

static bool stale(struct rwctx *w, const char *name, json_t *cur, json_t *obj)
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

static void do_patch(struct rwctx *w, const char *name, json_t *body)
{
	const char *ct = w->req->content_type;
	bool apply = !strncmp(ct, "application/apply-patch+yaml", 28);
	json_t *cur = current(w, name), *obj = NULL;
	char why[512] = "";

	if (cur == NULL) {
		if (apply)
			do_create(w, body, body);
		else
			fail(w, 404, "NotFound", name, "%s \"%s\" not found",
			     w->what, name);
		return;
	}
	if (!strncmp(ct, "application/json-patch+json", 27))
		obj = kube_patch_json(cur, body, why, sizeof(why));
	else if (!strncmp(ct, "application/merge-patch+json", 28))
		obj = kube_patch_merge(cur, body);
	else if (apply)
		obj = kube_patch_apply(
		    cur,
		    json_object_get(json_object_get(kube_record(w->ks, w->kind,
								name, false),
						    "applied"),
				    w->manager),
		    body, w->kind, why, sizeof(why));
	else {
		fail(w, 415, "UnsupportedMediaType", name,
		     "the body of the request was in an unknown format - "
		     "accepted media types include: "
		     "application/json-patch+json, "
		     "application/merge-patch+json, "
		     "application/apply-patch+yaml");
		json_decref(cur);
		return;
	}
	if (obj == NULL) {
		char msg[600];

		snprintf(msg, sizeof(msg), "patch: %s", why);
		invalid(w, name, msg);
	} else if (!stale(w, name, cur, obj) &&
		   put(w, name, obj, apply ? body : NULL, false) == 0) {
		reply_current(w, 200, name);
	}
	json_decref(obj);
	json_decref(cur);
}

static void do_replace(struct rwctx *w, const char *name, json_t *obj)
{
	json_t *cur = current(w, name);

	if (cur == NULL)
		fail(w, 404, "NotFound", name, "%s \"%s\" not found", w->what,
		     name);
	else if (!stale(w, name, cur, obj) &&
		 put(w, name, obj, NULL, false) == 0)
		reply_current(w, 200, name);
	json_decref(cur);
}

/* A template a deployment names may not go: the deployment could not
 * be applied again. */
static const char *template_user(struct daemon *d, const char *name)
{
	for (struct deployment *dep = d->deployments; dep; dep = dep->next) {
		const struct deployment_spec *s = dep->spec;

		if (dep->deleting || !s)
			continue;
		for (size_t i = 0; i < s->canary_steps.n; i++)
			for (size_t t = 0; t < s->canary_steps.v[i].templates.n;
			     t++)
				if (!strcmp(s->canary_steps.v[i].templates.v[t],
					    name))
					return dep->name;
		for (size_t t = 0; t < s->canary_analysis.templates.n; t++)
			if (!strcmp(s->canary_analysis.templates.v[t], name))
				return dep->name;
		if ((s->bluegreen.pre_promotion_analysis &&
		     !strcmp(s->bluegreen.pre_promotion_analysis, name)) ||
		    (s->bluegreen.post_promotion_analysis &&
		     !strcmp(s->bluegreen.post_promotion_analysis, name)))
			return dep->name;
	}
	return NULL;
}

static void do_delete(struct rwctx *w, const char *name)
{
	struct daemon *d = w->ks->d;
	struct berr err = BERR_INIT;
	const char *user;

	if (w->template ? !find_template(w, name) : !find_rollout(w, name)) {
		fail(w, 404, "NotFound", name, "%s \"%s\" not found", w->what,
		     name);
		return;
	}
	if (w->template && (user = template_user(d, name))) {
		fail(w, 409, "Conflict", name,
		     "analysistemplates.argoproj.io \"%s\" is used by rollout "
		     "%s: change or delete the rollout first",
		     name, user);
		return;
	}
	if (!w->dry_run) {
		if (w->template) {
			if (daemon_delete_analysis(d, name, &err) == -1) {
				fail(w, 404, "NotFound", name, "%s", err.msg);
				return;
			}
		} else {
			daemon_delete_deployment(
			    d, daemon_find_deployment(d, name));
			kube_record_delete(w->ks, "Deployment", name);
		}
		kube_record_delete(w->ks, w->kind, name);
	}
	kube_reply_json(w->c, 200,
			json_pack("{s:s, s:s, s:{}, s:s, s:{s:s, s:s, s:s}}",
				  "kind", "Status", "apiVersion", "v1",
				  "metadata", "status", "Success", "details",
				  "name", name, "group", w->r->group, "kind",
				  w->r->name));
}

void kube_rollout_write(struct kube_server *ks, struct kube_conn *c,
			const struct kube_request *req, const struct kres *r,
			const char *name)
{
	struct rwctx w = {.ks = ks, .c = c, .req = req, .r = r};
	cleanup_free char *mgr = kube_query_get(req, "fieldManager");
	cleanup_free char *dry = kube_query_get(req, "dryRun");
	json_error_t e;
	json_t *body;

	w.template = !strcmp(r->name, "analysistemplates");
	w.kind = w.template ? "AnalysisTemplate" : "Rollout";
	w.what = w.template ? "analysistemplates.argoproj.io"
			    : "rollouts.argoproj.io";
	snprintf(w.manager, sizeof(w.manager), "%s", mgr ? mgr : "unknown");
	w.dry_run = dry && !strcmp(dry, "All");
	if (ks->d->cfg == NULL) {
		fail(&w, 503, "ServiceUnavailable", name ? name : "",
		     "no config applied yet");
		return;
	}
	if (!strcmp(req->method, "DELETE") && name) {
		do_delete(&w, name);
		return;
	}
	body = json_loadb(req->body, req->body_len, 0, &e);
	if (body == NULL) {
		fail(&w, strstr(req->content_type, "protobuf") ? 415 : 400,
		     "BadRequest", name ? name : "",
		     "the body is not JSON (berth reads JSON only): %s",
		     e.text);
		return;
	}
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

/* The records of kind made through the API, each loaded against cfg
 * and moved into it. */
static int extend_kind(struct daemon *d, struct berth_config *cfg,
		       json_t *records, const char *kind, struct berr *err)
{
	const char *key;
	json_t *rec;

	json_object_foreach(records, key, rec)
	{
		const char *k = json_string_value(json_object_get(rec, "kind"));
		const char *name =
		    json_string_value(json_object_get(rec, "name"));
		json_t *obj = json_object_get(rec, "object");
		struct berth_config *one = NULL;
		bool template = !strcmp(kind, "AnalysisTemplate");

		if (!k || strcmp(k, kind) || !name ||
		    !json_is_true(json_object_get(rec, "api")) || !obj)
			continue;
		if (template ? cfg_find_analysis(cfg, name) != NULL
			     : cfg_find_deployment(cfg, name) != NULL)
			return berr_set(
			    err,
			    "%s: %s `%s` was created through the "
			    "Kubernetes API; delete it there first "
			    "(kubectl delete %s %s) or rename the "
			    "file's",
			    cfg->path, template ? "analysis" : "rollout", name,
			    template ? "analysistemplate" : "rollout", name);
		if (kube_rollout_load(obj, cfg, &one, err) == -1)
			return berr_wrap(err, "%s/kube: %s `%s`", d->state_dir,
					 kind, name);
		if (template) {
			cfg->analyses =
			    xrealloc(cfg->analyses, (cfg->n_analyses + 1) *
							sizeof(*cfg->analyses));
			cfg->analyses[cfg->n_analyses++] = one->analyses[0];
			memset(&one->analyses[0], 0, sizeof(one->analyses[0]));
			one->n_analyses = 0;
		} else {
			cfg->deployments = xrealloc(
			    cfg->deployments, (cfg->n_deployments + 1) *
						  sizeof(*cfg->deployments));
			cfg->deployments[cfg->n_deployments++] =
			    one->deployments[0];
			one->n_deployments = 0;
		}
		cfg_free(one);
	}
	return 0;
}

int kube_rollouts_extend_config(struct daemon *d, struct berth_config *cfg,
				json_t *records, struct berr *err)
{
	if (extend_kind(d, cfg, records, "AnalysisTemplate", err) == -1)
		return -1;
	return extend_kind(d, cfg, records, "Rollout", err);
}
