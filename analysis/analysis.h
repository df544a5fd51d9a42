/*
 * analysis.h - analysis runs (Argo Rollouts' AnalysisRun): the
 * measurements of one or more [analysis NAME] templates against one
 * revision, their verdicts, and the run's end (Successful, Failed,
 * Inconclusive, Error) told to whoever started it. Used by the
 * orchestrator (Canary steps and background analysis; BlueGreen's
 * pre/postPromotionAnalysis). Knows the proxy (the berth provider reads
 * its per-revision counters) and the runtime's exec (the exec provider);
 * knows nothing of deployments or pods: the caller names the services
 * and picks the container.
 */
#ifndef BERTH_ANALYSIS_ANALYSIS_H
#define BERTH_ANALYSIS_ANALYSIS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../config/config.h"

enum analysis_phase {
	ANALYSIS_RUNNING,
	ANALYSIS_SUCCESSFUL,
	ANALYSIS_FAILED,
	ANALYSIS_INCONCLUSIVE,
	ANALYSIS_ERROR, /* consecutiveErrorLimit passed: treated as Failed */
};
const char *analysis_phase_str(enum analysis_phase p);

struct proxy;
struct analysis_run;
struct analysis_runs;

/* What the daemon lends every run; must outlive the registry. */
struct analysis_env {
	uv_loop_t *loop;
	struct proxy *proxy;	  /* the berth provider's counters */
	const char *runtime;	  /* exec provider: runtime path ... */
	const char *runtime_root; /* ... and its --root */
	/* The container of a running, ready pod of revision `revision` of
	 * `owner` for the exec provider, into id; -1 when there is none. */
	int (*pick_container)(void *arg, const char *owner,
			      const char *revision, char *id, size_t len);
	/* An event about the run (reason e.g. "AnalysisMeasurement"),
	 * recorded against `owner` (e.g. "deployment/web"). */
	void (*event)(void *arg, const char *owner, const char *type,
		      const char *reason, const char *msg);
	void *arg;
	int64_t (*now_mono)(void); /* the monotonic clock, ms */
	int64_t (*now_wall)(void); /* wall time for display, ms */
	/* A run of `owner` started, measured, ended or was dropped: its
	 * runs are to be saved again (analysis_runs_save). May be NULL. */
	void (*changed)(void *arg, const char *owner);
};

/* Called once when a run ends by itself (not after analysis_run_stop);
 * why states the deciding arithmetic. */
typedef void (*analysis_done_fn)(void *arg, const char *run_name,
				 enum analysis_phase phase, const char *why);

struct analysis_start {
	const char *owner;    /* "deployment/web": events and listing */
	const char *revision; /* pod-template-hash measured */
	const struct analysis_template *const *templates; /* copied */
	size_t n_templates;
	const char *const *services; /* berth provider's default; copied */
	size_t n_services;
	/* Background analysis: a metric without count measures until the
	 * run is stopped, and `count 0` means the same (in a step it
	 * skips the metric). */
	bool background;
	const char *what; /* "step 3", "background", "prePromotion" */
	analysis_done_fn done;
	void *done_arg;
};

struct analysis_runs *analysis_runs_new(const struct analysis_env *env);
/* Stops every run (no callback) and frees the registry; the runs' own
 * memory goes when their handles have closed (the loop must run). */
void analysis_runs_free(struct analysis_runs *rs);

/*
 * Starts a run; its name ("OWNERNAME-REVISION-N") is copied into name.
 * The first measurements are taken from the loop, never inside this
 * call, so done never fires before it returns. 0, or -1 with err.
 */
int analysis_run_start(struct analysis_runs *rs, const struct analysis_start *s,
		       char *name, size_t name_len, struct berr *err);
/*
 * Ends a run that is still measuring, as `phase` (Successful when a
 * background run's rollout finished, Failed/Inconclusive when aborted
 * or replaced), without calling done. Unknown or ended runs: nothing.
 */
void analysis_run_stop(struct analysis_runs *rs, const char *name,
		       enum analysis_phase phase, const char *why);
/* The phase of a run; false when no run has that name. */
bool analysis_run_phase(struct analysis_runs *rs, const char *name,
			enum analysis_phase *phase);
/* What became of run name: false when there is none; else its phase,
 * whether analysis_run_stop ended it (rather than its own verdict) and
 * its message (the deciding arithmetic) into why. */
bool analysis_run_outcome(struct analysis_runs *rs, const char *name,
			  enum analysis_phase *phase, bool *stopped, char *why,
			  size_t len);

/*
 * Persistence. analysis_runs_save: owner's runs (the last
 * ANALYSIS_RUNS_PER_OWNER ended ones and every running one, oldest
 * first) as one JSON document, each with what `describe analysisrun`
 * shows plus what a resumed run needs (tallies, services).
 * analysis_runs_restore: puts back what it wrote, after a restart. An
 * ended run is kept as it was (listing, describe, status). A run that
 * was measuring goes on where it stood: its tallies and history kept,
 * templates looked up again by name (lookup), the next measurement one
 * interval from now (the berth provider's window starts now: the
 * proxy's counters started again), done(done_arg, ...) called when it
 * ends; an AnalysisResumed event says so. A run whose templates are
 * gone ends as Error, stopped (its owner starts a new one, or not).
 */
#define ANALYSIS_RUNS_PER_OWNER 10
json_t *analysis_runs_save(struct analysis_runs *rs, const char *owner);
void analysis_runs_restore(
    struct analysis_runs *rs, json_t *saved,
    const struct analysis_template *(*lookup)(void *arg, const char *name),
    void *lookup_arg, analysis_done_fn done, void *done_arg);
/* The names of the runs restored as measuring and not yet claimed by
 * analysis_run_claim(): after a restart, a run nobody took back is
 * stopped with analysis_runs_stop_unclaimed(). */
void analysis_run_claim(struct analysis_runs *rs, const char *name);
void analysis_runs_stop_unclaimed(struct analysis_runs *rs, const char *why);

/* `berth get analysisruns`: every run kept (newest last), as JSON. */
json_t *analysis_runs_json(struct analysis_runs *rs, const char *owner);
/* `berth describe analysisrun NAME`: NULL when there is none. */
json_t *analysis_run_json(struct analysis_runs *rs, const char *name);
/* The last measurements of the newest run of owner, one per line,
 * appended to buf (for `rollout status`); false when owner has none. */
bool analysis_runs_status(struct analysis_runs *rs, const char *owner,
			  char *buf, size_t len);

#endif
