/*
 * internal.h - what the files of analysis/ share: a run and its metrics
 * in progress, and the providers' entry points. Private to analysis/.
 */
#ifndef BERTH_ANALYSIS_INTERNAL_H
#define BERTH_ANALYSIS_INTERNAL_H

#include <jansson.h>
#include <uv.h>

#include "../proxy/proxy.h"
#include "analysis.h"
#include "judge.h"

struct rt_exec;
struct web_job;

struct metric_run {
	struct analysis_run *run;
	const struct analysis_metric *m; /* in run->templates */
	const char *tmpl;		 /* its template's name */
	int count;			 /* analysis_effective_count */
	struct metric_tally t;
	enum analysis_phase phase;
	uv_timer_t timer;
	bool have_base; /* berth: a first reading was taken */
	struct proxy_rev_counts base;
	struct rt_exec *exec; /* exec measurement in flight */
	struct web_job *web;  /* web measurement in flight */
	char last[480];	      /* the last measurement, as its event said */
	char why[160];	      /* what decided the phase */
	json_t *measurements; /* [{time, phase, message}], newest last */
};

struct analysis_run {
	struct analysis_runs *rs;
	struct analysis_run *next;
	char name[112];
	char owner[112];
	char revision[16];
	char what[32];
	bool background;
	struct analysis_template *templates;
	size_t n_templates;
	char **services;
	size_t n_services;
	struct metric_run *metrics;
	size_t n_metrics;
	enum analysis_phase phase;
	char message[400];
	int64_t started_ms, ended_ms; /* wall time */
	analysis_done_fn done;
	void *done_arg;
	int open_handles;     /* timers not yet closed */
	bool detached;	      /* registry gone: free when the handles are */
	bool verdict_pending; /* every metric skipped: ends from the loop */
	bool stopped;	      /* ended by analysis_run_stop, not by itself */
	bool unclaimed;	      /* resumed after a restart, no owner yet */
	/* An ended run read back after a restart: its JSON as saved (no
	 * templates, metrics or timers); NULL for a run of this daemon. */
	json_t *frozen;
};

struct analysis_runs {
	struct analysis_env env;
	struct analysis_run *runs; /* oldest first */
	unsigned seq;
};

/* run.c, for run_json.c: */
void arun_note(struct analysis_run *r, const char *type, const char *reason,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Tells env.changed that r's owner has runs to save again. */
void arun_changed(struct analysis_run *r);
struct analysis_run *arun_find(struct analysis_runs *rs, const char *name);
/* Metrics in s's templates, or -1 with err (none, or more than 64). */
int arun_count_metrics(const struct analysis_start *s, struct berr *err);
/* A run of s with nm metrics, their timers made, not yet listed
 * (arun_link) and unnamed. */
struct analysis_run *arun_new(struct analysis_runs *rs,
			      const struct analysis_start *s, size_t nm);
void arun_link(struct analysis_runs *rs, struct analysis_run *r);
/* Arms a metric's first measurement (or skips it: count 0). */
void arun_start_metric(struct metric_run *mr);
void arun_arm(struct metric_run *mr, int64_t ms);
/* Every metric already ended (skipped): the verdict from the loop. */
void arun_check_all_skipped(struct analysis_run *r);
/* Drops the oldest ended runs past the bounds (owner's, then all). */
void arun_prune(struct analysis_runs *rs, const char *owner);

/* A measurement ended with outcome; msg says what was measured. */
void analysis_measured(struct metric_run *mr, enum analysis_phase outcome,
		       const char *msg);
/* Evaluates the metric's conditions over result (root, and bare
 * `result` = dflt when root is an object; dflt may be NULL) and writes
 * the values the conditions read and their verdicts into buf. */
enum analysis_phase analysis_conditions(const struct analysis_metric *m,
					json_t *root, json_t *dflt, char *buf,
					size_t len);

/* Providers: take one measurement; each ends in analysis_measured(),
 * never inside the call for exec and web. */
void provider_berth_measure(struct metric_run *mr);
void provider_berth_base(struct metric_run *mr);
void provider_exec_measure(struct metric_run *mr);
void provider_exec_cancel(struct metric_run *mr);
void provider_web_measure(struct metric_run *mr);
void provider_web_cancel(struct metric_run *mr);

#endif
