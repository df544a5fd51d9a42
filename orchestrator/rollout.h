/*
 * rollout.h - rollout operations on a deployment: new templates (set
 * image, rollout restart, rollout undo, the progressDeadlineAbort
 * rollback), pause/resume, and what `rollout status|history` show, plus
 * the control-API routes for them. Pod counts are reconcile.c's business.
 */
#ifndef BERTH_ORCHESTRATOR_ROLLOUT_H
#define BERTH_ORCHESTRATOR_ROLLOUT_H

#include <jansson.h>

#include "ctl_server.h"
#include "model.h"

/* After ProgressDeadlineExceeded with progressDeadlineAbort: back to the
 * template stable_hash (the last fully available one; NULL: unknown, the
 * previous revision is used). say_when_skipped: an event when there is
 * nothing to go back to. */
void rollout_abort(struct daemon *d, struct deployment *dep,
		   const char *stable_hash, bool say_when_skipped);

/* Pauses or resumes a deployment's rollout; false when it already was. */
bool rollout_set_paused(struct daemon *d, struct deployment *dep, bool pause);

/* Routes (api.c's table): /v1/deployments/NAME/rollout/VERB and
 * /v1/deployments/NAME/image. */
void rollout_api_status(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, struct deployment *dep);
void rollout_api_history(struct daemon *d, struct ctl_conn *c,
			 const struct ctl_request *req, struct deployment *dep);
void rollout_api_pause(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, struct deployment *dep);
void rollout_api_resume(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, struct deployment *dep);
void rollout_api_undo(struct daemon *d, struct ctl_conn *c,
		      const struct ctl_request *req, struct deployment *dep);
void rollout_api_restart(struct daemon *d, struct ctl_conn *c,
			 const struct ctl_request *req, struct deployment *dep);
void rollout_api_image(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, struct deployment *dep);

#endif
