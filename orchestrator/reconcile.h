/*
 * reconcile.h - makes each deployment's pods match its spec: replicas,
 * revision, strategy. Runs soon after anything changes (coalesced).
 */
#ifndef BERTH_ORCHESTRATOR_RECONCILE_H
#define BERTH_ORCHESTRATOR_RECONCILE_H

#include "model.h"

void reconcile_init(struct daemon *d);
void reconcile_schedule(struct daemon *d);
void reconcile_now(struct daemon *d);
/* The hash of the last template that was fully available (rolled out
 * completely), in out; NULL when none is known yet. */
const char *reconcile_stable_hash(struct deployment *dep, char out[16]);

#endif
