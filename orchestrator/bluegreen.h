/*
 * bluegreen.h - the BlueGreen strategy's controller: the new revision
 * comes up beside the active one, the preview service selects it, the
 * active service moves to it at once on promotion, and the old revision
 * stays for scaleDownDelaySeconds (an undo meanwhile moves traffic only).
 * A service's pin to one revision is applied in endpoints.c through
 * bluegreen_admits().
 */
#ifndef BERTH_ORCHESTRATOR_BLUEGREEN_H
#define BERTH_ORCHESTRATOR_BLUEGREEN_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"
#include "bluegreen_phase.h"
#include "model.h"

/* One controller step of a BlueGreen deployment (every step: it also
 * keeps the active revision at replicas when no rollout runs). */
void bluegreen_reconcile(struct daemon *d, struct deployment *dep,
			 int replicas);

/* false when service svc (by name) must not send to pod p: svc is the
 * active or preview service of p's BlueGreen deployment and p is not of
 * the revision it selects. */
bool bluegreen_admits(struct daemon *d, const char *svc, const struct pod *p);

/* `berth rollout promote [--full] | abort | retry` of a BlueGreen
 * deployment: -1 with err when there is nothing to do. */
int bluegreen_promote_cmd(struct daemon *d, struct deployment *dep, bool full,
			  struct berr *err);
int bluegreen_abort_cmd(struct daemon *d, struct deployment *dep,
			struct berr *err);
int bluegreen_retry_cmd(struct daemon *d, struct deployment *dep,
			struct berr *err);

/* The line of `rollout status` while a BlueGreen rollout runs ("BlueGreen
 * of revision 3: preview ready 3/3, waiting for promotion"); false when
 * none runs. *done: promoted (the old revision may still wait). */
bool bluegreen_status(struct daemon *d, const struct deployment *dep, char *buf,
		      size_t len, bool *done);

/*
 * The analysis hook. prePromotionAnalysis / postPromotionAnalysis name an
 * [analysis NAME] template; the analysis engine registers these two
 * functions once at start-up (main.c or its plugin). Without an engine a
 * configured analysis is Inconclusive: the rollout waits for `berth
 * rollout promote`, which passes it.
 *
 * poll: starts the run of template `name` for revision `hash` of dep if
 *   none runs for (dep, which, hash), and returns its verdict; `which` is
 *   "prePromotionAnalysis" or "postPromotionAnalysis". Called at every
 *   controller step while the rollout waits on it, so it must be cheap
 *   and idempotent; the engine calls reconcile_schedule(d) when a verdict
 *   changes. why (may stay empty) is shown in events and status.
 * cancel: the run of (dep, which) is no longer wanted (promoted past it,
 *   aborted, or the template changed); it may be called with none running.
 */
struct bluegreen_analysis_ops {
	enum bg_verdict (*poll)(struct daemon *d, struct deployment *dep,
				const char *which, const char *name,
				const char *hash, char *why, size_t len);
	void (*cancel)(struct daemon *d, struct deployment *dep,
		       const char *which);
};
void bluegreen_analysis_register(const struct bluegreen_analysis_ops *ops);

#endif
