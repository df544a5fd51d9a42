/*
 * proc.h - run one helper program (the OCI runtime) asynchronously on the
 * loop: argv, stdio, optional output capture, optional timeout, one
 * completion callback. Knows nothing about pods.
 */
#ifndef BERTH_RUNTIME_PROC_H
#define BERTH_RUNTIME_PROC_H

#include <stddef.h>
#include <uv.h>

#define PROC_CAPTURE_MAX 8192

/*
 * exit_code: the program's exit code, 128+signal if killed, -1 if it could
 * not be started (output then holds the reason). output: captured
 * stdout+stderr (when capture was asked for), NUL-terminated, possibly
 * truncated to PROC_CAPTURE_MAX. timed_out: the timeout fired and the
 * process was SIGKILLed.
 */
typedef void (*proc_done_cb)(void *data, int exit_code, const char *output,
			     int timed_out);

struct proc_opts {
	char *const *argv;
	int stdout_fd;	     /* -1: capture (or /dev/null when !capture) */
	int stderr_fd;	     /* -1: capture (or /dev/null when !capture) */
	int capture;	     /* capture stdout/stderr given as -1 */
	unsigned timeout_ms; /* 0: none */
};

/* Returns 0 when started; the callback then always fires exactly once. */
int proc_run(uv_loop_t *loop, const struct proc_opts *opts, proc_done_cb cb,
	     void *data);

/* Joins argv for messages: "runc --root /x run ..." (static buffer). */
const char *proc_argv_str(char *const *argv);

#endif
