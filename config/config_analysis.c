/*
 * config_analysis.c - `[analysis NAME]` sections: opening one, the
 * metrics.METRIC.FIELD keys (the fields are config_keys.c's table
 * cfg_metric_keys), their values (durations, conditions, URLs), the
 * rules across fields, and the references from Canary deployments
 * (steps `analysis NAME`, strategy.canary.analysis.templates). Conditions
 * are parsed here with analysis/expr.c so that a bad one fails the load
 * with FILE:LINE; what a metric measures is analysis/'s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/expr.h"
#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "config_internal.h"

#define AN CFG_SEC_ANALYSIS

void cfg_strv_add(struct strv *sv, const char *s)
{
	sv->v = xrealloc(sv->v, (sv->n + 2) * sizeof(*sv->v));
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

static void metric_free(struct analysis_metric *m)
{
	free(m->name);
	free(m->success_condition);
	free(m->failure_condition);
	free(m->berth_service);
	free(m->web_url);
	free(m->web_method);
	kvlist_free(&m->web_headers);
	free(m->web_body);
	free(m->web_json_path);
	strv_free(&m->exec_command);
}

void analysis_template_free(struct analysis_template *t)
{
	free(t->name);
	for (size_t i = 0; i < t->n_metrics; i++)
		metric_free(&t->metrics[i]);
	free(t->metrics);
	memset(t, 0, sizeof(*t));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void analysis_template_dup(struct analysis_template *dst,
			   const struct analysis_template *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->metrics =
	    xcalloc(src->n_metrics ? src->n_metrics : 1, sizeof(*dst->metrics));
	for (size_t i = 0; i < src->n_metrics; i++) {
		const struct analysis_metric *s = &src->metrics[i];
		struct analysis_metric *m = &dst->metrics[i];

		*m = *s;
		m->name = xstrdup(s->name);
		m->success_condition = dup_or_null(s->success_condition);
		m->failure_condition = dup_or_null(s->failure_condition);
		m->berth_service = dup_or_null(s->berth_service);
		m->web_url = dup_or_null(s->web_url);
		m->web_method = dup_or_null(s->web_method);
		m->web_body = dup_or_null(s->web_body);
		m->web_json_path = dup_or_null(s->web_json_path);
		m->web_headers = (struct kvlist){0};
		if (s->web_headers.n) {
			m->web_headers.v =
			    xcalloc(s->web_headers.n, sizeof(struct kv));
			for (size_t h = 0; h < s->web_headers.n; h++)
				m->web_headers.v[h] = (struct kv){
				    xstrdup(s->web_headers.v[h].key),
				    xstrdup(s->web_headers.v[h].value)};
			m->web_headers.n = s->web_headers.n;
		}
		m->exec_command = (struct strv){0};
		for (size_t a = 0; a < s->exec_command.n; a++)
			cfg_strv_add(&m->exec_command, s->exec_command.v[a]);
	}
}

const struct analysis_template *cfg_find_analysis(const struct berth_config *c,
						  const char *name)
{
	for (size_t i = 0; i < c->n_analyses; i++)
		if (!strcmp(c->analyses[i].name, name))
			return &c->analyses[i];
	return NULL;
}

int cfg_analysis_open(struct cfg_parse *pc, const char *name)
{
	struct analysis_template *t;
	size_t n = pc->cfg->n_analyses;

	if (!str_is_dns_label(name, CFG_NAME_MAX))
		return cfg_perr(pc,
				"analysis name \"%s\" must be a lowercase "
				"DNS-1123 label of at most %d characters",
				name, CFG_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(pc->cfg->analyses[i].name, name))
			return cfg_perr(pc,
					"duplicate section [analysis %s] "
					"(first defined on line %d)",
					name, pc->cfg->analyses[i].line);
	pc->cfg->analyses =
	    xrealloc(pc->cfg->analyses, (n + 1) * sizeof(*pc->cfg->analyses));
	t = &pc->cfg->analyses[n];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->line = pc->line;
	pc->cfg->n_analyses++;
	pc->sec = AN;
	pc->idx = n;
	return 0;
}

static struct analysis_metric *metric_get(struct analysis_template *t,
					  const char *name, int line)
{
	struct analysis_metric *m;

	for (size_t i = 0; i < t->n_metrics; i++)
		if (!strcmp(t->metrics[i].name, name))
			return &t->metrics[i];
	t->metrics =
	    xrealloc(t->metrics, (t->n_metrics + 1) * sizeof(*t->metrics));
	m = &t->metrics[t->n_metrics++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->line = line;
	m->count = -1;
	m->consecutive_error_limit = 4;
	m->berth_min_requests = 10;
	m->web_timeout_seconds = 10;
	m->exec_timeout_seconds = 10;
	return m;
}

static const char *const provider_names[] = {
    [APROV_BERTH] = "berth", [APROV_WEB] = "web", [APROV_EXEC] = "exec"};

int cfg_analysis_apply(struct cfg_parse *pc, const char *key, const char *value)
{
	struct analysis_template *t = &pc->cfg->analyses[pc->idx];
	const struct cfg_key *k;
	struct analysis_metric *m;
	char name[CFG_NAME_MAX + 2];
	const char *dot, *field;
	enum analysis_provider prov = APROV_NONE;
	int first;

	pc->key = key;
	if (strncmp(key, "metrics.", 8) != 0 ||
	    (dot = strchr(key + 8, '.')) == NULL)
		return cfg_perr(pc,
				"unknown key \"%s\" in [analysis %s] (keys "
				"are metrics.METRIC.FIELD, e.g. "
				"metrics.success-rate.interval)",
				key, t->name);
	if ((size_t)(dot - (key + 8)) >= sizeof(name))
		return cfg_perr(pc, "%s: metric name longer than %d", key,
				CFG_NAME_MAX);
	snprintf(name, sizeof(name), "%.*s", (int)(dot - (key + 8)), key + 8);
	if (!str_is_dns_label(name, CFG_NAME_MAX))
		return cfg_perr(pc,
				"%s: metric name \"%s\" must be a lowercase "
				"DNS-1123 label",
				key, name);
	field = dot + 1;
	k = cfg_metric_key(field);
	if (k == NULL)
		return cfg_perr(pc, "unknown key \"%s\" in [analysis %s]", key,
				t->name);
	first = cfg_seen_line(pc, AN, pc->idx, key);
	if (first > 0 && !(k->flags & CFG_KEY_REPEATABLE))
		return cfg_perr(pc,
				"duplicate key \"%s\" in [analysis %s] (first "
				"set on line %d)",
				key, t->name, first);
	m = metric_get(t, name, pc->line);
	for (int p = APROV_BERTH; p <= APROV_EXEC; p++) {
		size_t n = strlen(provider_names[p]);

		if (!strncmp(field, "provider.", 9) &&
		    !strncmp(field + 9, provider_names[p], n) &&
		    field[9 + n] == '.')
			prov = (enum analysis_provider)p;
	}
	if (prov != APROV_NONE) {
		if (m->provider != APROV_NONE && m->provider != prov)
			return cfg_perr(pc,
					"metric %s: both provider.%s and "
					"provider.%s are set; choose one "
					"provider",
					name, provider_names[m->provider],
					provider_names[prov]);
		m->provider = prov;
	}
	cfg_seen_record(pc, key);
	return k->parse(pc, k, (char *)m + k->offset, value);
}

/* Argo's durations: N (seconds), Nms, Ns, Nm or Nh; into int64_t ms. */
int cfg_parse_duration_ms(struct cfg_parse *pc, const struct cfg_key *k,
			  void *field, const char *value)
{
	char *end;
	long long v, mult = 1000;

	(void)k;
	errno = 0;
	v = value[0] >= '0' && value[0] <= '9' ? strtoll(value, &end, 10) : -1;
	if (v >= 0 && errno == 0) {
		if (!strcmp(end, "ms"))
			mult = 1;
		else if (!strcmp(end, "s") || *end == '\0')
			mult = 1000;
		else if (!strcmp(end, "m"))
			mult = 60000;
		else if (!strcmp(end, "h"))
			mult = 3600000;
		else
			v = -1;
	}
	if (v < 0 || errno || v > 1000000000LL)
		return cfg_perr(pc,
				"%s: \"%s\" is not a duration (N, Nms, Ns, Nm "
				"or Nh)",
				pc->key, value);
	*(int64_t *)field = v * mult;
	return 0;
}

int cfg_parse_condition(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value)
{
	struct berr err = BERR_INIT;
	struct expr *e = expr_parse(value, &err);

	(void)k;
	if (e == NULL)
		return cfg_perr(pc, "%s: %s", pc->key, err.msg);
	expr_free(e);
	free(*(char **)field);
	*(char **)field = xstrdup(value);
	return 0;
}

int cfg_parse_string(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value)
{
	(void)k;
	if (value[0] == '\0')
		return cfg_perr(pc, "%s: value is empty", pc->key);
	free(*(char **)field);
	*(char **)field = xstrdup(value);
	return 0;
}

/* http://HOST[:PORT]/PATH with HOST a loopback address: berth reaches
 * only 127.0.0.1 and ::1 (and its own network namespaces). */
int cfg_parse_url(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value)
{
	const char *h;

	if (strncmp(value, "http://", 7) != 0)
		return cfg_perr(pc,
				"%s: \"%s\": only http:// URLs are supported",
				pc->key, value);
	h = value + 7;
	if (strncmp(h, "127.0.0.1", 9) && strncmp(h, "[::1]", 5) &&
	    strncmp(h, "localhost", 9))
		return cfg_perr(pc,
				"%s: \"%s\": the host must be 127.0.0.1, [::1] "
				"or localhost",
				pc->key, value);
	if (strpbrk(value, " \t"))
		return cfg_perr(pc, "%s: \"%s\" contains a blank", pc->key,
				value);
	return cfg_parse_string(pc, k, field, value);
}

/* The berth provider's fields (analysis/provider_berth.c fills them). */
static const char *const berth_fields[] = {
    "result",		"result.requests", "result.successRate",
    "result.errorRate", "result.errors",   "result.p50",
    "result.p90",	"result.p99",	   NULL};

struct ref_check {
	struct cfg_parse *pc;
	int line;
	const char *key;
};

static int check_berth_ref(void *arg, const char *ref, int column)
{
	struct ref_check *rc = arg;

	for (size_t i = 0; berth_fields[i]; i++)
		if (!strcmp(berth_fields[i], ref))
			return 0;
	cfg_verr(rc->pc, rc->line,
		 "%s: column %d: the berth provider has no `%s` (it gives "
		 "result (= result.successRate), result.requests, "
		 "result.successRate, result.errorRate, result.errors, "
		 "result.p50, result.p90, result.p99)",
		 rc->key, column, ref);
	return 1;
}

static void check_refs(struct cfg_parse *pc, size_t ti,
		       const struct analysis_metric *m, const char *cond,
		       const char *field)
{
	char key[128];
	struct berr err = BERR_INIT;
	struct expr *e;
	struct ref_check rc = {.pc = pc, .key = key};

	if (cond == NULL || m->provider != APROV_BERTH)
		return;
	snprintf(key, sizeof(key), "metrics.%s.%s", m->name, field);
	rc.line = cfg_seen_line(pc, AN, ti, key);
	e = expr_parse(cond, &err);
	if (e)
		expr_walk_refs(e, check_berth_ref, &rc);
	expr_free(e);
}

void cfg_analysis_check_refs(struct cfg_parse *pc, const struct strv *names,
			     int line, const char *what)
{
	for (size_t i = 0; i < names->n; i++)
		if (cfg_find_analysis(pc->cfg, names->v[i]) == NULL)
			cfg_verr(pc, line,
				 "%s: no [analysis %s] section in this file",
				 what, names->v[i]);
}

void cfg_analysis_validate(struct cfg_parse *pc)
{
	for (size_t ti = 0; ti < pc->cfg->n_analyses; ti++) {
		const struct analysis_template *t = &pc->cfg->analyses[ti];

		if (t->n_metrics == 0)
			cfg_verr(pc, t->line,
				 "[analysis %s] has no metric (set at least "
				 "metrics.NAME.provider.berth.minRequests, "
				 "provider.web.url or provider.exec.command)",
				 t->name);
		for (size_t i = 0; i < t->n_metrics; i++) {
			const struct analysis_metric *m = &t->metrics[i];

			if (m->provider == APROV_NONE)
				cfg_verr(pc, m->line,
					 "[analysis %s] metric %s has no "
					 "provider (provider.berth.*, "
					 "provider.web.url or "
					 "provider.exec.command)",
					 t->name, m->name);
			if (m->provider == APROV_WEB && m->web_url == NULL)
				cfg_verr(pc, m->line,
					 "[analysis %s] metric %s: "
					 "provider.web.url is required",
					 t->name, m->name);
			if (m->provider == APROV_EXEC && m->exec_command.n == 0)
				cfg_verr(pc, m->line,
					 "[analysis %s] metric %s: "
					 "provider.exec.command is required",
					 t->name, m->name);
			if (m->provider == APROV_BERTH &&
			    m->success_condition == NULL &&
			    m->failure_condition == NULL)
				cfg_verr(pc, m->line,
					 "[analysis %s] metric %s: the berth "
					 "provider needs successCondition or "
					 "failureCondition (e.g. "
					 "result.successRate >= 0.99)",
					 t->name, m->name);
			if (m->provider == APROV_BERTH && m->interval_ms == 0)
				cfg_verr(pc, m->line,
					 "[analysis %s] metric %s: the berth "
					 "provider needs an interval (the "
					 "window its counters are read over)",
					 t->name, m->name);
			if (m->count > 1 && m->interval_ms == 0)
				cfg_verr(pc, m->line,
					 "[analysis %s] metric %s: count %d "
					 "needs an interval",
					 t->name, m->name, m->count);
			check_refs(pc, ti, m, m->success_condition,
				   "successCondition");
			check_refs(pc, ti, m, m->failure_condition,
				   "failureCondition");
		}
	}
	for (size_t di = 0; di < pc->cfg->n_deployments; di++) {
		const struct deployment_spec *d = &pc->cfg->deployments[di];
		int line;

		for (size_t s = 0; s < d->canary_steps.n; s++)
			if (d->canary_steps.v[s].kind == CANARY_ANALYSIS)
				cfg_analysis_check_refs(
				    pc, &d->canary_steps.v[s].templates,
				    d->canary_steps.v[s].line,
				    "strategy.canary.steps: analysis");
		static const char *const bg_keys[] = {
		    "strategy.blueGreen.prePromotionAnalysis",
		    "strategy.blueGreen.postPromotionAnalysis"};
		const char *bg_names[] = {d->bluegreen.pre_promotion_analysis,
					  d->bluegreen.post_promotion_analysis};
		for (int k = 0; k < 2; k++) {
			struct strv one = {0};
			if (!bg_names[k])
				continue;
			cfg_strv_add(&one, bg_names[k]);
			cfg_analysis_check_refs(
			    pc, &one,
			    cfg_seen_line(pc, CFG_SEC_DEPLOYMENT, di,
					  bg_keys[k]),
			    bg_keys[k]);
			strv_free(&one);
		}
		line = cfg_seen_line(pc, CFG_SEC_DEPLOYMENT, di,
				     "strategy.canary.analysis.templates");
		cfg_analysis_check_refs(pc, &d->canary_analysis.templates, line,
					"strategy.canary.analysis.templates");
		if (line && d->strategy != STRATEGY_CANARY)
			cfg_verr(pc, line,
				 "strategy.canary.analysis.* may only be set "
				 "when strategy.type is Canary");
		line = cfg_seen_line(pc, CFG_SEC_DEPLOYMENT, di,
				     "strategy.canary.analysis.startingStep");
		if (line && (size_t)d->canary_analysis.starting_step >=
				d->canary_steps.n + (d->canary_steps.n == 0))
			cfg_verr(pc, line,
				 "strategy.canary.analysis.startingStep %d: "
				 "there are only %zu steps (it is a 0-based "
				 "index)",
				 d->canary_analysis.starting_step,
				 d->canary_steps.n);
	}
}
