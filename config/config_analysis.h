/*
 * config_analysis.h - `[analysis NAME]` sections (Argo Rollouts'
 * AnalysisTemplate in berth's dotted form: metrics.METRIC.FIELD) and the
 * references to them from a Canary deployment. Values only; running the
 * measurements is analysis/'s.
 */
#ifndef BERTH_CONFIG_CONFIG_ANALYSIS_H
#define BERTH_CONFIG_CONFIG_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

enum analysis_provider {
	APROV_NONE,
	APROV_BERTH, /* the proxy's per-revision counters */
	APROV_WEB,   /* an HTTP request, a value picked by jsonPath */
	APROV_EXEC   /* a command in a pod of the canary */
};

struct analysis_metric {
	char *name;
	int line;		     /* first key of the metric */
	int64_t interval_ms;	     /* 0: unset (one measurement) */
	int64_t initial_delay_ms;    /* 0 */
	int count;		     /* -1: unset */
	char *success_condition;     /* NULL: unset */
	char *failure_condition;     /* NULL: unset */
	int failure_limit;	     /* 0 */
	int inconclusive_limit;	     /* 0 */
	int consecutive_error_limit; /* 4 */
	enum analysis_provider provider;
	/* berth */
	char *berth_service; /* NULL: every service selecting the deployment */
	int berth_min_requests; /* 10 */
	/* web */
	char *web_url;
	char *web_method; /* NULL: GET */
	struct kvlist web_headers;
	char *web_body;
	char *web_json_path;
	int web_timeout_seconds; /* 10 */
	/* exec */
	struct strv exec_command;
	int exec_timeout_seconds; /* 10 */
};

struct analysis_template {
	char *name;
	int line;
	struct analysis_metric *metrics;
	size_t n_metrics;
};

/* strategy.canary.analysis: a background run across the steps. */
struct canary_analysis {
	struct strv templates; /* empty: none */
	int starting_step;     /* 1-based step it starts at; 0 at once */
};

void analysis_template_free(struct analysis_template *t);
/* A deep copy into dst. */
void analysis_template_dup(struct analysis_template *dst,
			   const struct analysis_template *src);
#endif
