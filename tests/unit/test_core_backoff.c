/*
 * test_core_backoff.c - restarts as the kubelet does them, through pod.c
 * against the fake runtime and clock: the first restart at once, then
 * 10 s doubling to 300 s, a run of resetSeconds starting over; and a crash
 * in every phase (creating, running, cleaning, waiting, terminating).
 */
#include "../../orchestrator/terminate.h"
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

static const char *body = "[deployment job]\nimage = IMAGE\n"
			  "command = /bin/crash\n"
			  "terminationGracePeriodSeconds = 5\n";

/* ms until the waiting pod is created again (-1: not within 400 s). */
static int64_t wait_for_create(void)
{
	for (int64_t t = 0; t <= 400000; t += 500) {
		if (strstr(fake_take_log(), "create"))
			return t;
		fake_advance(500);
	}
	return -1;
}

static void test_backoff(void)
{
	static const int64_t want[] = {0,     10000,  20000,  40000,
				       80000, 160000, 300000, 300000};
	struct pod *p;

	fake_daemon(false);
	F.auto_create = F.auto_delete = true;
	fake_apply(body);
	p = fake_pod(0);
	ok(p && p->phase == POD_RUNNING, "running");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int64_t got;

		fake_take_log();
		fake_exit(p, 1);
		if (want[i] > 0) {
			is_str(pod_status(p), "CrashLoopBackOff",
			       "crash %zu: CrashLoopBackOff", i + 1);
			ok(p->restart_at_mono - F.mono == want[i],
			   "crash %zu: restart in %lld ms", i + 1,
			   (long long)(p->restart_at_mono - F.mono));
		}
		got = wait_for_create();
		ok(got >= want[i] && got < want[i] + 500,
		   "crash %zu: restarted after %lld ms (want %lld)", i + 1,
		   (long long)got, (long long)want[i]);
		is_int(p->restarts, (int)i + 1, "restarts counted");
	}
	/* A run of resetSeconds (600 s) starts over: at once again. */
	fake_advance(600000);
	fake_take_log();
	fake_exit(p, 1);
	is_int(wait_for_create(), 0, "after 600 s running: restart at once");
	fake_exit(p, 1);
	fake_take_log();
	ok(p->restart_at_mono - F.mono == 10000, "then 10 s again");
	/* Wall time jumping (NTP, a manual date) changes no deadline. */
	F.wall -= 3600 * 1000;
	fake_advance(9999);
	is_str(fake_take_log(), "", "wall clock back 1 h: still waiting");
	fake_advance(1);
	ok(strstr(fake_take_log(), "create") != NULL,
	   "restarted at 10 s on the monotonic clock");
	is_int(fake_scale_to_zero(body), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

static void test_crash_everywhere(void)
{
	struct pod *p;

	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = false;
	fake_apply(body);
	p = fake_pod(0);
	ok(p && p->phase == POD_CREATING, "creating: runtime call in flight");

	/* Dies before its pid is known: the exit waits for the pod. */
	pod_reaped(fake_d, F.next_pid, 1 << 8);
	fake_finish_create(p->name, 0);
	ok(p->phase == POD_CLEANING, "exit while creating: cleaned up");
	fake_finish_delete(p->name);
	ok(p->phase == POD_CREATING && p->restarts == 1,
	   "first restart at once");

	/* The runtime fails to create it. */
	fake_finish_create(p->name, -1);
	ok(p->phase == POD_CLEANING &&
	       !strcmp(p->last_reason, "RunContainerError"),
	   "create failed: RunContainerError (%s)", p->last_reason);
	fake_finish_delete(p->name);
	ok(p->phase == POD_WAITING, "then back-off");
	fake_advance(10000);
	ok(p->phase == POD_CREATING, "created again after 10 s");
	fake_finish_create(p->name, 0);
	ok(p->phase == POD_RUNNING, "running");

	/* Exits again while its clean-up runs: ignored, no double count. */
	fake_exit(p, 2);
	ok(p->phase == POD_CLEANING && p->last_exit_code == 2, "exit 2");
	pod_reaped(fake_d, p->pid, 3 << 8);
	ok(p->phase == POD_CLEANING && p->last_exit_code == 2,
	   "a second exit while cleaning is ignored");
	fake_finish_delete(p->name);
	ok(p->phase == POD_WAITING, "waiting");
	pod_reaped(fake_d, p->pid, 3 << 8);
	ok(p->phase == POD_WAITING, "an exit while waiting is ignored");
	fake_advance(20000);
	fake_finish_create(p->name, 0);
	ok(p->phase == POD_RUNNING, "running after 20 s");

	/* Dies by itself during its preStop-less termination. */
	fake_take_log();
	pod_terminate(p, TERM_RESTART, -1, "test");
	ok(strstr(fake_take_log(), "SIGTERM") != NULL, "terminating");
	fake_exit(p, 0);
	fake_finish_delete(p->name);
	ok(p->phase == POD_WAITING && !pod_leaving(p) &&
	       !strcmp(pod_status(p), "CrashLoopBackOff"),
	   "exit while terminating for a restart: kept, in back-off (%s)",
	   pod_status(p));
	fake_advance(p->restart_at_mono - F.mono);
	ok(p->phase == POD_CREATING, "creating again");
	fake_take_log();
	pod_terminate(p, TERM_REMOVE, -1, "test");
	is_str(fake_take_log(), "", "nothing to signal while creating");
	fake_finish_create(p->name, 0);
	ok(strstr(fake_take_log(), "SIGTERM") != NULL,
	   "signalled once created");
	is_int(fake_scale_to_zero(body), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

int main(void)
{
	test_backoff();
	test_crash_everywhere();
	return tap_done();
}
