/*
 * run.c - analysis runs (see analysis.h): the registry, each metric's
 * timer (initialDelay, then every interval), conditions over a
 * provider's result, the tally after each measurement, the run's end,
 * and the events stating every number; each change told to
 * env.changed (the caller saves the runs). Providers measure
 * (provider_*.c); the arithmetic is judge.c's; JSON, status lines and
 * the saved form are run_json.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "expr.h"
#include "internal.h"

#define RUNS_KEPT 200
#define MEASUREMENTS_KEPT 10
#define ERROR_RETRY_MS 10000

void arun_note(struct analysis_run *r, const char *type, const char *reason,
	       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->rs && r->rs->env.event)
		r->rs->env.event(r->rs->env.arg, r->owner, type, reason, msg);
}

void arun_changed(struct analysis_run *r)
{
	if (r->rs && r->rs->env.changed)
		r->rs->env.changed(r->rs->env.arg, r->owner);
}

static int64_t wall(struct analysis_run *r)
{
	return r->rs && r->rs->env.now_wall ? r->rs->env.now_wall() : 0;
}

/* ---- conditions ---- */

struct lookup_ctx {
	json_t *root, *dflt;
};

static int lookup(void *arg, const char *ref, struct expr_val *out,
		  struct berr *err)
{
	struct lookup_ctx *c = arg;
	json_t *v = c->root;
	const char *p = ref + strlen("result");

	if (*p == '\0' && json_is_object(v) && c->dflt)
		v = c->dflt;
	while (*p == '.') {
		char key[64];
		size_t n = strcspn(p + 1, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, p + 1);
		if (!json_is_object(v) || (v = json_object_get(v, key)) == NULL)
			return berr_set(err, "the result has no `%s`", ref);
		p += 1 + n;
	}
	if (json_is_boolean(v)) {
		out->is_bool = true;
		out->num = json_is_true(v);
	} else if (json_is_number(v)) {
		out->is_bool = false;
		out->num = json_number_value(v);
	} else if (json_is_null(v)) {
		return berr_set(err, "`%s` is null (no data)", ref);
	} else {
		return berr_set(err, "`%s` is not a number or a boolean", ref);
	}
	return 0;
}

struct show_ctx {
	struct lookup_ctx *lc;
	char *buf;
	size_t len;
};

static int show_ref(void *arg, const char *ref, int column)
{
	struct show_ctx *s = arg;
	struct expr_val v;
	struct berr err = BERR_INIT;
	size_t n = strlen(s->buf);
	char val[48];

	(void)column;
	if (strstr(s->buf, ref) != NULL) /* each reference once */
		return 0;
	if (lookup(s->lc, ref, &v, &err) == -1)
		snprintf(val, sizeof(val), "?");
	else if (v.is_bool)
		snprintf(val, sizeof(val), "%s", v.num ? "true" : "false");
	else
		snprintf(val, sizeof(val), "%.4g", v.num);
	snprintf(s->buf + n, s->len - n, "%s%s %s", n ? ", " : "", ref, val);
	return 0;
}

static int eval_one(const char *cond, struct lookup_ctx *lc, bool *out,
		    char *buf, size_t len, const char *which)
{
	struct berr err = BERR_INIT;
	struct expr *e = expr_parse(cond, &err);
	size_t n = strlen(buf);
	int rc = -1;

	if (e && expr_eval(e, lookup, lc, out, &err) == 0)
		rc = 0;
	if (rc == 0)
		snprintf(buf + n, len - n, "; %s `%s` %s", which, cond,
			 *out ? "holds" : "does not hold");
	else
		snprintf(buf + n, len - n, "; %s `%s`: %s", which, cond,
			 err.msg);
	expr_free(e);
	return rc;
}

enum analysis_phase analysis_conditions(const struct analysis_metric *m,
					json_t *root, json_t *dflt, char *buf,
					size_t len)
{
	struct lookup_ctx lc = {root, dflt};
	struct show_ctx sc = {&lc, buf, len};
	bool s = false, f = false;
	struct berr err = BERR_INIT;
	struct expr *e;

	buf[0] = '\0';
	for (int i = 0; i < 2; i++) {
		const char *c =
		    i == 0 ? m->success_condition : m->failure_condition;

		if (c && (e = expr_parse(c, &err)) != NULL) {
			expr_walk_refs(e, show_ref, &sc);
			expr_free(e);
		}
	}
	if (m->success_condition && eval_one(m->success_condition, &lc, &s, buf,
					     len, "successCondition") == -1)
		return ANALYSIS_ERROR;
	if (m->failure_condition && eval_one(m->failure_condition, &lc, &f, buf,
					     len, "failureCondition") == -1)
		return ANALYSIS_ERROR;
	return analysis_judge(m->success_condition != NULL, s,
			      m->failure_condition != NULL, f);
}

/* ---- the run ---- */

static void run_free(struct analysis_run *r)
{
	json_decref(r->frozen);
	for (size_t i = 0; i < r->n_metrics; i++)
		json_decref(r->metrics[i].measurements);
	free(r->metrics);
	for (size_t i = 0; i < r->n_templates; i++)
		analysis_template_free(&r->templates[i]);
	free(r->templates);
	for (size_t i = 0; i < r->n_services; i++)
		free(r->services[i]);
	free(r->services);
	free(r);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct metric_run *mr = h->data;
	struct analysis_run *r = mr->run;

	if (--r->open_handles == 0 && r->detached)
		run_free(r);
}

/* Stops whatever measures: timers, an exec, a web request. */
static void halt(struct analysis_run *r)
{
	for (size_t i = 0; i < r->n_metrics; i++) {
		struct metric_run *mr = &r->metrics[i];

		uv_timer_stop(&mr->timer);
		provider_exec_cancel(mr);
		provider_web_cancel(mr);
		if (mr->phase == ANALYSIS_RUNNING)
			mr->phase = r->phase;
	}
}

static void finish(struct analysis_run *r, enum analysis_phase phase,
		   const char *why, bool call_done)
{
	r->phase = phase;
	r->ended_ms = wall(r);
	r->stopped = !call_done;
	r->unclaimed = false;
	snprintf(r->message, sizeof(r->message), "%s", why);
	halt(r);
	arun_changed(r);
	arun_note(r, phase == ANALYSIS_SUCCESSFUL ? "Normal" : "Warning",
		  phase == ANALYSIS_SUCCESSFUL	   ? "AnalysisSuccessful"
		  : phase == ANALYSIS_INCONCLUSIVE ? "AnalysisInconclusive"
						   : "AnalysisFailed",
		  "AnalysisRun %s (%s) of revision %s: %s: %s", r->name,
		  r->what, r->revision, analysis_phase_str(phase), why);
	if (call_done && r->done)
		r->done(r->done_arg, r->name, phase, why);
}

static void measure(struct metric_run *mr)
{
	switch (mr->m->provider) {
	case APROV_BERTH:
		provider_berth_measure(mr);
		break;
	case APROV_EXEC:
		provider_exec_measure(mr);
		break;
	case APROV_WEB:
		provider_web_measure(mr);
		break;
	default:
		analysis_measured(mr, ANALYSIS_ERROR, "no provider");
		break;
	}
}

static void on_timer(uv_timer_t *t)
{
	struct metric_run *mr = t->data;

	if (mr->run->verdict_pending) {
		mr->run->verdict_pending = false;
		if (mr->run->phase == ANALYSIS_RUNNING)
			finish(mr->run, ANALYSIS_SUCCESSFUL,
			       "every metric has count 0: skipped", true);
		return;
	}
	if (mr->phase != ANALYSIS_RUNNING || mr->run->phase != ANALYSIS_RUNNING)
		return;
	if (mr->m->provider == APROV_BERTH && !mr->have_base) {
		/* After initialDelay: the window starts now. */
		provider_berth_base(mr);
		arun_arm(mr, mr->m->interval_ms);
		return;
	}
	measure(mr);
}

void arun_arm(struct metric_run *mr, int64_t ms)
{
	uv_timer_start(&mr->timer, on_timer, (uint64_t)(ms < 0 ? 0 : ms), 0);
}

void analysis_measured(struct metric_run *mr, enum analysis_phase outcome,
		       const char *msg)
{
	struct analysis_run *r = mr->run;
	enum analysis_phase phase;
	enum analysis_phase phases[64];
	char count[24];
	json_t *j;

	if (mr->phase != ANALYSIS_RUNNING || r->phase != ANALYSIS_RUNNING)
		return;
	phase = analysis_tally(mr->m, mr->count, &mr->t, outcome, mr->why,
			       sizeof(mr->why));
	if (mr->count > 0)
		snprintf(count, sizeof(count), "%d/%d", mr->t.measurements,
			 mr->count);
	else
		snprintf(count, sizeof(count), "%d", mr->t.measurements);
	snprintf(mr->last, sizeof(mr->last),
		 "analysis %s/%s measurement %s: %s -> %s; %s%s%s", mr->tmpl,
		 mr->m->name, count, msg, analysis_phase_str(outcome), mr->why,
		 phase != ANALYSIS_RUNNING ? " -> metric " : "",
		 phase != ANALYSIS_RUNNING ? analysis_phase_str(phase) : "");
	j = json_pack("{s:I, s:s, s:s}", "time_ms", (json_int_t)wall(r),
		      "phase", analysis_phase_str(outcome), "message", msg);
	json_array_append_new(mr->measurements, j);
	while (json_array_size(mr->measurements) > MEASUREMENTS_KEPT)
		json_array_remove(mr->measurements, 0);
	arun_note(r, outcome == ANALYSIS_SUCCESSFUL ? "Normal" : "Warning",
		  "AnalysisMeasurement", "%s", mr->last);
	mr->phase = phase;
	arun_changed(r);
	for (size_t i = 0; i < r->n_metrics && i < 64; i++)
		phases[i] = r->metrics[i].phase;
	phase = analysis_verdict(phases, r->n_metrics < 64 ? r->n_metrics : 64);
	if (phase != ANALYSIS_RUNNING) {
		char why[400];

		snprintf(why, sizeof(why), "metric %s/%s: %s", mr->tmpl,
			 mr->m->name, mr->why);
		finish(r, phase, why, true);
		return;
	}
	if (mr->phase != ANALYSIS_RUNNING)
		return;
	/* An error is tried again after the interval, but at most
	 * ERROR_RETRY_MS later (Argo's error retry interval) and never
	 * at once: a metric without interval would spin through its
	 * consecutiveErrorLimit in one loop turn. */
	if (outcome == ANALYSIS_ERROR &&
	    (mr->m->interval_ms == 0 || mr->m->interval_ms > ERROR_RETRY_MS))
		arun_arm(mr, ERROR_RETRY_MS);
	else
		arun_arm(mr, mr->m->interval_ms);
}

void arun_start_metric(struct metric_run *mr)
{
	const struct analysis_metric *m = mr->m;

	if (mr->count == 0) {
		mr->phase = ANALYSIS_SUCCESSFUL;
		snprintf(mr->why, sizeof(mr->why), "count 0: skipped");
		return;
	}
	if (m->provider == APROV_BERTH && m->initial_delay_ms == 0) {
		provider_berth_base(mr);
		arun_arm(mr, m->interval_ms);
		return;
	}
	arun_arm(mr, m->initial_delay_ms);
}

struct analysis_runs *analysis_runs_new(const struct analysis_env *env)
{
	struct analysis_runs *rs = xcalloc(1, sizeof(*rs));

	rs->env = *env;
	return rs;
}

static void run_release(struct analysis_run *r)
{
	r->detached = true;
	r->rs = NULL;
	if (r->open_handles == 0) {
		run_free(r);
		return;
	}
	for (size_t i = 0; i < r->n_metrics; i++)
		if (!uv_is_closing((uv_handle_t *)&r->metrics[i].timer))
			uv_close((uv_handle_t *)&r->metrics[i].timer,
				 on_timer_closed);
}

void analysis_runs_free(struct analysis_runs *rs)
{
	if (rs == NULL)
		return;
	while (rs->runs) {
		struct analysis_run *r = rs->runs;

		rs->runs = r->next;
		if (r->phase == ANALYSIS_RUNNING)
			halt(r);
		run_release(r);
	}
	free(rs);
}

static size_t ended_of(struct analysis_runs *rs, const char *owner)
{
	size_t n = 0;

	for (struct analysis_run *r = rs->runs; r; r = r->next)
		n += r->phase != ANALYSIS_RUNNING && !strcmp(r->owner, owner);
	return n;
}

/* Keeps at most ANALYSIS_RUNS_PER_OWNER ended runs of owner, and
 * RUNS_KEPT runs in all: the oldest ended ones go. */
void arun_prune(struct analysis_runs *rs, const char *owner)
{
	size_t n = 0, mine = ended_of(rs, owner);

	for (struct analysis_run *r = rs->runs; r; r = r->next)
		n++;
	for (struct analysis_run **pp = &rs->runs; *pp;) {
		struct analysis_run *r = *pp;
		bool own = !strcmp(r->owner, owner);

		if (r->phase == ANALYSIS_RUNNING ||
		    !((own && mine > ANALYSIS_RUNS_PER_OWNER) ||
		      n > RUNS_KEPT)) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		if (!own && rs->env.changed)
			rs->env.changed(rs->env.arg, r->owner);
		mine -= own;
		run_release(r);
		n--;
	}
}

/* Metrics in templates, or -1 with err (none, or more than 64). */
int arun_count_metrics(const struct analysis_start *s, struct berr *err)
{
	size_t nm = 0;

	if (s->n_templates == 0)
		return berr_set(err, "no analysis template");
	for (size_t i = 0; i < s->n_templates; i++)
		nm += s->templates[i]->n_metrics;
	if (nm == 0 || nm > 64)
		return berr_set(err,
				"an analysis run takes 1 to 64 metrics "
				"(%zu given)",
				nm);
	return (int)nm;
}

/* A run of s with nm metrics, their timers made, not yet listed. */
struct analysis_run *arun_new(struct analysis_runs *rs,
			      const struct analysis_start *s, size_t nm)
{
	struct analysis_run *r;
	size_t k = 0;

	r = xcalloc(1, sizeof(*r));
	r->rs = rs;
	snprintf(r->owner, sizeof(r->owner), "%s", s->owner);
	snprintf(r->revision, sizeof(r->revision), "%s", s->revision);
	snprintf(r->what, sizeof(r->what), "%s", s->what ? s->what : "");
	r->background = s->background;
	r->done = s->done;
	r->done_arg = s->done_arg;
	r->started_ms = wall(r);
	r->templates = xcalloc(s->n_templates, sizeof(*r->templates));
	r->n_templates = s->n_templates;
	for (size_t i = 0; i < s->n_templates; i++)
		analysis_template_dup(&r->templates[i], s->templates[i]);
	r->services = xcalloc(s->n_services + 1, sizeof(*r->services));
	for (size_t i = 0; i < s->n_services; i++)
		r->services[i] = xstrdup(s->services[i]);
	r->n_services = s->n_services;
	r->metrics = xcalloc(nm, sizeof(*r->metrics));
	r->n_metrics = nm;
	for (size_t i = 0; i < r->n_templates; i++)
		for (size_t j = 0; j < r->templates[i].n_metrics; j++) {
			struct metric_run *mr = &r->metrics[k++];

			mr->run = r;
			mr->m = &r->templates[i].metrics[j];
			mr->tmpl = r->templates[i].name;
			mr->count =
			    analysis_effective_count(mr->m, r->background);
			mr->measurements = json_array();
			uv_timer_init(rs->env.loop, &mr->timer);
			uv_unref((uv_handle_t *)&mr->timer);
			mr->timer.data = mr;
			r->open_handles++;
		}
	return r;
}

void arun_link(struct analysis_runs *rs, struct analysis_run *r)
{
	struct analysis_run **pp;

	for (pp = &rs->runs; *pp; pp = &(*pp)->next)
		;
	*pp = r;
}

/* Every metric skipped (count 0 in a step): the verdict comes from the
 * loop, as any other. */
void arun_check_all_skipped(struct analysis_run *r)
{
	enum analysis_phase phases[64];

	for (size_t i = 0; i < r->n_metrics; i++)
		phases[i] = r->metrics[i].phase;
	if (analysis_verdict(phases, r->n_metrics) != ANALYSIS_RUNNING) {
		r->verdict_pending = true;
		arun_arm(&r->metrics[0], 0);
	}
}

int analysis_run_start(struct analysis_runs *rs, const struct analysis_start *s,
		       char *name, size_t name_len, struct berr *err)
{
	struct analysis_run *r;
	int nm = arun_count_metrics(s, err);
	const char *slash = strchr(s->owner, '/');

	if (nm == -1)
		return -1;
	r = arun_new(rs, s, (size_t)nm);
	snprintf(r->name, sizeof(r->name), "%s-%s-%u",
		 slash ? slash + 1 : s->owner, s->revision, ++rs->seq);
	arun_link(rs, r);
	snprintf(name, name_len, "%s", r->name);
	arun_note(r, "Normal", "AnalysisStarted",
		  "AnalysisRun %s (%s) of revision %s started: %d metric(s)",
		  r->name, r->what, r->revision, nm);
	for (size_t i = 0; i < r->n_metrics; i++)
		arun_start_metric(&r->metrics[i]);
	arun_check_all_skipped(r);
	arun_prune(rs, r->owner);
	arun_changed(r);
	return 0;
}

struct analysis_run *arun_find(struct analysis_runs *rs, const char *name)
{
	for (struct analysis_run *r = rs->runs; r; r = r->next)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

void analysis_run_stop(struct analysis_runs *rs, const char *name,
		       enum analysis_phase phase, const char *why)
{
	struct analysis_run *r = arun_find(rs, name);

	if (r == NULL || r->phase != ANALYSIS_RUNNING)
		return;
	finish(r, phase, why, false);
}

bool analysis_run_phase(struct analysis_runs *rs, const char *name,
			enum analysis_phase *phase)
{
	struct analysis_run *r = arun_find(rs, name);

	if (r)
		*phase = r->phase;
	return r != NULL;
}

bool analysis_run_outcome(struct analysis_runs *rs, const char *name,
			  enum analysis_phase *phase, bool *stopped, char *why,
			  size_t len)
{
	struct analysis_run *r = arun_find(rs, name);

	if (r == NULL)
		return false;
	*phase = r->phase;
	*stopped = r->stopped;
	if (why && len)
		snprintf(why, len, "%s", r->message);
	return true;
}
