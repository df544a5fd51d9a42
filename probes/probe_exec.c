/*
 * probe_exec.c - exec probes: `RUNTIME --root ROOT exec --pid-file FILE ID
 * CMD...` through uv_spawn, output captured (10 KiB kept), exit 0 is
 * success. On timeout the command inside the container is SIGKILLed by the
 * pid runc wrote, then runc exec itself. Owns its run and its pid files;
 * must not reap anything itself (libuv reaps its own children by pid) nor
 * apply thresholds (probe_done does).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "probe.h"
#include "probe_impl.h"

struct exec_run {
	struct probe *p; /* NULL once detached (done or cancelled) */
	uv_process_t proc;
	uv_pipe_t out;
	uv_timer_t timer;
	int open_handles;
	bool spawned;
	bool exited;
	bool out_closed;
	char *command;
	char pidfile[256];
	char output[PROBE_OUTPUT_MAX + 1];
	size_t outlen;
};

static char *pid_dir;
static unsigned pid_seq;

void probe_set_exec_dir(const char *dir)
{
	free(pid_dir);
	pid_dir = dir != NULL ? xstrdup(dir) : NULL;
}

/* Where runc writes the pid of each probe command: a private directory. */
static const char *exec_dir(struct berr *err)
{
	char tmpl[] = "/tmp/berth-probes.XXXXXX";

	if (pid_dir != NULL)
		return pid_dir;
	if (mkdtemp(tmpl) == NULL) {
		berr_errno(err, errno, "mkdtemp %s", tmpl);
		return NULL;
	}
	pid_dir = xstrdup(tmpl);
	return pid_dir;
}

static void on_close(uv_handle_t *h)
{
	struct exec_run *r = h->data;

	if (--r->open_handles > 0)
		return;
	if (r->pidfile[0] != '\0')
		unlink(r->pidfile);
	free(r->command);
	free(r);
}

static void close_out(struct exec_run *r)
{
	if (r->out_closed)
		return;
	r->out_closed = true;
	uv_close((uv_handle_t *)&r->out, on_close);
}

static void close_all(struct exec_run *r)
{
	close_out(r);
	uv_close((uv_handle_t *)&r->timer, on_close);
	uv_close((uv_handle_t *)&r->proc, on_close);
}

static void keep_output(struct exec_run *r, const char *buf, size_t n)
{
	size_t room = PROBE_OUTPUT_MAX - r->outlen;

	if (n > room)
		n = room;
	memcpy(r->output + r->outlen, buf, n);
	r->outlen += n;
	r->output[r->outlen] = '\0';
}

/* Picks up what the command wrote just before it exited. */
static void drain_output(struct exec_run *r)
{
	char buf[4096];
	uv_os_fd_t fd;
	ssize_t n;

	if (r->out_closed || uv_fileno((uv_handle_t *)&r->out, &fd) != 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		keep_output(r, buf, (size_t)n);
}

/* Output without trailing newlines, as a one-line message. */
static const char *output_text(struct exec_run *r)
{
	while (r->outlen > 0 && (r->output[r->outlen - 1] == '\n' ||
				 r->output[r->outlen - 1] == '\r'))
		r->output[--r->outlen] = '\0';
	return r->output;
}

static void run_finish(struct exec_run *r, enum probe_result res, int code,
		       const char *output)
{
	struct probe *p = r->p;
	struct probe_result_ctx ctx = {
	    .command = r->command, .code = code, .output = output};
	char detail[PROBE_MSG_MAX];

	if (p == NULL)
		return;
	r->p = NULL;
	p->run = NULL;
	uv_timer_stop(&r->timer);
	probe_result_detail(detail, sizeof(detail), res, &ctx);
	probe_done(p, res, detail);
}

/*
 * Kills the command in the container, then runc exec. The pid in the file
 * cannot have been reused: runc exec is still running (its exit was not
 * seen) and it is the one that waits for that process.
 */
static void kill_command(struct exec_run *r)
{
	char *text = NULL;
	struct berr err = BERR_INIT;
	long pid;

	if (r->exited)
		return;
	if (r->pidfile[0] != '\0' &&
	    file_read_all(r->pidfile, &text, NULL, &err) == 0) {
		pid = strtol(text, NULL, 10);
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
		free(text);
	}
	uv_process_kill(&r->proc, SIGKILL);
}

static void on_exit_cb(uv_process_t *proc, int64_t status, int term_signal)
{
	struct exec_run *r = proc->data;

	r->exited = true;
	drain_output(r);
	if (term_signal != 0)
		run_finish(r, PROBE_RESULT_EXEC_EXIT, 128 + term_signal,
			   output_text(r));
	else if (status != 0)
		run_finish(r, PROBE_RESULT_EXEC_EXIT, (int)status,
			   output_text(r));
	else
		run_finish(r, PROBE_RESULT_OK, 0, NULL);
	close_all(r);
}

static void run_cancel(void *run)
{
	struct exec_run *r = run;

	r->p = NULL;
	uv_timer_stop(&r->timer);
	/* Handles close once libuv has reaped runc exec (on_exit_cb). */
	kill_command(r);
}

static void on_timeout(uv_timer_t *t)
{
	struct exec_run *r = t->data;

	if (r->p == NULL)
		return;
	kill_command(r);
	run_finish(r, PROBE_RESULT_TIMEOUT, 0, NULL);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char scratch[4096];

	buf->base = scratch;
	buf->len = sizeof(scratch);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct exec_run *r = s->data;

	if (nread > 0)
		keep_output(r, buf->base, (size_t)nread);
	else if (nread < 0)
		close_out(r);
}

void probe_exec_run(struct probe *p)
{
	const struct probe_target *t = &p->set->target;
	struct exec_run *r = xcalloc(1, sizeof(*r));
	uv_process_options_t opts = {0};
	uv_stdio_container_t stdio[3];
	struct berr err = BERR_INIT;
	const char *dir, **argv;
	size_t i, n = 0;
	int sv[2], rc;

	r->command = xstrdup(p->command_text);
	r->p = p;
	if (p->h.exec_command.n == 0 || t->runtime == NULL ||
	    t->container_id == NULL) {
		free(r->command);
		free(r);
		probe_done(p, PROBE_RESULT_EXEC_ERROR,
			   "no command, runtime or container to exec in");
		return;
	}
	dir = exec_dir(&err);
	if (dir == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		if (dir != NULL)
			berr_errno(&err, errno, "socketpair");
		probe_done(p, PROBE_RESULT_EXEC_ERROR, err.msg);
		free(r->command);
		free(r);
		return;
	}
	snprintf(r->pidfile, sizeof(r->pidfile), "%s/%d-%u.pid", dir,
		 (int)getpid(), ++pid_seq);
	unlink(r->pidfile);

	argv = xcalloc(p->h.exec_command.n + 9, sizeof(char *));
	argv[n++] = t->runtime;
	if (t->runtime_root != NULL) {
		argv[n++] = "--root";
		argv[n++] = t->runtime_root;
	}
	argv[n++] = "exec";
	argv[n++] = "--pid-file";
	argv[n++] = r->pidfile;
	argv[n++] = t->container_id;
	for (i = 0; i < p->h.exec_command.n; i++)
		argv[n++] = p->h.exec_command.v[i];
	argv[n] = NULL;

	uv_pipe_init(p->set->loop, &r->out, 0);
	uv_pipe_open(&r->out, sv[0]);
	uv_timer_init(p->set->loop, &r->timer);
	r->out.data = r->timer.data = r->proc.data = r;
	r->open_handles = 3;

	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = sv[1];
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = sv[1];
	opts.file = t->runtime;
	opts.args = (char **)argv;
	opts.exit_cb = on_exit_cb;
	opts.stdio = stdio;
	opts.stdio_count = 3;
	rc = uv_spawn(p->set->loop, &r->proc, &opts);
	close(sv[1]);
	free(argv);
	if (rc != 0) {
		char text[256];

		snprintf(text, sizeof(text), "%s: %s", t->runtime,
			 uv_strerror(rc));
		r->pidfile[0] = '\0';
		run_finish(r, PROBE_RESULT_EXEC_ERROR, 0, text);
		close_all(r);
		return;
	}
	p->run = r;
	p->cancel = run_cancel;
	uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
	uv_timer_start(&r->timer, on_timeout, p->timeout_ms, 0);
}
