/*
 * probe_state.c - kubelet's probe semantics as a pure state machine over a
 * caller-supplied clock. Owns thresholds, gating and readiness; must not do
 * I/O, use libuv or know how a probe is carried out.
 */
#include "probe_state.h"

#include <string.h>

static uint64_t secs_ms(int s, int dflt)
{
	return (uint64_t)(s > 0 ? s : dflt) * 1000;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void state_init(struct probe_state *st, const struct probe_spec *ps,
		       enum probe_type t)
{
	memset(st, 0, sizeof(*st));
	st->configured = ps->set;
	if (!ps->set)
		return;
	st->delay_ms =
	    (uint64_t)(ps->initial_delay_seconds > 0 ? ps->initial_delay_seconds
						     : 0) *
	    1000;
	st->period_ms = secs_ms(ps->period_seconds, 10);
	st->timeout_ms = secs_ms(ps->timeout_seconds, 1);
	st->success_threshold =
	    ps->success_threshold > 0 ? ps->success_threshold : 1;
	st->failure_threshold =
	    ps->failure_threshold > 0 ? ps->failure_threshold : 3;
	/*
	 * kubelet's initial values: readiness starts as Failure (a pod is not
	 * ready before its first success), liveness as Success, startup as
	 * Unknown.
	 */
	switch (t) {
	case PROBE_READINESS:
		st->health = PROBE_HEALTH_FAILED;
		break;
	case PROBE_LIVENESS:
		st->health = PROBE_HEALTH_OK;
		break;
	case PROBE_STARTUP:
		st->health = PROBE_HEALTH_UNKNOWN;
		break;
	}
}

/* Lets a probe run for the first time, at start + initialDelay or now. */
static void activate(struct probe_sm *sm, enum probe_type t, uint64_t now)
{
	struct probe_state *st = &sm->p[t];

	if (!st->configured)
		return;
	st->active = true;
	st->next_ms = max_u64(sm->start_ms + st->delay_ms, now);
}

void probe_sm_init(struct probe_sm *sm, const struct deployment_spec *spec,
		   uint64_t now_ms)
{
	memset(sm, 0, sizeof(*sm));
	sm->start_ms = now_ms;
	state_init(&sm->p[PROBE_STARTUP], &spec->startup_probe, PROBE_STARTUP);
	state_init(&sm->p[PROBE_LIVENESS], &spec->liveness_probe,
		   PROBE_LIVENESS);
	state_init(&sm->p[PROBE_READINESS], &spec->readiness_probe,
		   PROBE_READINESS);
	if (sm->p[PROBE_STARTUP].configured) {
		activate(sm, PROBE_STARTUP, now_ms);
		return;
	}
	sm->started = true;
	activate(sm, PROBE_LIVENESS, now_ms);
	activate(sm, PROBE_READINESS, now_ms);
	sm->ready = !sm->p[PROBE_READINESS].configured;
}

uint64_t probe_sm_next(const struct probe_sm *sm, enum probe_type t)
{
	const struct probe_state *st = &sm->p[t];

	if (sm->halted || !st->configured || !st->active || st->running)
		return PROBE_SM_NEVER;
	return st->next_ms;
}

void probe_sm_begin(struct probe_sm *sm, enum probe_type t, uint64_t now_ms)
{
	struct probe_state *st = &sm->p[t];

	st->running = true;
	st->begun_ms = now_ms;
}

void probe_sm_halt(struct probe_sm *sm)
{
	sm->halted = true;
}

/* Counts consecutive equal results; true once threshold is reached. */
static bool count(struct probe_state *st, bool success)
{
	if (st->have_last && st->last_ok == success) {
		if (st->run_length < 1 << 30)
			st->run_length++;
	} else {
		st->have_last = true;
		st->last_ok = success;
		st->run_length = 1;
	}
	return st->run_length >=
	       (success ? st->success_threshold : st->failure_threshold);
}

static int push(struct probe_sm_event *ev, int n, enum probe_type t, bool h)
{
	ev[n].type = t;
	ev[n].healthy = h;
	return n + 1;
}

int probe_sm_finish(struct probe_sm *sm, enum probe_type t, bool success,
		    uint64_t now_ms, struct probe_sm_event *ev)
{
	struct probe_state *st = &sm->p[t];
	int n = 0;

	if (!st->running)
		return 0;
	st->running = false;
	if (sm->halted || !st->active)
		return 0;
	st->runs++;
	/*
	 * Like kubelet's ticker: the next run is one period after this one
	 * began; a run that overran its period is followed at once.
	 */
	st->next_ms = max_u64(st->begun_ms + st->period_ms, now_ms);
	if (!count(st, success))
		return 0;

	switch (t) {
	case PROBE_STARTUP:
		if (success) {
			st->health = PROBE_HEALTH_OK;
			st->active = false;
			sm->started = true;
			n = push(ev, n, PROBE_STARTUP, true);
			activate(sm, PROBE_LIVENESS, now_ms);
			activate(sm, PROBE_READINESS, now_ms);
			if (!sm->p[PROBE_READINESS].configured) {
				sm->ready = true;
				n = push(ev, n, PROBE_READINESS, true);
			}
		} else {
			st->health = PROBE_HEALTH_FAILED;
			sm->halted = true;
			n = push(ev, n, PROBE_STARTUP, false);
		}
		break;
	case PROBE_LIVENESS:
		if (success) {
			st->health = PROBE_HEALTH_OK;
		} else {
			/* kubelet puts the worker on hold until restart. */
			st->health = PROBE_HEALTH_FAILED;
			sm->halted = true;
			n = push(ev, n, PROBE_LIVENESS, false);
		}
		break;
	case PROBE_READINESS:
		st->health = success ? PROBE_HEALTH_OK : PROBE_HEALTH_FAILED;
		if (sm->ready != success) {
			sm->ready = success;
			n = push(ev, n, PROBE_READINESS, success);
		}
		break;
	}
	return n;
}

bool probe_sm_ready(const struct probe_sm *sm)
{
	return sm->ready;
}

bool probe_sm_started(const struct probe_sm *sm)
{
	return sm->started;
}
