/*
 * manifest.h - berth's config as Kubernetes manifests (manifest_out.c);
 * reading them is cfg_load()'s (manifest.c). Config structs only.
 */
#ifndef BERTH_CONFIG_MANIFEST_H
#define BERTH_CONFIG_MANIFEST_H

#include <jansson.h>

#include "config.h"

/* The pod template annotation `kubectl rollout restart` sets. */
#define MANIFEST_RESTARTED_AT "kubectl.kubernetes.io/restartedAt"

/* An apps/v1 Deployment for d with `replicas`: no status, uid or
 * resourceVersion; berth-only settings as berth.io/KEY annotations. */
json_t *cfg_deployment_manifest(const struct deployment_spec *d, int replicas);

/* A v1 Service for s, selecting `selector` (NULL: s's own). */
json_t *cfg_service_manifest(const struct service_spec *s,
			     const struct kvlist *selector);

#endif
