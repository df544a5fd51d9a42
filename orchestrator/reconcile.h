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
/* n more pods of template hash (the current one or one in the history);
 * returns how many were made. */
int reconcile_create_pods(struct daemon *d, struct deployment *dep,
			  const char *hash, int n);
/* Up to n pods of hash terminated, the least healthy first. */
int reconcile_remove_pods(struct daemon *d, struct deployment *dep,
			  const char *hash, int n, bool unavailable_only,
			  const char *why);

#endif
