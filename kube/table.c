/*
 * table.c - the apiserver's table printers for the kinds berth serves:
 * column definitions (names as the apiserver spells them; kubectl
 * upper-cases them) and cells computed from each object. The server
 * sends every column; kubectl shows priority 1 columns only with -o wide.
 * Must not know berth's model: it reads Kubernetes objects only.
 */
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/xalloc.h"
#include "kobj.h"

void kube_human_duration(int64_t s, char *buf, size_t len)
{
	int64_t m, h;

	if (s < -1) {
		snprintf(buf, len, "<invalid>");
		return;
	}
	if (s < 0)
		s = 0;
	if (s < 60 * 2) {
		snprintf(buf, len, "%llds", (long long)s);
		return;
	}
	m = s / 60;
	if (m < 10) {
		if (s % 60 == 0)
			snprintf(buf, len, "%lldm", (long long)m);
		else
			snprintf(buf, len, "%lldm%llds", (long long)m,
				 (long long)(s % 60));
		return;
	}
	if (m < 60 * 3) {
		snprintf(buf, len, "%lldm", (long long)m);
		return;
	}
	h = s / 3600;
	if (h < 8) {
		if (m % 60 == 0)
			snprintf(buf, len, "%lldh", (long long)h);
		else
			snprintf(buf, len, "%lldh%lldm", (long long)h,
				 (long long)(m % 60));
	} else if (h < 48) {
		snprintf(buf, len, "%lldh", (long long)h);
	} else if (h < 24 * 8) {
		if (h % 24 == 0)
			snprintf(buf, len, "%lldd", (long long)(h / 24));
		else
			snprintf(buf, len, "%lldd%lldh", (long long)(h / 24),
				 (long long)(h % 24));
	} else if (h < 24 * 365 * 2) {
		snprintf(buf, len, "%lldd", (long long)(h / 24));
	} else if (h < 24 * 365 * 8) {
		int64_t dy = (h / 24) % 365;

		if (dy == 0)
			snprintf(buf, len, "%lldy", (long long)(h / 24 / 365));
		else
			snprintf(buf, len, "%lldy%lldd",
				 (long long)(h / 24 / 365), (long long)dy);
	} else {
		snprintf(buf, len, "%lldy", (long long)(h / 24 / 365));
	}
}

void kube_age(const char *ts, int64_t now_ms, char *buf, size_t len)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = ts ? strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (end == NULL || *end) {
		snprintf(buf, len, "<unknown>");
		return;
	}
	/* Whole seconds on both sides, as Go's time.Since on a
	 * second-precision timestamp then truncated. */
	kube_human_duration((now_ms - (int64_t)timegm(&tm) * 1000) / 1000, buf,
			    len);
}

struct column {
	const char *name;
	const char *type;
	const char *format;
	int priority;
	const char *description;
};

#define NAME_COL                                                               \
	{                                                                      \
		"Name", "string", "name", 0,                                   \
		    "Name must be unique within a namespace."                  \
	}
#define AGE_COL                                                                \
	{                                                                      \
		"Age", "string", "", 0,                                        \
		    "CreationTimestamp is a timestamp representing the "       \
		    "server time "                                             \
		    "when this object was created."                            \
	}

/* A workload's pod template, shown with -o wide. */
#define CONTAINERS_COL                                                         \
	{                                                                      \
		"Containers", "string", "", 1,                                 \
		    "Names of each container in the template."                 \
	}
#define IMAGES_COL                                                             \
	{                                                                      \
		"Images", "string", "", 1,                                     \
		    "Images referenced by each container in the template."     \
	}

static const struct column pod_cols[] = {
    NAME_COL,
    {"Ready", "string", "", 0,
     "The aggregate readiness state of this pod for accepting traffic."},
    {"Status", "string", "", 0,
     "The aggregate status of the containers in this pod."},
    {"Restarts", "string", "", 0,
     "The number of times the containers in this pod have been restarted "
     "and when the last container in this pod has restarted."},
    AGE_COL,
    {"IP", "string", "", 1, "podIP address allocated to the pod."},
    {"Node", "string", "", 1, "NodeName is the node the pod runs on."},
    {"Nominated Node", "string", "", 1,
     "nominatedNodeName is set only when this pod preempts other pods."},
    {"Readiness Gates", "string", "", 1,
     "If specified, all readiness gates will be evaluated for pod "
     "readiness."},
    {NULL, NULL, NULL, 0, NULL}};

static const struct column deploy_cols[] = {
    NAME_COL,
    {"Ready", "string", "", 0, "Number of the pod with ready state"},
    {"Up-to-date", "integer", "", 0,
     "Total number of non-terminated pods targeted by this deployment that "
     "have the desired template spec."},
    {"Available", "integer", "", 0,
     "Total number of available pods (ready for at least minReadySeconds) "
     "targeted by this deployment."},
    AGE_COL,
    CONTAINERS_COL,
    IMAGES_COL,
    {"Selector", "string", "", 1,
     "Label selector for pods. Existing ReplicaSets whose pods are "
     "selected by this will be the ones affected by this deployment."},
    {NULL, NULL, NULL, 0, NULL}};

/* A custom resource's columns: Name, the CRD's additionalPrinterColumns
 * (Argo Rollouts' for rollouts), Age where the CRD lists it. */
static const struct column rollout_cols[] = {
    NAME_COL,
    {"Desired", "integer", "", 0, "Number of desired pods"},
    {"Current", "integer", "", 0,
     "Total number of non-terminated pods targeted by this rollout"},
    {"Up-to-date", "integer", "", 0,
     "Total number of non-terminated pods targeted by this rollout that "
     "have the desired template spec"},
    {"Available", "integer", "", 0,
     "Total number of available pods (ready for at least minReadySeconds) "
     "targeted by this rollout"},
    {"Age", "date", "", 0, "Time since resource was created"},
    {NULL, NULL, NULL, 0, NULL}};

static const struct column template_cols[] = {
    NAME_COL, AGE_COL, {NULL, NULL, NULL, 0, NULL}};

static const struct column rs_cols[] = {
    NAME_COL,
    {"Desired", "integer", "", 0,
     "Replicas is the number of desired replicas."},
    {"Current", "integer", "", 0,
     "Replicas is the most recently observed number of replicas."},
    {"Ready", "integer", "", 0,
     "readyReplicas is the number of pods targeted by this ReplicaSet with "
     "a Ready Condition."},
    AGE_COL,
    CONTAINERS_COL,
    IMAGES_COL,
    {"Selector", "string", "", 1,
     "Selector is a label query over pods that should match the replica "
     "count."},
    {NULL, NULL, NULL, 0, NULL}};

static const struct column svc_cols[] = {
    NAME_COL,
    {"Type", "string", "", 0, "type determines how the Service is exposed."},
    {"Cluster-IP", "string", "", 0,
     "clusterIP is the IP address of the service."},
    {"External-IP", "string", "", 0,
     "List of IP addresses for which nodes in the cluster will also accept "
     "traffic for this service."},
    {"Port(s)", "string", "", 0,
     "The list of ports that are exposed by this service."},
    AGE_COL,
    {"Selector", "string", "", 1,
     "Route service traffic to pods with label keys and values matching "
     "this selector."},
    {NULL, NULL, NULL, 0, NULL}};

static const struct column event_cols[] = {
    {"Last Seen", "string", "", 0,
     "The time at which the most recent occurrence of this event was "
     "recorded."},
    {"Type", "string", "", 0, "Type of this event (Normal, Warning)."},
    {"Reason", "string", "", 0,
     "This should be a short, machine understandable string that gives "
     "the reason for the transition into the object's current status."},
    {"Object", "string", "", 0, "The object that this event is about."},
    {"Subobject", "string", "", 1,
     "The field of the object that this event is about."},
    {"Source", "string", "", 1, "The component reporting this event."},
    {"Message", "string", "", 0,
     "A human-readable description of the status of this operation."},
    {"First Seen", "string", "", 1,
     "The time at which the event was first recorded."},
    {"Count", "string", "", 1, "The number of times this event has occurred."},
    {"Name", "string", "name", 1, "Name must be unique within a namespace."},
    {NULL, NULL, NULL, 0, NULL}};

static const struct column ns_cols[] = {
    NAME_COL,
    {"Status", "string", "", 0, "The status of the namespace"},
    AGE_COL,
    {NULL, NULL, NULL, 0, NULL}};

static const char *str(json_t *obj, const char *path)
{
	const char *s = json_string_value(kube_path(obj, path));

	return s ? s : "";
}

static json_int_t num(json_t *obj, const char *path)
{
	return json_integer_value(kube_path(obj, path));
}

/* An empty cell as the apiserver's printers show it. */
static const char *or_none(const char *s)
{
	return s[0] ? s : "<none>";
}

static json_t *age_cell(json_t *obj, const char *path, int64_t now)
{
	char buf[32];

	kube_age(str(obj, path), now, buf, sizeof(buf));
	return json_string(buf);
}

/* "a,b" of a field of each container; "<none>" when empty. */
static json_t *containers_cell(json_t *spec, const char *field)
{
	json_t *cs = json_object_get(spec, "containers"), *c;
	size_t i, n = 0, cap = 64;
	char *out = xmalloc(cap);
	json_t *cell;

	out[0] = '\0';
	json_array_foreach(cs, i, c)
	{
		const char *v = json_string_value(json_object_get(c, field));
		size_t vl;

		if (v == NULL)
			continue;
		vl = strlen(v);
		if (n + vl + 2 > cap) {
			cap = (n + vl + 2) * 2;
			out = xrealloc(out, cap);
		}
		if (n)
			out[n++] = ',';
		memcpy(out + n, v, vl);
		n += vl;
		out[n] = '\0';
	}
	cell = json_string(or_none(out));
	free(out);
	return cell;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* labels.FormatLabels: "k=v,k2=v2" sorted by key; "<none>" when empty. */
static json_t *labels_cell(json_t *labels)
{
	size_t n = json_object_size(labels), i = 0, len = 1;
	const char **keys;
	const char *k;
	json_t *v, *cell;
	char *out;

	if (n == 0)
		return json_string("<none>");
	keys = xcalloc(n, sizeof(*keys));
	json_object_foreach(labels, k, v)
	{
		keys[i++] = k;
		len += strlen(k) + strlen(json_string_value(v) ?: "") + 2;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	out = xmalloc(len);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, keys[i]);
		strcat(out, "=");
		strcat(out, json_string_value(json_object_get(labels, keys[i]))
				?: "");
	}
	cell = json_string(out);
	free(out);
	free(keys);
	return cell;
}

/* printPod: READY, STATUS, RESTARTS as the apiserver derives them. */
static json_t *pod_cells(json_t *o, int64_t now)
{
	json_t *cs = kube_path(o, "status.containerStatuses"), *c;
	size_t total = json_array_size(kube_path(o, "spec.containers"));
	int ready = 0, restarts = 0;
	bool running = false;
	const char *reason = str(o, "status.phase");
	const char *last_restart = NULL;
	char ready_s[32], restarts_s[64];
	size_t i;

	if (str(o, "status.reason")[0])
		reason = str(o, "status.reason");
	for (i = json_array_size(cs); i-- > 0;) {
		const char *w, *t;

		c = json_array_get(cs, i);
		restarts += (int)num(c, "restartCount");
		t = json_string_value(
		    kube_path(c, "lastState.terminated.finishedAt"));
		if (t && (last_restart == NULL || strcmp(t, last_restart) > 0))
			last_restart = t;
		w = json_string_value(kube_path(c, "state.waiting.reason"));
		t = json_string_value(kube_path(c, "state.terminated.reason"));
		if (w && w[0]) {
			reason = w;
		} else if (t && t[0]) {
			reason = t;
		} else if (kube_path(c, "state.terminated")) {
			reason = "Error"; /* exit code or signal */
		} else if (json_is_true(json_object_get(c, "ready")) &&
			   kube_path(c, "state.running")) {
			running = true;
			ready++;
		}
	}
	if (!strcmp(reason, "Completed") && running)
		reason = "Running";
	if (kube_path(o, "metadata.deletionTimestamp"))
		reason = "Terminating";
	snprintf(ready_s, sizeof(ready_s), "%d/%zu", ready, total);
	if (restarts > 0 && last_restart) {
		char age[32];

		kube_age(last_restart, now, age, sizeof(age));
		snprintf(restarts_s, sizeof(restarts_s), "%d (%s ago)",
			 restarts, age);
	} else {
		snprintf(restarts_s, sizeof(restarts_s), "%d", restarts);
	}
	return json_pack(
	    "[s, s, s, s, o, s, s, s, s]", str(o, "metadata.name"), ready_s,
	    reason, restarts_s, age_cell(o, "metadata.creationTimestamp", now),
	    or_none(str(o, "status.podIP")), or_none(str(o, "spec.nodeName")),
	    or_none(str(o, "status.nominatedNodeName")), "<none>");
}

static json_t *deploy_cells(json_t *o, int64_t now)
{
	char ready[48];
	json_t *tspec = kube_path(o, "spec.template.spec");

	snprintf(ready, sizeof(ready), "%lld/%lld",
		 (long long)num(o, "status.readyReplicas"),
		 (long long)num(o, "spec.replicas"));
	return json_pack(
	    "[s, s, I, I, o, o, o, o]", str(o, "metadata.name"), ready,
	    num(o, "status.updatedReplicas"),
	    num(o, "status.availableReplicas"),
	    age_cell(o, "metadata.creationTimestamp", now),
	    containers_cell(tspec, "name"), containers_cell(tspec, "image"),
	    labels_cell(kube_path(o, "spec.selector.matchLabels")));
}

static json_t *rs_cells(json_t *o, int64_t now)
{
	json_t *tspec = kube_path(o, "spec.template.spec");

	return json_pack(
	    "[s, I, I, I, o, o, o, o]", str(o, "metadata.name"),
	    num(o, "spec.replicas"), num(o, "status.replicas"),
	    num(o, "status.readyReplicas"),
	    age_cell(o, "metadata.creationTimestamp", now),
	    containers_cell(tspec, "name"), containers_cell(tspec, "image"),
	    labels_cell(kube_path(o, "spec.selector.matchLabels")));
}

static json_t *svc_cells(json_t *o, int64_t now)
{
	json_t *ports = kube_path(o, "spec.ports"), *p;
	char buf[512] = "";
	size_t i, n = 0;

	json_array_foreach(ports, i, p)
	{
		n += (size_t)snprintf(
		    buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%lld/%s",
		    i ? "," : "", (long long)num(p, "port"),
		    str(p, "protocol"));
		if (n >= sizeof(buf))
			break;
	}
	return json_pack("[s, s, s, s, s, o, o]", str(o, "metadata.name"),
			 str(o, "spec.type"), or_none(str(o, "spec.clusterIP")),
			 "<none>", or_none(buf),
			 age_cell(o, "metadata.creationTimestamp", now),
			 labels_cell(kube_path(o, "spec.selector")));
}

static json_t *event_cells(json_t *o, int64_t now)
{
	char target[256], kind[64], source[192], count[24];
	const char *name = str(o, "involvedObject.name");
	size_t i;

	snprintf(kind, sizeof(kind), "%s", str(o, "involvedObject.kind"));
	for (i = 0; kind[i]; i++)
		kind[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z'
				     ? kind[i] - 'A' + 'a'
				     : kind[i]);
	if (name[0])
		snprintf(target, sizeof(target), "%s/%s", kind, name);
	else
		snprintf(target, sizeof(target), "%s", kind);
	if (str(o, "source.host")[0])
		snprintf(source, sizeof(source), "%s, %s",
			 str(o, "source.component"), str(o, "source.host"));
	else
		snprintf(source, sizeof(source), "%s",
			 str(o, "source.component"));
	snprintf(count, sizeof(count), "%lld", (long long)num(o, "count"));
	return json_pack("[o, s, s, s, s, s, s, o, s, s]",
			 age_cell(o,
				  str(o, "lastTimestamp")[0] ? "lastTimestamp"
							     : "firstTimestamp",
				  now),
			 str(o, "type"), str(o, "reason"), target,
			 str(o, "involvedObject.fieldPath"), source,
			 str(o, "message"), age_cell(o, "firstTimestamp", now),
			 count, str(o, "metadata.name"));
}

static json_t *rollout_cells(json_t *o, int64_t now)
{
	return json_pack("[s, I, I, I, I, o]", str(o, "metadata.name"),
			 num(o, "spec.replicas"), num(o, "status.replicas"),
			 num(o, "status.updatedReplicas"),
			 num(o, "status.availableReplicas"),
			 age_cell(o, "metadata.creationTimestamp", now));
}

static json_t *template_cells(json_t *o, int64_t now)
{
	return json_pack("[s, o]", str(o, "metadata.name"),
			 age_cell(o, "metadata.creationTimestamp", now));
}

static json_t *ns_cells(json_t *o, int64_t now)
{
	return json_pack("[s, s, o]", str(o, "metadata.name"),
			 str(o, "status.phase"),
			 age_cell(o, "metadata.creationTimestamp", now));
}

static const struct printer {
	const char *resource;
	const struct column *cols;
	json_t *(*cells)(json_t *obj, int64_t now);
} printers[] = {
    {"pods", pod_cols, pod_cells},
    {"deployments", deploy_cols, deploy_cells},
    {"replicasets", rs_cols, rs_cells},
    {"services", svc_cols, svc_cells},
    {"events", event_cols, event_cells},
    {"namespaces", ns_cols, ns_cells},
    {"rollouts", rollout_cols, rollout_cells},
    {"analysistemplates", template_cols, template_cells},
};

static const struct printer *find_printer(const char *resource)
{
	for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++)
		if (!strcmp(printers[i].resource, resource))
			return &printers[i];
	return NULL;
}

json_t *kube_table_cells(const char *resource, json_t *obj, int64_t now_ms)
{
	const struct printer *p = find_printer(resource);

	return p ? p->cells(obj, now_ms) : NULL;
}

static json_t *partial_metadata(json_t *obj)
{
	return json_pack("{s:s, s:s, s:O}", "kind", "PartialObjectMetadata",
			 "apiVersion", "meta.k8s.io/v1", "metadata",
			 json_object_get(obj, "metadata"));
}

json_t *kube_table(const char *resource, json_t *items, bool include_object,
		   int64_t now_ms, const char *resource_version)
{
	const struct printer *p = find_printer(resource);
	json_t *cols, *rows, *obj;
	size_t i;

	if (p == NULL)
		return NULL;
	cols = json_array();
	for (const struct column *c = p->cols; c->name; c++)
		json_array_append_new(
		    cols, json_pack("{s:s, s:s, s:s, s:s, s:i}", "name",
				    c->name, "type", c->type, "format",
				    c->format, "description", c->description,
				    "priority", c->priority));
	rows = json_array();
	json_array_foreach(items, i, obj)
	{
		json_array_append_new(
		    rows, json_pack("{s:o, s:o}", "cells",
				    p->cells(obj, now_ms), "object",
				    include_object ? json_incref(obj)
						   : partial_metadata(obj)));
	}
	return json_pack("{s:s, s:s, s:{s:s}, s:o, s:o}", "kind", "Table",
			 "apiVersion", "meta.k8s.io/v1", "metadata",
			 "resourceVersion", resource_version,
			 "columnDefinitions", cols, "rows", rows);
}
