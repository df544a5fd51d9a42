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
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/child_own.h"
#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "bundle.h"
#include "cgroup.h"
#include "logd.h"
#include "logs.h"
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

/*
 * How many pod set-ups (mount, bundle, `run`) run at once: one per CPU.
 * A runtime start is mostly CPU (runc and its init, Go's start-up); more
 * at once only lengthens each, takes the thread pool's threads from
 * other jobs (pod records, image work) and keeps the daemon's own loop
 * waiting for a CPU. BERTH_START_CONCURRENCY overrides it (a measure).
 */
static unsigned create_limit(void)
{
	const char *v = getenv("BERTH_START_CONCURRENCY");
	long n = v ? strtol(v, NULL, 10) : 0;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > 64 ? 64 : (unsigned)n;
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
	rt->run_dir = xstrdup(run_dir);
	rt->create_limit = create_limit();
	if (mkdir_p(rt->root, 0700, err) == -1)
		return -1;
	return rt_cgroup_check_host(rt->name, err);
}

static void create_queue_drop(struct rt *rt);

void rt_free(struct rt *rt)
{
	create_queue_drop(rt);
	xfree(rt->path);
	xfree(rt->name);
	xfree(rt->root);
	xfree(rt->run_dir);
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

static void parse_state(const char *out, struct rt_state *st)
{
	json_t *j = json_loads(out, 0, NULL);
	const char *status = json_string_value(json_object_get(j, "status"));

	st->rc = j ? 0 : -1;
	snprintf(st->status, sizeof(st->status), "%s",
		 status ? status : "unknown");
	st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
}

/* Every `RUNTIME state` started before the first is read: n containers
 * take about as long as one. */
static void real_state_many(struct rt *rt, const char *const *ids, size_t n,
			    struct rt_state *out)
{
	pid_t *pids = xcalloc(n + 1, sizeof(*pids));
	int *fds = xcalloc(n + 1, sizeof(*fds));

	for (size_t i = 0; i < n; i++) {
		char *argv[] = {rt->path, "--root",	  rt->root,
				"state",  (char *)ids[i], NULL};
		posix_spawn_file_actions_t fa;
		int p[2];

		out[i].rc = -1;
		fds[i] = -1;
		if (pipe2(p, O_CLOEXEC) == -1)
			continue;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
						 0);
		if (posix_spawn(&pids[i], argv[0], &fa, NULL, argv, environ) !=
		    0) {
			pids[i] = 0;
			close(p[0]);
		} else {
			fds[i] = p[0];
		}
		posix_spawn_file_actions_destroy(&fa);
		close(p[1]);
	}
	for (size_t i = 0; i < n; i++) {
		char buf[8192];
		size_t len = 0;
		int status;

		if (fds[i] < 0)
			continue;
		for (;;) {
			ssize_t r =
			    read(fds[i], buf + len, sizeof(buf) - 1 - len);

			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += (size_t)r;
			if (len == sizeof(buf) - 1)
				break;
		}
		buf[len] = '\0';
		close(fds[i]);
		while (waitpid(pids[i], &status, 0) == -1 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			parse_state(buf, &out[i]);
	}
	free(pids);
	free(fds);
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
	uv_work_t work;
	struct create_call *next; /* waiting for a slot (create_limit) */
	struct rt *rt;
	rt_run_cb cb;
	void *data;
	char *pid_file;
	/* the set-up's inputs, copied: it runs on a worker thread */
	char *name, *dir, *log_path, *image, *lowerdir;
	off_t log_max_bytes;
	int log_max_files;
	const struct deployment_spec *spec; /* the caller keeps it alive */
	struct bundle_image *img;
	/* when each step began (uv_hrtime, ns): queued, given a slot, on a
	 * worker, the runtime spawned, exited; logged with -d */
	uint64_t t_queued, t_slot, t_worker, t_spawn, t_exit;
	/* the container's stdout and stderr: write ends of the pipes whose
	 * read ends the log collector holds */
	int out_fd, err_fd;
	int rc;
	struct berr err;
};

static void create_call_free(struct create_call *c)
{
	free(c->pid_file);
	free(c->name);
	free(c->dir);
	free(c->log_path);
	free(c->image);
	free(c->lowerdir);
	bundle_image_free(c->img);
	free(c);
}

/* Set-ups that never got a slot, once the loop has ended: dropped. */
static void create_queue_drop(struct rt *rt)
{
	while (rt->create_head) {
		struct create_call *c = rt->create_head;

		rt->create_head = c->next;
		create_call_free(c);
	}
	rt->create_tail = NULL;
}

/*
 * Worker thread: `RUNTIME run --detach` spawned here (posix_spawn: no copy
 * of berth's memory, and no wait on the loop for the child to exec) and
 * waited for here, within the same 120 s as any runtime call. The reaper
 * leaves the child alone (child_own.h). Sets c->rc and c->err.
 */
static void run_in_worker(struct create_call *c, const char *bundle)
{
	cleanup_free char *log_path = xasprintf("%s/runtime.log", bundle);
	char *argv[] = {c->rt->path,	"--root",	c->rt->root, "--log",
			log_path,	"--log-format", "json",	     "run",
			"--detach",	"--pid-file",	c->pid_file, "--bundle",
			(char *)bundle, c->name,	NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	struct pollfd pfd;
	int status = 0, r, pidfd;
	char logmsg[768] = "";
	pid_t pid;

	unlink(log_path);
	unlink(c->pid_file);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	/* worker threads block every signal; the runtime must not */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, c->out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, c->err_fd, 2);
	child_own_lock();
	c->t_spawn = uv_hrtime();
	r = posix_spawn(&pid, c->rt->path, &fa, &attr, argv, environ);
	if (r == 0)
		child_own_add(pid);
	child_own_unlock();
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0) {
		berr_errno(&c->err, r, "%s run: spawn", c->rt->name);
		c->rc = -1;
		return;
	}
	pidfd = (int)pidfd_open(pid, 0);
	if (pidfd >= 0) {
		pfd.fd = pidfd;
		pfd.events = POLLIN;
		do
			r = poll(&pfd, 1, 120000);
		while (r == -1 && errno == EINTR);
		if (r == 0)
			kill(pid, SIGKILL);
		close(pidfd);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	c->t_exit = uv_hrtime();
	child_own_remove(pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		c->rc = 0;
		return;
	}
	rt_log_error(log_path, logmsg, sizeof(logmsg));
	if (WIFSIGNALED(status))
		berr_set(&c->err, "%s run timed out", c->rt->name);
	else
		berr_set(&c->err, "%s run failed (exit %d)%s%s", c->rt->name,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 logmsg[0] ? ": " : "", logmsg);
	c->rc = -1;
}

/*
 * Worker thread: a pipe for stdout and one for stderr; their read ends
 * go to the log collector (logd.h), which writes the log file, so the
 * container never writes a file itself and a daemon crash leaves its
 * output a reader. Close-on-exec until posix_spawn's dup2.
 */
static int open_log_pipes(struct create_call *c)
{
	int out[2], err[2];

	if (pipe2(out, O_CLOEXEC) == -1)
		return berr_errno(&c->err, errno,
				  "pipe for the container's "
				  "output");
	if (pipe2(err, O_CLOEXEC) == -1) {
		berr_errno(&c->err, errno, "pipe for the container's output");
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if (logd_register(c->rt->run_dir, c->log_path, c->log_max_bytes,
			  c->log_max_files, out[0], err[0], &c->err) == -1) {
		berr_wrap(&c->err, "container log `%s`", c->log_path);
		for (int i = 0; i < 2; i++) {
			close(out[i]);
			close(err[i]);
		}
		return -1;
	}
	close(out[0]);
	close(err[0]);
	c->out_fd = out[1];
	c->err_fd = err[1];
	return 0;
}

/* Worker thread: the rootfs mount, config.json (written and synced), the
 * log pipes; nothing here touches the loop. */
static void create_work(uv_work_t *w)
{
	struct create_call *c = w->data;
	cleanup_free char *bundle = xasprintf("%s/bundle", c->dir);
	cleanup_free char *rootfs = xasprintf("%s/bundle/rootfs", c->dir);
	cleanup_free char *cgroup = rt_cgroup_path(c->name);
	struct bundle_params params = {0};
	json_t *config = NULL;

	c->t_worker = uv_hrtime();
	c->rc = -1;
	if (rootfs_mount(c->image, c->lowerdir, c->dir, &c->err) == -1)
		return;
	params.pod_name = c->name;
	params.rootfs = rootfs;
	params.cgroup_path = cgroup;
	params.image = c->img;
	if (bundle_build(c->spec, &params, &config, &c->err) == -1 ||
	    bundle_write(bundle, config, &c->err) == -1) {
		json_decref(config);
		return;
	}
	json_decref(config);
	if (open_log_pipes(c) == -1)
		return;
	run_in_worker(c, bundle);
	close(c->out_fd);
	close(c->err_fd);
	c->out_fd = c->err_fd = -1;
}

static void create_after(uv_work_t *w, int status);

static unsigned long long ms_between(uint64_t from_ns, uint64_t to_ns)
{
	return to_ns > from_ns ? (to_ns - from_ns) / 1000000 : 0;
}

/* Queues waiting set-ups while fewer than create_limit run. */
static void create_pump(struct rt *rt)
{
	while (rt->create_head && rt->creating < rt->create_limit) {
		struct create_call *c = rt->create_head;
		int r;

		rt->create_head = c->next;
		if (rt->create_head == NULL)
			rt->create_tail = NULL;
		c->next = NULL;
		c->t_slot = uv_hrtime();
		rt->creating++;
		r = uv_queue_work(rt->loop, &c->work, create_work,
				  create_after);
		if (r != 0) {
			c->rc = -1;
			berr_set(&c->err, "queue container set-up: %s",
				 uv_strerror(r));
			create_after(&c->work, 0);
		}
	}
}

static void create_after(uv_work_t *w, int status)
{
	struct create_call *c = w->data;
	struct rt *rt = c->rt;
	cleanup_free char *text = NULL;
	pid_t pid = 0;

	if (status != 0 && c->rc == 0) {
		c->rc = -1;
		berr_set(&c->err, "container set-up cancelled");
	}
	if (c->rc == 0) {
		if (file_read_all(c->pid_file, &text, NULL, NULL) == 0)
			pid = (pid_t)atoi(text);
		if (pid <= 0) {
			c->rc = -1;
			berr_set(&c->err,
				 "runtime reported success but wrote no pid");
		}
	}
	if (c->t_exit)
		log_debug("pod %s start: %llu ms for a slot, %llu ms for a "
			  "thread, set-up %llu ms, `%s run` %llu ms, %llu ms "
			  "back to the loop",
			  c->name, ms_between(c->t_queued, c->t_slot),
			  ms_between(c->t_slot, c->t_worker),
			  ms_between(c->t_worker, c->t_spawn), rt->name,
			  ms_between(c->t_spawn, c->t_exit),
			  ms_between(c->t_exit, uv_hrtime()));
	c->cb(c->data, c->rc == 0 ? 0 : -1, c->rc == 0 ? pid : 0,
	      c->rc == 0      ? ""
	      : c->err.msg[0] ? c->err.msg
			      : "set-up failed");
	create_call_free(c);
	rt->creating--;
	create_pump(rt);
}

/* The set-up (mount, bundle, fsync) and `run` go to the thread pool, so a
 * burst of starts never holds the loop. */
static int real_create(struct rt *rt, const struct rt_pod *pod, rt_run_cb cb,
		       void *data, struct berr *err)
{
	struct create_call *c = xcalloc(1, sizeof(*c));

	c->rt = rt;
	c->cb = cb;
	c->data = data;
	c->name = xstrdup(pod->name);
	c->dir = xstrdup(pod->dir);
	c->log_path = xstrdup(pod->log_path);
	c->log_max_bytes = pod->log_max_bytes > 0 ? pod->log_max_bytes
						  : LOGS_DEFAULT_MAX_BYTES;
	c->log_max_files = pod->log_max_files >= 2 ? pod->log_max_files
						   : LOGS_DEFAULT_MAX_FILES;
	c->image = xstrdup(pod->spec->image);
	c->lowerdir = pod->lowerdir ? xstrdup(pod->lowerdir) : NULL;
	c->img = bundle_image_dup(pod->image);
	c->spec = pod->spec;
	c->pid_file = xasprintf("%s/bundle/pid", pod->dir);
	c->out_fd = c->err_fd = -1;
	c->err = (struct berr)BERR_INIT;
	c->work.data = c;
	c->t_queued = uv_hrtime();
	if (rt->create_tail)
		rt->create_tail->next = c;
	else
		rt->create_head = c;
	rt->create_tail = c;
	create_pump(rt);
	(void)err;
	return 0;
}

static int real_pidfd(struct rt *rt, pid_t pid)
{
	return (int)pidfd_open(pid, 0);
}

static uint64_t real_pid_start(struct rt *rt, pid_t pid)
{
	cleanup_free char *path = xasprintf("/proc/%d/stat", (int)pid);
	cleanup_free char *text = NULL;
	unsigned long long start = 0;
	const char *p;

	if (pid <= 0 || file_read_all(path, &text, NULL, NULL) == -1)
		return 0;
	/* after "(comm)", which may hold spaces: field 22 is the start */
	p = strrchr(text, ')');
	if (p == NULL || sscanf(p + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
				"%*u %*u %*d %*d %*d %*d %*d %*d %llu",
				&start) != 1)
		return 0;
	return start;
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
    .state_many = real_state_many,
    .pid_start = real_pid_start,
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

uint64_t rt_pid_start(struct rt *rt, pid_t pid)
{
	return rt->ops->pid_start ? rt->ops->pid_start(rt, pid) : 0;
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

void rt_state_many(struct rt *rt, const char *const *ids, size_t n,
		   struct rt_state *out)
{
	if (rt->ops->state_many) {
		rt->ops->state_many(rt, ids, n, out);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].rc =
		    rt->ops->state_sync(rt, ids[i], out[i].status,
					sizeof(out[i].status), &out[i].pid);
	}
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
