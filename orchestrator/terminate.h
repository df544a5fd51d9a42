/*
 * terminate.h - the termination sequence of SPEC §4, in order: leave every
 * endpoint set, preStop hook, stop signal, SIGKILL at the grace deadline,
 * delete. Each step is an event.
 */
#ifndef BERTH_ORCHESTRATOR_TERMINATE_H
#define BERTH_ORCHESTRATOR_TERMINATE_H

#include "model.h"

/* grace_override < 0: the pod's terminationGracePeriodSeconds. */
void pod_terminate(struct pod *p, enum term_after after, int grace_override,
		   const char *why);
/* A pod that was asked to stop while being created has started: go on. */
void terminate_resume(struct pod *p);
/* The wall-clock-independent SIGKILL deadline of p's current step (the
 * grace deadline, or the preStop extension's end). */
int64_t terminate_deadline_mono(const struct pod *p);
/* An adopted, running pod whose termination a previous daemon began:
 * goes on from step (the recorded one) with the recorded deadline, so
 * neither the stop signal is sent twice nor the grace period restarted. */
void terminate_adopted(struct pod *p, enum term_step step,
		       enum term_after after, int grace_seconds,
		       int64_t deadline_mono);
/* Called by pod.c once the container is gone and cleaned up. Returns true
 * when the pod was removed; false when it is to be restarted. */
bool terminate_container_gone(struct pod *p);
/* Releases termination timers/handles of a removed pod. */
void terminate_cancel(struct pod *p);

#endif
