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

/*
 * Makes spec (xmalloc'd, from cfg_deployment_dup; owned from here on) the
 * deployment's template, recording cause. Returns 1 when a new revision
 * started (or, paused, was recorded), 0 when the template was unchanged
 * (spec freed).
 */
int rollout_set_template(struct daemon *d, struct deployment *dep,
			 struct deployment_spec *spec, const char *cause);
/* `set image`: image must be an absolute path of a directory. */
int rollout_set_image(struct daemon *d, struct deployment *dep,
		      const char *image, const char *cause, struct berr *err);
/* `rollout restart`: same template, new restart stamp. */
void rollout_restart(struct daemon *d, struct deployment *dep);
/*
 * `rollout undo`: to_revision 0 is the previous revision. -1 with *status
 * 404 when there is no such revision (nothing changed); returns 1 when
 * rolled back, 0 when the template already matched (skipped).
 */
int rollout_undo(struct daemon *d, struct deployment *dep, int to_revision,
		 int *status, struct berr *err);
/* After ProgressDeadlineExceeded with progressDeadlineAbort: back to the
 * template stable_hash (the last fully available one; NULL: unknown, the
 * previous revision is used). say_when_skipped: an event when there is
 * nothing to go back to. */
void rollout_abort(struct daemon *d, struct deployment *dep,
		   const char *stable_hash, bool say_when_skipped);

/* {"done", "failed", "message"} as `kubectl rollout status` words it. */
json_t *rollout_status_json(struct daemon *d, struct deployment *dep);
/* `rollout history` text; revision > 0: that revision's template. NULL
 * with err when the revision does not exist. */
char *rollout_history_text(struct deployment *dep, int revision,
			   struct berr *err);

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
