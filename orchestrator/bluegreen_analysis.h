/*
 * bluegreen_analysis.h - BlueGreen's promotion analyses through the
 * analysis engine: registered at start, the list of runs freed at exit.
 */
#ifndef BERTH_ORCHESTRATOR_BLUEGREEN_ANALYSIS_H
#define BERTH_ORCHESTRATOR_BLUEGREEN_ANALYSIS_H

/* After rollout_analysis_init(). */
void bluegreen_analysis_init(void);
/* Before rollout_analysis_free(): the runs it tracks are forgotten. */
void bluegreen_analysis_free(void);

#include <jansson.h>

#include "../analysis/analysis.h"
#include "model.h"
/* A run's verdict (the done callback of the runs it starts, and of the
 * runs put back after a restart); names it does not track: nothing. */
void bluegreen_analysis_on_done(void *arg, const char *run_name,
				enum analysis_phase phase, const char *why);
/* dep's runs for its record (NULL: none), and back from it. */
json_t *bluegreen_analysis_json(const char *dep);
void bluegreen_analysis_restore(const char *dep, json_t *runs);
/* After the analysis runs were put back (analysis_store.c): each run
 * dep's list waits for is claimed while it measures, its verdict taken
 * when it ended by itself, else dropped (the next poll starts anew). */
void bluegreen_analysis_restored(struct daemon *d, struct deployment *dep);

#endif
