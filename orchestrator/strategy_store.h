/*
 * strategy_store.h - where a Canary or BlueGreen run stands, in the
 * deployment record (STATE_DIR/deployments/NAME.json, key "strategy"),
 * both ways: the canary step, weight, scale, header route, pause,
 * abort (and its scale-down deadline), the names of the analysis runs
 * it waits for and the verdicts applied; the BlueGreen phase, revisions,
 * deadlines and its promotion analyses' runs. Deadlines are
 * written as wall time and read back onto the monotonic clock, so a
 * restarted daemon resumes at the same step with the same deadlines.
 */
#ifndef BERTH_ORCHESTRATOR_STRATEGY_STORE_H
#define BERTH_ORCHESTRATOR_STRATEGY_STORE_H

#include <jansson.h>

#include "model.h"

/* The run's state as JSON, or NULL when no run was ever recorded. */
json_t *strategy_state_json(const struct deployment *dep);
/* Puts back what strategy_state_json wrote (j may be NULL: nothing).
 * A run of a revision the history no longer has is dropped. */
void strategy_state_restore(struct deployment *dep, json_t *j);

#endif
