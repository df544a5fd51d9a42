/*
 * view.c - renders the model as kubectl shows it. Never mutates anything.
 */
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/xalloc.h"
#include "endpoints.h"
#include "service_ops.h"

const char *strategy_name(enum strategy_type t)
{
	switch (t) {
	case STRATEGY_ROLLING_UPDATE:
		return "RollingUpdate";
	case STRATEGY_RECREATE:
		return "Recreate";
	case STRATEGY_BLUE_GREEN:
		return "BlueGreen";
	case STRATEGY_CANARY:
		return "Canary";
	}
	return "RollingUpdate";
}

const char *pod_status(const struct pod *p)
{
	if (pod_leaving(p))
		return "Terminating";
	switch (p->phase) {
	case POD_PENDING:
		return "Pending";
	case POD_CREATING:
		return "ContainerCreating";
	case POD_RUNNING:
		return "Running";
	case POD_CLEANING:
	case POD_WAITING:
		if (p->restart_at_mono > 0 && p->crashes > 1)
			return "CrashLoopBackOff";
		return p->last_reason[0] ? p->last_reason : "Pending";
	case POD_GONE:
		break;
	}
	return "Unknown";
}

bool pod_is_ready(const struct pod *p)
{
	return p->phase == POD_RUNNING && !pod_terminating(p) && p->ready;
}

bool pod_is_available(const struct pod *p, int64_t now)
{
	int min_ready = p->deployment && p->deployment->spec
			    ? p->deployment->spec->min_ready_seconds
			    : 0;

	if (!pod_is_ready(p))
		return false;
	return now - p->ready_since_mono >= (int64_t)min_ready * 1000;
}

static json_t *labels_json(const struct pod *p)
{
	json_t *o = json_object();

	if (p->deployment) {
		const struct kvlist *l = &p->deployment->spec->labels;

		for (size_t i = 0; i < l->n; i++)
			json_object_set_new(o, l->v[i].key,
					    json_string(l->v[i].value));
	}
	json_object_set_new(o, "pod-template-hash", json_string(p->hash));
	return o;
}

static void rfc3339(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The last run's end, as Kubernetes' lastState.terminated; NULL when the
 * pod's container never ended. */
static json_t *last_state_json(const struct pod *p)
{
	char started[32], finished[32];

	if (p->finished_ms <= 0 || p->last_reason[0] == '\0')
		return NULL;
	rfc3339(p->last_started_ms, started);
	rfc3339(p->finished_ms, finished);
	return json_pack("{s:{s:s, s:i, s:s, s:s}}", "terminated", "reason",
			 p->last_reason, "exitCode", p->last_exit_code,
			 "startedAt", p->last_started_ms > 0 ? started : "",
			 "finishedAt", finished);
}

json_t *view_pod(const struct pod *p)
{
	json_t *o = json_pack(
	    "{s:s, s:s, s:i, s:s, s:b, s:i, s:o, s:s, s:s, s:i, s:I, "
	    "s:s}",
	    "name", p->name, "deployment",
	    p->deployment ? p->deployment->name : "", "revision", p->revision,
	    "status", pod_status(p), "ready", pod_is_ready(p), "restarts",
	    p->restarts, "labels", labels_json(p), "image",
	    p->image ? p->image : "", "imageID", p->image_id ? p->image_id : "",
	    "pid", p->phase == POD_RUNNING ? (int)p->pid : 0, "age_seconds",
	    (json_int_t)((now_ms() - p->created_ms) / 1000), "revision_hash",
	    p->hash);
	json_t *last = last_state_json(p);

	if (last != NULL)
		json_object_set_new(o, "lastState", last);
	return o;
}

static int pod_name_cmp(const void *a, const void *b)
{
	const struct pod *pa = *(const struct pod *const *)a;
	const struct pod *pb = *(const struct pod *const *)b;

	return strcmp(pa->name, pb->name);
}

/* Sorted by name, as kubectl lists them. */
json_t *view_pods(struct daemon *d)
{
	json_t *arr = json_array();
	size_t n = 0, i = 0;
	const struct pod **v;

	for (struct pod *p = d->pods; p; p = p->next)
		n++;
	v = xcalloc(n + 1, sizeof(*v));
	for (struct pod *p = d->pods; p; p = p->next)
		if (p->phase != POD_GONE)
			v[i++] = p;
	qsort(v, i, sizeof(*v), pod_name_cmp);
	for (size_t k = 0; k < i; k++)
		json_array_append_new(arr, view_pod(v[k]));
	free(v);
	return json_pack("{s:o}", "pods", arr);
}

void deployment_counts(struct daemon *d, struct deployment *dep,
		       struct dep_counts *c)
{
	int64_t now = mono_ms();

	memset(c, 0, sizeof(*c));
	for (struct pod *p = d->pods; p; p = p->next) {
		if (p->deployment != dep || p->phase == POD_GONE)
			continue;
		if (pod_leaving(p)) {
			c->terminating++;
			continue;
		}
		c->total++;
		if (!strcmp(p->hash, dep->hash))
			c->updated++;
		if (pod_is_ready(p))
			c->ready++;
		if (pod_is_available(p, now)) {
			c->available++;
			if (!strcmp(p->hash, dep->hash))
				c->updated_available++;
		}
	}
}

const char *deployment_rollout_state(struct daemon *d, struct deployment *dep)
{
	struct dep_counts c;
	int replicas = dep->replicas;

	if (dep->paused)
		return "paused";
	if (dep->progress_failed)
		return "failed";
	deployment_counts(d, dep, &c);
	if (c.updated == replicas && c.total == replicas &&
	    c.updated_available == replicas && c.terminating == 0)
		return "complete";
	return "progressing";
}

json_t *view_deployment(struct daemon *d, struct deployment *dep)
{
	struct dep_counts c;

	deployment_counts(d, dep, &c);
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:I}",
			 "name", dep->name, "replicas", dep->replicas,
			 "updated", c.updated, "ready", c.ready, "available",
			 c.available, "revision", dep->revision, "strategy",
			 strategy_name(dep->spec->strategy), "rollout",
			 deployment_rollout_state(d, dep), "age_seconds",
			 (json_int_t)((now_ms() - dep->created_ms) / 1000));
}

json_t *view_deployments(struct daemon *d)
{
	json_t *arr = json_array();

	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (!dep->deleting)
			json_array_append_new(arr, view_deployment(d, dep));
	return json_pack("{s:o}", "deployments", arr);
}

json_t *view_services(struct daemon *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; d->cfg && i < d->cfg->n_services; i++) {
		const struct service_spec *svc = &d->cfg->services[i];
		const struct kvlist *selector = service_selector(d, svc);
		json_t *sel = json_object(), *eps = json_array();

		for (size_t k = 0; k < selector->n; k++)
			json_object_set_new(sel, selector->v[k].key,
					    json_string(selector->v[k].value));
		for (struct pod *p = d->pods; p; p = p->next)
			if (pod_is_ready(p) && endpoints_selects(selector, p) &&
			    endpoints_port_found(svc, p))
				json_array_append_new(eps,
						      json_string(p->name));
		json_array_append_new(
		    arr,
		    json_pack(
			"{s:s, s:s, s:o, s:o, s:s, s:i}", "name", svc->name,
			"listen", svc->listen, "selector", sel, "endpoints",
			eps, "mode", svc->mode == SERVICE_TCP ? "tcp" : "http",
			"age_seconds",
			(int)((now_ms() - service_created_ms(d, svc->name)) /
			      1000)));
	}
	return json_pack("{s:o}", "services", arr);
}
