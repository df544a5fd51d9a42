/*
 * judge.c - the arithmetic of analysis (see judge.h). Pure.
 */
#include "judge.h"

#include <stdio.h>
#include <string.h>

const char *analysis_phase_str(enum analysis_phase p)
{
	switch (p) {
	case ANALYSIS_RUNNING:
		return "Running";
	case ANALYSIS_SUCCESSFUL:
		return "Successful";
	case ANALYSIS_FAILED:
		return "Failed";
	case ANALYSIS_INCONCLUSIVE:
		return "Inconclusive";
	case ANALYSIS_ERROR:
		return "Error";
	}
	return "?";
}

enum analysis_phase analysis_judge(bool has_success, bool success,
				   bool has_failure, bool failure)
{
	if (has_failure && failure)
		return ANALYSIS_FAILED;
	if (has_success && success)
		return ANALYSIS_SUCCESSFUL;
	if (has_success && has_failure)
		return ANALYSIS_INCONCLUSIVE;
	if (has_success)
		return ANALYSIS_FAILED;
	return ANALYSIS_SUCCESSFUL;
}

int analysis_effective_count(const struct analysis_metric *m, bool background)
{
	if (m->count == 0)
		return background ? -1 : 0;
	if (m->count > 0)
		return m->count;
	return m->interval_ms > 0 ? -1 : 1;
}

enum analysis_phase analysis_tally(const struct analysis_metric *m, int count,
				   struct metric_tally *t,
				   enum analysis_phase outcome, char *why,
				   size_t len)
{
	t->measurements++;
	switch (outcome) {
	case ANALYSIS_SUCCESSFUL:
		t->successful++;
		t->consecutive_errors = 0;
		break;
	case ANALYSIS_FAILED:
		t->failed++;
		t->consecutive_errors = 0;
		break;
	case ANALYSIS_INCONCLUSIVE:
		t->inconclusive++;
		t->consecutive_errors = 0;
		break;
	default:
		t->errors++;
		t->consecutive_errors++;
		break;
	}
	if (t->failed > m->failure_limit) {
		snprintf(why, len, "failures %d > failureLimit %d", t->failed,
			 m->failure_limit);
		return ANALYSIS_FAILED;
	}
	if (t->consecutive_errors > m->consecutive_error_limit) {
		snprintf(why, len,
			 "consecutive errors %d > consecutiveErrorLimit %d",
			 t->consecutive_errors, m->consecutive_error_limit);
		return ANALYSIS_ERROR;
	}
	if (t->inconclusive > m->inconclusive_limit) {
		snprintf(why, len, "inconclusive %d > inconclusiveLimit %d",
			 t->inconclusive, m->inconclusive_limit);
		return ANALYSIS_INCONCLUSIVE;
	}
	if (count >= 0 && t->measurements >= count) {
		snprintf(why, len,
			 "%d/%d measurements taken: failures %d <= "
			 "failureLimit %d, inconclusive %d <= "
			 "inconclusiveLimit %d",
			 t->measurements, count, t->failed, m->failure_limit,
			 t->inconclusive, m->inconclusive_limit);
		return ANALYSIS_SUCCESSFUL;
	}
	snprintf(why, len, "failures %d, inconclusive %d, errors %d so far",
		 t->failed, t->inconclusive, t->errors);
	return ANALYSIS_RUNNING;
}

enum analysis_phase analysis_verdict(const enum analysis_phase *metrics,
				     size_t n)
{
	bool running = false, inconclusive = false;

	for (size_t i = 0; i < n; i++) {
		if (metrics[i] == ANALYSIS_FAILED ||
		    metrics[i] == ANALYSIS_ERROR)
			return metrics[i];
		running |= metrics[i] == ANALYSIS_RUNNING;
		inconclusive |= metrics[i] == ANALYSIS_INCONCLUSIVE;
	}
	if (running)
		return ANALYSIS_RUNNING;
	return inconclusive ? ANALYSIS_INCONCLUSIVE : ANALYSIS_SUCCESSFUL;
}

static uint64_t diff(uint64_t a, uint64_t b)
{
	return b >= a ? b - a : 0;
}

void analysis_berth_numbers(const struct proxy_rev_counts *from,
			    const struct proxy_rev_counts *to,
			    struct berth_numbers *o)
{
	uint64_t answered = diff(from->requests, to->requests);
	uint64_t e5 = diff(from->errors_5xx, to->errors_5xx);
	uint64_t ce = diff(from->conn_errors, to->conn_errors);

	memset(o, 0, sizeof(*o));
	o->requests = answered + ce;
	o->errors = e5 + ce;
	if (o->errors > o->requests)
		o->errors = o->requests;
	o->success_rate = o->error_rate = -1;
	if (o->requests > 0) {
		o->error_rate = (double)o->errors / (double)o->requests;
		o->success_rate = 1.0 - o->error_rate;
	}
	o->p50 = proxy_rev_quantile_ms(from, to, 0.50);
	o->p90 = proxy_rev_quantile_ms(from, to, 0.90);
	o->p99 = proxy_rev_quantile_ms(from, to, 0.99);
}
