/*
 * test_analysis_judge.c - the arithmetic of analysis (analysis/judge.c):
 * a measurement's verdict from its conditions (Argo Rollouts' rules),
 * the effective count, the tally against failureLimit /
 * inconclusiveLimit / consecutiveErrorLimit, a run's verdict, and the
 * berth provider's numbers from two readings of the proxy's counters.
 */
#include <math.h>
#include <string.h>

#include "../../analysis/judge.h"
#include "../lib/tap.h"

#define S ANALYSIS_SUCCESSFUL
#define F ANALYSIS_FAILED
#define I ANALYSIS_INCONCLUSIVE
#define E ANALYSIS_ERROR
#define R ANALYSIS_RUNNING

static struct analysis_metric metric(int count, int64_t interval, int fl,
				     int il, int cel)
{
	struct analysis_metric m = {0};

	m.count = count;
	m.interval_ms = interval;
	m.failure_limit = fl;
	m.inconclusive_limit = il;
	m.consecutive_error_limit = cel;
	return m;
}

/* Feeds outcomes (a string of S F I E letters) and returns the phase
 * after each, as letters. */
static void feed(const struct analysis_metric *m, int count, const char *in,
		 char *out, char *why, size_t len)
{
	struct metric_tally t = {0};
	size_t i;

	for (i = 0; in[i]; i++) {
		enum analysis_phase o = in[i] == 'S'   ? S
					: in[i] == 'F' ? F
					: in[i] == 'I' ? I
						       : E;
		enum analysis_phase p =
		    analysis_tally(m, count, &t, o, why, len);

		out[i] = p == S	  ? 'S'
			 : p == F ? 'F'
			 : p == I ? 'I'
			 : p == E ? 'E'
				  : 'R';
	}
	out[i] = '\0';
}

int main(void)
{
	char got[64], why[200];

	/* analysis_judge(has_success, success, has_failure, failure) */
	is_int(analysis_judge(true, true, false, false), S, "success holds");
	is_int(analysis_judge(true, false, false, false), F,
	       "success does not hold, no failure condition: Failed");
	is_int(analysis_judge(false, false, true, true), F, "failure holds");
	is_int(analysis_judge(false, false, true, false), S,
	       "failure does not hold, no success condition: Successful");
	is_int(analysis_judge(true, false, true, false), I,
	       "neither holds with both set: Inconclusive");
	is_int(analysis_judge(true, true, true, true), F,
	       "both hold: the failure wins");
	is_int(analysis_judge(false, false, false, false), S,
	       "no condition: Successful");

	{
		struct analysis_metric m = metric(-1, 0, 0, 0, 4);

		is_int(analysis_effective_count(&m, false), 1,
		       "no count, no interval: one measurement");
		m.interval_ms = 5000;
		is_int(analysis_effective_count(&m, false), -1,
		       "interval without count: until stopped");
		m.count = 5;
		is_int(analysis_effective_count(&m, false), 5, "count 5");
		m.count = 0;
		is_int(analysis_effective_count(&m, false), 0,
		       "count 0 in a step: skipped");
		is_int(analysis_effective_count(&m, true), -1,
		       "count 0 in the background: until stopped");
	}

	{
		struct analysis_metric m = metric(5, 5000, 0, 0, 4);

		feed(&m, 5, "SSSSS", got, why, sizeof(why));
		is_str(got, "RRRRS",
		       "5 passes of count 5: Successful at the "
		       "5th");
		is_str(why,
		       "5/5 measurements taken: failures 0 <= failureLimit 0, "
		       "inconclusive 0 <= inconclusiveLimit 0",
		       "the success states its arithmetic");
		feed(&m, 5, "SSF", got, why, sizeof(why));
		is_str(got, "RRF", "failureLimit 0: the first failure fails");
		is_str(why, "failures 1 > failureLimit 0",
		       "the failure states its arithmetic");
		m.failure_limit = 2;
		feed(&m, 5, "FSFSF", got, why, sizeof(why));
		is_str(got, "RRRRF", "failureLimit 2: the third failure fails");
		is_str(why, "failures 3 > failureLimit 2", "3 > 2");
		feed(&m, 5, "FSFSS", got, why, sizeof(why));
		is_str(got, "RRRRS",
		       "failureLimit 2: two failures in five pass");
		m.failure_limit = 0;
		feed(&m, 5, "SI", got, why, sizeof(why));
		is_str(got, "RI",
		       "inconclusiveLimit 0: the first inconclusive");
		is_str(why, "inconclusive 1 > inconclusiveLimit 0",
		       "inconclusive states its arithmetic");
		m.inconclusive_limit = 1;
		feed(&m, 5, "ISSSS", got, why, sizeof(why));
		is_str(got, "RRRRS", "inconclusiveLimit 1: one is tolerated");
		feed(&m, 20, "EEEESEEEEE", got, why, sizeof(why));
		is_str(got, "RRRRRRRRRE",
		       "consecutiveErrorLimit 4: a success resets, the 5th "
		       "error in a row is an Error");
		is_str(why, "consecutive errors 5 > consecutiveErrorLimit 4",
		       "errors state their arithmetic");
		m.consecutive_error_limit = 0;
		feed(&m, 5, "E", got, why, sizeof(why));
		is_str(got, "E", "consecutiveErrorLimit 0: the first error");
		m = metric(-1, 1000, 0, 0, 4);
		feed(&m, -1, "SSSSSSSSSS", got, why, sizeof(why));
		is_str(got, "RRRRRRRRRR", "no count: runs until stopped");
	}

	{
		enum analysis_phase a[] = {S, R, S};
		enum analysis_phase b[] = {S, I, R, F};
		enum analysis_phase c[] = {S, I, S};
		enum analysis_phase d[] = {S, S};
		enum analysis_phase e[] = {R, E};

		is_int(analysis_verdict(a, 3), R, "one metric runs: Running");
		is_int(analysis_verdict(b, 4), F,
		       "a failed metric ends the run at once");
		is_int(analysis_verdict(c, 3), I,
		       "all ended, one inconclusive: Inconclusive");
		is_int(analysis_verdict(d, 2), S, "all successful");
		is_int(analysis_verdict(e, 2), E, "an error ends the run");
	}

	{
		struct proxy_rev_counts a = {0}, b = {0};
		struct berth_numbers n;

		a.requests = 1000;
		a.errors_5xx = 3;
		a.conn_errors = 1;
		b = a;
		b.requests += 400;
		b.errors_5xx += 12;
		b.conn_errors += 4;
		b.lat[0] = a.lat[0] + 200; /* <= 1 ms */
		b.lat[5] = a.lat[5] + 200; /* 7..10 ms */
		analysis_berth_numbers(&a, &b, &n);
		is_int(n.requests, 404,
		       "requests: 400 answered + 4 "
		       "connection errors");
		is_int(n.errors, 16, "failures: 12 5xx + 4 connection errors");
		ok(fabs(n.success_rate - 388.0 / 404.0) < 1e-9,
		   "successRate 388/404 (%g)", n.success_rate);
		ok(fabs(n.error_rate - 16.0 / 404.0) < 1e-9,
		   "errorRate 16/404 (%g)", n.error_rate);
		ok(n.p50 > 0 && n.p50 <= 1, "p50 in the first bucket (%g)",
		   n.p50);
		ok(n.p99 > 7 && n.p99 <= 10, "p99 in 7..10 ms (%g)", n.p99);
		analysis_berth_numbers(&b, &b, &n);
		is_int(n.requests, 0, "no traffic: 0 requests");
		ok(n.success_rate < 0 && n.p99 < 0,
		   "no traffic: no rate and no latency");
		/* A counter read lower (a proxy restart) is not negative. */
		analysis_berth_numbers(&b, &a, &n);
		is_int(n.requests, 0, "counters going back count as 0");
	}
	return tap_done();
}
