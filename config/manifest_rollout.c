/*
 * manifest_rollout.c - Argo Rollouts' objects (argoproj.io/v1alpha1
 * Rollout and AnalysisTemplate) read into berth's config. A Rollout is a
 * [deployment NAME] whose spec is read as a Deployment's (manifest.c) and
 * whose spec.strategy.canary / blueGreen is handed to the
 * strategy.canary.* / strategy.blueGreen.* keys; an AnalysisTemplate is
 * an [analysis NAME] whose metrics[] become metrics.METRIC.FIELD keys.
 * Every field berth does not run is refused by name, never dropped. The
 * inverse is manifest_rollout_out.c; what the strategies do is the
 * orchestrator's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "manifest.h"
#include "manifest_internal.h"

/* Argo fields berth knows and does not run, with the reason. */
static const struct {
	const char *field, *why;
} refused[] = {
    {"workloadRef", "put the pod template in spec.template"},
    {"restartAt", "use `berth rollout restart`"},
    {"rollbackWindow", "`berth rollout undo` within scaleDownDelaySeconds "
		       "is instant already"},
    {"canaryService",
     "berth's proxy splits the traffic of every Service that selects the "
     "Rollout's pods; there are no separate canary and stable Services"},
    {"stableService",
     "berth's proxy splits the traffic of every Service that selects the "
     "Rollout's pods; there are no separate canary and stable Services"},
    {"trafficRouting", "berth's own proxy routes by weight and header"},
    {"scaleDownDelaySeconds", "the canary's old pods go as maxUnavailable "
			      "allows"},
    {"scaleDownDelayRevisionLimit", "berth keeps no extra revision running"},
    {"antiAffinity", "berth runs on one host"},
    {"canaryMetadata", "berth labels pods by revision itself"},
    {"stableMetadata", "berth labels pods by revision itself"},
    {"previewMetadata", "berth labels pods by revision itself"},
    {"activeMetadata", "berth labels pods by revision itself"},
    {"args", "berth's analysis templates take no arguments"},
    {"clusterScope", "berth has no cluster-scoped templates"},
    {"dryRun", "every berth analysis decides"},
    {"measurementRetention", "berth keeps the last 10 measurements"},
    {"experiment", "berth runs no experiments"},
    {"insecure", "the web provider speaks plain http to loopback"},
    {"jsonBody", "use body (a string)"},
};

/* mf_only with the reasons above. */
static int only(struct mctx *m, json_t *obj, const char *ptr,
		const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		size_t i;

		for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (allowed[i])
			continue;
		for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			if (!strcmp(refused[i].field, k)) {
				char *p = mf_child(ptr, k);
				int r =
				    mf_err(m, p, "not supported by berth (%s)",
					   refused[i].why);
				free(p);
				return r;
			}
	}
	return mf_only(m, obj, ptr, allowed);
}

/* A map at parent[key] (absent: NULL, no error). */
static json_t *obj_at(struct mctx *m, json_t *parent, const char *ptr,
		      const char *key)
{
	return GET_OBJ(m, parent, ptr, key);
}

/* [{templateName: A}, ...] as "A B"; NULL after an error. */
static char *template_names(struct mctx *m, json_t *an, const char *ptr,
			    size_t max)
{
	static const char *const a[] = {"templateName", NULL};
	char *tp = mf_child(ptr, "templates");
	json_t *list = GET_ARR(m, an, ptr, "templates"), *t;
	char *out = NULL;
	size_t i;

	if (!list || json_array_size(list) == 0) {
		if (!m->pc->failed)
			mf_err(m, tp, "needs at least one templateName");
		goto done;
	}
	if (json_array_size(list) > max) {
		mf_err(m, tp, "berth runs one template here");
		goto done;
	}
	out = xstrdup("");
	json_array_foreach(list, i, t)
	{
		char *ip = mf_child_i(tp, i);
		const char *name;
		char *next;

		if (!json_is_object(t)) {
			mf_err(m, ip, "must be a map");
		} else if (only(m, t, ip, a) == 0) {
			name = json_string_value(
			    json_object_get(t, "templateName"));
			if (!name || !*name) {
				char *np = mf_child(ip, "templateName");
				mf_err(m, np, "missing");
				free(np);
			} else {
				next = xasprintf("%s%s%s", out, i ? " " : "",
						 name);
				free(out);
				out = next;
			}
		}
		free(ip);
		if (m->pc->failed) {
			free(out);
			out = NULL;
			break;
		}
	}
done:
	free(tp);
	return out;
}

/* A word inside a step: no blank or comma (they separate steps). */
static int step_word(struct mctx *m, const char *ptr, json_t *v,
		     const char **out)
{
	const char *s = json_string_value(v);

	if (!s || !*s)
		return mf_err(m, ptr, "must be a non-empty string");
	if (strpbrk(s, " \t,"))
		return mf_err(m, ptr,
			      "berth cannot keep a blank or a comma here");
	*out = s;
	return 0;
}

static int header_route(struct mctx *m, json_t *hr, const char *ptr, char *buf,
			size_t len)
{
	static const char *const a[] = {"name", "match", NULL};
	static const char *const ma[] = {"headerName", "headerValue", NULL};
	static const char *const kinds[] = {"exact", "prefix", "regex", NULL};
	json_t *match, *one, *hv;
	const char *name, *value = NULL, *kind = NULL;
	char *mp, *op, *p;
	int r = -1;

	if (only(m, hr, ptr, a) == -1)
		return -1;
	match = GET_ARR(m, hr, ptr, "match");
	if (m->pc->failed)
		return -1;
	if (!match || json_array_size(match) == 0) {
		snprintf(buf, len, "setHeaderRoute");
		return 0;
	}
	mp = mf_child(ptr, "match");
	op = mf_child_i(mp, 0);
	if (json_array_size(match) > 1) {
		mf_err(m, mp, "berth routes on one header");
		goto out;
	}
	one = json_array_get(match, 0);
	if (!json_is_object(one)) {
		mf_err(m, op, "must be a map");
		goto out;
	}
	if (only(m, one, op, ma) == -1)
		goto out;
	p = mf_child(op, "headerName");
	r = step_word(m, p, json_object_get(one, "headerName"), &name);
	free(p);
	if (r == -1)
		goto out;
	r = -1;
	p = mf_child(op, "headerValue");
	hv = GET_OBJ(m, one, op, "headerValue");
	if (!hv || json_object_size(hv) != 1) {
		if (!m->pc->failed)
			mf_err(m, p, "needs one of exact, prefix or regex");
		free(p);
		goto out;
	}
	if (only(m, hv, p, kinds) == 0) {
		kind = json_object_iter_key(json_object_iter(hv));
		char *vp = mf_child(p, kind);
		if (step_word(m, vp,
			      json_object_iter_value(json_object_iter(hv)),
			      &value) == 0)
			r = 0;
		free(vp);
	}
	free(p);
	if (r == 0)
		snprintf(buf, len, "setHeaderRoute %s %s %s", name, kind,
			 value);
out:
	free(op);
	free(mp);
	return r;
}

/* One element of canary.steps as berth's step text, into buf. */
static int step_text(struct mctx *m, json_t *st, const char *ptr, char *buf,
		     size_t len)
{
	const char *kind;
	json_t *v;
	char *p;
	int r = 0;

	if (!json_is_object(st) || json_object_size(st) != 1)
		return mf_err(m, ptr,
			      "a step is a map with one of setWeight, pause, "
			      "setCanaryScale, analysis, setHeaderRoute, "
			      "setMirrorRoute");
	kind = json_object_iter_key(json_object_iter(st));
	v = json_object_iter_value(json_object_iter(st));
	p = mf_child(ptr, kind);
	if (!strcmp(kind, "setWeight")) {
		if (!json_is_integer(v))
			r = mf_err(m, p, "must be a number 0..100");
		else
			snprintf(buf, len, "setWeight %" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
	} else if (!strcmp(kind, "pause")) {
		static const char *const a[] = {"duration", NULL};
		json_t *d;

		if (!json_is_object(v))
			r = mf_err(m, p, "must be a map ({} or {duration: D})");
		else if ((r = only(m, v, p, a)) == 0) {
			d = json_object_get(v, "duration");
			if (!d || json_is_null(d))
				snprintf(buf, len, "pause");
			else if (json_is_integer(d))
				snprintf(buf, len,
					 "pause %" JSON_INTEGER_FORMAT,
					 json_integer_value(d));
			else if (json_is_string(d) &&
				 !strpbrk(json_string_value(d), " \t,"))
				snprintf(buf, len, "pause %s",
					 json_string_value(d));
			else {
				char *dp = mf_child(p, "duration");
				r = mf_err(m, dp, "must be N, Ns, Nm or Nh");
				free(dp);
			}
		}
	} else if (!strcmp(kind, "setCanaryScale")) {
		static const char *const a[] = {"replicas", "weight",
						"matchTrafficWeight", NULL};
		if (!json_is_object(v) || json_object_size(v) != 1)
			r = mf_err(m, p,
				   "needs one of replicas, weight or "
				   "matchTrafficWeight");
		else if ((r = only(m, v, p, a)) == 0) {
			const char *k =
			    json_object_iter_key(json_object_iter(v));
			json_t *x = json_object_iter_value(json_object_iter(v));
			char *xp = mf_child(p, k);

			if (!strcmp(k, "matchTrafficWeight")) {
				if (!json_is_true(x))
					r = mf_err(m, xp, "must be true");
				else
					snprintf(buf, len,
						 "setCanaryScale "
						 "matchTrafficWeight");
			} else if (!json_is_integer(x)) {
				r = mf_err(m, xp, "must be a number");
			} else {
				snprintf(
				    buf, len,
				    "setCanaryScale %s %" JSON_INTEGER_FORMAT,
				    k, json_integer_value(x));
			}
			free(xp);
		}
	} else if (!strcmp(kind, "analysis")) {
		static const char *const a[] = {"templates", NULL};
		char *names = NULL;

		if (!json_is_object(v))
			r = mf_err(m, p, "must be a map");
		else if ((r = only(m, v, p, a)) == 0 &&
			 (names = template_names(m, v, p, 64)) == NULL)
			r = -1;
		else if (r == 0)
			snprintf(buf, len, "analysis %s", names);
		free(names);
	} else if (!strcmp(kind, "setHeaderRoute")) {
		if (!json_is_object(v))
			r = mf_err(m, p, "must be a map");
		else
			r = header_route(m, v, p, buf, len);
	} else if (!strcmp(kind, "setMirrorRoute")) {
		static const char *const a[] = {"name", "percentage", NULL};
		json_t *pc;

		if (!json_is_object(v))
			r = mf_err(m, p, "must be a map");
		else if (json_object_get(v, "match")) {
			char *mp = mf_child(p, "match");
			r = mf_err(m, mp,
				   "not supported by berth (it mirrors a "
				   "percentage of every request)");
			free(mp);
		} else if ((r = only(m, v, p, a)) == 0) {
			pc = json_object_get(v, "percentage");
			if (!pc || json_is_null(pc))
				snprintf(buf, len, "setMirrorRoute");
			else if (!json_is_integer(pc)) {
				char *xp = mf_child(p, "percentage");
				r = mf_err(m, xp, "must be a number 0..100");
				free(xp);
			} else
				snprintf(buf, len,
					 "setMirrorRoute %" JSON_INTEGER_FORMAT,
					 json_integer_value(pc));
		}
	} else {
		r = only(m, st, ptr, (const char *const[]){NULL});
	}
	free(p);
	return r;
}

static int read_canary(struct mctx *m, json_t *c, const char *ptr)
{
	static const char *const a[] = {"steps",
					"maxSurge",
					"maxUnavailable",
					"dynamicStableScale",
					"abortScaleDownDelaySeconds",
					"analysis",
					NULL};
	static const char *const an[] = {"templates", "startingStep", NULL};
	json_t *steps, *st, *bg;
	size_t i;

	if (only(m, c, ptr, a) == -1 ||
	    mf_apply_text(m, ptr, "strategy.type", "Canary") ||
	    mf_apply_scalar(m, c, ptr, "maxSurge",
			    "strategy.rollingUpdate.maxSurge") ||
	    mf_apply_scalar(m, c, ptr, "maxUnavailable",
			    "strategy.rollingUpdate.maxUnavailable") ||
	    mf_apply_scalar(m, c, ptr, "dynamicStableScale",
			    "strategy.canary.dynamicStableScale") ||
	    mf_apply_scalar(m, c, ptr, "abortScaleDownDelaySeconds",
			    "strategy.canary.abortScaleDownDelaySeconds"))
		return -1;
	steps = GET_ARR(m, c, ptr, "steps");
	if (m->pc->failed)
		return -1;
	char *sp = mf_child(ptr, "steps");
	json_array_foreach(steps, i, st)
	{
		char text[400], *p = mf_child_i(sp, i);
		int r = step_text(m, st, p, text, sizeof(text));

		if (r == 0)
			r = mf_apply_text(m, p, "strategy.canary.steps", text);
		free(p);
		if (r) {
			free(sp);
			return -1;
		}
	}
	free(sp);
	if ((bg = obj_at(m, c, ptr, "analysis"))) {
		char *p = mf_child(ptr, "analysis"), *names;
		int r = only(m, bg, p, an);

		if (r == 0 && (names = template_names(m, bg, p, 64))) {
			r = mf_apply_text(
			    m, p, "strategy.canary.analysis.templates", names);
			free(names);
		} else if (r == 0) {
			r = -1;
		}
		if (r == 0)
			r = mf_apply_scalar(
			    m, bg, p, "startingStep",
			    "strategy.canary.analysis.startingStep");
		free(p);
		return r;
	}
	return m->pc->failed ? -1 : 0;
}

static int read_bluegreen(struct mctx *m, json_t *b, const char *ptr)
{
	static const char *const a[] = {"activeService",
					"previewService",
					"autoPromotionEnabled",
					"autoPromotionSeconds",
					"previewReplicaCount",
					"scaleDownDelaySeconds",
					"abortScaleDownDelaySeconds",
					"prePromotionAnalysis",
					"postPromotionAnalysis",
					NULL};
	static const char *const an[] = {"templates", NULL};
	char key[96];

	if (only(m, b, ptr, a) == -1 ||
	    mf_apply_text(m, ptr, "strategy.type", "BlueGreen"))
		return -1;
	for (size_t i = 0; i < 7; i++) {
		snprintf(key, sizeof(key), "strategy.blueGreen.%s", a[i]);
		if (mf_apply_scalar(m, b, ptr, a[i], key))
			return -1;
	}
	for (size_t i = 7; a[i]; i++) {
		json_t *an_obj = obj_at(m, b, ptr, a[i]);
		char *p, *names = NULL;
		int r;

		if (!an_obj) {
			if (m->pc->failed)
				return -1;
			continue;
		}
		p = mf_child(ptr, a[i]);
		r = only(m, an_obj, p, an);
		if (r == 0 && !(names = template_names(m, an_obj, p, 1)))
			r = -1;
		snprintf(key, sizeof(key), "strategy.blueGreen.%s", a[i]);
		if (r == 0)
			r = mf_apply_text(m, p, key, names);
		free(names);
		free(p);
		if (r)
			return -1;
	}
	return 0;
}

int mf_read_rollout(struct mctx *m, json_t *doc)
{
	static const char *const a[] = {"replicas",
					"selector",
					"template",
					"strategy",
					"minReadySeconds",
					"progressDeadlineSeconds",
					"progressDeadlineAbort",
					"revisionHistoryLimit",
					"paused",
					NULL};
	static const char *const sa[] = {"canary", "blueGreen", NULL};
	json_t *spec = GET_OBJ(m, doc, "", "spec"), *strat, *c, *b, *copy,
	       *cspec;
	int r;

	if (!spec)
		return m->pc->failed ? -1 : mf_err(m, "/spec", "missing");
	/* The name first, so that messages say which Rollout. */
	m->name = json_string_value(
	    json_object_get(json_object_get(doc, "metadata"), "name"));
	if (only(m, spec, "/spec", a) == -1)
		return -1;
	strat = GET_OBJ(m, spec, "/spec", "strategy");
	if (!strat)
		return m->pc->failed ? -1
				     : mf_err(m, "/spec/strategy",
					      "missing (canary or blueGreen)");
	if (only(m, strat, "/spec/strategy", sa) == -1)
		return -1;
	c = GET_OBJ(m, strat, "/spec/strategy", "canary");
	b = GET_OBJ(m, strat, "/spec/strategy", "blueGreen");
	if (m->pc->failed)
		return -1;
	if (!c == !b)
		return mf_err(m, "/spec/strategy",
			      "needs exactly one of canary and blueGreen");
	/* The rest is a Deployment's spec, read by manifest.c. */
	copy = json_copy(doc);
	cspec = json_copy(spec);
	json_object_del(cspec, "strategy");
	json_object_del(cspec, "progressDeadlineAbort");
	json_object_set_new(copy, "spec", cspec);
	r = mf_read_deployment(m, copy);
	json_decref(copy);
	if (r == -1)
		return -1;
	if (mf_apply_scalar(m, spec, "/spec", "progressDeadlineAbort",
			    "progressDeadlineAbort"))
		return -1;
	return c ? read_canary(m, c, "/spec/strategy/canary")
		 : read_bluegreen(m, b, "/spec/strategy/blueGreen");
}

/* provider: {berth|web|exec: {...}} as provider.KIND.FIELD keys. */
static int read_provider(struct mctx *m, json_t *prov, const char *ptr,
			 const char *prefix)
{
	static const char *const kinds[] = {"berth", "web", "exec", NULL};
	static const char *const berth[] = {"minRequests", "service", NULL};
	static const char *const web[] = {"url",  "method",   "headers",
					  "body", "jsonPath", "timeoutSeconds",
					  NULL};
	static const char *const exec[] = {"command", "timeoutSeconds", NULL};
	const char *kind;
	json_t *v;
	char key[160], *p;
	int r = 0;

	if (json_object_size(prov) != 1) {
		if (json_object_size(prov) == 0)
			return mf_err(m, ptr,
				      "needs one of berth, web or exec");
		return mf_err(m, ptr, "choose one provider");
	}
	kind = json_object_iter_key(json_object_iter(prov));
	v = json_object_iter_value(json_object_iter(prov));
	p = mf_child(ptr, kind);
	for (size_t i = 0; kinds[i]; i++)
		if (!strcmp(kinds[i], kind))
			goto known;
	r = mf_err(m, p,
		   "not supported by berth (its providers are berth - the "
		   "proxy's own counters -, web and exec)");
	free(p);
	return r;
known:
	if (!json_is_object(v)) {
		r = mf_err(m, p, "must be a map");
		free(p);
		return r;
	}
	r = only(m, v, p, kind[0] == 'b' ? berth : kind[0] == 'w' ? web : exec);
	if (r == 0 && json_object_size(v) == 0 && kind[0] == 'b') {
		/* provider: {berth: {}}: the provider with its defaults. */
		snprintf(key, sizeof(key), "%sprovider.berth.minRequests",
			 prefix);
		r = mf_apply_text(m, p, key, "10");
	}
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x)
	{
		char *xp;

		if (r)
			break;
		xp = mf_child(p, k);
		snprintf(key, sizeof(key), "%sprovider.%s.%s", prefix, kind, k);
		if (!strcmp(k, "headers")) {
			json_t *h;
			size_t i;

			if (!json_is_array(x))
				r = mf_err(m, xp, "must be a list");
			json_array_foreach(x, i, h)
			{
				static const char *const ha[] = {"key", "value",
								 NULL};
				char *hp = mf_child_i(xp, i);
				const char *hk = json_string_value(
				    json_object_get(h, "key"));
				const char *hv = json_string_value(
				    json_object_get(h, "value"));

				if (r == 0 && !json_is_object(h))
					r = mf_err(m, hp, "must be a map");
				if (r == 0)
					r = only(m, h, hp, ha);
				if (r == 0 && (!hk || !hv))
					r = mf_err(m, hp,
						   "needs key and value");
				if (r == 0) {
					char *text =
					    xasprintf("%s: %s", hk, hv);
					r = mf_apply_text(m, hp, key, text);
					free(text);
				}
				free(hp);
				if (r)
					break;
			}
		} else if (!strcmp(k, "command")) {
			r = mf_apply_words(m, v, p, k, key);
		} else {
			r = mf_apply_scalar(m, v, p, k, key);
		}
		free(xp);
	}
	free(p);
	return r;
}

static int read_metric(struct mctx *m, json_t *mt, const char *ptr)
{
	static const char *const a[] = {"name",
					"interval",
					"initialDelay",
					"count",
					"successCondition",
					"failureCondition",
					"failureLimit",
					"inconclusiveLimit",
					"consecutiveErrorLimit",
					"provider",
					NULL};
	const char *name;
	char prefix[128], key[192];
	json_t *prov;
	char *pp;
	int r;

	if (!json_is_object(mt))
		return mf_err(m, ptr, "must be a map");
	if (only(m, mt, ptr, a) == -1)
		return -1;
	name = json_string_value(json_object_get(mt, "name"));
	if (!name || !*name || strlen(name) > 64 || strchr(name, '.')) {
		char *np = mf_child(ptr, "name");
		r = mf_err(m, np, "missing or not a DNS label");
		free(np);
		return r;
	}
	snprintf(prefix, sizeof(prefix), "metrics.%s.", name);
	for (size_t i = 1; i < 9; i++) {
		snprintf(key, sizeof(key), "%s%s", prefix, a[i]);
		if (mf_apply_scalar(m, mt, ptr, a[i], key))
			return -1;
	}
	pp = mf_child(ptr, "provider");
	prov = GET_OBJ(m, mt, ptr, "provider");
	if (!prov)
		r = m->pc->failed
			? -1
			: mf_err(m, pp, "missing (berth, web or exec)");
	else
		r = read_provider(m, prov, pp, prefix);
	free(pp);
	return r;
}

int mf_read_analysis_template(struct mctx *m, json_t *doc)
{
	static const char *const meta_a[] = {
	    "name",	"namespace",	   "labels",	 "annotations",
	    "uid",	"resourceVersion", "generation", "creationTimestamp",
	    "selfLink", "managedFields",   NULL};
	static const char *const a[] = {"metrics", NULL};
	json_t *meta = GET_OBJ(m, doc, "", "metadata"), *spec, *metrics, *mt,
	       *ns;
	const char *name;
	size_t i;

	if (!meta)
		return m->pc->failed ? -1 : mf_err(m, "/metadata", "missing");
	if (mf_only(m, meta, "/metadata", meta_a) == -1)
		return -1;
	name = json_string_value(json_object_get(meta, "name"));
	if (!name)
		return mf_err(m, "/metadata/name", "missing");
	m->name = name;
	ns = json_object_get(meta, "namespace");
	if (ns &&
	    !(json_is_string(ns) && !strcmp(json_string_value(ns), "default")))
		return mf_err(m, "/metadata/namespace",
			      "berth has one namespace, `default`");
	if (!(spec = GET_OBJ(m, doc, "", "spec")))
		return m->pc->failed ? -1 : mf_err(m, "/spec", "missing");
	if (only(m, spec, "/spec", a) == -1)
		return -1;
	m->pc->line = mf_line_of(m, "/metadata/name");
	if (cfg_analysis_open(m->pc, name) == -1)
		return -1;
	metrics = GET_ARR(m, spec, "/spec", "metrics");
	if (!metrics || json_array_size(metrics) == 0)
		return m->pc->failed
			   ? -1
			   : mf_err(m, "/spec/metrics", "needs one metric");
	json_array_foreach(metrics, i, mt)
	{
		char *p = xasprintf("/spec/metrics/%zu", i);
		int r = read_metric(m, mt, p);

		free(p);
		if (r)
			return -1;
	}
	return 0;
}
