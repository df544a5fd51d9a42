/*
 * pod.c - a pod's container from creation to exit and restart. Owns the
 * pod's phase, its back-off and its directory; asks the runtime layer to do
 * the work. Does not decide how many pods exist (reconcile.c) nor how they
 * stop (terminate.c).
 */
#include "pod.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "../probes/probe.h"
#include "../runtime/logd_keep.h"
#include "../runtime/logs.h"
#include "../signals/exits.h"
#include "../signals/reaper.h"
#include "backoff.h"
#include "daemon.h"
#include "endpoints.h"
#include "events.h"
#include "pod_image.h"
#include "reconcile.h"
#include "store.h"
#include "terminate.h"
#include "view.h"
#include "watch.h"

static const char *const phase_names[] = {
    [POD_PENDING] = "Pending", [POD_CREATING] = "Creating",
    [POD_RUNNING] = "Running", [POD_CLEANING] = "Cleaning",
    [POD_WAITING] = "Waiting", [POD_GONE] = "Gone",
};

static const char *const step_names[] = {
    [TERM_NONE] = "none",	  [TERM_ASKED] = "asked",
    [TERM_PRESTOP] = "preStop",	  [TERM_SIGNALLED] = "signalled",
    [TERM_EXTENDED] = "extended", [TERM_KILLED] = "killed",
};

const char *term_step_name(enum term_step step)
{
	return step_names[step];
}

void pod_check(const struct pod *p, const char *where)
{
	const char *bad = NULL;
	bool signalled = p->term_step >= TERM_PRESTOP;

	if (p->phase == POD_GONE)
		return;
	if (signalled && p->phase != POD_RUNNING && p->phase != POD_CLEANING)
		bad = "termination under way without a container";
	else if (p->term_step == TERM_ASKED && p->phase != POD_CREATING &&
		 p->phase != POD_CLEANING)
		bad = "termination asked but never started";
	else if ((p->phase == POD_PENDING || p->phase == POD_WAITING) &&
		 p->term_step != TERM_NONE)
		bad = "terminating a pod that has no container";
	else if (p->ready &&
		 (p->phase != POD_RUNNING || p->term_step != TERM_NONE))
		bad = "ready without a running, staying container";
	else if (p->phase == POD_RUNNING && p->pid <= 0)
		bad = "running without a pid";
	else if (p->restart_at_mono > 0 && p->phase != POD_WAITING)
		bad = "a restart scheduled for a pod that is not waiting";
	else if (p->hook_timer != NULL && p->term_step != TERM_PRESTOP &&
		 p->term_step != TERM_EXTENDED && p->term_step != TERM_KILLED)
		bad = "a preStop sleep outside its hook step";
	else if (p->probes != NULL && p->phase != POD_RUNNING)
		bad = "probes without a running container";
	if (bad)
		fatalx("pod %s: state out of sync after %s: %s (phase %s, "
		       "termination step %s, pid %d, ready %d); stopping "
		       "rather than acting on the wrong container",
		       p->name, where, bad, phase_names[p->phase],
		       step_names[p->term_step], (int)p->pid, (int)p->ready);
}

void pod_changed(struct pod *p)
{
	pod_check(p, "a change");
	endpoints_sync(p->daemon);
	watch_mark(p->daemon, WATCH_PODS);
	watch_mark(p->daemon, WATCH_DEPLOYMENTS);
	watch_mark(p->daemon, WATCH_SERVICES);
	reconcile_schedule(p->daemon);
}

char *pod_dir(const struct pod *p)
{
	return xasprintf("%s/pods/%s", p->daemon->run_dir, p->name);
}

char *pod_log_path(const struct pod *p)
{
	return xasprintf("%s/pods/%s/container.log", p->daemon->run_dir,
			 p->name);
}

struct pod *pod_find(struct daemon *d, const char *name)
{
	for (struct pod *p = d->pods; p; p = p->next)
		if (p->phase != POD_GONE && !strcmp(p->name, name))
			return p;
	return NULL;
}

struct pod *pod_find_pid(struct daemon *d, pid_t pid)
{
	for (struct pod *p = d->pods; p; p = p->next)
		if (p->phase == POD_RUNNING && p->pid == pid)
			return p;
	return NULL;
}

static void pod_free(struct pod *p)
{
	if (p->spec_ref)
		cfg_ref_put(p->spec_ref);
	free(p->image);
	free(p->image_id);
	strv_free(&p->port_warned);
	free(p);
}

static void pod_timer_closed(uv_handle_t *h)
{
	struct pod *p = h->data;

	p->timer_open = false;
	if (p->refs == 0)
		pod_free(p);
}

void pod_ref(struct pod *p)
{
	p->refs++;
}

void pod_unref(struct pod *p)
{
	if (--p->refs == 0 && p->phase == POD_GONE && !p->timer_open)
		pod_free(p);
}

static void random_suffix(char out[6])
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char r[5];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		for (int i = 0; i < 5; i++)
			r[i] = (unsigned char)rand();
	for (int i = 0; i < 5; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[5] = '\0';
}

struct pod *pod_alloc(struct daemon *d, struct deployment *dep,
		      const char *name)
{
	struct pod *p = xcalloc(1, sizeof(*p)), **tail;

	p->daemon = d;
	p->deployment = dep;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->spec = dep->spec;
	p->spec_ref = cfg_ref_get(dep->spec_ref);
	p->image = xstrdup(dep->spec->image);
	snprintf(p->hash, sizeof(p->hash), "%s", dep->hash);
	p->revision = dep->revision;
	p->pid = 0;
	p->pidfd = -1;
	p->last_exit_code = -1;
	p->created_ms = now_ms();
	p->phase = POD_PENDING;
	uv_timer_init(d->loop, &p->timer);
	p->timer.data = p;
	p->timer_open = true;
	for (tail = &d->pods; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	return p;
}

struct pod *pod_create(struct daemon *d, struct deployment *dep)
{
	char name[64], suffix[6];

	/* NAME-HASH-SUFFIX: a name of at most CFG_NAME_MAX, 6 hex digits */
	_Static_assert(CFG_NAME_MAX + 1 + 6 + 1 + sizeof(suffix) <=
			   sizeof(name),
		       "a pod name fits");
	do {
		random_suffix(suffix);
		snprintf(name, sizeof(name), "%.*s-%.6s-%s", CFG_NAME_MAX,
			 dep->name, dep->hash, suffix);
	} while (pod_find(d, name) != NULL);
	struct pod *p = pod_alloc(d, dep, name);

	event_record(d, "Normal", "SuccessfulCreate",
		     event_object_name("deployment", dep->name),
		     "Created pod: %s", p->name);
	pod_start(p); /* records the pod while the runtime works */
	return p;
}

static void pod_cleanup_then(struct pod *p, void (*next)(struct pod *));

static void container_gone(struct pod *p, int code, bool known,
			   const char *reason);

static void start_failed(struct pod *p, const char *why)
{
	pod_event(p, "Warning", "Failed", "Error: %s", why);
	snprintf(p->last_message, sizeof(p->last_message), "%s", why);
	p->started_ms = now_ms();
	p->started_mono = mono_ms();
	container_gone(p, 128, true, "RunContainerError");
}

static void on_run_done(void *arg, int rc, pid_t pid, const char *message)
{
	struct pod *p = arg;

	if (p->phase == POD_GONE) {
		pod_unref(p);
		return;
	}
	if (rc != 0) {
		start_failed(p, message);
		pod_unref(p);
		return;
	}
	p->pid = pid;
	/* Every signal goes through it; without one the pod can only be
	 * stopped by its own exit (terminate.c refuses a bare pid). */
	p->pidfd = rt_pidfd(&p->daemon->rt, pid);
	if (p->pidfd < 0)
		log_warn("pod %s: pidfd_open(%d)", p->name, (int)pid);
	p->phase = POD_RUNNING;
	p->started_ms = now_ms();
	p->started_mono = mono_ms();
	p->last_message[0] = '\0';
	pod_event(p, "Normal", "Started", "Started container %s (pid %d)",
		  p->deployment->name, (int)p->pid);
	/* on the thread pool: a burst of starts would hold the loop on two
	 * fsyncs per pod (a kill -9 meanwhile: the pod's container is removed
	 * at the next start, as before its first record) */
	store_save_pod_async(p);
	/* The container may have died before we knew its pid. */
	for (size_t i = 0; i < p->daemon->n_unclaimed; i++) {
		if (p->daemon->unclaimed[i].pid != p->pid)
			continue;
		int status = p->daemon->unclaimed[i].status;

		p->daemon->unclaimed[i] =
		    p->daemon->unclaimed[--p->daemon->n_unclaimed];
		pod_on_exit(p, status, true);
		pod_unref(p);
		return;
	}
	if (pod_terminating(p)) {
		/* deleted while it was being created */
		terminate_resume(p);
	} else {
		pod_start_probes(p);
		pod_changed(p);
	}
	pod_unref(p);
}

/* The container's set-up and `run`, the image known (img NULL: a folder). */
static void create_container(struct pod *p, const struct pod_image_ready *img)
{
	struct daemon *d = p->daemon;
	cleanup_free char *dir = pod_dir(p);
	cleanup_free char *log_path = pod_log_path(p);
	struct rt_pod what = {.name = p->name,
			      .spec = p->spec,
			      .dir = dir,
			      .log_path = log_path,
			      .log_max_bytes = daemon_log_max_bytes(d),
			      .log_max_files =
				  d->cfg ? d->cfg->container_log_max_files : 0,
			      .lowerdir = img ? img->lowerdir : NULL,
			      .image = img ? img->image : NULL};
	struct berr err = BERR_INIT;

	pod_ref(p);
	if (rt_create(&d->rt, &what, on_run_done, p, &err) == -1) {
		pod_unref(p);
		start_failed(p, err.msg);
		return;
	}
	pod_event(p, "Normal", "Created", "Created container %s",
		  p->deployment->name);
	/* Written after the spawn, off the start's critical path: a crash in
	 * between leaves a container no record owns, which the next start
	 * removes (store_restore_pods). A pod's first start writes nothing
	 * here (its first record is the running one): a burst of new pods
	 * would otherwise hold the loop on one fsync each. */
	if (p->started_ms != 0)
		store_save_pod(p);
}

static void image_ready(struct pod *p, const struct pod_image_ready *img)
{
	if (p->phase != POD_CREATING)
		return;
	create_container(p, img);
}

void pod_start(struct pod *p)
{
	clock_timer_stop(&p->timer);
	p->restart_at_mono = 0;
	p->pid = 0; /* a record saved while creating names no old pid */
	p->phase = POD_CREATING;
	p->ready = false;
	p->ready_since_mono = 0;
	p->started_probe_ok = false;
	pod_changed(p);
	if (pod_image_is_folder(p->spec->image))
		create_container(p, NULL);
	else /* resolved (pulled) on the thread pool first */
		pod_image_resolve(p, image_ready, start_failed);
}

/* --- exit, cleanup, restart -------------------------------------------- */

static void restart_timer_fired(uv_timer_t *t)
{
	struct pod *p = t->data;

	if (p->phase != POD_WAITING || pod_terminating(p))
		return;
	/* The run that ended becomes `logs --previous` when the log
	 * collector takes the new run's pipes (logd.h). */
	p->restarts++;
	store_save_pod(p);
	pod_start(p);
}

static void decide_restart(struct pod *p)
{
	const struct berth_config *cfg = p->daemon->cfg;
	bool failed = p->last_exit_code != 0;
	bool restart;
	int64_t delay;

	switch (p->spec->restart_policy) {
	case RESTART_ALWAYS:
		restart = true;
		break;
	case RESTART_ON_FAILURE:
		restart = failed;
		break;
	default:
		restart = false;
	}
	p->phase = POD_WAITING;
	if (!restart || p->daemon->shutting_down) {
		p->restart_at_mono = 0;
		store_save_pod(p);
		pod_changed(p);
		return;
	}
	if (p->started_mono &&
	    backoff_resets(p->finished_mono - p->started_mono,
			   cfg->backoff_reset_seconds))
		p->crashes = 0;
	p->crashes++;
	delay = backoff_delay_ms(p->crashes, cfg->backoff_initial_seconds,
				 cfg->backoff_max_seconds);
	p->restart_at_mono = mono_ms() + delay;
	store_save_pod(p);
	if (delay > 0)
		pod_event(p, "Warning", "BackOff",
			  "Back-off %llds restarting failed container %s in "
			  "pod %s",
			  (long long)(delay / 1000), p->deployment->name,
			  p->name);
	clock_timer_start(&p->timer, restart_timer_fired, (uint64_t)delay);
	pod_changed(p);
}

void pod_resume_waiting(struct pod *p, int64_t restart_at_mono)
{
	int64_t delay = restart_at_mono - mono_ms();

	p->phase = POD_WAITING;
	p->restart_at_mono = restart_at_mono;
	if (restart_at_mono > 0)
		clock_timer_start(&p->timer, restart_timer_fired,
				  delay > 0 ? (uint64_t)delay : 0);
	store_save_pod(p);
	pod_changed(p);
}

void pod_resume_after_exit(struct pod *p)
{
	if (p->finished_ms == 0)
		p->finished_ms = now_ms();
	if (p->finished_mono == 0)
		p->finished_mono = mono_ms();
	decide_restart(p);
}

static void after_exit_cleanup(struct pod *p)
{
	if (pod_terminating(p) && terminate_container_gone(p))
		return;
	decide_restart(p);
}

struct cleanup_op {
	struct pod *pod;
	void (*next)(struct pod *);
};

static void on_delete_done(void *arg, int rc, const char *message)
{
	struct cleanup_op *op = arg;
	struct pod *p = op->pod;
	cleanup_free char *dir = pod_dir(p);
	struct berr err = BERR_INIT;

	if (rc != 0)
		pod_event(p, "Warning", "FailedDelete", "%s", message);
	if (rt_unmount(&p->daemon->rt, dir, &err) == -1)
		pod_event(p, "Warning", "FailedUnmount", "%s", err.msg);
	if (p->phase != POD_GONE)
		op->next(p);
	pod_unref(p);
	free(op);
}

static void pod_cleanup_then(struct pod *p, void (*next)(struct pod *))
{
	struct cleanup_op *op = xcalloc(1, sizeof(*op));

	op->pod = p;
	op->next = next;
	pod_ref(p);
	rt_delete(&p->daemon->rt, p->name, on_delete_done, op);
}

/* Stops watching an adopted pod's pidfd and closes it; cb (may be NULL)
 * runs once the poll handle is closed. */
static void pidfd_unwatch(struct pod *p, uv_close_cb cb)
{
	if (p->pidfd_polling) {
		uv_poll_stop(&p->pidfd_poll);
		uv_close((uv_handle_t *)&p->pidfd_poll, cb);
		p->pidfd_polling = false;
	}
	if (p->pidfd >= 0) {
		close(p->pidfd);
		p->pidfd = -1;
	}
}

static void container_gone(struct pod *p, int code, bool known,
			   const char *reason)
{
	struct rt_cgroup_stats cg;

	pod_stop_probes(p);
	pidfd_unwatch(p, NULL);
	/* Read before `runc delete` removes the cgroup: the kernel's OOM
	 * killer leaves only its counter behind (the exit is a SIGKILL). */
	if (reason == NULL && code != 0 &&
	    rt_stats(&p->daemon->rt, p->name, &cg) == 0 && cg.oom_kills > 0)
		reason = "OOMKilled";
	snprintf(p->last_reason, sizeof(p->last_reason), "%s",
		 reason	     ? reason
		 : !known    ? "Unknown"
		 : code == 0 ? "Completed"
			     : "Error");
	p->last_exit_code = code;
	p->last_started_ms = p->started_ms;
	p->finished_ms = now_ms();
	p->finished_mono = mono_ms();
	p->ready = p->ready_restored = false;
	p->ready_since_mono = 0;
	p->phase = POD_CLEANING;
	if (!pod_terminating(p) && !strcmp(p->last_reason, "OOMKilled"))
		pod_event(p, "Warning", "OOMKilled",
			  "Container %s was killed by the kernel's OOM killer "
			  "(exit code %d)",
			  p->deployment->name, code);
	else if (!pod_terminating(p) && reason == NULL)
		pod_event(p, code == 0 ? "Normal" : "Warning", "Exited",
			  "Container %s exited with %s %d", p->deployment->name,
			  known ? "code" : "unknown status", code);
	pod_changed(p);
	pod_cleanup_then(p, after_exit_cleanup);
}

void pod_on_exit(struct pod *p, int status, bool known)
{
	if (p->phase != POD_RUNNING)
		return;
	container_gone(p, known ? reaper_exit_code(status) : -1, known, NULL);
}

void pod_reaped(void *daemon, pid_t pid, int status)
{
	struct daemon *d = daemon;
	struct pod *p = pod_find_pid(d, pid);

	if (p != NULL) {
		pod_on_exit(p, status, true);
		return;
	}
	if (logd_keep_reaped(d->logd_keep, pid, status))
		return;
	/* A pod still in CREATING may own it; keep it for a while. */
	for (struct pod *q = d->pods; q; q = q->next) {
		if (q->phase != POD_CREATING)
			continue;
		if (d->n_unclaimed ==
		    sizeof(d->unclaimed) / sizeof(d->unclaimed[0]))
			memmove(&d->unclaimed[0], &d->unclaimed[1],
				sizeof(d->unclaimed) - sizeof(d->unclaimed[0])),
			    d->n_unclaimed--;
		d->unclaimed[d->n_unclaimed].pid = pid;
		d->unclaimed[d->n_unclaimed].status = status;
		d->n_unclaimed++;
		break;
	}
}

void pod_remove(struct pod *p)
{
	struct daemon *d = p->daemon;
	cleanup_free char *dir = pod_dir(p);
	struct berr err = BERR_INIT;
	struct pod **pp;

	if (p->phase == POD_GONE)
		return;
	pod_stop_probes(p);
	terminate_cancel(p);
	/* Unmounted and renamed away now; deleted on the thread pool. */
	if (rt_remove_dir(&d->rt, dir, &err) == -1)
		log_warnx("pod %s: %s", p->name, err.msg);
	pod_image_release(p);
	store_delete_pod(p);
	p->phase = POD_GONE;
	for (pp = &d->pods; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	p->next = NULL;
	watch_mark(d, WATCH_PODS);
	watch_mark(d, WATCH_DEPLOYMENTS);
	watch_mark(d, WATCH_SERVICES);
	reconcile_schedule(d);
	pod_ref(p);
	if (p->timer_open && !uv_is_closing((uv_handle_t *)&p->timer))
		uv_close((uv_handle_t *)&p->timer, pod_timer_closed);
	pod_unref(p);
	daemon_check_down(d);
}

static void pidfd_poll_closed(uv_handle_t *h)
{
	pod_unref(h->data);
}

static void exit_wait_end(struct pod *p);

/* The daemon is exiting: frees p once its handles are closed, leaving its
 * container and record as they are (as a killed daemon would). */
void pod_forget(struct pod *p)
{
	exit_wait_end(p);
	pod_stop_probes(p);
	terminate_cancel(p);
	/* The poll closes along with the timer: p lives until both are. */
	if (p->pidfd_polling)
		pod_ref(p);
	pidfd_unwatch(p, pidfd_poll_closed);
	p->phase = POD_GONE;
	p->next = NULL;
	pod_ref(p);
	if (p->timer_open && !uv_is_closing((uv_handle_t *)&p->timer))
		uv_close((uv_handle_t *)&p->timer, pod_timer_closed);
	pod_unref(p);
}

/* --- adopted pods: exit through a pidfd --------------------------------- */

/* An adopted container's parent is not this daemon. When that parent
 * is the daemon this one took over from (an upgrade) or its reaper, the
 * status is recorded in RUN_DIR/exits before the zombie is reaped
 * (signals/exits.c): while the zombie is there, ask again a little
 * later, for at most EXIT_WAIT_TRIES times EXIT_WAIT_MS. */
#define EXIT_WAIT_MS 20
#define EXIT_WAIT_TRIES 150

struct exit_wait {
	uv_timer_t timer;
	struct pod *pod;
	int tries;
};

static void exit_wait_closed(uv_handle_t *h)
{
	struct exit_wait *w = h->data;

	pod_unref(w->pod);
	free(w);
}

static void exit_wait_end(struct pod *p)
{
	struct exit_wait *w = p->exit_wait;

	if (w == NULL)
		return;
	p->exit_wait = NULL;
	uv_close((uv_handle_t *)&w->timer, exit_wait_closed);
}

/* Whether pid is a zombie whose parent is a berth process (a daemon
 * that handed over, or the reaper in its place), which records the
 * status before it reaps it. Any other parent (init after a crash)
 * records nothing: no reason to wait (a binary named berth* is taken
 * for ours). A zombie has no memory, so its
 * stat file takes no lock. */
static bool zombie_of_berth(pid_t pid)
{
	char path[64], buf[512], comm[64] = "";
	cleanup_close int fd = -1;
	const char *rp;
	ssize_t n;
	char state = 0;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false;
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	if (rp == NULL || sscanf(rp + 1, " %c %d", &state, &ppid) != 2 ||
	    state != 'Z' || ppid <= 1)
		return false;
	close(fd);
	snprintf(path, sizeof(path), "/proc/%d/comm", ppid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || (n = read(fd, comm, sizeof(comm) - 1)) <= 0)
		return false;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return !strncmp(comm, "berth", 5);
}

/* true when the status is settled (p told), false to ask again. */
static bool adopted_exit(struct pod *p, bool last)
{
	int st;

	if (exits_take(p->daemon->run_dir, p->pid, &st)) {
		pod_on_exit(p, st, true);
		return true;
	}
	/* Still a zombie of a berth process: not recorded yet. */
	if (!last && zombie_of_berth(p->pid))
		return false;
	if (exits_take(p->daemon->run_dir, p->pid, &st))
		pod_on_exit(p, st, true);
	else
		pod_on_exit(p, 0, false);
	return true;
}

static void on_exit_wait(uv_timer_t *t)
{
	struct exit_wait *w = t->data;

	struct pod *p = w->pod;

	pod_ref(p);
	if (p->phase != POD_RUNNING ||
	    adopted_exit(p, ++w->tries >= EXIT_WAIT_TRIES))
		exit_wait_end(p);
	pod_unref(p);
}

static void on_pidfd(uv_poll_t *h, int status, int events)
{
	struct pod *p = h->data;
	struct exit_wait *w;
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) == 0 &&
	    si.si_pid != 0) {
		int st = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8
						  : si.si_status & 0x7f;

		pod_on_exit(p, st, true);
		return;
	}
	if (adopted_exit(p, false) || p->exit_wait)
		return;
	/* the pidfd stays readable: stop polling it while waiting */
	uv_poll_stop(h);
	w = xcalloc(1, sizeof(*w));
	p->exit_wait = w;
	w->pod = p;
	pod_ref(p);
	uv_timer_init(p->daemon->loop, &w->timer);
	w->timer.data = w;
	uv_timer_start(&w->timer, on_exit_wait, EXIT_WAIT_MS, EXIT_WAIT_MS);
}

int pod_watch_pidfd(struct pod *p)
{
	int r;

	if (p->pidfd < 0)
		p->pidfd = rt_pidfd(&p->daemon->rt, p->pid);
	if (p->pidfd < 0)
		return -1;
	r = uv_poll_init(p->daemon->loop, &p->pidfd_poll, p->pidfd);
	if (r != 0) {
		errno = -r;
		return -1;
	}
	p->pidfd_poll.data = p;
	p->pidfd_polling = true; /* from here on it must be closed */
	r = uv_poll_start(&p->pidfd_poll, UV_READABLE, on_pidfd);
	if (r != 0) {
		pidfd_unwatch(p, NULL);
		errno = -r;
		return -1;
	}
	return 0;
}

/* --- probes ------------------------------------------------------------- */

void pod_set_ready(struct pod *p, bool ready)
{
	if (p->ready == ready)
		return;
	p->ready = ready;
	p->ready_since_mono = ready ? mono_ms() : 0;
	/* recorded, so that a restarted daemon serves it at once; on the
	 * thread pool (a burst of starts turns ready together) */
	store_save_pod_async(p);
	pod_changed(p);
}

/* A failed liveness or startup probe: the full termination sequence, then
 * a restart in place (probe-level terminationGracePeriodSeconds wins). */
static void kill_for_probe(struct pod *p, const struct probe_spec *probe,
			   const char *kind)
{
	char why[48];

	pod_event(p, "Normal", "Killing",
		  "Container %s failed %s probe, will be restarted",
		  p->deployment->name, kind);
	snprintf(why, sizeof(why), "%s probe failed", kind);
	pod_terminate(p, TERM_RESTART, probe->termination_grace_period_seconds,
		      why);
}

static void on_probe_event(void *owner, enum probe_type type, bool healthy,
			   const char *message)
{
	struct pod *p = owner;

	if (p->phase != POD_RUNNING || pod_terminating(p))
		return;
	switch (type) {
	case PROBE_STARTUP:
		if (healthy) {
			p->started_probe_ok = true;
			pod_set_ready(
			    p, p->ready_restored ||
				   (p->probes && probe_set_ready(p->probes)));
			return;
		}
		kill_for_probe(p, &p->spec->startup_probe, "startup");
		return;
	case PROBE_LIVENESS:
		if (!healthy)
			kill_for_probe(p, &p->spec->liveness_probe, "liveness");
		return;
	case PROBE_READINESS:
		p->ready_restored = false;
		pod_set_ready(p, healthy);
		return;
	}
}

/* Every failed probe run is an `Unhealthy` event, as the kubelet records
 * them; repeats fold into one event with a count. */
static void on_probe_failure(void *owner, enum probe_type type,
			     const char *message)
{
	struct pod *p = owner;

	if (p->phase == POD_RUNNING && !pod_terminating(p))
		pod_event(p, "Warning", "Unhealthy", "%s", message);
	/* An adopted pod is ready on its record's word only until its
	 * readiness probe's first verdict; a failure ends it at once (the
	 * probe itself starts from "not ready" and would not say so). */
	if (type == PROBE_READINESS && p->ready_restored &&
	    p->phase == POD_RUNNING && !pod_terminating(p)) {
		p->ready_restored = false;
		pod_set_ready(p, false);
	}
}

void pod_start_probes(struct pod *p)
{
	const struct deployment_spec *s = p->spec;
	struct probe_target *target = &p->probe_target;

	pod_stop_probes(p);
	if (!s->startup_probe.set && !s->liveness_probe.set &&
	    !s->readiness_probe.set) {
		p->started_probe_ok = true;
		pod_set_ready(p, true);
		return;
	}
	target->runtime = p->daemon->rt.path;
	target->runtime_root = p->daemon->rt.root;
	target->container_id = p->name;
	target->pid = p->pid;
	target->host_network = s->network == NET_HOST;
	p->probes =
	    probe_set_start(p->daemon->loop, s, target, on_probe_event, p);
	probe_set_on_failure(p->probes, on_probe_failure);
	if (!s->readiness_probe.set && !s->startup_probe.set)
		pod_set_ready(p, true);
}

void pod_stop_probes(struct pod *p)
{
	if (p->probes) {
		probe_set_stop(p->probes);
		p->probes = NULL;
	}
}
