/*
 * manifest.h - berth's config as Kubernetes manifests (manifest_out.c);
 * reading them is cfg_load()'s (manifest.c), and one object of the
 * Kubernetes API is read by the same reader (manifest_object.c). Config
 * structs only.
 */
#ifndef BERTH_CONFIG_MANIFEST_H
#define BERTH_CONFIG_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"

/* The pod template annotation `kubectl rollout restart` sets. */
#define MANIFEST_RESTARTED_AT "kubectl.kubernetes.io/restartedAt"

/* Kubernetes objects (a JSON array of Deployments, Services, Lists...)
 * read as a config file would be, through the same key table: name
 * stands for the file in messages ("NAME:1: Deployment web: spec...: why"
 * - objects in memory have no lines) and relative paths are resolved
 * against dir. */
int cfg_load_manifests(const char *name, const char *dir, json_t *docs,
		       struct berth_config **out, struct berr *err);

/* How cfg_manifest_object() reads an object of the Kubernetes API. */
struct cfg_object_opts {
	/* fieldValidation=Strict: a field berth does not map is refused
	 * even when it holds its Go zero value (null, "", 0, false, {},
	 * []); otherwise such a field counts as absent. Files are read
	 * strictly. */
	bool strict;
	/* The caller keeps the object's own labels and annotations (the
	 * Kubernetes API's records), so a Deployment's labels need not be
	 * its pods'. */
	bool keeps_metadata;
	/* Where a Deployment's spec.paused goes (a file refuses it: pausing
	 * is `berth rollout pause`'s); NULL refuses it too. */
	bool *paused;
};

/* One apps/v1 Deployment or v1 Service, as the Kubernetes API receives
 * it, as a config holding just it (*out, cfg_free), read by the
 * manifest reader and its key table exactly as in a file. An error is
 * "FIELD: message", FIELD the object's field path
 * ("spec.template.spec.containers[0].image: ..."), or "message" alone
 * when no field is to blame. Image folders must be absolute. */
int cfg_manifest_object(const json_t *obj, const struct cfg_object_opts *o,
			struct berth_config **out, struct berr *err);

/* An apps/v1 Deployment for d with `replicas`: no status, uid or
 * resourceVersion; berth-only settings as berth.io/KEY annotations. */
json_t *cfg_deployment_manifest(const struct deployment_spec *d, int replicas);

/* The pod template of d as a Deployment, ReplicaSet or Pod has it:
 * {"metadata": {"labels"...}, "spec": {"containers": [...]...}}. */
json_t *cfg_pod_template_manifest(const struct deployment_spec *d);

/* manifest_rollout_out.c: a Canary or BlueGreen deployment as an
 * argoproj.io/v1alpha1 Rollout (Argo's strategy fields, no berth.io/
 * strategy annotations), its spec.strategy alone ({"canary": ...} or
 * {"blueGreen": ...}; NULL for other strategies), whichever of Rollout
 * and Deployment d is (what `berth export` writes), and an [analysis
 * NAME] as an AnalysisTemplate. */
json_t *cfg_rollout_manifest(const struct deployment_spec *d, int replicas);
json_t *cfg_rollout_strategy_manifest(const struct deployment_spec *d);
json_t *cfg_workload_manifest(const struct deployment_spec *d, int replicas);
json_t *cfg_analysis_manifest(const struct analysis_template *t);

/* A v1 Service for s, selecting `selector` (NULL: s's own). */
json_t *cfg_service_manifest(const struct service_spec *s,
			     const struct kvlist *selector);

#endif
