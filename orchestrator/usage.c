/*
 * usage.c - CPU and memory of running pods from their cgroups (through
 * rt_stats), sampled on the housekeeping tick and kept on the pod
 * (struct pod_usage). Must not change a pod's state or decide anything.
 */
#include "usage.h"

#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "clock.h"
#include "daemon.h"

void usage_reset(struct pod *p)
{
	memset(&p->usage, 0, sizeof(p->usage));
	p->usage.cpu_millicores = -1;
}

static void sample_pod(struct daemon *d, struct pod *p, int64_t now)
{
	struct rt_cgroup_stats st;
	struct pod_usage *u = &p->usage;

	if (rt_stats(&d->rt, p->name, &st) == -1) {
		usage_reset(p);
		return;
	}
	u->has_memory = st.has_memory;
	u->memory_working_set = st.memory_working_set;
	if (!st.has_cpu)
		return;
	/* A new container starts its counter again. */
	if (u->cpu_mono == 0 || st.cpu_usage_ns < u->cpu_ns) {
		u->cpu_ns = st.cpu_usage_ns;
		u->cpu_mono = now;
		u->cpu_millicores = -1;
		return;
	}
	if (now - u->cpu_mono < USAGE_WINDOW_MS)
		return;
	/* ns of CPU per ms of wall time = millicores * 1000 */
	u->cpu_millicores = (int64_t)((st.cpu_usage_ns - u->cpu_ns) /
				      (uint64_t)(now - u->cpu_mono) / 1000);
	u->cpu_ns = st.cpu_usage_ns;
	u->cpu_mono = now;
}

void usage_sample(struct daemon *d)
{
	int64_t now = mono_ms();

	for (struct pod *p = d->pods; p; p = p->next) {
		if (p->phase == POD_RUNNING)
			sample_pod(d, p, now);
		else if (p->usage.cpu_mono != 0 || p->usage.has_memory)
			usage_reset(p);
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct pod *const *)a)->name,
		      (*(const struct pod *const *)b)->name);
}

json_t *usage_view(struct daemon *d)
{
	json_t *arr = json_array();
	size_t n = 0, k = 0;
	const struct pod **v;

	for (struct pod *p = d->pods; p; p = p->next)
		n++;
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (struct pod *p = d->pods; p; p = p->next)
		if (p->phase == POD_RUNNING)
			v[k++] = p;
	qsort(v, k, sizeof(*v), name_cmp);
	for (size_t i = 0; i < k; i++) {
		const struct pod_usage *u = &v[i]->usage;

		json_array_append_new(
		    arr,
		    json_pack(
			"{s:s, s:I, s:I}", "name", v[i]->name, "cpu_millicores",
			(json_int_t)(u->cpu_mono ? u->cpu_millicores : -1),
			"memory_bytes",
			(json_int_t)(u->has_memory
					 ? (json_int_t)u->memory_working_set
					 : -1)));
	}
	free(v);
	return json_pack("{s:o}", "pods", arr);
}
