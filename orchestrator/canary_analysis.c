/*
 * canary_analysis.c - a Canary run's analysis: starts the run of an
 * `analysis` step when the steps reach it and the background run
 * (strategy.canary.analysis) from its startingStep, and applies each
 * verdict: Successful passes the step, Failed (or Error) aborts the
 * rollout at once (every request back to stable), Inconclusive holds it
 * for a human (`berth rollout promote` or `abort`); after a restart,
 * takes back the runs it waited for (resumed by analysis_store.c) or
 * starts them anew, saying so. Measuring is analysis/'s; the steps
 * themselves canary_steps.c's.
 */
#include <stdio.h>
#include <string.h>

#include "canary.h"
#include "events.h"
#include "reconcile.h"
#include "rollout_analysis.h"
#include "store.h"

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

void canary_analysis_on_done(void *arg, const char *name,
			     enum analysis_phase phase, const char *why)
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
		size_t step = run->s.step + 1 > n ? n : run->s.step + 1;
		int weight = run->s.weight;
		char pods[96];

		canary_abort_run(dep, pods, sizeof(pods));
		event_record(d, "Warning", "CanaryAborted", dep_object(dep),
			     "AnalysisRun %s %s (%s): aborting at step "
			     "%zu/%zu, weight %d %% -> 0 %%: 100 %% to "
			     "stable, %s",
			     name, analysis_phase_str(phase), why, step, n,
			     weight, pods);
		rollout_analysis_stop(d, bg ? run->step_run : run->bg_run,
				      ANALYSIS_FAILED,
				      "the rollout was aborted by another run");
		/* Every request back to stable now, not at the next pass. */
		canary_publish_now(d, dep);
	}
	/* The verdict is in the record before the run's end is in its
	 * file (analysis_store.c writes from the next loop turn). */
	store_save_deployment(dep);
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
				   bg, canary_analysis_on_done, d, name, len,
				   &err) == -1) {
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
	store_save_deployment(dep); /* the run's name */
}

/* Takes run `name` back after a restart when the canary still waits for
 * it (needed): claimed while it measures, its verdict applied when it
 * ended by itself; else the name is cleared and, when needed, the next
 * pass starts a new run, which an event announces. */
static void take_back(struct daemon *d, struct deployment *dep, char *name,
		      bool needed, bool bg)
{
	enum analysis_phase phase;
	bool stopped = false;
	char why[400];
	bool known = rollout_analysis_outcome(d, name, &phase, &stopped, why,
					      sizeof(why));

	if (known && phase == ANALYSIS_RUNNING) {
		if (needed)
			rollout_analysis_claim(d, name);
		else
			rollout_analysis_stop(d, name, ANALYSIS_INCONCLUSIVE,
					      "no longer needed after the "
					      "restart");
		return;
	}
	if (!needed)
		return;
	if (known && !stopped) {
		/* It ended by itself but the record did not hold its
		 * verdict yet: the same decision now. */
		event_record(d, "Normal", "AnalysisVerdictApplied",
			     dep_object(dep),
			     "AnalysisRun %s ended %s before the restart: its "
			     "verdict is applied now",
			     name, analysis_phase_str(phase));
		if (!bg || phase != ANALYSIS_SUCCESSFUL)
			canary_analysis_on_done(d, name, phase, why);
		return;
	}
	event_record(d, "Normal", "AnalysisRestarted", dep_object(dep),
		     "AnalysisRun %s (%s) was %s after the restart: a new "
		     "run starts",
		     name, bg ? "background" : "step",
		     known ? "stopped" : "not recorded");
	name[0] = '\0';
	if (!bg)
		dep->canary.step_run_step = -1;
}

void canary_analysis_restored(struct daemon *d, struct deployment *dep)
{
	struct canary_run *run = &dep->canary;
	size_t n = dep->spec->canary_steps.n;
	bool live = dep->spec->strategy == STRATEGY_CANARY && run->s.hash[0] &&
		    !strcmp(run->s.hash, dep->hash) && !run->s.aborted &&
		    run->s.step < n;

	if (run->step_run[0] && strcmp(run->step_run, "-"))
		take_back(d, dep, run->step_run,
			  live && run->step_run_step == (long)run->s.step &&
			      run->s.analysis_ok_step != run->step_run_step &&
			      !run->s.held,
			  false);
	if (run->bg_run[0] && strcmp(run->bg_run, "-"))
		take_back(d, dep, run->bg_run, live, true);
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
