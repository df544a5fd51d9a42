/*
 * probe_state.h - the pure state machine of one pod's probes: initial
 * delay, period, success/failure thresholds, startup gating and readiness,
 * as kubelet's prober workers apply them. Time is passed in (milliseconds
 * on any monotonic clock), so it is unit-tested with a fake clock. Must not
 * do I/O, use libuv or call back: it returns the transitions it produced.
 */
#ifndef BERTH_PROBES_PROBE_STATE_H
#define BERTH_PROBES_PROBE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../config/config.h"
#include "probe.h"

#define PROBE_SM_NEVER UINT64_MAX
#define PROBE_SM_MAX_EVENTS 2

enum probe_health {
	PROBE_HEALTH_UNKNOWN, /* no threshold reached yet */
	PROBE_HEALTH_OK,
	PROBE_HEALTH_FAILED
};

struct probe_state {
	bool configured;
	bool active;  /* may be scheduled: not gated, finished or on hold */
	bool running; /* a run is in flight */
	uint64_t delay_ms;
	uint64_t period_ms;
	uint64_t timeout_ms;
	int success_threshold;
	int failure_threshold;
	enum probe_health health;
	bool have_last;	   /* kubelet's lastResult is not Unknown */
	bool last_ok;	   /* kubelet's lastResult */
	int run_length;	   /* kubelet's resultRun: consecutive equal results */
	uint64_t next_ms;  /* when idle and active: next run */
	uint64_t begun_ms; /* start of the run in flight */
	uint64_t runs;	   /* finished runs, for describe */
};

struct probe_sm {
	struct probe_state p[3]; /* indexed by enum probe_type */
	uint64_t start_ms;	 /* container start */
	bool started;		 /* startup probe passed, or none configured */
	bool halted;		 /* startup or liveness failure reported */
	bool ready;
};

struct probe_sm_event {
	enum probe_type type;
	bool healthy;
};

/* Sets sm up for a container that started at now_ms. */
void probe_sm_init(struct probe_sm *sm, const struct deployment_spec *spec,
		   uint64_t now_ms);

/*
 * When probe t should run next, or PROBE_SM_NEVER while it must not run
 * (not configured, gated by startup, startup done, halted or in flight).
 */
uint64_t probe_sm_next(const struct probe_sm *sm, enum probe_type t);

/* A run of t starts now; t is not scheduled again until it finishes. */
void probe_sm_begin(struct probe_sm *sm, enum probe_type t, uint64_t now_ms);

/*
 * The run of t finished with success or failure at now_ms. Applies the
 * thresholds and gating, fills ev with the transitions (in order) and
 * returns how many (0..PROBE_SM_MAX_EVENTS). A stale result (halted, or t
 * not running) is ignored.
 */
int probe_sm_finish(struct probe_sm *sm, enum probe_type t, bool success,
		    uint64_t now_ms, struct probe_sm_event *ev);

/* Stops scheduling everything (the container is going away). */
void probe_sm_halt(struct probe_sm *sm);

bool probe_sm_ready(const struct probe_sm *sm);
bool probe_sm_started(const struct probe_sm *sm);

#endif
