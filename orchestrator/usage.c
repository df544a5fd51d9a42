/*
 * usage.c - CPU and memory of running pods from their cgroups, sampled on
 * the housekeeping tick and kept on the pod (struct pod_usage). The sysfs
 * reads run on the thread pool, one batch per tick and never two at once
 * (a tick finding the last batch still out is skipped); the results are
 * applied on the loop, each to the container it was read for. Must not
 * change a pod's state or decide anything.
 */
#include "usage.h"

#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "clock.h"
#include "daemon.h"
#include "pod.h"

struct usage_item {
	struct pod *pod; /* held (pod_ref) until applied */
	char *name;	 /* the worker's copy */
	pid_t pid;	 /* the container read: pod's pid and start then */
	int64_t started_mono;
	int rc; /* rt_stats: -1 when the cgroup was gone */
	struct rt_cgroup_stats st;
	int64_t read_mono; /* when it was read */
};

struct usage_batch {
	uv_work_t work;
	struct daemon *d;
	size_t n;
	bool read;
	struct usage_item items[];
};

void usage_reset(struct pod *p)
{
	memset(&p->usage, 0, sizeof(p->usage));
	p->usage.cpu_millicores = -1;
}

struct usage_batch *usage_batch_new(struct daemon *d)
{
	struct usage_batch *b;
	size_t n = 0;

	for (struct pod *p = d->pods; p; p = p->next)
		n += p->phase == POD_RUNNING;
	if (n == 0)
		return NULL;
	b = xcalloc(1, sizeof(*b) + n * sizeof(b->items[0]));
	b->d = d;
	for (struct pod *p = d->pods; p; p = p->next) {
		struct usage_item *it;

		if (p->phase != POD_RUNNING)
			continue;
		it = &b->items[b->n++];
		pod_ref(p);
		it->pod = p;
		it->name = xstrdup(p->name);
		it->pid = p->pid;
		it->started_mono = p->started_mono;
		it->rc = -1;
	}
	return b;
}

void usage_batch_read(struct usage_batch *b, usage_read_fn read, void *arg)
{
	for (size_t i = 0; i < b->n; i++) {
		struct usage_item *it = &b->items[i];

		it->rc = read(arg, it->name, &it->st);
		it->read_mono = mono_ms();
	}
	b->read = true;
}

static void apply_item(const struct usage_item *it)
{
	struct pod *p = it->pod;
	struct pod_usage *u = &p->usage;
	const struct rt_cgroup_stats *st = &it->st;

	/* Gone, stopped, or running another container since: the figures
	 * are not this container's. */
	if (p->phase != POD_RUNNING || p->pid != it->pid ||
	    p->started_mono != it->started_mono)
		return;
	if (u->pid != it->pid || it->rc == -1)
		usage_reset(p);
	if (it->rc == -1)
		return;
	u->pid = it->pid;
	u->has_memory = st->has_memory;
	u->memory_working_set = st->memory_working_set;
	if (!st->has_cpu)
		return;
	/* A new container starts its counter again. */
	if (u->cpu_mono == 0 || st->cpu_usage_ns < u->cpu_ns) {
		u->cpu_ns = st->cpu_usage_ns;
		u->cpu_mono = it->read_mono;
		u->cpu_millicores = -1;
		return;
	}
	if (it->read_mono - u->cpu_mono < USAGE_WINDOW_MS)
		return;
	/* ns of CPU per ms of wall time = millicores * 1000 */
	u->cpu_millicores =
	    (int64_t)((st->cpu_usage_ns - u->cpu_ns) /
		      (uint64_t)(it->read_mono - u->cpu_mono) / 1000);
	u->cpu_ns = st->cpu_usage_ns;
	u->cpu_mono = it->read_mono;
}

void usage_batch_apply(struct usage_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->read)
			apply_item(&b->items[i]);
		free(b->items[i].name);
		pod_unref(b->items[i].pod);
	}
	free(b);
}

/* --- on the thread pool -------------------------------------------------- */

static int read_stats(void *arg, const char *name, struct rt_cgroup_stats *st)
{
	return rt_stats(arg, name, st);
}

static void batch_work(uv_work_t *w)
{
	struct usage_batch *b = w->data;

	usage_batch_read(b, read_stats, &b->d->rt);
}

static void batch_after(uv_work_t *w, int status)
{
	struct usage_batch *b = w->data;

	b->d->usage_reading = false;
	usage_batch_apply(b); /* not read when cancelled: nothing applied */
}

void usage_sample(struct daemon *d)
{
	struct usage_batch *b;

	for (struct pod *p = d->pods; p; p = p->next)
		if (p->phase != POD_RUNNING &&
		    (p->usage.cpu_mono != 0 || p->usage.has_memory))
			usage_reset(p);
	if (d->usage_reading)
		return;
	b = usage_batch_new(d);
	if (b == NULL)
		return;
	d->usage_reading = true;
	b->work.data = b;
	if (uv_queue_work(d->loop, &b->work, batch_work, batch_after) != 0) {
		batch_work(&b->work);
		batch_after(&b->work, 0);
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
		static const struct pod_usage none = {.cpu_millicores = -1};
		/* figures of an earlier container are not shown */
		const struct pod_usage *u =
		    v[i]->usage.pid == v[i]->pid ? &v[i]->usage : &none;

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
