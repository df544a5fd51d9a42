/*
 * bluegreen.c - the BlueGreen strategy's controller (see bluegreen.h):
 * counts the pods of the active, new and old revisions, runs the pure
 * state machine (bluegreen_phase.c), scales each revision, removes pods
 * of any other one, moves the active and preview services (endpoints
 * published at once), asks the analysis hook, and records every step as
 * an event. It does not start or stop containers itself (reconcile.c's
 * helpers do) nor change templates (rollout.c does, undo included).
 */
#include "bluegreen.h"

#include <stdio.h>
#include <string.h>

#include "endpoints.h"
#include "events.h"
#include "pod.h"
#include "reconcile.h"
#include "revision.h"
#include "store.h"
#include "terminate.h"
#include "view.h"
#include "watch.h"

static const struct bluegreen_analysis_ops *analysis_ops;

void bluegreen_analysis_register(const struct bluegreen_analysis_ops *ops)
{
	analysis_ops = ops;
}

static const char *dep_object(struct deployment *dep)
{
	return event_object_name("deployment", dep->name);
}

static int rev_number(const char *hash, void *arg)
{
	struct revision *r = revision_find_hash(arg, hash);

	return r ? r->number : 0;
}

struct bg_counts {
	int active, active_available;
	int target, target_available;
	int old, old_available;
};

static void count(struct daemon *d, struct deployment *dep,
		  const struct bluegreen_state *s, struct bg_counts *c,
		  bool remove_others)
{
	int64_t now = mono_ms();

	memset(c, 0, sizeof(*c));
	for (struct pod *p = d->pods, *next; p; p = next) {
		int avail;

		next = p->next;
		if (p->deployment != dep || p->phase == POD_GONE ||
		    pod_leaving(p))
			continue;
		avail = pod_is_available(p, now);
		if (!strcmp(p->hash, s->active)) {
			c->active++;
			c->active_available += avail;
		} else if (s->target[0] && !strcmp(p->hash, s->target)) {
			c->target++;
			c->target_available += avail;
		} else if (s->old[0] && !strcmp(p->hash, s->old)) {
			c->old++;
			c->old_available += avail;
		} else if (remove_others) {
			pod_terminate(p, TERM_REMOVE, -1,
				      "not a revision of the BlueGreen "
				      "rollout");
		}
	}
}

static void scale(struct daemon *d, struct deployment *dep, const char *hash,
		  int have, int want, const char *what)
{
	if (want < 0 || have == want || hash[0] == '\0')
		return;
	event_record(d, "Normal", "ScalingReplicaSet", dep_object(dep),
		     "Scaled %s %s revision %d to %d (BlueGreen)",
		     want > have ? "up" : "down", what, rev_number(hash, dep),
		     want);
	if (want > have)
		reconcile_create_pods(d, dep, hash, want - have);
	else
		reconcile_remove_pods(d, dep, hash, have - want, false,
				      "BlueGreen");
}

static const char *phase_which(enum bg_phase p)
{
	return p == BG_PRE_ANALYSIS    ? "prePromotionAnalysis"
	       : p == BG_POST_ANALYSIS ? "postPromotionAnalysis"
				       : NULL;
}

/* The verdict of the analysis the phase waits on (RUNNING otherwise). */
static enum bg_verdict verdict(struct daemon *d, struct deployment *dep,
			       enum bg_phase phase)
{
	const struct bluegreen_spec *sp = &dep->spec->bluegreen;
	const char *which = phase_which(phase);
	const char *name = phase == BG_PRE_ANALYSIS
			       ? sp->pre_promotion_analysis
			       : sp->post_promotion_analysis;
	const char *hash =
	    phase == BG_PRE_ANALYSIS ? dep->bg.target : dep->bg.active;
	char why[200] = "";
	enum bg_verdict v;

	if (which == NULL || name == NULL)
		return BG_VERDICT_RUNNING;
	if (analysis_ops == NULL || analysis_ops->poll == NULL)
		return BG_VERDICT_INCONCLUSIVE;
	v = analysis_ops->poll(d, dep, which, name, hash, why, sizeof(why));
	if (why[0] && v != BG_VERDICT_RUNNING)
		event_record(d, v == BG_VERDICT_FAILED ? "Warning" : "Normal",
			     "BlueGreenAnalysis", dep_object(dep), "%s %s: %s",
			     which, name, why);
	return v;
}

static void cancel(struct daemon *d, struct deployment *dep, enum bg_phase was,
		   enum bg_phase now)
{
	const char *which = phase_which(was);

	if (which && was != now && analysis_ops && analysis_ops->cancel)
		analysis_ops->cancel(d, dep, which);
}

static void entered(struct daemon *d, struct deployment *dep, enum bg_phase was)
{
	const char *which = phase_which(dep->bg.phase);

	if (which == NULL || was == dep->bg.phase)
		return;
	if (analysis_ops == NULL || analysis_ops->poll == NULL)
		event_record(d, "Normal", "BlueGreen", dep_object(dep),
			     "%s: no analysis engine runs here: the rollout "
			     "waits for `berth rollout promote`",
			     which);
	reconcile_schedule(d); /* the run starts at the next step */
}

/* The services move: published now, not at the next pod change. */
static void republish(struct daemon *d)
{
	endpoints_sync(d);
	watch_mark(d, WATCH_SERVICES);
}

void bluegreen_reconcile(struct daemon *d, struct deployment *dep, int replicas)
{
	struct bluegreen_state *s = &dep->bg, before = dep->bg;
	struct bluegreen_input in = {0};
	struct bluegreen_output out;
	struct bg_counts c;

	if (s->active[0] == '\0' && dep->memo.stable[0] &&
	    strcmp(dep->memo.stable, dep->hash)) {
		/* Newly BlueGreen while an earlier revision runs (the
		 * strategy changed with the template): that one stays
		 * active until the new one is promoted. */
		memset(s, 0, sizeof(*s));
		snprintf(s->active, sizeof(s->active), "%s", dep->memo.stable);
	}
	count(d, dep, s, &c, false);
	in.spec = &dep->spec->bluegreen;
	in.hash = dep->hash;
	in.replicas = replicas;
	in.paused = dep->paused;
	in.active_available = c.active_available;
	in.target_available = c.target_available;
	in.old_available = c.old_available;
	in.pre = verdict(
	    d, dep, s->phase == BG_PRE_ANALYSIS ? BG_PRE_ANALYSIS : BG_IDLE);
	in.post = verdict(
	    d, dep, s->phase == BG_POST_ANALYSIS ? BG_POST_ANALYSIS : BG_IDLE);
	in.now_mono = mono_ms();
	in.number = rev_number;
	in.arg = dep;
	bluegreen_advance(s, &in, &out);
	for (size_t i = 0; i < out.n_notes; i++)
		event_record(d, out.warn[i] ? "Warning" : "Normal",
			     out.warn[i] ? "BlueGreenAborted" : "BlueGreen",
			     dep_object(dep), "%s", out.notes[i]);
	cancel(d, dep, before.phase, s->phase);
	entered(d, dep, before.phase);
	if (strcmp(before.active, s->active) ||
	    strcmp(bluegreen_preview_hash(&before), bluegreen_preview_hash(s)))
		republish(d);
	if (memcmp(&before, s, sizeof(before)))
		store_save_deployment(dep); /* resumes here after a restart */
	/* Waiting (for promotion, a delay) is the rollout's design: the
	 * progress deadline does not count it. */
	if (s->phase != BG_IDLE)
		dep->progress_mono = in.now_mono;
	count(d, dep, s, &c, true);
	scale(d, dep, s->active, c.active, out.want_active, "active");
	scale(d, dep, s->target, c.target, out.want_target, "new");
	scale(d, dep, s->old, c.old, out.want_old, "old");
	if (memcmp(&before, s, sizeof(before)))
		watch_mark(d, WATCH_DEPLOYMENTS);
}

bool bluegreen_admits(struct daemon *d, const char *svc, const struct pod *p)
{
	const struct deployment *dep = p->deployment;
	const struct bluegreen_spec *sp;
	const char *pin;

	(void)d;
	if (dep == NULL || dep->spec == NULL ||
	    dep->spec->strategy != STRATEGY_BLUE_GREEN ||
	    dep->bg.active[0] == '\0')
		return true;
	sp = &dep->spec->bluegreen;
	if (sp->active_service && !strcmp(svc, sp->active_service))
		pin = dep->bg.active;
	else if (sp->preview_service && !strcmp(svc, sp->preview_service))
		pin = bluegreen_preview_hash(&dep->bg);
	else
		return true;
	return !strcmp(p->hash, pin);
}

static int need_bluegreen(struct deployment *dep, struct berr *err)
{
	if (dep->spec->strategy != STRATEGY_BLUE_GREEN)
		return berr_set(err, "deployment %s: strategy is not BlueGreen",
				dep->name);
	return 0;
}

int bluegreen_promote_cmd(struct daemon *d, struct deployment *dep, bool full,
			  struct berr *err)
{
	char why[200];

	if (need_bluegreen(dep, err) == -1)
		return -1;
	if (bluegreen_promote(&dep->bg, full, why, sizeof(why)) == -1)
		return berr_set(err, "deployment %s: %s", dep->name, why);
	event_record(
	    d, "Normal", "BlueGreenPromote", dep_object(dep),
	    "Promotion of revision %d asked%s (phase %s)",
	    rev_number(dep->bg.target[0] ? dep->bg.target : dep->bg.active,
		       dep),
	    full ? " with --full: analysis skipped" : "",
	    bg_phase_name(dep->bg.phase));
	store_save_deployment(dep);
	reconcile_schedule(d);
	return 0;
}

int bluegreen_abort_cmd(struct daemon *d, struct deployment *dep,
			struct berr *err)
{
	const struct bluegreen_spec *sp = &dep->spec->bluegreen;
	struct bluegreen_state before = dep->bg;
	struct bg_counts c;
	char why[200];
	char when[96];

	if (need_bluegreen(dep, err) == -1)
		return -1;
	if (dep->bg.phase == BG_POST_ANALYSIS) {
		/* The outage guard of `set selector`: back only to pods that
		 * answer. */
		count(d, dep, &dep->bg, &c, false);
		if (c.old_available == 0)
			return berr_set(err,
					"deployment %s: revision %d has no "
					"available pod: service %s would "
					"have no endpoint",
					dep->name, rev_number(dep->bg.old, dep),
					sp->active_service);
	}
	if (bluegreen_abort(&dep->bg, sp->abort_scale_down_delay_seconds,
			    mono_ms(), why, sizeof(why)) == -1)
		return berr_set(err, "deployment %s: %s", dep->name, why);
	if (before.phase == BG_ABORTED)
		return 0;
	cancel(d, dep, before.phase, dep->bg.phase);
	event_record(
	    d, "Warning", "BlueGreenAborted", dep_object(dep),
	    "Aborted in phase %s: service %s on revision %d, "
	    "revision %d %s%s",
	    bg_phase_name(before.phase), sp->active_service,
	    rev_number(dep->bg.active, dep), rev_number(dep->bg.target, dep),
	    bluegreen_abort_when(sp->abort_scale_down_delay_seconds, when,
				 sizeof(when)),
	    sp->abort_scale_down_delay_seconds ? " (abortScaleDownDelaySeconds)"
					       : "");
	republish(d);
	store_save_deployment(dep);
	reconcile_schedule(d);
	return 0;
}

int bluegreen_retry_cmd(struct daemon *d, struct deployment *dep,
			struct berr *err)
{
	char why[200];

	if (need_bluegreen(dep, err) == -1)
		return -1;
	if (dep->bg.phase == BG_ABORTED && strcmp(dep->bg.target, dep->hash))
		return berr_set(err,
				"deployment %s: the aborted revision is no "
				"longer the template; nothing to retry",
				dep->name);
	if (bluegreen_retry(&dep->bg, why, sizeof(why)) == -1)
		return berr_set(err, "deployment %s: %s", dep->name, why);
	event_record(d, "Normal", "BlueGreenRetry", dep_object(dep),
		     "Retry: revision %d comes up in preview again",
		     rev_number(dep->bg.target, dep));
	republish(d);
	store_save_deployment(dep);
	reconcile_schedule(d);
	return 0;
}

bool bluegreen_status(struct daemon *d, const struct deployment *dep, char *buf,
		      size_t len, bool *done)
{
	const struct bluegreen_state *s = &dep->bg;
	const struct bluegreen_spec *sp = &dep->spec->bluegreen;
	struct deployment *mdep = (struct deployment *)dep;
	int preview = bluegreen_preview_count(sp, dep->replicas);
	int64_t now = mono_ms();
	struct bg_counts c;
	long left;

	*done = false;
	if (dep->spec->strategy != STRATEGY_BLUE_GREEN || s->phase == BG_IDLE)
		return false;
	count(d, mdep, s, &c, false);
	left = (long)((s->scale_down_mono - now + 999) / 1000);
	if (left < 0)
		left = 0;
	switch (s->phase) {
	case BG_PREVIEW:
		snprintf(buf, len,
			 "BlueGreen of revision %d: preview %d/%d available, "
			 "service %s on revision %d",
			 rev_number(s->target, mdep), c.target_available,
			 preview, sp->active_service,
			 rev_number(s->active, mdep));
		break;
	case BG_PRE_ANALYSIS:
		snprintf(buf, len,
			 "BlueGreen of revision %d: preview ready %d/%d, "
			 "prePromotionAnalysis %s",
			 rev_number(s->target, mdep), c.target_available,
			 preview, sp->pre_promotion_analysis);
		break;
	case BG_PAUSED: {
		char when[64] = "waiting for promotion";

		if (sp->auto_promotion_enabled && !dep->paused &&
		    sp->auto_promotion_seconds >= 0)
			snprintf(
			    when, sizeof(when), "promotion in %llds",
			    (long long)((s->ready_mono +
					 sp->auto_promotion_seconds * 1000LL -
					 now + 999) /
					1000));
		snprintf(buf, len,
			 "BlueGreen of revision %d: preview ready %d/%d, %s",
			 rev_number(s->target, mdep), c.target_available,
			 preview, when);
		break;
	}
	case BG_PROMOTING:
		snprintf(buf, len,
			 "BlueGreen of revision %d: promoting, %d/%d pods "
			 "available before the switch",
			 rev_number(s->target, mdep), c.target_available,
			 dep->replicas);
		break;
	case BG_POST_ANALYSIS:
		snprintf(buf, len,
			 "BlueGreen: revision %d active, postPromotionAnalysis "
			 "%s; revision %d kept",
			 rev_number(s->active, mdep),
			 sp->post_promotion_analysis, rev_number(s->old, mdep));
		break;
	case BG_SCALE_DOWN:
		*done = true;
		snprintf(buf, len,
			 "BlueGreen: revision %d active; revision %d kept %lds "
			 "more (`berth rollout undo` switches back at once)",
			 rev_number(s->active, mdep), rev_number(s->old, mdep),
			 left);
		break;
	case BG_ABORTED:
		snprintf(buf, len,
			 "BlueGreen of revision %d: aborted, service %s on "
			 "revision %d; %s (`berth rollout retry` starts again)",
			 rev_number(s->target, mdep), sp->active_service,
			 rev_number(s->active, mdep),
			 s->scale_down_mono == BG_KEEP_TARGET
			     ? "kept (abortScaleDownDelaySeconds 0)"
			 : left > 0 ? "scaled down soon"
				    : "scaled down");
		break;
	default:
		return false;
	}
	return true;
}
