/*
 * manifest_out.c - berth's config as clean Kubernetes manifests: an
 * apps/v1 Deployment and a v1 Service with no status, uid or
 * resourceVersion, that a real cluster accepts and manifest.c reads back
 * to the same config. The exact inverse of manifest.c: a key added there
 * is written here. Reads config structs only.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../common/sigtab.h"
#include "../common/strutil.h"
#include "manifest.h"
#include "manifest_internal.h"

#define ANNOTATION(k) "berth.io/" k

static json_t *strv_json(const struct strv *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *kv_json(const struct kvlist *kl)
{
	json_t *o = json_object();
	for (size_t i = 0; i < kl->n; i++)
		json_object_set_new(o, kl->v[i].key,
				    json_string(kl->v[i].value));
	return o;
}

json_t *mf_int_or_percent(struct int_or_percent v)
{
	char buf[24];
	if (!v.percent)
		return json_integer(v.value);
	snprintf(buf, sizeof(buf), "%d%%", v.value);
	return json_string(buf);
}

json_t *mf_thousandths(int64_t n, const char *unit, const char *milli_unit)
{
	char buf[48];
	if (n % 1000 == 0)
		snprintf(buf, sizeof(buf), "%lld%s", (long long)(n / 1000),
			 unit);
	else
		snprintf(buf, sizeof(buf), "%lld%s", (long long)n, milli_unit);
	return json_string(buf);
}

/* 67108864 -> "64Mi"; bytes that are no whole binary unit stay bytes. */
static json_t *memory_quantity(int64_t bytes)
{
	static const char *const units[] = {"Ti", "Gi", "Mi", "Ki"};
	char buf[32];
	for (int i = 0; i < 4; i++) {
		int64_t unit = (int64_t)1 << (10 * (4 - i));
		if (bytes % unit == 0) {
			snprintf(buf, sizeof(buf), "%lld%s",
				 (long long)(bytes / unit), units[i]);
			return json_string(buf);
		}
	}
	snprintf(buf, sizeof(buf), "%lld", (long long)bytes);
	return json_string(buf);
}

/* A port as it was given: its name, else its number (IntOrString). */
static json_t *port_json(const char *name, int number)
{
	return name ? json_string(name) : json_integer(number);
}

static json_t *handler_json(const struct handler_spec *h)
{
	json_t *o = json_object(), *x;
	switch (h->kind) {
	case HANDLER_EXEC:
		json_object_set_new(
		    o, "exec",
		    json_pack("{s:o}", "command", strv_json(&h->exec_command)));
		break;
	case HANDLER_HTTP:
		x = json_pack("{s:s, s:o}", "path", h->http_path, "port",
			      port_json(h->port_name, h->http_port));
		if (h->http_host)
			json_object_set_new(x, "host",
					    json_string(h->http_host));
		if (h->http_headers.n) {
			json_t *hs = json_array();
			for (size_t i = 0; i < h->http_headers.n; i++)
				json_array_append_new(
				    hs,
				    json_pack("{s:s, s:s}", "name",
					      h->http_headers.v[i].key, "value",
					      h->http_headers.v[i].value));
			json_object_set_new(x, "httpHeaders", hs);
		}
		json_object_set_new(o, "httpGet", x);
		break;
	case HANDLER_TCP:
		json_object_set_new(
		    o, "tcpSocket",
		    json_pack("{s:o}", "port",
			      port_json(h->port_name, h->tcp_port)));
		break;
	case HANDLER_SLEEP:
		json_object_set_new(
		    o, "sleep",
		    json_pack("{s:i}", "seconds", h->sleep_seconds));
		break;
	case HANDLER_NONE:
		break;
	}
	return o;
}

static json_t *probe_json(const struct probe_spec *p)
{
	json_t *o = handler_json(&p->handler);
	json_object_set_new(o, "initialDelaySeconds",
			    json_integer(p->initial_delay_seconds));
	json_object_set_new(o, "periodSeconds",
			    json_integer(p->period_seconds));
	json_object_set_new(o, "timeoutSeconds",
			    json_integer(p->timeout_seconds));
	json_object_set_new(o, "successThreshold",
			    json_integer(p->success_threshold));
	json_object_set_new(o, "failureThreshold",
			    json_integer(p->failure_threshold));
	if (p->termination_grace_period_seconds >= 0)
		json_object_set_new(
		    o, "terminationGracePeriodSeconds",
		    json_integer(p->termination_grace_period_seconds));
	return o;
}

static void set_if(json_t *o, const char *key, json_t *v)
{
	if (json_is_object(v) && json_object_size(v) == 0) {
		json_decref(v);
		return;
	}
	json_object_set_new(o, key, v);
}

static json_t *security_json(const struct deployment_spec *d)
{
	json_t *sc = json_object(), *caps = json_object();
	if (d->run_as_user >= 0)
		json_object_set_new(sc, "runAsUser",
				    json_integer(d->run_as_user));
	if (d->run_as_group >= 0)
		json_object_set_new(sc, "runAsGroup",
				    json_integer(d->run_as_group));
	if (d->read_only_root_filesystem)
		json_object_set_new(sc, "readOnlyRootFilesystem", json_true());
	if (d->caps_add.n)
		json_object_set_new(caps, "add", strv_json(&d->caps_add));
	if (d->caps_drop.n)
		json_object_set_new(caps, "drop", strv_json(&d->caps_drop));
	set_if(sc, "capabilities", caps);
	if (d->seccomp == SECCOMP_UNCONFINED)
		json_object_set_new(sc, "seccompProfile",
				    json_pack("{s:s}", "type", "Unconfined"));
	else if (d->seccomp == SECCOMP_FILE)
		json_object_set_new(sc, "seccompProfile",
				    json_pack("{s:s, s:s}", "type", "Localhost",
					      "localhostProfile",
					      d->seccomp_file));
	return sc;
}

static const char *restart_name(enum restart_policy r)
{
	return r == RESTART_ON_FAILURE ? "OnFailure"
	       : r == RESTART_NEVER    ? "Never"
				       : "Always";
}

static json_t *container_json(const struct deployment_spec *d)
{
	json_t *c = json_pack("{s:s, s:s}", "name", d->name, "image",
			      d->image ? d->image : "");
	static const char *const policies[] = {"Always", "IfNotPresent",
					       "Never"};
	if (d->image_pull_policy > 0 && d->image_pull_policy <= 3)
		json_object_set_new(
		    c, "imagePullPolicy",
		    json_string(policies[d->image_pull_policy - 1]));
	if (d->command.n)
		json_object_set_new(c, "command", strv_json(&d->command));
	if (d->args.n)
		json_object_set_new(c, "args", strv_json(&d->args));
	if (d->env.n) {
		json_t *env = json_array();
		for (size_t i = 0; i < d->env.n; i++) {
			const char *kv = d->env.v[i], *eq = strchr(kv, '=');
			json_array_append_new(
			    env, json_pack("{s:s%, s:s}", "name", kv,
					   eq ? (size_t)(eq - kv) : strlen(kv),
					   "value", eq ? eq + 1 : ""));
		}
		json_object_set_new(c, "env", env);
	}
	if (d->working_dir)
		json_object_set_new(c, "workingDir",
				    json_string(d->working_dir));
	if (d->port > 0) {
		json_t *p = json_pack("{s:i, s:s}", "containerPort", d->port,
				      "protocol", "TCP");
		if (d->port_name)
			json_object_set_new(p, "name",
					    json_string(d->port_name));
		json_object_set_new(c, "ports", json_pack("[o]", p));
	}
	if (d->n_mounts) {
		json_t *vm = json_array();
		for (size_t i = 0; i < d->n_mounts; i++) {
			char name[32];
			snprintf(name, sizeof(name), "host-%zu", i);
			json_t *m =
			    json_pack("{s:s, s:s}", "name", name, "mountPath",
				      d->mounts[i].container_path);
			if (d->mounts[i].read_only)
				json_object_set_new(m, "readOnly", json_true());
			json_array_append_new(vm, m);
		}
		json_object_set_new(c, "volumeMounts", vm);
	}
	json_t *lc = json_object();
	if (d->pre_stop.kind != HANDLER_NONE)
		json_object_set_new(lc, "preStop", handler_json(&d->pre_stop));
	if (d->stop_signal != SIGTERM && sigtab_name(d->stop_signal))
		json_object_set_new(lc, "stopSignal",
				    json_string(sigtab_name(d->stop_signal)));
	set_if(c, "lifecycle", lc);
	if (d->startup_probe.set)
		json_object_set_new(c, "startupProbe",
				    probe_json(&d->startup_probe));
	if (d->liveness_probe.set)
		json_object_set_new(c, "livenessProbe",
				    probe_json(&d->liveness_probe));
	if (d->readiness_probe.set)
		json_object_set_new(c, "readinessProbe",
				    probe_json(&d->readiness_probe));
	json_t *lim = json_object();
	if (d->memory_limit_bytes > 0)
		json_object_set_new(lim, "memory",
				    memory_quantity(d->memory_limit_bytes));
	if (d->cpu_limit_millis > 0)
		json_object_set_new(
		    lim, "cpu", mf_thousandths(d->cpu_limit_millis, "", "m"));
	if (json_object_size(lim))
		json_object_set_new(c, "resources",
				    json_pack("{s:o}", "limits", lim));
	else
		json_decref(lim);
	set_if(c, "securityContext", security_json(d));
	return c;
}

/* The labels a Deployment selects: its own, or app=NAME (a Deployment
 * needs a selector, and its pods the labels it selects). */
static json_t *pod_labels(const struct deployment_spec *d)
{
	json_t *labels = kv_json(&d->labels);
	if (json_object_size(labels) == 0)
		json_object_set_new(labels, "app", json_string(d->name));
	return labels;
}

json_t *cfg_pod_template_manifest(const struct deployment_spec *d)
{
	char buf[32];
	json_t *pod_spec =
	    json_pack("{s:[o], s:s, s:i}", "containers", container_json(d),
		      "restartPolicy", restart_name(d->restart_policy),
		      "terminationGracePeriodSeconds",
		      d->termination_grace_period_seconds);
	if (d->network == NET_HOST)
		json_object_set_new(pod_spec, "hostNetwork", json_true());
	if (d->n_mounts) {
		json_t *vols = json_array();
		for (size_t i = 0; i < d->n_mounts; i++) {
			snprintf(buf, sizeof(buf), "host-%zu", i);
			json_array_append_new(
			    vols,
			    json_pack("{s:s, s:{s:s}}", "name", buf, "hostPath",
				      "path", d->mounts[i].host_path));
		}
		json_object_set_new(pod_spec, "volumes", vols);
	}
	json_t *tmeta = json_pack("{s:o}", "labels", pod_labels(d));
	if (d->restarted_at[0])
		json_object_set_new(
		    tmeta, "annotations",
		    json_pack("{s:s}", MANIFEST_RESTARTED_AT, d->restarted_at));
	return json_pack("{s:o, s:o}", "metadata", tmeta, "spec", pod_spec);
}

json_t *cfg_deployment_manifest(const struct deployment_spec *d, int replicas)
{
	json_t *labels = pod_labels(d), *ann = json_object();
	char buf[256];

	json_t *spec =
	    json_pack("{s:i, s:{s:O}, s:o, s:i, s:i, s:i}", "replicas",
		      replicas, "selector", "matchLabels", labels, "template",
		      cfg_pod_template_manifest(d), "minReadySeconds",
		      d->min_ready_seconds, "progressDeadlineSeconds",
		      d->progress_deadline_seconds, "revisionHistoryLimit",
		      d->revision_history_limit);

	/* Kubernetes knows two strategy types; berth's others, and the
	 * settings it alone has, ride in annotations. */
	if (d->strategy == STRATEGY_ROLLING_UPDATE)
		json_object_set_new(
		    spec, "strategy",
		    json_pack("{s:s, s:{s:o, s:o}}", "type", "RollingUpdate",
			      "rollingUpdate", "maxSurge",
			      mf_int_or_percent(d->max_surge), "maxUnavailable",
			      mf_int_or_percent(d->max_unavailable)));
	else if (d->strategy == STRATEGY_RECREATE)
		json_object_set_new(spec, "strategy",
				    json_pack("{s:s}", "type", "Recreate"));
	else
		json_object_set_new(ann, ANNOTATION("strategy.type"),
				    json_string(d->strategy == STRATEGY_CANARY
						    ? "Canary"
						    : "BlueGreen"));
	if (d->canary_steps.n) {
		char steps[4096] = "";
		for (size_t i = 0; i < d->canary_steps.n; i++) {
			canary_step_str(&d->canary_steps.v[i], buf,
					sizeof(buf));
			snprintf(steps + strlen(steps),
				 sizeof(steps) - strlen(steps), "%s%s",
				 i ? ", " : "", buf);
		}
		json_object_set_new(ann, ANNOTATION("strategy.canary.steps"),
				    json_string(steps));
	}
	if (d->progress_deadline_abort)
		json_object_set_new(ann, ANNOTATION("progressDeadlineAbort"),
				    json_string("true"));
	if (d->pids_limit > 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)d->pids_limit);
		json_object_set_new(ann, ANNOTATION("resources.limits.pids"),
				    json_string(buf));
	}
	json_t *meta =
	    json_pack("{s:s, s:o}", "name", d->name, "labels", labels);
	set_if(meta, "annotations", ann);
	return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "apps/v1",
			 "kind", "Deployment", "metadata", meta, "spec", spec);
}

json_t *cfg_service_manifest(const struct service_spec *s,
			     const struct kvlist *selector)
{
	json_t *ann = json_pack("{s:s}", ANNOTATION("listen"), s->listen);
	char host[64] = "", buf[32];
	int port = 0;
	const char *why;
	static const struct {
		const char *key;
		size_t off;
		int dflt;
	} timeouts[] = {
	    {"timeout.connect",
	     offsetof(struct service_spec, timeout_connect_ms), 5000},
	    {"timeout.client", offsetof(struct service_spec, timeout_client_ms),
	     60000},
	    {"timeout.server", offsetof(struct service_spec, timeout_server_ms),
	     60000},
	    {"timeout.response",
	     offsetof(struct service_spec, timeout_response_ms), 60000},
	    {"timeout.httpRequest",
	     offsetof(struct service_spec, timeout_http_request_ms), 10000},
	};

	str_split_hostport(s->listen, host, sizeof(host), &port, &why);
	if (s->balance == BALANCE_LEAST_CONN)
		json_object_set_new(ann, ANNOTATION("balance"),
				    json_string("least-conn"));
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		int ms = *(const int *)((const char *)s + timeouts[i].off);
		if (ms == timeouts[i].dflt)
			continue;
		char key[64];
		snprintf(key, sizeof(key), "berth.io/%s", timeouts[i].key);
		snprintf(buf, sizeof(buf), "%d", ms / 1000);
		json_object_set_new(ann, key, json_string(buf));
	}
	if (s->max_connections > 0) {
		snprintf(buf, sizeof(buf), "%d", s->max_connections);
		json_object_set_new(ann, ANNOTATION("maxConnections"),
				    json_string(buf));
	}
	json_t *svc = json_pack(
	    "{s:s, s:s, s:{s:s, s:o}, s:{s:s, s:o, s:[{s:s, s:i, s:o, s:s}]}}",
	    "apiVersion", "v1", "kind", "Service", "metadata", "name", s->name,
	    "annotations", ann, "spec", "type", "ClusterIP", "selector",
	    kv_json(selector ? selector : &s->selector), "ports", "protocol",
	    "TCP", "port", port, "targetPort",
	    port_json(s->target_port_name, s->target_port), "appProtocol",
	    s->mode == SERVICE_TCP ? "tcp" : "http");
	if (svc && s->port_name)
		json_object_set_new(
		    json_array_get(
			json_object_get(json_object_get(svc, "spec"), "ports"),
			0),
		    "name", json_string(s->port_name));
	return svc;
}
