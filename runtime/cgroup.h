/*
 * cgroup.h - where berth's containers live in the cgroup tree, what is
 * removed once the last one is gone, and whether the host's cgroup layout
 * suits the configured runtime. Knows nothing about pods' states.
 */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"

/* A pod's cgroup counters; a has_* false means the file was not there. */
struct rt_cgroup_stats {
	bool has_oom, has_memory, has_cpu;
	uint64_t oom_kills;	     /* memory.events / memory.oom_control */
	uint64_t memory_usage;	     /* bytes charged */
	uint64_t memory_working_set; /* usage - inactive_file, as cAdvisor */
	uint64_t cpu_usage_ns;	     /* cumulative CPU time */
};

/* The cgroupsPath of a pod's container ("/berth/NAME"); free() it. */
char *rt_cgroup_path(const char *pod_name);
/* Removes the empty "berth" parents in every hierarchy; harmless while a
 * container still exists. */
void rt_cgroup_remove_parents(void);
/* 0 when runtime_name can run containers here; -1 with err saying why
 * (crun refuses hybrid v1+v2 hosts). */
int rt_cgroup_check_host(const char *runtime_name, struct berr *err);

/* Reads the counters of /berth/POD from whichever hierarchy holds each
 * controller (v2, or v1 memory + cpuacct on v1/hybrid hosts). -1 when
 * none could be read (the cgroup is gone). Blocking but cheap (sysfs). */
int rt_cgroup_stats(const char *pod_name, struct rt_cgroup_stats *st);
/* The value of "KEY N" lines (memory.events, memory.stat, cpu.stat,
 * memory.oom_control). -1 when key is missing or its value malformed. */
int rt_cgroup_kv(const char *text, const char *key, uint64_t *out);

#endif
