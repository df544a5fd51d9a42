/*
 * bluegreen_analysis.c - BlueGreen's prePromotionAnalysis and
 * postPromotionAnalysis run by the analysis engine (rollout_analysis.c):
 * the ops bluegreen.c polls, one run per deployment and kind, its verdict
 * kept until the rollout moves on or the revision changes; that list in
 * the deployment record (strategy_store.c) and taken back after a
 * restart. Owns only that list; the runs themselves are
 * rollout_analysis.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "bluegreen.h"
#include "bluegreen_analysis.h"
#include "daemon.h"
#include "events.h"
#include "reconcile.h"
#include "rollout_analysis.h"
#include "store.h"

struct bg_run {
	struct bg_run *next;
	char dep[64];
	char which[32];
	char hash[16];
	char tmpl[64];
	char run[112];
	enum bg_verdict verdict;
	char why[BERR_MSG_MAX + 64];
};

static struct bg_run *runs;

static struct bg_run *find(const char *dep, const char *which)
{
	for (struct bg_run *r = runs; r; r = r->next)
		if (!strcmp(r->dep, dep) && !strcmp(r->which, which))
			return r;
	return NULL;
}

static void drop(struct daemon *d, struct bg_run *r, const char *why)
{
	struct bg_run **pp;

	if (r->verdict == BG_VERDICT_RUNNING && r->run[0])
		rollout_analysis_stop(d, r->run, ANALYSIS_INCONCLUSIVE, why);
	for (pp = &runs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	free(r);
}

static void save(struct daemon *d, const char *dep)
{
	struct deployment *x = daemon_find_deployment(d, dep);

	if (x)
		store_save_deployment(x);
}

static void set_verdict(struct bg_run *r, enum analysis_phase phase,
			const char *why)
{
	r->verdict = phase == ANALYSIS_SUCCESSFUL     ? BG_VERDICT_SUCCESSFUL
		     : phase == ANALYSIS_INCONCLUSIVE ? BG_VERDICT_INCONCLUSIVE
						      : BG_VERDICT_FAILED;
	snprintf(r->why, sizeof(r->why), "analysis run %s: %s", r->run,
		 why && why[0] ? why : analysis_phase_str(phase));
}

void bluegreen_analysis_on_done(void *arg, const char *run_name,
				enum analysis_phase phase, const char *why)
{
	struct daemon *d = arg;

	for (struct bg_run *r = runs; r; r = r->next) {
		if (strcmp(r->run, run_name))
			continue;
		set_verdict(r, phase, why);
		save(d, r->dep);
		reconcile_schedule(d);
		return;
	}
}

static enum bg_verdict poll_run(struct daemon *d, struct deployment *dep,
				const char *which, const char *name,
				const char *hash, char *why, size_t len)
{
	struct bg_run *r = find(dep->name, which);
	struct berr err = BERR_INIT;
	struct strv templates = {0};

	if (r && (strcmp(r->hash, hash) || strcmp(r->tmpl, name))) {
		drop(d, r, "the revision or the template changed");
		r = NULL;
	}
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		snprintf(r->dep, sizeof(r->dep), "%s", dep->name);
		snprintf(r->which, sizeof(r->which), "%s", which);
		snprintf(r->hash, sizeof(r->hash), "%s", hash);
		snprintf(r->tmpl, sizeof(r->tmpl), "%s", name);
		r->next = runs;
		runs = r;
		cfg_strv_add(&templates, name);
		if (rollout_analysis_start(
			d, dep, &templates, hash,
			strstr(which, "pre") == which ? "prePromotion"
						      : "postPromotion",
			false, bluegreen_analysis_on_done, d, r->run,
			sizeof(r->run), &err) == -1) {
			r->verdict = BG_VERDICT_FAILED;
			snprintf(r->why, sizeof(r->why), "%s", err.msg);
		}
		strv_free(&templates);
		store_save_deployment(dep); /* the run's name */
	}
	if (why && len)
		snprintf(why, len, "%s", r->why);
	return r->verdict;
}

static void cancel_run(struct daemon *d, struct deployment *dep,
		       const char *which)
{
	struct bg_run *r = find(dep->name, which);

	if (r)
		drop(d, r, "no longer needed");
}

json_t *bluegreen_analysis_json(const char *dep)
{
	json_t *a = NULL;

	for (struct bg_run *r = runs; r; r = r->next) {
		if (strcmp(r->dep, dep))
			continue;
		if (a == NULL)
			a = json_array();
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "which",
				 r->which, "hash", r->hash, "template", r->tmpl,
				 "run", r->run, "verdict", (int)r->verdict,
				 "why", r->why));
	}
	return a;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

void bluegreen_analysis_restore(const char *dep, json_t *a)
{
	json_t *o;
	size_t i;

	json_array_foreach(a, i, o)
	{
		struct bg_run *r;
		int v = (int)json_integer_value(json_object_get(o, "verdict"));

		if (!json_is_object(o) || find(dep, jstr(o, "which")))
			continue;
		r = xcalloc(1, sizeof(*r));
		snprintf(r->dep, sizeof(r->dep), "%s", dep);
		snprintf(r->which, sizeof(r->which), "%s", jstr(o, "which"));
		snprintf(r->hash, sizeof(r->hash), "%s", jstr(o, "hash"));
		snprintf(r->tmpl, sizeof(r->tmpl), "%s", jstr(o, "template"));
		snprintf(r->run, sizeof(r->run), "%s", jstr(o, "run"));
		snprintf(r->why, sizeof(r->why), "%s", jstr(o, "why"));
		r->verdict =
		    v >= BG_VERDICT_RUNNING && v <= BG_VERDICT_INCONCLUSIVE
			? (enum bg_verdict)v
			: BG_VERDICT_FAILED;
		r->next = runs;
		runs = r;
	}
}

void bluegreen_analysis_restored(struct daemon *d, struct deployment *dep)
{
	for (struct bg_run *r = runs, *next; r; r = next) {
		enum analysis_phase phase;
		bool stopped = false;
		char why[400];

		next = r->next;
		if (strcmp(r->dep, dep->name) ||
		    r->verdict != BG_VERDICT_RUNNING)
			continue;
		if (r->run[0] &&
		    rollout_analysis_outcome(d, r->run, &phase, &stopped, why,
					     sizeof(why)) &&
		    !stopped) {
			if (phase == ANALYSIS_RUNNING)
				rollout_analysis_claim(d, r->run);
			else
				set_verdict(r, phase, why);
			continue;
		}
		/* Not recorded (the daemon was killed before its file was
		 * written) or ended without a verdict: the next poll starts
		 * a new run. */
		event_record(d, "Normal", "AnalysisRestarted",
			     event_object_name("deployment", dep->name),
			     "AnalysisRun %s (%s) was not found measuring "
			     "after the restart: a new run starts",
			     r->run[0] ? r->run : "-", r->which);
		drop(d, r, "restarted");
	}
}

void bluegreen_analysis_init(void)
{
	static const struct bluegreen_analysis_ops ops = {poll_run, cancel_run};
	bluegreen_analysis_register(&ops);
}

void bluegreen_analysis_free(void)
{
	while (runs) {
		struct bg_run *r = runs;
		runs = r->next;
		free(r);
	}
}
