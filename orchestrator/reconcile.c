/*
 * reconcile.c - the deployment controller: counts each deployment's pods
 * per revision, asks rollout_math for one step (rollout_plan_step) and
 * applies it: creates pods of the newest revision, removes pods of older
 * ones, unhealthy first, oldest revision first. Also scaling events during
 * a rollout or while paused (proportional across revisions), revision
 * history pruning and the progress deadline (with progressDeadlineAbort).
 * Every decision is an event that shows its arithmetic. It does not start
 * or stop containers itself (pod.c, terminate.c) nor change templates
 * (rollout.c, daemon.c).
 */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "analysis_store.h"
#include "bluegreen.h"
#include "canary.h"
#include "events.h"
#include "pod.h"
#include "revision.h"
#include "rollout.h"
#include "rollout_math.h"
#include "store.h"
#include "terminate.h"
#include "view.h"
#include "watch.h"

/* Pods of one template hash. */
struct group {
	char hash[16];
	int number; /* revision number (0: unknown) */
	struct rollout_count c;
	int terminating;
};

#define MAX_GROUPS (ROLLOUT_MAX_OLD + 1)

struct tally {
	struct group g[MAX_GROUPS]; /* oldest first; the current one last */
	size_t n;
	int ready; /* ready pods of every revision */
};

/* The controller's memory between steps lives in dep->memo; before the
 * first step every count is unknown (-1). */
static void memo_read(const struct deployment *dep, struct rollout_memo *m)
{
	if (dep->memo.set) {
		*m = dep->memo;
		return;
	}
	memset(m, 0, sizeof(*m));
	m->desired = -1;
	m->updated = m->old = m->ready = m->available = -1;
}

static void memo_write(struct deployment *dep, const struct rollout_memo *m)
{
	bool resized = !dep->memo.set || dep->memo.desired != m->desired;

	dep->memo = *m;
	dep->memo.set = true;
	if (resized && m->desired >= 0)
		store_save_deployment(dep); /* the desired size is persisted */
}

const char *reconcile_stable_hash(struct deployment *dep, char out[16])
{
	struct rollout_memo m;

	memo_read(dep, &m);
	snprintf(out, 16, "%s", m.stable);
	return out[0] ? out : NULL;
}

static struct group *group_for(struct tally *t, struct deployment *dep,
			       const char *hash, int fallback_number)
{
	struct revision *r;

	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->g[i].hash, hash))
			return &t->g[i];
	if (t->n == MAX_GROUPS)
		return NULL;
	memset(&t->g[t->n], 0, sizeof(t->g[0]));
	snprintf(t->g[t->n].hash, sizeof(t->g[0].hash), "%s", hash);
	r = revision_find_hash(dep, hash);
	t->g[t->n].number = r ? r->number : fallback_number;
	return &t->g[t->n++];
}

static int group_cmp(const void *a, const void *b)
{
	const struct group *ga = a, *gb = b;

	return ga->number - gb->number;
}

static void tally(struct daemon *d, struct deployment *dep, struct tally *t)
{
	int64_t now = mono_ms();
	struct group *cur;

	memset(t, 0, sizeof(*t));
	for (struct pod *p = d->pods; p; p = p->next) {
		struct group *g;

		if (p->deployment != dep || p->phase == POD_GONE)
			continue;
		g = group_for(t, dep, p->hash, p->revision);
		if (g == NULL)
			continue;
		if (pod_leaving(p)) {
			g->terminating++;
			continue;
		}
		g->c.active++;
		g->c.available += pod_is_available(p, now);
		t->ready += pod_is_ready(p);
	}
	cur = group_for(t, dep, dep->hash, dep->revision);
	if (cur)
		cur->number = 1 << 30; /* sorts last */
	qsort(t->g, t->n, sizeof(t->g[0]), group_cmp);
	t->g[t->n - 1].number = dep->revision;
}

static struct group *current(struct tally *t)
{
	return &t->g[t->n - 1];
}

static const char *dep_object(struct deployment *dep)
{
	return event_object_name("deployment", dep->name);
}

/* Creates n pods of the template hash (the current one, or an older one
 * whose template the revision history still holds). */
static int create_pods(struct daemon *d, struct deployment *dep,
		       const char *hash, int n)
{
	struct revision *r;
	const struct deployment_spec *spec = dep->spec;
	struct cfg_ref *ref = dep->spec_ref;
	char cur_hash[16];
	int cur_rev = dep->revision;

	if (!strcmp(hash, dep->hash)) {
		for (int i = 0; i < n; i++)
			pod_create(d, dep);
		return n;
	}
	r = revision_find_hash(dep, hash);
	if (r == NULL || r->spec == NULL) {
		log_warnx("deployment %s: no template recorded for %s; "
			  "cannot scale it up",
			  dep->name, hash);
		return 0;
	}
	/* pod_create makes pods of dep's current template: lend it the
	 * older one for the call. */
	snprintf(cur_hash, sizeof(cur_hash), "%s", dep->hash);
	dep->spec = r->spec;
	dep->spec_ref = r->spec_ref;
	snprintf(dep->hash, sizeof(dep->hash), "%s", r->hash);
	dep->revision = r->number;
	for (int i = 0; i < n; i++)
		pod_create(d, dep);
	dep->spec = spec;
	dep->spec_ref = ref;
	snprintf(dep->hash, sizeof(dep->hash), "%s", cur_hash);
	dep->revision = cur_rev;
	return n;
}

/* The pod of hash to remove first: unavailable before available, not
 * ready before ready, then the most recently created (the ReplicaSet
 * controller's ranking, simplified). */
static struct pod *pick_victim(struct daemon *d, struct deployment *dep,
			       const char *hash, bool unavailable_only)
{
	struct pod *best = NULL;
	int best_rank = 0;
	int64_t now = mono_ms();

	for (struct pod *p = d->pods; p; p = p->next) {
		int rank;

		if (p->deployment != dep || p->phase == POD_GONE ||
		    pod_leaving(p) || strcmp(p->hash, hash))
			continue;
		rank = pod_is_available(p, now) * 2 + pod_is_ready(p);
		if (unavailable_only && pod_is_available(p, now))
			continue;
		if (best == NULL || rank < best_rank ||
		    (rank == best_rank && p->created_ms > best->created_ms)) {
			best = p;
			best_rank = rank;
		}
	}
	return best;
}

static int remove_pods(struct daemon *d, struct deployment *dep,
		       const char *hash, int n, bool unavailable_only,
		       const char *why)
{
	int done = 0;

	for (; done < n; done++) {
		struct pod *v = pick_victim(d, dep, hash, unavailable_only);

		if (v == NULL)
			break;
		pod_terminate(v, TERM_REMOVE, -1, why);
	}
	return done;
}

int reconcile_create_pods(struct daemon *d, struct deployment *dep,
			  const char *hash, int n)
{
	return create_pods(d, dep, hash, n);
}

int reconcile_remove_pods(struct daemon *d, struct deployment *dep,
			  const char *hash, int n, bool unavailable_only,
			  const char *why)
{
	return remove_pods(d, dep, hash, n, unavailable_only, why);
}

static void remove_all(struct daemon *d, struct deployment *dep,
		       const char *why)
{
	for (struct pod *p = d->pods, *next; p; p = next) {
		next = p->next;
		if (p->deployment == dep && p->phase != POD_GONE &&
		    !pod_leaving(p))
			pod_terminate(p, TERM_REMOVE, -1, why);
	}
}

static void resolve(const struct deployment *dep, int replicas, int *surge,
		    int *unav)
{
	if (dep->spec->strategy == STRATEGY_RECREATE) {
		*surge = 0;
		*unav = replicas;
		return;
	}
	rollout_resolve(dep->spec->max_surge, dep->spec->max_unavailable,
			replicas, surge, unav);
}

/* Creation time of group i's revision (0 when unknown). */
static int64_t group_created(struct deployment *dep, const struct tally *t,
			     size_t i)
{
	const struct revision *r = revision_find_hash(dep, t->g[i].hash);

	return r ? r->created_ms : 0;
}

/*
 * Group i's age among t's groups, bigger = newer, by the creation time of
 * its revision as Kubernetes orders ReplicaSets (a template brought back
 * by undo keeps its first creation time, though its number is the
 * highest); the revision number breaks a tie.
 */
static int age_rank(struct deployment *dep, const struct tally *t, size_t i)
{
	int64_t ci = group_created(dep, t, i);
	int rank = 0;

	for (size_t k = 0; k < t->n; k++) {
		int64_t ck = group_created(dep, t, k);

		if (k != i &&
		    (ck < ci || (ck == ci && t->g[k].number < t->g[i].number)))
			rank++;
	}
	return rank;
}

/*
 * A scaling event (replicas changed) while more than one revision has pods
 * or while paused: every revision keeps its share (Kubernetes' scale()).
 * Returns true when it acted.
 */
static bool scale_proportionally(struct daemon *d, struct deployment *dep,
				 struct tally *t, int replicas, int before)
{
	int sizes[MAX_GROUPS], ages[MAX_GROUPS], delta[MAX_GROUPS];
	int surge, unav, old_surge, total = 0;
	size_t with_pods = 0;

	for (size_t i = 0; i < t->n; i++) {
		sizes[i] = t->g[i].c.active;
		ages[i] = age_rank(dep, t, i);
		total += sizes[i];
		with_pods += sizes[i] > 0;
	}
	if (with_pods < 2 && !dep->paused)
		return false;
	resolve(dep, replicas, &surge, &unav);
	resolve(dep, before, &old_surge, &unav);
	if (with_pods == 1) {
		/* paused with one revision: it takes the full count */
		before = total;
		old_surge = 0;
		surge = 0;
	}
	rollout_proportional(before + old_surge, replicas + surge, sizes, ages,
			     t->n, delta);
	for (size_t i = 0; i < t->n; i++) {
		if (delta[i] == 0)
			continue;
		event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
			     "Scaled %s revision %d from %d to %d "
			     "(proportional: %d -> %d pods allowed)",
			     delta[i] > 0 ? "up" : "down", t->g[i].number,
			     sizes[i], sizes[i] + delta[i], before + old_surge,
			     replicas + surge);
		if (delta[i] > 0)
			create_pods(d, dep, t->g[i].hash, delta[i]);
		else
			remove_pods(d, dep, t->g[i].hash, -delta[i], false,
				    "scaled down");
	}
	return true;
}

static void fill_input(const struct deployment *dep, const struct tally *t,
		       int replicas, int surge, int unav,
		       struct rollout_input *in)
{
	memset(in, 0, sizeof(*in));
	in->strategy = dep->spec->strategy == STRATEGY_RECREATE
			   ? STRATEGY_RECREATE
			   : STRATEGY_ROLLING_UPDATE;
	in->replicas = replicas;
	in->surge = surge;
	in->unav = unav;
	in->cur = t->g[t->n - 1].c;
	for (size_t i = 0; i + 1 < t->n && i < ROLLOUT_MAX_OLD; i++) {
		in->old[in->n_old++] = t->g[i].c;
		in->old_terminating += t->g[i].terminating;
	}
}

static void apply_plan(struct daemon *d, struct deployment *dep,
		       struct tally *t, const struct rollout_input *in,
		       const struct rollout_plan *p)
{
	struct group *cur = current(t);
	bool recreate = in->strategy == STRATEGY_RECREATE;

	if (p->create > 0) {
		if (recreate)
			event_record(d, "Normal", "ScalingReplicaSet",
				     dep_object(dep),
				     "Scaled up revision %d to %d (Recreate: "
				     "every old pod is gone)",
				     cur->number, cur->c.active + p->create);
		else
			event_record(
			    d, "Normal", "ScalingReplicaSet", dep_object(dep),
			    "Scaled up revision %d to %d (maxSurge %d: %d "
			    "pods allowed, %d present)",
			    cur->number, cur->c.active + p->create, in->surge,
			    p->max_total, p->all_pods);
		create_pods(d, dep, cur->hash, p->create);
	}
	if (p->remove_new > 0) {
		event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
			     "Scaled down revision %d to %d (replicas %d)",
			     cur->number, cur->c.active - p->remove_new,
			     in->replicas);
		remove_pods(d, dep, cur->hash, p->remove_new, false,
			    "scaled down");
	}
	for (size_t i = 0; i < in->n_old; i++) {
		struct group *g = &t->g[i];
		int unhealthy = p->remove_unhealthy[i];
		int other = p->remove_other[i];

		if (unhealthy > 0) {
			event_record(
			    d, "Normal", "ScalingReplicaSet", dep_object(dep),
			    "Scaled down revision %d to %d: %d unavailable "
			    "pod(s) first (maxScaledDown %d = %d pods - %d "
			    "minAvailable - %d new unavailable)",
			    g->number, g->c.active - unhealthy, unhealthy,
			    p->max_scaled_down, p->all_pods, p->min_available,
			    in->cur.active - in->cur.available);
			remove_pods(d, dep, g->hash, unhealthy, true,
				    "rolling update");
		}
		if (other <= 0)
			continue;
		if (recreate)
			event_record(d, "Normal", "ScalingReplicaSet",
				     dep_object(dep),
				     "Scaled down revision %d to 0 (Recreate: "
				     "old pods go before revision %d starts)",
				     g->number, cur->number);
		else
			event_record(
			    d, "Normal", "ScalingReplicaSet", dep_object(dep),
			    "Scaled down revision %d to %d (maxUnavailable "
			    "%d: %d available, %d required)",
			    g->number, g->c.active - unhealthy - other,
			    in->unav, p->available, p->min_available);
		remove_pods(d, dep, g->hash, other, false,
			    recreate ? "Recreate" : "rolling update");
	}
}

/* Progress as Kubernetes counts it: more updated, ready or available
 * pods, or fewer old ones, than at the previous step. */
static void check_progress(struct daemon *d, struct deployment *dep,
			   struct rollout_memo *m)
{
	struct tally t;
	int updated, old = 0, available = 0;
	int64_t now = mono_ms();
	bool complete;

	tally(d, dep, &t);
	updated = current(&t)->c.active;
	for (size_t i = 0; i < t.n; i++) {
		available += t.g[i].c.available;
		if (i + 1 < t.n)
			old += t.g[i].c.active;
	}
	/* complete: every replica updated and available, no old pod left
	 * (dep->replicas, not the spec's: `scale` changes only the former) */
	complete = updated == dep->replicas && old == 0 &&
		   current(&t)->c.available == dep->replicas;
	if (dep->paused || complete || strcmp(m->hash, dep->hash) ||
	    updated > m->updated || old < m->old || t.ready > m->ready ||
	    available > m->available)
		dep->progress_mono = now; /* ProgressDeadlineExceeded stays
					   until the rollout completes */
	if (complete) {
		snprintf(m->stable, sizeof(m->stable), "%s", dep->hash);
		if (dep->progress_failed) {
			dep->progress_failed = false;
			watch_mark(d, WATCH_DEPLOYMENTS);
		}
	}
	snprintf(m->hash, sizeof(m->hash), "%s", dep->hash);
	m->updated = updated;
	m->old = old;
	m->ready = t.ready;
	m->available = available;
	if (dep->progress_failed && !dep->paused &&
	    dep->spec->progress_deadline_abort) {
		/* progressDeadlineAbort set after the deadline passed */
		rollout_abort(d, dep, m->stable[0] ? m->stable : NULL, false);
		return;
	}
	if (dep->progress_failed || dep->paused ||
	    now - dep->progress_mono <=
		(int64_t)dep->spec->progress_deadline_seconds * 1000)
		return;
	dep->progress_failed = true;
	event_record(d, "Warning", "ProgressDeadlineExceeded", dep_object(dep),
		     "Deployment \"%s\" has timed out progressing: revision %d "
		     "made no progress for %ds (Progressing=False)",
		     dep->name, dep->revision,
		     dep->spec->progress_deadline_seconds);
	watch_mark(d, WATCH_DEPLOYMENTS);
	if (dep->spec->progress_deadline_abort)
		rollout_abort(d, dep, m->stable[0] ? m->stable : NULL, true);
}

static void reconcile_one(struct daemon *d, struct deployment *dep)
{
	struct tally t;
	struct rollout_memo m;
	struct rollout_input in;
	struct rollout_plan plan;
	int replicas = dep->deleting || d->shutting_down ? 0 : dep->replicas;
	int surge, unav;

	revision_attach_current(dep);
	memo_read(dep, &m);
	if (replicas == 0) {
		remove_all(d, dep, "scaled to 0");
		m.desired = 0;
		memo_write(dep, &m);
		return;
	}
	if (dep->spec->strategy == STRATEGY_BLUE_GREEN) {
		/* Every step is bluegreen.c's; the active revision is the
		 * stable one (progressDeadlineAbort, status). */
		bluegreen_reconcile(d, dep, replicas);
		snprintf(m.stable, sizeof(m.stable), "%s", dep->bg.active);
		m.desired = replicas;
		if (revision_prune(dep, dep->spec->revision_history_limit) > 0)
			store_save_deployment(dep);
		memo_write(dep, &m);
		return;
	}
	tally(d, dep, &t);
	if (m.desired > 0 && m.desired != replicas &&
	    scale_proportionally(d, dep, &t, replicas, m.desired)) {
		m.desired = replicas;
		memo_write(dep, &m);
		reconcile_schedule(d);
		return;
	}
	m.desired = replicas;
	if (dep->paused) {
		/* Paused: template changes wait; only scaling happens, and a
		 * lone revision is kept at replicas. */
		size_t with_pods = 0, last = t.n - 1;

		for (size_t i = 0; i < t.n; i++)
			if (t.g[i].c.active > 0) {
				with_pods++;
				last = i;
			}
		if (with_pods <= 1 && t.g[last].c.active < replicas)
			create_pods(d, dep, t.g[last].hash,
				    replicas - t.g[last].c.active);
		else if (with_pods == 1 && t.g[last].c.active > replicas)
			remove_pods(d, dep, t.g[last].hash,
				    t.g[last].c.active - replicas, false,
				    "scaled down");
		memo_write(dep, &m);
		return;
	}
	if (dep->spec->strategy == STRATEGY_CANARY &&
	    canary_reconcile(d, dep, m.stable, replicas)) {
		memo_write(dep, &m); /* steps in progress (canary.c) */
		return;
	}
	resolve(dep, replicas, &surge, &unav);
	fill_input(dep, &t, replicas, surge, unav, &in);
	rollout_plan_step(&in, &plan);
	apply_plan(d, dep, &t, &in, &plan);
	if (revision_prune(dep, dep->spec->revision_history_limit) > 0)
		store_save_deployment(dep);
	check_progress(d, dep, &m);
	memo_write(dep, &m);
}

/*
 * The next moment the clock alone changes a decision: a ready pod becoming
 * available (minReadySeconds) or a progress deadline passing. 0: none.
 * Nothing else in the controller depends on time, so it runs only when
 * something changed or at this moment: no periodic rescan.
 */
static int64_t next_wake(struct daemon *d)
{
	int64_t now = mono_ms(), next = 0;

	for (struct pod *p = d->pods; p; p = p->next) {
		int min_ready = p->deployment && p->deployment->spec
				    ? p->deployment->spec->min_ready_seconds
				    : 0;
		int64_t at = p->ready_since_mono + (int64_t)min_ready * 1000;

		if (min_ready > 0 && pod_is_ready(p) && at > now &&
		    (next == 0 || at < next))
			next = at;
	}
	for (struct deployment *dep = d->deployments; dep; dep = dep->next) {
		int64_t at;

		at = dep->canary.s.pause_until_mono;
		if (at > now && (next == 0 || at < next))
			next = at; /* a canary pause ends */
		at = dep->canary.s.aborted ? dep->canary.s.scale_down_mono : 0;
		if (at > now && (next == 0 || at < next))
			next = at; /* abortScaleDownDelaySeconds ends */
		if (dep->spec->strategy == STRATEGY_BLUE_GREEN) {
			/* a deadline already past was acted on: only a
			 * future one wakes the controller */
			at = bluegreen_wake(&dep->bg, &dep->spec->bluegreen);
			if (at > now && (next == 0 || at < next))
				next = at; /* auto-promotion, scale-down */
		}
		if (dep->paused || dep->progress_failed || dep->deleting)
			continue;
		at = dep->progress_mono +
		     (int64_t)dep->spec->progress_deadline_seconds * 1000 + 1;
		if (at > now && (next == 0 || at < next))
			next = at;
	}
	return next;
}

static void on_wake(uv_timer_t *t)
{
	struct daemon *d = t->data;

	watch_mark(d, WATCH_DEPLOYMENTS); /* AVAILABLE moved */
	reconcile_schedule(d);
}

void reconcile_now(struct daemon *d)
{
	struct deployment **pp = &d->deployments;
	int64_t wake;

	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		reconcile_one(d, dep);
	/* Analysis runs resumed after a restart that no strategy took back
	 * in this first pass end now. */
	analysis_store_sweep(d);
	/* Forget deleted deployments once their last pod is gone. */
	while (*pp) {
		struct deployment *dep = *pp;
		bool has_pods = false;

		for (struct pod *p = d->pods; p && !has_pods; p = p->next)
			has_pods = p->deployment == dep;
		if (dep->deleting && !has_pods) {
			*pp = dep->next;
			analysis_store_forget(d, dep->name);
			store_delete_deployment(dep);
			deployment_free(dep);
			watch_mark(d, WATCH_DEPLOYMENTS);
		} else {
			pp = &dep->next;
		}
	}
	wake = next_wake(d);
	if (wake > 0 && !uv_is_closing((uv_handle_t *)&d->wake_timer))
		clock_timer_start(&d->wake_timer, on_wake,
				  (uint64_t)(wake - mono_ms()));
	else
		clock_timer_stop(&d->wake_timer);
}

static void on_reconcile_timer(uv_timer_t *t)
{
	reconcile_now(t->data);
}

void reconcile_init(struct daemon *d)
{
	uv_timer_init(d->loop, &d->reconcile_timer);
	d->reconcile_timer.data = d;
	uv_timer_init(d->loop, &d->wake_timer);
	d->wake_timer.data = d;
}

void reconcile_schedule(struct daemon *d)
{
	if (!uv_is_active((uv_handle_t *)&d->reconcile_timer) &&
	    !uv_is_closing((uv_handle_t *)&d->reconcile_timer))
		uv_timer_start(&d->reconcile_timer, on_reconcile_timer, 0, 0);
}
