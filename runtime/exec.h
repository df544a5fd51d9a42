/*
 * exec.h - commands run inside a running container (`RUNTIME exec`): the
 * argument vector (also used by `berth exec`), and an asynchronous run
 * that can kill the command itself, found by the pid file the runtime
 * writes. Knows nothing about probes, hooks or pods.
 */
#ifndef BERTH_RUNTIME_EXEC_H
#define BERTH_RUNTIME_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/*
 * `PATH [--root ROOT] exec [--pid-file PID_FILE] [-t] ID CMD...`, NULL
 * terminated; root and pid_file may be NULL. The vector is allocated, its
 * strings are the caller's: free() the vector only.
 */
char **rt_exec_argv(const char *path, const char *root, const char *pid_file,
		    bool tty, const char *id, char *const *cmd, size_t n);

/*
 * exit_code: the command's (as the runtime passes it on), 128+signal, or -1
 * when the runtime could not be started (output then says why). output:
 * stdout+stderr, at most PROC_CAPTURE_MAX bytes, NUL-terminated. timed_out:
 * the timeout fired; the command and the runtime were SIGKILLed.
 */
typedef void (*rt_exec_cb)(void *data, int exit_code, const char *output,
			   bool timed_out);

struct rt_exec;

/*
 * Runs CMD in container id; the callback fires exactly once, unless
 * rt_exec_cancel() came first. The result is reported when the runtime
 * exits (or at the timeout), not when every holder of its output is gone.
 */
struct rt_exec *rt_exec_start(uv_loop_t *loop, const char *path,
			      const char *root, const char *id,
			      char *const *cmd, size_t n, unsigned timeout_ms,
			      rt_exec_cb cb, void *data);
/* Kills the command and the runtime; no callback fires after this. */
void rt_exec_cancel(struct rt_exec *x);

/*
 * Directory for the pid files the runtime writes (--pid-file); must be
 * private to the daemon, e.g. RUN_DIR/probes. Unset, a fresh
 * /tmp/berth-exec.XXXXXX is created on first use. NULL frees it.
 */
void rt_exec_set_pid_dir(const char *dir);

#endif
