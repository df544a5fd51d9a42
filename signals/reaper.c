/*
 * reaper.c - reaps zombie children that libuv does not own.
 *
 * Containers started by runc are re-parented to us (PR_SET_CHILD_SUBREAPER).
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

#include "../common/log.h"

struct reaper {
	uv_loop_t *loop;
	uv_signal_t sigchld;
	reaper_exit_cb cb;
	void *data;
	bool started;
};

static struct reaper reaper;

struct owned_pids {
	pid_t pids[256];
	size_t n;
	bool overflow;
};

static void collect_process(uv_handle_t *h, void *arg)
{
	struct owned_pids *owned = arg;

	if (h->type != UV_PROCESS || uv_is_closing(h))
		return;
	if (owned->n == sizeof(owned->pids) / sizeof(owned->pids[0])) {
		owned->overflow = true;
		return;
	}
	owned->pids[owned->n++] = uv_process_get_pid((uv_process_t *)h);
}

static bool is_owned(const struct owned_pids *owned, pid_t pid)
{
	for (size_t i = 0; i < owned->n; i++)
		if (owned->pids[i] == pid)
			return true;
	return false;
}

static bool is_zombie(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	char *close_paren;
	bool zombie = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		close_paren = strrchr(buf, ')');
		zombie = close_paren != NULL && close_paren[1] == ' ' &&
			 close_paren[2] == 'Z';
	}
	fclose(f);
	return zombie;
}

static void reap_children_of(const char *children_path,
			     const struct owned_pids *owned)
{
	FILE *f = fopen(children_path, "re");
	int pid;

	if (f == NULL)
		return;
	while (fscanf(f, "%d", &pid) == 1) {
		int status;
		pid_t r;

		if (is_owned(owned, pid) || !is_zombie(pid))
			continue;
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid && reaper.cb)
			reaper.cb(reaper.data, pid, status);
	}
	fclose(f);
}

void reaper_scan(void)
{
	struct owned_pids owned = {0};
	DIR *tasks;
	struct dirent *de;

	if (!reaper.started)
		return;
	uv_walk(reaper.loop, collect_process, &owned);
	if (owned.overflow) {
		/* Too many runtime calls in flight to tell ours apart safely;
		 * the next SIGCHLD retries. */
		return;
	}
	tasks = opendir("/proc/self/task");
	if (tasks == NULL)
		return;
	while ((de = readdir(tasks)) != NULL) {
		char path[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 de->d_name);
		reap_children_of(path, &owned);
	}
	closedir(tasks);
}

static void on_sigchld(uv_signal_t *h, int signum)
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
	reaper.started = true;
	return 0;
}

void reaper_stop(void)
{
	if (!reaper.started)
		return;
	uv_signal_stop(&reaper.sigchld);
	uv_close((uv_handle_t *)&reaper.sigchld, NULL);
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
