/*
 * test_probe_state.c - the pure probe state machine under a fake clock:
 * initial delay, period, thresholds, startup gating, readiness starting
 * unready, recovery. Touches no I/O.
 */
#include <string.h>

#include "../../probes/probe_state.h"
#include "../lib/tap.h"

static struct deployment_spec spec;

static void set_probe(struct probe_spec *ps, int delay, int period, int st,
		      int ft)
{
	memset(ps, 0, sizeof(*ps));
	ps->set = true;
	ps->handler.kind = HANDLER_TCP;
	ps->handler.tcp_port = 8080;
	ps->initial_delay_seconds = delay;
	ps->period_seconds = period;
	ps->timeout_seconds = 1;
	ps->success_threshold = st;
	ps->failure_threshold = ft;
}

static void reset(void)
{
	memset(&spec, 0, sizeof(spec));
}

/* Runs probe t once at now with result ok; returns the events. */
static int run(struct probe_sm *sm, enum probe_type t, uint64_t now, bool ok,
	       struct probe_sm_event *ev)
{
	probe_sm_begin(sm, t, now);
	return probe_sm_finish(sm, t, ok, now, ev);
}

static void test_readiness_basic(void)
{
	struct probe_sm sm;
	struct probe_sm_event ev[2];
	int n;

	reset();
	set_probe(&spec.readiness_probe, 5, 10, 1, 3);
	probe_sm_init(&sm, &spec, 1000);
	ok(!probe_sm_ready(&sm), "readiness: not ready before first success");
	is_int(probe_sm_next(&sm, PROBE_READINESS), 6000,
	       "readiness: first run at start + initialDelay");
	is_int(probe_sm_next(&sm, PROBE_LIVENESS), PROBE_SM_NEVER,
	       "unconfigured liveness never runs");
	n = run(&sm, PROBE_READINESS, 6000, false, ev);
	is_int(n, 0, "readiness: failure while unready is no transition");
	is_int(probe_sm_next(&sm, PROBE_READINESS), 16000,
	       "readiness: next run one period later");
	n = run(&sm, PROBE_READINESS, 16000, true, ev);
	is_int(n, 1, "readiness: first success flips to ready");
	ok(ev[0].type == PROBE_READINESS && ev[0].healthy, "event ready");
	ok(probe_sm_ready(&sm), "ready");
	n = run(&sm, PROBE_READINESS, 26000, false, ev);
	n += run(&sm, PROBE_READINESS, 36000, false, ev);
	is_int(n, 0, "readiness: 2 failures < failureThreshold 3");
	ok(probe_sm_ready(&sm), "still ready after 2 failures");
	n = run(&sm, PROBE_READINESS, 46000, false, ev);
	is_int(n, 1, "readiness: third failure flips");
	ok(ev[0].type == PROBE_READINESS && !ev[0].healthy, "event unready");
	ok(!probe_sm_ready(&sm), "unready");
	is_int(probe_sm_next(&sm, PROBE_READINESS), 56000,
	       "readiness keeps running while unready");
	n = run(&sm, PROBE_READINESS, 56000, true, ev);
	ok(n == 1 && ev[0].healthy && probe_sm_ready(&sm),
	   "readiness recovers on success");
}

static void test_readiness_success_threshold(void)
{
	struct probe_sm sm;
	struct probe_sm_event ev[2];
	int n = 0;

	reset();
	set_probe(&spec.readiness_probe, 0, 1, 3, 1);
	probe_sm_init(&sm, &spec, 0);
	is_int(probe_sm_next(&sm, PROBE_READINESS), 0,
	       "no delay: first run at once");
	n += run(&sm, PROBE_READINESS, 0, true, ev);
	n += run(&sm, PROBE_READINESS, 1000, true, ev);
	n += run(&sm, PROBE_READINESS, 2000, false, ev);
	n += run(&sm, PROBE_READINESS, 3000, true, ev);
	n += run(&sm, PROBE_READINESS, 4000, true, ev);
	is_int(n, 0, "successThreshold 3: broken run of successes not enough");
	ok(!probe_sm_ready(&sm), "not ready yet");
	n = run(&sm, PROBE_READINESS, 5000, true, ev);
	ok(n == 1 && ev[0].healthy && probe_sm_ready(&sm),
	   "3 consecutive successes: ready");
	n = run(&sm, PROBE_READINESS, 6000, false, ev);
	ok(n == 1 && !ev[0].healthy, "failureThreshold 1: one failure flips");
	n = run(&sm, PROBE_READINESS, 7000, true, ev);
	ok(n == 0 && !probe_sm_ready(&sm),
	   "after failure, 1 success of 3 is not enough");
}

static void test_liveness(void)
{
	struct probe_sm sm;
	struct probe_sm_event ev[2];
	int n = 0;

	reset();
	set_probe(&spec.liveness_probe, 0, 10, 1, 3);
	probe_sm_init(&sm, &spec, 0);
	ok(probe_sm_ready(&sm), "liveness only: ready at start");
	n += run(&sm, PROBE_LIVENESS, 0, false, ev);
	n += run(&sm, PROBE_LIVENESS, 10000, false, ev);
	n += run(&sm, PROBE_LIVENESS, 20000, true, ev);
	n += run(&sm, PROBE_LIVENESS, 30000, false, ev);
	n += run(&sm, PROBE_LIVENESS, 40000, false, ev);
	is_int(n, 0, "liveness: failures broken by a success never report");
	n = run(&sm, PROBE_LIVENESS, 50000, false, ev);
	ok(n == 1 && ev[0].type == PROBE_LIVENESS && !ev[0].healthy,
	   "liveness: third consecutive failure reports");
	is_int(probe_sm_next(&sm, PROBE_LIVENESS), PROBE_SM_NEVER,
	       "liveness on hold after failure");
	probe_sm_begin(&sm, PROBE_LIVENESS, 60000);
	is_int(probe_sm_finish(&sm, PROBE_LIVENESS, false, 60000, ev), 0,
	       "results after the failure are ignored");
}

static void test_startup_gating(void)
{
	struct probe_sm sm;
	struct probe_sm_event ev[2];
	int n = 0;

	reset();
	set_probe(&spec.startup_probe, 0, 2, 1, 30);
	set_probe(&spec.liveness_probe, 10, 10, 1, 3);
	set_probe(&spec.readiness_probe, 0, 5, 1, 3);
	probe_sm_init(&sm, &spec, 0);
	ok(!probe_sm_ready(&sm) && !probe_sm_started(&sm),
	   "startup: not started, not ready");
	is_int(probe_sm_next(&sm, PROBE_STARTUP), 0, "startup runs first");
	is_int(probe_sm_next(&sm, PROBE_LIVENESS), PROBE_SM_NEVER,
	       "liveness gated by startup");
	is_int(probe_sm_next(&sm, PROBE_READINESS), PROBE_SM_NEVER,
	       "readiness gated by startup");
	n += run(&sm, PROBE_STARTUP, 0, false, ev);
	n += run(&sm, PROBE_STARTUP, 2000, false, ev);
	is_int(n, 0, "startup failures below threshold");
	is_int(probe_sm_next(&sm, PROBE_STARTUP), 4000, "startup period");
	n = run(&sm, PROBE_STARTUP, 4000, true, ev);
	ok(n == 1 && ev[0].type == PROBE_STARTUP && ev[0].healthy,
	   "startup success reported once");
	ok(probe_sm_started(&sm) && !probe_sm_ready(&sm),
	   "started, still not ready (readiness probe)");
	is_int(probe_sm_next(&sm, PROBE_STARTUP), PROBE_SM_NEVER,
	       "startup stops after its first success");
	is_int(probe_sm_next(&sm, PROBE_READINESS), 4000,
	       "readiness runs right after startup");
	is_int(probe_sm_next(&sm, PROBE_LIVENESS), 10000,
	       "liveness delay counts from container start");
	n = run(&sm, PROBE_READINESS, 4000, true, ev);
	ok(n == 1 && ev[0].healthy && probe_sm_ready(&sm),
	   "ready after readiness success");
}

static void test_startup_no_readiness(void)
{
	struct probe_sm sm;
	struct probe_sm_event ev[2];
	int n;

	reset();
	set_probe(&spec.startup_probe, 3, 1, 1, 3);
	probe_sm_init(&sm, &spec, 0);
	ok(!probe_sm_ready(&sm), "startup, no readiness: unready at first");
	is_int(probe_sm_next(&sm, PROBE_STARTUP), 3000, "startup delay");
	n = run(&sm, PROBE_STARTUP, 3000, true, ev);
	is_int(n, 2, "startup success + implied readiness");
	ok(ev[0].type == PROBE_STARTUP && ev[0].healthy &&
	       ev[1].type == PROBE_READINESS && ev[1].healthy,
	   "events: startup ok, then ready");
	ok(probe_sm_ready(&sm), "ready once started");
}

static void test_startup_failure(void)
{
	struct probe_sm sm;
	struct probe_sm_event ev[2];
	int n = 0;

	reset();
	set_probe(&spec.startup_probe, 0, 1, 1, 3);
	set_probe(&spec.liveness_probe, 0, 1, 1, 3);
	probe_sm_init(&sm, &spec, 0);
	n += run(&sm, PROBE_STARTUP, 0, false, ev);
	n += run(&sm, PROBE_STARTUP, 1000, false, ev);
	is_int(n, 0, "two startup failures: nothing yet");
	n = run(&sm, PROBE_STARTUP, 2000, false, ev);
	ok(n == 1 && ev[0].type == PROBE_STARTUP && !ev[0].healthy,
	   "startup failing failureThreshold times reports failure");
	ok(probe_sm_next(&sm, PROBE_STARTUP) == PROBE_SM_NEVER &&
	       probe_sm_next(&sm, PROBE_LIVENESS) == PROBE_SM_NEVER,
	   "nothing runs after a startup failure");
	ok(!probe_sm_ready(&sm), "never ready");
}

static void test_no_probes_and_timing(void)
{
	struct probe_sm sm;
	struct probe_sm_event ev[2];

	reset();
	probe_sm_init(&sm, &spec, 0);
	ok(probe_sm_ready(&sm) && probe_sm_started(&sm),
	   "no probes: ready as soon as started");

	set_probe(&spec.readiness_probe, 0, 10, 1, 3);
	probe_sm_init(&sm, &spec, 0);
	probe_sm_begin(&sm, PROBE_READINESS, 0);
	is_int(probe_sm_next(&sm, PROBE_READINESS), PROBE_SM_NEVER,
	       "runs never overlap: not scheduled while in flight");
	probe_sm_finish(&sm, PROBE_READINESS, true, 15000, ev);
	is_int(probe_sm_next(&sm, PROBE_READINESS), 15000,
	       "a run longer than the period is followed at once");
	probe_sm_begin(&sm, PROBE_READINESS, 15000);
	probe_sm_finish(&sm, PROBE_READINESS, true, 15500, ev);
	is_int(probe_sm_next(&sm, PROBE_READINESS), 25000,
	       "period counts from the start of a run");
	is_int(probe_sm_finish(&sm, PROBE_READINESS, true, 16000, ev), 0,
	       "a finish without a begin is ignored");

	memset(&spec.readiness_probe, 0, sizeof(spec.readiness_probe));
	spec.readiness_probe.set = true;
	probe_sm_init(&sm, &spec, 0);
	ok(sm.p[PROBE_READINESS].period_ms == 10000 &&
	       sm.p[PROBE_READINESS].timeout_ms == 1000 &&
	       sm.p[PROBE_READINESS].success_threshold == 1 &&
	       sm.p[PROBE_READINESS].failure_threshold == 3,
	   "zero fields fall back to Kubernetes defaults");
	probe_sm_halt(&sm);
	is_int(probe_sm_next(&sm, PROBE_READINESS), PROBE_SM_NEVER,
	       "halt stops scheduling");
}

int main(void)
{
	test_readiness_basic();
	test_readiness_success_threshold();
	test_liveness();
	test_startup_gating();
	test_startup_no_readiness();
	test_startup_failure();
	test_no_probes_and_timing();
	return tap_done();
}
