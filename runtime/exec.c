/*
 * exec.c - `RUNTIME exec` in a running container, on proc.c: the argument
 * vector, a private pid file per run, and on timeout or cancel a SIGKILL
 * to the command itself (by that pid file) and then to the runtime. Owns
 * its pid files; must not reap anything (libuv reaps what it spawned).
 */
#include "exec.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "proc.h"

struct rt_exec {
	struct proc *proc; /* NULL once it has reported */
	rt_exec_cb cb;	   /* NULL once cancelled */
	void *data;
	char pid_file[256];
};

static char *pid_dir;
static unsigned pid_seq;

char **rt_exec_argv(const char *path, const char *root, const char *pid_file,
		    bool tty, const char *id, char *const *cmd, size_t n)
{
	char **argv = xcalloc(n + 9, sizeof(char *));
	size_t i = 0;

	argv[i++] = (char *)path;
	if (root != NULL) {
		argv[i++] = "--root";
		argv[i++] = (char *)root;
	}
	argv[i++] = "exec";
	if (pid_file != NULL) {
		argv[i++] = "--pid-file";
		argv[i++] = (char *)pid_file;
	}
	if (tty)
		argv[i++] = "-t";
	argv[i++] = (char *)id;
	for (size_t k = 0; k < n; k++)
		argv[i++] = cmd[k];
	argv[i] = NULL;
	return argv;
}

void rt_exec_set_pid_dir(const char *dir)
{
	free(pid_dir);
	pid_dir = dir != NULL ? xstrdup(dir) : NULL;
}

static const char *exec_dir(void)
{
	char tmpl[] = "/tmp/berth-exec.XXXXXX";

	if (pid_dir == NULL && mkdtemp(tmpl) != NULL)
		pid_dir = xstrdup(tmpl);
	return pid_dir;
}

/*
 * The pid in the file cannot have been reused: the runtime is still
 * running (its exit was not seen) and it is the one that waits for it.
 */
/* runc writes the pid file as ".NAME" in the same folder, then renames
 * it: killed between the two, only that one holds the pid. */
static void temp_pid_file(const char *pid_file, char *out, size_t len)
{
	const char *slash = strrchr(pid_file, '/');
	int dir = slash ? (int)(slash - pid_file) : 0;

	snprintf(out, len, "%.*s%s.%s", dir, pid_file, slash ? "/" : "",
		 slash ? slash + 1 : pid_file);
}

static void kill_command(struct rt_exec *x)
{
	char *text = NULL, temp[sizeof(x->pid_file) + 2];
	long pid;

	if (x->proc == NULL)
		return;
	if (x->pid_file[0] != '\0') {
		temp_pid_file(x->pid_file, temp, sizeof(temp));
		if (file_read_all(x->pid_file, &text, NULL, NULL) == 0 ||
		    file_read_all(temp, &text, NULL, NULL) == 0) {
			pid = strtol(text, NULL, 10);
			if (pid > 1)
				kill((pid_t)pid, SIGKILL);
			free(text);
		}
	}
	proc_kill(x->proc, SIGKILL);
}

static void on_done(void *arg, int exit_code, const char *output, int timed_out)
{
	struct rt_exec *x = arg;

	if (timed_out)
		kill_command(x);
	x->proc = NULL;
	if (x->pid_file[0] != '\0') {
		char temp[sizeof(x->pid_file) + 2];

		temp_pid_file(x->pid_file, temp, sizeof(temp));
		unlink(x->pid_file);
		unlink(temp);
	}
	if (x->cb)
		x->cb(x->data, exit_code, output, timed_out != 0);
	free(x);
}

struct rt_exec *rt_exec_start(uv_loop_t *loop, const char *path,
			      const char *root, const char *id,
			      char *const *cmd, size_t n, unsigned timeout_ms,
			      rt_exec_cb cb, void *data)
{
	struct rt_exec *x = xcalloc(1, sizeof(*x));
	const char *dir = exec_dir();
	struct proc_opts opts = {0};
	char **argv;

	x->cb = cb;
	x->data = data;
	if (dir != NULL) {
		snprintf(x->pid_file, sizeof(x->pid_file), "%s/%d-%u.pid", dir,
			 (int)getpid(), ++pid_seq);
		unlink(x->pid_file);
	}
	argv = rt_exec_argv(path, root, x->pid_file[0] ? x->pid_file : NULL,
			    false, id, cmd, n);
	opts.argv = argv;
	opts.stdout_fd = opts.stderr_fd = -1;
	opts.capture = 1;
	opts.timeout_ms = timeout_ms;
	opts.early = 1;
	x->proc = proc_start(loop, &opts, on_done, x);
	free(argv);
	return x;
}

void rt_exec_cancel(struct rt_exec *x)
{
	x->cb = NULL;
	kill_command(x);
}
