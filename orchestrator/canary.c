/*
 * canary.c - the Canary strategy's controller (see canary.h): counts the
 * stable and canary pods, asks the step machine (canary_steps.c) how far
 * the run goes, scales both revisions, removes pods of any third one,
 * publishes the routing policy to the proxy, and records every step and
 * weight change as an event with its numbers. It does not start or stop
 * containers itself (reconcile.c's helpers do) nor change templates.
 */
#include "canary.h"

#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "../proxy/proxy.h"
#include "clock.h"
#include "events.h"
#include "pod.h"
#include "reconcile.h"
#include "revision.h"
#include "service_ops.h"
#include "store.h"
#include "terminate.h"
#include "view.h"
#include "watch.h"

static const char *dep_object(struct deployment *dep)
{
	return event_object_name("deployment", dep->name);
}

static int rev_number(struct deployment *dep, const char *hash)
{
	struct revision *r = revision_find_hash(dep, hash);

	return r ? r->number : 0;
}

/* Publishes weight and header route (or none: run NULL) to every service
 * selecting dep, when they changed. */
static void publish(struct daemon *d, struct deployment *dep, bool on,
		    int weight)
{
	struct canary_run *run = &dep->canary;
	const struct canary_step *h = NULL;
	struct proxy_header_route hr;
	struct proxy_route route = {0};

	run->weight = on ? weight : 0;
	if (d->proxy == NULL || d->cfg == NULL)
		return;
	if (on == run->published &&
	    (!on || (run->pub_weight == weight &&
		     run->pub_header == run->s.header_step &&
		     run->pub_mirror == run->s.mirror)))
		return;
	if (on) {
		route.canary = run->s.hash;
		route.weight = weight;
		route.mirror_percent = run->s.mirror;
		route.cookie = dep->spec->canary_cookie;
		if (run->s.header_step >= 0 &&
		    (size_t)run->s.header_step < dep->spec->canary_steps.n)
			h = &dep->spec->canary_steps.v[run->s.header_step];
		if (h && h->header) {
			hr.name = h->header;
			hr.value = h->header_value;
			hr.match =
			    h->match == HEADER_PREFIX  ? PROXY_MATCH_PREFIX
			    : h->match == HEADER_REGEX ? PROXY_MATCH_REGEX
						       : PROXY_MATCH_EXACT;
			route.headers = &hr;
			route.n_headers = 1;
		}
	}
	for (size_t i = 0; i < d->cfg->n_services; i++) {
		const struct service_spec *svc = &d->cfg->services[i];
		const struct kvlist *sel = service_selector(d, svc);
		struct berr err = BERR_INIT;

		if (sel->n == 0 || !kvlist_matches(sel, &dep->spec->labels))
			continue;
		if (proxy_route_publish(d->proxy, svc->name, on ? &route : NULL,
					&err) == -1)
			log_warnx("deployment %s: service %s: %s", dep->name,
				  svc->name, err.msg);
	}
	run->published = on;
	run->pub_weight = weight;
	run->pub_header = run->s.header_step;
	run->pub_mirror = run->s.mirror;
	watch_mark(d, WATCH_DEPLOYMENTS);
}

struct counts {
	int stable, stable_available;
	int canary, canary_available;
};

static void count(struct daemon *d, struct deployment *dep, const char *stable,
		  struct counts *c, bool remove_others)
{
	int64_t now = mono_ms();

	memset(c, 0, sizeof(*c));
	for (struct pod *p = d->pods, *next; p; p = next) {
		next = p->next;
		if (p->deployment != dep || p->phase == POD_GONE ||
		    pod_leaving(p))
			continue;
		if (!strcmp(p->hash, dep->hash)) {
			c->canary++;
			c->canary_available += pod_is_available(p, now);
		} else if (!strcmp(p->hash, stable)) {
			c->stable++;
			c->stable_available += pod_is_available(p, now);
		} else if (remove_others) {
			pod_terminate(p, TERM_REMOVE, -1,
				      "neither the stable nor the canary "
				      "revision");
		}
	}
}

static void scale(struct daemon *d, struct deployment *dep, const char *hash,
		  int have, int want, const char *what)
{
	if (have == want)
		return;
	event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
		     "Scaled %s %s revision %d to %d (canary steps)",
		     want > have ? "up" : "down", what, rev_number(dep, hash),
		     want);
	if (want > have)
		reconcile_create_pods(d, dep, hash, want - have);
	else
		reconcile_remove_pods(d, dep, hash, have - want, false,
				      "canary steps");
}

bool canary_reconcile(struct daemon *d, struct deployment *dep,
		      const char *stable, int replicas)
{
	struct canary_run *run = &dep->canary;
	struct canary_input in;
	struct canary_output out;
	struct counts c;
	struct canary_state before = run->s;
	int old_weight, weight, stable_want = replicas;

	if (stable == NULL || stable[0] == '\0' || !strcmp(stable, dep->hash)) {
		/* No run (any more): every request balanced alike. */
		publish(d, dep, false, 0);
		if (run->s.hash[0]) {
			canary_analysis_stop(d, dep, ANALYSIS_SUCCESSFUL,
					     "the rollout ended");
			run->s.hash[0] = '\0';
			store_save_deployment(dep);
		}
		return false;
	}
	if (strcmp(run->s.hash, dep->hash)) {
		canary_analysis_stop(d, dep, ANALYSIS_FAILED,
				     "a newer revision replaced this one");
		canary_begin(&run->s, dep->hash);
		event_record(d, "Normal", "CanaryStarted", dep_object(dep),
			     "Canary run of revision %d beside stable revision "
			     "%d: %zu steps, replicas %d",
			     dep->revision, rev_number(dep, stable),
			     dep->spec->canary_steps.n, replicas);
	}
	count(d, dep, stable, &c, true);
	old_weight = run->s.weight;
	in.steps = &dep->spec->canary_steps;
	in.replicas = replicas;
	in.canary_available = c.canary_available;
	in.now_mono = mono_ms();
	canary_advance(&run->s, &in, &out);
	if (memcmp(&before, &run->s, sizeof(before)))
		store_save_deployment(dep); /* resumes here after a restart */
	for (size_t i = 0; i < out.n_notes; i++)
		event_record(d, "Normal", "CanaryStep", dep_object(dep), "%s",
			     out.notes[i]);
	canary_analysis_sync(d, dep, &out);
	if (run->s.weight != old_weight)
		event_record(d, "Normal", "CanaryWeight", dep_object(dep),
			     "Weight of revision %d: %d %% -> %d %% (%d canary "
			     "pods available, %d stable)",
			     dep->revision, old_weight, run->s.weight,
			     c.canary_available, c.stable_available);
	if (out.done && !run->s.aborted && c.canary_available >= replicas) {
		/* Fully promoted: every request to the new revision, then
		 * the rolling update path removes the old pods. */
		if (run->s.weight != 100) {
			event_record(
			    d, "Normal", "CanaryPromoted", dep_object(dep),
			    "Revision %d promoted: %d of %d pods "
			    "available, weight 100 %%",
			    dep->revision, c.canary_available, replicas);
			run->s.weight = 100;
			store_save_deployment(dep);
		}
		publish(d, dep, true, 100);
		return false;
	}
	weight = run->s.weight;
	if (dep->spec->dynamic_stable_scale && run->s.aborted) {
		/* Argo's dynamicStableScale abort: the stable revision
		 * grows back first; the canary keeps the share the stable
		 * pods cannot take yet, and its pods until it has none. */
		int can =
		    replicas > 0 ? c.stable_available * 100 / replicas : 100;

		weight = run->s.abort_weight < 100 - can ? run->s.abort_weight
							 : 100 - can;
		if (weight < 0)
			weight = 0;
		if (weight > 0)
			out.canary_replicas = c.canary;
		if (weight != run->pub_weight)
			event_record(d, "Normal", "CanaryWeight",
				     dep_object(dep),
				     "Abort with dynamicStableScale: weight "
				     "%d %% (%d of %d stable pods available)",
				     weight, c.stable_available, replicas);
	} else if (dep->spec->dynamic_stable_scale) {
		/* The stable revision keeps the share of replicas the
		 * traffic weight leaves it, rounded up. */
		stable_want = ((100 - weight) * replicas + 99) / 100;
	}
	if (out.keep_canary)
		out.canary_replicas = c.canary; /* abortScaleDownDelaySeconds */
	/* Scale the canary first when it grows, the routing after it; when
	 * it shrinks, the routing first (an aborted run sends nothing to
	 * pods about to go). */
	publish(d, dep, true, weight);
	/* The deadline counts from the end of the steps (a pause may be
	 * long); the run itself is not measured against it. */
	dep->progress_mono = in.now_mono;
	scale(d, dep, dep->hash, c.canary, out.canary_replicas, "canary");
	scale(d, dep, stable, c.stable, stable_want, "stable");
	return true;
}

const char *canary_abort_run(struct deployment *dep, char *buf, size_t len)
{
	int delay = dep->spec->canary_abort_scale_down_delay_seconds;
	int64_t at;

	/* Argo Rollouts: unset is 30 s (with dynamicStableScale: as the
	 * stable pods come back), 0 keeps the canary pods, N is N s. */
	if (delay < 0)
		at = dep->spec->dynamic_stable_scale ? 0 : mono_ms() + 30000;
	else if (delay == 0)
		at = CANARY_KEEP_CANARY;
	else
		at = mono_ms() + (int64_t)delay * 1000;
	if (!dep->canary.s.aborted)
		canary_abort(&dep->canary.s, at);
	if (delay < 0 && dep->spec->dynamic_stable_scale)
		snprintf(buf, len,
			 "the canary pods go as the stable ones come back "
			 "(dynamicStableScale)");
	else if (delay == 0)
		snprintf(buf, len,
			 "the canary pods stay until retry, undo or a new "
			 "update (abortScaleDownDelaySeconds 0)");
	else
		snprintf(buf, len,
			 "the canary pods go in %d s "
			 "(abortScaleDownDelaySeconds)",
			 delay < 0 ? 30 : delay);
	return buf;
}

void canary_publish_now(struct daemon *d, struct deployment *dep)
{
	/* With dynamicStableScale an abort keeps the share the stable pods
	 * cannot take yet: the next pass works it out. */
	if (!dep->spec->dynamic_stable_scale)
		publish(d, dep, true, dep->canary.s.weight);
}

static int need_run(struct deployment *dep, struct berr *err)
{
	if (dep->spec->strategy != STRATEGY_CANARY)
		return berr_set(err, "deployment %s: strategy is not Canary",
				dep->name);
	if (dep->canary.s.hash[0] == '\0' ||
	    strcmp(dep->canary.s.hash, dep->hash))
		return berr_set(err, "deployment %s: no canary run in progress",
				dep->name);
	return 0;
}

int canary_promote_cmd(struct daemon *d, struct deployment *dep, bool full,
		       struct berr *err)
{
	const struct canary_steps *st = &dep->spec->canary_steps;
	char buf[160];

	if (need_run(dep, err) == -1)
		return -1;
	if (dep->canary.s.aborted)
		return berr_set(err,
				"deployment %s: the run was aborted; `berth "
				"rollout retry` starts it again",
				dep->name);
	if (full)
		event_record(d, "Normal", "CanaryPromote", dep_object(dep),
			     "Promoted fully at step %zu/%zu: the remaining "
			     "steps are skipped",
			     dep->canary.s.step + 1, st->n);
	else if (dep->canary.s.step < st->n)
		event_record(d, "Normal", "CanaryPromote", dep_object(dep),
			     "Promoted: step %zu/%zu %s passes",
			     dep->canary.s.step + 1, st->n,
			     canary_step_str(&st->v[dep->canary.s.step], buf,
					     sizeof(buf)));
	canary_promote(&dep->canary.s, st, full);
	store_save_deployment(dep);
	reconcile_schedule(d);
	return 0;
}

int canary_abort_cmd(struct daemon *d, struct deployment *dep, struct berr *err)
{
	size_t step = dep->canary.s.step + 1;
	int weight = dep->canary.s.weight;
	char pods[96];

	if (need_run(dep, err) == -1)
		return -1;
	if (dep->canary.s.aborted)
		return 0;
	canary_abort_run(dep, pods, sizeof(pods));
	event_record(
	    d, "Warning", "CanaryAborted", dep_object(dep),
	    "Aborted at step %zu/%zu: weight %d %% -> 0 %%, %s",
	    step > dep->spec->canary_steps.n ? dep->spec->canary_steps.n : step,
	    dep->spec->canary_steps.n, weight, pods);
	canary_analysis_stop(d, dep, ANALYSIS_FAILED,
			     "the rollout was aborted");
	store_save_deployment(dep);
	/* Every request back to stable now, not at the next pass. */
	canary_publish_now(d, dep);
	reconcile_schedule(d);
	return 0;
}

int canary_retry_cmd(struct daemon *d, struct deployment *dep, struct berr *err)
{
	if (need_run(dep, err) == -1)
		return -1;
	if (!dep->canary.s.aborted)
		return berr_set(err,
				"deployment %s: the run was not aborted; "
				"nothing to retry",
				dep->name);
	event_record(d, "Normal", "CanaryRetry", dep_object(dep),
		     "Retry: the steps start again from step 1/%zu",
		     dep->spec->canary_steps.n);
	canary_analysis_stop(d, dep, ANALYSIS_FAILED, "retry");
	canary_retry(&dep->canary.s);
	store_save_deployment(dep);
	reconcile_schedule(d);
	return 0;
}

bool canary_status(const struct deployment *dep, char *buf, size_t len)
{
	const struct canary_run *run = &dep->canary;
	const struct canary_steps *st = &dep->spec->canary_steps;
	char step[160] = "";

	if (dep->spec->strategy != STRATEGY_CANARY || run->s.hash[0] == '\0' ||
	    strcmp(run->s.hash, dep->hash))
		return false;
	int set = 0;

	/* The weight the steps ask for: the last setWeight reached. */
	for (size_t i = 0; i < st->n && i <= run->s.step; i++)
		if (st->v[i].kind == CANARY_SET_WEIGHT)
			set = st->v[i].value;
	if (run->s.step >= st->n)
		set = 100;
	if (run->s.aborted)
		set = 0;
	if (run->s.step < st->n)
		canary_step_str(&st->v[run->s.step], step, sizeof(step));
	snprintf(buf, len,
		 "Canary of revision %d: %s%s step %zu/%zu%s%s%s, weight set "
		 "%d %%, in the proxy %d %%%s",
		 dep->revision, run->s.aborted ? "aborted at" : "",
		 run->s.aborted ? "" : (run->s.held ? "held at" : "at"),
		 run->s.step + 1 > st->n ? st->n : run->s.step + 1, st->n,
		 step[0] ? " (" : "", step, step[0] ? ")" : "", set,
		 run->published ? run->pub_weight : 0,
		 run->s.held ? " (an analysis was Inconclusive: `berth rollout "
			       "promote` goes on, `abort` goes back)"
			     : "");
	return true;
}
