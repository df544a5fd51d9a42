/*
 * canary_steps.c - the Canary step machine (see canary_steps.h). Pure:
 * no I/O, no pods, no clock of its own.
 */
#include "canary_steps.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void canary_begin(struct canary_state *s, const char *hash)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->hash, sizeof(s->hash), "%s", hash);
	s->scale = CANARY_SCALE_MATCH;
	s->header_step = -1;
	s->analysis_ok_step = -1;
}

static int ceil_pct(int pct, int replicas)
{
	return (pct * replicas + 99) / 100;
}

int canary_replicas_for(const struct canary_state *s, int w, int replicas)
{
	int n;

	if (s->aborted)
		return 0;
	switch (s->scale) {
	case CANARY_SCALE_REPLICAS:
		n = s->scale_value;
		break;
	case CANARY_SCALE_WEIGHT:
		n = ceil_pct(s->scale_value, replicas);
		break;
	default:
		n = ceil_pct(w, replicas);
		/* A header or mirror route needs a pod to send its
		 * requests to. */
		if (n == 0 && (s->header_step >= 0 || s->mirror > 0))
			n = 1;
		break;
	}
	return n > replicas ? replicas : n;
}

__attribute__((format(printf, 2, 3))) static void note(struct canary_output *o,
						       const char *fmt, ...)
{
	va_list ap;

	if (o->n_notes == CANARY_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(o->notes[o->n_notes++], sizeof(o->notes[0]), fmt, ap);
	va_end(ap);
}

void canary_advance(struct canary_state *s, const struct canary_input *in,
		    struct canary_output *o)
{
	const struct canary_steps *st = in->steps;
	char buf[160];

	memset(o, 0, sizeof(*o));
	if (s->aborted) {
		s->weight = 0;
		s->header_step = -1;
		s->mirror = 0;
		o->canary_replicas = 0;
		if (s->scale_down_mono == CANARY_KEEP_CANARY) {
			o->keep_canary = true; /* until retry/undo/update */
		} else if (s->scale_down_mono > in->now_mono) {
			o->keep_canary = true;
			o->wake_mono = s->scale_down_mono;
		}
		return;
	}
	if (s->promote_full) {
		s->step = st->n;
		s->held = false;
	}
	while (s->step < st->n && !s->held) {
		const struct canary_step *c = &st->v[s->step];
		int need;

		if (c->kind == CANARY_SET_WEIGHT) {
			need = canary_replicas_for(s, c->value, in->replicas);
			if (in->canary_available < need) {
				o->canary_replicas = need;
				return; /* the weight waits for its pods */
			}
			s->weight = c->value;
			note(o,
			     "Step %zu/%zu %s: weight %d %% to the canary "
			     "(%d of %d canary pods available)",
			     s->step + 1, st->n,
			     canary_step_str(c, buf, sizeof(buf)), s->weight,
			     in->canary_available, need);
		} else if (c->kind == CANARY_PAUSE) {
			if (s->pause_until_mono == 0) {
				s->pause_until_mono =
				    c->pause_seconds < 0
					? -1
					: in->now_mono +
					      c->pause_seconds * 1000;
				note(o, "Step %zu/%zu %s: paused%s",
				     s->step + 1, st->n,
				     canary_step_str(c, buf, sizeof(buf)),
				     c->pause_seconds < 0
					 ? " until `berth rollout promote`"
					 : "");
			}
			if (s->pause_until_mono < 0 ||
			    in->now_mono < s->pause_until_mono) {
				o->wake_mono = s->pause_until_mono > 0
						   ? s->pause_until_mono
						   : 0;
				break;
			}
			s->pause_until_mono = 0;
		} else if (c->kind == CANARY_ANALYSIS) {
			if (s->analysis_ok_step != (long)s->step) {
				o->analysis_wait = true;
				break;
			}
			note(o, "Step %zu/%zu %s: Successful", s->step + 1,
			     st->n, canary_step_str(c, buf, sizeof(buf)));
		} else if (c->kind == CANARY_SET_CANARY_SCALE) {
			s->scale = c->scale;
			s->scale_value = c->value;
			note(o, "Step %zu/%zu %s", s->step + 1, st->n,
			     canary_step_str(c, buf, sizeof(buf)));
		} else if (c->kind == CANARY_SET_MIRROR_ROUTE) {
			s->mirror = c->value;
			note(o, "Step %zu/%zu %s%s", s->step + 1, st->n,
			     canary_step_str(c, buf, sizeof(buf)),
			     c->value ? ": copies of requests to the canary, "
					"answers discarded"
				      : ": mirror removed");
		} else {
			s->header_step = c->header ? (long)s->step : -1;
			note(o, "Step %zu/%zu %s%s", s->step + 1, st->n,
			     canary_step_str(c, buf, sizeof(buf)),
			     c->header ? ": matching requests to the canary"
				       : ": header route removed");
		}
		s->step++;
	}
	if (s->step >= st->n) {
		o->done = true;
		o->canary_replicas = in->replicas;
		return;
	}
	o->canary_replicas = canary_replicas_for(s, s->weight, in->replicas);
}

void canary_promote(struct canary_state *s, const struct canary_steps *st,
		    bool full)
{
	if (s->aborted)
		return;
	if (full) {
		s->promote_full = true;
		return;
	}
	if (s->step >= st->n)
		return;
	if (s->held) {
		s->held = false;
		if (st->v[s->step].kind != CANARY_ANALYSIS)
			return;
	}
	if (st->v[s->step].kind == CANARY_SET_WEIGHT)
		s->weight = st->v[s->step].value;
	s->pause_until_mono = 0;
	s->step++;
}

void canary_abort(struct canary_state *s, int64_t scale_down_mono)
{
	if (!s->aborted) {
		s->abort_weight = s->weight;
		s->scale_down_mono = scale_down_mono;
	}
	s->aborted = true;
	s->held = false;
	s->weight = 0;
	s->header_step = -1;
	s->mirror = 0;
	s->pause_until_mono = 0;
}

void canary_retry(struct canary_state *s)
{
	char hash[16];

	snprintf(hash, sizeof(hash), "%s", s->hash);
	canary_begin(s, hash);
}
