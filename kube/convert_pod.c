/*
 * convert_pod.c - a berth pod as a core/v1 Pod: metadata with the
 * pod-template-hash label and a controller reference to its ReplicaSet,
 * one container, and a status whose container state makes the
 * apiserver's STATUS column print what `berth get pods` prints. Also the
 * pod template of Deployments and ReplicaSets: config/'s manifest writer's
 * (manifest_out.c, what `berth export` writes), with the labels the pods
 * carry and the container's name. Read-only over the model.
 */
#include "convert.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../config/manifest.h"
#include "../orchestrator/view.h"
#include "kobj.h"
#include "objects.h"

void kube_ctx_init(struct kube_ctx *k, struct daemon *d, int64_t ns_created_ms)
{
	memset(k, 0, sizeof(*k));
	k->d = d;
	if (gethostname(k->node, sizeof(k->node) - 1) == -1)
		snprintf(k->node, sizeof(k->node), "localhost");
	/* Every read sees one version of everything: the event sequence
	 * moves with every change berth records ("0" means "any" to a
	 * client, hence the + 1). */
	snprintf(k->rv, sizeof(k->rv), "%llu",
		 (unsigned long long)d->event_seq + 1);
	k->now_ms = now_ms();
	k->ns_created_ms = ns_created_ms;
}

void kube_rs_name(const char *deployment, const char *hash, char *buf,
		  size_t len)
{
	snprintf(buf, len, "%s-%s", deployment, hash);
}

static json_t *labels_of(const struct deployment *dep, const char *hash)
{
	json_t *o = json_object();

	if (dep)
		for (size_t i = 0; i < dep->spec->labels.n; i++)
			json_object_set_new(
			    o, dep->spec->labels.v[i].key,
			    json_string(dep->spec->labels.v[i].value));
	if (hash && hash[0])
		json_object_set_new(o, "pod-template-hash", json_string(hash));
	return o;
}

/* The pod spec of a template: config/'s writer (what `berth export`
 * writes), with the container's name as the client gave it and image. */
static json_t *pod_spec(const char *container, const char *image,
			const struct deployment_spec *spec)
{
	json_t *t = cfg_pod_template_manifest(spec);
	json_t *s = json_incref(json_object_get(t, "spec"));
	json_t *c0 = json_array_get(json_object_get(s, "containers"), 0);

	json_decref(t);
	json_object_set_new(c0, "name", json_string(container));
	json_object_set_new(c0, "image", json_string(image));
	return s;
}

json_t *kube_pod_template(const struct deployment *dep,
			  const struct deployment_spec *spec, const char *hash)
{
	json_t *t = cfg_pod_template_manifest(spec);
	json_t *c0 = json_array_get(kube_path(t, "spec.containers"), 0);

	/* The labels the pods carry (none for a deployment without
	 * labels: the writer's app=NAME is for a cluster). */
	json_object_set_new(json_object_get(t, "metadata"), "labels",
			    labels_of(dep, hash));
	json_object_set_new(
	    c0, "name",
	    json_string(dep ? kube_container_name(dep) : spec->name));
	return t;
}

static json_t *owner_ref(const char *api_version, const char *kind,
			 const char *name, int64_t created_ms)
{
	char uid[37];

	kube_uid(kind, name, created_ms, uid);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion",
			 api_version, "kind", kind, "name", name, "uid", uid,
			 "controller", 1, "blockOwnerDeletion", 1);
}

/* The ReplicaSet (revision) a pod belongs to, for its owner reference. */
static const struct revision *pod_revision(const struct pod *p)
{
	const struct deployment *dep = p->deployment;

	for (size_t i = 0; dep && i < dep->n_revisions; i++)
		if (!strcmp(dep->revisions[i].hash, p->hash))
			return &dep->revisions[i];
	return NULL;
}

static const char *pod_phase_name(const struct pod *p)
{
	switch (p->phase) {
	case POD_PENDING:
	case POD_CREATING:
		return "Pending";
	case POD_RUNNING:
		return "Running";
	case POD_CLEANING:
	case POD_WAITING:
		/* Waiting to restart is still Running to Kubernetes. */
		if (p->restart_at_mono > 0)
			return "Running";
		return strcmp(p->last_reason, "Completed") ? "Failed"
							   : "Succeeded";
	case POD_GONE:
		break;
	}
	return "Unknown";
}

static json_t *condition(const char *type, bool status, int64_t ms)
{
	char ts[32];

	kube_timestamp(ms, ts);
	return json_pack("{s:s, s:s, s:s}", "type", type, "status",
			 status ? "True" : "False", "lastTransitionTime", ts);
}

static json_t *container_state(const struct pod *p)
{
	char started[32], finished[32];
	const char *status = pod_status(p);

	kube_timestamp(p->started_ms, started);
	kube_timestamp(p->finished_ms, finished);
	switch (p->phase) {
	case POD_PENDING:
		return json_pack("{s:{s:s}}", "waiting", "reason", "Pending");
	case POD_CREATING:
		return json_pack("{s:{s:s}}", "waiting", "reason",
				 "ContainerCreating");
	case POD_RUNNING:
		return json_pack("{s:{s:s}}", "running", "startedAt", started);
	case POD_CLEANING:
	case POD_WAITING:
		if (!strcmp(status, "CrashLoopBackOff"))
			return json_pack("{s:{s:s, s:s}}", "waiting", "reason",
					 "CrashLoopBackOff", "message",
					 p->last_message);
		return json_pack(
		    "{s:{s:i, s:s, s:s, s:s}}", "terminated", "exitCode",
		    p->last_exit_code < 0 ? 0 : p->last_exit_code, "reason",
		    p->last_reason[0] ? p->last_reason : "Unknown", "startedAt",
		    started, "finishedAt", finished);
	case POD_GONE:
		break;
	}
	return json_object();
}

static json_t *pod_status_json(const struct kube_ctx *k, const struct pod *p,
			       const char *container)
{
	bool ready = pod_is_ready(p);
	char started[32];
	json_t *cs, *st;
	int64_t ready_ms =
	    ready ? clock_mono_to_wall(p->ready_since_mono) : p->created_ms;

	kube_timestamp(p->created_ms, started);
	cs = json_pack("{s:s, s:b, s:i, s:s, s:s, s:o, s:b}", "name", container,
		       "ready", ready, "restartCount", p->restarts, "image",
		       p->image ? p->image : "", "imageID", "", "state",
		       container_state(p), "started", p->phase == POD_RUNNING);
	if (p->phase == POD_RUNNING) {
		char id[96];

		snprintf(id, sizeof(id), "runc://%s", p->name);
		json_object_set_new(cs, "containerID", json_string(id));
	}
	if (p->restarts > 0 && p->finished_ms > 0) {
		char finished[32], last_started[32];

		kube_timestamp(p->finished_ms, finished);
		kube_timestamp(p->last_started_ms, last_started);
		json_object_set_new(
		    cs, "lastState",
		    json_pack(
			"{s:{s:i, s:s, s:s, s:s}}", "terminated", "exitCode",
			p->last_exit_code < 0 ? 0 : p->last_exit_code, "reason",
			p->last_reason[0] ? p->last_reason : "Unknown",
			"startedAt", last_started, "finishedAt", finished));
	}
	st = json_pack("{s:s, s:[o,o,o,o], s:s, s:[o]}", "phase",
		       pod_phase_name(p), "conditions",
		       condition("PodScheduled", true, p->created_ms),
		       condition("Initialized", true, p->created_ms),
		       condition("ContainersReady", ready, ready_ms),
		       condition("Ready", ready, ready_ms), "startTime",
		       started, "containerStatuses", cs);
	json_object_set_new(st, "hostIP", json_string("127.0.0.1"));
	json_object_set_new(st, "qosClass", json_string("BestEffort"));
	/* A private pod has its own network namespace with loopback only:
	 * it has no address anyone could reach. */
	if (p->spec && p->spec->network == NET_HOST &&
	    p->phase == POD_RUNNING) {
		json_object_set_new(st, "podIP", json_string("127.0.0.1"));
		json_object_set_new(st, "podIPs",
				    json_pack("[{s:s}]", "ip", "127.0.0.1"));
	}
	(void)k;
	return st;
}

json_t *kube_pod(const struct kube_ctx *k, const struct pod *p)
{
	const char *container =
	    p->deployment ? kube_container_name(p->deployment) : p->name;
	json_t *meta =
	    kube_meta("Pod", p->name, KUBE_NAMESPACE, p->created_ms, k->rv);
	const struct revision *rev = pod_revision(p);
	json_t *spec;

	json_object_set_new(meta, "labels", labels_of(p->deployment, p->hash));
	if (p->deployment) {
		char rs[160];

		kube_rs_name(p->deployment->name, p->hash, rs, sizeof(rs));
		json_object_set_new(
		    meta, "ownerReferences",
		    json_pack("[o]",
			      owner_ref("apps/v1", "ReplicaSet", rs,
					rev ? rev->created_ms
					    : p->deployment->created_ms)));
	}
	if (pod_leaving(p)) {
		char ts[32];

		kube_timestamp(clock_mono_to_wall(p->term_started_mono), ts);
		json_object_set_new(meta, "deletionTimestamp", json_string(ts));
		json_object_set_new(meta, "deletionGracePeriodSeconds",
				    json_integer(p->grace_seconds));
	}
	if (p->spec)
		spec = pod_spec(container, p->image ? p->image : "", p->spec);
	else
		spec = json_object();
	json_object_set_new(spec, "nodeName", json_string(k->node));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "apiVersion", "v1",
			 "kind", "Pod", "metadata", meta, "spec", spec,
			 "status", pod_status_json(k, p, container));
}

json_t *kube_owner_ref(const char *api_version, const char *kind,
		       const char *name, int64_t created_ms)
{
	return owner_ref(api_version, kind, name, created_ms);
}
