/*
 * manifest_rollout_out.c - a Canary or BlueGreen deployment as an Argo
 * Rollouts argoproj.io/v1alpha1 Rollout, and an [analysis NAME] as an
 * AnalysisTemplate: clean manifests (no status, uid or resourceVersion)
 * that manifest_rollout.c reads back to the same config. The Rollout is
 * the Deployment manifest_out.c writes with Argo's strategy in place of
 * the berth.io/strategy.* annotations. Reads config structs only.
 */
#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "manifest_internal.h"

/* Header and mirror routes have no name in berth (one of each). */
#define HEADER_ROUTE_NAME "header-route"
#define MIRROR_ROUTE_NAME "mirror-route"

static json_t *templates_json(const struct strv *names)
{
	json_t *a = json_array();

	for (size_t i = 0; i < names->n; i++)
		json_array_append_new(
		    a, json_pack("{s:s}", "templateName", names->v[i]));
	return a;
}

static json_t *one_template(const char *name)
{
	return json_pack("{s:[{s:s}]}", "templates", "templateName", name);
}

static json_t *step_json(const struct canary_step *st)
{
	static const char *const match[] = {"exact", "prefix", "regex"};
	char buf[32];

	switch (st->kind) {
	case CANARY_SET_WEIGHT:
		return json_pack("{s:i}", "setWeight", st->value);
	case CANARY_PAUSE:
		if (st->pause_seconds < 0)
			return json_pack("{s:{}}", "pause");
		snprintf(buf, sizeof(buf), "%llds",
			 (long long)st->pause_seconds);
		return json_pack("{s:{s:s}}", "pause", "duration", buf);
	case CANARY_SET_CANARY_SCALE:
		if (st->scale == CANARY_SCALE_REPLICAS)
			return json_pack("{s:{s:i}}", "setCanaryScale",
					 "replicas", st->value);
		if (st->scale == CANARY_SCALE_WEIGHT)
			return json_pack("{s:{s:i}}", "setCanaryScale",
					 "weight", st->value);
		return json_pack("{s:{s:b}}", "setCanaryScale",
				 "matchTrafficWeight", 1);
	case CANARY_ANALYSIS:
		return json_pack("{s:{s:o}}", "analysis", "templates",
				 templates_json(&st->templates));
	case CANARY_SET_HEADER_ROUTE:
		if (st->header == NULL)
			return json_pack("{s:{s:s}}", "setHeaderRoute", "name",
					 HEADER_ROUTE_NAME);
		return json_pack(
		    "{s:{s:s, s:[{s:s, s:{s:s}}]}}", "setHeaderRoute", "name",
		    HEADER_ROUTE_NAME, "match", "headerName", st->header,
		    "headerValue", match[st->match], st->header_value);
	case CANARY_SET_MIRROR_ROUTE:
		if (st->value == 0)
			return json_pack("{s:{s:s}}", "setMirrorRoute", "name",
					 MIRROR_ROUTE_NAME);
		return json_pack("{s:{s:s, s:i}}", "setMirrorRoute", "name",
				 MIRROR_ROUTE_NAME, "percentage", st->value);
	}
	return json_object();
}

static json_t *canary_json(const struct deployment_spec *d)
{
	json_t *steps = json_array();
	json_t *c =
	    json_pack("{s:o, s:o}", "maxSurge", mf_int_or_percent(d->max_surge),
		      "maxUnavailable", mf_int_or_percent(d->max_unavailable));

	for (size_t i = 0; i < d->canary_steps.n; i++)
		json_array_append_new(steps, step_json(&d->canary_steps.v[i]));
	json_object_set_new(c, "steps", steps);
	if (d->dynamic_stable_scale)
		json_object_set_new(c, "dynamicStableScale", json_true());
	if (d->canary_abort_scale_down_delay_seconds >= 0)
		json_object_set_new(
		    c, "abortScaleDownDelaySeconds",
		    json_integer(d->canary_abort_scale_down_delay_seconds));
	if (d->canary_analysis.templates.n) {
		json_t *an =
		    json_pack("{s:o}", "templates",
			      templates_json(&d->canary_analysis.templates));
		if (d->canary_analysis.starting_step > 0)
			json_object_set_new(
			    an, "startingStep",
			    json_integer(d->canary_analysis.starting_step));
		json_object_set_new(c, "analysis", an);
	}
	return c;
}

static json_t *bluegreen_json(const struct bluegreen_spec *bg)
{
	json_t *b = json_pack(
	    "{s:s, s:b, s:i, s:i}", "activeService",
	    bg->active_service ? bg->active_service : "",
	    "autoPromotionEnabled", bg->auto_promotion_enabled,
	    "scaleDownDelaySeconds", bg->scale_down_delay_seconds,
	    "abortScaleDownDelaySeconds", bg->abort_scale_down_delay_seconds);

	if (bg->preview_service)
		json_object_set_new(b, "previewService",
				    json_string(bg->preview_service));
	if (bg->auto_promotion_seconds >= 0)
		json_object_set_new(b, "autoPromotionSeconds",
				    json_integer(bg->auto_promotion_seconds));
	if (bg->preview_replica_count >= 0)
		json_object_set_new(b, "previewReplicaCount",
				    json_integer(bg->preview_replica_count));
	if (bg->pre_promotion_analysis)
		json_object_set_new(b, "prePromotionAnalysis",
				    one_template(bg->pre_promotion_analysis));
	if (bg->post_promotion_analysis)
		json_object_set_new(b, "postPromotionAnalysis",
				    one_template(bg->post_promotion_analysis));
	return b;
}

json_t *cfg_rollout_strategy_manifest(const struct deployment_spec *d)
{
	if (d->strategy == STRATEGY_CANARY)
		return json_pack("{s:o}", "canary", canary_json(d));
	if (d->strategy == STRATEGY_BLUE_GREEN)
		return json_pack("{s:o}", "blueGreen",
				 bluegreen_json(&d->bluegreen));
	return NULL;
}

json_t *cfg_rollout_manifest(const struct deployment_spec *d, int replicas)
{
	json_t *o = cfg_deployment_manifest(d, replicas);
	json_t *meta = json_object_get(o, "metadata");
	json_t *spec = json_object_get(o, "spec");
	json_t *ann = json_object_get(meta, "annotations");

	json_object_set_new(o, "apiVersion",
			    json_string("argoproj.io/v1alpha1"));
	json_object_set_new(o, "kind", json_string("Rollout"));
	/* Argo's own fields instead of berth's annotations. */
	json_object_del(ann, "berth.io/strategy.type");
	json_object_del(ann, "berth.io/strategy.canary.steps");
	json_object_del(ann, "berth.io/progressDeadlineAbort");
	if (d->canary_cookie[0]) {
		if (ann == NULL) {
			ann = json_object();
			json_object_set_new(meta, "annotations", ann);
		}
		json_object_set_new(
		    ann, "berth.io/strategy.canary.stickiness.cookie",
		    json_string(d->canary_cookie));
	}
	if (ann && json_object_size(ann) == 0)
		json_object_del(meta, "annotations");
	if (d->progress_deadline_abort)
		json_object_set_new(spec, "progressDeadlineAbort", json_true());
	json_object_set_new(spec, "strategy", cfg_rollout_strategy_manifest(d));
	return o;
}

json_t *cfg_workload_manifest(const struct deployment_spec *d, int replicas)
{
	if (d->strategy == STRATEGY_CANARY ||
	    d->strategy == STRATEGY_BLUE_GREEN)
		return cfg_rollout_manifest(d, replicas);
	return cfg_deployment_manifest(d, replicas);
}

/* 10000 -> "10s", 1500 -> "1500ms": what cfg_parse_duration_ms reads. */
static json_t *duration_json(int64_t ms)
{
	return mf_thousandths(ms, "s", "ms");
}

static json_t *provider_json(const struct analysis_metric *m)
{
	json_t *p;

	switch (m->provider) {
	case APROV_BERTH:
		p = json_pack("{s:i}", "minRequests", m->berth_min_requests);
		if (m->berth_service)
			json_object_set_new(p, "service",
					    json_string(m->berth_service));
		return json_pack("{s:o}", "berth", p);
	case APROV_WEB:
		p = json_pack("{s:s, s:i}", "url", m->web_url ? m->web_url : "",
			      "timeoutSeconds", m->web_timeout_seconds);
		if (m->web_method)
			json_object_set_new(p, "method",
					    json_string(m->web_method));
		if (m->web_headers.n) {
			json_t *h = json_array();
			for (size_t i = 0; i < m->web_headers.n; i++)
				json_array_append_new(
				    h,
				    json_pack("{s:s, s:s}", "key",
					      m->web_headers.v[i].key, "value",
					      m->web_headers.v[i].value));
			json_object_set_new(p, "headers", h);
		}
		if (m->web_body)
			json_object_set_new(p, "body",
					    json_string(m->web_body));
		if (m->web_json_path)
			json_object_set_new(p, "jsonPath",
					    json_string(m->web_json_path));
		return json_pack("{s:o}", "web", p);
	case APROV_EXEC: {
		json_t *cmd = json_array();
		for (size_t i = 0; i < m->exec_command.n; i++)
			json_array_append_new(
			    cmd, json_string(m->exec_command.v[i]));
		return json_pack("{s:{s:o, s:i}}", "exec", "command", cmd,
				 "timeoutSeconds", m->exec_timeout_seconds);
	}
	case APROV_NONE:
		break;
	}
	return json_object();
}

json_t *cfg_analysis_manifest(const struct analysis_template *t)
{
	json_t *metrics = json_array();

	for (size_t i = 0; i < t->n_metrics; i++) {
		const struct analysis_metric *m = &t->metrics[i];
		json_t *o = json_pack(
		    "{s:s, s:i, s:i, s:i, s:o}", "name", m->name,
		    "failureLimit", m->failure_limit, "inconclusiveLimit",
		    m->inconclusive_limit, "consecutiveErrorLimit",
		    m->consecutive_error_limit, "provider", provider_json(m));
		if (m->interval_ms > 0)
			json_object_set_new(o, "interval",
					    duration_json(m->interval_ms));
		if (m->initial_delay_ms > 0)
			json_object_set_new(o, "initialDelay",
					    duration_json(m->initial_delay_ms));
		if (m->count >= 0)
			json_object_set_new(o, "count", json_integer(m->count));
		if (m->success_condition)
			json_object_set_new(o, "successCondition",
					    json_string(m->success_condition));
		if (m->failure_condition)
			json_object_set_new(o, "failureCondition",
					    json_string(m->failure_condition));
		json_array_append_new(metrics, o);
	}
	return json_pack("{s:s, s:s, s:{s:s}, s:{s:o}}", "apiVersion",
			 "argoproj.io/v1alpha1", "kind", "AnalysisTemplate",
			 "metadata", "name", t->name, "spec", "metrics",
			 metrics);
}
