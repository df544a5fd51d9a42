/*
 * canary_analysis.c - a Canary run's analysis: starts the run of an
 * `analysis` step when the steps reach it and the background run
 * (strategy.canary.analysis) from its startingStep, and applies each
 * verdict: Successful passes the step, Failed (or Error) aborts the
 * rollout at once (every request back to stable), Inconclusive holds it
 * for a human (`berth rollout promote` or `abort`). Measuring is
 * analysis/'s; the steps themselves canary_steps.c's.
 */
#include <stdio.h>
#include <string.h>

#include "canary.h"
#include "events.h"
#include "reconcile.h"
#include "rollout_analysis.h"

static const char *dep_object(struct deployment *dep)
{
	return event_object_name("deployment", dep->name);
}

/* The deployment whose canary run started run `name`, or NULL. */
static struct deployment *owner_of(struct daemon *d, const char *name,
				   bool *background)
{
	for (struct deployment *dep = d->deployments; dep; dep = dep->next) {
		if (!strcmp(dep->canary.step_run, name)) {
			*background = false;
			return dep;
		}
		if (!strcmp(dep->canary.bg_run, name)) {
			*background = true;
			return dep;
		}
	}
	return NULL;
}

static void on_done(void *arg, const char *name, enum analysis_phase phase,
		    const char *why)
{
	struct daemon *d = arg;
	bool bg = false;
	struct deployment *dep = owner_of(d, name, &bg);
	struct canary_run *run;
	size_t n;

	if (dep == NULL)
		return;
	run = &dep->canary;
	n = dep->spec->canary_steps.n;
	if (phase == ANALYSIS_SUCCESSFUL) {
		if (!bg)
			run->s.analysis_ok_step = run->step_run_step;
	} else if (phase == ANALYSIS_INCONCLUSIVE) {
		run->s.held = true;
		event_record(d, "Warning", "CanaryPaused", dep_object(dep),
			     "AnalysisRun %s Inconclusive (%s): paused at step "
			     "%zu/%zu, weight %d %%, until `berth rollout "
			     "promote` (or abort)",
			     name, why,
			     run->s.step + 1 > n ? n : run->s.step + 1, n,
			     run->s.weight);
	} else if (!run->s.aborted) {
		event_record(
		    d, "Warning", "CanaryAborted", dep_object(dep),
		    "AnalysisRun %s %s (%s): aborting at step %zu/%zu, "
		    "weight %d %% -> 0 %%: 100 %% to stable, the "
		    "canary pods go",
		    name, analysis_phase_str(phase), why,
		    run->s.step + 1 > n ? n : run->s.step + 1, n,
		    run->s.weight);
		canary_abort(&run->s);
		rollout_analysis_stop(d, bg ? run->step_run : run->bg_run,
				      ANALYSIS_FAILED,
				      "the rollout was aborted by another run");
		/* Every request back to stable now, not at the next pass. */
		canary_publish_now(d, dep);
	}
	reconcile_schedule(d);
}

void canary_analysis_stop(struct daemon *d, struct deployment *dep,
			  enum analysis_phase phase, const char *why)
{
	rollout_analysis_stop(d, dep->canary.step_run, phase, why);
	rollout_analysis_stop(d, dep->canary.bg_run, phase, why);
	dep->canary.step_run[0] = dep->canary.bg_run[0] = '\0';
	dep->canary.step_run_step = -1;
}

static void start(struct daemon *d, struct deployment *dep,
		  const struct strv *templates, const char *what, bool bg,
		  char *name, size_t len)
{
	struct berr err = BERR_INIT;

	if (rollout_analysis_start(d, dep, templates, dep->canary.s.hash, what,
				   bg, on_done, d, name, len, &err) == -1) {
		/* The templates were checked at apply: this is rare. Hold
		 * the rollout rather than pass an unmeasured step. */
		event_record(d, "Warning", "AnalysisNotStarted",
			     dep_object(dep),
			     "%s analysis not started: %s; held until `berth "
			     "rollout promote` (or abort)",
			     what, err.msg);
		dep->canary.s.held = true;
		snprintf(name, len, "-");
	}
}

void canary_analysis_sync(struct daemon *d, struct deployment *dep,
			  const struct canary_output *out)
{
	struct canary_run *run = &dep->canary;
	const struct canary_steps *st = &dep->spec->canary_steps;
	const struct canary_analysis *bg = &dep->spec->canary_analysis;
	char what[48];

	if (run->s.aborted) {
		canary_analysis_stop(d, dep, ANALYSIS_FAILED,
				     "the rollout was aborted");
		return;
	}
	if (out->done) {
		rollout_analysis_stop(d, run->bg_run, ANALYSIS_SUCCESSFUL,
				      "every step passed");
		return;
	}
	if (out->analysis_wait && !run->s.held &&
	    (run->step_run[0] == '\0' ||
	     run->step_run_step != (long)run->s.step)) {
		snprintf(what, sizeof(what), "step %zu/%zu", run->s.step + 1,
			 st->n);
		run->step_run_step = (long)run->s.step;
		start(d, dep, &st->v[run->s.step].templates, what, false,
		      run->step_run, sizeof(run->step_run));
	}
	if (bg->templates.n > 0 && run->bg_run[0] == '\0' &&
	    run->s.step >= (size_t)bg->starting_step)
		start(d, dep, &bg->templates, "background", true, run->bg_run,
		      sizeof(run->bg_run));
}
