/*
 * test_core_terminate.c - the termination sequence of SPEC §4 against the
 * fake runtime and clock (tests/lib/fake_runtime.h): endpoints out before
 * the preStop hook, hook then stop signal, SIGKILL at the grace deadline,
 * the one-off 2 s extension for a hook still running, then delete. No
 * root, no runc, no sleeping.
 */
#include <sys/wait.h>

#include "../../orchestrator/terminate.h"
#include "../lib/fake_runtime.h"
#include "../lib/tap.h"

static char name[64];

/* One running pod of body; its name in `name`. */
static struct pod *start(const char *body)
{
	struct pod *p;

	fake_daemon(false);
	F.auto_create = true;
	F.auto_delete = F.auto_exit = F.auto_exec = false;
	fake_apply(body);
	p = fake_pod(0);
	if (p == NULL)
		return NULL;
	snprintf(name, sizeof(name), "%s", p->name);
	fake_take_log();
	return p;
}

static const char *body;

static void finish(void)
{
	is_int(fake_scale_to_zero(body), 0, "scaled to 0: every pod gone");
	fake_daemon_free();
	fake_cleanup();
}

static char *expect(const char *fmt)
{
	static char buf[1024];
	char *o = buf;

	/* every %s is the pod's name */
	for (const char *f = fmt; *f && o < buf + sizeof(buf) - 80; f++) {
		if (f[0] == '%' && f[1] == 's') {
			o += sprintf(o, "%s", name);
			f++;
		} else {
			*o++ = *f;
		}
	}
	*o = '\0';
	return buf;
}

static void test_exec_prestop(void)
{
	struct pod *p;

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "terminationGracePeriodSeconds = 30\n"
	       "lifecycle.preStop.exec.command = /bin/drain\n";
	p = start(body);

	ok(p && p->phase == POD_RUNNING && pod_is_ready(p),
	   "exec preStop: pod running and ready");
	pod_terminate(p, TERM_REMOVE, -1, "test");
	is_str(fake_take_log(), expect("exec %s /bin/drain"),
	       "1+2: out of the endpoints, then the preStop hook");
	is_str(pod_status(p), "Terminating", "listed as Terminating");
	fake_advance(5000);
	is_str(fake_take_log(), "", "nothing while the hook runs");
	fake_finish_exec(name, 0);
	is_str(fake_take_log(), expect("signal %s SIGTERM"),
	       "3: the stop signal once the hook is done");
	fake_advance(24999);
	is_str(fake_take_log(), "", "no SIGKILL before the deadline");
	fake_advance(1);
	is_str(fake_take_log(), expect("signal %s SIGKILL"),
	       "4: SIGKILL at exactly 30 s after step 1");
	fake_exit(p, 137);
	ok(strncmp(fake_take_log(), expect("delete %s"), strlen(name) + 7) == 0,
	   "5: delete once gone");
	fake_finish_delete(name);
	is_int(fake_n_pods(), 1, "the deployment made a replacement");
	ok(fake_pod(0) && strcmp(fake_pod(0)->name, name) != 0,
	   "the terminated pod is gone");
	ok(fake_events("Deleted") == 1, "Deleted event");
	finish();
}

static void test_extension(void)
{
	struct pod *p;

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "terminationGracePeriodSeconds = 10\n"
	       "lifecycle.stopSignal = SIGINT\n"
	       "lifecycle.preStop.exec.command = /bin/slow\n";
	p = start(body);

	pod_terminate(p, TERM_REMOVE, -1, "test");
	is_str(fake_take_log(), expect("exec %s /bin/slow"), "hook started");
	fake_advance(10000);
	is_str(fake_take_log(), expect("signal %s SIGINT"),
	       "hook still running at the deadline: stop signal, no kill");
	ok(fake_events("FailedPreStopHook") == 1,
	   "FailedPreStopHook event for the extension");
	fake_advance(1999);
	is_str(fake_take_log(), "", "the 2 s extension is not cut short");
	fake_advance(1);
	is_str(fake_take_log(), expect("signal %s SIGKILL"),
	       "SIGKILL at deadline + 2 s");
	fake_advance(60000);
	is_str(fake_take_log(), "", "one extension only, one SIGKILL");
	fake_finish_exec(name, 1); /* the hook ends late: ignored */
	is_str(fake_take_log(), "", "a late hook sends nothing");
	fake_exit(p, 137);
	fake_finish_delete(name);
	is_int(fake_n_pods(), 1, "replaced");
	finish();
}

static void test_sleep_and_none(void)
{
	struct pod *p;

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "terminationGracePeriodSeconds = 30\n"
	       "lifecycle.preStop.sleep.seconds = 5\n";
	p = start(body);

	pod_terminate(p, TERM_REMOVE, -1, "test");
	is_str(fake_take_log(), "", "sleep hook: nothing at once");
	fake_advance(4999);
	is_str(fake_take_log(), "", "nothing during the sleep");
	fake_advance(1);
	is_str(fake_take_log(), expect("signal %s SIGTERM"),
	       "stop signal when the sleep ends");
	fake_exit(p, 143);
	fake_finish_delete(name);
	finish();

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "terminationGracePeriodSeconds = 3\n";
	p = start(body);
	pod_terminate(p, TERM_REMOVE, -1, "test");
	is_str(fake_take_log(), expect("signal %s SIGTERM"),
	       "no hook: the stop signal at once");
	fake_advance(3000);
	is_str(fake_take_log(), expect("signal %s SIGKILL"), "SIGKILL at 3 s");
	fake_exit(p, 137);
	fake_finish_delete(name);
	finish();
}

/* A liveness kill restarts in place: same pod, restarts + 1. */
static void test_restart_in_place(void)
{
	struct pod *p;

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "terminationGracePeriodSeconds = 5\n";
	p = start(body);

	pod_terminate(p, TERM_RESTART, 2, "liveness probe failed");
	is_str(fake_take_log(), expect("signal %s SIGTERM"),
	       "probe kill: stop signal");
	fake_advance(2000);
	is_str(fake_take_log(), expect("signal %s SIGKILL"),
	       "the probe's grace period (2 s) wins");
	fake_exit(p, 137);
	fake_finish_delete(name);
	fake_advance(0);
	ok(fake_pod(0) == p && p->phase == POD_RUNNING && p->restarts == 1,
	   "restarted in place (restarts %d)", p->restarts);
	finish();
}

/* Without a pidfd the pod is never signalled by its bare pid. */
static void test_no_pidfd(void)
{
	struct pod *p;

	body = "[deployment web]\nimage = IMAGE\ncommand = /bin/app\n"
	       "terminationGracePeriodSeconds = 1\n";
	fake_daemon(false);
	F.auto_create = true;
	F.auto_delete = F.auto_exit = F.auto_exec = false;
	F.no_pidfd = true;
	fake_apply(body);
	F.no_pidfd = false;
	p = fake_pod(0);
	snprintf(name, sizeof(name), "%s", p->name);
	fake_take_log();
	pod_terminate(p, TERM_REMOVE, -1, "test");
	fake_advance(1000);
	is_str(fake_take_log(), "", "no pidfd: no signal at all");
	ok(fake_events("FailedKill") == 2,
	   "FailedKill for the stop signal and the SIGKILL");
	fake_exit(p, 0);
	fake_finish_delete(name);
	finish();
}

/* A contradiction stops the daemon with a message naming it. */
static void test_invariant(void)
{
	struct pod p;
	int fds[2], status = 0;
	char buf[512] = "";
	pid_t child;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "web-x");
	p.phase = POD_WAITING;
	p.term_step = TERM_SIGNALLED;
	if (pipe(fds) == -1)
		abort();
	child = fork();
	if (child == 0) {
		dup2(fds[1], 2);
		pod_check(&p, "a test");
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	waitpid(child, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	   "a signalled pod without a container stops the daemon");
	ok(strstr(buf, "pod web-x: state out of sync after a test: "
		       "termination under way without a container") != NULL,
	   "and says why: %.*s", (int)strcspn(buf, "\n"), buf);
}

int main(void)
{
	test_invariant();
	test_exec_prestop();
	test_extension();
	test_sleep_and_none();
	test_restart_in_place();
	test_no_pidfd();
	return tap_done();
}
