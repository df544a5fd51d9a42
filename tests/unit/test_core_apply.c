/*
 * test_core_apply.c - apply plans through reconcile.c and pod.c against
 * the fake runtime and clock: a RollingUpdate within maxSurge and
 * maxUnavailable, paced by minReadySeconds; a Recreate that ends every old
 * pod before the first new one starts; a service's targetPort given by
 * name, looked up per pod through a rollout that moves its number.
 */
#include "../../orchestrator/endpoints.h"
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

/* services first, so that fake_scale_to_zero's line is the deployment's */
#define NAMED(cmd, port)                                                       \
	"[service web]\nlisten = 127.0.0.1:18090\nselector = app=web\n"        \
	"targetPort = http\n"                                                  \
	"[service metrics]\nlisten = 127.0.0.1:18091\nselector = app=web\n"    \
	"targetPort = metrics\n"                                               \
	"[deployment web]\nimage = IMAGE\ncommand = " cmd "\n"                 \
	"replicas = 2\nlabels = app=web\nport = " port "\nportName = http\n"   \
	"minReadySeconds = 5\nstrategy.rollingUpdate.maxSurge = 1\n"           \
	"strategy.rollingUpdate.maxUnavailable = 0\n"

static const struct service_spec *service(const char *name)
{
	for (size_t i = 0; i < fake_d->cfg->n_services; i++)
		if (!strcmp(fake_d->cfg->services[i].name, name))
			return &fake_d->cfg->services[i];
	return NULL;
}

/* Each pod's port of a service whose targetPort is a name is its own
 * template's, so old and new pods of a rollout differ in it; a name no
 * pod has leaves them all out, and apply warns of it. */
static void test_named_target_port(void)
{
	struct berr err = BERR_INIT;
	json_t *messages = json_array();
	char *text;
	bool old_8080 = true, new_8081 = true, mixed = false;

	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	fake_write_config(NAMED("/bin/v1", "8080"));
	is_int(daemon_apply(fake_d, F.config, messages, &err), 0,
	       "a service with targetPort = http applies");
	text = json_dumps(messages, 0);
	ok(strstr(text, "warning: service/metrics: no deployment it selects "
			"has a container port named `metrics`") != NULL,
	   "apply warns of a targetPort name no selected deployment has");
	ok(strstr(text, "warning: service/web") == NULL,
	   "... and not of one it has");
	free(text);
	json_decref(messages);
	fake_step();
	fake_advance(2000);
	for (struct pod *p = fake_d->pods; p; p = p->next) {
		ok(endpoints_port(service("web"), p) == 8080 &&
		       endpoints_port_found(service("web"), p),
		   "pod %s: port 8080 by the name http", p->name);
		ok(!endpoints_port_found(service("metrics"), p),
		   "pod %s: no port named metrics: no endpoint of it", p->name);
	}
	fake_apply(NAMED("/bin/v2", "8081"));
	struct deployment *dep = daemon_find_deployment(fake_d, "web");
	for (int t = 0; t < 60 && count(dep->hash).old > 0; t++) {
		struct count c = count(dep->hash);

		mixed |= c.old > 0 && c.cur > 0;
		for (struct pod *p = fake_d->pods; p; p = p->next) {
			int port = endpoints_port(service("web"), p);

			if (strcmp(p->hash, dep->hash))
				old_8080 &= port == 8080;
			else
				new_8081 &= port == 8081;
		}
		fake_advance(1000);
	}
	ok(mixed, "the rollout had old and new pods at once");
	ok(old_8080 && new_8081,
	   "each pod on its own revision's number behind the name");
	is_int(count(dep->hash).old, 0, "the rollout ends");
	fake_scale_to_zero(NAMED("/bin/v2", "8081"));
	fake_daemon_free();
	fake_cleanup();
}

int main(void)
{
	test_rolling();
	test_recreate();
	test_named_target_port();
	return tap_done();
}
