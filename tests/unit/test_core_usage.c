/*
 * test_core_usage.c - the `top pods` samples (orchestrator/usage.c)
 * against the fake runtime and clock: a batch's results applied to the
 * pods it was read for (memory at once, CPU over the window), a pod gone
 * or running another container by the time its batch returns gets
 * nothing (and the batch's hold on it ends), and usage_sample() on the
 * thread pool keeps one batch in flight at most. No root, no cgroups.
 */
#include <semaphore.h>
#include <time.h>

#include "../../orchestrator/terminate.h"
#include "../../orchestrator/usage.h"
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

static const char body[] = "[deployment web]\nimage = IMAGE\n"
			   "command = /bin/app\nreplicas = 3\n"
			   "terminationGracePeriodSeconds = 1\n";

/* What the fake cgroups hold: memory (bytes) and CPU (ns) per pod name. */
static struct {
	char name[64];
	uint64_t mem, cpu;
} cg[8];
static size_t n_cg;

static void cg_set(const char *name, uint64_t mem, uint64_t cpu)
{
	size_t i;

	for (i = 0; i < n_cg; i++)
		if (!strcmp(cg[i].name, name))
			break;
	if (i == n_cg)
		snprintf(cg[n_cg++].name, sizeof(cg[0].name), "%s", name);
	cg[i].mem = mem;
	cg[i].cpu = cpu;
}

static int reads;	    /* reader calls, any thread */
static bool gated;	    /* the reader waits for `gate` */
static sem_t gate, entered; /* test <-> worker */
static int fake_reader(void *arg, const char *name, struct rt_cgroup_stats *st)
{
	if (gated) {
		sem_post(&entered);
		sem_wait(&gate);
	}
	__atomic_add_fetch(&reads, 1, __ATOMIC_SEQ_CST);
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < n_cg; i++)
		if (!strcmp(cg[i].name, name)) {
			st->has_memory = st->has_cpu = true;
			st->memory_working_set = cg[i].mem;
			st->cpu_usage_ns = cg[i].cpu;
			return 0;
		}
	return -1;
}

static int fake_stats(struct rt *rt, const char *id, struct rt_cgroup_stats *st)
{
	return fake_reader(NULL, id, st);
}

/* One batch, read here and applied at once. */
static void sample_now(void)
{
	struct usage_batch *b = usage_batch_new(fake_d);

	if (b) {
		usage_batch_read(b, fake_reader, NULL);
		usage_batch_apply(b);
	}
}

/* memory_bytes of pod name in `top pods`' view; -2 when not listed. */
static long long view_mem(const char *name, long long *cpu)
{
	json_t *v = usage_view(fake_d), *pods = json_object_get(v, "pods"), *e;
	long long mem = -2;
	size_t i;

	json_array_foreach(pods, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "name")), name))
			continue;
		mem = json_integer_value(json_object_get(e, "memory_bytes"));
		if (cpu)
			*cpu = json_integer_value(
			    json_object_get(e, "cpu_millicores"));
	}
	json_decref(v);
	return mem;
}

static bool sem_wait_ms(sem_t *s, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return sem_timedwait(s, &ts) == 0;
}

/* Runs the loop until the batch in flight is applied (at most 5 s). */
static bool batch_done(void)
{
	for (int i = 0; i < 500 && fake_d->usage_reading; i++) {
		uv_run(fake_d->loop, UV_RUN_NOWAIT);
		usleep(10000);
	}
	return !fake_d->usage_reading;
}

static void test_apply(void)
{
	struct pod *a, *b;
	char an[64], bn[64];
	long long cpu = 0;

	a = fake_pod(0);
	b = fake_pod(1);
	ok(a && b && a->phase == POD_RUNNING && b->phase == POD_RUNNING &&
	       fake_pod(2) && fake_pod(2)->phase == POD_RUNNING,
	   "three pods running");
	snprintf(an, sizeof(an), "%s", a->name);
	snprintf(bn, sizeof(bn), "%s", b->name);
	is_int(view_mem(an, &cpu), -1, "no sample yet: memory unknown");
	cg_set(an, 100 << 20, 1000000000ull);
	cg_set(bn, 200 << 20, 0);
	sample_now();
	ok(view_mem(an, &cpu) == 100 << 20 && cpu == -1,
	   "first sample: memory at once, CPU not yet (%lld)", cpu);
	is_int(view_mem(bn, NULL), 200 << 20, "each pod its own figures");

	F.mono += 5000;
	cg_set(an, 110 << 20, 1000000000ull + 2500000000ull);
	sample_now();
	ok(view_mem(an, &cpu) == 110 << 20 && cpu == 500,
	   "5 s later, 2.5 s of CPU: 500m (%lld)", cpu);

	/* a batch never read (a cancelled job) applies nothing */
	cg_set(an, 1, 1);
	usage_batch_apply(usage_batch_new(fake_d));
	is_int(view_mem(an, NULL), 110 << 20,
	       "an unread batch changes nothing");
}

/* A pod deleted and a pod restarted while their batch is out. */
static void test_gone_and_restarted(void)
{
	struct pod *a = fake_pod(0), *b = fake_pod(1), *c = fake_pod(2), *nb;
	struct usage_batch *batch;
	char an[64], bn[64], cn[64];
	pid_t old_pid;
	long long cpu;

	snprintf(an, sizeof(an), "%s", a->name);
	snprintf(bn, sizeof(bn), "%s", b->name);
	snprintf(cn, sizeof(cn), "%s", c->name);
	old_pid = b->pid;
	batch = usage_batch_new(fake_d);
	ok(batch != NULL, "a batch of the three running pods");

	/* a goes away for good; b's container exits and is started again */
	F.auto_delete = F.auto_exit = true;
	pod_terminate(a, TERM_REMOVE, -1, "test");
	fake_advance(5000);
	ok(pod_find(fake_d, an) == NULL, "pod a is gone meanwhile");
	fake_exit(b, 1);
	fake_advance(20000);
	nb = pod_find(fake_d, bn);
	ok(nb && nb->phase == POD_RUNNING && nb->pid != old_pid,
	   "pod b runs a new container (pid %d, was %d)", nb ? nb->pid : 0,
	   (int)old_pid);

	cg_set(an, 300 << 20, 0);
	cg_set(bn, 400 << 20, 0);
	cg_set(cn, 500 << 20, 0);
	usage_batch_read(batch, fake_reader, NULL);
	usage_batch_apply(batch); /* ASan: a's memory held until here */
	is_int(view_mem(cn, NULL), 500 << 20,
	       "the batch's other pod gets its sample");
	ok(nb->usage.memory_working_set != 400 << 20 &&
	       view_mem(bn, &cpu) == -1 && cpu == -1,
	   "b's sample of its old container is not applied to the new one");

	sample_now();
	ok(view_mem(bn, &cpu) == 400 << 20 && cpu == -1,
	   "the next batch: b's new container, its CPU window from zero");
}

/* usage_sample(): the reads on the thread pool, one batch at a time. */
static void test_one_in_flight(void)
{
	static struct rt_ops ops;
	int n = 0;

	for (struct pod *p = fake_d->pods; p; p = p->next)
		n += p->phase == POD_RUNNING;

	ops = fake_ops;
	ops.stats = fake_stats;
	fake_d->rt.ops = &ops;
	sem_init(&gate, 0, 0);
	sem_init(&entered, 0, 0);
	reads = 0;
	gated = true;

	usage_sample(fake_d);
	ok(fake_d->usage_reading, "a tick queues its batch");
	ok(sem_wait_ms(&entered, 5000), "its reads run on a worker thread");
	usage_sample(fake_d);
	usage_sample(fake_d);
	for (int i = 0; i < n; i++)
		sem_post(&gate);
	ok(batch_done(), "the batch is applied on the loop");
	/* a second batch would read every pod again: let it */
	for (int i = 0; i < 4 * n; i++)
		sem_post(&gate);
	usleep(100000);
	uv_run(fake_d->loop, UV_RUN_NOWAIT);
	is_int(__atomic_load_n(&reads, __ATOMIC_SEQ_CST), n,
	       "ticks while it was out queued nothing (%d pods, read once)", n);
	gated = false;
	while (sem_trywait(&gate) == 0)
		;

	usage_sample(fake_d);
	ok(batch_done(), "the next tick's batch");
	is_int(__atomic_load_n(&reads, __ATOMIC_SEQ_CST), 2 * n,
	       "read every pod once more");

	/* a batch out when the daemon goes: its pods are let go */
	while (sem_trywait(&entered) == 0)
		;
	gated = true;
	usage_sample(fake_d);
	ok(sem_wait_ms(&entered, 5000), "a batch out at the end");
	for (int i = 0; i < n; i++)
		sem_post(&gate);
}

int main(void)
{
	fake_daemon(false);
	F.auto_create = true;
	fake_apply(body);
	test_apply();
	test_gone_and_restarted();
	test_one_in_flight();
	fake_daemon_free(); /* LSan: no pod kept by a batch */
	fake_cleanup();
	return tap_done();
}
