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

#endif
