/*
 * test_reaper.c - signals/reaper.c on a real loop, this process being the
 * subreaper: the exits of a child of the loop thread, of a child another
 * (live) thread spawned, of an orphan handed to us, and of 100 children
 * at once reach the callback with their statuses; a uv_spawn child stays
 * libuv's (its exit callback has its status); a worker's child
 * (child_own.h) is left to its owner, and while that zombie is first in
 * line it hides the others only until its owner reaps it.
 */
#include <pthread.h>
#include <semaphore.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/child_own.h"
#include "../../signals/reaper.h"
#include "../lib/tap.h"
#include "../lib/wait_until.h"

extern char **environ;

static uv_loop_t loop;
static uv_timer_t alive;

static void on_alive(uv_timer_t *t)
{
}
static struct {
	pid_t pid;
	int status;
} seen[512];
static size_t n_seen;

static void on_exit_cb(void *data, pid_t pid, int status)
{
	if (n_seen < 512) {
		seen[n_seen].pid = pid;
		seen[n_seen++].status = status;
	}
}

/* The exit code reported for pid; -1 when not reported (yet). */
static int code_of(pid_t pid)
{
	for (size_t i = 0; i < n_seen; i++)
		if (seen[i].pid == pid)
			return reaper_exit_code(seen[i].status);
	return -1;
}

static int times_seen(pid_t pid)
{
	int n = 0;

	for (size_t i = 0; i < n_seen; i++)
		n += seen[i].pid == pid;
	return n;
}

/* Runs the loop until cond holds or ms pass; cond's last value. */
#define run_until(cond, ms)                                                    \
	({                                                                     \
		int64_t _end = wait_ms_now() + (ms);                           \
		int _held;                                                     \
		while (!(_held = !!(cond)) && wait_ms_now() < _end) {          \
			uv_run(&loop, UV_RUN_NOWAIT);                          \
			usleep(1000);                                          \
		}                                                              \
		_held;                                                         \
	})

static pid_t child_exiting(int code)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(code);
	return pid;
}

/* Waits, without reaping, until pid has exited. */
static void wait_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
}

/* A thread that spawns `sh -c 'exit 5'` and stays alive (its child stays
 * its own) until released. */
static sem_t spawned, release;
static pid_t thread_child;

static void *spawner(void *arg)
{
	char *argv[] = {"/bin/sh", "-c", "exit 5", NULL};

	if (posix_spawn(&thread_child, argv[0], NULL, NULL, argv, environ) != 0)
		thread_child = -1;
	sem_post(&spawned);
	sem_wait(&release);
	return NULL;
}

static int uv_child_status = -1;
static void on_uv_exit(uv_process_t *p, int64_t status, int sig)
{
	uv_child_status = (int)status;
	uv_close((uv_handle_t *)p, NULL);
}

int main(void)
{
	struct berr err = BERR_INIT;
	pthread_t t;
	pid_t a, b, kids[100];
	int fds[2], status = -1, all;

	uv_loop_init(&loop);
	/* the reaper's handles are unref'd (they never keep a daemon up):
	 * this one keeps the loop alive, as the daemon's own handles do */
	uv_timer_init(&loop, &alive);
	uv_timer_start(&alive, on_alive, 3600 * 1000, 0);
	is_int(reaper_start(&loop, on_exit_cb, NULL, &err), 0,
	       "reaper started (subreaper)");

	a = child_exiting(7);
	ok(run_until(code_of(a) == 7, 5000), "a child of the loop thread: 7");

	sem_init(&spawned, 0, 0);
	sem_init(&release, 0, 0);
	pthread_create(&t, NULL, spawner, NULL);
	sem_wait(&spawned);
	ok(thread_child > 0 && run_until(code_of(thread_child) == 5, 5000),
	   "a child another thread spawned (as a worker's runc run): 5");
	sem_post(&release);
	pthread_join(t, NULL);

	/* an orphan: its parent exits at once, it exits later */
	if (pipe(fds) != 0)
		return 1;
	a = fork();
	if (a == 0) {
		pid_t g = fork();

		if (g == 0) {
			usleep(200000);
			_exit(9);
		}
		if (write(fds[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &b, sizeof(b)) != sizeof(b))
		b = -1;
	close(fds[0]);
	ok(run_until(code_of(a) == 0 && code_of(b) == 9, 5000),
	   "an orphan handed to the subreaper: its status (9), and its "
	   "parent's (0)");

	{
		static uv_process_t proc; /* closed later, on the loop */
		uv_process_options_t o = {0};
		char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};

		o.file = argv[0];
		o.args = argv;
		o.exit_cb = on_uv_exit;
		is_int(uv_spawn(&loop, &proc, &o), 0, "uv_spawn");
		b = proc.pid;
		/* a scan before libuv's own SIGCHLD handler has run */
		wait_exited(b);
		reaper_scan();
		ok(run_until(uv_child_status == 3, 5000),
		   "a uv_spawn child: libuv's exit callback has its status");
		is_int(times_seen(b), 0, "and the reaper never took it");
	}

	/* A worker's zombie first in line, another one behind it. */
	child_own_lock();
	a = child_exiting(11);
	child_own_add(a);
	child_own_unlock();
	b = child_exiting(12);
	wait_exited(a);
	wait_exited(b);
	reaper_scan();
	run_until(0, 100);
	is_int(times_seen(a), 0, "a worker's child is left to the worker");
	ok(waitpid(a, &status, WNOHANG) == a && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 11,
	   "which reaps it with its status (11)");
	child_own_remove(a);
	ok(run_until(code_of(b) == 12, 5000),
	   "the child behind it is reaped once it is gone (12), with no "
	   "new SIGCHLD");

	for (int i = 0; i < 100; i++)
		kids[i] = child_exiting(i);
	run_until(({
			  all = 1;
			  for (int i = 0; i < 100; i++)
				  all &= code_of(kids[i]) == i;
			  all;
		  }),
		  10000);
	ok(all, "100 children exiting at once: every status reported");
	all = 1;
	for (int i = 0; i < 100; i++)
		all &= times_seen(kids[i]) == 1;
	ok(all, "each once");
	ok(waitpid(-1, NULL, WNOHANG) == -1, "no zombie left behind");

	reaper_stop();
	uv_close((uv_handle_t *)&alive, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return tap_done();
}
