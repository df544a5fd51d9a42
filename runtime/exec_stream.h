/*
 * exec_stream.h - an interactive `RUNTIME exec`: stdin, stdout and stderr
 * streamed on the loop (pipes, or a terminal for a TTY), the exit code,
 * terminal resizes, and a stop that kills the command, not only the
 * runtime. Knows nothing of who is at the other end.
 */
#ifndef BERTH_RUNTIME_EXEC_STREAM_H
#define BERTH_RUNTIME_EXEC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "../common/err.h"

struct rt_exec_stream_cb {
	/* fd 1 or 2 (with a TTY everything is 1). */
	void (*on_output)(void *data, int fd, const char *buf, size_t len);
	/* Once, after the command exited and its output was read to the
	 * end: its exit code, 128+signal when killed. */
	void (*on_exit)(void *data, int exit_code);
};

struct rt_exec_stream;

/*
 * Starts `PATH [--root ROOT] exec --pid-file PID_DIR/... [-t] ID CMD...`.
 * with_stdin: the command reads what rt_exec_stream_write() sends (else
 * its stdin is /dev/null). NULL with err when the runtime cannot be
 * started. The callbacks fire until rt_exec_stream_stop().
 */
struct rt_exec_stream *rt_exec_stream_start(
    uv_loop_t *loop, const char *path, const char *root, const char *pid_dir,
    const char *id, char *const *cmd, size_t n, bool tty, bool with_stdin,
    const struct rt_exec_stream_cb *cb, void *data, struct berr *err);
/* Queues input; -1 when the command takes none (any more). */
int rt_exec_stream_write(struct rt_exec_stream *s, const char *buf, size_t len);
/* Bytes of input not yet taken by the command. */
size_t rt_exec_stream_queued(struct rt_exec_stream *s);
/* End of input: EOF on a pipe, ^D on a terminal. */
void rt_exec_stream_close_stdin(struct rt_exec_stream *s);
/* A TTY's new size (ignored without one). */
void rt_exec_stream_resize(struct rt_exec_stream *s, int cols, int rows);
/* Stops (true) or resumes reading the command's output (back-pressure). */
void rt_exec_stream_pause(struct rt_exec_stream *s, bool pause);
/* No more callbacks; kills the command and the runtime if still running;
 * the memory goes once libuv has closed everything. */
void rt_exec_stream_stop(struct rt_exec_stream *s);

#endif
