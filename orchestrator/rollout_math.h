/*
 * rollout_math.h - the Kubernetes deployment controller's arithmetic as pure
 * functions: maxSurge rounds up, maxUnavailable rounds down, both zero means
 * maxUnavailable 1; one controller step (how many pods of the new revision
 * to create or remove, how many of which old revision to remove) for
 * RollingUpdate and Recreate; proportional scaling across revisions. No
 * state, no I/O: reconcile.c counts pods and applies the plan.
 */
#ifndef BERTH_ORCHESTRATOR_ROLLOUT_MATH_H
#define BERTH_ORCHESTRATOR_ROLLOUT_MATH_H

#include <stddef.h>

#include "../config/config.h"

/* An int-or-percent of total, rounded up or down. */
int rollout_scaled(struct int_or_percent v, int total, int round_up);
/* Resolves maxSurge/maxUnavailable against replicas. */
void rollout_resolve(struct int_or_percent surge, struct int_or_percent unav,
		     int replicas, int *surge_out, int *unav_out);
/* New pods to create now: min(replicas + surge - all, replicas - new). */
int rollout_scale_up(int replicas, int surge, int all_pods, int new_pods);
/* Upper bound of old pods that may go: all - (replicas - unav) - new
 * pods not yet available (the controller's maxScaledDown). */
int rollout_max_scaled_down(int replicas, int unav, int all_pods, int new_pods,
			    int new_available);
/* Healthy old pods to scale down after unhealthy ones are gone:
 * available - (replicas - unav), never negative. */
int rollout_scale_down_available(int replicas, int unav, int available);

#define ROLLOUT_MAX_OLD 32

/* Pods of one revision: non-terminating ones and how many are available. */
struct rollout_count {
	int active;
	int available;
};

struct rollout_input {
	enum strategy_type strategy; /* Recreate, else RollingUpdate */
	int replicas;
	int surge, unav;	  /* resolved (rollout_resolve) */
	struct rollout_count cur; /* the newest revision */
	struct rollout_count old[ROLLOUT_MAX_OLD]; /* oldest first */
	size_t n_old;
	int old_terminating; /* old pods still terminating (Recreate waits) */
};

enum rollout_action {
	ROLLOUT_NOTHING,       /* nothing to do in this step */
	ROLLOUT_SCALE_NEW,     /* create or remove pods of the new revision */
	ROLLOUT_SCALE_OLD,     /* remove pods of old revisions */
	ROLLOUT_WAIT_OLD_GONE, /* Recreate: old pods are still terminating */
	ROLLOUT_BLOCKED	       /* rolling: no room to scale either way */
};

struct rollout_plan {
	enum rollout_action action;
	int create;	/* new-revision pods to create */
	int remove_new; /* new-revision pods to remove */
	/* per old revision (same index as input): unavailable pods first,
	 * then pods picked not-ready-first */
	int remove_unhealthy[ROLLOUT_MAX_OLD];
	int remove_other[ROLLOUT_MAX_OLD];
	/* the arithmetic, for the events */
	int all_pods;	     /* non-terminating pods of every revision */
	int max_total;	     /* replicas + surge */
	int min_available;   /* replicas - unav */
	int max_scaled_down; /* all - min_available - new unavailable */
	int available;	     /* available pods of every revision */
};

/*
 * One step of the deployment controller. RollingUpdate: scale the new
 * revision down when above replicas; else scale it up within maxSurge and
 * stop there; only in a step that did not scale up, scale old revisions
 * down within maxUnavailable, unavailable pods first, oldest revision
 * first. Recreate: remove every old pod, wait until they are gone, then
 * scale the new revision to replicas.
 */
void rollout_plan_step(const struct rollout_input *in,
		       struct rollout_plan *out);

/* Total old pods the plan removes. */
int rollout_plan_removed_old(const struct rollout_plan *p, size_t n_old);

/*
 * Proportional scaling (Kubernetes' scale() on a scaling event during a
 * rollout or while paused): sizes[i] are the pods of each revision that has
 * any, in any order; ages[i] their ages as ranks (bigger = newer).
 * old_allowed is the previous replicas + surge, new_allowed the new one.
 * Fills delta[i] (positive: create, negative: remove) so that the sizes add
 * up to new_allowed, each share rounded to nearest and the rest given to
 * the biggest revision (the newer one on ties when growing, the older one
 * when shrinking).
 */
void rollout_proportional(int old_allowed, int new_allowed, const int *sizes,
			  const int *ages, size_t n, int *delta);

#endif
