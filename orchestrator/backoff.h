/*
 * backoff.h - CrashLoopBackOff arithmetic, as the kubelet does it: the
 * first restart is immediate, then 10 s doubling up to 300 s; a container
 * that ran for resetSeconds starts over. Pure functions.
 */
#ifndef BERTH_ORCHESTRATOR_BACKOFF_H
#define BERTH_ORCHESTRATOR_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

/* Delay before the restart that follows the crashes-th failed run. */
int64_t backoff_delay_ms(int crashes, int initial_seconds, int max_seconds);
/* A run this long resets the crash count. */
bool backoff_resets(int64_t ran_ms, int reset_seconds);

#endif
