/*
 * config_keys.c - the key table: every key of every section, its parser and
 * the field it fills. Adding a key is one line here (plus a parser in
 * config_values.c if no existing one fits). Owns key lookup, "unknown key",
 * "duplicate key" and the one-handler-per-probe rule; value syntax is
 * config_values.c's, cross-field rules config_validate.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "config_internal.h"

#define D struct deployment_spec
#define S struct service_spec
#define B struct berth_config
#define P struct probe_spec
#define SECS_MAX 2147483647LL

/* Plain keys: section, name, parser, struct, field, min, max. */
#define KEY(sec, nm, fn, st, fld, lo, hi)                                      \
	{                                                                      \
		.section = sec, .name = nm, .parse = fn,                       \
		.offset = offsetof(st, fld), .min = lo, .max = hi              \
	}
#define KEYF(sec, nm, fn, st, fld, fl)                                         \
	{                                                                      \
		.section = sec, .name = nm, .parse = fn,                       \
		.offset = offsetof(st, fld), .flags = fl                       \
	}
#define ENUM(sec, nm, st, fld, tbl)                                            \
	{                                                                      \
		.section = sec, .name = nm, .parse = cfg_parse_enum,           \
		.offset = offsetof(st, fld), .names = tbl                      \
	}
/* Handler keys: select handler kind hk of the handler_spec at st.h. */
#define HKEY(sec, nm, fn, st, h, fld, hk, fl, lo, hi)                          \
	{                                                                      \
		.section = sec, .name = nm, .parse = fn,                       \
		.offset = offsetof(st, h.fld), .flags = fl, .min = lo,         \
		.max = hi, .hkind = hk, .hoff = offsetof(st, h)                \
	}
#define PROBE(nm, fld, which)                                                  \
	{                                                                      \
		.section = CFG_SEC_DEPLOYMENT, .name = nm,                     \
		.offset = offsetof(D, fld), .sub = probe_keys, .probe = which  \
	}

static const char *const net_names[] = {"private", "host", NULL};
static const char *const restart_names[] = {"Always", "OnFailure", "Never",
					    NULL};
static const char *const strategy_names[] = {"RollingUpdate", "Recreate",
					     "BlueGreen", "Canary", NULL};
static const char *const mode_names[] = {"http", "tcp", NULL};
static const char *const balance_names[] = {"round-robin", "least-conn", NULL};

/* Keys under startupProbe. / livenessProbe. / readinessProbe. */
static const struct cfg_key probe_keys[] = {
    HKEY(CFG_SEC_DEPLOYMENT, "exec.command", cfg_parse_words, P, handler,
	 exec_command, HANDLER_EXEC, 0, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.path", cfg_parse_http_path, P, handler,
	 http_path, HANDLER_HTTP, 0, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.port", cfg_parse_port, P, handler,
	 http_port, HANDLER_HTTP, 0, 1, 65535),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.host", cfg_parse_http_host, P, handler,
	 http_host, HANDLER_HTTP, 0, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.scheme", cfg_parse_http_scheme, P,
	 handler, http_path, HANDLER_HTTP, 0, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.httpHeaders", cfg_parse_header, P,
	 handler, http_headers, HANDLER_HTTP, CFG_KEY_REPEATABLE, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "tcpSocket.port", cfg_parse_port, P, handler,
	 tcp_port, HANDLER_TCP, 0, 1, 65535),
    KEY(CFG_SEC_DEPLOYMENT, "initialDelaySeconds", cfg_parse_int, P,
	initial_delay_seconds, 0, SECS_MAX),
    KEY(CFG_SEC_DEPLOYMENT, "periodSeconds", cfg_parse_int, P, period_seconds,
	1, SECS_MAX),
    KEY(CFG_SEC_DEPLOYMENT, "timeoutSeconds", cfg_parse_int, P, timeout_seconds,
	1, SECS_MAX),
    {.section = CFG_SEC_DEPLOYMENT,
     .name = "successThreshold",
     .parse = cfg_parse_int,
     .offset = offsetof(P, success_threshold),
     .flags = CFG_KEY_ONE_NOT_READINESS,
     .min = 1,
     .max = SECS_MAX},
    KEY(CFG_SEC_DEPLOYMENT, "failureThreshold", cfg_parse_int, P,
	failure_threshold, 1, SECS_MAX),
    {.section = CFG_SEC_DEPLOYMENT,
     .name = "terminationGracePeriodSeconds",
     .parse = cfg_parse_int,
     .offset = offsetof(P, termination_grace_period_seconds),
     .flags = CFG_KEY_NOT_READINESS,
     .min = 1,
     .max = SECS_MAX},
    {0},
};

static const struct cfg_key keys[] = {
    /* [berth] */
    KEY(CFG_SEC_BERTH, "state_dir", cfg_parse_dir, B, state_dir, 0, 0),
    KEY(CFG_SEC_BERTH, "run_dir", cfg_parse_dir, B, run_dir, 0, 0),
    KEY(CFG_SEC_BERTH, "runtime", cfg_parse_runtime, B, runtime, 0, 0),
    KEY(CFG_SEC_BERTH, "admin", cfg_parse_admin, B, admin, 0, 0),
    KEY(CFG_SEC_BERTH, "kubernetesAPI", cfg_parse_kube_api, B, kubernetes_api,
	0, 0),
    KEY(CFG_SEC_BERTH, "crashLoopBackOff.initialSeconds", cfg_parse_int, B,
	backoff_initial_seconds, 1, SECS_MAX),
    KEY(CFG_SEC_BERTH, "crashLoopBackOff.maxSeconds", cfg_parse_int, B,
	backoff_max_seconds, 1, SECS_MAX),
    KEY(CFG_SEC_BERTH, "crashLoopBackOff.resetSeconds", cfg_parse_int, B,
	backoff_reset_seconds, 1, SECS_MAX),
    KEY(CFG_SEC_BERTH, "insecureRegistries", cfg_parse_registries, B,
	insecure_registries, 0, 0),
    KEY(CFG_SEC_BERTH, "imageImportDir", cfg_parse_dir, B, image_import_dir, 0,
	0),

    /* [deployment NAME]: the pod template */
    KEY(CFG_SEC_DEPLOYMENT, "image", cfg_parse_image, D, image, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "command", cfg_parse_words, D, command, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "args", cfg_parse_words, D, args, 0, 0),
    KEYF(CFG_SEC_DEPLOYMENT, "env", cfg_parse_env, D, env, CFG_KEY_REPEATABLE),
    KEY(CFG_SEC_DEPLOYMENT, "workingDir", cfg_parse_abs_path, D, working_dir, 0,
	0),
    KEYF(CFG_SEC_DEPLOYMENT, "mount", cfg_parse_mount, D, mounts,
	 CFG_KEY_REPEATABLE),
    KEY(CFG_SEC_DEPLOYMENT, "port", cfg_parse_port, D, port, 1, 65535),
    ENUM(CFG_SEC_DEPLOYMENT, "network", D, network, net_names),
    ENUM(CFG_SEC_DEPLOYMENT, "restartPolicy", D, restart_policy, restart_names),
    KEY(CFG_SEC_DEPLOYMENT, "terminationGracePeriodSeconds", cfg_parse_int, D,
	termination_grace_period_seconds, 0, SECS_MAX),
    KEY(CFG_SEC_DEPLOYMENT, "lifecycle.stopSignal", cfg_parse_signal, D,
	stop_signal, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.exec.command", cfg_parse_words,
	 D, pre_stop, exec_command, HANDLER_EXEC, 0, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.path",
	 cfg_parse_http_path, D, pre_stop, http_path, HANDLER_HTTP, 0, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.port", cfg_parse_port,
	 D, pre_stop, http_port, HANDLER_HTTP, 0, 1, 65535),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.host",
	 cfg_parse_http_host, D, pre_stop, http_host, HANDLER_HTTP, 0, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.scheme",
	 cfg_parse_http_scheme, D, pre_stop, http_path, HANDLER_HTTP, 0, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.httpHeaders",
	 cfg_parse_header, D, pre_stop, http_headers, HANDLER_HTTP,
	 CFG_KEY_REPEATABLE, 0, 0),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.sleep.seconds", cfg_parse_int,
	 D, pre_stop, sleep_seconds, HANDLER_SLEEP, 0, 0, SECS_MAX),
    PROBE("startupProbe.", startup_probe, CFG_PROBE_STARTUP),
    PROBE("livenessProbe.", liveness_probe, CFG_PROBE_LIVENESS),
    PROBE("readinessProbe.", readiness_probe, CFG_PROBE_READINESS),
    KEY(CFG_SEC_DEPLOYMENT, "resources.limits.memory", cfg_parse_memory, D,
	memory_limit_bytes, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "resources.limits.cpu", cfg_parse_cpu, D,
	cpu_limit_millis, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "resources.limits.pids", cfg_parse_int64, D,
	pids_limit, 1, 4194304),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.runAsUser", cfg_parse_int64, D,
	run_as_user, 0, 4294967294LL),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.runAsGroup", cfg_parse_int64, D,
	run_as_group, 0, 4294967294LL),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.readOnlyRootFilesystem",
	cfg_parse_bool, D, read_only_root_filesystem, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.capabilities.drop", cfg_parse_caps,
	D, caps_drop, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.capabilities.add", cfg_parse_caps,
	D, caps_add, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.seccompProfile", cfg_parse_seccomp,
	D, seccomp, 0, 0),

    /* [deployment NAME]: the rollout, outside the template */
    KEY(CFG_SEC_DEPLOYMENT, "replicas", cfg_parse_int, D, replicas, 0,
	SECS_MAX),
    KEY(CFG_SEC_DEPLOYMENT, "labels", cfg_parse_labels, D, labels, 0, 0),
    ENUM(CFG_SEC_DEPLOYMENT, "strategy.type", D, strategy, strategy_names),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.rollingUpdate.maxSurge", cfg_parse_surge,
	D, max_surge, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.rollingUpdate.maxUnavailable",
	cfg_parse_surge, D, max_unavailable, 0, 100),
    KEY(CFG_SEC_DEPLOYMENT, "minReadySeconds", cfg_parse_int, D,
	min_ready_seconds, 0, SECS_MAX),
    KEY(CFG_SEC_DEPLOYMENT, "progressDeadlineSeconds", cfg_parse_int, D,
	progress_deadline_seconds, 1, SECS_MAX),
    KEY(CFG_SEC_DEPLOYMENT, "progressDeadlineAbort", cfg_parse_bool, D,
	progress_deadline_abort, 0, 0),
    KEY(CFG_SEC_DEPLOYMENT, "revisionHistoryLimit", cfg_parse_int, D,
	revision_history_limit, 0, SECS_MAX),

    /* [service NAME] */
    KEY(CFG_SEC_SERVICE, "listen", cfg_parse_listen, S, listen, 0, 0),
    KEY(CFG_SEC_SERVICE, "selector", cfg_parse_selector, S, selector, 0, 0),
    KEY(CFG_SEC_SERVICE, "targetPort", cfg_parse_port, S, target_port, 1,
	65535),
    ENUM(CFG_SEC_SERVICE, "mode", S, mode, mode_names),
    ENUM(CFG_SEC_SERVICE, "balance", S, balance, balance_names),
    KEY(CFG_SEC_SERVICE, "timeout.connect", cfg_parse_seconds_ms, S,
	timeout_connect_ms, 1, 86400),
    KEY(CFG_SEC_SERVICE, "timeout.client", cfg_parse_seconds_ms, S,
	timeout_client_ms, 1, 86400),
    KEY(CFG_SEC_SERVICE, "timeout.server", cfg_parse_seconds_ms, S,
	timeout_server_ms, 1, 86400),
    KEY(CFG_SEC_SERVICE, "timeout.response", cfg_parse_seconds_ms, S,
	timeout_response_ms, 1, 86400),
    KEY(CFG_SEC_SERVICE, "timeout.httpRequest", cfg_parse_seconds_ms, S,
	timeout_http_request_ms, 1, 86400),
    KEY(CFG_SEC_SERVICE, "maxConnections", cfg_parse_int, S, max_connections, 0,
	1000000),
    {0},
};

static const char *const probe_labels[] = {
    [CFG_PROBE_STARTUP] = "startupProbe",
    [CFG_PROBE_LIVENESS] = "livenessProbe",
    [CFG_PROBE_READINESS] = "readinessProbe",
};

static const char *const handler_names[] = {
    [HANDLER_EXEC] = "exec",
    [HANDLER_HTTP] = "httpGet",
    [HANDLER_TCP] = "tcpSocket",
    [HANDLER_SLEEP] = "sleep",
};

static void *section_base(struct cfg_parse *pc)
{
	switch (pc->sec) {
	case CFG_SEC_BERTH:
		return pc->cfg;
	case CFG_SEC_DEPLOYMENT:
		return &pc->cfg->deployments[pc->idx];
	case CFG_SEC_SERVICE:
		return &pc->cfg->services[pc->idx];
	default:
		return NULL;
	}
}

int cfg_seen_line(const struct cfg_parse *pc, enum cfg_section sec, size_t idx,
		  const char *key)
{
	for (size_t i = 0; i < pc->n_seen; i++) {
		const struct cfg_seen *s = &pc->seen[i];

		if (s->sec == sec && s->idx == idx && strcmp(s->key, key) == 0)
			return s->line;
	}
	return 0;
}

int cfg_seen_prefix_line(const struct cfg_parse *pc, enum cfg_section sec,
			 size_t idx, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < pc->n_seen; i++) {
		const struct cfg_seen *s = &pc->seen[i];

		if (s->sec == sec && s->idx == idx &&
		    strncmp(s->key, prefix, n) == 0)
			return s->line;
	}
	return 0;
}

void cfg_seen_free(struct cfg_parse *pc)
{
	for (size_t i = 0; i < pc->n_seen; i++)
		free(pc->seen[i].key);
	free(pc->seen);
	pc->seen = NULL;
	pc->n_seen = 0;
}

static void seen_add(struct cfg_parse *pc, const char *key)
{
	pc->seen = xrealloc(pc->seen, (pc->n_seen + 1) * sizeof(*pc->seen));
	pc->seen[pc->n_seen++] = (struct cfg_seen){.sec = pc->sec,
						   .idx = pc->idx,
						   .key = xstrdup(key),
						   .line = pc->line};
}

/*
 * Finds key in table for the current section; for prefix entries descends
 * into the sub-table, moving *base to the nested struct.
 */
static const struct cfg_key *lookup(struct cfg_parse *pc,
				    const struct cfg_key *table,
				    const char *key, char **base)
{
	for (const struct cfg_key *k = table; k->name != NULL; k++) {
		size_t n = strlen(k->name);

		if (k->section != pc->sec)
			continue;
		if (k->sub != NULL) {
			if (strncmp(key, k->name, n) != 0)
				continue;
			*base += k->offset;
			pc->probe = k->probe;
			return lookup(pc, k->sub, key + n, base);
		}
		if (strcmp(key, k->name) == 0)
			return k;
	}
	return NULL;
}

/* The probe-only rules that depend on which probe a key belongs to. */
static int probe_rules(struct cfg_parse *pc, const struct cfg_key *k,
		       const char *value)
{
	long long v;

	if (pc->probe == CFG_PROBE_NONE)
		return 0;
	if ((k->flags & CFG_KEY_NOT_READINESS) &&
	    pc->probe == CFG_PROBE_READINESS)
		return cfg_perr(pc,
				"%s: not allowed on a readiness probe (only "
				"livenessProbe and startupProbe have it)",
				pc->key);
	if ((k->flags & CFG_KEY_ONE_NOT_READINESS) &&
	    pc->probe != CFG_PROBE_READINESS && str_parse_ll(value, &v) == 0 &&
	    v != 1)
		return cfg_perr(pc, "%s: must be 1 for a %s (got \"%s\")",
				pc->key, probe_labels[pc->probe], value);
	return 0;
}

int cfg_keys_apply(struct cfg_parse *pc, const char *key, const char *value)
{
	char *base = section_base(pc);
	const struct cfg_key *k;
	char label[CFG_NAME_MAX + 32];
	int first;

	pc->probe = CFG_PROBE_NONE;
	pc->key = key;
	k = lookup(pc, keys, key, &base);
	if (k == NULL)
		return cfg_perr(pc, "unknown key \"%s\" in %s", key,
				cfg_section_label(pc, pc->sec, pc->idx, label,
						  sizeof(label)));
	first = cfg_seen_line(pc, pc->sec, pc->idx, key);
	if (first > 0 && !(k->flags & CFG_KEY_REPEATABLE))
		return cfg_perr(pc,
				"duplicate key \"%s\" in %s (first set on "
				"line %d)",
				key,
				cfg_section_label(pc, pc->sec, pc->idx, label,
						  sizeof(label)),
				first);
	if (probe_rules(pc, k, value) == -1)
		return -1;
	if (k->hkind != HANDLER_NONE) {
		struct handler_spec *h =
		    (struct handler_spec *)(base + k->hoff);

		if (h->kind != HANDLER_NONE && h->kind != k->hkind) {
			const char *what = pc->probe != CFG_PROBE_NONE
					       ? probe_labels[pc->probe]
					       : "lifecycle.preStop";

			return cfg_perr(pc,
					"%s: both %s and %s are set; choose "
					"exactly one handler",
					what, handler_names[h->kind],
					handler_names[k->hkind]);
		}
		h->kind = k->hkind;
	}
	if (pc->probe != CFG_PROBE_NONE)
		((struct probe_spec *)base)->set = true;
	seen_add(pc, key);
	return k->parse(pc, k, base + k->offset, value);
}

void cfg_deployment_keys(void (*fn)(const char *key, void *arg), void *arg)
{
	char name[128];

	for (const struct cfg_key *k = keys; k->name != NULL; k++) {
		if (k->section != CFG_SEC_DEPLOYMENT)
			continue;
		if (k->sub == NULL) {
			fn(k->name, arg);
			continue;
		}
		for (const struct cfg_key *s = k->sub; s->name != NULL; s++) {
			snprintf(name, sizeof(name), "%s%s", k->name, s->name);
			fn(name, arg);
		}
	}
}
