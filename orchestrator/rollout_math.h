/*
 * rollout_math.h - the Kubernetes deployment controller's arithmetic for
 * RollingUpdate, as pure functions: maxSurge rounds up, maxUnavailable
 * rounds down, both zero means maxUnavailable 1.
 */
#ifndef BERTH_ORCHESTRATOR_ROLLOUT_MATH_H
#define BERTH_ORCHESTRATOR_ROLLOUT_MATH_H

#include "../config/config.h"

/* An int-or-percent of total, rounded up or down. */
int rollout_scaled(struct int_or_percent v, int total, int round_up);
/* Resolves maxSurge/maxUnavailable against replicas. */
void rollout_resolve(struct int_or_percent surge, struct int_or_percent unav,
		     int replicas, int *surge_out, int *unav_out);
/* New pods to create now: min(replicas + surge - all, replicas - new). */
int rollout_scale_up(int replicas, int surge, int all_pods, int new_pods);
/* Upper bound of old pods that may go: all - (replicas - unav) - new
 * pods not yet available (the controller's maxScaledDown). */
int rollout_max_scaled_down(int replicas, int unav, int all_pods,
			    int new_pods, int new_available);
/* Healthy old pods to scale down after unhealthy ones are gone:
 * available - (replicas - unav), never negative. */
int rollout_scale_down_available(int replicas, int unav, int available);

#endif
