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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "../config/manifest.h"
#include "../orchestrator/daemon.h"
#include "../orchestrator/rollout.h"
#include "convert_rollout.h"
#include "kobj.h"
#include "kube_internal.h"
#include "objects.h"
#include "write_common.h"

struct rwctx {
	struct kwrite k; /* first: the kind Rollout | AnalysisTemplate */
	bool template;	 /* analysistemplates, else rollouts */
};

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

static struct deployment *find_rollout(struct kwrite *w, const char *name)
{
	struct deployment *dep = daemon_find_deployment(w->ks->d, name);

	return dep && kube_is_rollout(dep) ? dep : NULL;
}

static const struct analysis_template *find_template(struct kwrite *w,
						     const char *name)
{
	return w->ks->d->cfg ? cfg_find_analysis(w->ks->d->cfg, name) : NULL;
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
	return canonical_of(w->k.ks->d, w->template, name) ?: json_null();
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
	json_t *ann = json_deep_copy(kube_path(obj, "metadata.annotations"));
	json_t *rec;

	if (ann)
		json_object_del(ann, "rollout.argoproj.io/revision");
	rec = kwrite_record_meta(&w->k, name, obj, ann);
	kwrite_record_applied(&w->k, rec, applied);
	if (api)
		json_object_set_new(rec, "api", json_true());
	/* The spec as the client wrote it, served while the model still
	 * says the same (canonical: the spec berth would write for it). */
	json_object_set_new(rec, "object", kwrite_clean_object(obj));
	json_object_set_new(rec, "canonical", canonical_spec(w, name));
	return kwrite_record_save(&w->k, name, rec);
}

static int put(struct kwrite *k, const char *name, json_t *obj,
	       const json_t *applied, bool create)
{
	struct rwctx *w = (struct rwctx *)k;
	struct daemon *d = k->ks->d;
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));

	if (!kind || strcmp(kind, k->kind) || !api ||
	    strcmp(api, "argoproj.io/v1alpha1")) {
		kwrite_fail(k, 400, "BadRequest", name,
			    "the object must be an argoproj.io/v1alpha1 %s",
			    k->kind);
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
		kwrite_invalid(k, name, err.msg);
		return -1;
	}
	json_decref(load_obj);
	if (w->template ? strcmp(cfg->analyses[0].name, name)
			: strcmp(cfg->deployments[0].name, name)) {
		kwrite_fail(
		    k, 400, "BadRequest", name,
		    "the name of the object does not match the name in the "
		    "URL (%s)",
		    name);
		cfg_free(cfg);
		return -1;
	}
	if (k->dry_run) {
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

static bool exists(struct kwrite *w, const char *name)
{
	if (((struct rwctx *)w)->template)
		return find_template(w, name) != NULL;
	return daemon_find_deployment(w->ks->d, name) != NULL;
}

static const struct kwrite_ops ops = {.put = put, .exists = exists};

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

static void do_delete(struct rwctx *rw, const char *name)
{
	struct kwrite *w = &rw->k;
	struct daemon *d = w->ks->d;
	struct berr err = BERR_INIT;
	const char *user;

	if (rw->template ? !find_template(w, name) : !find_rollout(w, name)) {
		kwrite_not_found(w, name);
		return;
	}
	if (rw->template && (user = template_user(d, name))) {
		kwrite_fail(w, 409, "Conflict", name,
			    "analysistemplates.argoproj.io \"%s\" is used by "
			    "rollout %s: change or delete the rollout first",
			    name, user);
		return;
	}
	if (!w->dry_run) {
		if (rw->template) {
			if (daemon_delete_analysis(d, name, &err) == -1) {
				kwrite_fail(w, 404, "NotFound", name, "%s",
					    err.msg);
				return;
			}
		} else {
			daemon_delete_deployment(
			    d, daemon_find_deployment(d, name));
			kube_record_delete(w->ks, "Deployment", name);
		}
		kube_record_delete(w->ks, w->kind, name);
	}
	kwrite_reply_deleted(w, name);
}

void kube_rollout_write(struct kube_server *ks, struct kube_conn *c,
			const struct kube_request *req, const struct kres *r,
			const char *name)
{
	struct rwctx w = {.template = !strcmp(r->name, "analysistemplates")};
	json_error_t e;
	json_t *body;

	kwrite_init(&w.k, ks, c, req, r);
	w.k.ops = &ops;
	w.k.kind = w.template ? "AnalysisTemplate" : "Rollout";
	w.k.what = w.template ? "analysistemplates.argoproj.io"
			      : "rollouts.argoproj.io";
	w.k.kind_suffix = ".argoproj.io";
	w.k.api_version = "argoproj.io/v1alpha1";
	w.k.strategic = false; /* a custom resource takes none */
	if (ks->d->cfg == NULL) {
		kwrite_fail(&w.k, 503, "ServiceUnavailable", name ? name : "",
			    "no config applied yet");
		return;
	}
	if (!strcmp(req->method, "DELETE") && name) {
		do_delete(&w, name);
		return;
	}
	body = json_loadb(req->body, req->body_len, 0, &e);
	if (body == NULL) {
		kwrite_fail(
		    &w.k, strstr(req->content_type, "protobuf") ? 415 : 400,
		    "BadRequest", name ? name : "",
		    "the body is not JSON (berth reads JSON only): %s", e.text);
		return;
	}
	kwrite_dispatch(&w.k, name, body);
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
			kube_config_take_deployment(cfg, one);
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
