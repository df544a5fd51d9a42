/*
 * cgroup.c - the cgroup knowledge berth needs beside the runtime's own:
 * the parent all pods share, its removal at `down`, and the host check
 * for crun. Must not create cgroups (the runtime does) nor know pods.
 */
#include "cgroup.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"

#define CGROUP_PARENT "berth"

char *rt_cgroup_path(const char *pod_name)
{
	return xasprintf("/" CGROUP_PARENT "/%s", pod_name);
}

void rt_cgroup_remove_parents(void)
{
	static const char *const roots[] = {"/sys/fs/cgroup",
					    "/sys/fs/cgroup/unified",
					    "/sys/fs/cgroup/cpu",
					    "/sys/fs/cgroup/cpuacct",
					    "/sys/fs/cgroup/cpu,cpuacct",
					    "/sys/fs/cgroup/cpuset",
					    "/sys/fs/cgroup/memory",
					    "/sys/fs/cgroup/devices",
					    "/sys/fs/cgroup/freezer",
					    "/sys/fs/cgroup/blkio",
					    "/sys/fs/cgroup/pids",
					    "/sys/fs/cgroup/systemd",
					    "/sys/fs/cgroup/net_cls",
					    "/sys/fs/cgroup/net_prio",
					    "/sys/fs/cgroup/net_cls,net_prio",
					    "/sys/fs/cgroup/perf_event",
					    "/sys/fs/cgroup/hugetlb",
					    "/sys/fs/cgroup/rdma",
					    "/sys/fs/cgroup/misc"};

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/" CGROUP_PARENT, roots[i]);
		rmdir(path); /* fails harmlessly while other pods exist */
	}
}

int rt_cgroup_check_host(const char *runtime_name, struct berr *err)
{
	cleanup_free char *controllers = NULL;

	if (strcmp(runtime_name, "crun") != 0)
		return 0;
	/* crun 1.8 refuses hybrid hosts: v1 controllers plus a v2
	 * hierarchy with controllers enabled. Say so once, clearly. */
	if (file_read_all("/sys/fs/cgroup/unified/cgroup.controllers",
			  &controllers, NULL, NULL) == 0 &&
	    controllers[0] != '\0' && controllers[0] != '\n')
		return berr_set(err,
				"runtime `crun` cannot run containers on this "
				"host: cgroups are in hybrid mode (v1 plus v2 "
				"controllers: %.*s); use runtime = runc",
				(int)strcspn(controllers, "\n"), controllers);
	return 0;
}
