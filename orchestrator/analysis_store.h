/*
 * analysis_store.h - analysis runs kept across a daemon restart, in
 * STATE_DIR/analysisruns/DEPLOYMENT.json (written off the loop, bounded
 * per deployment), read back at start-up: ended runs listed as they
 * were, measuring ones resumed and taken back by their strategy.
 */
#ifndef BERTH_ORCHESTRATOR_ANALYSIS_STORE_H
#define BERTH_ORCHESTRATOR_ANALYSIS_STORE_H

#include "../common/err.h"
#include "model.h"

/* After rollout_analysis_init(); makes the folder. */
int analysis_store_init(struct daemon *d, struct berr *err);
/* Writes what is pending (the loop must run for it to end) and lets go. */
void analysis_store_free(struct daemon *d);
/* The registry's env.changed: owner ("deployment/NAME") is written from
 * the next loop turn. */
void analysis_store_changed(struct daemon *d, const char *owner);
/* Every file written now, on this thread (before a hand-over to a new
 * binary, whose loop will not run the pending writes). */
void analysis_store_write_now(struct daemon *d);
/* A deployment forgotten: its file goes (after a write in progress). */
void analysis_store_forget(struct daemon *d, const char *dep);
/* At start-up, after the deployment records were put back: the runs
 * back in the registry, and each strategy takes back what it waits for
 * (canary_analysis_restored(), bluegreen_analysis_restored()). */
void analysis_store_restore(struct daemon *d);
/* After the first controller pass following analysis_store_restore():
 * a resumed run that no strategy took back is stopped. */
void analysis_store_sweep(struct daemon *d);

#endif
