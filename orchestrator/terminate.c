/*
 * terminate.c - graceful termination, exactly SPEC §4:
 *   1. leave every service's endpoints (synchronously, before anything else)
 *   2. run the preStop hook (exec in the container, httpGet, or sleep)
 *   3. send lifecycle.stopSignal
 *   4. SIGKILL at terminationGracePeriodSeconds after step 1 (a preStop
 *      still running then gets Kubernetes' one-off 2 s extension)
 *   5. delete the container; unmount and remove its files (pod.c)
 * Signals go through the pod's pidfd, so a recycled pid is never hit.
 */
#include "terminate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/sigtab.h"
#include "../common/xalloc.h"
#include "endpoints.h"
#include "events.h"
#include "pod.h"
#include "prestop_http.h"
#include "store.h"
#include "watch.h"

#define PRESTOP_EXTENSION_MS 2000

/* Through the pod's pidfd only: a bare pid may have been recycled. A pod
 * without one (pidfd_open failed) is left to exit by itself. */
static int pod_signal(struct pod *p, int sig)
{
	if (p->pidfd < 0) {
		pod_event(p, "Warning", "FailedKill",
			  "Cannot send %s to container %s: no pidfd for pid "
			  "%d, and a bare pid is never signalled",
			  sigtab_name(sig), p->deployment->name, (int)p->pid);
		errno = EBADF;
		return -1;
	}
	return rt_signal(&p->daemon->rt, p->pidfd, sig);
}

static void send_stop_signal(struct pod *p)
{
	int sig = p->spec->stop_signal ? p->spec->stop_signal : SIGTERM;

	if (pod_signal(p, sig) == -1)
		log_warn("pod %s: signal %d", p->name, sig);
	pod_event(p, "Normal", "StopSignal", "Sent %s to container %s",
		  sigtab_name(sig), p->deployment->name);
}

/* Step 3: from the hook (or from step 1 when there is none). */
static void enter_signalled(struct pod *p)
{
	if (p->term_step != TERM_PRESTOP)
		fatalx("pod %s: stop signal asked in termination step %s",
		       p->name, term_step_name(p->term_step));
	p->term_step = TERM_SIGNALLED;
	send_stop_signal(p);
	pod_check(p, "stop signal");
	store_save_pod(p); /* a restart neither signals again nor waits anew */
}

static void on_deadline(uv_timer_t *t)
{
	struct pod *p = t->data;

	if (p->phase != POD_RUNNING)
		return;
	switch (p->term_step) {
	case TERM_PRESTOP:
		/* The hook is still running: Kubernetes' one-off 2 s. */
		p->term_step = TERM_EXTENDED;
		pod_event(p, "Warning", "FailedPreStopHook",
			  "PreStop hook still running at the %ds grace "
			  "deadline; %d s more before SIGKILL",
			  p->grace_seconds, PRESTOP_EXTENSION_MS / 1000);
		send_stop_signal(p);
		clock_timer_start(&p->timer, on_deadline, PRESTOP_EXTENSION_MS);
		break;
	case TERM_SIGNALLED:
	case TERM_EXTENDED:
		p->term_step = TERM_KILLED;
		pod_event(p, "Normal", "Killing",
			  "Grace period of %ds expired; sending SIGKILL to "
			  "container %s",
			  p->grace_seconds, p->deployment->name);
		if (pod_signal(p, SIGKILL) == -1)
			log_warn("pod %s: SIGKILL", p->name);
		break;
	case TERM_NONE:
	case TERM_ASKED:
	case TERM_KILLED:
		fatalx("pod %s: grace deadline in termination step %s", p->name,
		       term_step_name(p->term_step));
	}
	pod_check(p, "grace deadline");
	store_save_pod(p);
}

/* gen guards against a hook of an earlier termination (before a liveness
 * restart) finishing during this one. A hook that outlived the deadline
 * changes nothing but is still reported. */
static void hook_finished(struct pod *p, unsigned gen, bool ok,
			  const char *message)
{
	if (gen != p->term_gen || p->phase != POD_RUNNING ||
	    !pod_terminating(p))
		return;
	if (!ok)
		pod_event(p, "Warning", "FailedPreStopHook", "%s", message);
	if (p->term_step == TERM_PRESTOP)
		enter_signalled(p);
}

struct exec_hook {
	struct pod *pod;
	unsigned gen;
};

static void on_exec_hook_done(void *arg, int exit_code, const char *output,
			      bool timed_out)
{
	struct exec_hook *hook = arg;
	struct pod *p = hook->pod;
	char msg[600];

	if (p->phase != POD_GONE) {
		if (timed_out)
			snprintf(msg, sizeof(msg),
				 "PreStop exec hook timed out");
		else
			snprintf(msg, sizeof(msg),
				 "PreStop exec hook exited with %d: %.500s",
				 exit_code, output ? output : "");
		hook_finished(p, hook->gen, exit_code == 0 && !timed_out, msg);
	}
	pod_unref(p);
	free(hook);
}

static void hook_timer_closed(uv_handle_t *h)
{
	free(h);
}

static void on_sleep_hook_done(uv_timer_t *t)
{
	struct pod *p = t->data;

	uv_close((uv_handle_t *)t, hook_timer_closed);
	p->hook_timer = NULL;
	hook_finished(p, p->term_gen, true, NULL);
}

static void run_prestop(struct pod *p, uint64_t remaining_ms)
{
	const struct handler_spec *h = &p->spec->pre_stop;

	switch (h->kind) {
	case HANDLER_EXEC: {
		struct exec_hook *hook = xcalloc(1, sizeof(*hook));

		pod_event(p, "Normal", "PreStopHook",
			  "Running preStop hook: exec %s",
			  h->exec_command.n ? h->exec_command.v[0] : "");
		pod_ref(p);
		hook->pod = p;
		hook->gen = p->term_gen;
		rt_exec(&p->daemon->rt, p->name, h->exec_command.v,
			h->exec_command.n,
			(unsigned)(remaining_ms + PRESTOP_EXTENSION_MS),
			on_exec_hook_done, hook);
		return;
	}
	case HANDLER_HTTP:
		pod_event(p, "Normal", "PreStopHook",
			  "Running preStop hook: http-get :%d%s", h->http_port,
			  h->http_path ? h->http_path : "/");
		pod_ref(p);
		prestop_http(p, h, remaining_ms, hook_finished);
		return;
	case HANDLER_SLEEP:
		pod_event(p, "Normal", "PreStopHook",
			  "Running preStop hook: sleep %ds", h->sleep_seconds);
		p->hook_timer = xcalloc(1, sizeof(uv_timer_t));
		uv_timer_init(p->daemon->loop, p->hook_timer);
		p->hook_timer->data = p;
		clock_timer_start(p->hook_timer, on_sleep_hook_done,
				  (uint64_t)h->sleep_seconds * 1000);
		return;
	default:
		enter_signalled(p);
	}
}

void terminate_resume(struct pod *p)
{
	int64_t deadline =
	    p->term_started_mono + (int64_t)p->grace_seconds * 1000;
	int64_t remaining = deadline - mono_ms();

	if (remaining < 0)
		remaining = 0;
	if (p->phase != POD_RUNNING || p->term_step != TERM_ASKED)
		fatalx("pod %s: termination resumed in phase %d, step %s",
		       p->name, (int)p->phase, term_step_name(p->term_step));
	p->term_step = TERM_PRESTOP;
	clock_timer_start(&p->timer, on_deadline, (uint64_t)remaining);
	if (p->spec->pre_stop.kind != HANDLER_NONE) {
		store_save_pod(p);
		run_prestop(p, (uint64_t)remaining);
	} else {
		enter_signalled(p);
	}
	pod_check(p, "termination started");
}

int64_t terminate_deadline_mono(const struct pod *p)
{
	int64_t d = p->term_started_mono + (int64_t)p->grace_seconds * 1000;

	return p->term_step == TERM_EXTENDED ? d + PRESTOP_EXTENSION_MS : d;
}

void terminate_adopted(struct pod *p, enum term_step step,
		       enum term_after after, int grace_seconds,
		       int64_t deadline_mono)
{
	int64_t left;

	if (p->phase != POD_RUNNING || pod_terminating(p))
		fatalx("pod %s: termination adopted in phase %d, step %s",
		       p->name, (int)p->phase, term_step_name(p->term_step));
	/* Step 1 again (the new daemon's endpoints and probes). */
	p->term_step = TERM_ASKED;
	p->term_gen++;
	p->term_after = after;
	p->grace_seconds = grace_seconds;
	p->term_started_mono = deadline_mono - (int64_t)grace_seconds * 1000;
	if (step == TERM_EXTENDED)
		p->term_started_mono -= PRESTOP_EXTENSION_MS;
	pod_stop_probes(p);
	p->ready = false;
	p->ready_since_mono = 0;
	endpoints_pod_leaving(p);
	watch_mark(p->daemon, WATCH_PODS);
	watch_mark(p->daemon, WATCH_DEPLOYMENTS);
	left = deadline_mono - mono_ms();
	if (left < 0)
		left = 0;
	pod_event(p, "Normal", "TerminationResumed",
		  "Termination resumed after a daemon restart (step %s); "
		  "SIGKILL at the original deadline, in %lld ms",
		  term_step_name(step), (long long)left);
	switch (step) {
	case TERM_NONE:
	case TERM_ASKED:
	case TERM_PRESTOP:
		/* The hook may not have finished: it runs again with what is
		 * left of the grace period (hooks are delivered at least
		 * once, as Kubernetes' are). */
		terminate_resume(p);
		return;
	case TERM_SIGNALLED:
	case TERM_EXTENDED:
		/* The stop signal was sent: only the deadline is left. */
		p->term_step = step;
		clock_timer_start(&p->timer, on_deadline, (uint64_t)left);
		break;
	case TERM_KILLED:
		p->term_step = TERM_KILLED;
		if (pod_signal(p, SIGKILL) == -1)
			log_warn("pod %s: SIGKILL", p->name);
		break;
	}
	pod_check(p, "termination adopted");
	store_save_pod(p);
}

void pod_terminate(struct pod *p, enum term_after after, int grace_override,
		   const char *why)
{
	if (p->phase == POD_GONE)
		return;
	if (pod_terminating(p)) {
		if (after == TERM_REMOVE)
			p->term_after = TERM_REMOVE;
		return;
	}
	/* Step 1 starts now; steps 2-4 once the container runs. */
	p->term_step = TERM_ASKED;
	p->term_gen++;
	p->term_after = after;
	p->term_started_mono = mono_ms();
	p->grace_seconds = grace_override >= 0
			       ? grace_override
			       : p->spec->termination_grace_period_seconds;

	/* Step 1: out of every endpoint set before anything else happens. */
	pod_stop_probes(p);
	p->ready = false;
	p->ready_since_mono = 0;
	endpoints_pod_leaving(p);
	if (after == TERM_REMOVE)
		pod_event(p, "Normal", "Killing", "Stopping container %s (%s)",
			  p->deployment->name, why);
	store_save_pod(p);
	watch_mark(p->daemon, WATCH_PODS);
	watch_mark(p->daemon, WATCH_DEPLOYMENTS);

	switch (p->phase) {
	case POD_PENDING:
	case POD_WAITING:
		clock_timer_stop(&p->timer);
		if (p->term_after == TERM_REMOVE)
			pod_remove(p);
		else
			p->term_step = TERM_NONE;
		return;
	case POD_CREATING: /* on_run_done resumes us */
	case POD_CLEANING: /* terminate_container_gone follows */
		return;
	case POD_RUNNING:
		terminate_resume(p);
		return;
	case POD_GONE:
		return;
	}
}

bool terminate_container_gone(struct pod *p)
{
	clock_timer_stop(&p->timer);
	terminate_cancel(p);
	if (p->term_after == TERM_REMOVE) {
		pod_event(p, "Normal", "Deleted",
			  "Container %s deleted; rootfs, bundle and cgroup "
			  "removed",
			  p->deployment ? p->deployment->name : p->name);
		pod_remove(p);
		return true;
	}
	p->term_step = TERM_NONE;
	return false;
}

void terminate_cancel(struct pod *p)
{
	if (p->hook_timer) {
		clock_timer_stop(p->hook_timer);
		uv_close((uv_handle_t *)p->hook_timer, hook_timer_closed);
		p->hook_timer = NULL;
	}
	if (p->timer_open)
		clock_timer_stop(&p->timer);
}
