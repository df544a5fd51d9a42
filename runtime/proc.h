/*
 * proc.h - run one helper program (the OCI runtime) asynchronously on the
 * loop: argv, stdio, optional output capture, optional timeout, one
 * completion callback. Knows nothing about pods.
 */
#ifndef BERTH_RUNTIME_PROC_H
#define BERTH_RUNTIME_PROC_H

#include <stddef.h>
#include <uv.h>

#define PROC_CAPTURE_MAX (10 * 1024)

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
	/* Report at the process's exit (with what its output pipe holds
	 * then) and at the timeout at once, instead of waiting for the
	 * pipe's EOF: a command that leaves a child holding its output
	 * must not delay the result. */
	int early;
};

struct proc;

/* Returns 0 when started; the callback then always fires exactly once. */
int proc_run(uv_loop_t *loop, const struct proc_opts *opts, proc_done_cb cb,
	     void *data);
/* The same, returning the process for proc_kill(); valid until its
 * callback has returned. */
struct proc *proc_start(uv_loop_t *loop, const struct proc_opts *opts,
			proc_done_cb cb, void *data);
/* Sends sig to the process unless it has exited. */
void proc_kill(struct proc *p, int sig);

/* Joins argv for messages: "runc --root /x run ..." (static buffer). */
const char *proc_argv_str(char *const *argv);

#endif
