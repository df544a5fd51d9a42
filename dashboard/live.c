/*
 * live.c - what the page shows and how it gets there: the state document
 * (deployments with their revisions side by side and one entry per pod,
 * services with their proxy numbers), pushed as a new frame whenever it
 * changes, each orchestrator event as its own frame, and the write loop
 * that feeds each stream no faster than it reads. Reads the model through
 * view.c; changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "../orchestrator/canary.h"
#include "../orchestrator/endpoints.h"
#include "../orchestrator/events.h"
#include "../orchestrator/rollout_math.h"
#include "../orchestrator/service_ops.h"
#include "../orchestrator/view.h"
#include "dash_internal.h"

/* The page's five states; shape and word, not colour alone, tell them
 * apart (app.js). */
static const char *pod_state(const struct pod *p)
{
	const char *st = pod_status(p);

	if (pod_terminating(p) || p->phase == POD_GONE)
		return "terminating";
	if (p->phase == POD_PENDING || p->phase == POD_CREATING)
		return "creating";
	if (p->phase == POD_RUNNING)
		return pod_is_ready(p) ? "ready" : "running";
	if (!strcmp(st, "ContainerCreating") || !strcmp(st, "Pending"))
		return "creating";
	return "failed"; /* exited: Error, CrashLoopBackOff, Completed */
}

static json_t *pod_json(const struct pod *p)
{
	char probe[1024] = "";
	json_t *o = view_pod(p);

	json_object_del(o, "age_seconds");
	json_object_del(o, "labels");
	json_object_del(o, "pid");
	if (p->probes)
		probe_set_describe(p->probes, probe, sizeof(probe));
	json_object_set_new(o, "state", json_string(pod_state(p)));
	json_object_set_new(o, "probes", json_string(probe));
	return o;
}

/* The latest event about deployment dep: the controller's last decision,
 * with its arithmetic. */
static json_t *last_step(struct daemon *d, const char *dep)
{
	const char *obj = event_object_name("deployment", dep);
	uint64_t first =
	    d->event_seq > EVENT_RING ? d->event_seq - EVENT_RING + 1 : 1;

	for (uint64_t s = d->event_seq; s >= first && s > 0; s--) {
		const struct event *ev = &d->events[(s - 1) % EVENT_RING];

		if (!strcmp(ev->object, obj))
			return json_pack("{s:s, s:s}", "reason", ev->reason,
					 "message", ev->message);
	}
	return json_null();
}

/* A Canary deployment's run for its current template: the step, the
 * weight its steps set, the weight in force in the proxy, and
 * `rollout status`'s line; null when no run is in progress. */
static json_t *canary_json(const struct deployment *dep)
{
	const struct canary_run *run = &dep->canary;
	const struct canary_steps *st = &dep->spec->canary_steps;
	char line[512], step[160] = "";
	int set = 0;

	if (!canary_status(dep, line, sizeof(line)))
		return json_null();
	/* as canary_status(): the last setWeight reached */
	for (size_t i = 0; i < st->n && i <= run->s.step; i++)
		if (st->v[i].kind == CANARY_SET_WEIGHT)
			set = st->v[i].value;
	if (run->s.step >= st->n)
		set = 100;
	if (run->s.aborted)
		set = 0;
	if (run->s.step < st->n)
		canary_step_str(&st->v[run->s.step], step, sizeof(step));
	return json_pack(
	    "{s:s, s:s, s:i, s:i, s:s, s:i, s:i, s:b, s:b, s:s}", "hash",
	    run->s.hash, "stable_hash", dep->memo.stable, "step",
	    (int)(run->s.step + 1 > st->n ? st->n : run->s.step + 1), "steps",
	    (int)st->n, "step_text", step, "set_weight", set, "proxy_weight",
	    run->published ? run->pub_weight : 0, "aborted", run->s.aborted,
	    "paused", run->s.pause_until_mono != 0 && !run->s.aborted, "status",
	    line);
}

static int rev_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static json_t *deployment_json(struct daemon *d, struct deployment *dep)
{
	json_t *o = view_deployment(d, dep), *revs = json_array();
	struct dep_counts c;
	int surge = 0, unav = 0, nums[64], n = 0;

	json_object_del(o, "age_seconds");
	deployment_counts(d, dep, &c);
	if (dep->spec->strategy == STRATEGY_ROLLING_UPDATE)
		rollout_resolve(dep->spec->max_surge,
				dep->spec->max_unavailable, dep->replicas,
				&surge, &unav);
	/* Every revision that has a pod, and the current one, oldest
	 * first: side by side on the page. */
	nums[n++] = dep->revision;
	for (struct pod *p = d->pods; p; p = p->next) {
		bool known = false;

		if (p->deployment != dep || p->phase == POD_GONE)
			continue;
		for (int i = 0; i < n; i++)
			known = known || nums[i] == p->revision;
		if (!known && n < 64)
			nums[n++] = p->revision;
	}
	qsort(nums, (size_t)n, sizeof(int), rev_cmp);
	for (int i = 0; i < n; i++) {
		json_t *pods = json_array();
		const char *image = "";

		for (struct pod *p = d->pods; p; p = p->next)
			if (p->deployment == dep && p->phase != POD_GONE &&
			    p->revision == nums[i]) {
				json_array_append_new(pods, pod_json(p));
				if (p->image)
					image = p->image;
			}
		for (size_t k = 0; k < dep->n_revisions; k++)
			if (dep->revisions[k].number == nums[i] &&
			    dep->revisions[k].spec && !image[0])
				image = dep->revisions[k].spec->image
					    ? dep->revisions[k].spec->image
					    : "";
		json_array_append_new(
		    revs, json_pack("{s:i, s:b, s:s, s:o}", "revision", nums[i],
				    "current", nums[i] == dep->revision,
				    "image", image, "pods", pods));
	}
	json_object_set_new(o, "revisions", revs);
	json_object_set_new(o, "paused", json_boolean(dep->paused));
	json_object_set_new(o, "terminating", json_integer(c.terminating));
	json_object_set_new(o, "total", json_integer(c.total));
	json_object_set_new(
	    o, "bounds",
	    json_pack("{s:i, s:i, s:i, s:i}", "maxSurge", surge,
		      "maxUnavailable", unav, "maxPods", dep->replicas + surge,
		      "minAvailable",
		      dep->replicas - unav > 0 ? dep->replicas - unav : 0));
	json_object_set_new(o, "step", last_step(d, dep->name));
	json_object_set_new(o, "canary", canary_json(dep));
	return o;
}

static json_t *service_numbers(struct dashboard *db, const char *name)
{
	json_t *s =
	    json_object_get(json_object_get(db->metrics, "services"), name);

	return s ? json_incref(s) : json_null();
}

static void add_int(json_t *o, const char *k, int v)
{
	json_object_set_new(
	    o, k, json_integer(json_integer_value(json_object_get(o, k)) + v));
}

/* Per revision of the pods the service selects: its pods, endpoints,
 * and the proxy's requests/s, errors/s, error rate and p99 for it (from
 * the per-revision counters: pods gone since count too); for a canary
 * run, its role and the weights (set, in the proxy, and the share of
 * requests the canary revision actually took). */
static json_t *per_revision(struct dashboard *db, struct daemon *d,
			    const struct service_spec *svc, json_t **canary)
{
	json_t *out = json_object();
	json_t *nums = json_object_get(
	    json_object_get(db->metrics, "revisions"), svc->name);
	const struct kvlist *sel = service_selector(d, svc);
	const struct deployment *cdep = NULL;
	json_t *cj = NULL;
	double total = 0, canary_rps = 0;
	const char *k;
	json_t *r;

	for (struct pod *p = d->pods; p; p = p->next) {
		char key[16];

		if (p->phase == POD_GONE || !endpoints_selects(sel, p))
			continue;
		snprintf(key, sizeof(key), "%d", p->revision);
		r = json_object_get(out, key);
		if (r == NULL) {
			json_t *m = json_object_get(nums, p->hash);

			r = json_pack(
			    "{s:i, s:s, s:i, s:i, s:O?, s:O?, s:O?, "
			    "s:O?, s:n}",
			    "revision", p->revision, "hash", p->hash, "pods", 0,
			    "endpoints", 0, "rps", json_object_get(m, "rps"),
			    "errors_ps", json_object_get(m, "errors_ps"),
			    "error_rate", json_object_get(m, "error_rate"),
			    "p99_ms", json_object_get(m, "p99_ms"), "role");
			json_object_set_new(out, key, r);
			total += json_number_value(json_object_get(m, "rps"));
		}
		add_int(r, "pods", 1);
		if (pod_is_ready(p) && !pod_terminating(p))
			add_int(r, "endpoints", 1);
		if (cdep == NULL && p->deployment &&
		    p->deployment->spec->strategy == STRATEGY_CANARY) {
			cj = canary_json(p->deployment);
			if (json_is_object(cj))
				cdep = p->deployment;
			else
				json_decref(cj);
		}
	}
	if (cdep == NULL) {
		*canary = json_null();
		return out;
	}
	json_object_foreach(out, k, r)
	{
		const char *h = json_string_value(json_object_get(r, "hash"));

		if (!strcmp(h, cdep->canary.s.hash)) {
			json_object_set_new(r, "role", json_string("canary"));
			canary_rps +=
			    json_number_value(json_object_get(r, "rps"));
		} else if (!strcmp(h, cdep->memo.stable)) {
			json_object_set_new(r, "role", json_string("stable"));
		}
	}
	json_object_set_new(cj, "deployment", json_string(cdep->name));
	json_object_set_new(cj, "revision", json_integer(cdep->revision));
	json_object_set_new(cj, "actual_weight",
			    total > 0 ? json_real(100.0 * canary_rps / total)
				      : json_null());
	*canary = cj;
	return out;
}

json_t *dash_state(struct dashboard *db)
{
	struct daemon *d = db->d;
	json_t *deps = json_array(), *svcs = view_services(d), *svc;
	json_t *pods = view_pods(d), *p;
	size_t i;

	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (!dep->deleting)
			json_array_append_new(deps, deployment_json(d, dep));
	json_array_foreach(json_object_get(svcs, "services"), i, svc)
	{
		const char *name =
		    json_string_value(json_object_get(svc, "name"));

		json_object_del(svc, "age_seconds");
		json_object_set_new(svc, "numbers", service_numbers(db, name));
		for (size_t k = 0; d->cfg && k < d->cfg->n_services; k++) {
			json_t *canary;

			if (strcmp(d->cfg->services[k].name, name))
				continue;
			json_object_set_new(
			    svc, "revisions",
			    per_revision(db, d, &d->cfg->services[k], &canary));
			json_object_set_new(svc, "canary", canary);
		}
	}
	json_array_foreach(json_object_get(pods, "pods"), i, p)
	{
		json_object_del(p, "age_seconds");
		json_object_del(p, "labels");
		json_object_del(p, "pid");
	}
	svc = json_incref(json_object_get(svcs, "services"));
	p = json_incref(json_object_get(pods, "pods"));
	json_decref(svcs);
	json_decref(pods);
	return json_pack("{s:o, s:o, s:o}", "deployments", deps, "services",
			 svc, "pods", p);
}

static json_t *event_json(const struct event *ev)
{
	json_t *o = event_to_json(ev);

	json_object_del(o, "age_seconds");
	json_object_set_new(o, "seq", json_integer((json_int_t)ev->seq));
	json_object_set_new(o, "time_ms", json_integer(ev->time_ms));
	return o;
}

json_t *dash_snapshot(struct dashboard *db)
{
	struct daemon *d = db->d;
	json_t *events = json_array();
	uint64_t first = d->event_seq > 200 ? d->event_seq - 199 : 1;

	if (d->event_seq > EVENT_RING && first < d->event_seq - EVENT_RING + 1)
		first = d->event_seq - EVENT_RING + 1;
	for (uint64_t s = first; s <= d->event_seq && s > 0; s++)
		json_array_append_new(
		    events, event_json(&d->events[(s - 1) % EVENT_RING]));
	return json_pack("{s:o, s:o, s:o}", "state", dash_state(db), "events",
			 events, "timelines", timeline_list(db->timelines));
}

static bool have_streams(struct dashboard *db)
{
	for (struct dash_conn *c = db->conns; c; c = c->next)
		if (c->state == DC_SSE)
			return true;
	return false;
}

void dash_sse_flush(struct dashboard *db, struct dash_conn *c)
{
	for (;;) {
		const struct sse_frame *f;
		enum sse_step step =
		    sse_client_next(&db->ring, &c->sse, dash_conn_queued(c),
				    DASH_SSE_QUEUE_CAP, &f);

		if (step == SSE_WAIT) {
			if (c->since_ms == 0)
				c->since_ms = uv_now(db->d->loop);
			return;
		}
		c->since_ms = 0;
		if (step == SSE_IDLE)
			return;
		if (step == SSE_FRAME) {
			c->sse.sent = f->id;
			dash_write_raw(c, f->text, f->len, false);
		} else {
			json_t *snap = dash_snapshot(db);
			char *data = json_dumps(snap, JSON_COMPACT);
			size_t len;
			char *text = sse_format(&db->ring, db->ring.last_id,
						"snapshot", data, &len);

			json_decref(snap);
			c->sse.sent = db->ring.last_id;
			c->sse.need_snapshot = false;
			dash_write_raw(c, text, len, false);
			free(text);
			free(data);
		}
		if (c->state != DC_SSE)
			return; /* the write failed: closing */
	}
}

void dash_live_tick(struct dashboard *db, bool force)
{
	struct daemon *d = db->d;
	json_t *state;
	char *text;
	uint64_t first;

	if (!force && !have_streams(db))
		return;
	state = dash_state(db);
	text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(state);
	if (text && (db->last_state == NULL || strcmp(text, db->last_state))) {
		sse_ring_push(&db->ring, "state", text);
		free(db->last_state);
		db->last_state = text;
	} else {
		free(text);
	}
	first = d->event_seq > EVENT_RING ? d->event_seq - EVENT_RING + 1 : 1;
	if (db->last_event + 1 > first)
		first = db->last_event + 1;
	for (uint64_t s = first; s <= d->event_seq && s > 0; s++) {
		json_t *ev = event_json(&d->events[(s - 1) % EVENT_RING]);
		char *t = json_dumps(ev, JSON_COMPACT);

		sse_ring_push(&db->ring, "event", t);
		free(t);
		json_decref(ev);
	}
	db->last_event = d->event_seq;
	for (struct dash_conn *c = db->conns; c; c = c->next)
		if (c->state == DC_SSE)
			dash_sse_flush(db, c);
}
