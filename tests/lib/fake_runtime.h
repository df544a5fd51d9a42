/*
 * fake_runtime.h - the orchestrator core without root, runc or sleeps: a
 * scripted runtime (struct rt_ops) that records every call in one log and
 * completes them when the test says so, a clock and pod timers the test
 * advances by hand (struct clock_ops), and a daemon built from an INI text.
 * Header-only, for tests/unit/test_core_*.c. Deterministic: nothing here
 * depends on real time; libuv only runs the 0 ms coalescing timers.
 */
#ifndef BERTH_TESTS_FAKE_RUNTIME_H
#define BERTH_TESTS_FAKE_RUNTIME_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../common/sigtab.h"
#include "../../common/xalloc.h"
#include "../../orchestrator/clock.h"
#include "../../orchestrator/daemon.h"
#include "../../orchestrator/model.h"
#include "../../orchestrator/pod.h"
#include "../../orchestrator/reconcile.h"
#include "../../orchestrator/store.h"
#include "../../orchestrator/view.h"
#include "../../orchestrator/watch.h"
#include "../../runtime/runtime.h"

#define FAKE_FN static __attribute__((unused))

enum fake_kind { FAKE_CREATE, FAKE_DELETE, FAKE_EXEC };

struct fake_call {
	enum fake_kind kind;
	char id[96];
	rt_run_cb run_cb;
	rt_done_cb done_cb;
	rt_exec_cb exec_cb;
	void *data;
	bool pending;
};

struct fake_timer {
	uv_timer_t *t;
	uv_timer_cb cb;
	int64_t due;
	uint64_t seq;
};

struct fake_ctr {
	char id[96];
	pid_t pid;
	int pidfd; /* an eventfd standing in for the pidfd; -1 none */
	bool running;
};

static struct fake {
	int64_t wall, mono;
	struct fake_timer timers[256];
	size_t n_timers;
	uint64_t timer_seq;
	char log[16384]; /* "create P; signal P SIGTERM; ..." */
	struct fake_call calls[512];
	size_t n_calls;
	struct fake_ctr ctrs[64];
	size_t n_ctrs;
	pid_t next_pid;
	bool auto_create; /* creates succeed at the next step */
	bool auto_delete; /* deletes succeed at the next step */
	bool no_pidfd;	  /* pidfd_open fails */
	bool auto_exit;	  /* a signalled container dies of it at the step */
	bool auto_exec;	  /* execs succeed at the next step */
	struct {
		pid_t pid;
		int sig;
	} dying[64];
	size_t n_dying;
	char dir[128];
	char config[256];
} F;

FAKE_FN void fake_log(const char *fmt, ...)
{
	size_t len = strlen(F.log);
	va_list ap;

	if (len && len + 2 < sizeof(F.log))
		len += (size_t)snprintf(F.log + len, sizeof(F.log) - len, "; ");
	va_start(ap, fmt);
	vsnprintf(F.log + len, sizeof(F.log) - len, fmt, ap);
	va_end(ap);
}

/* The log since the last call, and cleared. */
FAKE_FN const char *fake_take_log(void)
{
	static char copy[sizeof(F.log)];

	snprintf(copy, sizeof(copy), "%s", F.log);
	F.log[0] = '\0';
	return copy;
}

FAKE_FN struct fake_ctr *fake_ctr(const char *id)
{
	for (size_t i = 0; i < F.n_ctrs; i++)
		if (!strcmp(F.ctrs[i].id, id))
			return &F.ctrs[i];
	return NULL;
}

FAKE_FN struct fake_ctr *fake_ctr_add(const char *id, pid_t pid)
{
	struct fake_ctr *c = fake_ctr(id);

	if (c == NULL) {
		char copy[96];

		snprintf(copy, sizeof(copy), "%s", id);
		c = &F.ctrs[F.n_ctrs++];
		memset(c, 0, sizeof(*c));
		memcpy(c->id, copy, sizeof(copy));
		c->pidfd = -1;
	}
	c->pid = pid;
	c->running = true;
	return c;
}

FAKE_FN void fake_ctr_del(const char *id)
{
	struct fake_ctr *c = fake_ctr(id);

	if (c)
		*c = F.ctrs[--F.n_ctrs];
}

/* --- the runtime ---------------------------------------------------------- */

FAKE_FN struct fake_call *fake_push(enum fake_kind kind, const char *id)
{
	struct fake_call *c = &F.calls[F.n_calls++ % 512];

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->pending = true;
	snprintf(c->id, sizeof(c->id), "%s", id);
	return c;
}

static struct daemon *fake_d;

FAKE_FN int fake_create(struct rt *rt, const struct rt_pod *pod, rt_run_cb cb,
			void *data, struct berr *err)
{
	struct fake_call *c = fake_push(FAKE_CREATE, pod->name);

	fake_log("create %s", pod->name);
	c->run_cb = cb;
	c->data = data;
	return 0;
}

FAKE_FN int fake_delete(struct rt *rt, const char *id, rt_done_cb cb,
			void *data)
{
	struct fake_call *c = fake_push(FAKE_DELETE, id);

	fake_log("delete %s", id);
	c->done_cb = cb;
	c->data = data;
	return 0;
}

FAKE_FN struct rt_exec *fake_exec(struct rt *rt, const char *id,
				  char *const *cmd, size_t n,
				  unsigned timeout_ms, rt_exec_cb cb,
				  void *data)
{
	struct fake_call *c = fake_push(FAKE_EXEC, id);
	struct pod *p = pod_find(fake_d, id);

	/* Whether it was still an endpoint when its hook began. */
	fake_log("exec %s %s%s", id, n ? cmd[0] : "",
		 p && pod_is_ready(p) ? " (still ready)" : "");
	c->exec_cb = cb;
	c->data = data;
	return NULL;
}

FAKE_FN int fake_pidfd(struct rt *rt, pid_t pid)
{
	for (size_t i = 0; i < F.n_ctrs; i++) {
		if (F.ctrs[i].pid != pid || F.no_pidfd)
			continue;
		F.ctrs[i].pidfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		return F.ctrs[i].pidfd;
	}
	errno = ESRCH;
	return -1;
}

FAKE_FN int fake_signal(struct rt *rt, int pidfd, int sig)
{
	for (size_t i = 0; i < F.n_ctrs; i++) {
		if (F.ctrs[i].pidfd == pidfd && pidfd >= 0) {
			fake_log("signal %s %s", F.ctrs[i].id,
				 sigtab_name(sig));
			if (F.auto_exit && F.n_dying < 64) {
				F.dying[F.n_dying].pid = F.ctrs[i].pid;
				F.dying[F.n_dying++].sig = sig;
			}
			return 0;
		}
	}
	fake_log("signal ? %s", sigtab_name(sig));
	errno = ESRCH;
	return -1;
}

FAKE_FN int fake_unmount(struct rt *rt, const char *dir, struct berr *err)
{
	return 0;
}

FAKE_FN int fake_remove_dir(struct rt *rt, const char *dir, struct berr *err)
{
	return 0;
}

FAKE_FN int fake_state_sync(struct rt *rt, const char *id, char *status,
			    size_t len, pid_t *pid)
{
	struct fake_ctr *c = fake_ctr(id);

	if (c == NULL)
		return -1;
	snprintf(status, len, "%s", c->running ? "running" : "stopped");
	*pid = c->pid;
	return 0;
}

FAKE_FN int fake_list_sync(struct rt *rt, char ***ids, size_t *n)
{
	*ids = xcalloc(F.n_ctrs + 1, sizeof(char *));
	*n = F.n_ctrs;
	for (size_t i = 0; i < F.n_ctrs; i++)
		(*ids)[i] = xstrdup(F.ctrs[i].id);
	return 0;
}

FAKE_FN void fake_delete_sync(struct rt *rt, const char *id)
{
	fake_log("delete-sync %s", id);
	fake_ctr_del(id);
}

static const struct rt_ops fake_ops = {
    .create = fake_create,
    .remove = fake_delete,
    .exec = fake_exec,
    .pidfd = fake_pidfd,
    .signal = fake_signal,
    .unmount = fake_unmount,
    .remove_dir = fake_remove_dir,
    .state_sync = fake_state_sync,
    .list_sync = fake_list_sync,
    .delete_sync = fake_delete_sync,
};

/* --- the clock ------------------------------------------------------------ */

static int64_t fake_wall(void)
{
	return F.wall;
}

static int64_t fake_mono(void)
{
	return F.mono;
}

FAKE_FN void fake_timer_stop(uv_timer_t *t)
{
	for (size_t i = 0; i < F.n_timers; i++)
		if (F.timers[i].t == t) {
			F.timers[i] = F.timers[--F.n_timers];
			return;
		}
}

FAKE_FN void fake_timer_start(uv_timer_t *t, uv_timer_cb cb, uint64_t ms)
{
	fake_timer_stop(t);
	F.timers[F.n_timers].t = t;
	F.timers[F.n_timers].cb = cb;
	F.timers[F.n_timers].due = F.mono + (int64_t)ms;
	F.timers[F.n_timers].seq = ++F.timer_seq;
	F.n_timers++;
}

static const struct clock_ops fake_clock = {
    .wall_ms = fake_wall,
    .mono_ms = fake_mono,
    .timer_start = fake_timer_start,
    .timer_stop = fake_timer_stop,
};

/* --- driving it ----------------------------------------------------------- */

FAKE_FN bool fake_auto(void)
{
	if (F.n_dying > 0) {
		pid_t pid = F.dying[0].pid;
		int sig = F.dying[0].sig;

		memmove(&F.dying[0], &F.dying[1],
			--F.n_dying * sizeof(F.dying[0]));
		for (size_t i = 0; i < F.n_ctrs; i++)
			if (F.ctrs[i].pid == pid)
				F.ctrs[i].running = false;
		pod_reaped(fake_d, pid, sig & 0x7f);
		return true;
	}
	for (size_t i = 0; i < F.n_calls && i < 512; i++) {
		struct fake_call *c = &F.calls[i];

		if (!c->pending)
			continue;
		if (c->kind == FAKE_CREATE && F.auto_create) {
			struct fake_ctr *ctr =
			    fake_ctr_add(c->id, F.next_pid++);

			c->pending = false;
			c->run_cb(c->data, 0, ctr->pid, "");
			return true;
		}
		if (c->kind == FAKE_EXEC && F.auto_exec) {
			c->pending = false;
			c->exec_cb(c->data, 0, "", false);
			return true;
		}
		if (c->kind == FAKE_DELETE && F.auto_delete) {
			c->pending = false;
			fake_ctr_del(c->id);
			c->done_cb(c->data, 0, "");
			return true;
		}
	}
	return false;
}

/* Fires the earliest pod timer due by target, if any. */
FAKE_FN bool fake_fire(int64_t target)
{
	size_t best = F.n_timers;
	struct fake_timer ft;

	for (size_t i = 0; i < F.n_timers; i++)
		if (F.timers[i].due <= target &&
		    (best == F.n_timers ||
		     F.timers[i].due < F.timers[best].due ||
		     (F.timers[i].due == F.timers[best].due &&
		      F.timers[i].seq < F.timers[best].seq)))
			best = i;
	if (best == F.n_timers)
		return false;
	ft = F.timers[best];
	F.timers[best] = F.timers[--F.n_timers];
	if (ft.due > F.mono) {
		F.wall += ft.due - F.mono;
		F.mono = ft.due;
	}
	ft.cb(ft.t);
	return true;
}

/* Runs what is due now: libuv's 0 ms timers (reconcile, watch), pod
 * timers due now and the automatic completions, until nothing moves. */
FAKE_FN void fake_step(void)
{
	for (int i = 0; i < 10000; i++) {
		bool moved = uv_run(fake_d->loop, UV_RUN_NOWAIT) != 0;

		moved |= fake_auto();
		moved |= fake_fire(F.mono);
		if (!moved)
			break;
	}
}

/* Advances both clocks by ms, firing pod timers in due order. */
FAKE_FN void fake_advance(int64_t ms)
{
	int64_t target = F.mono + ms;

	fake_step();
	while (fake_fire(target))
		fake_step();
	F.wall += target - F.mono;
	F.mono = target;
	fake_step();
}

FAKE_FN struct fake_call *fake_pending(enum fake_kind kind, const char *id)
{
	for (size_t i = 0; i < F.n_calls && i < 512; i++)
		if (F.calls[i].pending && F.calls[i].kind == kind &&
		    (id == NULL || !strcmp(F.calls[i].id, id)))
			return &F.calls[i];
	return NULL;
}

/* Completes the pending create of id: rc 0 runs it with a fresh pid. */
FAKE_FN bool fake_finish_create(const char *id, int rc)
{
	struct fake_call *c = fake_pending(FAKE_CREATE, id);

	if (c == NULL)
		return false;
	c->pending = false;
	if (rc == 0)
		c->run_cb(c->data, 0, fake_ctr_add(id, F.next_pid++)->pid, "");
	else
		c->run_cb(c->data, -1, 0, "fake run failed");
	fake_step();
	return true;
}

FAKE_FN bool fake_finish_delete(const char *id)
{
	struct fake_call *c = fake_pending(FAKE_DELETE, id);

	if (c == NULL)
		return false;
	c->pending = false;
	fake_ctr_del(id);
	c->done_cb(c->data, 0, "");
	fake_step();
	return true;
}

FAKE_FN bool fake_finish_exec(const char *id, int code)
{
	struct fake_call *c = fake_pending(FAKE_EXEC, id);

	if (c == NULL)
		return false;
	c->pending = false;
	c->exec_cb(c->data, code, code ? "hook failed" : "", false);
	fake_step();
	return true;
}

/* The container's init process exits with code (as the reaper reports
 * it); its pod learns of it now. */
FAKE_FN void fake_exit(struct pod *p, int code)
{
	struct fake_ctr *c = fake_ctr(p->name);

	if (c)
		c->running = false;
	pod_reaped(fake_d, p->pid, (code & 0xff) << 8);
	fake_step();
}

FAKE_FN void fake_write_config(const char *body)
{
	FILE *f = fopen(F.config, "w");

	fprintf(f,
		"[berth]\nstate_dir = %s/state\nrun_dir = %s/run\n"
		"crashLoopBackOff.initialSeconds = 10\n"
		"crashLoopBackOff.maxSeconds = 300\n"
		"crashLoopBackOff.resetSeconds = 600\n\n",
		F.dir, F.dir);
	for (const char *b = body; *b; b++) {
		if (!strncmp(b, "IMAGE", 5)) {
			fprintf(f, "%s/image", F.dir);
			b += 4;
		} else {
			fputc(*b, f);
		}
	}
	fclose(f);
}

/* Applies body (INI sections after [berth]; image = IMAGE is replaced by
 * an empty folder) to d, as `berth apply`. */
FAKE_FN int fake_apply(const char *body)
{
	struct berr err = BERR_INIT;
	json_t *messages = json_array();
	int rc;

	fake_write_config(body);
	rc = daemon_apply(fake_d, F.config, messages, &err);
	if (rc == -1)
		printf("# apply: %s\n", err.msg);
	json_decref(messages);
	fake_step();
	return rc;
}

/* A daemon on a fresh loop with the fake runtime and clock, nothing
 * applied yet. keep_dir: reuse F.dir (a restart over the same state). */
FAKE_FN struct daemon *fake_daemon(bool keep_dir)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	struct berr err = BERR_INIT;
	char path[300];

	if (!keep_dir) {
		snprintf(F.dir, sizeof(F.dir), "/tmp/berth-core.XXXXXX");
		if (mkdtemp(F.dir) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/image", F.dir);
		mkdir(path, 0755);
		snprintf(F.config, sizeof(F.config), "%s/berth.ini", F.dir);
		F.wall = 1700000000000;
		F.mono = 5000000;
		F.next_pid = 1000;
	}
	d->lock_fd = -1;
	d->loop = xcalloc(1, sizeof(*d->loop));
	uv_loop_init(d->loop);
	d->state_dir = xasprintf("%s/state", F.dir);
	d->run_dir = xasprintf("%s/run", F.dir);
	d->sock_path = xasprintf("%s/run/berth.sock", F.dir);
	mkdir_p(d->run_dir, 0700, &err);
	mkdir_p(d->state_dir, 0700, &err);
	store_init(d, &err);
	d->rt.ops = &fake_ops;
	d->rt.loop = d->loop;
	d->rt.name = xstrdup("fake");
	d->rt.path = xstrdup("/fake/runtime");
	d->rt.root = xstrdup("/fake/root");
	clock_use(&fake_clock);
	watch_init(d);
	reconcile_init(d);
	F.n_timers = 0;
	fake_d = d;
	return d;
}

/* Frees the daemon (its containers stay, as a killed daemon's do). */
FAKE_FN void fake_daemon_free(void)
{
	uv_loop_t *loop = fake_d->loop;

	F.n_timers = 0;
	for (size_t i = 0; i < F.n_ctrs; i++)
		if (F.ctrs[i].pidfd >= 0) {
			F.ctrs[i].pidfd = -1; /* closed with its pod */
		}
	daemon_free(fake_d);
	free(loop);
	fake_d = NULL;
	/* A hook in flight dies with the daemon: its callback only lets go
	 * of its (forgotten) pod. */
	for (size_t i = 0; i < F.n_calls && i < 512; i++) {
		if (F.calls[i].pending && F.calls[i].kind == FAKE_EXEC)
			F.calls[i].exec_cb(F.calls[i].data, -1, "", false);
		F.calls[i].pending = false;
	}
	F.n_calls = 0;
	F.n_dying = 0;
}

FAKE_FN void fake_cleanup(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", F.dir);
}

/* The n-th pod (creation order) of the daemon, or NULL. */
FAKE_FN struct pod *fake_pod(int n)
{
	for (struct pod *p = fake_d->pods; p; p = p->next)
		if (n-- == 0)
			return p;
	return NULL;
}

/* How many times an event with reason was recorded (repeats included). */
FAKE_FN int fake_events(const char *reason)
{
	int n = 0;

	for (uint64_t s = fake_d->event_seq;
	     s > 0 && s + EVENT_RING > fake_d->event_seq; s--) {
		const struct event *ev = &fake_d->events[(s - 1) % EVENT_RING];

		if (!strcmp(ev->reason, reason))
			n += ev->count;
	}
	return n;
}

/* Everything automatic, body scaled to 0 (body: one section without
 * replicas), and time enough for any grace period. */
FAKE_FN int fake_n_pods(void);
FAKE_FN int fake_scale_to_zero(const char *body)
{
	char *b = xcalloc(1, strlen(body) + 16);
	const char *line = body;

	/* body without its replicas line, then replicas = 0 */
	while (*line) {
		size_t len =
		    strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0);

		if (strncmp(line, "replicas", 8) != 0)
			strncat(b, line, len);
		line += len;
	}
	strcat(b, "replicas = 0\n");

	F.auto_create = F.auto_delete = F.auto_exit = F.auto_exec = true;
	fake_apply(b);
	free(b);
	fake_advance(3600 * 1000);
	for (struct pod *p = fake_d->pods; p; p = p->next)
		printf("# left: %s %s\n", p->name, pod_status(p));
	return fake_n_pods();
}

FAKE_FN int fake_n_pods(void)
{
	int n = 0;

	for (struct pod *p = fake_d->pods; p; p = p->next)
		n++;
	return n;
}

#endif
