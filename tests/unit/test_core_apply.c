/*
 * test_core_apply.c - apply plans through reconcile.c and pod.c against
 * the fake runtime and clock: a RollingUpdate within maxSurge and
 * maxUnavailable, paced by minReadySeconds; a Recreate that ends every old
 * pod before the first new one starts.
 */
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

struct count {
	int old, cur, leaving;
};

static struct count count(const char *cur_hash)
{
	struct count c = {0};

	for (struct pod *p = fake_d->pods; p; p = p->next) {
		if (pod_leaving(p))
			c.leaving++;
		else if (!strcmp(p->hash, cur_hash))
			c.cur++;
		else
			c.old++;
	}
	return c;
}

static int n_in(const char *log, const char *what)
{
	int n = 0;

	for (const char *s = log; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

static void test_rolling(void)
{
	const char *v1 = "[deployment web]\nimage = IMAGE\ncommand = /bin/v1\n"
			 "replicas = 4\nminReadySeconds = 5\n"
			 "strategy.rollingUpdate.maxSurge = 1\n"
			 "strategy.rollingUpdate.maxUnavailable = 0\n";
	const char *v2 = "[deployment web]\nimage = IMAGE\ncommand = /bin/v2\n"
			 "replicas = 4\nminReadySeconds = 5\n"
			 "strategy.rollingUpdate.maxSurge = 1\n"
			 "strategy.rollingUpdate.maxUnavailable = 0\n";
	struct deployment *dep;
	bool within = true, paced = true;
	char hash[16];
	int steps = 0;

	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	fake_apply(v1);
	fake_advance(5000);
	is_int(count("").old, 4, "four v1 pods");
	fake_take_log();
	fake_apply(v2);
	dep = daemon_find_deployment(fake_d, "web");
	snprintf(hash, sizeof(hash), "%s", dep->hash);
	is_int(n_in(fake_take_log(), "create"), 1,
	       "maxSurge 1: one new pod at first");
	for (int t = 0; t < 120 && count(hash).cur + count(hash).old > 0 &&
			(count(hash).old > 0 || count(hash).cur < 4);
	     t++) {
		struct count c;
		const char *log;

		fake_advance(1000);
		c = count(hash);
		log = fake_take_log();
		if (c.cur + c.old > 5 || c.cur + c.old < 4)
			within = false;
		/* an old pod goes only once a new one has been available
		 * for minReadySeconds: never in the first 4 s of a step */
		if (strstr(log, "SIGTERM"))
			steps++;
		if (steps > 0 && t < 4)
			paced = false;
	}
	ok(within, "never above 5 (maxSurge) nor below 4 (maxUnavailable)");
	ok(paced, "scale-down waits for minReadySeconds");
	is_int(count(hash).cur, 4, "four v2 pods");
	is_int(count(hash).old, 0, "no v1 pod");
	is_int(steps, 4, "four scale-down steps");
	is_int(fake_scale_to_zero(v2), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

static void test_recreate(void)
{
	const char *v1 = "[deployment web]\nimage = IMAGE\ncommand = /bin/v1\n"
			 "replicas = 3\nstrategy.type = Recreate\n";
	const char *v2 = "[deployment web]\nimage = IMAGE\ncommand = /bin/v2\n"
			 "replicas = 3\nstrategy.type = Recreate\n";
	const char *log;

	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exec = true;
	F.auto_exit = false;
	fake_apply(v1);
	fake_take_log();
	fake_apply(v2);
	log = fake_take_log();
	is_int(n_in(log, "SIGTERM"), 3, "Recreate: every old pod stopped");
	is_int(n_in(log, "create"), 0, "and nothing created yet");
	fake_exit(fake_pod(0), 0);
	fake_exit(fake_pod(1), 0);
	is_int(n_in(fake_take_log(), "create"), 0,
	       "one old pod left: still nothing created");
	fake_exit(fake_pod(0), 0);
	is_int(n_in(fake_take_log(), "create"), 3,
	       "the last old pod gone: three new ones");
	is_int(fake_scale_to_zero(v2), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

int main(void)
{
	test_rolling();
	test_recreate();
	return tap_done();
}
