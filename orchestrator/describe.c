/*
 * describe.c - `describe` text for pods, deployments and services, in
 * kubectl's layout. Read-only over the model.
 */
#include "describe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/sigtab.h"
#include "../common/xalloc.h"
#include "../probes/probe.h"
#include "endpoints.h"
#include "events.h"
#include "service_ops.h"
#include "view.h"

#define DESCRIBE_MAX (64 * 1024)

struct text {
	char *buf;
	size_t len;
};

static void add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= DESCRIBE_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, DESCRIBE_MAX - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
	if (t->len > DESCRIBE_MAX - 1)
		t->len = DESCRIBE_MAX - 1;
}

static const char *stamp(int64_t ms)
{
	static char buf[4][40];
	static int i;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	i = (i + 1) % 4;
	gmtime_r(&t, &tm);
	strftime(buf[i], sizeof(buf[i]), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	return buf[i];
}

static void add_words(struct text *t, const char *label, const struct strv *sv)
{
	if (sv->n == 0)
		return;
	add(t, "    %-16s", label);
	for (size_t i = 0; i < sv->n; i++)
		add(t, "%s%s", i ? " " : "", sv->v[i]);
	add(t, "\n");
}

static void add_labels(struct text *t, const char *label,
		       const struct kvlist *kl, const char *extra)
{
	add(t, "%-18s", label);
	if (kl->n == 0 && extra == NULL)
		add(t, "<none>\n");
	for (size_t i = 0; i < kl->n; i++)
		add(t, "%s%s=%s\n", i ? "                  " : "", kl->v[i].key,
		    kl->v[i].value);
	if (extra)
		add(t, "%s%s\n", kl->n ? "                  " : "", extra);
}

static void describe_pod(struct daemon *d, struct pod *p, struct text *t)
{
	const struct deployment_spec *s = p->spec;
	char hashlabel[48];

	snprintf(hashlabel, sizeof(hashlabel), "pod-template-hash=%s", p->hash);
	add(t, "Name:             %s\n", p->name);
	add(t, "Deployment:       %s\n", p->deployment->name);
	add(t, "Revision:         %d (%s)\n", p->revision, p->hash);
	add(t, "Created:          %s\n", stamp(p->created_ms));
	add_labels(t, "Labels:", &p->deployment->spec->labels, hashlabel);
	add(t, "Status:           %s\n", pod_status(p));
	if (p->phase == POD_RUNNING)
		add(t, "PID:              %d\n", (int)p->pid);
	add(t, "Network:          %s\n",
	    s->network == NET_HOST ? "host" : "private (own namespace)");
	add(t, "Containers:\n  %s:\n", p->deployment->name);
	add(t, "    Image:          %s\n", p->image);
	if (p->image_id)
		add(t, "    Image ID:       %s\n", p->image_id);
	add_words(t, "Command:", &s->command);
	add_words(t, "Args:", &s->args);
	if (s->port)
		add(t, "    Port:           %d/TCP\n", s->port);
	switch (p->phase) {
	case POD_RUNNING:
		add(t, "    State:          Running\n      Started:      %s\n",
		    stamp(p->started_ms));
		break;
	case POD_CREATING:
	case POD_PENDING:
		add(t, "    State:          Waiting\n      Reason:       %s\n",
		    p->phase == POD_PENDING ? "Pending" : "ContainerCreating");
		break;
	default:
		if (p->restart_at_mono > 0)
			add(t,
			    "    State:          Waiting\n      Reason:       "
			    "%s\n",
			    pod_status(p));
		else
			add(t,
			    "    State:          Terminated\n      Reason:     "
			    "  %s\n      Exit Code:    %d\n",
			    p->last_reason, p->last_exit_code);
	}
	/* As the kubelet: the previous run, whenever State is not it. */
	if (p->last_reason[0] && p->finished_ms > 0 &&
	    (p->phase == POD_RUNNING || p->phase == POD_CREATING ||
	     p->restart_at_mono > 0))
		add(t,
		    "    Last State:     Terminated\n      Reason:       %s\n"
		    "      Exit Code:    %d\n      Started:      %s\n"
		    "      Finished:     %s\n",
		    p->last_reason, p->last_exit_code,
		    stamp(p->last_started_ms), stamp(p->finished_ms));
	if (p->last_message[0])
		add(t, "      Message:      %s\n", p->last_message);
	add(t, "    Ready:          %s\n", pod_is_ready(p) ? "True" : "False");
	add(t, "    Restart Count:  %d\n", p->restarts);
	/* As `top pods`: CPU over the last window, memory working set. */
	if (p->phase == POD_RUNNING && p->usage.has_memory &&
	    p->usage.pid == p->pid) {
		add(t, "    Usage:\n");
		if (p->usage.cpu_mono && p->usage.cpu_millicores >= 0)
			add(t, "      cpu:     %lldm\n",
			    (long long)p->usage.cpu_millicores);
		add(t, "      memory:  %lluMi\n",
		    (unsigned long long)(p->usage.memory_working_set >> 20));
	}
	if (s->memory_limit_bytes || s->cpu_limit_millis || s->pids_limit) {
		add(t, "    Limits:\n");
		if (s->cpu_limit_millis)
			add(t, "      cpu:     %lldm\n",
			    (long long)s->cpu_limit_millis);
		if (s->memory_limit_bytes)
			add(t, "      memory:  %lld\n",
			    (long long)s->memory_limit_bytes);
		if (s->pids_limit)
			add(t, "      pids:    %lld\n",
			    (long long)s->pids_limit);
	}
	if (p->probes) {
		char probes[4096] = "";

		probe_set_describe(p->probes, probes, sizeof(probes));
		add(t, "%s", probes);
		if (probes[0] && probes[strlen(probes) - 1] != '\n')
			add(t, "\n");
	}
	if (s->pre_stop.kind == HANDLER_EXEC)
		add_words(t, "PreStop:", &s->pre_stop.exec_command);
	else if (s->pre_stop.kind == HANDLER_HTTP)
		add(t, "    PreStop:        http-get :%d%s\n",
		    s->pre_stop.http_port, s->pre_stop.http_path);
	else if (s->pre_stop.kind == HANDLER_SLEEP)
		add(t, "    PreStop:        sleep %ds\n",
		    s->pre_stop.sleep_seconds);
	add(t, "    Stop Signal:    %s\n",
	    sigtab_name(s->stop_signal ? s->stop_signal : 15));
	add(t, "    Grace Period:   %ds\n",
	    s->termination_grace_period_seconds);
	add(t, "    Environment:%s\n", s->env.n ? "" : "    <none>");
	for (size_t i = 0; i < s->env.n; i++) {
		const char *eq = strchr(s->env.v[i], '=');

		add(t, "      %.*s:  %s\n",
		    (int)(eq ? eq - s->env.v[i] : (long)strlen(s->env.v[i])),
		    s->env.v[i], eq ? eq + 1 : "");
	}
	add(t, "    Mounts:%s\n", s->n_mounts ? "" : "         <none>");
	for (size_t i = 0; i < s->n_mounts; i++)
		add(t, "      %s from %s (%s)\n", s->mounts[i].container_path,
		    s->mounts[i].host_path,
		    s->mounts[i].read_only ? "ro" : "rw");
	add(t, "Conditions:\n  Type              Status\n");
	add(t, "  Initialized       True\n");
	add(t, "  Ready             %s\n", pod_is_ready(p) ? "True" : "False");
	add(t, "  ContainersReady   %s\n", pod_is_ready(p) ? "True" : "False");
	t->buf[t->len] = '\0';
	events_describe(d, event_object_name("pod", p->name), t->buf,
			DESCRIBE_MAX);
	t->len = strlen(t->buf);
}

static void describe_intstr(char *buf, size_t len, struct int_or_percent v)
{
	snprintf(buf, len, "%d%s", v.value, v.percent ? "%" : "");
}

static void describe_deployment(struct daemon *d, struct deployment *dep,
				struct text *t)
{
	const struct deployment_spec *s = dep->spec;
	struct dep_counts k;
	char surge[16], unav[16];

	deployment_counts(d, dep, &k);
	describe_intstr(surge, sizeof(surge), s->max_surge);
	describe_intstr(unav, sizeof(unav), s->max_unavailable);
	add(t, "Name:                   %s\n", dep->name);
	add(t, "CreationTimestamp:      %s\n", stamp(dep->created_ms));
	add_labels(t, "Labels:", &s->labels, NULL);
	add(t, "Revision:               %d (%s)\n", dep->revision, dep->hash);
	add(t,
	    "Replicas:               %d desired | %d updated | %d total | %d "
	    "available | %d unavailable\n",
	    dep->replicas, k.updated, k.total, k.available,
	    k.total - k.available > 0 ? k.total - k.available : 0);
	add(t, "StrategyType:           %s\n", strategy_name(s->strategy));
	add(t, "MinReadySeconds:        %d\n", s->min_ready_seconds);
	if (s->strategy == STRATEGY_ROLLING_UPDATE)
		add(t,
		    "RollingUpdateStrategy:  %s max unavailable, %s max "
		    "surge\n",
		    unav, surge);
	add(t, "Pod Template:\n  Containers:\n   %s:\n    Image:      %s\n",
	    dep->name, s->image);
	if (s->port)
		add(t, "    Port:       %d/TCP\n", s->port);
	add(t, "Conditions:\n  Type           Status  Reason\n");
	add(t, "  Available      %s\n",
	    k.available >= dep->replicas - 0
		? "True    MinimumReplicasAvailable"
		: "False   MinimumReplicasUnavailable");
	if (dep->progress_failed)
		add(t, "  Progressing    False   ProgressDeadlineExceeded\n");
	else if (!strcmp(deployment_rollout_state(d, dep), "complete"))
		add(t, "  Progressing    True    NewReplicaSetAvailable\n");
	else if (dep->paused)
		add(t, "  Progressing    Unknown DeploymentPaused\n");
	else
		add(t, "  Progressing    True    ReplicaSetUpdated\n");
	t->buf[t->len] = '\0';
	events_describe(d, event_object_name("deployment", dep->name), t->buf,
			DESCRIBE_MAX);
	t->len = strlen(t->buf);
}

static void describe_service(struct daemon *d, const struct service_spec *svc,
			     struct text *t)
{
	const struct kvlist *selector = service_selector(d, svc);
	bool any = false;

	add(t, "Name:              %s\n", svc->name);
	add_labels(t, "Selector:", selector, NULL);
	add(t, "Listen:            %s\n", svc->listen);
	add(t, "Mode:              %s\n",
	    svc->mode == SERVICE_TCP ? "tcp" : "http");
	add(t, "Balance:           %s\n",
	    svc->balance == BALANCE_LEAST_CONN ? "least-conn" : "round-robin");
	if (svc->target_port_name)
		add(t, "TargetPort:        %s/TCP\n", svc->target_port_name);
	else
		add(t, "TargetPort:        %d/TCP\n", svc->target_port);
	add(t, "Endpoints:         ");
	for (struct pod *p = d->pods; p; p = p->next) {
		if (!pod_is_ready(p) || !endpoints_selects(selector, p) ||
		    !endpoints_port_found(svc, p))
			continue;
		add(t, "%s%s", any ? "," : "", p->name);
		any = true;
	}
	add(t, "%s\n", any ? "" : "<none>");
	t->buf[t->len] = '\0';
	events_describe(d, event_object_name("service", svc->name), t->buf,
			DESCRIBE_MAX);
	t->len = strlen(t->buf);
}

char *describe_object(struct daemon *d, const char *kind, const char *name)
{
	struct text t = {xmalloc(DESCRIBE_MAX), 0};

	t.buf[0] = '\0';
	if (!strcmp(kind, "pod") || !strcmp(kind, "pods") ||
	    !strcmp(kind, "po")) {
		struct pod *p = NULL;

		for (struct pod *q = d->pods; q && !p; q = q->next)
			if (q->phase != POD_GONE && !strcmp(q->name, name))
				p = q;
		if (p) {
			describe_pod(d, p, &t);
			return t.buf;
		}
	} else if (!strcmp(kind, "deployment") ||
		   !strcmp(kind, "deployments") || !strcmp(kind, "deploy")) {
		for (struct deployment *dep = d->deployments; dep;
		     dep = dep->next) {
			if (!dep->deleting && !strcmp(dep->name, name)) {
				describe_deployment(d, dep, &t);
				return t.buf;
			}
		}
	} else if (!strcmp(kind, "service") || !strcmp(kind, "services") ||
		   !strcmp(kind, "svc")) {
		for (size_t i = 0; d->cfg && i < d->cfg->n_services; i++) {
			if (!strcmp(d->cfg->services[i].name, name)) {
				describe_service(d, &d->cfg->services[i], &t);
				return t.buf;
			}
		}
	}
	free(t.buf);
	return NULL;
}
