/*
 * test_core_adopt.c - a daemon killed and started again, against the fake
 * runtime and clock: running containers adopted with their name, pid and
 * restart count; an adopted container's exit seen through its pidfd; a
 * back-off deadline kept across a reboot (wall time on disk, monotonic in
 * memory); a termination resumed; a container that died unwatched
 * restarted.
 */
#include "../../orchestrator/service_ops.h"
#include "../../orchestrator/terminate.h"
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

static const char *body = "[deployment web]\nimage = IMAGE\n"
			  "command = /bin/app\nreplicas = 2\n"
			  "terminationGracePeriodSeconds = 20\n";

/* Kills the daemon (containers and records stay) and starts a new one
 * the way daemon_run does, down_ms later; reboot: the monotonic clock
 * starts again. */
static void restart_daemon(int64_t down_ms, bool reboot)
{
	struct berr err = BERR_INIT;
	json_t *records, *selectors, *messages = json_array();

	fake_daemon_free();
	F.wall += down_ms;
	F.mono = reboot ? 1000 : F.mono + down_ms;
	fake_daemon(true);
	records = store_load_deployments(fake_d);
	selectors = service_overrides_load(fake_d);
	fake_write_config(body);
	if (daemon_apply(fake_d, F.config, messages, &err) == -1)
		printf("# apply: %s\n", err.msg);
	store_restore_deployments(fake_d, records);
	store_restore_pods(fake_d);
	service_overrides_restore(fake_d, selectors);
	json_decref(records);
	json_decref(messages);
	fake_step();
}

static struct pod *find(const char *name)
{
	return pod_find(fake_d, name);
}

static void test_adopt_running(void)
{
	char a[64], b[64];
	pid_t pid_a, pid_b;
	struct pod *p;
	uint64_t one = 1;

	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	fake_apply(body);
	is_int(fake_n_pods(), 2, "two pods");
	snprintf(a, sizeof(a), "%s", fake_pod(0)->name);
	snprintf(b, sizeof(b), "%s", fake_pod(1)->name);
	/* b crashes twice: restarts 2 */
	fake_exit(fake_pod(1), 1);
	fake_exit(fake_pod(1), 1);
	fake_advance(10000);
	is_int(fake_pod(1)->restarts, 2, "b restarted twice");
	pid_a = fake_pod(0)->pid;
	pid_b = fake_pod(1)->pid;
	fake_take_log();

	restart_daemon(5000, false);
	ok(find(a) && find(b), "both adopted by name");
	ok(find(a) && find(a)->phase == POD_RUNNING && find(a)->pid == pid_a,
	   "a: same pid, running");
	ok(find(b) && find(b)->pid == pid_b && find(b)->restarts == 2,
	   "b: same pid, restarts kept");
	ok(strstr(fake_take_log(), "create") == NULL, "nothing created");
	is_int(fake_events("Adopted"), 2, "two Adopted events");

	/* An adopted container is no child of ours: its pidfd says it
	 * exited, its status is unknown. */
	p = find(a);
	F.auto_create = false;
	if (write(p->pidfd, &one, sizeof(one)) != sizeof(one))
		printf("# eventfd write failed\n");
	for (int i = 0; i < 50 && p->phase == POD_RUNNING; i++)
		fake_step();
	ok(p->last_exit_code == -1 && !strcmp(p->last_reason, "Unknown"),
	   "adopted exit: Unknown, exit code -1 (%s %d)", p->last_reason,
	   p->last_exit_code);
	ok(p->phase == POD_CREATING, "restarted by policy");
	fake_finish_create(a, 0);
	is_int(fake_scale_to_zero(body), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

static void test_backoff_across_reboot(void)
{
	struct pod *p;
	char name[64];

	fake_daemon(false);
	F.auto_create = F.auto_delete = true;
	F.auto_exit = F.auto_exec = false;
	fake_apply("[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
		   "replicas = 1\n");
	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "replicas = 1\n";
	p = fake_pod(0);
	snprintf(name, sizeof(name), "%s", p->name);
	fake_exit(p, 1);
	fake_exit(p, 1); /* second crash: 10 s back-off */
	ok(p->phase == POD_WAITING && p->restart_at_mono - F.mono == 10000,
	   "in a 10 s back-off");
	fake_advance(3000);
	restart_daemon(2000, true);
	p = find(name);
	ok(p && p->phase == POD_WAITING, "still waiting after the reboot");
	ok(p && p->restart_at_mono - F.mono == 5000,
	   "5 s left on the new boot's clock (%lld)",
	   p ? (long long)(p->restart_at_mono - F.mono) : -1LL);
	is_str(p ? pod_status(p) : "", "CrashLoopBackOff", "CrashLoopBackOff");
	fake_take_log();
	fake_advance(4999);
	ok(strstr(fake_take_log(), "create") == NULL, "not before");
	fake_advance(1);
	ok(strstr(fake_take_log(), "create") != NULL, "created at 5 s");
	is_int(fake_scale_to_zero(body), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

static void test_resume_and_dead(void)
{
	struct pod *p;
	char a[64], b[64];

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "replicas = 2\nterminationGracePeriodSeconds = 20\n";
	fake_daemon(false);
	F.auto_create = true;
	F.auto_delete = F.auto_exit = F.auto_exec = false;
	fake_apply(body);
	snprintf(a, sizeof(a), "%s", fake_pod(0)->name);
	snprintf(b, sizeof(b), "%s", fake_pod(1)->name);
	pod_terminate(fake_pod(0), TERM_REMOVE, -1, "test");
	fake_advance(5000);
	fake_take_log();
	/* b's container dies while no daemon watches */
	fake_ctr(b)->running = false;
	F.auto_create = false;
	restart_daemon(1000, false);
	p = find(a);
	ok(p && p->phase == POD_RUNNING && pod_leaving(p),
	   "a: adopted, still leaving");
	ok(strstr(fake_take_log(), "SIGTERM") == NULL,
	   "a: its stop signal was sent already: not sent again");
	is_int(fake_events("TerminationResumed"), 1,
	       "a: a TerminationResumed event says so");
	/* 20 s grace from the terminate; 5 s + 1 s have passed. */
	F.auto_exit = F.auto_delete = true;
	fake_advance(13900);
	ok(strstr(fake_take_log(), "SIGKILL") == NULL,
	   "a: no SIGKILL before the original deadline");
	fake_advance(200);
	ok(strstr(fake_take_log(), "SIGKILL") != NULL,
	   "a: SIGKILL at the original deadline, not a new grace period");
	p = find(b);
	ok(p && p->phase == POD_CREATING && p->restarts == 1,
	   "b: found dead, restarted (restarts %d)", p ? p->restarts : -1);
	is_int(fake_events("Exited"), 1, "b: an Exited event says why");
	is_int(fake_scale_to_zero(body), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

/* A preStop hook interrupted by the restart runs again (hooks are at
 * least once), within what is left of the grace period; the stop signal
 * follows once, after it. */
static void test_resume_prestop(void)
{
	struct pod *p;
	char a[64];
	const char *log;

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "replicas = 1\nterminationGracePeriodSeconds = 10\n"
	       "lifecycle.preStop.exec.command = /bin/drain\n";
	fake_daemon(false);
	F.auto_create = true;
	F.auto_delete = F.auto_exit = F.auto_exec = false;
	fake_apply(body);
	snprintf(a, sizeof(a), "%s", fake_pod(0)->name);
	pod_terminate(fake_pod(0), TERM_REMOVE, -1, "test");
	fake_step();
	ok(strstr(fake_take_log(), "exec") != NULL, "hook started");
	fake_advance(3000);
	restart_daemon(1000, true); /* a reboot-like clock jump too */
	p = find(a);
	log = fake_take_log();
	ok(p && p->term_step == TERM_PRESTOP && pod_leaving(p),
	   "adopted in its preStop step");
	ok(strstr(log, "exec") != NULL && strstr(log, "SIGTERM") == NULL,
	   "hook run again, no stop signal yet (%s)", log);
	ok(p && !p->ready, "not an endpoint");
	fake_finish_exec(a, 0);
	fake_step();
	log = fake_take_log();
	ok(strstr(log, "SIGTERM") != NULL, "stop signal after the hook");
	F.auto_exit = F.auto_delete = true;
	fake_advance(5900);
	ok(strstr(fake_take_log(), "SIGKILL") == NULL, "no SIGKILL before");
	fake_advance(200);
	ok(strstr(fake_take_log(), "SIGKILL") != NULL,
	   "SIGKILL at the original 10 s deadline");
	F.auto_create = F.auto_exec = true;
	fake_step();
	ok(find(a) == NULL, "removed");
	is_int(fake_scale_to_zero(body), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

/* A pod recorded ready is ready (an endpoint) right after adoption, before
 * anything else ran; one recorded as running whose runtime state
 * disagrees (another pid) is dropped. */
static void test_ready_restored(void)
{
	char a[64], b[64];

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "replicas = 2\n";
	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	fake_apply(body);
	ok(fake_pod(0)->ready && fake_pod(1)->ready, "both ready");
	snprintf(a, sizeof(a), "%s", fake_pod(0)->name);
	snprintf(b, sizeof(b), "%s", fake_pod(1)->name);
	fake_ctr(b)->pid = 4242; /* the record's pid is another process's */
	fake_ctr_add("stranger", fake_pod(1)->pid);
	F.auto_create = false;
	restart_daemon(500, false);
	ok(find(a) && find(a)->ready && find(a)->ready_restored &&
	       find(a)->phase == POD_RUNNING,
	   "a: ready at once after adoption, as recorded");
	ok(find(b) && !find(b)->ready && find(b)->phase != POD_RUNNING,
	   "b: not the recorded process: dropped and not served");
	fake_ctr_del("stranger");
	F.auto_create = true;
	is_int(fake_scale_to_zero(body), 0, "scaled to 0");
	fake_daemon_free();
	fake_cleanup();
}

/* A deployment that left the config while the daemon was down: its pods
 * are stopped through the full sequence (preStop, stop signal), with the
 * recorded template. */
static void test_removed_while_down(void)
{
	const char *log;

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "replicas = 1\nlifecycle.preStop.exec.command = /bin/drain\n";
	fake_daemon(false);
	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	fake_apply(body);
	fake_take_log();
	body = "[deployment other]\nimage = IMAGE\ncommand = /bin/app\n"
	       "replicas = 0\n";
	restart_daemon(1000, false);
	fake_step();
	log = fake_take_log();
	ok(strstr(log, "exec") != NULL, "preStop ran (%s)", log);
	ok(strstr(log, "signal web-") && strstr(log, "SIGTERM"),
	   "stop signal sent through its pidfd");
	ok(strstr(log, "delete-sync") == NULL, "not removed by force");
	is_int(fake_events("PreStopHook"), 1, "PreStopHook event");
	is_int(fake_n_pods(), 0, "gone");
	fake_daemon_free();
	fake_cleanup();
}

int main(void)
{
	test_adopt_running();
	test_resume_prestop();
	test_ready_restored();
	test_removed_while_down();
	test_backoff_across_reboot();
	test_resume_and_dead();
	return tap_done();
}
