/*
 * reaper.c - reaps zombie children that libuv does not own.
 *
 * Containers the runtime starts are re-parented to us (PR_SET_CHILD_SUBREAPER).
 * On SIGCHLD we list our children from /proc/self/task/TID/children, skip
 * every pid a live uv_process_t owns (found with uv_walk), and waitpid() the
 * rest one pid at a time. Owns nothing but that; pods are told through the
 * callback.
 */
#include "reaper.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "../common/child_own.h"
#include "../common/log.h"
#include "../common/xalloc.h"

struct reaper {
	uv_loop_t *loop;
	uv_signal_t sigchld;
	uv_timer_t retry; /* a worker was spawning: scan again soon */
	reaper_exit_cb cb;
	void *data;
	bool started;
};

static struct reaper reaper;

struct pid_list {
	pid_t *pids;
	size_t n, cap;
};

static void pid_list_add(struct pid_list *l, pid_t pid)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->pids = xrealloc(l->pids, l->cap * sizeof(pid_t));
	}
	l->pids[l->n++] = pid;
}

static bool pid_list_has(const struct pid_list *l, pid_t pid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->pids[i] == pid)
			return true;
	return false;
}

static void collect_process(uv_handle_t *h, void *arg)
{
	if (h->type == UV_PROCESS && !uv_is_closing(h))
		pid_list_add(arg, uv_process_get_pid((uv_process_t *)h));
}

static void collect_children(const char *children_path, struct pid_list *out)
{
	FILE *f = fopen(children_path, "re");
	int pid;

	if (f == NULL)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		pid_list_add(out, pid);
	fclose(f);
}

/*
 * Children are listed first, then libuv's pids, then each of the rest is
 * asked with waitpid(WNOHANG), which reaps it only if it has exited (no
 * read of /proc/PID/stat: that waits for the process's memory lock, which
 * a container busy starting holds for long). The callback may spawn new
 * children (a runtime delete); they are never in the list taken before it
 * ran, so a fast-exiting one is left to libuv.
 */
static void on_retry(uv_timer_t *t);

void reaper_scan(void)
{
	struct pid_list children = {0}, owned = {0};
	pid_t reaped[64];
	int statuses[64];
	DIR *tasks;
	struct dirent *de;

	if (!reaper.started)
		return;
	tasks = opendir("/proc/self/task");
	if (tasks == NULL)
		return;
	while ((de = readdir(tasks)) != NULL) {
		char path[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 de->d_name);
		collect_children(path, &children);
	}
	closedir(tasks);
	if (children.n > 0)
		uv_walk(reaper.loop, collect_process, &owned);
	/* A worker thread's child (child_own.h) is its own to wait. While a
	 * worker is spawning, the loop does not wait for it: it scans again
	 * in 20 ms. The callbacks run after the lock is released. */
	if (children.n > 0 && !child_own_trylock()) {
		uv_timer_start(&reaper.retry, on_retry, 20, 0);
		children.n = 0;
	} else if (children.n > 0) {
		size_t k = 0;

		for (size_t i = 0; i < children.n; i++) {
			pid_t pid = children.pids[i];

			if (pid_list_has(&owned, pid) || child_own_has(pid) ||
			    waitpid(pid, &statuses[k % 64], WNOHANG) != pid)
				continue;
			reaped[k % 64] = pid;
			if (++k == 64)
				break; /* the rest at the next scan */
		}
		child_own_unlock();
		if (k == 64)
			uv_timer_start(&reaper.retry, on_retry, 0, 0);
		for (size_t i = 0; i < k && reaper.cb; i++)
			reaper.cb(reaper.data, reaped[i], statuses[i]);
	}
	free(children.pids);
	free(owned.pids);
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
