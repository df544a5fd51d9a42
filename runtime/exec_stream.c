/*
 * exec_stream.c - an interactive `RUNTIME exec`: the command's stdin,
 * stdout and stderr as streams on the loop (pipes, or one terminal when
 * a TTY is asked for), its exit code, a resize, and a kill that reaches
 * the command itself (by the runtime's pid file) before the runtime.
 * Knows nothing of who is at the other end (the Kubernetes API's
 * WebSocket); must not reap anything (libuv reaps what it spawned).
 */
#include "exec_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "exec.h"

struct rt_exec_stream {
	uv_process_t proc;
	uv_pipe_t in, out, err; /* with a TTY: out is the terminal, both ways */
	bool tty, with_stdin;
	int open_handles;
	bool exited, out_eof, err_eof, reported, killed;
	int exit_code;
	int tty_fd; /* the terminal's controlling side (owned by `out`) */
	uv_timer_t linger; /* TTY: how long output may trail the exit */
	char pid_file[256];
	struct rt_exec_stream_cb cb;
	void *data;
};

#define LINGER_MS 300

static unsigned stream_seq;

static void maybe_free(struct rt_exec_stream *s)
{
	if (s->open_handles > 0)
		return;
	if (s->pid_file[0])
		unlink(s->pid_file);
	free(s);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct rt_exec_stream *s = h->data;
	s->open_handles--;
	maybe_free(s);
}

static void close_handle(struct rt_exec_stream *s, uv_handle_t *h)
{
	if (h->loop != NULL && !uv_is_closing(h))
		uv_close(h, on_handle_closed);
}

/* The end: once the process is gone and its output read to the end. */
static void maybe_report(struct rt_exec_stream *s)
{
	if (s->reported || !s->exited || !s->out_eof || !s->err_eof)
		return;
	s->reported = true;
	if (s->cb.on_exit)
		s->cb.on_exit(s->data, s->exit_code);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = xmalloc(16384);
	buf->len = 16384;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct rt_exec_stream *s = st->data;
	bool is_err = st == (uv_stream_t *)&s->err;

	if (n > 0 && s->cb.on_output && !s->killed)
		s->cb.on_output(s->data, is_err ? 2 : 1, buf->base, (size_t)n);
	free(buf->base);
	if (n < 0) { /* EOF, or EIO from a terminal whose last user left */
		uv_read_stop(st);
		if (is_err)
			s->err_eof = true;
		else
			s->out_eof = true;
		maybe_report(s);
	}
}

static void on_linger(uv_timer_t *t)
{
	struct rt_exec_stream *s = t->data;
	if (!s->out_eof) {
		uv_read_stop((uv_stream_t *)&s->out);
		s->out_eof = true;
		maybe_report(s);
	}
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct rt_exec_stream *s = p->data;

	s->exited = true;
	s->exit_code = sig ? 128 + sig : (int)status;
	/* A terminal ends (EIO) once its last holder is gone; one that a
	 * daemonised child keeps open never does: its output may trail the
	 * exit by LINGER_MS, then the exit is the end. */
	if (s->tty && !s->out_eof)
		uv_timer_start(&s->linger, on_linger, LINGER_MS, 0);
	maybe_report(s);
	close_handle(s, (uv_handle_t *)&s->proc);
}

static int open_terminal(int *ctl_fd, int *user_fd, struct berr *err)
{
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	if (openpty(ctl_fd, user_fd, NULL, NULL, &ws) == -1)
		return berr_errno(err, errno, "openpty");
	fcntl(*ctl_fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

struct rt_exec_stream *rt_exec_stream_start(
    uv_loop_t *loop, const char *path, const char *root, const char *pid_dir,
    const char *id, char *const *cmd, size_t n, bool tty, bool with_stdin,
    const struct rt_exec_stream_cb *cb, void *data, struct berr *err)
{
	struct rt_exec_stream *s = xcalloc(1, sizeof(*s));
	uv_process_options_t o = {0};
	uv_stdio_container_t stdio[3];
	int user_fd = -1, rc;
	char **argv;

	s->cb = *cb;
	s->data = data;
	s->tty = tty;
	s->with_stdin = with_stdin;
	s->tty_fd = -1;
	if (pid_dir)
		snprintf(s->pid_file, sizeof(s->pid_file),
			 "%s/stream-%d-%u.pid", pid_dir, (int)getpid(),
			 ++stream_seq);
	if (tty && open_terminal(&s->tty_fd, &user_fd, err) == -1) {
		free(s);
		return NULL;
	}
	argv = rt_exec_argv(path, root, s->pid_file[0] ? s->pid_file : NULL,
			    tty, id, cmd, n);
	o.file = argv[0];
	o.args = argv;
	o.exit_cb = on_exit_cb;
	o.stdio = stdio;
	o.stdio_count = 3;
	if (tty) {
		/* The runtime finds its host terminal on stdio and copies
		 * between it and the container's own terminal. */
		for (int i = 0; i < 3; i++) {
			stdio[i].flags = UV_INHERIT_FD;
			stdio[i].data.fd = user_fd;
		}
		o.flags = UV_PROCESS_DETACHED; /* its own session */
		uv_pipe_init(loop, &s->out, 0);
		s->out.data = s;
		uv_timer_init(loop, &s->linger);
		s->linger.data = s;
		s->open_handles += 2;
		s->err_eof = true;
	} else {
		uv_pipe_init(loop, &s->in, 0);
		uv_pipe_init(loop, &s->out, 0);
		uv_pipe_init(loop, &s->err, 0);
		s->in.data = s->out.data = s->err.data = s;
		s->open_handles += 3;
		stdio[0].flags =
		    with_stdin ? UV_CREATE_PIPE | UV_READABLE_PIPE : UV_IGNORE;
		stdio[0].data.stream = (uv_stream_t *)&s->in;
		stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[1].data.stream = (uv_stream_t *)&s->out;
		stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[2].data.stream = (uv_stream_t *)&s->err;
	}
	s->proc.data = s;
	rc = uv_spawn(loop, &s->proc, &o);
	free(argv);
	if (user_fd >= 0)
		close(user_fd);
	if (rc < 0) {
		berr_set(err, "%s: %s", path, uv_strerror(rc));
		if (s->tty_fd >= 0)
			close(s->tty_fd);
		s->reported = true;
		s->exited = true;
		s->open_handles++;
		close_handle(s, (uv_handle_t *)&s->proc);
		if (!tty) {
			close_handle(s, (uv_handle_t *)&s->in);
			close_handle(s, (uv_handle_t *)&s->err);
		} else {
			close_handle(s, (uv_handle_t *)&s->linger);
		}
		close_handle(s, (uv_handle_t *)&s->out);
		return NULL;
	}
	s->open_handles++; /* the process */
	if (tty) {
		if (uv_pipe_open(&s->out, s->tty_fd) < 0) {
			close(s->tty_fd);
			s->tty_fd = -1;
		}
	}
	uv_read_start((uv_stream_t *)&s->out, on_alloc, on_read);
	if (!tty)
		uv_read_start((uv_stream_t *)&s->err, on_alloc, on_read);
	return s;
}

struct stdin_write {
	uv_write_t req;
	char *buf;
};

static void on_stdin_written(uv_write_t *w, int status)
{
	struct stdin_write *sw = (struct stdin_write *)w;
	free(sw->buf);
	free(sw);
}

static uv_stream_t *input_of(struct rt_exec_stream *s)
{
	if (s->tty)
		return s->tty_fd >= 0 ? (uv_stream_t *)&s->out : NULL;
	return s->with_stdin ? (uv_stream_t *)&s->in : NULL;
}

int rt_exec_stream_write(struct rt_exec_stream *s, const char *buf, size_t len)
{
	uv_stream_t *st = input_of(s);
	if (st == NULL || uv_is_closing((uv_handle_t *)st) ||
	    !uv_is_writable(st))
		return -1;
	struct stdin_write *sw = xmalloc(sizeof(*sw));
	sw->buf = xmalloc(len);
	memcpy(sw->buf, buf, len);
	uv_buf_t b = uv_buf_init(sw->buf, (unsigned)len);
	if (uv_write(&sw->req, st, &b, 1, on_stdin_written) < 0) {
		free(sw->buf);
		free(sw);
		return -1;
	}
	return 0;
}

size_t rt_exec_stream_queued(struct rt_exec_stream *s)
{
	uv_stream_t *st = input_of(s);
	return st ? uv_stream_get_write_queue_size(st) : 0;
}

void rt_exec_stream_close_stdin(struct rt_exec_stream *s)
{
	if (s->tty) {
		/* A terminal has no half-close: the end of input is ^D. */
		rt_exec_stream_write(s, "\x04", 1);
		return;
	}
	if (s->with_stdin)
		close_handle(s, (uv_handle_t *)&s->in);
}

void rt_exec_stream_resize(struct rt_exec_stream *s, int cols, int rows)
{
	struct winsize ws = {.ws_row = (unsigned short)rows,
			     .ws_col = (unsigned short)cols};
	if (!s->tty || s->tty_fd < 0 || cols <= 0 || rows <= 0 ||
	    cols > 10000 || rows > 10000)
		return;
	/* The runtime resizes the container's terminal to its own on
	 * SIGWINCH. */
	if (ioctl(s->tty_fd, TIOCSWINSZ, &ws) == 0 && !s->exited)
		uv_process_kill(&s->proc, SIGWINCH);
}

void rt_exec_stream_pause(struct rt_exec_stream *s, bool pause)
{
	uv_stream_t *outs[2] = {(uv_stream_t *)&s->out,
				s->tty ? NULL : (uv_stream_t *)&s->err};
	for (int i = 0; i < 2; i++) {
		uv_stream_t *st = outs[i];
		bool eof = i == 0 ? s->out_eof : s->err_eof;
		if (!st || eof || uv_is_closing((uv_handle_t *)st))
			continue;
		if (pause)
			uv_read_stop(st);
		else
			uv_read_start(st, on_alloc, on_read);
	}
}

void rt_exec_stream_stop(struct rt_exec_stream *s)
{
	char *text = NULL;

	s->killed = true;
	s->cb.on_exit = NULL;
	s->cb.on_output = NULL;
	if (!s->exited) {
		/* The pid cannot have been reused: the runtime, which waits
		 * for it, has not exited. */
		if (s->pid_file[0] &&
		    file_read_all(s->pid_file, &text, NULL, NULL) == 0) {
			long pid = strtol(text, NULL, 10);
			if (pid > 1)
				kill((pid_t)pid, SIGKILL);
			free(text);
		}
		uv_process_kill(&s->proc, SIGKILL);
	}
	if (!s->tty) {
		close_handle(s, (uv_handle_t *)&s->in);
		close_handle(s, (uv_handle_t *)&s->err);
	} else {
		close_handle(s, (uv_handle_t *)&s->linger);
	}
	close_handle(s, (uv_handle_t *)&s->out);
}
