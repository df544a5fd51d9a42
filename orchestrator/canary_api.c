/*
 * canary_api.c - the control API's strategy verbs: POST
 * /v1/deployments/NAME/rollout/promote ({"full": true} for --full),
 * .../abort and .../retry, for Canary (canary.c) and BlueGreen
 * (bluegreen.c) deployments. Replies only; the runs are theirs.
 */
#include <jansson.h>
#include <stdio.h>

#include "bluegreen.h"
#include "canary.h"
#include "ctl_server.h"
#include "watch.h"

static void done(struct daemon *d, struct ctl_conn *c, int rc,
		 const struct berr *err, const char *what,
		 const struct deployment *dep)
{
	char msg[200];

	if (rc == -1) {
		ctl_reply_error(c, 409, "%s", err->msg);
		return;
	}
	watch_mark(d, WATCH_DEPLOYMENTS);
	snprintf(msg, sizeof(msg), "deployment.apps/%s %s", dep->name, what);
	ctl_reply_json(c, 200, json_pack("{s:s}", "message", msg));
}

void canary_api_promote(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, struct deployment *dep)
{
	json_t *body = ctl_body_object(c, req);
	struct berr err = BERR_INIT;
	json_t *full;
	bool is_full;
	int rc;

	if (body == NULL)
		return;
	full = json_object_get(body, "full");
	if (full && !json_is_boolean(full)) {
		json_decref(body);
		ctl_reply_error(c, 400, "full must be true or false");
		return;
	}
	is_full = full && json_is_true(full);
	json_decref(body);
	rc = dep->spec->strategy == STRATEGY_BLUE_GREEN
		 ? bluegreen_promote_cmd(d, dep, is_full, &err)
		 : canary_promote_cmd(d, dep, is_full, &err);
	done(d, c, rc, &err, is_full ? "promoted fully" : "promoted", dep);
}

void canary_api_abort(struct daemon *d, struct ctl_conn *c,
		      const struct ctl_request *req, struct deployment *dep)
{
	struct berr err = BERR_INIT;
	int rc = dep->spec->strategy == STRATEGY_BLUE_GREEN
		     ? bluegreen_abort_cmd(d, dep, &err)
		     : canary_abort_cmd(d, dep, &err);

	done(d, c, rc, &err, "aborted", dep);
}

void canary_api_retry(struct daemon *d, struct ctl_conn *c,
		      const struct ctl_request *req, struct deployment *dep)
{
	struct berr err = BERR_INIT;
	int rc = dep->spec->strategy == STRATEGY_BLUE_GREEN
		     ? bluegreen_retry_cmd(d, dep, &err)
		     : canary_retry_cmd(d, dep, &err);

	done(d, c, rc, &err, "retried", dep);
}
