/*
 * runtime.c - builds runtime command lines and turns their results into
 * messages a user can act on. The runtime's stderr is the container's log
 * file (pass-through stdio), so its own errors are read back from its
 * --log file, never swallowed.
 */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "bundle.h"
#include "cgroup.h"
#include "proc.h"
#include "rootfs.h"

extern char **environ;

static const struct rt_ops real_ops;

static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	cleanup_free char *copy = NULL;
	char *dir, *save = NULL;

	if (path == NULL || *path == '\0')
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/"
		       "sbin:/bin";
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		char *candidate = xasprintf("%s/%s", dir, name);

		if (access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
	}
	return NULL;
}

int rt_init(struct rt *rt, uv_loop_t *loop, const char *runtime,
	    const char *run_dir, struct berr *err)
{
	const char *base;

	memset(rt, 0, sizeof(*rt));
	rt->ops = &real_ops;
	rt->loop = loop;
	if (runtime[0] == '/') {
		if (access(runtime, X_OK) != 0)
			return berr_errno(err, errno, "runtime `%s`", runtime);
		rt->path = xstrdup(runtime);
	} else {
		rt->path = find_in_path(runtime);
		if (rt->path == NULL)
			return berr_set(err,
					"runtime `%s` not found in PATH "
					"(install the Debian package `%s`)",
					runtime, runtime);
	}
	base = strrchr(rt->path, '/');
	rt->name = xstrdup(base ? base + 1 : rt->path);
	rt->root = xasprintf("%s/runc", run_dir);
	if (mkdir_p(rt->root, 0700, err) == -1)
		return -1;
	return rt_cgroup_check_host(rt->name, err);
}

void rt_free(struct rt *rt)
{
	xfree(rt->path);
	xfree(rt->name);
	xfree(rt->root);
}

void rt_log_error(const char *log_path, char *buf, size_t len)
{
	cleanup_free char *text = NULL;
	char *line, *save = NULL;

	buf[0] = '\0';
	if (file_read_all(log_path, &text, NULL, NULL) == -1)
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *level, *msg;

		if (j == NULL) {
			snprintf(buf, len, "%s", line);
			continue;
		}
		level = json_string_value(json_object_get(j, "level"));
		msg = json_string_value(json_object_get(j, "msg"));
		if (msg && level &&
		    (!strcmp(level, "error") || !strcmp(level, "fatal")))
			snprintf(buf, len, "%s", msg);
		json_decref(j);
	}
}

struct rt_call {
	rt_done_cb cb;
	void *data;
	char *log_path;
	char *what;
};

static void rt_call_done(void *arg, int exit_code, const char *output,
			 int timed_out)
{
	struct rt_call *call = arg;
	char msg[1024];

	msg[0] = '\0';
	if (exit_code != 0) {
		char logmsg[768] = "";

		if (call->log_path)
			rt_log_error(call->log_path, logmsg, sizeof(logmsg));
		if (logmsg[0] == '\0' && output && output[0])
			snprintf(logmsg, sizeof(logmsg), "%s", output);
		/* trim a trailing newline from captured output */
		for (size_t l = strlen(logmsg); l && logmsg[l - 1] == '\n';)
			logmsg[--l] = '\0';
		if (timed_out)
			snprintf(msg, sizeof(msg), "%s timed out", call->what);
		else
			snprintf(msg, sizeof(msg), "%s failed (exit %d)%s%s",
				 call->what, exit_code, logmsg[0] ? ": " : "",
				 logmsg);
	}
	call->cb(call->data, exit_code == 0 ? 0 : -1, msg);
	free(call->log_path);
	free(call->what);
	free(call);
}

static int real_run(struct rt *rt, const char *id, const char *bundle,
		    int log_fd, rt_done_cb cb, void *data)
{
	struct rt_call *call = xcalloc(1, sizeof(*call));
	cleanup_free char *pid_file = xasprintf("%s/pid", bundle);
	struct proc_opts opts = {0};
	char *argv[] = {rt->path,	"--root",	rt->root, "--log",
			NULL,		"--log-format", "json",	  "run",
			"--detach",	"--pid-file",	pid_file, "--bundle",
			(char *)bundle, (char *)id,	NULL};

	call->cb = cb;
	call->data = data;
	call->log_path = xasprintf("%s/runtime.log", bundle);
	call->what = xasprintf("%s run", rt->name);
	argv[4] = call->log_path;
	unlink(call->log_path);
	unlink(pid_file);
	opts.argv = argv;
	opts.stdout_fd = log_fd;
	opts.stderr_fd = log_fd;
	opts.timeout_ms = 120000;
	return proc_run(rt->loop, &opts, rt_call_done, call);
}

static struct rt_exec *real_exec(struct rt *rt, const char *id,
				 char *const *cmd, size_t n,
				 unsigned timeout_ms, rt_exec_cb cb, void *data)
{
	return rt_exec_start(rt->loop, rt->path, rt->root, id, cmd, n,
			     timeout_ms, cb, data);
}

static int real_delete(struct rt *rt, const char *id, rt_done_cb cb, void *data)
{
	struct rt_call *call = xcalloc(1, sizeof(*call));
	struct proc_opts opts = {0};
	char *argv[] = {rt->path,  "--root",   rt->root, "delete",
			"--force", (char *)id, NULL};

	call->cb = cb;
	call->data = data;
	call->what = xasprintf("%s delete", rt->name);
	opts.argv = argv;
	opts.stdout_fd = -1;
	opts.stderr_fd = -1;
	opts.capture = 1;
	opts.timeout_ms = 60000;
	return proc_run(rt->loop, &opts, rt_call_done, call);
}

/* Runs argv to completion, capturing stdout; start-up use only. */
static int run_capture_sync(char *const argv[], char **out)
{
	posix_spawn_file_actions_t fa;
	int fds[2];
	pid_t pid;
	int status;
	size_t cap = 4096, len = 0;
	char *buf;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		n = read(fds[0], buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int real_state_sync(struct rt *rt, const char *id, char *status,
			   size_t len, pid_t *pid)
{
	char *argv[] = {rt->path, "--root",   rt->root,
			"state",  (char *)id, NULL};
	cleanup_free char *out = NULL;
	json_t *j;
	int rc = run_capture_sync(argv, &out);

	if (rc != 0 || out == NULL)
		return -1;
	j = json_loads(out, 0, NULL);
	if (j == NULL)
		return -1;
	snprintf(status, len, "%s",
		 json_string_value(json_object_get(j, "status"))
		     ? json_string_value(json_object_get(j, "status"))
		     : "unknown");
	*pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
	return 0;
}

static int real_list_sync(struct rt *rt, char ***ids, size_t *n)
{
	char *argv[] = {rt->path,   "--root", rt->root, "list",
			"--format", "json",   NULL};
	cleanup_free char *out = NULL;
	json_t *j, *item;
	size_t i;

	*ids = NULL;
	*n = 0;
	if (run_capture_sync(argv, &out) != 0 || out == NULL)
		return -1;
	j = json_loads(out, 0, NULL);
	if (!json_is_array(j)) {
		json_decref(j);
		return 0; /* runc prints "null" for no containers */
	}
	*ids = xcalloc(json_array_size(j) + 1, sizeof(char *));
	json_array_foreach(j, i, item)
	{
		const char *id = json_string_value(json_object_get(item, "id"));

		if (id)
			(*ids)[(*n)++] = xstrdup(id);
	}
	json_decref(j);
	return 0;
}

static void real_delete_sync(struct rt *rt, const char *id)
{
	char *argv[] = {rt->path,  "--root",   rt->root, "delete",
			"--force", (char *)id, NULL};

	run_capture_sync(argv, NULL);
}

/* --- a pod's container: rootfs, bundle, run ------------------------------ */

struct create_call {
	rt_run_cb cb;
	void *data;
	char *pid_file;
};

static void on_run_done(void *arg, int rc, const char *message)
{
	struct create_call *c = arg;
	cleanup_free char *text = NULL;
	pid_t pid = 0;

	if (rc == 0) {
		if (file_read_all(c->pid_file, &text, NULL, NULL) == 0)
			pid = (pid_t)atoi(text);
		if (pid <= 0) {
			rc = -1;
			message = "runtime reported success but wrote no pid";
		}
	}
	c->cb(c->data, rc, rc == 0 ? pid : 0, message);
	free(c->pid_file);
	free(c);
}

static int real_create(struct rt *rt, const struct rt_pod *pod, rt_run_cb cb,
		       void *data, struct berr *err)
{
	cleanup_free char *bundle = xasprintf("%s/bundle", pod->dir);
	cleanup_free char *rootfs = xasprintf("%s/bundle/rootfs", pod->dir);
	cleanup_free char *cgroup = rt_cgroup_path(pod->name);
	struct bundle_params params = {0};
	struct create_call *c;
	json_t *config = NULL;
	int log_fd;

	if (rootfs_mount(pod->spec->image, pod->dir, err) == -1)
		return -1;
	params.pod_name = pod->name;
	params.rootfs = rootfs;
	params.cgroup_path = cgroup;
	if (bundle_build(pod->spec, &params, &config, err) == -1 ||
	    bundle_write(bundle, config, err) == -1) {
		json_decref(config);
		return -1;
	}
	json_decref(config);
	log_fd = open(pod->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		      0640);
	if (log_fd == -1)
		return berr_errno(err, errno, "open log `%s`", pod->log_path);
	c = xcalloc(1, sizeof(*c));
	c->cb = cb;
	c->data = data;
	c->pid_file = xasprintf("%s/pid", bundle);
	real_run(rt, pod->name, bundle, log_fd, on_run_done, c);
	close(log_fd);
	return 0;
}

static int real_pidfd(struct rt *rt, pid_t pid)
{
	return (int)pidfd_open(pid, 0);
}

static int real_signal(struct rt *rt, int pidfd, int sig)
{
	if (pidfd < 0) {
		errno = EBADF;
		return -1;
	}
	return pidfd_send_signal(pidfd, sig, NULL, 0);
}

static int real_unmount(struct rt *rt, const char *dir, struct berr *err)
{
	return rootfs_unmount(dir, err);
}

static int real_remove_dir(struct rt *rt, const char *dir, struct berr *err)
{
	return rootfs_remove(dir, err);
}

static int real_stats(struct rt *rt, const char *id, struct rt_cgroup_stats *st)
{
	(void)rt;
	return rt_cgroup_stats(id, st);
}

static const struct rt_ops real_ops = {
    .create = real_create,
    .remove = real_delete,
    .exec = real_exec,
    .pidfd = real_pidfd,
    .signal = real_signal,
    .unmount = real_unmount,
    .remove_dir = real_remove_dir,
    .state_sync = real_state_sync,
    .list_sync = real_list_sync,
    .delete_sync = real_delete_sync,
    .stats = real_stats,
};

/* --- dispatch ------------------------------------------------------------ */

int rt_create(struct rt *rt, const struct rt_pod *pod, rt_run_cb cb, void *data,
	      struct berr *err)
{
	return rt->ops->create(rt, pod, cb, data, err);
}

int rt_delete(struct rt *rt, const char *id, rt_done_cb cb, void *data)
{
	return rt->ops->remove(rt, id, cb, data);
}

struct rt_exec *rt_exec(struct rt *rt, const char *id, char *const *cmd,
			size_t n, unsigned timeout_ms, rt_exec_cb cb,
			void *data)
{
	return rt->ops->exec(rt, id, cmd, n, timeout_ms, cb, data);
}

int rt_pidfd(struct rt *rt, pid_t pid)
{
	return rt->ops->pidfd(rt, pid);
}

int rt_signal(struct rt *rt, int pidfd, int sig)
{
	return rt->ops->signal(rt, pidfd, sig);
}

int rt_unmount(struct rt *rt, const char *dir, struct berr *err)
{
	return rt->ops->unmount(rt, dir, err);
}

int rt_remove_dir(struct rt *rt, const char *dir, struct berr *err)
{
	return rt->ops->remove_dir(rt, dir, err);
}

int rt_state_sync(struct rt *rt, const char *id, char *status, size_t len,
		  pid_t *pid)
{
	return rt->ops->state_sync(rt, id, status, len, pid);
}

int rt_list_sync(struct rt *rt, char ***ids, size_t *n)
{
	return rt->ops->list_sync(rt, ids, n);
}

void rt_delete_sync(struct rt *rt, const char *id)
{
	rt->ops->delete_sync(rt, id);
}

int rt_stats(struct rt *rt, const char *id, struct rt_cgroup_stats *st)
{
	if (rt->ops->stats == NULL) {
		memset(st, 0, sizeof(*st));
		return -1;
	}
	return rt->ops->stats(rt, id, st);
}
