/*
 * test_core_canary_dynamic.c - strategy.canary.dynamicStableScale through
 * canary.c against the fake runtime and clock: 4 replicas, setWeight 50
 * leaves the stable revision 2 pods, setWeight 75 one; an abort grows the
 * stable revision back to 4 before the canary pods go, the weight falling
 * as stable pods become available; a restart mid-run resumes at the same
 * step.
 */
#include "../../orchestrator/canary.h"
#include "../../orchestrator/daemon.h"
#include "../../orchestrator/store.h"
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

#define HEAD                                                                   \
	"[deployment web]\nimage = IMAGE\nreplicas = 4\n"                      \
	"strategy.type = Canary\n"                                             \
	"strategy.canary.dynamicStableScale = true\n"                          \
	"strategy.canary.steps = setWeight 50, pause, setWeight 75, pause\n"

struct count {
	int stable, canary;
};

static struct count count(const char *canary)
{
	struct count c = {0};

	for (struct pod *p = fake_d->pods; p; p = p->next) {
		if (pod_leaving(p))
			continue;
		if (!strcmp(p->hash, canary))
			c.canary++;
		else
			c.stable++;
	}
	return c;
}

static struct deployment *web(void)
{
	return daemon_find_deployment(fake_d, "web");
}

static void restart_daemon(const char *body)
{
	struct berr err = BERR_INIT;
	json_t *records, *messages = json_array();

	fake_daemon_free();
	F.wall += 2000;
	F.mono += 2000;
	fake_daemon(true);
	records = store_load_deployments(fake_d);
	fake_write_config(body);
	if (daemon_apply(fake_d, F.config, messages, &err) == -1)
		printf("# apply: %s\n", err.msg);
	store_restore_deployments(fake_d, records);
	store_restore_pods(fake_d);
	json_decref(records);
	json_decref(messages);
	fake_step();
}

int main(void)
{
	const char *v1 = HEAD "command = /bin/v1\n";
	const char *v2 = HEAD "command = /bin/v2\n";
	struct berr err = BERR_INIT;
	char hash[16];
	int low = 4;

	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	fake_apply(v1);
	fake_advance(5000);
	fake_apply(v2);
	snprintf(hash, sizeof(hash), "%s", web()->hash);
	fake_advance(5000);
	ok(web()->canary.s.weight == 50 && count(hash).canary == 2 &&
	       count(hash).stable == 2,
	   "setWeight 50: 2 canary pods, the stable revision down to 2 (%d, "
	   "%d)",
	   count(hash).canary, count(hash).stable);

	restart_daemon(v2);
	ok(web()->canary.s.step == 1 && web()->canary.s.weight == 50 &&
	       web()->canary.s.pause_until_mono == -1,
	   "after a restart: the same step, weight and pause");
	fake_advance(5000);
	ok(count(hash).canary == 2 && count(hash).stable == 2,
	   "and the same pods (%d, %d)", count(hash).canary,
	   count(hash).stable);

	is_int(canary_promote_cmd(fake_d, web(), false, &err), 0, "promote");
	fake_advance(5000);
	ok(web()->canary.s.weight == 75 && count(hash).canary == 3 &&
	       count(hash).stable == 1,
	   "setWeight 75: 3 canary pods, 1 stable (%d, %d)", count(hash).canary,
	   count(hash).stable);

	/* abort: the stable revision first; no step without a canary pod
	 * while the stable one cannot take every request */
	F.auto_create = false;
	is_int(canary_abort_cmd(fake_d, web(), &err), 0, "abort");
	fake_advance(1000);
	ok(count(hash).canary == 3 && web()->canary.weight == 75,
	   "stable pods not up yet: the canary keeps its pods and weight "
	   "(%d, %d %%)",
	   count(hash).canary, web()->canary.weight);
	F.auto_create = true;
	for (int i = 0; i < 20; i++) {
		fake_advance(500);
		if (web()->canary.weight > 0 && count(hash).canary == 0)
			low = -1; /* pods gone while it still had traffic */
	}
	ok(count(hash).canary == 0 && count(hash).stable == 4 &&
	       web()->canary.weight == 0 && low != -1,
	   "then the stable revision back at 4, weight 0, no canary pod (%d, "
	   "%d)",
	   count(hash).canary, count(hash).stable);
	is_int(fake_scale_to_zero(v2), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
	return tap_done();
}
