/*
 * judge.h - the arithmetic of analysis, as pure functions: a
 * measurement's verdict from its conditions, a metric's tally against
 * failureLimit / inconclusiveLimit / consecutiveErrorLimit and count, a
 * run's phase from its metrics', and the berth provider's numbers from
 * two readings of the proxy's counters. No clock, no I/O.
 */
#ifndef BERTH_ANALYSIS_JUDGE_H
#define BERTH_ANALYSIS_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proxy/proxy.h"
#include "analysis.h"

struct metric_tally {
	int measurements; /* every one taken, errors included */
	int successful, failed, inconclusive, errors;
	int consecutive_errors;
};

/*
 * A measurement's verdict, as Argo Rollouts decides it: a failure
 * condition that holds fails it; else a success condition decides
 * (false fails it, unless a failure condition is also set: then neither
 * holding is Inconclusive); with no condition at all it passes.
 */
enum analysis_phase analysis_judge(bool has_success, bool success,
				   bool has_failure, bool failure);

/* Measurements a metric takes: -1 until the run is stopped, 0 none
 * (skipped), else count (1 when neither count nor interval is set). */
int analysis_effective_count(const struct analysis_metric *m, bool background);

/*
 * Adds one measurement's outcome (SUCCESSFUL, FAILED, INCONCLUSIVE or
 * ERROR) to t and returns the metric's phase now: FAILED when failed >
 * failureLimit, INCONCLUSIVE when inconclusive > inconclusiveLimit,
 * ERROR when consecutive errors > consecutiveErrorLimit, SUCCESSFUL when
 * count measurements are taken, else RUNNING. why: the comparison that
 * decided ("failures 1 > failureLimit 0"), or the tally.
 */
enum analysis_phase analysis_tally(const struct analysis_metric *m, int count,
				   struct metric_tally *t,
				   enum analysis_phase outcome, char *why,
				   size_t len);

/* A run's phase from its metrics': FAILED or ERROR as soon as one is;
 * RUNNING while one runs; then INCONCLUSIVE if one is, else SUCCESSFUL. */
enum analysis_phase analysis_verdict(const enum analysis_phase *metrics,
				     size_t n);

/* The berth provider's numbers over an interval (to - from). A failure
 * is a 5xx answer or a connection error; requests counts both kinds of
 * attempts. success_rate and error_rate are -1 without requests, the
 * latencies -1 without answers. */
struct berth_numbers {
	uint64_t requests, errors;
	double success_rate, error_rate;
	double p50, p90, p99;
};
void analysis_berth_numbers(const struct proxy_rev_counts *from,
			    const struct proxy_rev_counts *to,
			    struct berth_numbers *out);

#endif
