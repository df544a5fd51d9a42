/*
 * proc.c - asynchronous helper processes: uv_spawn + pipe capture + timer.
 * libuv reaps the child; completion is reported once, after the process has
 * exited and its output pipe reached EOF.
 */
#include "proc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/xalloc.h"

struct proc {
	uv_process_t process;
	uv_pipe_t out;
	uv_timer_t timer;
	proc_done_cb cb;
	void *data;
	char buf[PROC_CAPTURE_MAX + 1];
	size_t len;
	int exit_code;
	int timed_out;
	int exited;
	int pipe_open;
	int early;
	int handles; /* open libuv handles; free at zero */
};

static void proc_handle_closed(uv_handle_t *h)
{
	struct proc *p = h->data;

	if (--p->handles == 0)
		free(p);
}

static void keep(struct proc *p, const char *data, size_t n)
{
	size_t room = PROC_CAPTURE_MAX - p->len;
	size_t take = n < room ? n : room;

	memcpy(p->buf + p->len, data, take);
	p->len += take;
}

/* Early mode: takes what the pipe holds now and closes it. */
static void drain_and_close(struct proc *p)
{
	char scratch[4096];
	uv_os_fd_t fd;
	ssize_t n;

	if (!p->pipe_open)
		return;
	if (uv_fileno((uv_handle_t *)&p->out, &fd) == 0)
		while ((n = read(fd, scratch, sizeof(scratch))) > 0)
			keep(p, scratch, (size_t)n);
	p->pipe_open = 0;
	uv_close((uv_handle_t *)&p->out, proc_handle_closed);
}

static void proc_maybe_finish(struct proc *p)
{
	if (!p->exited || p->pipe_open)
		return;
	p->buf[p->len] = '\0';
	if (p->cb)
		p->cb(p->data, p->exit_code, p->buf, p->timed_out);
	p->cb = NULL;
	uv_close((uv_handle_t *)&p->process, proc_handle_closed);
	uv_close((uv_handle_t *)&p->timer, proc_handle_closed);
}

static void proc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char scratch[4096];

	buf->base = scratch;
	buf->len = sizeof(scratch);
}

static void proc_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct proc *p = s->data;

	if (n > 0) {
		keep(p, buf->base, (size_t)n);
		return;
	}
	if (n < 0) {
		p->pipe_open = 0;
		uv_close((uv_handle_t *)&p->out, proc_handle_closed);
		proc_maybe_finish(p);
	}
}

static void proc_exit(uv_process_t *h, int64_t status, int signo)
{
	struct proc *p = h->data;

	p->exit_code = signo ? 128 + signo : (int)status;
	p->exited = 1;
	if (p->early)
		drain_and_close(p);
	if (!p->timed_out)
		uv_timer_stop(&p->timer);
	proc_maybe_finish(p);
}

/* Five seconds after SIGKILL: whatever still holds the output pipe (a
 * grandchild) or an exit that never came must not stall the caller. */
static void proc_give_up(uv_timer_t *t)
{
	struct proc *p = t->data;

	if (!p->exited) {
		p->exited = 1;
		p->exit_code = 128 + SIGKILL;
	}
	if (p->pipe_open) {
		p->pipe_open = 0;
		uv_close((uv_handle_t *)&p->out, proc_handle_closed);
	}
	proc_maybe_finish(p);
}

static void proc_timeout(uv_timer_t *t)
{
	struct proc *p = t->data;

	p->timed_out = 1;
	uv_process_kill(&p->process, SIGKILL);
	uv_timer_start(&p->timer, proc_give_up, 5000, 0);
	if (p->early && p->cb) {
		p->buf[p->len] = '\0';
		p->cb(p->data, 128 + SIGKILL, p->buf, 1);
		p->cb = NULL;
	}
}

static void proc_spawn_failed(uv_timer_t *t)
{
	proc_maybe_finish(t->data);
}

int proc_run(uv_loop_t *loop, const struct proc_opts *o, proc_done_cb cb,
	     void *data)
{
	proc_start(loop, o, cb, data);
	return 0;
}

void proc_kill(struct proc *p, int sig)
{
	if (!p->exited)
		uv_process_kill(&p->process, sig);
}

struct proc *proc_start(uv_loop_t *loop, const struct proc_opts *o,
			proc_done_cb cb, void *data)
{
	struct proc *p = xcalloc(1, sizeof(*p));
	uv_process_options_t opts;
	uv_stdio_container_t stdio[3];
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[2] = {-1, -1};
	int r;

	p->cb = cb;
	p->data = data;
	p->early = o->early;
	p->process.data = p;
	p->out.data = p;
	p->timer.data = p;

	memset(&opts, 0, sizeof(opts));
	opts.file = o->argv[0];
	opts.args = (char **)o->argv;
	opts.exit_cb = proc_exit;
	opts.stdio = stdio;
	opts.stdio_count = 3;
	stdio[0].flags = UV_INHERIT_FD;
	stdio[0].data.fd = devnull;

	/* One pipe for both streams, so messages keep their order. */
	if (o->capture && (o->stdout_fd < 0 || o->stderr_fd < 0) &&
	    pipe2(fds, O_CLOEXEC) == 0) {
		uv_pipe_init(loop, &p->out, 0);
		uv_pipe_open(&p->out, fds[0]);
		p->handles++;
		p->pipe_open = 1;
	}
	for (int i = 1; i <= 2; i++) {
		int fd = i == 1 ? o->stdout_fd : o->stderr_fd;

		stdio[i].flags = UV_INHERIT_FD;
		stdio[i].data.fd = fd >= 0	  ? fd
				   : p->pipe_open ? fds[1]
						  : devnull;
	}

	uv_timer_init(loop, &p->timer);
	p->handles++;
	r = uv_spawn(loop, &p->process, &opts);
	p->handles++; /* the process handle is closed even when spawn failed */
	if (devnull >= 0)
		close(devnull);
	if (fds[1] >= 0)
		close(fds[1]);
	if (r != 0) {
		snprintf(p->buf, sizeof(p->buf), "%s: %s", o->argv[0],
			 uv_strerror(r));
		p->len = strlen(p->buf);
		p->exit_code = -1;
		p->exited = 1;
		if (p->pipe_open) {
			p->pipe_open = 0;
			uv_close((uv_handle_t *)&p->out, proc_handle_closed);
		}
		/* Report from the loop, never from inside the caller. */
		uv_timer_start(&p->timer, proc_spawn_failed, 0, 0);
		return p;
	}
	/* Unread, the pipe would never reach EOF: give up on the output. */
	if (p->pipe_open &&
	    uv_read_start((uv_stream_t *)&p->out, proc_alloc, proc_read) != 0) {
		p->pipe_open = 0;
		uv_close((uv_handle_t *)&p->out, proc_handle_closed);
	}
	if (o->timeout_ms)
		uv_timer_start(&p->timer, proc_timeout, o->timeout_ms, 0);
	return p;
}

const char *proc_argv_str(char *const *argv)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i] && len < sizeof(buf) - 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? " " : "", argv[i]);
	return buf;
}
