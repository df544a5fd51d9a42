/*
 * test_analysis_store.c - analysis runs saved and put back
 * (analysis/run_json.c): a run that ended is listed after a restore
 * exactly as before, describe included; a run that was measuring goes
 * on with its tally and history (one measurement more counts 2/3, not
 * 1/3) and says so in an event; names go on from the highest number; a
 * run whose template is gone ends as Error, stopped; a resumed run no
 * one claims is stopped Inconclusive; each change is reported to
 * env.changed. No measurement is taken by a provider (the first is an
 * hour away): they are fed as the providers would.
 */
#include <string.h>

#include "../../analysis/internal.h"
#include "../../config/config.h"
#include "../lib/tap.h"

#define OWNER "deployment/web"

static int n_changed;
static char last_reason[64], last_msg[512];

static void on_changed(void *arg, const char *owner)
{
	(void)arg;
	n_changed += !strcmp(owner, OWNER);
}

static void on_event(void *arg, const char *owner, const char *type,
		     const char *reason, const char *msg)
{
	(void)arg;
	(void)owner;
	(void)type;
	snprintf(last_reason, sizeof(last_reason), "%s", reason);
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static int64_t wall(void)
{
	return 1700000000000;
}

static struct berth_config *cfg;

static const struct analysis_template *lookup(void *arg, const char *name)
{
	return arg ? cfg_find_analysis(cfg, name) : NULL;
}

static void on_done(void *arg, const char *name, enum analysis_phase phase,
		    const char *why)
{
	(void)arg;
	(void)name;
	(void)phase;
	(void)why;
}

static struct analysis_runs *registry(uv_loop_t *loop)
{
	struct analysis_env env = {
	    .loop = loop,
	    .event = on_event,
	    .now_wall = wall,
	    .changed = on_changed,
	};

	return analysis_runs_new(&env);
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

	json_decref(j);
	return s;
}

int main(void)
{
	static const char ini[] =
	    "[analysis errors]\n"
	    "metrics.rate.interval = 10s\n"
	    "metrics.rate.initialDelay = 1h\n"
	    "metrics.rate.count = 3\n"
	    "metrics.rate.successCondition = result == 1\n"
	    "metrics.rate.provider.web.url = http://127.0.0.1:1/\n";
	const struct analysis_template *t[1];
	const char *svcs[] = {"web"};
	struct analysis_start s = {
	    .owner = OWNER,
	    .revision = "abc123",
	    .templates = t,
	    .n_templates = 1,
	    .services = svcs,
	    .n_services = 1,
	    .what = "step 3/4",
	    .done = on_done,
	};
	struct berr err = BERR_INIT;
	uv_loop_t loop;
	struct analysis_runs *rs;
	struct analysis_run *r;
	char name1[112], name2[112], name3[112], why[400];
	char *before_list, *before_one, *after;
	enum analysis_phase phase;
	bool stopped;
	json_t *saved;

	uv_loop_init(&loop);
	if (cfg_load_buffer("t.ini", ".", ini, sizeof(ini) - 1, &cfg, &err) ==
	    -1) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	t[0] = cfg_find_analysis(cfg, "errors");

	/* One run measuring (1 of 3 taken), one ended (stopped). */
	rs = registry(&loop);
	ok(analysis_run_start(rs, &s, name1, sizeof(name1), &err) == 0 &&
	       analysis_run_start(rs, &s, name2, sizeof(name2), &err) == 0,
	   "two runs: %s, %s", name1, name2);
	r = arun_find(rs, name1);
	analysis_measured(&r->metrics[0], ANALYSIS_SUCCESSFUL,
			  "result 1 (as the web provider says)");
	analysis_run_stop(rs, name2, ANALYSIS_FAILED,
			  "the rollout was aborted");
	ok(n_changed >= 4, "every start, measurement and end is reported (%d)",
	   n_changed);
	before_list = dump(analysis_runs_json(rs, NULL));
	before_one = dump(analysis_run_json(rs, name2));
	saved = analysis_runs_save(rs, OWNER);
	is_int((int)json_array_size(json_object_get(saved, "runs")), 2,
	       "both saved");
	analysis_runs_free(rs);
	uv_run(&loop, UV_RUN_DEFAULT);

	/* A restarted daemon: the same runs. */
	rs = registry(&loop);
	analysis_runs_restore(rs, saved, lookup, "x", on_done, NULL);
	ok(!strcmp(last_reason, "AnalysisResumed") &&
	       strstr(last_msg, "its 1 measurement(s) kept"),
	   "the measuring run resumed, said so: %s", last_msg);
	after = dump(analysis_run_json(rs, name2));
	is_str(after, before_one, "the ended run described as before");
	free(after);
	ok(analysis_run_outcome(rs, name2, &phase, &stopped, why,
				sizeof(why)) &&
	       phase == ANALYSIS_FAILED && stopped &&
	       !strcmp(why, "the rollout was aborted"),
	   "its outcome: Failed, stopped, why kept");
	ok(analysis_run_outcome(rs, name1, &phase, &stopped, why,
				sizeof(why)) &&
	       phase == ANALYSIS_RUNNING && !stopped,
	   "the other one measures");
	after = dump(analysis_runs_json(rs, NULL));
	is_str(after, before_list, "the list as before");
	free(after);
	r = arun_find(rs, name1);
	analysis_measured(&r->metrics[0], ANALYSIS_SUCCESSFUL, "result 1");
	ok(strstr(r->metrics[0].last, "measurement 2/3") != NULL,
	   "the next measurement is 2/3: %s", r->metrics[0].last);
	is_int((int)json_array_size(r->metrics[0].measurements), 2,
	       "history: both measurements");
	ok(analysis_run_start(rs, &s, name3, sizeof(name3), &err) == 0 &&
	       !strcmp(name3, "web-abc123-3"),
	   "names go on: %s", name3);
	/* Nobody claims name1: stopped; name3 (this daemon's) measures. */
	analysis_runs_stop_unclaimed(rs, "no rollout took it back");
	ok(analysis_run_phase(rs, name1, &phase) &&
	       phase == ANALYSIS_INCONCLUSIVE,
	   "the resumed run nobody claimed: Inconclusive");
	ok(analysis_run_phase(rs, name3, &phase) && phase == ANALYSIS_RUNNING,
	   "a run started after the restart is not touched");
	analysis_runs_free(rs);
	uv_run(&loop, UV_RUN_DEFAULT);

	/* Restored where the template is gone. */
	rs = registry(&loop);
	analysis_runs_restore(rs, saved, lookup, NULL, on_done, NULL);
	ok(analysis_run_outcome(rs, name1, &phase, &stopped, why,
				sizeof(why)) &&
	       phase == ANALYSIS_ERROR && stopped &&
	       strstr(why, "no [analysis errors] in the config"),
	   "template gone: Error, stopped (%s)", why);
	is_str(last_reason, "AnalysisNotResumed", "said so");
	analysis_runs_free(rs);
	uv_run(&loop, UV_RUN_DEFAULT);

	free(before_list);
	free(before_one);
	json_decref(saved);
	cfg_free(cfg);
	uv_loop_close(&loop);
	return tap_done();
}
