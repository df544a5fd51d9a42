/*
 * test_core_bluegreen.c - the BlueGreen controller (orchestrator/
 * bluegreen.c) through reconcile.c and pod.c against the fake runtime and
 * clock: the first revision is active at once; the next one comes up
 * beside it, the preview service selects it and the active one does not;
 * autoPromotionSeconds promotes it, the old revision stays for
 * scaleDownDelaySeconds and an undo meanwhile starts no pod; promotion by
 * hand; abort (the new pods go after abortScaleDownDelaySeconds), retry,
 * promote --full; previewReplicaCount; abortScaleDownDelaySeconds 0
 * keeps the new pods (Argo Rollouts) until retry, a new template or
 * undo; a daemon restart mid-rollout
 * resumes in the same phase with the same deadline.
 */
#include "../../orchestrator/bluegreen.h"
#include "../../orchestrator/daemon.h"
#include "../../orchestrator/service_ops.h"
#include "../../orchestrator/store.h"
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

#define SVC                                                                    \
	"[service web]\nlisten = 127.0.0.1:1\nselector = app=web\n"            \
	"targetPort = 80\n"                                                    \
	"[service web-preview]\nlisten = 127.0.0.1:2\nselector = app=web\n"    \
	"targetPort = 80\n"
#define DEP                                                                    \
	"[deployment web]\nimage = IMAGE\nreplicas = 3\nlabels = app=web\n"    \
	"strategy.type = BlueGreen\n"                                          \
	"strategy.blueGreen.activeService = web\n"                             \
	"strategy.blueGreen.previewService = web-preview\n"
#define AUTO10 "strategy.blueGreen.autoPromotionSeconds = 10\n"
#define MANUAL "strategy.blueGreen.autoPromotionEnabled = false\n"

static const char *config;

struct count {
	int cur, other, leaving;
};

static struct count count(const char *hash)
{
	struct count c = {0};

	for (struct pod *p = fake_d->pods; p; p = p->next) {
		if (pod_leaving(p))
			c.leaving++;
		else if (!strcmp(p->hash, hash))
			c.cur++;
		else
			c.other++;
	}
	return c;
}

/* Does service svc admit every live pod of hash, and no other? */
static bool selects(const char *svc, const char *hash)
{
	int yes = 0, no = 0;

	for (struct pod *p = fake_d->pods; p; p = p->next) {
		if (pod_leaving(p))
			continue;
		if (bluegreen_admits(fake_d, svc, p) != !strcmp(p->hash, hash))
			no++;
		else
			yes++;
	}
	return yes > 0 && no == 0;
}

static struct deployment *web(void)
{
	return daemon_find_deployment(fake_d, "web");
}

static int apply(const char *body)
{
	config = body;
	return fake_apply(body);
}

static void restart_daemon(void)
{
	struct berr err = BERR_INIT;
	json_t *records, *messages = json_array();

	fake_daemon_free();
	F.wall += 2000;
	F.mono += 2000;
	fake_daemon(true);
	records = store_load_deployments(fake_d);
	fake_write_config(config);
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
	const char *v1 = SVC DEP AUTO10 "command = /bin/v1\n";
	const char *v2 = SVC DEP AUTO10 "command = /bin/v2\n";
	const char *v3 = SVC DEP MANUAL "command = /bin/v3\n";
	const char *v4 = SVC DEP MANUAL "command = /bin/v4\n";
	const char *v5 =
	    SVC DEP MANUAL "strategy.blueGreen.previewReplicaCount = 1\n"
			   "command = /bin/v5\n";
#define KEEP "strategy.blueGreen.abortScaleDownDelaySeconds = 0\n"
	const char *v6 = SVC DEP MANUAL KEEP "command = /bin/v6\n";
	const char *v7 = SVC DEP MANUAL KEEP "command = /bin/v7\n";
	char cur[16], h6[16], h7[16];
	struct berr err = BERR_INIT;
	char h1[16], h2[16], h3[16], h4[16], buf[320];
	bool done;
	int created;

	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	apply(v1);
	fake_advance(5000);
	snprintf(h1, sizeof(h1), "%s", web()->hash);
	ok(count(h1).cur == 3 && web()->bg.phase == BG_IDLE &&
	       !strcmp(web()->bg.active, h1),
	   "the first revision: 3 pods, active at once");
	ok(selects("web", h1) && selects("web-preview", h1),
	   "both services select it");

	/* autoPromotionSeconds */
	apply(v2);
	snprintf(h2, sizeof(h2), "%s", web()->hash);
	fake_advance(1000);
	ok(count(h2).cur == 3 && count(h2).other == 3,
	   "the new revision comes up beside the old one in full (%d, %d)",
	   count(h2).cur, count(h2).other);
	is_int(web()->bg.phase, BG_PAUSED, "preview ready: paused");
	ok(selects("web", h1), "the active service stays on the old revision");
	ok(selects("web-preview", h2), "the preview service selects the new");
	ok(bluegreen_status(fake_d, web(), buf, sizeof(buf), &done) && !done &&
	       strstr(buf, "preview ready 3/3, promotion in 9s"),
	   "status: %s", buf);
	fake_advance(8000);
	is_int(web()->bg.phase, BG_PAUSED, "8 s later: not promoted yet");
	ok(selects("web", h1), "the active service still on the old one");
	fake_advance(3000);
	is_int(web()->bg.phase, BG_SCALE_DOWN,
	       "autoPromotionSeconds 10 passed: promoted");
	ok(selects("web", h2) && selects("web-preview", h2),
	   "both services on the new revision");
	ok(count(h2).other == 3 && count(h2).leaving == 0,
	   "the old revision stays (scaleDownDelaySeconds)");
	ok(bluegreen_status(fake_d, web(), buf, sizeof(buf), &done) && done &&
	       strstr(buf, "s more (`berth rollout undo` switches back"),
	   "status: %s", buf);

	/* undo within the delay: traffic only */
	fake_advance(20000);
	created = fake_n_pods();
	apply(v1);
	fake_step();
	ok(selects("web", h1), "undo within the delay: the active service "
			       "back on the old revision at once");
	ok(fake_n_pods() == created && count(h1).cur == 3 &&
	       count(h1).leaving == 0,
	   "no pod started or stopped for it (%d pods)", fake_n_pods());
	is_int(fake_events("BlueGreen") > 0, 1, "events state the steps");
	fake_advance(29000);
	is_int(count(h1).other, 3, "the undone revision stays its delay too");
	fake_advance(2000);
	fake_advance(5000);
	ok(count(h1).cur == 3 && count(h1).other == 0 &&
	       web()->bg.phase == BG_IDLE,
	   "after the delay: only the active revision (%d, %d)", count(h1).cur,
	   count(h1).other);

	/* promotion by hand */
	apply(v3);
	snprintf(h3, sizeof(h3), "%s", web()->hash);
	fake_advance(1000);
	fake_advance(60000);
	ok(web()->bg.phase == BG_PAUSED && selects("web", h1),
	   "autoPromotionEnabled false: a minute later still waiting");
	ok(bluegreen_status(fake_d, web(), buf, sizeof(buf), &done) &&
	       strstr(buf, "preview ready 3/3, waiting for promotion"),
	   "status: %s", buf);
	is_int(bluegreen_retry_cmd(fake_d, web(), &err), -1,
	       "retry without an abort: refused (%s)", err.msg);

	/* restart mid-rollout */
	restart_daemon();
	ok(web()->bg.phase == BG_PAUSED && !strcmp(web()->bg.target, h3) &&
	       !strcmp(web()->bg.active, h1),
	   "after a restart: still paused, same revisions");
	ok(selects("web", h1) && selects("web-preview", h3),
	   "after a restart: the services select the same pods");
	is_int(bluegreen_promote_cmd(fake_d, web(), false, &err), 0, "promote");
	fake_advance(1000);
	ok(web()->bg.phase == BG_SCALE_DOWN && selects("web", h3),
	   "promoted by hand: the active service on the new revision");
	restart_daemon();
	ok(web()->bg.phase == BG_SCALE_DOWN &&
	       web()->bg.scale_down_mono - mono_ms() > 25000 &&
	       web()->bg.scale_down_mono - mono_ms() <= 28000,
	   "after a restart: the scale-down deadline kept (%lld ms left)",
	   (long long)(web()->bg.scale_down_mono - mono_ms()));
	fake_advance(30000);
	ok(count(h3).other == 0 && web()->bg.phase == BG_IDLE,
	   "the old revision gone at its deadline");
	err = (struct berr)BERR_INIT;
	is_int(bluegreen_promote_cmd(fake_d, web(), false, &err), -1,
	       "promote with no rollout: refused (%s)", err.msg);

	/* abort, retry, promote --full */
	apply(v4);
	snprintf(h4, sizeof(h4), "%s", web()->hash);
	fake_advance(1000);
	is_int(web()->bg.phase, BG_PAUSED, "next rollout: paused");
	is_int(bluegreen_abort_cmd(fake_d, web(), &err), 0, "abort");
	fake_advance(1000);
	ok(selects("web", h3) && selects("web-preview", h3),
	   "aborted: both services on the stable revision");
	is_int(count(h4).cur, 3,
	       "the new pods stay abortScaleDownDelaySeconds");
	fake_advance(30000);
	fake_advance(5000);
	ok(count(h4).cur == 0 && count(h4).other == 3,
	   "then they go (%d new, %d stable)", count(h4).cur, count(h4).other);
	ok(bluegreen_status(fake_d, web(), buf, sizeof(buf), &done) &&
	       strstr(buf, "aborted"),
	   "status: %s", buf);
	err = (struct berr)BERR_INIT;
	is_int(bluegreen_promote_cmd(fake_d, web(), false, &err), -1,
	       "promote of an aborted rollout: refused (%s)", err.msg);
	is_int(bluegreen_retry_cmd(fake_d, web(), &err), 0, "retry");
	fake_advance(1000);
	ok(count(h4).cur == 3 && web()->bg.phase == BG_PAUSED &&
	       selects("web-preview", h4) && selects("web", h3),
	   "retry: the preview again, active unchanged");
	is_int(bluegreen_promote_cmd(fake_d, web(), true, &err), 0,
	       "promote --full");
	fake_advance(1000);
	ok(selects("web", h4), "promoted");
	fake_advance(40000);

	/* previewReplicaCount */
	apply(v5);
	fake_advance(1000);
	ok(count(web()->hash).cur == 1 && count(web()->hash).other == 3,
	   "previewReplicaCount 1: one new pod beside 3 (%d)",
	   count(web()->hash).cur);
	is_int(bluegreen_promote_cmd(fake_d, web(), false, &err), 0, "promote");
	fake_advance(1000);
	ok(count(web()->hash).cur == 3 && selects("web", web()->hash),
	   "scaled to 3, then switched");

	/* abortScaleDownDelaySeconds 0: the new pods are kept */
	snprintf(cur, sizeof(cur), "%s", web()->hash);
	apply(v6);
	snprintf(h6, sizeof(h6), "%s", web()->hash);
	fake_advance(1000);
	is_int(bluegreen_abort_cmd(fake_d, web(), &err), 0, "abort (0)");
	fake_advance(1000);
	ok(selects("web", cur) && count(h6).cur == 3,
	   "abortScaleDownDelaySeconds 0: active on the stable revision at "
	   "once, the 3 new pods stay");
	fake_advance(10 * 60 * 1000);
	ok(count(h6).cur == 3 && count(h6).leaving == 0 &&
	       selects("web", cur) && web()->bg.phase == BG_ABORTED,
	   "10 min later: still there (%d), traffic on the stable one",
	   count(h6).cur);
	ok(bluegreen_status(fake_d, web(), buf, sizeof(buf), &done) &&
	       strstr(buf, "kept"),
	   "status: %s", buf);
	is_int(bluegreen_retry_cmd(fake_d, web(), &err), 0, "retry");
	fake_advance(1000);
	ok(web()->bg.phase == BG_PAUSED && count(h6).cur == 3 &&
	       selects("web-preview", h6),
	   "retry: the kept pods are the preview again");
	is_int(bluegreen_abort_cmd(fake_d, web(), &err), 0, "abort again");
	fake_advance(60000);
	apply(v7);
	snprintf(h7, sizeof(h7), "%s", web()->hash);
	fake_advance(5000);
	ok(count(h6).cur == 0 && count(h7).cur == 3 && selects("web", cur),
	   "a new template: the kept pods go, 3 of the new one (%d, %d)",
	   count(h6).cur, count(h7).cur);
	is_int(bluegreen_abort_cmd(fake_d, web(), &err), 0, "abort");
	fake_advance(60000);
	is_int(count(h7).cur, 3, "kept again");
	/* undo: the template back to the active revision (v5's pods) */
	apply(SVC DEP MANUAL KEEP "strategy.blueGreen.previewReplicaCount = "
				  "1\ncommand = /bin/v5\n");
	fake_advance(5000);
	ok(!strcmp(web()->hash, cur) && count(h7).cur == 0 &&
	       count(cur).cur == 3 && count(cur).leaving == 0 &&
	       web()->bg.phase == BG_IDLE,
	   "undo: the kept pods go at once, 3 active (%d, %d)", count(h7).cur,
	   count(cur).cur);

	is_int(fake_scale_to_zero(config), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
	return tap_done();
}
