/*
 * config_validate.c - rules that span keys, run once the whole file is
 * parsed: required keys, probe and preStop handlers complete, rollout
 * numbers consistent, listeners unique; and Kubernetes' $(VAR) expansion of
 * env, command and args, which needs the whole env list. Errors go through
 * cfg_verr() so the one reported is the first in the file.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "config_internal.h"

#define DEP CFG_SEC_DEPLOYMENT
#define SVC CFG_SEC_SERVICE

static int later(int a, int b)
{
	return a > b ? a : b;
}

struct env_view {
	char **v;
	size_t n;
};

/* The last definition of name among the entries visible so far wins. */
static const char *env_lookup(void *arg, const char *name, size_t len)
{
	const struct env_view *ev = arg;

	for (size_t i = ev->n; i-- > 0;) {
		if (strncmp(ev->v[i], name, len) == 0 && ev->v[i][len] == '=')
			return ev->v[i] + len + 1;
	}
	return NULL;
}

/*
 * As Kubernetes: each env value may use the variables defined before it;
 * command and args may use all of them.
 */
static void expand(struct deployment_spec *d)
{
	struct env_view ev = {d->env.v, 0};
	struct strv *lists[] = {&d->command, &d->args};

	for (size_t i = 0; i < d->env.n; i++) {
		char *eq = strchr(d->env.v[i], '=');
		char *val = str_expand_vars(eq + 1, env_lookup, &ev);
		char *entry = xasprintf("%.*s=%s", (int)(eq - d->env.v[i]),
					d->env.v[i], val);

		free(val);
		free(d->env.v[i]);
		d->env.v[i] = entry;
		ev.n = i + 1;
	}
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			char *w =
			    str_expand_vars(lists[l]->v[i], env_lookup, &ev);

			free(lists[l]->v[i]);
			lists[l]->v[i] = w;
		}
	}
}

static void check_backoff(struct cfg_parse *pc)
{
	const struct berth_config *c = pc->cfg;

	if (c->backoff_max_seconds < c->backoff_initial_seconds) {
		int line =
		    later(cfg_seen_line(pc, CFG_SEC_BERTH, 0,
					"crashLoopBackOff.maxSeconds"),
			  cfg_seen_line(pc, CFG_SEC_BERTH, 0,
					"crashLoopBackOff.initialSeconds"));

		cfg_verr(pc, line,
			 "crashLoopBackOff.maxSeconds (%d) must be at least "
			 "crashLoopBackOff.initialSeconds (%d)",
			 c->backoff_max_seconds, c->backoff_initial_seconds);
	}
}

/* The kubelet's rule: the low watermark is below the high one. */
static void check_image_gc(struct cfg_parse *pc)
{
	const struct berth_config *c = pc->cfg;

	if (c->image_gc_low_percent >= c->image_gc_high_percent) {
		int line = later(cfg_seen_line(pc, CFG_SEC_BERTH, 0,
					       "imageGCLowThresholdPercent"),
				 cfg_seen_line(pc, CFG_SEC_BERTH, 0,
					       "imageGCHighThresholdPercent"));

		cfg_verr(pc, line,
			 "imageGCLowThresholdPercent (%d) must be less than "
			 "imageGCHighThresholdPercent (%d)",
			 c->image_gc_low_percent, c->image_gc_high_percent);
	}
}

/*
 * A handler's port given by name is the container's port of that name, as
 * Kubernetes looks it up among the container's ports (berth's one port is
 * `port`, named by portName, so its template tells at once): its number is
 * filled in, and a name the container has no port of is an error here, as
 * Kubernetes' API validation makes it.
 */
static void resolve_port_name(struct cfg_parse *pc, size_t i,
			      struct handler_spec *h, const char *prefix)
{
	const struct deployment_spec *d = &pc->cfg->deployments[i];
	bool http = h->kind == HANDLER_HTTP;
	char key[64], why[64];

	if (h->port_name == NULL || (!http && h->kind != HANDLER_TCP))
		return;
	if (d->port > 0 && d->port_name &&
	    strcmp(d->port_name, h->port_name) == 0) {
		*(http ? &h->http_port : &h->tcp_port) = d->port;
		return;
	}
	snprintf(key, sizeof(key), "%s.%s", prefix,
		 http ? "httpGet.port" : "tcpSocket.port");
	if (d->port > 0 && d->port_name)
		snprintf(why, sizeof(why), "its port %d is named `%s`", d->port,
			 d->port_name);
	else
		snprintf(why, sizeof(why), "%s",
			 d->port > 0 ? "its port has no portName"
				     : "it has no port");
	cfg_verr(pc, cfg_seen_line(pc, DEP, i, key),
		 "%s: the container has no port named `%s` (%s)", key,
		 h->port_name, why);
}

/* An httpGet handler needs a port; its path defaults to "/". */
static void check_http(struct cfg_parse *pc, size_t i, struct handler_spec *h,
		       const char *prefix)
{
	char key[64];

	resolve_port_name(pc, i, h, prefix);
	if (h->kind != HANDLER_HTTP)
		return;
	if (h->http_path == NULL)
		h->http_path = xstrdup("/");
	if (h->http_port == 0 && h->port_name == NULL) {
		snprintf(key, sizeof(key), "%s.httpGet.", prefix);
		cfg_verr(pc, cfg_seen_prefix_line(pc, DEP, i, key),
			 "%s.httpGet.port is required", prefix);
	}
}

static void check_probe(struct cfg_parse *pc, size_t i, struct probe_spec *p,
			const char *name)
{
	char prefix[32];

	if (!p->set)
		return;
	snprintf(prefix, sizeof(prefix), "%s.", name);
	if (p->handler.kind == HANDLER_NONE) {
		cfg_verr(pc, cfg_seen_prefix_line(pc, DEP, i, prefix),
			 "%s has no handler: set exec.command, httpGet.port "
			 "or tcpSocket.port",
			 name);
		return;
	}
	check_http(pc, i, &p->handler, name);
}

static void check_deployment(struct cfg_parse *pc, size_t i)
{
	struct deployment_spec *d = &pc->cfg->deployments[i];
	int l1, l2;

	if (d->image == NULL)
		cfg_verr(pc, d->line, "image is required in [deployment %s]",
			 d->name);
	/* a folder has no entrypoint; an image reference's config does */
	if (d->command.n == 0 && d->image && d->image[0] == '/')
		cfg_verr(pc, d->line, "command is required in [deployment %s]",
			 d->name);

	l1 = cfg_seen_line(pc, DEP, i, "portName");
	if (l1 && d->port == 0)
		cfg_verr(pc, l1, "portName needs port in [deployment %s]",
			 d->name);
	cfg_check_strategy(pc, i); /* config_bluegreen.c */
	l1 = cfg_seen_line(pc, DEP, i, "strategy.canary.steps");
	if (l1 && d->strategy != STRATEGY_CANARY)
		cfg_verr(pc, l1,
			 "strategy.canary.steps may only be set when "
			 "strategy.type is Canary");
	l1 = cfg_seen_line(pc, DEP, i, "strategy.canary.stickiness.cookie");
	if (l1 && d->strategy != STRATEGY_CANARY)
		cfg_verr(pc, l1,
			 "strategy.canary.stickiness.cookie may only be set "
			 "when strategy.type is Canary");
	l1 = cfg_seen_line(pc, DEP, i, "strategy.rollingUpdate.maxSurge");
	l2 = cfg_seen_line(pc, DEP, i, "strategy.rollingUpdate.maxUnavailable");
	if (d->strategy == STRATEGY_RECREATE && (l1 || l2))
		cfg_verr(pc, l1 && (!l2 || l1 < l2) ? l1 : l2,
			 "strategy.rollingUpdate.* may not be set when "
			 "strategy.type is Recreate");
	if (d->max_surge.value == 0 && d->max_unavailable.value == 0)
		cfg_verr(pc, later(l1, l2),
			 "strategy.rollingUpdate.maxSurge and maxUnavailable "
			 "cannot both be 0");

	if (d->progress_deadline_seconds <= d->min_ready_seconds)
		cfg_verr(
		    pc,
		    later(cfg_seen_line(pc, DEP, i, "progressDeadlineSeconds"),
			  cfg_seen_line(pc, DEP, i, "minReadySeconds")),
		    "progressDeadlineSeconds (%d) must be greater than "
		    "minReadySeconds (%d)",
		    d->progress_deadline_seconds, d->min_ready_seconds);

	check_probe(pc, i, &d->startup_probe, "startupProbe");
	check_probe(pc, i, &d->liveness_probe, "livenessProbe");
	check_probe(pc, i, &d->readiness_probe, "readinessProbe");
	check_http(pc, i, &d->pre_stop, "lifecycle.preStop");
	if (d->pre_stop.kind == HANDLER_SLEEP &&
	    d->pre_stop.sleep_seconds > d->termination_grace_period_seconds)
		cfg_verr(pc,
			 cfg_seen_line(pc, DEP, i,
				       "lifecycle.preStop.sleep.seconds"),
			 "lifecycle.preStop.sleep.seconds (%d) must not exceed "
			 "terminationGracePeriodSeconds (%d)",
			 d->pre_stop.sleep_seconds,
			 d->termination_grace_period_seconds);
	expand(d);
}

/* Canonical address text and port of a valid ADDR:PORT. */
static int listen_key(const char *s, char *addr, size_t len, int *port)
{
	char host[64];
	unsigned char bin[16];
	const char *why;
	int af;

	if (str_split_hostport(s, host, sizeof(host), port, &why) == -1)
		return -1;
	af = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, host, bin) != 1 || !inet_ntop(af, bin, addr, len))
		return -1;
	return 0;
}

static bool is_any(const char *a)
{
	return strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0;
}

/* Two listeners clash on the same port when one of them binds all. */
static bool clash(const char *a, const char *b)
{
	char aa[64], ab[64];
	int pa, pb;

	if (a == NULL || b == NULL || listen_key(a, aa, sizeof(aa), &pa) ||
	    listen_key(b, ab, sizeof(ab), &pb))
		return false;
	return pa == pb && (strcmp(aa, ab) == 0 || is_any(aa) || is_any(ab));
}

static void check_service(struct cfg_parse *pc, size_t i)
{
	const struct service_spec *s = &pc->cfg->services[i];
	int line = cfg_seen_line(pc, SVC, i, "listen");

	if (s->listen == NULL)
		cfg_verr(pc, s->line, "listen is required in [service %s]",
			 s->name);
	if (cfg_seen_line(pc, SVC, i, "selector") == 0)
		cfg_verr(pc, s->line, "selector is required in [service %s]",
			 s->name);
	if (s->target_port == 0 && s->target_port_name == NULL)
		cfg_verr(pc, s->line, "targetPort is required in [service %s]",
			 s->name);
	if (s->listen == NULL)
		return;
	for (size_t j = 0; j < i; j++) {
		const struct service_spec *o = &pc->cfg->services[j];

		if (clash(s->listen, o->listen))
			cfg_verr(pc, line,
				 "listen %s: the address is already used by "
				 "[service %s] (line %d)",
				 s->listen, o->name,
				 cfg_seen_line(pc, SVC, j, "listen"));
	}
	if (clash(s->listen, pc->cfg->admin))
		cfg_verr(pc, line,
			 "listen %s: the address is already used by admin = "
			 "%s in [berth]",
			 s->listen, pc->cfg->admin);
}

int cfg_validate(struct cfg_parse *pc)
{
	check_backoff(pc);
	check_image_gc(pc);
	for (size_t i = 0; i < pc->cfg->n_deployments; i++)
		check_deployment(pc, i);
	for (size_t i = 0; i < pc->cfg->n_services; i++)
		check_service(pc, i);
	cfg_analysis_validate(pc);
	return pc->failed ? -1 : 0;
}
