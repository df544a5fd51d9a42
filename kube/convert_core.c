/*
 * convert_core.c - berth services, events and the one namespace as
 * core/v1 Service, Event and Namespace objects (a Service's spec is
 * config/'s manifest writer's, with the cluster IP). Read-only over the
 * model.
 */
#include "convert.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../common/strutil.h"
#include "../config/manifest.h"
#include "../orchestrator/service_ops.h"
#include "kobj.h"

json_t *kube_service(const struct kube_ctx *k, const struct service_spec *svc)
{
	json_t *manifest =
	    cfg_service_manifest(svc, service_selector(k->d, svc));
	json_t *meta = kube_meta("Service", svc->name, KUBE_NAMESPACE,
				 service_created_ms(k->d, svc->name), k->rv);
	json_t *ann = kube_path(manifest, "metadata.annotations");
	json_t *spec = json_incref(json_object_get(manifest, "spec"));
	char host[64] = "";
	int port = 0;
	const char *why;

	/* What `berth export` writes, but the listen address as the
	 * cluster IP a client reads and writes back. */
	str_split_hostport(svc->listen, host, sizeof(host), &port, &why);
	json_object_del(ann, "berth.io/listen");
	if (json_object_size(ann))
		json_object_set(meta, "annotations", ann);
	json_decref(manifest);
	json_object_set_new(spec, "clusterIP", json_string(host));
	json_object_set_new(spec, "clusterIPs", json_pack("[s]", host));
	json_object_set_new(spec, "sessionAffinity", json_string("None"));
	return json_pack("{s:s, s:s, s:o, s:o, s:{s:{}}}", "apiVersion", "v1",
			 "kind", "Service", "metadata", meta, "spec", spec,
			 "status", "loadBalancer");
}

/* The UID of the object an event is about, while it exists. */
static void involved_uid(struct daemon *d, const char *kind, const char *name,
			 char uid[37])
{
	uid[0] = '\0';
	if (!strcmp(kind, "Pod")) {
		for (struct pod *p = d->pods; p; p = p->next)
			if (p->phase != POD_GONE && !strcmp(p->name, name))
				kube_uid("Pod", name, p->created_ms, uid);
	} else if (!strcmp(kind, "Deployment")) {
		for (struct deployment *dep = d->deployments; dep;
		     dep = dep->next)
			if (!strcmp(dep->name, name))
				kube_uid("Deployment", name, dep->created_ms,
					 uid);
	}
}

/* "pod/web-1" → kind Pod, v1, name web-1. */
static json_t *involved(const struct kube_ctx *k, const struct event *ev)
{
	json_t *o;
	char uid[37];

	const char *slash = strchr(ev->object, '/');
	char kind[32] = "";
	const char *api = "v1";

	if (slash == NULL)
		return json_pack("{s:s, s:s}", "kind", ev->object, "namespace",
				 KUBE_NAMESPACE);
	snprintf(kind, sizeof(kind), "%.*s", (int)(slash - ev->object),
		 ev->object);
	if (!strcmp(kind, "pod")) {
		snprintf(kind, sizeof(kind), "Pod");
	} else if (!strcmp(kind, "deployment")) {
		snprintf(kind, sizeof(kind), "Deployment");
		api = "apps/v1";
	} else if (!strcmp(kind, "service")) {
		snprintf(kind, sizeof(kind), "Service");
	} else {
		kind[0] = (char)toupper((unsigned char)kind[0]);
	}
	o = json_pack("{s:s, s:s, s:s, s:s}", "kind", kind, "namespace",
		      KUBE_NAMESPACE, "name", slash + 1, "apiVersion", api);
	involved_uid(k->d, kind, slash + 1, uid);
	if (uid[0])
		json_object_set_new(o, "uid", json_string(uid));
	return o;
}

json_t *kube_event(const struct kube_ctx *k, const struct event *ev)
{
	const char *slash = strchr(ev->object, '/');
	char name[160], first[32], last[32];
	json_t *meta;

	snprintf(name, sizeof(name), "%s.%llx", slash ? slash + 1 : ev->object,
		 (unsigned long long)ev->seq);
	kube_timestamp(ev->first_ms, first);
	kube_timestamp(ev->time_ms, last);
	meta = kube_meta("Event", name, KUBE_NAMESPACE, ev->first_ms, k->rv);
	return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:{s:s, s:s}, "
			 "s:s, s:s, s:i, s:s, s:s}",
			 "apiVersion", "v1", "kind", "Event", "metadata", meta,
			 "involvedObject", involved(k, ev), "reason",
			 ev->reason, "message", ev->message, "type", ev->type,
			 "source", "component", "berth", "host", k->node,
			 "firstTimestamp", first, "lastTimestamp", last,
			 "count", ev->count, "reportingComponent", "berth",
			 "reportingInstance", k->node);
}

json_t *kube_namespace(const struct kube_ctx *k)
{
	json_t *meta = kube_meta("Namespace", KUBE_NAMESPACE, NULL,
				 k->ns_created_ms, k->rv);

	json_object_set_new(
	    meta, "labels",
	    json_pack("{s:s}", "kubernetes.io/metadata.name", KUBE_NAMESPACE));
	return json_pack("{s:s, s:s, s:o, s:{s:[s]}, s:{s:s}}", "apiVersion",
			 "v1", "kind", "Namespace", "metadata", meta, "spec",
			 "finalizers", "kubernetes", "status", "phase",
			 "Active");
}
