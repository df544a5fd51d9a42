/*
 * canary.h - the Canary strategy's controller: runs a deployment's
 * canary.steps between its stable revision (the last fully available
 * one) and the current one, scales both, and sets the weight and header
 * route of every service that selects the deployment in the proxy.
 */
#ifndef BERTH_ORCHESTRATOR_CANARY_H
#define BERTH_ORCHESTRATOR_CANARY_H

#include <stdbool.h>

#include "../common/err.h"
#include "model.h"

/* One controller step of a Canary deployment. true when a run is in
 * progress and this was its step; false when the rolling update path
 * goes on: no stable revision yet, nothing to roll out, or every step
 * passed and the canary revision is fully available (it then takes
 * every request, and the old pods go as maxUnavailable allows). */
bool canary_reconcile(struct daemon *d, struct deployment *dep,
		      const char *stable, int replicas);

/* `berth rollout promote [--full] | abort | retry`: -1 with err when
 * dep has no canary run (or, for retry, none that was aborted). */
int canary_promote_cmd(struct daemon *d, struct deployment *dep, bool full,
		       struct berr *err);
int canary_abort_cmd(struct daemon *d, struct deployment *dep,
		     struct berr *err);
int canary_retry_cmd(struct daemon *d, struct deployment *dep,
		     struct berr *err);

/* One line for `rollout status` while a canary run is in progress
 * (step n/N, the step, the weight set and the one in the proxy); false
 * when there is none. */
bool canary_status(const struct deployment *dep, char *buf, size_t len);

/* Aborts dep's run (the step machine's canary_abort) with the canary
 * pods' deadline from abortScaleDownDelaySeconds; says in buf when the
 * pods go ("the canary pods go in 30 s ..."), for the event. */
const char *canary_abort_run(struct deployment *dep, char *buf, size_t len);

/* Publishes the run's weight and header route to the proxy at once. */
void canary_publish_now(struct daemon *d, struct deployment *dep);

/* canary_analysis.c: starts the runs the steps reach (an `analysis`
 * step, the background analysis) and applies their verdicts. */
#include "../analysis/analysis.h"
struct canary_output;
void canary_analysis_sync(struct daemon *d, struct deployment *dep,
			  const struct canary_output *out);
/* A run's verdict (the done callback of the runs it starts, and of the
 * runs put back after a restart); names it does not know: nothing. */
void canary_analysis_on_done(void *arg, const char *name,
			     enum analysis_phase phase, const char *why);
/* After the analysis runs were put back (analysis_store.c): takes back
 * the runs dep's canary waits for, or clears them to start anew. */
void canary_analysis_restored(struct daemon *d, struct deployment *dep);
/* Stops dep's runs without verdict callbacks (abort, a new revision). */
void canary_analysis_stop(struct daemon *d, struct deployment *dep,
			  enum analysis_phase phase, const char *why);

/* canary_api.c: the control API's routes of the three verbs. */
struct ctl_conn;
struct ctl_request;
void canary_api_promote(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, struct deployment *dep);
void canary_api_abort(struct daemon *d, struct ctl_conn *c,
		      const struct ctl_request *req, struct deployment *dep);
void canary_api_retry(struct daemon *d, struct ctl_conn *c,
		      const struct ctl_request *req, struct deployment *dep);

#endif
