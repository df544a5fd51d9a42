/*
 * run_json.c - analysis runs as JSON (see analysis.h): the list, one run
 * for `describe analysisrun`, the status lines of `rollout status`, and
 * the saved form both ways: what analysis_runs_save writes and
 * analysis_runs_restore puts back after a restart (ended runs frozen as
 * they were, measuring ones resumed with their tallies). No file I/O:
 * the caller writes and reads the documents (env.changed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "internal.h"

/* ---- JSON and status ---- */

/* A frozen run's JSON as run_json gives it: without what only the file
 * keeps, and in the list without each metric's details. */
static json_t *frozen_json(struct analysis_run *r, bool full)
{
	static const char *const details[] = {
	    "history",		 "successCondition",
	    "failureCondition",	 "failureLimit",
	    "inconclusiveLimit", "consecutiveErrorLimit",
	    "interval_ms",	 NULL};
	json_t *o = json_deep_copy(r->frozen), *m;
	size_t i;

	json_object_del(o, "stopped");
	json_object_del(o, "services");
	json_array_foreach(json_object_get(o, "metrics"), i, m)
	{
		json_object_del(m, "consecutive_errors");
		for (size_t k = 0; !full && details[k]; k++)
			json_object_del(m, details[k]);
	}
	return o;
}

static json_t *run_json(struct analysis_run *r, bool full)
{
	if (r->frozen)
		return frozen_json(r, full);
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:s}", "name", r->name,
	    "owner", r->owner, "revision", r->revision, "what", r->what,
	    "phase", analysis_phase_str(r->phase), "background", r->background,
	    "started_ms", (json_int_t)r->started_ms, "ended_ms",
	    (json_int_t)r->ended_ms, "message", r->message);
	json_t *ms = json_array(), *tn = json_array();

	for (size_t i = 0; i < r->n_templates; i++)
		json_array_append_new(tn, json_string(r->templates[i].name));
	json_object_set_new(o, "templates", tn);
	for (size_t i = 0; i < r->n_metrics; i++) {
		struct metric_run *mr = &r->metrics[i];
		json_t *m = json_pack(
		    "{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s}",
		    "template", mr->tmpl, "name", mr->m->name, "phase",
		    analysis_phase_str(mr->phase), "count", mr->count,
		    "measurements", mr->t.measurements, "successful",
		    mr->t.successful, "failed", mr->t.failed, "inconclusive",
		    mr->t.inconclusive, "errors", mr->t.errors, "last",
		    mr->last, "why", mr->why);

		if (full) {
			json_object_set(m, "history", mr->measurements);
			json_object_set_new(
			    m, "successCondition",
			    mr->m->success_condition
				? json_string(mr->m->success_condition)
				: json_null());
			json_object_set_new(
			    m, "failureCondition",
			    mr->m->failure_condition
				? json_string(mr->m->failure_condition)
				: json_null());
			json_object_set_new(m, "failureLimit",
					    json_integer(mr->m->failure_limit));
			json_object_set_new(
			    m, "inconclusiveLimit",
			    json_integer(mr->m->inconclusive_limit));
			json_object_set_new(
			    m, "consecutiveErrorLimit",
			    json_integer(mr->m->consecutive_error_limit));
			json_object_set_new(
			    m, "interval_ms",
			    json_integer((json_int_t)mr->m->interval_ms));
		}
		json_array_append_new(ms, m);
	}
	json_object_set_new(o, "metrics", ms);
	return o;
}

json_t *analysis_runs_json(struct analysis_runs *rs, const char *owner)
{
	json_t *a = json_array();

	for (struct analysis_run *r = rs->runs; r; r = r->next)
		if (owner == NULL || !strcmp(owner, r->owner))
			json_array_append_new(a, run_json(r, false));
	return a;
}

json_t *analysis_run_json(struct analysis_runs *rs, const char *name)
{
	struct analysis_run *r = arun_find(rs, name);

	return r ? run_json(r, true) : NULL;
}

bool analysis_runs_status(struct analysis_runs *rs, const char *owner,
			  char *buf, size_t len)
{
	struct analysis_run *last = NULL;
	size_t n = strlen(buf);

	for (struct analysis_run *r = rs->runs; r; r = r->next)
		if (!strcmp(owner, r->owner))
			last = r;
	if (last == NULL)
		return false;
	n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
			      "AnalysisRun %s (%s): %s%s%s\n", last->name,
			      last->what, analysis_phase_str(last->phase),
			      last->message[0] ? ": " : "", last->message);
	if (last->frozen) {
		json_t *m;
		size_t i;

		json_array_foreach(json_object_get(last->frozen, "metrics"), i,
				   m)
		{
			const char *l =
			    json_string_value(json_object_get(m, "last"));

			if (l && l[0] && n < len)
				n += (size_t)snprintf(buf + n, len - n,
						      "  %s\n", l);
		}
		return true;
	}
	for (size_t i = 0; i < last->n_metrics && n < len; i++)
		if (last->metrics[i].last[0])
			n += (size_t)snprintf(buf + n, len - n, "  %s\n",
					      last->metrics[i].last);
	return true;
}

/* ---- the saved form ---- */

json_t *analysis_runs_save(struct analysis_runs *rs, const char *owner)
{
	json_t *a = json_array();

	for (struct analysis_run *r = rs->runs; r; r = r->next) {
		json_t *o, *ms, *m, *sv;
		size_t i;

		if (strcmp(owner, r->owner))
			continue;
		if (r->frozen) {
			json_array_append(a, r->frozen);
			continue;
		}
		o = run_json(r, true);
		json_object_set_new(o, "stopped", json_boolean(r->stopped));
		sv = json_array();
		for (i = 0; i < r->n_services; i++)
			json_array_append_new(sv, json_string(r->services[i]));
		json_object_set_new(o, "services", sv);
		ms = json_object_get(o, "metrics");
		json_array_foreach(ms, i, m)
		{
			if (i < r->n_metrics)
				json_object_set_new(
				    m, "consecutive_errors",
				    json_integer(
					r->metrics[i].t.consecutive_errors));
		}
		json_array_append_new(a, o);
	}
	return json_pack("{s:i, s:o}", "version", 1, "runs", a);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static int jint(json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static enum analysis_phase phase_of(const char *s)
{
	for (int p = ANALYSIS_RUNNING; p <= ANALYSIS_ERROR; p++)
		if (!strcmp(s, analysis_phase_str((enum analysis_phase)p)))
			return (enum analysis_phase)p;
	return ANALYSIS_ERROR;
}

/* The fields every run has, from its saved object. */
static void fill_common(struct analysis_run *r, json_t *o)
{
	snprintf(r->name, sizeof(r->name), "%s", jstr(o, "name"));
	snprintf(r->owner, sizeof(r->owner), "%s", jstr(o, "owner"));
	snprintf(r->revision, sizeof(r->revision), "%s", jstr(o, "revision"));
	snprintf(r->what, sizeof(r->what), "%s", jstr(o, "what"));
	snprintf(r->message, sizeof(r->message), "%s", jstr(o, "message"));
	r->phase = phase_of(jstr(o, "phase"));
	r->background = json_is_true(json_object_get(o, "background"));
	r->stopped = json_is_true(json_object_get(o, "stopped"));
	r->started_ms = json_integer_value(json_object_get(o, "started_ms"));
	r->ended_ms = json_integer_value(json_object_get(o, "ended_ms"));
}

static void freeze(struct analysis_runs *rs, json_t *o)
{
	struct analysis_run *r = xcalloc(1, sizeof(*r));

	r->rs = rs;
	fill_common(r, o);
	r->frozen = json_deep_copy(o);
	arun_link(rs, r);
}

/* The saved metric of template tmpl named name, or NULL. */
static json_t *saved_metric(json_t *o, const char *tmpl, const char *name)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(o, "metrics"), i, m)
	{
		if (!strcmp(jstr(m, "template"), tmpl) &&
		    !strcmp(jstr(m, "name"), name))
			return m;
	}
	return NULL;
}

static void resume_metric(struct metric_run *mr, json_t *m)
{
	json_t *h = json_object_get(m, "history");

	mr->t.measurements = jint(m, "measurements");
	mr->t.successful = jint(m, "successful");
	mr->t.failed = jint(m, "failed");
	mr->t.inconclusive = jint(m, "inconclusive");
	mr->t.errors = jint(m, "errors");
	mr->t.consecutive_errors = jint(m, "consecutive_errors");
	mr->phase = phase_of(jstr(m, "phase"));
	snprintf(mr->last, sizeof(mr->last), "%s", jstr(m, "last"));
	snprintf(mr->why, sizeof(mr->why), "%s", jstr(m, "why"));
	if (json_is_array(h)) {
		json_decref(mr->measurements);
		mr->measurements = json_deep_copy(h);
	}
}

/* A measuring run of the saved o, resumed; false when its templates are
 * gone (why says so). */
static bool resume(struct analysis_runs *rs, json_t *o,
		   const struct analysis_template *(*lookup)(void *,
							     const char *),
		   void *lookup_arg, analysis_done_fn done, void *done_arg,
		   char *why, size_t len)
{
	const struct analysis_template *t[8];
	const char *svcs[64];
	struct analysis_start s = {0};
	struct analysis_run *r;
	struct berr err = BERR_INIT;
	json_t *tn = json_object_get(o, "templates"), *v;
	size_t i, n = 0, ns = 0;
	int nm, taken = 0;

	json_array_foreach(tn, i, v)
	{
		if (n == 8 || (t[n] = lookup(lookup_arg, json_string_value(v)
							     ?: "")) == NULL) {
			snprintf(why, len,
				 "not resumed after the restart: no "
				 "[analysis %s] in the config",
				 json_string_value(v) ?: "?");
			return false;
		}
		n++;
	}
	json_array_foreach(json_object_get(o, "services"), i, v)
	{
		if (ns < 64 && json_string_value(v))
			svcs[ns++] = json_string_value(v);
	}
	s.owner = jstr(o, "owner");
	s.revision = jstr(o, "revision");
	s.templates = t;
	s.n_templates = n;
	s.services = svcs;
	s.n_services = ns;
	s.background = json_is_true(json_object_get(o, "background"));
	s.what = jstr(o, "what");
	s.done = done;
	s.done_arg = done_arg;
	if ((nm = arun_count_metrics(&s, &err)) == -1) {
		snprintf(why, len, "not resumed after the restart: %.300s",
			 err.msg);
		return false;
	}
	r = arun_new(rs, &s, (size_t)nm);
	fill_common(r, o);
	r->phase = ANALYSIS_RUNNING;
	r->unclaimed = true;
	for (i = 0; i < r->n_metrics; i++) {
		json_t *m =
		    saved_metric(o, r->metrics[i].tmpl, r->metrics[i].m->name);

		if (m)
			resume_metric(&r->metrics[i], m);
		taken += r->metrics[i].t.measurements;
	}
	arun_link(rs, r);
	arun_note(r, "Normal", "AnalysisResumed",
		  "AnalysisRun %s (%s) of revision %s resumed after a "
		  "restart: its %d measurement(s) kept, the next one an "
		  "interval from now (the berth provider's window starts "
		  "again: the proxy's counters did)",
		  r->name, r->what, r->revision, taken);
	for (i = 0; i < r->n_metrics; i++) {
		struct metric_run *mr = &r->metrics[i];

		if (mr->phase != ANALYSIS_RUNNING)
			continue;
		if (mr->t.measurements == 0) {
			arun_start_metric(mr);
			continue;
		}
		if (mr->m->provider == APROV_BERTH)
			provider_berth_base(mr);
		arun_arm(mr, mr->m->interval_ms);
	}
	arun_check_all_skipped(r);
	return true;
}

void analysis_runs_restore(
    struct analysis_runs *rs, json_t *saved,
    const struct analysis_template *(*lookup)(void *arg, const char *name),
    void *lookup_arg, analysis_done_fn done, void *done_arg)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(saved, "runs"), i, o)
	{
		const char *name = jstr(o, "name");
		const char *dash = strrchr(name, '-');
		char why[400];

		if (!json_is_object(o) || name[0] == '\0' ||
		    json_object_get(o, "owner") == NULL ||
		    arun_find(rs, name) != NULL)
			continue;
		if (dash && (unsigned)atoi(dash + 1) > rs->seq)
			rs->seq = (unsigned)atoi(dash + 1);
		if (phase_of(jstr(o, "phase")) != ANALYSIS_RUNNING) {
			freeze(rs, o);
			continue;
		}
		if (resume(rs, o, lookup, lookup_arg, done, done_arg, why,
			   sizeof(why)))
			continue;
		/* Its templates are gone: ended, and said so. */
		freeze(rs, o);
		{
			struct analysis_run *r = arun_find(rs, name);

			r->phase = ANALYSIS_ERROR;
			r->stopped = true;
			r->ended_ms = rs->env.now_wall ? rs->env.now_wall() : 0;
			snprintf(r->message, sizeof(r->message), "%s", why);
			json_object_set_new(r->frozen, "phase",
					    json_string("Error"));
			json_object_set_new(r->frozen, "stopped", json_true());
			json_object_set_new(r->frozen, "message",
					    json_string(r->message));
			json_object_set_new(r->frozen, "ended_ms",
					    json_integer(r->ended_ms));
			arun_note(r, "Warning", "AnalysisNotResumed",
				  "AnalysisRun %s (%s) of revision %s %s", name,
				  r->what, r->revision, why);
			arun_changed(r);
		}
	}
}

void analysis_run_claim(struct analysis_runs *rs, const char *name)
{
	struct analysis_run *r = arun_find(rs, name);

	if (r)
		r->unclaimed = false;
}

void analysis_runs_stop_unclaimed(struct analysis_runs *rs, const char *why)
{
	for (struct analysis_run *r = rs->runs; r; r = r->next)
		if (r->unclaimed && r->phase == ANALYSIS_RUNNING)
			analysis_run_stop(rs, r->name, ANALYSIS_INCONCLUSIVE,
					  why);
}
