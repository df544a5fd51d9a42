/*
 * canary_steps.h - the Canary strategy's step machine as pure functions
 * (Argo Rollouts' canary.steps semantics): which step is in progress,
 * the traffic weight in force, how many canary pods it needs, pauses,
 * promote [--full], abort and retry. No I/O and no clock of its own (the
 * caller passes the monotonic time): canary.c counts pods and applies it.
 */
#ifndef BERTH_ORCHESTRATOR_CANARY_STEPS_H
#define BERTH_ORCHESTRATOR_CANARY_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"

struct canary_state {
	char hash[16]; /* the revision this run is for; "" none */
	size_t step;   /* the step in progress; n when all are done */
	int weight;    /* traffic weight in force, 0..100 */
	enum canary_scale_kind scale; /* setCanaryScale in force */
	int scale_value;
	long header_step;	  /* setHeaderRoute in force (index), -1 */
	int mirror;		  /* setMirrorRoute in force, 0..100 */
	int64_t pause_until_mono; /* 0: not pausing; -1: until promoted */
	bool aborted;
	bool promote_full;     /* promote --full: skip the remaining steps */
	long analysis_ok_step; /* the analysis step whose run succeeded, -1 */
	bool held;	  /* an Inconclusive analysis: held until promoted */
	int abort_weight; /* the weight when aborted (dynamicStableScale) */
	/* Aborted: the canary pods stay until then
	 * (abortScaleDownDelaySeconds); 0: they go at once;
	 * CANARY_KEEP_CANARY: they stay until retry, undo or a new
	 * template (abortScaleDownDelaySeconds 0, as in Argo Rollouts). */
	int64_t scale_down_mono;
};

/* scale_down_mono of an abort that never scales the canary down. */
#define CANARY_KEEP_CANARY INT64_C(-1)

struct canary_input {
	const struct canary_steps *steps;
	int replicas;	      /* the deployment's */
	int canary_available; /* pods of the canary revision available */
	int64_t now_mono;
};

#define CANARY_NOTES 8
struct canary_output {
	int canary_replicas; /* pods the canary revision should have now */
	bool done;	     /* every step passed: promote fully */
	int64_t wake_mono;   /* a pause ends then; 0 none */
	bool analysis_wait;  /* the step in progress is an analysis step
				waiting for its run's verdict */
	bool keep_canary;    /* aborted, within abortScaleDownDelaySeconds
				(or 0: for good): the canary pods stay
				as they are (no traffic) */
	size_t n_notes;	     /* what happened, for events */
	char notes[CANARY_NOTES][200];
};

/* A fresh run for revision hash, at step 0 with weight 0. */
void canary_begin(struct canary_state *s, const char *hash);
/* Canary pods for weight w (or the setCanaryScale in force) out of
 * replicas, rounded up as Argo Rollouts does. */
int canary_replicas_for(const struct canary_state *s, int w, int replicas);
/* Runs the steps as far as they can go now. A setWeight step takes its
 * weight only once the canary pods it needs are available, then passes;
 * a pause passes at its end or on promote; setCanaryScale and
 * setHeaderRoute and setMirrorRoute pass at once. An aborted run holds
 * weight 0, no header or mirror route, and no canary pods once its
 * scale_down_mono has passed (before: keep_canary, woken then). */
void canary_advance(struct canary_state *s, const struct canary_input *in,
		    struct canary_output *out);
/* promote: the step in progress passes (a pause ends, a setWeight that
 * waits for pods is skipped, an analysis step passes whatever its run
 * says); full: every remaining step. A run held by an Inconclusive
 * analysis goes on (a held analysis step passes; any other step is
 * then taken as usual). An analysis step passes once
 * analysis_ok_step is its index (canary_analysis.c sets it). */
void canary_promote(struct canary_state *s, const struct canary_steps *st,
		    bool full);
/* Every request back to stable; the canary pods go at scale_down_mono
 * (0 or a time past: at once). */
void canary_abort(struct canary_state *s, int64_t scale_down_mono);
/* After an abort: the steps start again from the first. */
void canary_retry(struct canary_state *s);

#endif
