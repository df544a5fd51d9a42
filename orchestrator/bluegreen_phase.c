/*
 * bluegreen_phase.c - the BlueGreen state machine (see bluegreen_phase.h).
 * Pure: no I/O, no pods, no clock of its own.
 */
#include "bluegreen_phase.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const phase_names[] = {
    [BG_IDLE] = "Idle",
    [BG_PREVIEW] = "Preview",
    [BG_PRE_ANALYSIS] = "PrePromotionAnalysis",
    [BG_PAUSED] = "Paused",
    [BG_PROMOTING] = "Promoting",
    [BG_POST_ANALYSIS] = "PostPromotionAnalysis",
    [BG_SCALE_DOWN] = "ScaleDownDelay",
    [BG_ABORTED] = "Aborted",
};

const char *bg_phase_name(enum bg_phase p)
{
	return (size_t)p < sizeof(phase_names) / sizeof(phase_names[0])
		   ? phase_names[p]
		   : "?";
}

int bluegreen_preview_count(const struct bluegreen_spec *spec, int replicas)
{
	int n = spec->preview_replica_count;

	if (n < 0 || n > replicas)
		n = replicas;
	return n;
}

const char *bluegreen_preview_hash(const struct bluegreen_state *s)
{
	switch (s->phase) {
	case BG_PREVIEW:
	case BG_PRE_ANALYSIS:
	case BG_PAUSED:
	case BG_PROMOTING:
		return s->target;
	default:
		return s->active;
	}
}

static void set(char dst[16], const char *src)
{
	snprintf(dst, 16, "%s", src ? src : "");
}

__attribute__((format(printf, 3, 4))) static void
note(struct bluegreen_output *o, bool warn, const char *fmt, ...)
{
	va_list ap;

	if (o->n_notes == BG_NOTES)
		return;
	o->warn[o->n_notes] = warn;
	va_start(ap, fmt);
	vsnprintf(o->notes[o->n_notes++], sizeof(o->notes[0]), fmt, ap);
	va_end(ap);
}

static int num(const struct bluegreen_input *in, const char *hash)
{
	return in->number ? in->number(hash, in->arg) : 0;
}

static int64_t after(int64_t now, int seconds)
{
	return now + (int64_t)seconds * 1000;
}

/* When an aborted revision goes: abortScaleDownDelaySeconds 0 keeps it. */
static int64_t abort_at(int64_t now, int seconds)
{
	return seconds == 0 ? BG_KEEP_TARGET : after(now, seconds);
}

const char *bluegreen_abort_when(int abort_delay_s, char *buf, size_t len)
{
	if (abort_delay_s == 0)
		snprintf(buf, len,
			 "stays until retry, undo or a new update "
			 "(abortScaleDownDelaySeconds 0)");
	else
		snprintf(buf, len, "goes in %ds", abort_delay_s);
	return buf;
}

/* A template that is neither the active nor the one rolling out. */
static void new_template(struct bluegreen_state *s,
			 const struct bluegreen_input *in,
			 struct bluegreen_output *o)
{
	const struct bluegreen_spec *sp = in->spec;

	if (s->old[0] && !strcmp(in->hash, s->old) &&
	    (s->phase == BG_SCALE_DOWN || s->phase == BG_POST_ANALYSIS) &&
	    in->old_available > 0) {
		char was[16];

		/* Back to the revision still kept: traffic only. */
		set(was, s->active);
		set(s->active, s->old);
		set(s->old, was);
		s->target[0] = '\0';
		s->phase = BG_SCALE_DOWN;
		s->scale_down_mono =
		    after(in->now_mono, sp->scale_down_delay_seconds);
		s->promote = s->promote_full = false;
		o->switched = true;
		note(o, false,
		     "Rollback within the scale-down delay: service %s back "
		     "on revision %d at once (%d pods available, none "
		     "started); revision %d goes in %ds",
		     sp->active_service, num(in, s->active), in->old_available,
		     num(in, s->old), sp->scale_down_delay_seconds);
		return;
	}
	if (s->old[0])
		note(o, false,
		     "Revision %d scaled down before its delay ended: a new "
		     "rollout begins",
		     num(in, s->old));
	if (s->target[0] && s->phase != BG_ABORTED)
		note(o, false,
		     "Rollout of revision %d dropped: the template changed "
		     "again",
		     num(in, s->target));
	s->old[0] = '\0';
	set(s->target, in->hash);
	s->phase = BG_PREVIEW;
	s->ready_mono = 0;
	s->scale_down_mono = 0;
	s->promote = s->promote_full = false;
	note(o, false,
	     "BlueGreen rollout of revision %d beside active revision %d: "
	     "%d preview pods%s%s",
	     num(in, s->target), num(in, s->active),
	     bluegreen_preview_count(sp, in->replicas),
	     sp->preview_service ? ", reached through service " : "",
	     sp->preview_service ? sp->preview_service : "");
}

static void to_scale_down(struct bluegreen_state *s,
			  const struct bluegreen_input *in)
{
	s->phase = BG_SCALE_DOWN;
	s->scale_down_mono =
	    after(in->now_mono, in->spec->scale_down_delay_seconds);
}

/* One transition; true when the phase changed (and another may follow). */
static bool step(struct bluegreen_state *s, const struct bluegreen_input *in,
		 struct bluegreen_output *o)
{
	const struct bluegreen_spec *sp = in->spec;
	int preview = bluegreen_preview_count(sp, in->replicas);
	int secs = sp->auto_promotion_seconds;
	char when[96];

	switch (s->phase) {
	case BG_IDLE:
		return false;
	case BG_PREVIEW:
		o->want_target = preview;
		if (in->target_available < preview)
			return false;
		s->ready_mono = in->now_mono;
		if (sp->pre_promotion_analysis && !s->promote_full) {
			s->phase = BG_PRE_ANALYSIS;
			note(o, false,
			     "Preview ready %d/%d: prePromotionAnalysis %s "
			     "runs before promotion",
			     in->target_available, preview,
			     sp->pre_promotion_analysis);
			return true;
		}
		s->phase = BG_PAUSED;
		if (s->promote || (sp->auto_promotion_enabled && secs < 0))
			return true; /* PAUSED promotes at once */
		if (sp->auto_promotion_enabled && !in->paused)
			note(o, false,
			     "Preview ready %d/%d: promotion in %ds "
			     "(autoPromotionSeconds)",
			     in->target_available, preview, secs);
		else
			note(o, false,
			     "Preview ready %d/%d: waiting for `berth rollout "
			     "promote`",
			     in->target_available, preview);
		return true;
	case BG_PRE_ANALYSIS:
		o->want_target = preview;
		if (in->pre == BG_VERDICT_FAILED) {
			s->phase = BG_ABORTED;
			s->scale_down_mono = abort_at(
			    in->now_mono, sp->abort_scale_down_delay_seconds);
			note(o, true,
			     "prePromotionAnalysis %s failed: aborted, service "
			     "%s stays on revision %d; revision %d %s",
			     sp->pre_promotion_analysis, sp->active_service,
			     num(in, s->active), num(in, s->target),
			     bluegreen_abort_when(
				 sp->abort_scale_down_delay_seconds, when,
				 sizeof(when)));
			return true;
		}
		if (in->pre == BG_VERDICT_SUCCESSFUL || s->promote_full ||
		    (in->pre == BG_VERDICT_INCONCLUSIVE && s->promote)) {
			note(o, false, "prePromotionAnalysis %s: %s",
			     sp->pre_promotion_analysis,
			     in->pre == BG_VERDICT_SUCCESSFUL
				 ? "Successful"
				 : "skipped by `berth rollout promote`");
			s->phase = BG_PAUSED;
			s->ready_mono = in->now_mono;
			if (in->pre != BG_VERDICT_SUCCESSFUL)
				s->promote = true;
			return true;
		}
		return false;
	case BG_PAUSED:
		o->want_target = preview;
		if (s->promote) {
			note(o, false,
			     "Promotion asked (`berth rollout promote%s`)",
			     s->promote_full ? " --full" : "");
		} else if (!sp->auto_promotion_enabled || in->paused) {
			return false;
		} else if (secs < 0) {
			note(o, false,
			     "Auto-promotion: %d/%d preview pods available",
			     in->target_available, preview);
		} else if (in->now_mono >= after(s->ready_mono, secs)) {
			note(o, false,
			     "Auto-promotion: autoPromotionSeconds %d passed",
			     secs);
		} else {
			o->wake_mono = after(s->ready_mono, secs);
			return false;
		}
		s->phase = BG_PROMOTING;
		s->promote = false;
		if (preview < in->replicas)
			note(o, false,
			     "Revision %d scaled up to %d before the switch",
			     num(in, s->target), in->replicas);
		return true;
	case BG_PROMOTING:
		o->want_target = in->replicas;
		if (in->target_available < in->replicas ||
		    in->target_available == 0)
			return false;
		set(s->old, s->active);
		set(s->active, s->target);
		s->target[0] = '\0';
		o->switched = true;
		note(o, false,
		     "Promoted: service %s switched from revision %d to "
		     "revision %d (%d/%d pods available)",
		     sp->active_service, num(in, s->old), num(in, s->active),
		     in->target_available, in->replicas);
		if (sp->post_promotion_analysis && !s->promote_full) {
			s->phase = BG_POST_ANALYSIS;
			note(o, false,
			     "postPromotionAnalysis %s runs; revision %d stays "
			     "until it passes",
			     sp->post_promotion_analysis, num(in, s->old));
		} else {
			to_scale_down(s, in);
			note(o, false,
			     "Revision %d stays %ds (scaleDownDelaySeconds): "
			     "`berth rollout undo` moves traffic back at once",
			     num(in, s->old), sp->scale_down_delay_seconds);
		}
		return true;
	case BG_POST_ANALYSIS:
		if (in->post == BG_VERDICT_FAILED) {
			char failed[16];

			set(failed, s->active);
			set(s->active, s->old);
			set(s->target, failed);
			s->old[0] = '\0';
			s->phase = BG_ABORTED;
			s->scale_down_mono = abort_at(
			    in->now_mono, sp->abort_scale_down_delay_seconds);
			o->switched = true;
			note(
			    o, true,
			    "postPromotionAnalysis %s failed: aborted, service "
			    "%s back on revision %d; revision %d %s",
			    sp->post_promotion_analysis, sp->active_service,
			    num(in, s->active), num(in, s->target),
			    bluegreen_abort_when(
				sp->abort_scale_down_delay_seconds, when,
				sizeof(when)));
			return true;
		}
		if (in->post == BG_VERDICT_SUCCESSFUL || s->promote ||
		    s->promote_full) {
			note(o, false,
			     "postPromotionAnalysis %s: %s; revision %d stays "
			     "%ds",
			     sp->post_promotion_analysis,
			     in->post == BG_VERDICT_SUCCESSFUL
				 ? "Successful"
				 : "passed by `berth rollout promote`",
			     num(in, s->old), sp->scale_down_delay_seconds);
			s->promote = false;
			to_scale_down(s, in);
			return true;
		}
		return false;
	case BG_SCALE_DOWN:
		if (in->now_mono < s->scale_down_mono) {
			o->wake_mono = s->scale_down_mono;
			return false;
		}
		note(o, false,
		     "Scale-down delay over: revision %d scaled down to 0",
		     num(in, s->old));
		s->old[0] = '\0';
		s->phase = BG_IDLE;
		s->scale_down_mono = 0;
		s->promote_full = false;
		return true;
	case BG_ABORTED:
		if (strcmp(in->hash, s->target)) {
			/* The template went back to the active revision
			 * (undo): the aborted revision goes now. */
			s->target[0] = '\0';
			s->phase = BG_IDLE;
			s->scale_down_mono = 0;
			return true;
		}
		if (s->scale_down_mono == BG_KEEP_TARGET)
			return false; /* kept until retry, undo, update */
		if (in->now_mono < s->scale_down_mono) {
			o->wake_mono = s->scale_down_mono;
			return false;
		}
		o->want_target = 0;
		return false; /* until retry */
	}
	return false;
}

void bluegreen_advance(struct bluegreen_state *s,
		       const struct bluegreen_input *in,
		       struct bluegreen_output *o)
{
	memset(o, 0, sizeof(*o));
	o->want_active = in->replicas;
	o->want_target = -1;
	o->want_old = -1;
	if (s->active[0] == '\0') {
		/* The first revision is active at once (nothing to keep). */
		memset(s, 0, sizeof(*s));
		set(s->active, in->hash);
		s->phase = BG_IDLE;
		o->switched = true;
		note(o, false, "Revision %d is active: service %s selects it",
		     num(in, s->active), in->spec->active_service);
	} else if (strcmp(in->hash, s->active) && strcmp(in->hash, s->target)) {
		new_template(s, in, o);
	} else if (!strcmp(in->hash, s->active) && s->target[0] &&
		   s->phase != BG_ABORTED) {
		note(o, false,
		     "Rollout of revision %d dropped: the template is the "
		     "active revision %d again",
		     num(in, s->target), num(in, s->active));
		s->target[0] = '\0';
		s->phase = s->old[0] ? BG_SCALE_DOWN : BG_IDLE;
	}
	for (int i = 0; i < 8 && step(s, in, o); i++)
		o->want_target = o->want_old = -1;
	if (s->phase == BG_SCALE_DOWN || s->phase == BG_POST_ANALYSIS)
		o->want_old = -1;
	else
		o->want_old = 0;
	if (s->phase == BG_IDLE)
		o->want_target = 0;
	if (s->phase == BG_SCALE_DOWN && s->scale_down_mono > in->now_mono)
		o->wake_mono = s->scale_down_mono;
}

int64_t bluegreen_wake(const struct bluegreen_state *s,
		       const struct bluegreen_spec *spec)
{
	if (s->phase == BG_PAUSED && spec->auto_promotion_enabled &&
	    spec->auto_promotion_seconds >= 0 && s->ready_mono > 0)
		return after(s->ready_mono, spec->auto_promotion_seconds);
	if (s->phase == BG_SCALE_DOWN || s->phase == BG_ABORTED)
		return s->scale_down_mono;
	return 0;
}

int bluegreen_promote(struct bluegreen_state *s, bool full, char *why,
		      size_t len)
{
	switch (s->phase) {
	case BG_PREVIEW:
	case BG_PRE_ANALYSIS:
	case BG_PAUSED:
	case BG_POST_ANALYSIS:
		s->promote = true;
		s->promote_full |= full;
		return 0;
	case BG_PROMOTING:
		s->promote_full |= full;
		return 0;
	case BG_ABORTED:
		snprintf(
		    why, len,
		    "the rollout was aborted; `berth rollout retry` starts "
		    "it again");
		return -1;
	default:
		snprintf(why, len,
			 "no BlueGreen rollout waits for promotion (the active "
			 "revision is the current one)");
		return -1;
	}
}

int bluegreen_abort(struct bluegreen_state *s, int abort_delay_s,
		    int64_t now_mono, char *why, size_t len)
{
	switch (s->phase) {
	case BG_PREVIEW:
	case BG_PRE_ANALYSIS:
	case BG_PAUSED:
	case BG_PROMOTING:
		break;
	case BG_POST_ANALYSIS: {
		char failed[16];

		set(failed, s->active);
		set(s->active, s->old);
		set(s->target, failed);
		s->old[0] = '\0';
		break;
	}
	case BG_ABORTED:
		return 0;
	default:
		snprintf(why, len,
			 "no BlueGreen rollout in progress (after promotion, "
			 "`berth rollout undo` moves traffic back)");
		return -1;
	}
	s->phase = BG_ABORTED;
	s->promote = s->promote_full = false;
	s->scale_down_mono = abort_at(now_mono, abort_delay_s);
	return 0;
}

int bluegreen_retry(struct bluegreen_state *s, char *why, size_t len)
{
	if (s->phase != BG_ABORTED) {
		snprintf(why, len,
			 "the rollout was not aborted; nothing to retry");
		return -1;
	}
	s->phase = BG_PREVIEW;
	s->ready_mono = 0;
	s->scale_down_mono = 0;
	s->promote = s->promote_full = false;
	return 0;
}
