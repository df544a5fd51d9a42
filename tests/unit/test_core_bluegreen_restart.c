/*
 * test_core_bluegreen_restart.c - a BlueGreen prePromotionAnalysis run
 * across daemon restarts (orchestrator/bluegreen_analysis.c,
 * analysis_store.c) with the fake runtime and clock: a run that was
 * measuring is taken back (the same run, claimed, not stopped by the
 * sweep); a run the restarted daemon does not find measuring (killed
 * before its file was written, or stopped) is replaced by a new run,
 * announced by AnalysisRestarted, instead of being waited on forever.
 * No measurement is taken (the interval is an hour).
 */
#include <unistd.h>

#include "../../analysis/analysis.h"
#include "../../orchestrator/analysis_store.h"
#include "../../orchestrator/bluegreen.h"
#include "../../orchestrator/bluegreen_analysis.h"
#include "../../orchestrator/daemon.h"
#include "../../orchestrator/events.h"
#include "../../orchestrator/reconcile.h"
#include "../../orchestrator/rollout_analysis.h"
#include "../../orchestrator/store.h"
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

#define SVC                                                                    \
	"[service web]\nlisten = 127.0.0.1:1\nselector = app=web\n"            \
	"targetPort = 80\n"
#define DEP                                                                    \
	"[deployment web]\nimage = IMAGE\nreplicas = 2\nlabels = app=web\n"    \
	"strategy.type = BlueGreen\n"                                          \
	"strategy.blueGreen.activeService = web\n"                             \
	"strategy.blueGreen.prePromotionAnalysis = pre\n"
#define PRE                                                                    \
	"[analysis pre]\nmetrics.rate.interval = 1h\n"                         \
	"metrics.rate.successCondition = result.successRate >= 0.99\n"         \
	"metrics.rate.provider.berth.service = web\n"

static const char *config;

static struct deployment *web(void)
{
	return daemon_find_deployment(fake_d, "web");
}

static void start(bool keep)
{
	fake_daemon(keep);
	rollout_analysis_init(fake_d);
	bluegreen_analysis_init();
}

static void stop(void)
{
	rollout_analysis_free(fake_d);
	bluegreen_analysis_free();
	fake_daemon_free();
}

/* Stops the daemon; lose_runs: as a kill -9 before the run's file was
 * written. Then starts it again as main() does. */
static void restart_daemon(bool lose_runs)
{
	struct berr err = BERR_INIT;
	json_t *records, *messages = json_array();
	char path[400];

	stop();
	if (lose_runs) {
		snprintf(path, sizeof(path), "%s/state/analysisruns/web.json",
			 F.dir);
		unlink(path);
	}
	F.wall += 2000;
	F.mono += 2000;
	start(true);
	records = store_load_deployments(fake_d);
	fake_write_config(config);
	if (daemon_apply(fake_d, F.config, messages, &err) == -1)
		printf("# apply: %s\n", err.msg);
	store_restore_deployments(fake_d, records);
	analysis_store_restore(fake_d);
	store_restore_pods(fake_d);
	reconcile_schedule(fake_d); /* as main() does once up */
	json_decref(records);
	json_decref(messages);
	fake_step();
}

/* The name of the run bluegreen_analysis.c keeps for web ("" none). */
static const char *run_name(char *buf, size_t len)
{
	json_t *a = bluegreen_analysis_json("web");
	const char *s =
	    json_string_value(json_object_get(json_array_get(a, 0), "run"));

	snprintf(buf, len, "%s", s ? s : "");
	json_decref(a);
	return buf;
}

static bool running(const char *name)
{
	enum analysis_phase phase;
	bool stopped = false;

	return rollout_analysis_outcome(fake_d, name, &phase, &stopped, NULL,
					0) &&
	       phase == ANALYSIS_RUNNING && !stopped;
}

static int64_t started_ms(const char *name)
{
	json_t *a = analysis_runs_json(fake_d->analyses, NULL), *r;
	size_t i;
	int64_t at = -1;

	json_array_foreach(a, i, r)
	{
		if (!strcmp(json_string_value(json_object_get(r, "name")) ?: "",
			    name))
			at = json_integer_value(
			    json_object_get(r, "started_ms"));
	}
	json_decref(a);
	return at;
}

static bool has_event(const char *reason)
{
	json_t *j = events_json(fake_d, 0), *e, *a;
	size_t i;
	bool found = false;

	a = json_is_array(j) ? j : json_object_get(j, "events");
	json_array_foreach(a, i, e)
	{
		const char *r = json_string_value(json_object_get(e, "reason"));
		found |= r && !strcmp(r, reason);
	}
	json_decref(j);
	return found;
}

int main(void)
{
	const char *v1 = SVC PRE DEP "command = /bin/v1\n";
	const char *v2 = SVC PRE DEP "command = /bin/v2\n";
	char r1[112], r2[112], r3[112];
	int64_t lost_at;

	setvbuf(stdout, NULL, _IONBF, 0);
	start(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	config = v1;
	fake_apply(v1);
	fake_advance(5000);
	config = v2;
	fake_apply(v2);
	fake_advance(2000);
	is_int(web()->bg.phase, BG_PRE_ANALYSIS,
	       "the preview is up: prePromotionAnalysis in progress");
	ok(run_name(r1, sizeof(r1))[0] && running(r1), "run %s measuring", r1);

	/* A clean restart: the same run goes on. */
	restart_daemon(false);
	fake_advance(1000);
	ok(!strcmp(run_name(r2, sizeof(r2)), r1) && running(r1),
	   "after a restart: the same run %s, still measuring", r2);
	is_int(web()->bg.phase, BG_PRE_ANALYSIS, "still in prePromotion");

	/* Killed before the run's file was written: a new run (its name
	 * may be the same: numbers go on from the highest one on disk). */
	lost_at = F.wall;
	restart_daemon(true);
	fake_advance(1000);
	run_name(r3, sizeof(r3));
	ok(r3[0] && running(r3) && started_ms(r3) >= lost_at,
	   "the run was lost: a new run %s measures, started after the "
	   "restart",
	   r3);
	ok(has_event("AnalysisRestarted"),
	   "and an AnalysisRestarted event says so");
	is_int(web()->bg.phase, BG_PRE_ANALYSIS, "still in prePromotion");

	is_int(fake_scale_to_zero(config), 0, "scaled to 0");
	stop();
	fake_cleanup();
	return tap_done();
}
