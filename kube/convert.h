/*
 * convert.h - berth's model as Kubernetes objects (core/v1 Pod, Service,
 * Event, Namespace; apps/v1 Deployment, ReplicaSet). Read-only over the
 * model; the orchestrator never sees these shapes.
 */
#ifndef BERTH_KUBE_CONVERT_H
#define BERTH_KUBE_CONVERT_H

#include <jansson.h>

#include "../orchestrator/model.h"

struct kube_ctx {
	struct daemon *d;
	char node[64]; /* the node's name: the host name */
	char rv[24];   /* resourceVersion of everything read now */
	int64_t now_ms;
	int64_t ns_created_ms; /* creation time of namespace `default` */
};

void kube_ctx_init(struct kube_ctx *k, struct daemon *d, int64_t ns_created_ms);

json_t *kube_pod(const struct kube_ctx *k, const struct pod *p);
/* The pod's ReplicaSet name: DEPLOYMENT-HASH. */
void kube_rs_name(const char *deployment, const char *hash, char *buf,
		  size_t len);

json_t *kube_deployment(const struct kube_ctx *k, struct deployment *dep);
/* The metadata of dep as a Deployment or a Rollout (kind: its uid): name,
 * generation, the labels its pods carry and ann (taken). */
json_t *kube_workload_meta(const struct kube_ctx *k, struct deployment *dep,
			   const char *kind, json_t *ann);
/* The status of dep as a Deployment: counts and conditions. */
json_t *kube_deployment_status(const struct kube_ctx *k,
			       struct deployment *dep);
json_t *kube_replicaset(const struct kube_ctx *k, struct deployment *dep,
			const struct revision *rev);
/* A pod template as apps/v1 has it, for a spec and its hash ("" none). */
json_t *kube_pod_template(const struct deployment *dep,
			  const struct deployment_spec *spec, const char *hash);

/* A controller ownerReference to the object kind/name created then. */
json_t *kube_owner_ref(const char *api_version, const char *kind,
		       const char *name, int64_t created_ms);

json_t *kube_service(const struct kube_ctx *k, const struct service_spec *svc);
json_t *kube_event(const struct kube_ctx *k, const struct event *ev);
json_t *kube_namespace(const struct kube_ctx *k);

#endif
