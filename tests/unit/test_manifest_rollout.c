/*
 * test_manifest_rollout.c - config/manifest_rollout.c and
 * manifest_rollout_out.c: an Argo Rollout (canary and blueGreen, every
 * field berth runs) and an AnalysisTemplate (every metric field and the
 * three providers) load into the same config as the INI file that says
 * the same; `berth export`'s manifests of that config load back to it;
 * and every Argo field berth does not run is refused naming the field,
 * with its YAML line. Writes its files in the current folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../config/config.h"
#include "../../config/manifest.h"
#include "../../config/template.h"
#include "../../config/yaml_json.h"
#include "../lib/tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static struct berth_config *load(const char *path, const char *text,
				 struct berr *err)
{
	struct berth_config *c = NULL;
	write_file(path, text);
	if (cfg_load(path, &c, err) == -1)
		return NULL;
	return c;
}

static const char ini[] =
    "[deployment can]\n"
    "image = reg.local/can:2\n"
    "port = 8080\n"
    "labels = app=can\n"
    "replicas = 3\n"
    "minReadySeconds = 2\n"
    "progressDeadlineSeconds = 120\n"
    "progressDeadlineAbort = true\n"
    "revisionHistoryLimit = 4\n"
    "strategy.type = Canary\n"
    "strategy.rollingUpdate.maxSurge = 1\n"
    "strategy.rollingUpdate.maxUnavailable = 0\n"
    "strategy.canary.dynamicStableScale = true\n"
    "strategy.canary.abortScaleDownDelaySeconds = 0\n"
    "strategy.canary.stickiness.cookie = side\n"
    "strategy.canary.analysis.templates = rate\n"
    "strategy.canary.analysis.startingStep = 1\n"
    "strategy.canary.steps = setCanaryScale replicas 1, setWeight 20, "
    "pause 30s, pause\n"
    "strategy.canary.steps = setCanaryScale weight 50, setCanaryScale "
    "matchTrafficWeight, analysis rate probe\n"
    "strategy.canary.steps = setHeaderRoute X-Canary exact yes, "
    "setHeaderRoute X-Beta regex b.*, setHeaderRoute\n"
    "strategy.canary.steps = setMirrorRoute 20, setMirrorRoute, setWeight "
    "100\n"
    "[deployment bg]\n"
    "image = reg.local/bg:1\n"
    "labels = app=bg\n"
    "replicas = 2\n"
    "strategy.type = BlueGreen\n"
    "strategy.blueGreen.activeService = bg\n"
    "strategy.blueGreen.previewService = bg-preview\n"
    "strategy.blueGreen.autoPromotionEnabled = true\n"
    "strategy.blueGreen.autoPromotionSeconds = 40\n"
    "strategy.blueGreen.previewReplicaCount = 1\n"
    "strategy.blueGreen.scaleDownDelaySeconds = 15\n"
    "strategy.blueGreen.abortScaleDownDelaySeconds = 5\n"
    "strategy.blueGreen.prePromotionAnalysis = rate\n"
    "strategy.blueGreen.postPromotionAnalysis = probe\n"
    "[service bg]\n"
    "listen = 127.0.0.1:20901\n"
    "selector = app=bg\n"
    "targetPort = 8080\n"
    "[service bg-preview]\n"
    "listen = 127.0.0.1:20902\n"
    "selector = app=bg\n"
    "targetPort = 8080\n"
    "[analysis rate]\n"
    "metrics.success.interval = 10s\n"
    "metrics.success.initialDelay = 1500ms\n"
    "metrics.success.count = 5\n"
    "metrics.success.successCondition = result.successRate >= 0.99\n"
    "metrics.success.failureCondition = result.errors > 10\n"
    "metrics.success.failureLimit = 1\n"
    "metrics.success.inconclusiveLimit = 2\n"
    "metrics.success.consecutiveErrorLimit = 3\n"
    "metrics.success.provider.berth.minRequests = 50\n"
    "metrics.success.provider.berth.service = bg\n"
    "metrics.web.interval = 5s\n"
    "metrics.web.successCondition = result.ok == true\n"
    "metrics.web.provider.web.url = http://127.0.0.1:9000/health\n"
    "metrics.web.provider.web.method = POST\n"
    "metrics.web.provider.web.headers = X-Token: abc\n"
    "metrics.web.provider.web.headers = Accept: application/json\n"
    "metrics.web.provider.web.body = {}\n"
    "metrics.web.provider.web.jsonPath = $.status\n"
    "metrics.web.provider.web.timeoutSeconds = 3\n"
    "[analysis probe]\n"
    "metrics.cmd.provider.exec.command = /bin/check --fast 'a b'\n"
    "metrics.cmd.provider.exec.timeoutSeconds = 7\n";

static const char yaml[] =
    "apiVersion: argoproj.io/v1alpha1\n"
    "kind: Rollout\n"
    "metadata:\n"
    "  name: can\n"
    "  annotations:\n"
    "    berth.io/strategy.canary.stickiness.cookie: side\n"
    "spec:\n"
    "  replicas: 3\n"
    "  minReadySeconds: 2\n"
    "  progressDeadlineSeconds: 120\n"
    "  progressDeadlineAbort: true\n"
    "  revisionHistoryLimit: 4\n"
    "  selector:\n"
    "    matchLabels: {app: can}\n"
    "  template:\n"
    "    metadata:\n"
    "      labels: {app: can}\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: can\n"
    "        image: reg.local/can:2\n"
    "        ports: [{containerPort: 8080}]\n"
    "  strategy:\n"
    "    canary:\n"
    "      maxSurge: 1\n"
    "      maxUnavailable: 0\n"
    "      dynamicStableScale: true\n"
    "      abortScaleDownDelaySeconds: 0\n"
    "      analysis:\n"
    "        templates: [{templateName: rate}]\n"
    "        startingStep: 1\n"
    "      steps:\n"
    "      - setCanaryScale: {replicas: 1}\n"
    "      - setWeight: 20\n"
    "      - pause: {duration: 30s}\n"
    "      - pause: {}\n"
    "      - setCanaryScale: {weight: 50}\n"
    "      - setCanaryScale: {matchTrafficWeight: true}\n"
    "      - analysis:\n"
    "          templates:\n"
    "          - templateName: rate\n"
    "          - templateName: probe\n"
    "      - setHeaderRoute:\n"
    "          name: canary-header\n"
    "          match:\n"
    "          - headerName: X-Canary\n"
    "            headerValue: {exact: \"yes\"}\n"
    "      - setHeaderRoute:\n"
    "          name: beta\n"
    "          match: [{headerName: X-Beta, headerValue: {regex: b.*}}]\n"
    "      - setHeaderRoute: {name: canary-header}\n"
    "      - setMirrorRoute: {name: mirror, percentage: 20}\n"
    "      - setMirrorRoute: {name: mirror}\n"
    "      - setWeight: 100\n"
    "---\n"
    "apiVersion: argoproj.io/v1alpha1\n"
    "kind: Rollout\n"
    "metadata: {name: bg}\n"
    "spec:\n"
    "  replicas: 2\n"
    "  selector: {matchLabels: {app: bg}}\n"
    "  template:\n"
    "    metadata: {labels: {app: bg}}\n"
    "    spec:\n"
    "      containers: [{name: bg, image: \"reg.local/bg:1\"}]\n"
    "  strategy:\n"
    "    blueGreen:\n"
    "      activeService: bg\n"
    "      previewService: bg-preview\n"
    "      autoPromotionEnabled: true\n"
    "      autoPromotionSeconds: 40\n"
    "      previewReplicaCount: 1\n"
    "      scaleDownDelaySeconds: 15\n"
    "      abortScaleDownDelaySeconds: 5\n"
    "      prePromotionAnalysis: {templates: [{templateName: rate}]}\n"
    "      postPromotionAnalysis: {templates: [{templateName: probe}]}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: bg\n"
    "  annotations: {berth.io/listen: \"127.0.0.1:20901\"}\n"
    "spec:\n"
    "  selector: {app: bg}\n"
    "  ports: [{port: 20901, targetPort: 8080}]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: bg-preview\n"
    "  annotations: {berth.io/listen: \"127.0.0.1:20902\"}\n"
    "spec:\n"
    "  selector: {app: bg}\n"
    "  ports: [{port: 20902, targetPort: 8080}]\n"
    "---\n"
    "apiVersion: argoproj.io/v1alpha1\n"
    "kind: AnalysisTemplate\n"
    "metadata: {name: rate}\n"
    "spec:\n"
    "  metrics:\n"
    "  - name: success\n"
    "    interval: 10s\n"
    "    initialDelay: 1500ms\n"
    "    count: 5\n"
    "    successCondition: result.successRate >= 0.99\n"
    "    failureCondition: result.errors > 10\n"
    "    failureLimit: 1\n"
    "    inconclusiveLimit: 2\n"
    "    consecutiveErrorLimit: 3\n"
    "    provider:\n"
    "      berth: {minRequests: 50, service: bg}\n"
    "  - name: web\n"
    "    interval: 5s\n"
    "    successCondition: result.ok == true\n"
    "    provider:\n"
    "      web:\n"
    "        url: http://127.0.0.1:9000/health\n"
    "        method: POST\n"
    "        headers:\n"
    "        - {key: X-Token, value: abc}\n"
    "        - {key: Accept, value: application/json}\n"
    "        body: \"{}\"\n"
    "        jsonPath: $.status\n"
    "        timeoutSeconds: 3\n"
    "---\n"
    "apiVersion: argoproj.io/v1alpha1\n"
    "kind: AnalysisTemplate\n"
    "metadata: {name: probe}\n"
    "spec:\n"
    "  metrics:\n"
    "  - name: cmd\n"
    "    provider:\n"
    "      exec:\n"
    "        command: [/bin/check, --fast, a b]\n"
    "        timeoutSeconds: 7\n";

/* Every field both ways: the export of each config, compared whole. */
static json_t *exported(const struct berth_config *c)
{
	json_t *docs = json_array();

	for (size_t i = 0; i < c->n_deployments; i++)
		json_array_append_new(
		    docs, cfg_workload_manifest(&c->deployments[i],
						c->deployments[i].replicas));
	for (size_t i = 0; i < c->n_services; i++)
		json_array_append_new(
		    docs, cfg_service_manifest(&c->services[i], NULL));
	for (size_t i = 0; i < c->n_analyses; i++)
		json_array_append_new(docs,
				      cfg_analysis_manifest(&c->analyses[i]));
	return docs;
}

static bool same_config(const struct berth_config *a,
			const struct berth_config *b, const char *what)
{
	json_t *x = exported(a), *y = exported(b);
	bool same = a->n_deployments == b->n_deployments &&
		    a->n_analyses == b->n_analyses && json_equal(x, y);

	for (size_t i = 0; same && i < a->n_deployments; i++)
		same =
		    cfg_template_equal(&a->deployments[i], &b->deployments[i]);
	if (!same) {
		char *sx = json_dumps(x, JSON_SORT_KEYS | JSON_INDENT(1));
		char *sy = json_dumps(y, JSON_SORT_KEYS | JSON_INDENT(1));
		printf("# %s differ:\n# --- a\n%s\n# --- b\n%s\n", what, sx,
		       sy);
		free(sx);
		free(sy);
	}
	json_decref(x);
	json_decref(y);
	return same;
}

static void check_same(void)
{
	struct berr err = BERR_INIT;
	struct berth_config *a = load("r.ini", ini, &err);
	ok(a != NULL, "INI loads: %s", err.msg);
	struct berth_config *b = load("r.yaml", yaml, &err);
	ok(b != NULL, "Rollouts and AnalysisTemplates load: %s", err.msg);
	if (!a || !b)
		goto out;
	ok(same_config(a, b, "INI and YAML"), "same config as the INI file");

	/* Spot checks, so that a field lost both ways still fails. */
	const struct deployment_spec *c = cfg_find_deployment(b, "can");
	const struct deployment_spec *g = cfg_find_deployment(b, "bg");
	ok(c && c->strategy == STRATEGY_CANARY && c->canary_steps.n == 13,
	   "canary: 13 steps");
	if (c) {
		char buf[128];
		is_str(canary_step_str(&c->canary_steps.v[7], buf, sizeof(buf)),
		       "setHeaderRoute X-Canary exact yes", "header route");
		is_str(canary_step_str(&c->canary_steps.v[6], buf, sizeof(buf)),
		       "analysis rate probe", "analysis step");
		is_str(canary_step_str(&c->canary_steps.v[2], buf, sizeof(buf)),
		       "pause 30s", "timed pause");
		is_str(
		    canary_step_str(&c->canary_steps.v[10], buf, sizeof(buf)),
		    "setMirrorRoute 20", "mirror route");
		ok(c->dynamic_stable_scale && c->progress_deadline_abort &&
		       c->max_surge.value == 1 && !c->max_surge.percent &&
		       c->max_unavailable.value == 0 &&
		       c->canary_analysis.starting_step == 1 &&
		       c->canary_abort_scale_down_delay_seconds == 0 &&
		       c->canary_analysis.templates.n == 1 &&
		       !strcmp(c->canary_cookie, "side"),
		   "canary settings");
	}
	ok(g && g->strategy == STRATEGY_BLUE_GREEN &&
	       !strcmp(g->bluegreen.active_service, "bg") &&
	       !strcmp(g->bluegreen.preview_service, "bg-preview") &&
	       g->bluegreen.auto_promotion_seconds == 40 &&
	       g->bluegreen.preview_replica_count == 1 &&
	       g->bluegreen.scale_down_delay_seconds == 15 &&
	       g->bluegreen.abort_scale_down_delay_seconds == 5 &&
	       !strcmp(g->bluegreen.pre_promotion_analysis, "rate") &&
	       !strcmp(g->bluegreen.post_promotion_analysis, "probe"),
	   "blueGreen settings");
	const struct analysis_template *t = cfg_find_analysis(b, "rate");
	ok(t && t->n_metrics == 2, "template rate: 2 metrics");
	if (t && t->n_metrics == 2) {
		const struct analysis_metric *m = &t->metrics[0],
					     *w = &t->metrics[1];
		ok(m->interval_ms == 10000 && m->initial_delay_ms == 1500 &&
		       m->count == 5 && m->failure_limit == 1 &&
		       m->inconclusive_limit == 2 &&
		       m->consecutive_error_limit == 3 &&
		       m->provider == APROV_BERTH &&
		       m->berth_min_requests == 50 &&
		       !strcmp(m->berth_service, "bg") &&
		       !strcmp(m->success_condition,
			       "result.successRate >= 0.99") &&
		       !strcmp(m->failure_condition, "result.errors > 10"),
		   "berth metric");
		ok(w->provider == APROV_WEB && w->web_headers.n == 2 &&
		       !strcmp(w->web_headers.v[1].value, "application/json") &&
		       !strcmp(w->web_method, "POST") &&
		       !strcmp(w->web_body, "{}") &&
		       !strcmp(w->web_json_path, "$.status") &&
		       w->web_timeout_seconds == 3,
		   "web metric");
	}
	t = cfg_find_analysis(b, "probe");
	ok(t && t->metrics[0].provider == APROV_EXEC &&
	       t->metrics[0].exec_command.n == 3 &&
	       !strcmp(t->metrics[0].exec_command.v[2], "a b") &&
	       t->metrics[0].exec_timeout_seconds == 7,
	   "exec metric");
out:
	cfg_free(a);
	cfg_free(b);
}

/* INI -> export (Rollouts, AnalysisTemplates) -> YAML -> config. */
static void check_round_trip(void)
{
	struct berr err = BERR_INIT;
	struct berth_config *a = load("r.ini", ini, &err), *b = NULL;
	if (!a) {
		ok(0, "INI loads: %s", err.msg);
		return;
	}
	json_t *docs = exported(a);
	is_str(
	    json_string_value(json_object_get(json_array_get(docs, 0), "kind")),
	    "Rollout", "a Canary deployment is exported as a Rollout");
	is_str(
	    json_string_value(json_object_get(json_array_get(docs, 4), "kind")),
	    "AnalysisTemplate", "an [analysis] as an AnalysisTemplate");
	char *dump = json_dumps(docs, 0);
	ok(dump && !strstr(dump, "berth.io/strategy.type") &&
	       !strstr(dump, "berth.io/strategy.canary.steps") &&
	       !strstr(dump, "\"status\""),
	   "Argo's fields, not berth's annotations; no status");
	ok(dump && strstr(dump, "\"abortScaleDownDelaySeconds\": 0"),
	   "canary abortScaleDownDelaySeconds 0 written back");
	free(dump);
	char *y = json_to_yaml_docs(docs, &err);
	json_decref(docs);
	write_file("rt.yaml", y ? y : "");
	int rc = cfg_load("rt.yaml", &b, &err);
	ok(rc == 0, "exported manifests load back: %s", err.msg);
	if (rc == 0)
		ok(same_config(a, b, "INI and its export"),
		   "the export loads to the same config");
	else if (y)
		printf("# yaml:\n%s", y);
	free(y);
	cfg_free(a);
	cfg_free(b);
	remove("rt.yaml");
}

/* A Rollout around one strategy (or spec) fragment. */
#define RO(spec_extra, strategy)                                               \
	"apiVersion: argoproj.io/v1alpha1\n"                                   \
	"kind: Rollout\n"                                                      \
	"metadata: {name: web}\n"                                              \
	"spec:\n"                                                              \
	"  selector: {matchLabels: {app: web}}\n"                              \
	"  template:\n"                                                        \
	"    metadata: {labels: {app: web}}\n"                                 \
	"    spec: {containers: [{name: web, image: \"web:1\"}]}\n" spec_extra \
	"  strategy:\n" strategy

#define AT(metric)                                                             \
	"apiVersion: argoproj.io/v1alpha1\n"                                   \
	"kind: AnalysisTemplate\n"                                             \
	"metadata: {name: rate}\n"                                             \
	"spec:\n"                                                              \
	"  metrics:\n"                                                         \
	"  - name: m\n" metric

static const char *const errors[][2] = {
    {RO("", "    canary:\n      canaryService: web-canary\n"),
     "e.yaml:11: Rollout web: spec.strategy.canary.canaryService: not "
     "supported by berth (berth's proxy splits the traffic of every Service "
     "that selects the Rollout's pods; there are no separate canary and "
     "stable Services)"},
    {RO("", "    canary:\n      stableService: web-stable\n"),
     "e.yaml:11: Rollout web: spec.strategy.canary.stableService: not "
     "supported by berth (berth's proxy splits the traffic of every Service "
     "that selects the Rollout's pods; there are no separate canary and "
     "stable Services)"},
    {RO("", "    canary:\n      trafficRouting: {nginx: {}}\n"),
     "e.yaml:11: Rollout web: spec.strategy.canary.trafficRouting: not "
     "supported by berth (berth's own proxy routes by weight and header)"},
    {RO("", "    canary:\n      abortScaleDownDelaySeconds: -1\n"),
     "e.yaml:11: strategy.canary.abortScaleDownDelaySeconds: \"-1\" is not a "
     "non-negative integer"},
    {RO("", "    canary:\n      steps:\n      - experiment: {}\n"),
     "e.yaml:12: Rollout web: spec.strategy.canary.steps[0].experiment: not "
     "supported by berth (berth runs no experiments)"},
    {RO("", "    canary:\n      steps:\n      - setWeight: x\n"),
     "e.yaml:12: Rollout web: spec.strategy.canary.steps[0].setWeight: must "
     "be a number 0..100"},
    {RO("", "    canary:\n      steps:\n      - setWeight: 120\n"),
     "e.yaml:12: strategy.canary.steps: step 1: setWeight takes one "
     "percentage 0..100 (e.g. setWeight 20)"},
    {RO("", "    canary:\n      steps:\n      - setWeight: 5\n"
	    "        pause: {}\n"),
     "e.yaml:12: Rollout web: spec.strategy.canary.steps[0]: a step is a "
     "map with one of setWeight, pause, setCanaryScale, analysis, "
     "setHeaderRoute, setMirrorRoute"},
    {RO("", "    canary:\n      steps:\n      - analysis:\n"
	    "          templates: [{templateName: a}]\n"
	    "          args: [{name: x, value: y}]\n"),
     "e.yaml:14: Rollout web: spec.strategy.canary.steps[0].analysis.args: "
     "not supported by berth (berth's analysis templates take no "
     "arguments)"},
    {RO("", "    canary:\n      steps:\n      - analysis:\n"
	    "          templates: [{templateName: a, clusterScope: true}]\n"),
     "e.yaml:13: Rollout web: spec.strategy.canary.steps[0].analysis."
     "templates[0].clusterScope: not supported by berth (berth has no "
     "cluster-scoped templates)"},
    {RO("", "    canary:\n      steps:\n      - analysis:\n"
	    "          templates: [{templateName: nope}]\n"),
     "e.yaml:12: strategy.canary.steps: analysis: no [analysis nope] "
     "section in this file"},
    {RO("", "    canary:\n      steps:\n      - setHeaderRoute:\n"
	    "          name: h\n"
	    "          match:\n"
	    "          - {headerName: A, headerValue: {exact: x}}\n"
	    "          - {headerName: B, headerValue: {exact: y}}\n"),
     "e.yaml:15: Rollout web: spec.strategy.canary.steps[0].setHeaderRoute."
     "match: berth routes on one header"},
    {RO("", "    canary:\n      steps:\n      - setHeaderRoute:\n"
	    "          name: h\n"
	    "          match: [{headerName: A, headerValue: {exact: a b}}]\n"),
     "e.yaml:14: Rollout web: spec.strategy.canary.steps[0].setHeaderRoute."
     "match[0].headerValue.exact: berth cannot keep a blank or a comma "
     "here"},
    {RO("", "    canary:\n      steps:\n      - setMirrorRoute:\n"
	    "          name: m\n"
	    "          match: [{method: {exact: GET}}]\n"),
     "e.yaml:14: Rollout web: spec.strategy.canary.steps[0].setMirrorRoute."
     "match: not supported by berth (it mirrors a percentage of every "
     "request)"},
    {RO("", "    canary:\n      steps:\n      - setCanaryScale: "
	    "{matchTrafficWeight: false}\n"),
     "e.yaml:12: Rollout web: spec.strategy.canary.steps[0].setCanaryScale."
     "matchTrafficWeight: must be true"},
    {RO("", "    canary: {}\n    blueGreen: {activeService: web}\n"),
     "e.yaml:10: Rollout web: spec.strategy: needs exactly one of canary "
     "and blueGreen"},
    {RO("", "    rollingUpdate: {}\n"),
     "e.yaml:10: Rollout web: spec.strategy.rollingUpdate: field not supported "
     "by berth"},
    {RO("  workloadRef: {kind: Deployment, name: web}\n", "    canary: {}\n"),
     "e.yaml:9: Rollout web: spec.workloadRef: not supported by berth (put "
     "the pod template in spec.template)"},
    {RO("", "    blueGreen:\n      activeService: web\n"
	    "      antiAffinity: {}\n"),
     "e.yaml:12: Rollout web: spec.strategy.blueGreen.antiAffinity: not "
     "supported by berth (berth runs on one host)"},
    {RO("", "    blueGreen:\n      activeService: web\n"
	    "      prePromotionAnalysis:\n"
	    "        templates: [{templateName: a}, {templateName: b}]\n"),
     "e.yaml:13: Rollout web: spec.strategy.blueGreen.prePromotionAnalysis."
     "templates: berth runs one template here"},
    {RO("", "    blueGreen: {activeService: web}\n"),
     "e.yaml:10: strategy.blueGreen.activeService: no [service web] in "
     "this file"},
    {AT("    provider: {prometheus: {query: up}}\n"),
     "e.yaml:7: AnalysisTemplate rate: spec.metrics[0].provider.prometheus: "
     "not supported by berth (its providers are berth - the proxy's own "
     "counters -, web and exec)"},
    {AT("    provider: {job: {spec: {}}}\n"),
     "e.yaml:7: AnalysisTemplate rate: spec.metrics[0].provider.job: not "
     "supported by berth (its providers are berth - the proxy's own "
     "counters -, web and exec)"},
    {AT("    dryRun: true\n    provider: {berth: {}}\n"),
     "e.yaml:7: AnalysisTemplate rate: spec.metrics[0].dryRun: not "
     "supported by berth (every berth analysis decides)"},
    {AT("    provider:\n      web: {url: \"http://127.0.0.1/\", insecure: "
	"true}\n"),
     "e.yaml:8: AnalysisTemplate rate: spec.metrics[0].provider.web."
     "insecure: not supported by berth (the web provider speaks plain http "
     "to loopback)"},
    {AT("    interval: 10x\n    successCondition: result > 1\n"
	"    provider: {berth: {}}\n"),
     "e.yaml:7: metrics.m.interval: \"10x\" is not a duration (N, Nms, Ns, "
     "Nm or Nh)"},
    {AT("    interval: 10s\n    successCondition: result > \n"
	"    provider: {berth: {}}\n"),
     "e.yaml:8: metrics.m.successCondition: column 9: expected a number, "
     "`result` or `(`, found the end of the condition"},
    {AT("    provider: {}\n"),
     "e.yaml:7: AnalysisTemplate rate: spec.metrics[0].provider: needs one "
     "of berth, web or exec"},
};

static void check_errors(void)
{
	for (size_t i = 0; i < N(errors); i++) {
		struct berr err = BERR_INIT;
		struct berth_config *c = load("e.yaml", errors[i][0], &err);
		ok(c == NULL, "error case %zu refused", i);
		is_str(err.msg, errors[i][1], "error case %zu message", i);
		cfg_free(c);
	}
}

int main(void)
{
	check_same();
	check_round_trip();
	check_errors();
	remove("r.ini");
	remove("r.yaml");
	remove("e.yaml");
	return tap_done();
}
