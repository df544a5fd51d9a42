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

/* `berth get analysisruns`: every run kept (newest last), as JSON. */
json_t *analysis_runs_json(struct analysis_runs *rs, const char *owner);
/* `berth describe analysisrun NAME`: NULL when there is none. */
json_t *analysis_run_json(struct analysis_runs *rs, const char *name);
/* The last measurements of the newest run of owner, one per line,
 * appended to buf (for `rollout status`); false when owner has none. */
bool analysis_runs_status(struct analysis_runs *rs, const char *owner,
			  char *buf, size_t len);

#endif
