/*
 * reconcile.c - the deployment controller: compares each deployment's pods
 * with its spec and takes one step towards it, Kubernetes' way: Recreate
 * terminates every old pod before the first new one starts; RollingUpdate
 * scales the new revision up within maxSurge, and only in a step that did
 * not scale up, scales old revisions down within maxUnavailable (unhealthy
 * old pods first, oldest revision first). Every decision is an event that
 * shows its arithmetic.
 */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "events.h"
#include "pod.h"
#include "revision.h"
#include "rollout_math.h"
#include "store.h"
#include "terminate.h"
#include "view.h"
#include "watch.h"

struct tally {
	int new_active, new_available;
	int old_active, old_available;
	int old_any; /* old pods still present, terminating included */
};

static void tally(struct daemon *d, struct deployment *dep, struct tally *t)
{
	int64_t now = now_ms();

	memset(t, 0, sizeof(*t));
	for (struct pod *p = d->pods; p; p = p->next) {
		bool is_new;

		if (p->deployment != dep || p->phase == POD_GONE)
			continue;
		is_new = !strcmp(p->hash, dep->hash);
		if (!is_new)
			t->old_any++;
		if (p->terminating)
			continue;
		if (is_new) {
			t->new_active++;
			t->new_available += pod_is_available(p, now);
		} else {
			t->old_active++;
			t->old_available += pod_is_available(p, now);
		}
	}
}

static const char *dep_object(struct deployment *dep)
{
	return event_object_name("deployment", dep->name);
}

static void create_pods(struct daemon *d, struct deployment *dep, int n)
{
	for (int i = 0; i < n; i++)
		pod_create(d, dep);
}

/* Picks the pod to remove first: not ready before ready, then the most
 * recently created (the ReplicaSet controller's ranking, simplified). */
static struct pod *pick_victim(struct daemon *d, struct deployment *dep,
			       bool want_new, bool unhealthy_only)
{
	struct pod *best = NULL;
	int64_t now = now_ms();

	for (struct pod *p = d->pods; p; p = p->next) {
		bool is_new, avail;

		if (p->deployment != dep || p->phase == POD_GONE ||
		    p->terminating)
			continue;
		is_new = !strcmp(p->hash, dep->hash);
		if (is_new != want_new)
			continue;
		avail = pod_is_available(p, now);
		if (unhealthy_only && avail)
			continue;
		if (best == NULL) {
			best = p;
			continue;
		}
		bool best_avail = pod_is_available(best, now);

		if (!want_new && p->revision != best->revision) {
			/* oldest revision first */
			if (p->revision < best->revision)
				best = p;
			continue;
		}
		if (best_avail && !avail)
			best = p;
		else if (best_avail == avail && p->created_ms > best->created_ms)
			best = p;
	}
	return best;
}

static void scale_new_to(struct daemon *d, struct deployment *dep,
			 int active, int replicas)
{
	if (active < replicas) {
		event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
			     "Scaled up revision %d to %d (%d present)",
			     dep->revision, replicas, active);
		create_pods(d, dep, replicas - active);
	}
	if (active > replicas)
		event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
			     "Scaled down revision %d to %d (%d present)",
			     dep->revision, replicas, active);
	while (active > replicas) {
		struct pod *v = pick_victim(d, dep, true, false);

		if (v == NULL)
			break;
		pod_terminate(v, TERM_REMOVE, -1, "scaled down");
		active--;
	}
}

static void recreate(struct daemon *d, struct deployment *dep,
		     const struct tally *t, int replicas)
{
	if (t->old_active > 0) {
		event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
			     "Recreate: scaling every old pod down (%d) "
			     "before revision %d starts",
			     t->old_active, dep->revision);
		for (struct pod *v; (v = pick_victim(d, dep, false, false));)
			pod_terminate(v, TERM_REMOVE, -1, "Recreate");
		return;
	}
	if (t->old_any > 0)
		return; /* old pods still terminating */
	scale_new_to(d, dep, t->new_active, replicas);
}

static void rolling(struct daemon *d, struct deployment *dep,
		    const struct tally *t, int replicas)
{
	const struct deployment_spec *s = dep->spec;
	int surge, unav, all, up, max_down, killed = 0;

	if (t->old_active == 0) {
		scale_new_to(d, dep, t->new_active, replicas);
		return;
	}
	rollout_resolve(s->max_surge, s->max_unavailable, replicas, &surge,
			&unav);
	all = t->new_active + t->old_active;
	if (t->new_active < replicas) {
		up = rollout_scale_up(replicas, surge, all, t->new_active);
		if (up > 0) {
			event_record(d, "Normal", "ScalingReplicaSet",
				     dep_object(dep),
				     "Scaled up revision %d to %d (maxSurge %d: "
				     "%d pods allowed, %d present)",
				     dep->revision, t->new_active + up, surge,
				     replicas + surge, all);
			create_pods(d, dep, up);
			return;
		}
	} else if (t->new_active > replicas) {
		scale_new_to(d, dep, t->new_active, replicas);
		return;
	}
	max_down = rollout_max_scaled_down(replicas, unav, all, t->new_active,
					   t->new_available);
	if (max_down <= 0)
		return;
	/* Unhealthy old pods cost no availability: they go first. */
	while (killed < max_down) {
		struct pod *v = pick_victim(d, dep, false, true);

		if (v == NULL)
			break;
		event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
			     "Scaled down unavailable pod %s of revision %d "
			     "(maxUnavailable %d: up to %d may go)",
			     v->name, v->revision, unav, max_down);
		pod_terminate(v, TERM_REMOVE, -1, "rolling update");
		killed++;
	}
	int avail = t->old_available + t->new_available;
	int down = rollout_scale_down_available(replicas, unav, avail);

	if (down > t->old_available)
		down = t->old_available;
	for (int i = 0; i < down; i++) {
		struct pod *v = pick_victim(d, dep, false, false);

		if (v == NULL)
			break;
		event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
			     "Scaled down revision %d by 1 (maxUnavailable %d: "
			     "%d available, %d required)",
			     v->revision, unav, avail - i, replicas - unav);
		pod_terminate(v, TERM_REMOVE, -1, "rolling update");
	}
}

static void check_progress(struct daemon *d, struct deployment *dep,
			   const struct tally *t)
{
	const char *state = deployment_rollout_state(d, dep);
	int64_t now = now_ms();
	int sig = t->new_active * 1000 + t->new_available * 10 + t->old_active;
	static int last_sig_unused;

	(void)last_sig_unused;
	if (!strcmp(state, "complete")) {
		dep->progress_ms = now;
		if (dep->progress_failed) {
			dep->progress_failed = false;
			watch_mark(d, WATCH_DEPLOYMENTS);
		}
		return;
	}
	if (dep->last_decision[0] == '\0' ||
	    atoi(dep->last_decision) != sig) {
		snprintf(dep->last_decision, sizeof(dep->last_decision), "%d",
			 sig);
		dep->progress_ms = now;
		return;
	}
	if (!dep->progress_failed && !dep->paused &&
	    now - dep->progress_ms >
		    (int64_t)dep->spec->progress_deadline_seconds * 1000) {
		dep->progress_failed = true;
		event_record(d, "Warning", "ProgressDeadlineExceeded",
			     dep_object(dep),
			     "Deployment \"%s\" has timed out progressing "
			     "(no progress for %ds)",
			     dep->name, dep->spec->progress_deadline_seconds);
		watch_mark(d, WATCH_DEPLOYMENTS);
	}
}

static void reconcile_one(struct daemon *d, struct deployment *dep)
{
	struct tally t;
	int replicas = dep->deleting || d->shutting_down ? 0 : dep->replicas;

	tally(d, dep, &t);
	if (replicas == 0 || dep->paused) {
		if (replicas == 0) {
			for (struct pod *v; (v = pick_victim(d, dep, false, false));)
				pod_terminate(v, TERM_REMOVE, -1, "scaled to 0");
			scale_new_to(d, dep, t.new_active, 0);
		}
		return;
	}
	if (dep->spec->strategy == STRATEGY_RECREATE)
		recreate(d, dep, &t, replicas);
	else
		rolling(d, dep, &t, replicas);
	tally(d, dep, &t);
	check_progress(d, dep, &t);
}

void reconcile_now(struct daemon *d)
{
	struct deployment **pp = &d->deployments;

	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		reconcile_one(d, dep);
	/* Forget deleted deployments once their last pod is gone. */
	while (*pp) {
		struct deployment *dep = *pp;
		bool has_pods = false;

		for (struct pod *p = d->pods; p && !has_pods; p = p->next)
			has_pods = p->deployment == dep;
		if (dep->deleting && !has_pods) {
			*pp = dep->next;
			store_delete_deployment(dep);
			revision_free_all(dep);
			cfg_ref_put(dep->spec_ref);
			free(dep);
			watch_mark(d, WATCH_DEPLOYMENTS);
		} else {
			pp = &dep->next;
		}
	}
}

static void on_reconcile_timer(uv_timer_t *t)
{
	reconcile_now(t->data);
}

void reconcile_init(struct daemon *d)
{
	uv_timer_init(d->loop, &d->reconcile_timer);
	d->reconcile_timer.data = d;
}

void reconcile_schedule(struct daemon *d)
{
	if (!uv_is_active((uv_handle_t *)&d->reconcile_timer) &&
	    !uv_is_closing((uv_handle_t *)&d->reconcile_timer))
		uv_timer_start(&d->reconcile_timer, on_reconcile_timer, 0, 0);
}
