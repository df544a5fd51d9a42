/*
 * cgroup.c - the cgroup knowledge berth needs beside the runtime's own:
 * the parent all pods share, its removal at `down`, the host check for
 * crun, and reading a pod's counters (OOM kills, memory, CPU). Must not
 * create cgroups (the runtime does) nor know pods' states.
 */
#include "cgroup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* --- reading a pod's cgroup ----------------------------------------------
 * Which hierarchy holds memory depends on the host: pure v2 (one tree at
 * /sys/fs/cgroup), or v1/hybrid (memory and cpuacct each in their own
 * tree; the unified tree of a hybrid host carries no controller we read).
 */

int rt_cgroup_kv(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');

		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(line + klen + 1, &end, 10);
			if (errno != 0 || end == line + klen + 1 ||
			    (*end != '\n' && *end != '\0'))
				return -1;
			*out = (uint64_t)v;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

/* The first line of a file holding one number. */
static int read_u64(const char *path, uint64_t *out)
{
	cleanup_free char *text = NULL;
	char *end;
	unsigned long long v;

	if (file_read_all(path, &text, NULL, NULL) == -1)
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || end == text || (*end != '\n' && *end != '\0'))
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int read_kv(const char *path, const char *key, uint64_t *out)
{
	cleanup_free char *text = NULL;

	if (file_read_all(path, &text, NULL, NULL) == -1)
		return -1;
	return rt_cgroup_kv(text, key, out);
}

static int stats_v2(const char *dir, struct rt_cgroup_stats *st)
{
	cleanup_free char *events = xasprintf("%s/memory.events", dir);
	cleanup_free char *current = xasprintf("%s/memory.current", dir);
	cleanup_free char *mstat = xasprintf("%s/memory.stat", dir);
	cleanup_free char *cstat = xasprintf("%s/cpu.stat", dir);
	uint64_t usec, inactive = 0;

	if (access(events, R_OK) != 0)
		return -1;
	if (read_kv(events, "oom_kill", &st->oom_kills) == 0)
		st->has_oom = true;
	if (read_u64(current, &st->memory_usage) == 0) {
		read_kv(mstat, "inactive_file", &inactive);
		st->memory_working_set = st->memory_usage > inactive
					     ? st->memory_usage - inactive
					     : 0;
		st->has_memory = true;
	}
	if (read_kv(cstat, "usage_usec", &usec) == 0) {
		st->cpu_usage_ns = usec * 1000;
		st->has_cpu = true;
	}
	return 0;
}

static void stats_v1(const char *pod_name, struct rt_cgroup_stats *st)
{
	static const char *const cpu_roots[] = {"/sys/fs/cgroup/cpuacct",
						"/sys/fs/cgroup/cpu,cpuacct",
						"/sys/fs/cgroup/cpu"};
	cleanup_free char *mem =
	    xasprintf("/sys/fs/cgroup/memory/" CGROUP_PARENT "/%s", pod_name);
	cleanup_free char *oom = xasprintf("%s/memory.oom_control", mem);
	cleanup_free char *usage = xasprintf("%s/memory.usage_in_bytes", mem);
	cleanup_free char *mstat = xasprintf("%s/memory.stat", mem);
	uint64_t inactive = 0;

	/* oom_kill in memory.oom_control since Linux 4.13. */
	if (read_kv(oom, "oom_kill", &st->oom_kills) == 0)
		st->has_oom = true;
	if (read_u64(usage, &st->memory_usage) == 0) {
		read_kv(mstat, "total_inactive_file", &inactive);
		st->memory_working_set = st->memory_usage > inactive
					     ? st->memory_usage - inactive
					     : 0;
		st->has_memory = true;
	}
	for (size_t i = 0; i < sizeof(cpu_roots) / sizeof(cpu_roots[0]); i++) {
		cleanup_free char *path =
		    xasprintf("%s/" CGROUP_PARENT "/%s/cpuacct.usage",
			      cpu_roots[i], pod_name);

		if (read_u64(path, &st->cpu_usage_ns) == 0) {
			st->has_cpu = true;
			break;
		}
	}
}

int rt_cgroup_stats(const char *pod_name, struct rt_cgroup_stats *st)
{
	cleanup_free char *v2 =
	    xasprintf("/sys/fs/cgroup/" CGROUP_PARENT "/%s", pod_name);

	memset(st, 0, sizeof(*st));
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		stats_v2(v2, st);
	else
		stats_v1(pod_name, st);
	return st->has_oom || st->has_memory || st->has_cpu ? 0 : -1;
}
