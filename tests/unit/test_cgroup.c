/*
 * test_cgroup.c - unit tests for the parsing of runtime/cgroup.c: the
 * "KEY N" lines of memory.events, memory.stat, cpu.stat and v1's
 * memory.oom_control. Reads no real cgroup.
 */
#include <stdint.h>

#include "../../runtime/cgroup.h"
#include "../lib/tap.h"

int main(void)
{
	uint64_t v = 0;

	/* cgroup v2 memory.events after one OOM kill */
	const char *events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n"
			     "oom_group_kill 0\n";
	/* v1 memory.oom_control */
	const char *oom_control = "oom_kill_disable 0\nunder_oom 0\n"
				  "oom_kill 3\n";
	const char *mstat = "anon 8192\nfile 4096\ninactive_file 1024\n"
			    "total_inactive_file 2048";

	ok(rt_cgroup_kv(events, "oom_kill", &v) == 0 && v == 1,
	   "memory.events: oom_kill 1");
	ok(rt_cgroup_kv(events, "oom", &v) == 0 && v == 1,
	   "memory.events: `oom` is not the prefix of `oom_kill`");
	ok(rt_cgroup_kv(oom_control, "oom_kill", &v) == 0 && v == 3,
	   "memory.oom_control: oom_kill 3");
	ok(rt_cgroup_kv(oom_control, "oom_kill_disable", &v) == 0 && v == 0,
	   "memory.oom_control: oom_kill_disable is its own key");
	ok(rt_cgroup_kv(mstat, "inactive_file", &v) == 0 && v == 1024,
	   "memory.stat: inactive_file");
	ok(rt_cgroup_kv(mstat, "total_inactive_file", &v) == 0 && v == 2048,
	   "memory.stat: last line without a newline");
	ok(rt_cgroup_kv(mstat, "active_file", &v) == -1,
	   "a missing key is -1 (not the tail of another key)");
	ok(rt_cgroup_kv("usage_usec 12x\n", "usage_usec", &v) == -1,
	   "a malformed value is -1");
	ok(rt_cgroup_kv("usage_usec \n", "usage_usec", &v) == -1,
	   "an empty value is -1");
	ok(rt_cgroup_kv("", "oom_kill", &v) == -1, "an empty file is -1");
	ok(rt_cgroup_kv("usage_usec 18446744073709551615\n", "usage_usec",
			&v) == 0 &&
	       v == UINT64_MAX,
	   "the largest counter");
	return tap_done();
}
