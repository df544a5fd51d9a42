/*
 * rollout_analysis.c - analysis runs in the daemon (see
 * rollout_analysis.h): what the registry borrows from the daemon (the
 * proxy, the runtime, pods to exec in, events), starting runs for a
 * deployment and the control API's routes. What a run measures and
 * decides is analysis/'s; what a strategy does with the verdict is the
 * strategy's (canary_analysis.c).
 */
#include "rollout_analysis.h"

#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "analysis_store.h"
#include "clock.h"
#include "ctl_server.h"
#include "events.h"
#include "service_ops.h"

static int pick_container(void *arg, const char *owner, const char *revision,
			  char *id, size_t len)
{
	struct daemon *d = arg;
	const char *name = strchr(owner, '/');

	name = name ? name + 1 : owner;
	for (struct pod *p = d->pods; p; p = p->next)
		if (p->deployment && !strcmp(p->deployment->name, name) &&
		    !strcmp(p->hash, revision) && p->phase == POD_RUNNING &&
		    p->ready && p->term_step == TERM_NONE) {
			snprintf(id, len, "%s", p->name);
			return 0;
		}
	return -1;
}

static void on_event(void *arg, const char *owner, const char *type,
		     const char *reason, const char *msg)
{
	event_record(arg, type, reason, owner, "%s", msg);
}

static void on_changed(void *arg, const char *owner)
{
	analysis_store_changed(arg, owner);
}

void rollout_analysis_init(struct daemon *d)
{
	struct berr err = BERR_INIT;
	struct analysis_env env = {
	    .loop = d->loop,
	    .proxy = d->proxy,
	    .runtime = d->rt.path,
	    .runtime_root = d->rt.root,
	    .pick_container = pick_container,
	    .event = on_event,
	    .arg = d,
	    .now_mono = mono_ms,
	    .now_wall = now_ms,
	    .changed = on_changed,
	};

	d->analyses = analysis_runs_new(&env);
	if (analysis_store_init(d, &err) == -1)
		log_warnx("analysis runs will not outlive the daemon: %s",
			  err.msg);
}

void rollout_analysis_free(struct daemon *d)
{
	analysis_store_free(d);
	analysis_runs_free(d->analyses);
	d->analyses = NULL;
}

int rollout_analysis_start(struct daemon *d, struct deployment *dep,
			   const struct strv *templates, const char *hash,
			   const char *what, bool background,
			   analysis_done_fn done, void *arg, char *name,
			   size_t name_len, struct berr *err)
{
	const struct analysis_template *t[8];
	const char *svcs[64];
	size_t ns = 0;
	char owner[96];
	struct analysis_start s = {0};

	if (d->analyses == NULL || d->cfg == NULL)
		return berr_set(err, "analysis is not running");
	if (templates->n == 0 || templates->n > 8)
		return berr_set(err, "1 to 8 analysis templates (%zu given)",
				templates->n);
	for (size_t i = 0; i < templates->n; i++) {
		t[i] = cfg_find_analysis(d->cfg, templates->v[i]);
		if (t[i] == NULL)
			return berr_set(err,
					"no [analysis %s] in the applied "
					"config",
					templates->v[i]);
	}
	for (size_t i = 0; i < d->cfg->n_services && ns < 64; i++) {
		const struct service_spec *svc = &d->cfg->services[i];
		const struct kvlist *sel = service_selector(d, svc);

		if (sel->n > 0 && kvlist_matches(sel, &dep->spec->labels))
			svcs[ns++] = svc->name;
	}
	snprintf(owner, sizeof(owner), "deployment/%s", dep->name);
	s.owner = owner;
	s.revision = hash;
	s.templates = t;
	s.n_templates = templates->n;
	s.services = svcs;
	s.n_services = ns;
	s.background = background;
	s.what = what;
	s.done = done;
	s.done_arg = arg;
	return analysis_run_start(d->analyses, &s, name, name_len, err);
}

void rollout_analysis_stop(struct daemon *d, const char *name,
			   enum analysis_phase phase, const char *why)
{
	if (d->analyses && name && name[0])
		analysis_run_stop(d->analyses, name, phase, why);
}

bool rollout_analysis_outcome(struct daemon *d, const char *name,
			      enum analysis_phase *phase, bool *stopped,
			      char *why, size_t len)
{
	return d->analyses && name && name[0] &&
	       analysis_run_outcome(d->analyses, name, phase, stopped, why,
				    len);
}

void rollout_analysis_claim(struct daemon *d, const char *name)
{
	if (d->analyses && name && name[0])
		analysis_run_claim(d->analyses, name);
}

bool rollout_analysis_status(struct daemon *d, struct deployment *dep,
			     char *buf, size_t len)
{
	char owner[96];

	if (d->analyses == NULL)
		return false;
	snprintf(owner, sizeof(owner), "deployment/%s", dep->name);
	return analysis_runs_status(d->analyses, owner, buf, len);
}

void rollout_analysis_api_list(struct daemon *d, struct ctl_conn *c,
			       const struct ctl_request *req,
			       const char *const *arg)
{
	char dep[96] = "", owner[112];
	bool filter = ctl_query_get(req, "deployment", dep, sizeof(dep)) == 0;

	(void)arg;
	if (d->analyses == NULL) {
		ctl_reply_json(c, 200, json_pack("{s:[]}", "analysisruns"));
		return;
	}
	snprintf(owner, sizeof(owner), "deployment/%s", dep);
	ctl_reply_json(
	    c, 200,
	    json_pack("{s:o}", "analysisruns",
		      analysis_runs_json(d->analyses, filter ? owner : NULL)));
}

void rollout_analysis_api_get(struct daemon *d, struct ctl_conn *c,
			      const struct ctl_request *req,
			      const char *const *arg)
{
	json_t *j = d->analyses ? analysis_run_json(d->analyses, arg[0]) : NULL;

	(void)req;
	if (j == NULL) {
		ctl_reply_error(c, 404, "analysisrun \"%s\" not found", arg[0]);
		return;
	}
	ctl_reply_json(c, 200, j);
}
