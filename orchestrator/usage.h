/*
 * usage.h - the pods' resource usage as `kubectl top pods` shows it: CPU
 * in millicores over a window of samples taken on the housekeeping tick,
 * and the memory working set (usage - inactive_file, as cAdvisor). Reads
 * the cgroups through the runtime (rt_stats) on the thread pool; decides
 * nothing.
 */
#ifndef BERTH_ORCHESTRATOR_USAGE_H
#define BERTH_ORCHESTRATOR_USAGE_H

#include <jansson.h>

#include "model.h"

/* The CPU figure is the average over this window (ms). */
#define USAGE_WINDOW_MS 5000

/* Samples every running pod's cgroup; called once a second. The reads
 * are one thread-pool job; a call while the last one is out does not
 * queue another. */
void usage_sample(struct daemon *d);

/* The steps of usage_sample, apart for tests. A batch holds every running
 * pod (pod_ref) with its container's identity; read on any thread (read
 * is rt_stats or a test's reader); applied on the loop, each result to
 * its pod only if that pod still runs the container it was read for.
 * usage_batch_new gives NULL when no pod runs; apply frees the batch,
 * and applies nothing when it was never read. */
struct usage_batch;
typedef int (*usage_read_fn)(void *arg, const char *name,
			     struct rt_cgroup_stats *st);
struct usage_batch *usage_batch_new(struct daemon *d);
void usage_batch_read(struct usage_batch *b, usage_read_fn read, void *arg);
void usage_batch_apply(struct usage_batch *b);
/* Forgets a pod's samples (its container ended: the counters restart). */
void usage_reset(struct pod *p);
/* {"pods":[{"name","cpu_millicores","memory_bytes"}]}, running pods with
 * figures only; a figure not known yet is -1. */
json_t *usage_view(struct daemon *d);

#endif
