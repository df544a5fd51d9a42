/*
 * test_kube_rollout.c - kube/convert_rollout.c: a Canary deployment in the
 * middle of a run as Argo Rollouts' Rollout (its spec as `berth export`
 * writes it, its status as Argo writes it: phase, currentStepIndex,
 * stableRS, currentPodHash, the canary weights, pauseConditions, abort),
 * a BlueGreen one paused before promotion, an [analysis] as an
 * AnalysisTemplate, and their Table rows.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/xalloc.h"
#include "../../config/config.h"
#include "../../kube/convert_rollout.h"
#include "../../kube/kobj.h"
#include "../../kube/table.h"
#include "../lib/fixture.h"
#include "../lib/tap.h"

static const char ini[] =
    "[berth]\n"
    "state_dir = /tmp\n"
    "run_dir = /tmp\n"
    "[deployment web]\n"
    "image = /\n"
    "command = /bin/web\n"
    "replicas = 4\n"
    "labels = app=web\n"
    "strategy.type = Canary\n"
    "strategy.canary.steps = setWeight 25, pause, setWeight 50\n"
    "resources.limits.pids = 64\n"
    "[deployment bg]\n"
    "image = /\n"
    "command = /bin/web\n"
    "labels = app=bg\n"
    "strategy.type = BlueGreen\n"
    "strategy.blueGreen.activeService = bg\n"
    "[service bg]\n"
    "listen = 127.0.0.1:20999\n"
    "selector = app=bg\n"
    "targetPort = 8080\n"
    "[analysis rate]\n"
    "metrics.m.interval = 5s\n"
    "metrics.m.successCondition = result > 0.9\n"
    "metrics.m.provider.berth.minRequests = 5\n";

static const char *s(json_t *o, const char *path)
{
	const char *v = json_string_value(kube_path(o, path));

	return v ? v : "(missing)";
}

static json_int_t n(json_t *o, const char *path)
{
	return json_integer_value(kube_path(o, path));
}

int main(void)
{
	struct berth_config *cfg =
	    cfg_from_text(ini, "/tmp/berth-test-kube-ro-XXXXXX");
	struct daemon *d;
	struct deployment dep, bg;
	struct kube_ctx k;
	json_t *ro, *cells, *w, *t;

	if (cfg == NULL) {
		printf("not ok 1 - config\n1..1\n");
		return 1;
	}
	d = xcalloc(1, sizeof(*d));
	fixture_deployment(&dep, d, "web", &cfg->deployments[0], 4, 2, "new222",
			   1796464800000LL);
	dep.memo.set = true;
	snprintf(dep.memo.stable, sizeof(dep.memo.stable), "old111");
	/* A run at its pause (step 2 of 3) with 25 % in the proxy. */
	snprintf(dep.canary.s.hash, sizeof(dep.canary.s.hash), "new222");
	dep.canary.s.step = 1;
	dep.canary.s.weight = 25;
	dep.canary.s.pause_until_mono = -1;
	dep.canary.s.header_step = -1;
	dep.canary.weight = 25;
	d->deployments = &dep;

	kube_ctx_init(&k, d, dep.created_ms);
	ok(kube_is_rollout(&dep), "a Canary deployment is a Rollout");
	ro = kube_rollout(&k, &dep);
	is_str(s(ro, "apiVersion"), "argoproj.io/v1alpha1", "apiVersion");
	is_str(s(ro, "kind"), "Rollout", "kind");
	is_str(s(ro, "metadata.name"), "web", "name");
	is_str(json_string_value(
		   json_object_get(kube_path(ro, "metadata.annotations"),
				   "rollout.argoproj.io/revision")),
	       "2", "Argo's revision annotation");
	ok(!json_object_get(kube_path(ro, "metadata.annotations"),
			    "berth.io/strategy.type") &&
	       !json_object_get(kube_path(ro, "metadata.annotations"),
				"berth.io/strategy.canary.steps"),
	   "no strategy annotation of the Deployment form (the spec has it: "
	   "read back, it would be set twice)");
	{
		json_t *ann = kube_path(ro, "metadata.annotations");
		json_t *dj = kube_deployment(&k, &dep);
		char uid[37];

		kube_uid("Rollout", "web", dep.created_ms, uid);
		is_str(s(ro, "metadata.uid"), uid, "the Rollout's own uid");
		is_int(json_object_size(ann), 2,
		       "annotations: Argo's revision and berth's setting");
		is_str(json_string_value(json_object_get(
			   ann, "berth.io/resources.limits.pids")),
		       "64", "a berth.io/ setting of the Rollout form");
		ok(json_equal(kube_path(ro, "metadata.labels"),
			      kube_path(dj, "metadata.labels")) &&
		       n(ro, "metadata.generation") == 2 &&
		       !strcmp(s(ro, "metadata.creationTimestamp"),
			       s(dj, "metadata.creationTimestamp")),
		   "labels, generation and creation: the Deployment's");
		ok(json_equal(kube_path(ro, "status.conditions"),
			      kube_path(dj, "status.conditions")),
		   "conditions: the Deployment's");
		json_decref(dj);
	}
	is_int(n(ro, "spec.replicas"), 4, "spec.replicas");
	is_int(json_array_size(kube_path(ro, "spec.strategy.canary.steps")), 3,
	       "the steps");
	is_int(n(json_array_get(kube_path(ro, "spec.strategy.canary.steps"), 0),
		 "setWeight"),
	       25, "setWeight 25");
	is_str(s(ro, "status.phase"), "Paused", "phase Paused at a pause step");
	is_int(n(ro, "status.currentStepIndex"), 1, "currentStepIndex");
	is_str(s(ro, "status.currentPodHash"), "new222", "currentPodHash");
	is_str(s(ro, "status.stableRS"), "old111", "stableRS");
	w = kube_path(ro, "status.canary.weights");
	is_int(n(w, "canary.weight"), 25, "canary weight");
	is_str(s(w, "canary.podTemplateHash"), "new222", "canary hash");
	is_int(n(w, "stable.weight"), 75, "stable weight");
	is_str(s(w, "stable.podTemplateHash"), "old111", "stable hash");
	is_str(s(json_array_get(kube_path(ro, "status.pauseConditions"), 0),
		 "reason"),
	       "CanaryPauseStep", "pauseConditions");
	is_str(s(ro, "status.observedGeneration"), "2",
	       "observedGeneration is a string, as Argo writes it");
	is_str(s(ro, "status.selector"), "app=web", "selector");
	ok(kube_path(ro, "status.abort") == NULL, "not aborted");
	cells = kube_table_cells("rollouts", ro, k.now_ms);
	is_int(json_array_size(cells), 6,
	       "NAME DESIRED CURRENT UP-TO-DATE AVAILABLE AGE");
	is_int(json_integer_value(json_array_get(cells, 1)), 4, "DESIRED");
	json_decref(cells);
	json_decref(ro);

	dep.canary.s.aborted = true;
	dep.canary.s.pause_until_mono = 0;
	dep.canary.weight = 0;
	ro = kube_rollout(&k, &dep);
	is_str(s(ro, "status.phase"), "Degraded", "aborted: Degraded");
	ok(json_is_true(kube_path(ro, "status.abort")), "abort: true");
	is_int(n(ro, "status.canary.weights.canary.weight"), 0,
	       "weight 0 after the abort");
	json_decref(ro);

	/* No run: the rollout is complete, the canary weights at 0. */
	memset(&dep.canary, 0, sizeof(dep.canary));
	snprintf(dep.memo.stable, sizeof(dep.memo.stable), "new222");
	ro = kube_rollout(&k, &dep);
	is_int(n(ro, "status.currentStepIndex"), 3,
	       "no run: currentStepIndex is the number of steps");
	is_str(s(ro, "status.stableRS"), "new222", "stable is current");
	json_decref(ro);

	/* BlueGreen, paused before promotion. */
	fixture_deployment(&bg, d, "bg", &cfg->deployments[1], 1, 2, "bbb222",
			   dep.created_ms);
	snprintf(bg.bg.active, sizeof(bg.bg.active), "aaa111");
	snprintf(bg.bg.target, sizeof(bg.bg.target), "bbb222");
	bg.bg.phase = BG_PAUSED;
	dep.next = &bg;
	ro = kube_rollout(&k, &bg);
	is_str(s(ro, "spec.strategy.blueGreen.activeService"), "bg",
	       "blueGreen.activeService");
	is_str(s(ro, "status.phase"), "Paused", "blue-green pause: Paused");
	is_str(s(ro, "status.blueGreen.activeSelector"), "aaa111",
	       "activeSelector");
	is_str(s(ro, "status.blueGreen.previewSelector"), "bbb222",
	       "previewSelector");
	is_str(s(ro, "status.stableRS"), "aaa111", "stableRS is the active");
	json_decref(ro);

	t = kube_analysis_template(&k, &cfg->analyses[0]);
	is_str(s(t, "kind"), "AnalysisTemplate", "AnalysisTemplate");
	is_str(s(json_array_get(kube_path(t, "spec.metrics"), 0), "interval"),
	       "5s", "a metric's interval");
	is_int(n(json_array_get(kube_path(t, "spec.metrics"), 0),
		 "provider.berth.minRequests"),
	       5, "the berth provider");
	cells = kube_table_cells("analysistemplates", t, k.now_ms);
	is_int(json_array_size(cells), 2, "NAME AGE");
	json_decref(cells);
	json_decref(t);

	free(d);
	cfg_free(cfg);
	return tap_done();
}
