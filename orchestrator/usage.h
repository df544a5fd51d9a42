/*
 * usage.h - the pods' resource usage as `kubectl top pods` shows it: CPU
 * in millicores over a window of samples taken on the housekeeping tick,
 * and the memory working set (usage - inactive_file, as cAdvisor). Reads
 * the cgroups through the runtime (rt_stats); decides nothing.
 */
#ifndef BERTH_ORCHESTRATOR_USAGE_H
#define BERTH_ORCHESTRATOR_USAGE_H

#include <jansson.h>

#include "model.h"

/* The CPU figure is the average over this window (ms). */
#define USAGE_WINDOW_MS 5000

/* Samples every running pod's cgroup; called once a second. */
void usage_sample(struct daemon *d);
/* Forgets a pod's samples (its container ended: the counters restart). */
void usage_reset(struct pod *p);
/* {"pods":[{"name","cpu_millicores","memory_bytes"}]}, running pods with
 * figures only; a figure not known yet is -1. */
json_t *usage_view(struct daemon *d);

#endif
