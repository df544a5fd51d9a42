/*
 * reaper.c - reaps zombie children that libuv does not own.
 *
 * Containers the runtime starts are re-parented to us (PR_SET_CHILD_SUBREAPER).
 * A child of any thread of ours (a worker's posix_spawn, an orphan handed
 * to the process) is visible to waitid() from the loop thread: without
 * __WNOTHREAD the kernel looks at every thread's children. So a SIGCHLD
 * costs one waitid(P_ALL, WNOHANG | WNOWAIT) when nothing is left to
 * reap, and per exit: the peek, the owner check, the reap. No /proc scan.
 * Owns nothing but that; pods are told through the callback.
 */
#include "reaper.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "../common/child_own.h"

/* Exits reported per scan; the rest in the next loop iteration. */
#define REAP_BATCH 64
/* A zombie another owner will reap is first in line: look again after
 * 1 ms, doubling while it stays, at most this long. */
#define REAP_RETRY_MAX_MS 50

struct reaper {
	uv_loop_t *loop;
	uv_signal_t sigchld;
	uv_timer_t retry; /* another owner's zombie hid the rest */
	uint64_t retry_ms;
	reaper_exit_cb cb;
	void *data;
	bool started;
};

static struct reaper reaper;

struct owned {
	pid_t pid;
	bool found;
};

static void find_process(uv_handle_t *h, void *arg)
{
	struct owned *o = arg;

	if (h->type == UV_PROCESS && !uv_is_closing(h) &&
	    uv_process_get_pid((uv_process_t *)h) == o->pid)
		o->found = true;
}

/* libuv waits for the children of its live process handles itself (in
 * its own SIGCHLD handler); a closed handle's child is left to us. */
static bool libuv_owns(pid_t pid)
{
	struct owned o = {.pid = pid};

	uv_walk(reaper.loop, find_process, &o);
	return o.found;
}

/*
 * The first exited child is looked at without reaping it (WNOWAIT). One
 * of ours is reaped and the next one looked at. One that libuv or a
 * worker thread (child_own.h) will wait for stays, and since waitid
 * keeps answering it first, the scan ends and runs again shortly (1 ms,
 * doubling to REAP_RETRY_MAX_MS while it stays): its owner reaps it
 * meanwhile. Never waitpid(-1), never a read of /proc (/proc/PID/stat
 * waits on a busy process's memory lock). The callback may spawn new
 * children (a runtime delete): it runs after the scan, and libuv's
 * process handles are checked for each zombie as it comes.
 */
static void on_retry(uv_timer_t *t);

void reaper_scan(void)
{
	pid_t reaped[REAP_BATCH];
	int statuses[REAP_BATCH];
	size_t k = 0;
	bool blocked = false;

	if (!reaper.started)
		return;
	for (int n = 0; n < 2 * REAP_BATCH && k < REAP_BATCH; n++) {
		siginfo_t si;
		pid_t pid;
		int status, r;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: no child at all */
		}
		/* si_pid stays 0 when no child has exited */
		pid = si.si_pid;
		if (pid == 0)
			break;
		if (libuv_owns(pid)) {
			blocked = true;
			break;
		}
		/* A worker spawns and records its child under this lock:
		 * while it is held, the pid may be a worker's not yet
		 * recorded. */
		if (!child_own_trylock()) {
			blocked = true;
			break;
		}
		if (child_own_has(pid)) {
			child_own_unlock();
			blocked = true;
			break;
		}
		do
			r = waitpid(pid, &status, WNOHANG);
		while (r == -1 && errno == EINTR);
		child_own_unlock();
		if (r != pid)
			continue; /* gone meanwhile: look again */
		reaped[k] = pid;
		statuses[k++] = status;
	}
	if (blocked) {
		reaper.retry_ms = reaper.retry_ms ? reaper.retry_ms * 2 : 1;
		if (reaper.retry_ms > REAP_RETRY_MAX_MS)
			reaper.retry_ms = REAP_RETRY_MAX_MS;
		uv_timer_start(&reaper.retry, on_retry, reaper.retry_ms, 0);
	} else {
		reaper.retry_ms = 0;
		if (k == REAP_BATCH) /* more may wait: the next iteration */
			uv_timer_start(&reaper.retry, on_retry, 0, 0);
	}
	for (size_t i = 0; i < k && reaper.cb; i++)
		reaper.cb(reaper.data, reaped[i], statuses[i]);
}

static void on_sigchld(uv_signal_t *h, int signum)
{
	reaper_scan();
}

static void on_retry(uv_timer_t *t)
{
	reaper_scan();
}

int reaper_start(uv_loop_t *loop, reaper_exit_cb cb, void *data,
		 struct berr *err)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		return berr_errno(err, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
	reaper.loop = loop;
	reaper.cb = cb;
	reaper.data = data;
	uv_signal_init(loop, &reaper.sigchld);
	uv_signal_start(&reaper.sigchld, on_sigchld, SIGCHLD);
	uv_unref((uv_handle_t *)&reaper.sigchld);
	uv_timer_init(loop, &reaper.retry);
	uv_unref((uv_handle_t *)&reaper.retry);
	reaper.started = true;
	return 0;
}

void reaper_stop(void)
{
	if (!reaper.started)
		return;
	uv_signal_stop(&reaper.sigchld);
	uv_close((uv_handle_t *)&reaper.sigchld, NULL);
	uv_timer_stop(&reaper.retry);
	uv_close((uv_handle_t *)&reaper.retry, NULL);
	reaper.started = false;
}

int reaper_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}
