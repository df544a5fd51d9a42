/*
 * convert_apps.c - berth deployments and their revisions as apps/v1
 * Deployments and ReplicaSets: a revision is a ReplicaSet named
 * DEPLOYMENT-HASH with the pod-template-hash label, a controller
 * reference to its deployment and the deployment.kubernetes.io/revision
 * annotation, as the Kubernetes deployment controller makes them.
 * Read-only over the model.
 */
#include "convert.h"

#include <stdio.h>
#include <string.h>

#include "../config/manifest.h"
#include "../orchestrator/view.h"
#include "kobj.h"

static json_t *match_labels(const struct deployment *dep, const char *hash)
{
	json_t *o = json_object();

	for (size_t i = 0; i < dep->spec->labels.n; i++)
		json_object_set_new(o, dep->spec->labels.v[i].key,
				    json_string(dep->spec->labels.v[i].value));
	if (hash)
		json_object_set_new(o, "pod-template-hash", json_string(hash));
	return o;
}

static json_t *dep_condition(const char *type, bool status, const char *reason,
			     const char *message, int64_t ms)
{
	char ts[32];

	kube_timestamp(ms, ts);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type,
			 "status", status ? "True" : "False", "reason", reason,
			 "message", message, "lastUpdateTime", ts,
			 "lastTransitionTime", ts);
}

json_t *kube_workload_meta(const struct kube_ctx *k, struct deployment *dep,
			   const char *kind, json_t *ann)
{
	json_t *meta =
	    kube_meta(kind, dep->name, KUBE_NAMESPACE, dep->created_ms, k->rv);

	json_object_set_new(meta, "generation", json_integer(dep->revision));
	json_object_set_new(meta, "labels", match_labels(dep, NULL));
	json_object_set_new(meta, "annotations", ann);
	return meta;
}

json_t *kube_deployment_status(const struct kube_ctx *k, struct deployment *dep)
{
	struct dep_counts c;
	json_t *status, *conds = json_array();
	char msg[256];
	const char *state = deployment_rollout_state(k->d, dep);
	bool min_available;
	int max_unavailable;
	int64_t since = dep->created_ms;

	deployment_counts(k->d, dep, &c);
	/* Conditions date from the current revision: the controller's own
	 * progress clock moves every second and would make every read a
	 * change. */
	for (size_t i = 0; i < dep->n_revisions; i++)
		if (!strcmp(dep->revisions[i].hash, dep->hash))
			since = dep->revisions[i].created_ms;
	/* Available as the controller computes it: at most maxUnavailable
	 * below the desired count. */
	max_unavailable = dep->spec->strategy == STRATEGY_ROLLING_UPDATE
			      ? quantity_scaled(dep->spec->max_unavailable,
						dep->replicas, false)
			      : 0;
	min_available = c.available >= dep->replicas - max_unavailable;
	json_array_append_new(
	    conds,
	    dep_condition("Available", min_available,
			  min_available ? "MinimumReplicasAvailable"
					: "MinimumReplicasUnavailable",
			  min_available ? "Deployment has minimum availability."
					: "Deployment does not have minimum "
					  "availability.",
			  since));
	if (!strcmp(state, "failed"))
		snprintf(msg, sizeof(msg),
			 "ReplicaSet \"%s-%s\" has timed out progressing.",
			 dep->name, dep->hash);
	else if (!strcmp(state, "complete"))
		snprintf(msg, sizeof(msg),
			 "ReplicaSet \"%s-%s\" has successfully progressed.",
			 dep->name, dep->hash);
	else
		snprintf(msg, sizeof(msg),
			 "ReplicaSet \"%s-%s\" is progressing.", dep->name,
			 dep->hash);
	json_array_append_new(
	    conds, dep_condition(
		       "Progressing", strcmp(state, "failed") != 0,
		       !strcmp(state, "failed")	    ? "ProgressDeadlineExceeded"
		       : !strcmp(state, "complete") ? "NewReplicaSetAvailable"
		       : !strcmp(state, "paused")   ? "DeploymentPaused"
						    : "ReplicaSetUpdated",
		       msg, since));
	status =
	    json_pack("{s:i, s:i, s:i, s:i, s:i, s:o}", "observedGeneration",
		      dep->revision, "replicas", c.total, "updatedReplicas",
		      c.updated, "readyReplicas", c.ready, "availableReplicas",
		      c.available, "conditions", conds);
	if (c.total - c.available > 0)
		json_object_set_new(status, "unavailableReplicas",
				    json_integer(c.total - c.available));
	return status;
}

json_t *kube_deployment(const struct kube_ctx *k, struct deployment *dep)
{
	json_t *spec, *manifest, *ann, *meta;
	char rev[16];

	/* The spec and its berth.io/ annotations are what `berth export`
	 * writes; the labels are the ones the pods carry. */
	manifest = cfg_deployment_manifest(dep->spec, dep->replicas);
	spec = json_incref(json_object_get(manifest, "spec"));
	ann = json_deep_copy(kube_path(manifest, "metadata.annotations"));
	json_decref(manifest);
	json_object_set_new(spec, "template",
			    kube_pod_template(dep, dep->spec, NULL));
	json_object_set_new(json_object_get(spec, "selector"), "matchLabels",
			    match_labels(dep, NULL));
	if (dep->paused)
		json_object_set_new(spec, "paused", json_true());
	snprintf(rev, sizeof(rev), "%d", dep->revision);
	if (ann == NULL)
		ann = json_object();
	json_object_set_new(ann, "deployment.kubernetes.io/revision",
			    json_string(rev));
	meta = kube_workload_meta(k, dep, "Deployment", ann);
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "apiVersion", "apps/v1",
			 "kind", "Deployment", "metadata", meta, "spec", spec,
			 "status", kube_deployment_status(k, dep));
}

json_t *kube_replicaset(const struct kube_ctx *k, struct deployment *dep,
			const struct revision *rev)
{
	char name[160], num[16], desired[16];
	json_t *meta, *spec, *status, *ann;
	int replicas = 0, current = 0, ready = 0, available = 0;
	int64_t now = now_ms();

	for (struct pod *p = k->d->pods; p; p = p->next) {
		if (p->deployment != dep || p->phase == POD_GONE ||
		    strcmp(p->hash, rev->hash))
			continue;
		current++;
		if (pod_leaving(p))
			continue;
		replicas++;
		if (pod_is_ready(p))
			ready++;
		if (pod_is_available(p, now))
			available++;
	}
	kube_rs_name(dep->name, rev->hash, name, sizeof(name));
	snprintf(num, sizeof(num), "%d", rev->number);
	snprintf(desired, sizeof(desired), "%d", dep->replicas);
	meta = kube_meta("ReplicaSet", name, KUBE_NAMESPACE, rev->created_ms,
			 k->rv);
	json_object_set_new(meta, "generation", json_integer(1));
	json_object_set_new(meta, "labels", match_labels(dep, rev->hash));
	ann =
	    json_pack("{s:s, s:s, s:s}", "deployment.kubernetes.io/revision",
		      num, "deployment.kubernetes.io/desired-replicas", desired,
		      "deployment.kubernetes.io/max-replicas", desired);
	if (rev->cause[0])
		json_object_set_new(ann, "kubernetes.io/change-cause",
				    json_string(rev->cause));
	json_object_set_new(meta, "annotations", ann);
	json_object_set_new(
	    meta, "ownerReferences",
	    json_pack("[o]", kube_owner_ref("apps/v1", "Deployment", dep->name,
					    dep->created_ms)));
	spec =
	    json_pack("{s:i, s:{s:o}, s:o}", "replicas", replicas, "selector",
		      "matchLabels", match_labels(dep, rev->hash), "template",
		      kube_pod_template(dep, rev->spec ? rev->spec : dep->spec,
					rev->hash));
	status =
	    json_pack("{s:i, s:i, s:i, s:i, s:i}", "replicas", current,
		      "fullyLabeledReplicas", current, "readyReplicas", ready,
		      "availableReplicas", available, "observedGeneration", 1);
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "apiVersion", "apps/v1",
			 "kind", "ReplicaSet", "metadata", meta, "spec", spec,
			 "status", status);
}
