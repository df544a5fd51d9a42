/*
 * test_core_canary.c - the Canary controller (orchestrator/canary.c)
 * through reconcile.c and pod.c against the fake runtime and clock: the
 * first revision rolls out as RollingUpdate; the next one runs its steps
 * beside 4 stable pods (setWeight 25: 1 canary pod before the weight
 * moves; a timed pause that ends by itself; an indefinite pause that
 * waits), promote ends the
 * run with every pod on the new revision; abort sends every request to
 * the stable pods at once and removes the canary pods after
 * abortScaleDownDelaySeconds (30 s by default; 0 keeps them, as in Argo
 * Rollouts, until retry, a new template or undo), retry brings them
 * back, promote --full ends it.
 */
#include "../../orchestrator/canary.h"
#include "../../orchestrator/daemon.h"
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

#define HEAD                                                                   \
	"[deployment web]\nimage = IMAGE\nreplicas = 4\n"                      \
	"strategy.type = Canary\n"                                             \
	"strategy.canary.steps = setWeight 25, pause 10s, setWeight 50, "      \
	"pause\n"

struct count {
	int stable, canary, leaving;
};

static struct count count(const char *canary)
{
	struct count c = {0};

	for (struct pod *p = fake_d->pods; p; p = p->next) {
		if (pod_leaving(p))
			c.leaving++;
		else if (!strcmp(p->hash, canary))
			c.canary++;
		else
			c.stable++;
	}
	return c;
}

int main(void)
{
	const char *v1 = HEAD "command = /bin/v1\n";
	const char *v2 = HEAD "command = /bin/v2\n";
	const char *v3 = HEAD "command = /bin/v3\n";
#define KEEP "strategy.canary.abortScaleDownDelaySeconds = 0\n"
	const char *v4 = HEAD "command = /bin/v4\n" KEEP;
	const char *v5 = HEAD "command = /bin/v5\n" KEEP;
	const char *undo = HEAD "command = /bin/v3\n" KEEP; /* the stable */
	char h4[16];
	struct deployment *dep;
	struct berr err = BERR_INIT;
	char hash[16], buf[320];

	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	fake_apply(v1);
	fake_advance(5000);
	dep = daemon_find_deployment(fake_d, "web");
	is_int(count(dep->hash).canary, 4,
	       "the first revision: 4 pods, as RollingUpdate");

	fake_apply(v2);
	dep = daemon_find_deployment(fake_d, "web");
	snprintf(hash, sizeof(hash), "%s", dep->hash);
	fake_advance(1000);
	ok(count(hash).canary == 1 && count(hash).stable == 4,
	   "setWeight 25: 1 canary pod beside 4 stable (%d, %d)",
	   count(hash).canary, count(hash).stable);
	ok(dep->canary.s.weight == 25 && dep->canary.s.step == 1,
	   "weight 25 once it is available; pause 10s in progress");
	ok(canary_status(dep, buf, sizeof(buf)) &&
	       strstr(buf, "step 2/4 (pause 10s), weight set 25 %"),
	   "status: %s", buf);
	fake_advance(8000);
	is_int((int)dep->canary.s.step, 1, "8 s later: still pausing");
	fake_advance(3000);
	ok(dep->canary.s.step == 3 && dep->canary.s.weight == 50 &&
	       count(hash).canary == 2 && count(hash).stable == 4,
	   "the pause ended by itself: weight 50, 2 canary pods, 4 stable");
	fake_advance(60 * 1000);
	is_int((int)dep->canary.s.step, 3, "a minute later: still paused");
	is_int(canary_retry_cmd(fake_d, dep, &err), -1,
	       "retry of a run not aborted: refused (%s)", err.msg);

	is_int(canary_promote_cmd(fake_d, dep, false, &err), 0, "promote");
	fake_advance(5000);
	ok(count(hash).canary == 4 && count(hash).stable == 0 &&
	       count(hash).leaving == 0,
	   "promoted: 4 pods of the new revision, none of the old (%d, %d)",
	   count(hash).canary, count(hash).stable);
	ok(!canary_status(dep, buf, sizeof(buf)), "the run is over");
	err = (struct berr)BERR_INIT;
	is_int(canary_promote_cmd(fake_d, dep, false, &err), -1,
	       "promote without a run: refused (%s)", err.msg);

	fake_apply(v3);
	dep = daemon_find_deployment(fake_d, "web");
	snprintf(hash, sizeof(hash), "%s", dep->hash);
	fake_advance(1000);
	is_int(count(hash).canary, 1, "next run: 1 canary pod");
	is_int(canary_abort_cmd(fake_d, dep, &err), 0, "abort");
	ok(dep->canary.weight == 0 && dep->canary.s.weight == 0,
	   "aborted: weight 0 for the proxy at once");
	fake_advance(29000);
	ok(count(hash).canary == 1 && count(hash).stable == 4,
	   "29 s later: the canary pod stays (abortScaleDownDelaySeconds 30 "
	   "by default) (%d, %d)",
	   count(hash).canary, count(hash).stable);
	fake_advance(2000);
	ok(count(hash).canary == 0 && count(hash).stable == 4 &&
	       dep->canary.s.weight == 0,
	   "31 s after: weight 0, no canary pod, 4 stable (%d, %d)",
	   count(hash).canary, count(hash).stable);
	err = (struct berr)BERR_INIT;
	is_int(canary_promote_cmd(fake_d, dep, false, &err), -1,
	       "promote of an aborted run: refused (%s)", err.msg);
	is_int(canary_retry_cmd(fake_d, dep, &err), 0, "retry");
	fake_advance(1000);
	ok(count(hash).canary == 1 && dep->canary.s.weight == 25,
	   "retry: from the first step again");
	is_int(canary_promote_cmd(fake_d, dep, true, &err), 0,
	       "promote --full");
	fake_advance(5000);
	ok(count(hash).canary == 4 && count(hash).stable == 0,
	   "promoted fully: 4 new pods, none old");

	fake_apply(v4);
	dep = daemon_find_deployment(fake_d, "web");
	snprintf(hash, sizeof(hash), "%s", dep->hash);
	fake_advance(1000);
	is_int(count(hash).canary, 1, "abortScaleDownDelaySeconds 0: 1 canary");
	is_int(canary_abort_cmd(fake_d, dep, &err), 0, "abort");
	fake_advance(1000);
	ok(dep->canary.weight == 0 && count(hash).canary == 1 &&
	       count(hash).stable == 4,
	   "abortScaleDownDelaySeconds 0: weight 0 at once, the canary pod "
	   "stays (%d, %d)",
	   count(hash).canary, count(hash).stable);
	fake_advance(10 * 60 * 1000);
	ok(count(hash).canary == 1 && count(hash).stable == 4 &&
	       count(hash).leaving == 0 && dep->canary.weight == 0,
	   "10 min later: still there, still no traffic (%d, %d)",
	   count(hash).canary, count(hash).stable);
	ok(canary_status(dep, buf, sizeof(buf)) && strstr(buf, "abort"),
	   "status: %s", buf);
	is_int(canary_retry_cmd(fake_d, dep, &err), 0, "retry");
	fake_advance(1000);
	ok(!dep->canary.s.aborted && dep->canary.s.weight == 25 &&
	       count(hash).canary == 1,
	   "retry: the kept pod serves step 1 again (weight %d)",
	   dep->canary.s.weight);
	is_int(canary_abort_cmd(fake_d, dep, &err), 0, "abort again");
	fake_advance(60 * 1000);
	is_int(count(hash).canary, 1, "a minute later: the pod is kept");

	/* A new template replaces the kept canary pods. */
	fake_apply(v5);
	dep = daemon_find_deployment(fake_d, "web");
	snprintf(h4, sizeof(h4), "%s", hash);
	snprintf(hash, sizeof(hash), "%s", dep->hash);
	fake_advance(5000);
	ok(count(h4).canary == 0 && count(hash).canary == 1 &&
	       count(hash).stable == 4 && count(hash).leaving == 0,
	   "new template: the kept pod of the aborted revision is gone, "
	   "1 canary of the new one (%d, %d)",
	   count(hash).canary, count(hash).stable);
	is_int(canary_abort_cmd(fake_d, dep, &err), 0, "abort");
	fake_advance(60 * 1000);
	is_int(count(hash).canary, 1, "kept again");

	/* undo: the template back on the stable revision. */
	fake_apply(undo);
	dep = daemon_find_deployment(fake_d, "web");
	fake_advance(5000);
	ok(count(hash).canary == 0 && count(hash).leaving == 0 &&
	       count(dep->hash).canary == 4,
	   "undo: the kept canary pod is gone, 4 stable (%d, %d)",
	   count(hash).canary, count(dep->hash).canary);
	is_int(fake_scale_to_zero(undo), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
	return tap_done();
}
