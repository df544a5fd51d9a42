/*
 * convert_in.c - a Kubernetes Deployment or Service written as the berth
 * INI section it stands for, then loaded by config/'s parser, so the API
 * checks every value as `berth apply` does. Each INI line remembers the
 * Kubernetes field it came from, so a config error names that field. Any
 * field outside the mapping (docs/SPEC.md §9) that is not its Go zero
 * value is refused. Touches no daemon state.
 */
#include "convert_in.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "convert_in_internal.h"

static void meta_check(struct conv *c, const json_t *obj, const char *kind,
		       const char **name)
{
	static const char *const known[] = {"name",
					    "namespace",
					    "labels",
					    "annotations",
					    "uid",
					    "resourceVersion",
					    "generation",
					    "creationTimestamp",
					    "managedFields",
					    "selfLink",
					    "deletionTimestamp",
					    "deletionGracePeriodSeconds",
					    "ownerReferences",
					    "finalizers",
					    NULL};
	static const char *const top[] = {"apiVersion", "kind",	  "metadata",
					  "spec",	"status", NULL};
	const json_t *meta = json_object_get(obj, "metadata");
	const char *k = json_string_value(json_object_get(obj, "kind"));
	const char *ns;

	kin_only(c, obj, "", top);
	if (k && strcmp(k, kind))
		kin_bad(c, "kind", "expected %s, not %s", kind, k);
	kin_only(c, meta, "metadata", known);
	*name = kin_str_at(c, meta, "name", "metadata");
	if (*name == NULL || (*name)[0] == '\0')
		kin_bad(c, "metadata.name", "Required value");
	ns = kin_str_at(c, meta, "namespace", "metadata");
	if (ns && ns[0] && strcmp(ns, "default"))
		kin_bad(c, "metadata.namespace",
			"berth has the namespace \"default\" only");
}

static void deployment_ini(struct conv *c, const json_t *obj,
			   const struct deployment_spec *base)
{
	static const char *const known[] = {"replicas",
					    "selector",
					    "template",
					    "strategy",
					    "minReadySeconds",
					    "progressDeadlineSeconds",
					    "revisionHistoryLimit",
					    "paused",
					    NULL};
	static const char *const tk[] = {"metadata", "spec", NULL};
	static const char *const tmk[] = {"labels", "annotations",
					  "creationTimestamp", NULL};
	const json_t *spec = json_object_get(obj, "spec"), *tmpl, *tmeta, *sel;
	const char *name = NULL, *k, *s;
	json_t *v, *labels;
	long long n;
	char line[96];

	meta_check(c, obj, "Deployment", &name);
	if (c->failed)
		return;
	snprintf(line, sizeof(line), "[deployment %s]", name);
	kin_put(c, "metadata.name", line);
	kin_only(c, spec, "spec", known);
	if (kin_int_at(c, spec, "replicas", "spec", &n))
		kin_kv(c, "spec.replicas", "replicas", "%lld", n);
	tmpl = json_object_get(spec, "template");
	kin_only(c, tmpl, "spec.template", tk);
	tmeta = json_object_get(tmpl, "metadata");
	kin_only(c, tmeta, "spec.template.metadata", tmk);
	labels = json_object_get(tmeta, "labels");
	if (kin_is_zero(labels)) {
		kin_bad(c, "spec.template.metadata.labels", "Required value");
		return;
	}
	kin_pairs(c, labels, "spec.template.metadata.labels", "labels");
	sel = json_object_get(spec, "selector");
	if (!kin_is_zero(json_object_get(sel, "matchExpressions")))
		kin_bad(c, "spec.selector.matchExpressions",
			"berth selects by matchLabels only");
	json_object_foreach(json_object_get(sel, "matchLabels"), k, v)
	{
		json_t *have = json_object_get(labels, k);

		if (have == NULL || !json_equal(have, v))
			kin_bad(c, "spec.selector",
				"Invalid value: `selector` does not match "
				"template `labels`");
	}
	json_object_foreach(json_object_get(tmeta, "annotations"), k, v)
	{
		if (strcmp(k, "kubectl.kubernetes.io/restartedAt")) {
			char f[FIELD_MAX];

			snprintf(f, sizeof(f),
				 "spec.template.metadata.annotations[%s]", k);
			kin_bad(c, f,
				"berth keeps no pod annotation but "
				"kubectl.kubernetes.io/restartedAt");
		}
	}
	kin_pod_spec(c, json_object_get(tmpl, "spec"));
	if ((v = json_object_get(spec, "strategy")) && !kin_is_zero(v)) {
		static const char *const sk[] = {"type", "rollingUpdate", NULL};
		static const char *const rk[] = {"maxSurge", "maxUnavailable",
						 NULL};
		json_t *ru = json_object_get(v, "rollingUpdate");

		kin_only(c, v, "spec.strategy", sk);
		if ((s = kin_str_at(c, v, "type", "spec.strategy")) && s[0])
			kin_kv(c, "spec.strategy.type", "strategy.type", "%s",
			       s);
		kin_only(c, ru, "spec.strategy.rollingUpdate", rk);
		for (size_t i = 0; rk[i]; i++) {
			json_t *q = json_object_get(ru, rk[i]);
			char f[FIELD_MAX], key[64];

			if (q == NULL || json_is_null(q))
				continue;
			kin_sub(f, "spec.strategy.rollingUpdate", rk[i]);
			snprintf(key, sizeof(key), "strategy.rollingUpdate.%s",
				 rk[i]);
			if (json_is_integer(q))
				kin_kv(c, f, key, "%lld",
				       (long long)json_integer_value(q));
			else if (json_is_string(q))
				kin_kv(c, f, key, "%s", json_string_value(q));
			else
				kin_bad(c, f,
					"must be an integer or a percentage");
		}
	}
	if (kin_int_at(c, spec, "minReadySeconds", "spec", &n))
		kin_kv(c, "spec.minReadySeconds", "minReadySeconds", "%lld", n);
	if (kin_int_at(c, spec, "progressDeadlineSeconds", "spec", &n))
		kin_kv(c, "spec.progressDeadlineSeconds",
		       "progressDeadlineSeconds", "%lld", n);
	if (kin_int_at(c, spec, "revisionHistoryLimit", "spec", &n))
		kin_kv(c, "spec.revisionHistoryLimit", "revisionHistoryLimit",
		       "%lld", n);
	if (base && base->progress_deadline_abort)
		kin_kv(c, "metadata.annotations", "progressDeadlineAbort",
		       "true");
}

static void service_ini(struct conv *c, const json_t *obj,
			const struct service_spec *base)
{
	static const char *const known[] = {
	    "type",	  "selector",	    "ports",
	    "clusterIP",  "clusterIPs",	    "sessionAffinity",
	    "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy",
	    NULL};
	static const char *const pk[] = {"port", "targetPort", "protocol",
					 "appProtocol", NULL};
	const json_t *spec = json_object_get(obj, "spec"), *ports, *p;
	const json_t *ann =
	    json_object_get(json_object_get(obj, "metadata"), "annotations");
	const char *name = NULL, *s, *host = "127.0.0.1";
	long long port = 0, target = 0;
	char line[96];

	meta_check(c, obj, "Service", &name);
	if (c->failed)
		return;
	snprintf(line, sizeof(line), "[service %s]", name);
	kin_put(c, "metadata.name", line);
	kin_only(c, spec, "spec", known);
	if ((s = kin_str_at(c, spec, "type", "spec")) && strcmp(s, "ClusterIP"))
		kin_bad(c, "spec.type", "berth has ClusterIP services only");
	if ((s = kin_str_at(c, spec, "sessionAffinity", "spec")) &&
	    strcmp(s, "None"))
		kin_bad(c, "spec.sessionAffinity", "berth has None only");
	if ((s = kin_str_at(c, spec, "clusterIP", "spec")) && s[0] &&
	    strcmp(s, "None"))
		host = s;
	ports = json_object_get(spec, "ports");
	if (json_array_size(ports) != 1) {
		kin_bad(c, "spec.ports",
			"berth serves exactly one port a service");
		return;
	}
	p = json_array_get(ports, 0);
	kin_only(c, p, "spec.ports[0]", pk);
	if (!kin_int_at(c, p, "port", "spec.ports[0]", &port)) {
		kin_bad(c, "spec.ports[0].port", "Required value");
		return;
	}
	if ((s = kin_str_at(c, p, "protocol", "spec.ports[0]")) &&
	    strcmp(s, "TCP"))
		kin_bad(c, "spec.ports[0].protocol", "berth serves TCP only");
	if (json_is_string(json_object_get(p, "targetPort")))
		kin_bad(c, "spec.ports[0].targetPort",
			"berth takes port numbers only");
	if (!kin_int_at(c, p, "targetPort", "spec.ports[0]", &target))
		target = port;
	kin_kv(c, "spec.clusterIP", "listen",
	       strchr(host, ':') ? "[%s]:%lld" : "%s:%lld", host, port);
	kin_pairs(c, json_object_get(spec, "selector"), "spec.selector",
		  "selector");
	kin_kv(c, "spec.ports[0].targetPort", "targetPort", "%lld", target);
	if ((s = kin_str_at(c, p, "appProtocol", "spec.ports[0]")) && s[0])
		kin_kv(c, "spec.ports[0].appProtocol", "mode", "%s", s);
	if ((s = kin_str_at(c, ann, "berth.io/balance",
			    "metadata.annotations")))
		kin_kv(c, "metadata.annotations[berth.io/balance]", "balance",
		       "%s", s);
	if (base) {
		/* What a Service cannot say stays as it was. */
		const char *f = "metadata.name";

		if (base->timeout_connect_ms > 0)
			kin_kv(c, f, "timeout.connect", "%d",
			       base->timeout_connect_ms / 1000);
		if (base->timeout_client_ms > 0)
			kin_kv(c, f, "timeout.client", "%d",
			       base->timeout_client_ms / 1000);
		if (base->timeout_server_ms > 0)
			kin_kv(c, f, "timeout.server", "%d",
			       base->timeout_server_ms / 1000);
		if (base->timeout_response_ms > 0)
			kin_kv(c, f, "timeout.response", "%d",
			       base->timeout_response_ms / 1000);
		if (base->timeout_http_request_ms > 0)
			kin_kv(c, f, "timeout.httpRequest", "%d",
			       base->timeout_http_request_ms / 1000);
		if (base->max_connections)
			kin_kv(c, f, "maxConnections", "%d",
			       base->max_connections);
	}
}

char *kube_in_ini(const json_t *obj, const struct deployment_spec *dbase,
		  const struct service_spec *sbase, struct berr *err)
{
	struct conv c = {.err = err};
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	char *out;

	if (!json_is_object(obj)) {
		berr_set(err, "the object is not a JSON object");
		return NULL;
	}
	if (kind && !strcmp(kind, "Service"))
		service_ini(&c, obj, sbase);
	else
		deployment_ini(&c, obj, dbase);
	if (c.failed) {
		kin_conv_free(&c);
		return NULL;
	}
	out = c.buf;
	c.buf = NULL;
	kin_conv_free(&c);
	return out;
}

/* Loads obj; a config error "kube:LINE: msg" becomes "FIELD: msg". */
static int load(const json_t *obj, const struct deployment_spec *dbase,
		const struct service_spec *sbase, bool strict,
		struct berth_config **out, struct berr *err)
{
	struct conv c = {.err = err, .strict = strict};
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	int rc;

	if (kind && !strcmp(kind, "Service"))
		service_ini(&c, obj, sbase);
	else
		deployment_ini(&c, obj, dbase);
	if (c.failed) {
		kin_conv_free(&c);
		return -1;
	}
	/* A folder that cannot exist: only absolute image folders and
	 * image references mean anything to the API. */
	rc = cfg_load_buffer("kube", "/dev/null/kube", c.buf, c.len, out, err);
	if (rc == -1) {
		char msg[sizeof(err->msg)];
		unsigned line = 0;
		int off = 0;

		if (sscanf(err->msg, "kube:%u: %n", &line, &off) == 1 &&
		    off > 0 && line >= 1 && line <= c.n_lines) {
			snprintf(msg, sizeof(msg), "%s", err->msg + off);
			berr_set(err, "%s: %s", c.fields[line - 1], msg);
		}
	}
	kin_conv_free(&c);
	return rc;
}

int kube_in_deployment(const json_t *obj, const struct deployment_spec *base,
		       bool strict, struct berth_config **out, bool *paused,
		       struct berr *err)
{
	struct berth_config *cfg = NULL;
	const json_t *tmpl =
	    json_object_get(json_object_get(obj, "spec"), "template");
	const char *stamp = json_string_value(json_object_get(
	    json_object_get(json_object_get(tmpl, "metadata"), "annotations"),
	    "kubectl.kubernetes.io/restartedAt"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (kind && strcmp(kind, "Deployment"))
		return berr_set(err, "kind: expected Deployment, not %s", kind);
	if (load(obj, base, NULL, strict, &cfg, err) == -1)
		return -1;
	if (cfg->n_deployments != 1) {
		cfg_free(cfg);
		return berr_set(err, "metadata.name: Required value");
	}
	if (stamp) {
		if (strlen(stamp) >= sizeof(cfg->deployments[0].restarted_at)) {
			cfg_free(cfg);
			return berr_set(err,
					"spec.template.metadata.annotations["
					"kubectl.kubernetes.io/restartedAt]: "
					"too long");
		}
		snprintf(cfg->deployments[0].restarted_at,
			 sizeof(cfg->deployments[0].restarted_at), "%s", stamp);
	}
	*paused = json_is_true(
	    json_object_get(json_object_get(obj, "spec"), "paused"));
	*out = cfg;
	return 0;
}

int kube_in_service(const json_t *obj, const struct service_spec *base,
		    bool strict, struct berth_config **out, struct berr *err)
{
	struct berth_config *cfg = NULL;
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (kind && strcmp(kind, "Service"))
		return berr_set(err, "kind: expected Service, not %s", kind);
	if (load(obj, NULL, base, strict, &cfg, err) == -1)
		return -1;
	if (cfg->n_services != 1) {
		cfg_free(cfg);
		return berr_set(err, "metadata.name: Required value");
	}
	*out = cfg;
	return 0;
}
