/*
 * view.h - what users see: kubectl-style STATUS strings and the JSON
 * documents of `get pods|deployments|services -o json` (SPEC §7). Read-only
 * over the model.
 */
#ifndef BERTH_ORCHESTRATOR_VIEW_H
#define BERTH_ORCHESTRATOR_VIEW_H

#include <jansson.h>

#include "model.h"

const char *pod_status(const struct pod *p);
bool pod_is_ready(const struct pod *p);
/* Ready for at least minReadySeconds. */
bool pod_is_available(const struct pod *p, int64_t now_mono);

json_t *view_pod(const struct pod *p);
json_t *view_pods(struct daemon *d);
json_t *view_deployment(struct daemon *d, struct deployment *dep);
json_t *view_deployments(struct daemon *d);
json_t *view_services(struct daemon *d);

struct dep_counts {
	int total;   /* non-terminating pods */
	int updated; /* non-terminating pods of the current revision */
	int ready;
	int available;
	int updated_available;
	int terminating;
};
void deployment_counts(struct daemon *d, struct deployment *dep,
		       struct dep_counts *c);
const char *deployment_rollout_state(struct daemon *d, struct deployment *dep);
const char *strategy_name(enum strategy_type t);

#endif
