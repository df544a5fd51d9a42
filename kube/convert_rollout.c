/*
 * convert_rollout.c - berth's Canary and BlueGreen deployments as Argo
 * Rollouts' argoproj.io/v1alpha1 Rollout, and its [analysis NAME]
 * sections as AnalysisTemplates, for the Kubernetes API's reads. The
 * spec is config/manifest_rollout_out.c's (the shape `berth export`
 * writes and a write reads back); the status is Argo's as far as berth
 * knows it: phase, currentStepIndex, stableRS, currentPodHash, the canary
 * weights, the blue-green selectors. Read-only over the model.
 */
#include "convert_rollout.h"

#include <stdio.h>
#include <string.h>

#include "../config/manifest.h"
#include "../orchestrator/view.h"
#include "kobj.h"

bool kube_is_rollout(const struct deployment *dep)
{
	return dep->spec && (dep->spec->strategy == STRATEGY_CANARY ||
			     dep->spec->strategy == STRATEGY_BLUE_GREEN);
}

static const char *selector_string(const struct deployment *dep, char *buf,
				   size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < dep->spec->labels.n && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", i ? "," : "",
				      dep->spec->labels.v[i].key,
				      dep->spec->labels.v[i].value);
	return buf;
}

/* Argo's phase and message for what berth knows of the run. */
static void phase_of(const struct kube_ctx *k, struct deployment *dep,
		     const char **phase, char *msg, size_t len)
{
	const char *state = deployment_rollout_state(k->d, dep);
	const struct canary_state *cs = &dep->canary.s;

	msg[0] = '\0';
	if (dep->spec->strategy == STRATEGY_CANARY && cs->hash[0] &&
	    cs->aborted) {
		*phase = "Degraded";
		snprintf(msg, len,
			 "RolloutAborted: Rollout aborted update to "
			 "revision %d",
			 dep->revision);
	} else if (dep->spec->strategy == STRATEGY_BLUE_GREEN &&
		   dep->bg.phase == BG_ABORTED) {
		*phase = "Degraded";
		snprintf(msg, len,
			 "RolloutAborted: Rollout aborted update to "
			 "revision %d",
			 dep->revision);
	} else if (!strcmp(state, "failed")) {
		*phase = "Degraded";
		snprintf(msg, len,
			 "ProgressDeadlineExceeded: ReplicaSet "
			 "\"%s-%s\" has timed out progressing.",
			 dep->name, dep->hash);
	} else if (dep->paused) {
		*phase = "Paused";
		snprintf(msg, len, "Paused");
	} else if (dep->spec->strategy == STRATEGY_CANARY && cs->hash[0] &&
		   (cs->pause_until_mono != 0 || cs->held)) {
		*phase = "Paused";
		snprintf(msg, len, "%s",
			 cs->held ? "InconclusiveAnalysisRun"
				  : "CanaryPauseStep");
	} else if (dep->spec->strategy == STRATEGY_BLUE_GREEN &&
		   dep->bg.phase == BG_PAUSED) {
		*phase = "Paused";
		snprintf(msg, len, "BlueGreenPause");
	} else if (!strcmp(state, "complete") &&
		   !(dep->spec->strategy == STRATEGY_CANARY && cs->hash[0])) {
		*phase = "Healthy";
	} else {
		*phase = "Progressing";
		snprintf(msg, len, "more replicas need to be updated");
	}
}

static json_t *weights(const char *canary, int w, const char *stable)
{
	return json_pack("{s:{s:s, s:i}, s:{s:s, s:i}}", "canary",
			 "podTemplateHash", canary, "weight", w, "stable",
			 "podTemplateHash", stable, "weight", 100 - w);
}

static json_t *status_json(const struct kube_ctx *k, struct deployment *dep,
			   json_t *dep_status)
{
	const struct canary_state *cs = &dep->canary.s;
	const char *phase, *stable = dep->memo.set && dep->memo.stable[0]
					 ? dep->memo.stable
					 : dep->hash;
	char msg[256], gen[16], sel[512];
	json_t *st = json_object();
	static const char *const counts[] = {"replicas", "updatedReplicas",
					     "readyReplicas",
					     "availableReplicas", NULL};

	for (size_t i = 0; counts[i]; i++)
		json_object_set_new(
		    st, counts[i],
		    json_integer(json_integer_value(
			json_object_get(dep_status, counts[i]))));
	phase_of(k, dep, &phase, msg, sizeof(msg));
	/* Argo writes the generation as a string. */
	snprintf(gen, sizeof(gen), "%d", dep->revision);
	json_object_set_new(st, "observedGeneration", json_string(gen));
	json_object_set_new(st, "phase", json_string(phase));
	if (msg[0])
		json_object_set_new(st, "message", json_string(msg));
	json_object_set_new(st, "currentPodHash", json_string(dep->hash));
	json_object_set_new(
	    st, "selector",
	    json_string(selector_string(dep, sel, sizeof(sel))));
	json_object_set(st, "conditions",
			json_object_get(dep_status, "conditions"));
	if (dep->spec->strategy == STRATEGY_CANARY) {
		bool run = cs->hash[0] != '\0';
		size_t n = dep->spec->canary_steps.n;

		json_object_set_new(st, "stableRS", json_string(stable));
		if (n)
			json_object_set_new(
			    st, "currentStepIndex",
			    json_integer(run ? (json_int_t)cs->step
					     : (json_int_t)n));
		json_object_set_new(
		    st, "canary",
		    json_pack("{s:o}", "weights",
			      weights(run ? cs->hash : dep->hash,
				      run ? dep->canary.weight : 0,
				      run ? stable : dep->hash)));
		if (run && cs->aborted)
			json_object_set_new(st, "abort", json_true());
		if (run && !cs->aborted && cs->pause_until_mono != 0)
			json_object_set_new(
			    st, "pauseConditions",
			    json_pack("[{s:s}]", "reason", "CanaryPauseStep"));
	} else {
		const char *active =
		    dep->bg.active[0] ? dep->bg.active : dep->hash;
		const char *preview = bluegreen_preview_hash(&dep->bg);

		json_object_set_new(st, "stableRS", json_string(active));
		json_object_set_new(
		    st, "blueGreen",
		    json_pack("{s:s, s:s}", "activeSelector", active,
			      "previewSelector",
			      preview && preview[0] ? preview : active));
		if (dep->bg.phase == BG_ABORTED)
			json_object_set_new(st, "abort", json_true());
		if (dep->bg.phase == BG_PAUSED)
			json_object_set_new(
			    st, "pauseConditions",
			    json_pack("[{s:s}]", "reason", "BlueGreenPause"));
	}
	return st;
}

json_t *kube_rollout(const struct kube_ctx *k, struct deployment *dep)
{
	json_t *man = cfg_rollout_manifest(dep->spec, dep->replicas);
	json_t *dstatus = kube_deployment_status(k, dep);
	json_t *ann = json_object(), *o, *v;
	const char *key;
	char rev[16];

	snprintf(rev, sizeof(rev), "%d", dep->revision);
	json_object_set_new(ann, "rollout.argoproj.io/revision",
			    json_string(rev));
	/* berth's own settings of the Rollout form: its strategy is Argo's
	 * fields, not the Deployment form's annotations. */
	json_object_foreach(kube_path(man, "metadata.annotations"), key, v)
	{
		if (!strncmp(key, "berth.io/", 9))
			json_object_set(ann, key, v);
	}
	o = json_pack("{s:s, s:s, s:o, s:O, s:o}", "apiVersion",
		      "argoproj.io/v1alpha1", "kind", "Rollout", "metadata",
		      kube_workload_meta(k, dep, "Rollout", ann), "spec",
		      json_object_get(man, "spec"), "status",
		      status_json(k, dep, dstatus));
	if (dep->paused)
		json_object_set_new(json_object_get(o, "spec"), "paused",
				    json_true());
	json_decref(dstatus);
	json_decref(man);
	return o;
}

json_t *kube_analysis_template(const struct kube_ctx *k,
			       const struct analysis_template *t)
{
	json_t *o = cfg_analysis_manifest(t);

	json_object_set_new(o, "metadata",
			    kube_meta("AnalysisTemplate", t->name,
				      KUBE_NAMESPACE, k->ns_created_ms, k->rv));
	json_object_set_new(json_object_get(o, "metadata"), "generation",
			    json_integer(1));
	return o;
}
