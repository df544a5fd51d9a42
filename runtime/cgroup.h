/*
 * cgroup.h - where berth's containers live in the cgroup tree, what is
 * removed once the last one is gone, and whether the host's cgroup layout
 * suits the configured runtime. Knows nothing about pods' states.
 */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include "../common/err.h"

/* The cgroupsPath of a pod's container ("/berth/NAME"); free() it. */
char *rt_cgroup_path(const char *pod_name);
/* Removes the empty "berth" parents in every hierarchy; harmless while a
 * container still exists. */
void rt_cgroup_remove_parents(void);
/* 0 when runtime_name can run containers here; -1 with err saying why
 * (crun refuses hybrid v1+v2 hosts). */
int rt_cgroup_check_host(const char *runtime_name, struct berr *err);

#endif
