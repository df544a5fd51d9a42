/*
 * rollout_analysis.h - analysis runs in the daemon: the registry
 * (analysis/) wired to the proxy, the runtime's exec and the event log;
 * starting a run of named [analysis NAME] templates against a revision
 * of a deployment (the entry point of every strategy: Canary steps and
 * background analysis here, BlueGreen's pre/postPromotionAnalysis); and
 * the control API's `get analysisruns` / `describe analysisrun` routes.
 */
#ifndef BERTH_ORCHESTRATOR_ROLLOUT_ANALYSIS_H
#define BERTH_ORCHESTRATOR_ROLLOUT_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>

#include "../analysis/analysis.h"
#include "../common/err.h"
#include "model.h"

/* After the proxy started; before anything starts a run. */
void rollout_analysis_init(struct daemon *d);
void rollout_analysis_free(struct daemon *d);

/*
 * Starts an analysis run of templates (names of [analysis NAME] sections
 * of the applied config) against revision `hash` of dep. The berth
 * provider counts the requests of every service that selects dep; the
 * exec provider runs in a ready pod of that revision. `what` says why
 * ("step 3/7", "background", "prePromotion"). done(arg, name, phase, why)
 * fires once, from the loop, when the run ends by itself: SUCCESSFUL,
 * FAILED, ERROR (treat as Failed) or INCONCLUSIVE; never after
 * rollout_analysis_stop(). arg must stay valid until then (the daemon
 * is a safe choice: look the deployment up by the run's name). The run's
 * name goes to name. 0, or -1 with err (an unknown template).
 */
int rollout_analysis_start(struct daemon *d, struct deployment *dep,
			   const struct strv *templates, const char *hash,
			   const char *what, bool background,
			   analysis_done_fn done, void *arg, char *name,
			   size_t name_len, struct berr *err);
/* Ends a run still measuring without calling its done (e.g. the rollout
 * was aborted or finished); nothing when name is "" or unknown. */
void rollout_analysis_stop(struct daemon *d, const char *name,
			   enum analysis_phase phase, const char *why);
/* What became of run name (analysis_run_outcome()); false: unknown. */
bool rollout_analysis_outcome(struct daemon *d, const char *name,
			      enum analysis_phase *phase, bool *stopped,
			      char *why, size_t len);
/* A run resumed after a restart is taken back by its strategy (one not
 * taken back is stopped: analysis_store_sweep()). */
void rollout_analysis_claim(struct daemon *d, const char *name);
/* The last measurements of dep's newest run appended to buf. */
bool rollout_analysis_status(struct daemon *d, struct deployment *dep,
			     char *buf, size_t len);

struct ctl_conn;
struct ctl_request;
/* GET /v1/analysisruns[?deployment=NAME] and /v1/analysisruns/NAME. */
void rollout_analysis_api_list(struct daemon *d, struct ctl_conn *c,
			       const struct ctl_request *req,
			       const char *const *arg);
void rollout_analysis_api_get(struct daemon *d, struct ctl_conn *c,
			      const struct ctl_request *req,
			      const char *const *arg);

#endif
