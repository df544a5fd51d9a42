/*
 * bluegreen_analysis.c - BlueGreen's prePromotionAnalysis and
 * postPromotionAnalysis run by the analysis engine (rollout_analysis.c):
 * the ops bluegreen.c polls, one run per deployment and kind, its verdict
 * kept until the rollout moves on or the revision changes. Owns only that
 * list; the runs themselves are rollout_analysis.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "bluegreen.h"
#include "bluegreen_analysis.h"
#include "reconcile.h"
#include "rollout_analysis.h"

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

static void on_done(void *arg, const char *run_name, enum analysis_phase phase,
		    const char *why)
{
	struct daemon *d = arg;

	for (struct bg_run *r = runs; r; r = r->next) {
		if (strcmp(r->run, run_name))
			continue;
		r->verdict =
		    phase == ANALYSIS_SUCCESSFUL     ? BG_VERDICT_SUCCESSFUL
		    : phase == ANALYSIS_INCONCLUSIVE ? BG_VERDICT_INCONCLUSIVE
						     : BG_VERDICT_FAILED;
		snprintf(r->why, sizeof(r->why), "analysis run %s: %s",
			 run_name, why ? why : analysis_phase_str(phase));
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
		if (rollout_analysis_start(d, dep, &templates, hash,
					   strstr(which, "pre") == which
					       ? "prePromotion"
					       : "postPromotion",
					   false, on_done, d, r->run,
					   sizeof(r->run), &err) == -1) {
			r->verdict = BG_VERDICT_FAILED;
			snprintf(r->why, sizeof(r->why), "%s", err.msg);
		}
		strv_free(&templates);
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
