/*
 * daemon.c - `berth up`: loads the config, takes the run-dir lock, becomes
 * the subreaper of its containers, adopts the pods of a previous daemon,
 * serves the control socket and runs the loop until `down` (or SIGTERM /
 * SIGINT) has stopped every pod. Owns the daemon struct and apply.
 */
#include "daemon.h"
#include "bluegreen_analysis.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/fsperm.h"
#include "../common/log.h"
#include "../common/sdnotify.h"
#include "../common/xalloc.h"
#include "../proxy/proxy.h"
#include "../runtime/cgroup.h"
#include "../runtime/fs_jobs.h"
#include "../runtime/logd.h"
#include "../runtime/logs.h"
#include "../runtime/netns.h"
#include "../runtime/rootfs.h"
#include "../signals/reaper.h"
#include "analysis_store.h"
#include "api.h"
#include "ctl_server.h"
#include "endpoints.h"
#include "events.h"
#include "loop_stall.h"
#include "notify.h"
#include "pod.h"
#include "reconcile.h"
#include "revision.h"
#include "rollout_analysis.h"
#include "service_ops.h"
#include "store.h"
#include "terminate.h"
#include "upgrade.h"
#include "usage.h"
#include "view.h"
#include "watch.h"

static const struct daemon_plugin *plugins[DAEMON_MAX_PLUGINS];
static size_t nplugins;

void daemon_register_plugin(const struct daemon_plugin *p)
{
	if (nplugins < DAEMON_MAX_PLUGINS)
		plugins[nplugins++] = p;
}

/* `berth up -d`: how long each step of the start took, since
 * daemon_run() began (an upgrade's successor included: -d is passed on). */
static int64_t startup_t0;

static void startup_step(const char *what)
{
	log_debug("start-up: %s at %lld ms", what,
		  (long long)(mono_ms() - startup_t0));
}

static int plugins_start(struct daemon *d, struct berr *err)
{
	for (size_t i = 0; i < nplugins; i++) {
		if (plugins[i]->start(d, err) == -1)
			return berr_wrap(err, "%s", plugins[i]->name), -1;
		startup_step(plugins[i]->name);
	}
	return 0;
}

size_t daemon_plugin_fds(struct daemon *d, int *fds, const char **names,
			 size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nplugins && n < max; i++) {
		int fd = plugins[i]->listen_fd ? plugins[i]->listen_fd(d) : -1;

		if (fd < 0)
			continue;
		fds[n] = fd;
		names[n++] = plugins[i]->fd_name;
	}
	return n;
}

static int plugins_extend(struct daemon *d, struct berth_config *cfg,
			  struct berr *err)
{
	for (size_t i = 0; i < nplugins; i++)
		if (plugins[i]->extend_config &&
		    plugins[i]->extend_config(d, cfg, err) == -1)
			return -1;
	return 0;
}

static void plugins_stop(struct daemon *d)
{
	for (size_t i = nplugins; i-- > 0;)
		plugins[i]->stop(d);
}

int64_t service_created_ms(struct daemon *d, const char *name)
{
	struct service_birth *b;

	for (b = d->service_births; b; b = b->next)
		if (!strcmp(b->name, name))
			return b->created_ms;
	b = xcalloc(1, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->created_ms = now_ms();
	b->next = d->service_births;
	d->service_births = b;
	return b->created_ms;
}

struct cfg_ref *cfg_ref_new(struct berth_config *cfg)
{
	struct cfg_ref *r = xcalloc(1, sizeof(*r));

	r->cfg = cfg;
	r->refs = 1;
	return r;
}

struct cfg_ref *cfg_ref_get(struct cfg_ref *r)
{
	r->refs++;
	return r;
}

void cfg_ref_put(struct cfg_ref *r)
{
	if (r && --r->refs == 0) {
		cfg_free(r->cfg);
		free(r);
	}
}

struct deployment *daemon_find_deployment(struct daemon *d, const char *name)
{
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (!strcmp(dep->name, name) && !dep->deleting)
			return dep;
	return NULL;
}

/* Also finds a deployment being deleted: applying it again takes it back
 * (one deployment, one state file, per name). */
static struct deployment *find_any_deployment(struct daemon *d,
					      const char *name)
{
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (!strcmp(dep->name, name))
			return dep;
	return NULL;
}

static bool kvlist_equal(const struct kvlist *a, const struct kvlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) ||
		    strcmp(a->v[i].value, b->v[i].value))
			return false;
	return true;
}

static bool deployment_meta_equal(const struct deployment_spec *a,
				  const struct deployment_spec *b)
{
	return a->replicas == b->replicas && a->strategy == b->strategy &&
	       a->max_surge.value == b->max_surge.value &&
	       a->max_surge.percent == b->max_surge.percent &&
	       a->max_unavailable.value == b->max_unavailable.value &&
	       a->max_unavailable.percent == b->max_unavailable.percent &&
	       a->min_ready_seconds == b->min_ready_seconds &&
	       a->progress_deadline_seconds == b->progress_deadline_seconds &&
	       a->progress_deadline_abort == b->progress_deadline_abort &&
	       a->revision_history_limit == b->revision_history_limit &&
	       kvlist_equal(&a->labels, &b->labels);
}

static void add_message(json_t *messages, const char *fmt, const char *name)
{
	char buf[160];

	if (messages == NULL)
		return;
	snprintf(buf, sizeof(buf), fmt, name);
	json_array_append_new(messages, json_string(buf));
}

void daemon_put_deployment(struct daemon *d, const struct deployment_spec *s,
			   struct cfg_ref *ref, const char *cause,
			   json_t *messages)
{
	struct deployment *dep = find_any_deployment(d, s->name);
	char hash[16];

	template_hash(s, hash);
	if (dep == NULL) {
		struct deployment **tail;

		dep = xcalloc(1, sizeof(*dep));
		dep->daemon = d;
		snprintf(dep->name, sizeof(dep->name), "%s", s->name);
		dep->spec = s;
		dep->spec_ref = cfg_ref_get(ref);
		dep->replicas = s->replicas;
		dep->created_ms = now_ms();
		dep->progress_mono = mono_ms();
		snprintf(dep->hash, sizeof(dep->hash), "%s", hash);
		dep->revision = revision_note(dep, hash, cause);
		for (tail = &d->deployments; *tail; tail = &(*tail)->next)
			;
		*tail = dep;
		add_message(messages, "deployment.apps/%s created", s->name);
		store_save_deployment(dep);
		watch_mark(d, WATCH_DEPLOYMENTS);
		reconcile_schedule(d);
		return;
	}
	bool revived = dep->deleting;
	bool template_changed = strcmp(hash, dep->hash) != 0;

	dep->deleting = false;
	bool meta_changed = !deployment_meta_equal(dep->spec, s);

	if (template_changed) {
		snprintf(dep->hash, sizeof(dep->hash), "%s", hash);
		dep->revision = revision_note(dep, hash, cause);
		dep->progress_mono = mono_ms();
		dep->progress_failed = false;
		event_record(d, "Normal", "RolloutStarted",
			     event_object_name("deployment", dep->name),
			     "Pod template changed: rolling out "
			     "revision %d (%s)",
			     dep->revision, hash);
	}
	if (revived || meta_changed || dep->replicas != s->replicas)
		dep->replicas = s->replicas;
	cfg_ref_put(dep->spec_ref);
	dep->spec = s;
	dep->spec_ref = cfg_ref_get(ref);
	add_message(messages,
		    revived ? "deployment.apps/%s created"
		    : template_changed || meta_changed
			? "deployment.apps/%s configured"
			: "deployment.apps/%s unchanged",
		    s->name);
	store_save_deployment(dep);
	watch_mark(d, WATCH_DEPLOYMENTS);
	reconcile_schedule(d);
}

void daemon_delete_deployment(struct daemon *d, struct deployment *dep)
{
	dep->deleting = true;
	event_record(d, "Normal", "DeploymentDeleted",
		     event_object_name("deployment", dep->name),
		     "Deployment deleted: stopping its pods");
	watch_mark(d, WATCH_DEPLOYMENTS);
	reconcile_schedule(d);
}

static void service_release(struct service_spec *s)
{
	free(s->name);
	free(s->listen);
	kvlist_free(&s->selector);
	memset(s, 0, sizeof(*s));
}

/* d->cfg's services with one replaced, added (svc) or removed (svc
 * NULL, name): bound and handed to the proxy before the swap. */
static int swap_services(struct daemon *d, const char *name,
			 struct service_spec *svc, struct berr *err)
{
	struct berth_config *cur = d->cfg, next;
	struct service_spec *v;
	size_t n = 0, at = cur->n_services;

	for (size_t i = 0; i < cur->n_services; i++)
		if (!strcmp(cur->services[i].name, name))
			at = i;
	if (svc == NULL && at == cur->n_services)
		return berr_set(err, "service `%s` not found", name);
	v = xcalloc(cur->n_services + 1, sizeof(*v));
	for (size_t i = 0; i < cur->n_services; i++) {
		if (i == at && svc == NULL)
			continue;
		v[n++] = i == at ? *svc : cur->services[i];
	}
	if (svc && at == cur->n_services)
		v[n++] = *svc;
	next = *cur;
	next.services = v;
	next.n_services = n;
	if (endpoints_apply(d, cur, &next, err) == -1) {
		free(v);
		return -1;
	}
	if (at < cur->n_services)
		service_release(&cur->services[at]);
	free(cur->services);
	cur->services = v;
	cur->n_services = n;
	if (svc) {
		service_created_ms(d, svc->name);
		memset(svc, 0, sizeof(*svc));
	}
	endpoints_sync(d);
	watch_mark(d, WATCH_SERVICES);
	return 0;
}

int daemon_put_service(struct daemon *d, struct service_spec *svc,
		       struct berr *err)
{
	char name[CFG_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s", svc->name);
	return swap_services(d, name, svc, err);
}

int daemon_delete_service(struct daemon *d, const char *name, struct berr *err)
{
	return swap_services(d, name, NULL, err);
}

void daemon_put_analysis(struct daemon *d, struct analysis_template *t)
{
	struct berth_config *cfg = d->cfg;
	size_t i;

	for (i = 0; i < cfg->n_analyses; i++)
		if (!strcmp(cfg->analyses[i].name, t->name))
			break;
	if (i == cfg->n_analyses) {
		cfg->analyses =
		    xrealloc(cfg->analyses,
			     (cfg->n_analyses + 1) * sizeof(*cfg->analyses));
		cfg->n_analyses++;
	} else {
		analysis_template_free(&cfg->analyses[i]);
	}
	cfg->analyses[i] = *t;
	memset(t, 0, sizeof(*t));
}

int daemon_delete_analysis(struct daemon *d, const char *name, struct berr *err)
{
	struct berth_config *cfg = d->cfg;

	for (size_t i = 0; i < cfg->n_analyses; i++) {
		if (strcmp(cfg->analyses[i].name, name))
			continue;
		analysis_template_free(&cfg->analyses[i]);
		memmove(&cfg->analyses[i], &cfg->analyses[i + 1],
			(cfg->n_analyses - i - 1) * sizeof(*cfg->analyses));
		cfg->n_analyses--;
		return 0;
	}
	return berr_set(err, "analysis `%s` not found", name);
}

int daemon_apply(struct daemon *d, const char *path, json_t *messages,
		 struct berr *err)
{
	struct berth_config *cfg = NULL;
	struct cfg_ref *ref;

	if (cfg_load(path, &cfg, err) == -1)
		return -1;
	if (plugins_extend(d, cfg, err) == -1) {
		cfg_free(cfg);
		return -1;
	}
	if (d->cfg && (strcmp(cfg->state_dir, d->state_dir) ||
		       strcmp(cfg->run_dir, d->run_dir)))
		json_array_append_new(
		    messages,
		    json_string("warning: state_dir/run_dir changes take "
				"effect at the next `berth up`"));
	/* Listeners first: an address in use fails the apply. */
	if (endpoints_apply(d, d->cfg, cfg, err) == -1) {
		cfg_free(cfg);
		return -1;
	}
	ref = cfg_ref_new(cfg);
	for (size_t i = 0; i < cfg->n_deployments; i++)
		daemon_put_deployment(d, &cfg->deployments[i], ref, "apply",
				      messages);
	for (struct deployment *dep = d->deployments; dep; dep = dep->next) {
		if (dep->deleting || cfg_find_deployment(cfg, dep->name))
			continue;
		dep->deleting = true;
		add_message(messages, "deployment.apps/%s deleted", dep->name);
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct service_spec *svc = &cfg->services[i];
		const struct service_spec *old = NULL;

		for (size_t k = 0; d->cfg && k < d->cfg->n_services; k++)
			if (!strcmp(d->cfg->services[k].name, svc->name))
				old = &d->cfg->services[k];
		service_created_ms(d, svc->name);
		if (old == NULL)
			add_message(messages, "service/%s created", svc->name);
		else if (strcmp(old->listen, svc->listen) ||
			 !kvlist_equal(&old->selector, &svc->selector) ||
			 old->target_port != svc->target_port ||
			 old->mode != svc->mode || old->balance != svc->balance)
			add_message(messages, "service/%s configured",
				    svc->name);
		else
			add_message(messages, "service/%s unchanged",
				    svc->name);
	}
	for (size_t k = 0; d->cfg && k < d->cfg->n_services; k++) {
		bool kept = false;

		for (size_t i = 0; i < cfg->n_services; i++)
			kept |= !strcmp(cfg->services[i].name,
					d->cfg->services[k].name);
		if (!kept)
			add_message(messages, "service/%s deleted",
				    d->cfg->services[k].name);
	}
	if (d->cfg_ref)
		cfg_ref_put(d->cfg_ref);
	d->cfg_ref = ref;
	d->cfg = cfg;
	free(d->config_path);
	d->config_path = xstrdup(cfg->path);
	store_save_applied(d, cfg->path);
	service_overrides_clear(d);
	endpoints_sync(d);
	watch_mark(d, WATCH_DEPLOYMENTS);
	watch_mark(d, WATCH_SERVICES);
	reconcile_schedule(d);
	return 0;
}

/* --- down ---------------------------------------------------------------- */

/* How long an operation still in flight at exit (a runtime call, a hook
 * that outlives its pod) may take to end through its own callbacks. */
#define EXIT_DRAIN_MS 2000

static void close_handle(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h)) {
		if (arg)
			++*(int *)arg;
		uv_close(h, NULL);
	}
}

static void close_if_open(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void force_exit(uv_timer_t *t)
{
	int n = 0;

	uv_walk(t->loop, close_handle, &n);
	log_info("exit: %d handle(s) still open after %d ms closed", n,
		 EXIT_DRAIN_MS);
}

/* The daemon's own handles close now; the loop ends as soon as whatever
 * is still in flight has ended by itself, or at EXIT_DRAIN_MS when the
 * rest is closed without its owners' callbacks. */
static void finish_exit(uv_timer_t *t)
{
	struct daemon *d = t->data;

	if (d->ctl) {
		ctl_server_stop(d->ctl);
		d->ctl = NULL;
	}
	plugins_stop(d);
	api_follows_stop(d);
	reaper_stop();
	loop_stall_stop();
	close_if_open((uv_handle_t *)&d->sigterm);
	close_if_open((uv_handle_t *)&d->sigint);
	close_if_open((uv_handle_t *)&d->sighup);
	close_if_open((uv_handle_t *)&d->sigusr2);
	close_if_open((uv_handle_t *)&d->housekeeping_timer);
	clock_timer_stop(&d->wake_timer);
	close_if_open((uv_handle_t *)&d->reconcile_timer);
	close_if_open((uv_handle_t *)&d->wake_timer);
	close_if_open((uv_handle_t *)&d->watch_timer);
	uv_timer_start(t, force_exit, EXIT_DRAIN_MS, 0);
	uv_unref((uv_handle_t *)t);
}

void daemon_check_down(struct daemon *d)
{
	static uv_timer_t exit_timer;

	if (!d->shutting_down || d->pods != NULL ||
	    uv_is_active((uv_handle_t *)&exit_timer))
		return;
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		store_save_deployment(dep);
	rt_cgroup_remove_parents();
	log_info("every pod stopped; exiting");
	if (d->down_conn) {
		ctl_reply_json(d->down_conn, 200,
			       json_pack("{s:s}", "message",
					 "every pod stopped; berth exited"));
		d->down_conn = NULL;
	}
	watch_close_all(d);
	uv_timer_init(d->loop, &exit_timer);
	exit_timer.data = d;
	/* Let the reply and the stream ends reach their clients first. */
	uv_timer_start(&exit_timer, finish_exit, 50, 0);
}

void daemon_down(struct daemon *d, struct ctl_conn *conn)
{
	if (conn) {
		if (d->down_conn) {
			ctl_reply_json(
			    conn, 202,
			    json_pack("{s:s}", "message", "already stopping"));
		} else {
			d->down_conn = conn;
		}
	}
	if (d->shutting_down) {
		daemon_check_down(d);
		return;
	}
	d->shutting_down = true;
	upgrade_cancel(d); /* a successor still starting */
	log_info("stopping every pod");
	for (struct pod *p = d->pods, *next; p; p = next) {
		next = p->next;
		pod_terminate(p, TERM_REMOVE, -1, "berth down");
	}
	notify_stopping(d);
	daemon_check_down(d);
}

/* --- signals, housekeeping ---------------------------------------------- */

static void on_stop_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	log_info("%s received: stopping every pod, then exiting",
		 signum == SIGINT ? "SIGINT" : "SIGTERM");
	daemon_down(d, NULL);
}

static void on_sighup(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	struct berr err = BERR_INIT;
	json_t *messages = json_array();

	if (d->config_path == NULL || d->shutting_down)
		return;
	notify_reloading(d);
	if (daemon_apply(d, d->config_path, messages, &err) == -1)
		log_warnx("SIGHUP: %s (nothing applied)", err.msg);
	else
		log_info("SIGHUP: %s re-applied", d->config_path);
	notify_ready(d);
	json_decref(messages);
}

off_t daemon_log_max_bytes(const struct daemon *d)
{
	const char *env = getenv("BERTH_LOG_MAX_BYTES");
	long long v = env ? atoll(env) : 0;

	if (v > 0)
		return (off_t)v;
	return d->cfg && d->cfg->container_log_max_size > 0
		   ? (off_t)d->cfg->container_log_max_size
		   : LOGS_DEFAULT_MAX_BYTES;
}

static void on_housekeeping(uv_timer_t *t)
{
	struct daemon *d = t->data;
	off_t cap = daemon_log_max_bytes(d);

	/* SIGCHLDs coalesce; a periodic scan makes a missed one harmless. */
	reaper_scan();
	store_retry_unsaved(d);
	usage_sample(d); /* top pods: cgroup counters, on the thread pool */
	/* A container started before the log collector (a daemon upgraded
	 * in place) writes its file itself: that file's cap is polled, on
	 * the thread pool (a pod whose cap still runs skips this tick).
	 * The collector's files are left alone (logs_cap_files). */
	for (struct pod *p = d->pods; p; p = p->next) {
		if (p->phase == POD_RUNNING) {
			cleanup_free char *log = pod_log_path(p);

			fs_jobs_cap_log_files(
			    d->loop, log, cap,
			    d->cfg ? d->cfg->container_log_max_files
				   : LOGS_DEFAULT_MAX_FILES);
		}
	}
	/* Nothing here decides about pods: minReadySeconds and progress
	 * deadlines wake the controller themselves (reconcile.c). */
}

/* --- start-up --------------------------------------------------------------
 */

static void usage(void)
{
	fprintf(stderr, "usage: berth up [-c FILE] [--debug]\n");
}

static int take_lock(struct daemon *d, struct berr *err)
{
	cleanup_free char *path = xasprintf("%s/berth.lock", d->run_dir);

	/* handed over by the daemon this one succeeds: the same open file,
	 * so the same lock */
	d->lock_fd = sdnotify_listen_take("berth-lock");
	if (d->lock_fd < 0)
		d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd == -1)
		return berr_errno(err, errno, "open `%s`", path);
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == -1)
		return berr_set(err,
				"another berth daemon is running with "
				"run_dir `%s`",
				d->run_dir);
	return 0;
}

/* Directories, lock, runtime and probe folder, from the config loaded for
 * them (the apply below loads it again). */
static int prepare(struct daemon *d, const struct berth_config *cfg,
		   struct berr *err)
{
	cleanup_free char *probes = NULL;
	struct berr logd_err = BERR_INIT;

	d->state_dir = xstrdup(cfg->state_dir);
	d->run_dir = xstrdup(cfg->run_dir);
	d->sock_path = xasprintf("%s/berth.sock", d->run_dir);
	if (mkdir_p(d->run_dir, 0700, err) == -1 ||
	    mkdir_p(d->state_dir, 0700, err) == -1 ||
	    dir_check_private("run_dir", d->run_dir, err) == -1 ||
	    dir_check_private("state_dir", d->state_dir, err) == -1 ||
	    take_lock(d, err) == -1 || store_init(d, err) == -1)
		return -1;
	/* Before any other thread exists: the namespace they return to. */
	if (rt_netns_init(err) == -1 ||
	    rt_init(&d->rt, d->loop, cfg->runtime, d->run_dir, err) == -1)
		return -1;
	probes = xasprintf("%s/probes", d->run_dir);
	if (mkdir_p(probes, 0700, err) == -1)
		return -1;
	rt_exec_set_pid_dir(probes);
	/* The log collector: found again, or started (logd.h). A daemon
	 * without one still runs: each start tries again. */
	d->logd_fd = logd_hello(d->run_dir, &logd_err);
	if (d->logd_fd == -1)
		log_warnx("%s (containers' output is collected once it "
			  "starts)",
			  logd_err.msg);
	return 0;
}

static int ignore_sigpipe(struct berr *err)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return berr_errno(err, errno, "sigaction SIGPIPE");
	return 0;
}

/* SIGUSR2: hand over to the binary this daemon was started from (as
 * nginx and HAProxy users know it); the outcome is logged. */
static void on_sigusr2(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	struct berr err = BERR_INIT;

	log_info("SIGUSR2: upgrading in place");
	if (upgrade_begin(d, NULL, NULL, &err) == -1)
		log_warnx("upgrade failed: %s; this daemon goes on serving",
			  err.msg);
}

/* SIGTERM and SIGINT stop every pod, then exit; SIGHUP re-applies;
 * SIGUSR2 upgrades. */
static int start_signals(struct daemon *d, struct berr *err)
{
	struct {
		uv_signal_t *h;
		uv_signal_cb cb;
		int signum;
	} sigs[] = {{&d->sigterm, on_stop_signal, SIGTERM},
		    {&d->sigint, on_stop_signal, SIGINT},
		    {&d->sighup, on_sighup, SIGHUP},
		    {&d->sigusr2, on_sigusr2, SIGUSR2}};
	int r;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		uv_signal_init(d->loop, sigs[i].h);
		sigs[i].h->data = d;
		r = uv_signal_start(sigs[i].h, sigs[i].cb, sigs[i].signum);
		if (r != 0)
			return berr_set(err, "cannot handle signal %d: %s",
					sigs[i].signum, uv_strerror(r));
	}
	return 0;
}

/* Everything from the options to the end of the loop; every object it
 * makes hangs off d, which daemon_free() takes down whatever the exit. */
static int daemon_run(struct daemon *d, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"debug", no_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct berr err = BERR_INIT;
	const char *config_path = NULL;
	cleanup_free char *applied = NULL;
	json_t *messages, *records = NULL, *selectors = NULL;
	int c, rc, exit_code = 1, proxy_threads = 1;

	startup_t0 = mono_ms();
	notify_init();
	d->handover = upgrade_init();
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:f:dh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'f':
			config_path = optarg;
			break;
		case 'd':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (config_path == NULL &&
	    dir_check_private("state_dir", "/var/lib/berth", &err) == -1 &&
	    err.code != ENOENT) {
		fprintf(stderr, "berth up: %s\n", err.msg);
		return 1;
	}
	if (config_path == NULL) {
		applied = store_load_applied("/var/lib/berth");
		config_path = applied;
	}
	if (config_path == NULL) {
		fprintf(stderr, "berth up: no config: give -c FILE\n");
		return 2;
	}
	if (ignore_sigpipe(&err) == -1)
		goto fail;
	d->loop = uv_default_loop();
	/* Pod folders are removed off the loop thread from now on. */
	rootfs_set_loop(d->loop);
	{
		/* Load once up front for the directories; apply below. */
		struct berth_config *probe_cfg = NULL;

		if (cfg_load(config_path, &probe_cfg, &err) == -1)
			goto fail_config;
		rc = prepare(d, probe_cfg, &err);
		for (size_t i = 0; rc == 0 && i < nplugins; i++)
			if (plugins[i]->prepare)
				plugins[i]->prepare(probe_cfg);
		/* Threads are made once: a later apply does not change them. */
		proxy_threads = probe_cfg->proxy_threads;
		if (proxy_threads == 0)
			proxy_threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
		cfg_free(probe_cfg);
		if (rc == -1)
			goto fail;
	}
	startup_step("config read, run folder locked, runtime found, "
		     "plugins prepared");
	watch_init(d);
	reconcile_init(d);
	if (reaper_start(d->loop, pod_reaped, d, &err) == -1)
		goto fail;
	d->proxy = proxy_start_threads(proxy_threads, &err);
	if (d->proxy == NULL)
		goto fail;
	rollout_analysis_init(d);
	bluegreen_analysis_init();
	startup_step("proxy threads running");
	/* Nothing above reads state: started by an upgrade, the previous
	 * daemon served on until here, and stops acting now. */
	if (upgrade_wait_go(&err) == -1)
		goto fail;
	if (d->handover)
		startup_step("hand-over: told to go");
	notify_listeners(d);
	/* Listeners bound by the apply accept nothing until the adopted
	 * pods' endpoints are published (store_restore_pods()). */
	endpoints_hold(d);
	records = store_load_deployments(d);
	selectors = service_overrides_load(d);
	messages = json_array();
	rc = daemon_apply(d, config_path, messages, &err);
	json_decref(messages);
	if (rc == -1)
		goto fail_config;
	store_restore_deployments(d, records);
	analysis_store_restore(d);
	startup_step("config applied, service listeners taken");
	/* The last steps that can fail come before any pod exists: a
	 * failed start leaves the containers as they were. */
	if (d->cfg->admin &&
	    proxy_admin_listen_fd(d->proxy, d->cfg->admin,
				  sdnotify_listen_take("berth-admin"),
				  &err) == -1)
		goto fail;
	if (ctl_server_start_fd(d->loop, d->sock_path,
				sdnotify_listen_take("berth-control"),
				api_handle, d, &d->ctl, &err) == -1)
		goto fail;
	if (start_signals(d, &err) == -1)
		goto fail;
	startup_step("control socket listening");
	if (plugins_start(d, &err) == -1)
		goto fail;
	store_restore_pods(d);
	startup_step("pods adopted");
	service_overrides_restore(d, selectors); /* takes selectors */
	selectors = NULL;
	json_decref(records);
	records = NULL;
	endpoints_sync(d);
	uv_timer_init(d->loop, &d->housekeeping_timer);
	d->housekeeping_timer.data = d;
	uv_timer_start(&d->housekeeping_timer, on_housekeeping, 1000, 1000);
	log_info("berth up: config %s, state %s, socket %s, runtime %s",
		 d->config_path, d->state_dir, d->sock_path, d->rt.path);
	reconcile_schedule(d);
	upgrade_ready();
	notify_ready(d);
	startup_step("ready");
	loop_stall_start(d->loop);
	uv_run(d->loop, UV_RUN_DEFAULT);
	{
		cleanup_free char *lock =
		    xasprintf("%s/berth.lock", d->run_dir);

		unlink(lock);
	}
	return d->exit_code;

	/* Every failed start ends here; daemon_free() takes down the rest.
	 * A config error is printed as cfg_load wrote it (FILE:LINE: ...). */
fail_config:
	fprintf(stderr, "%s\n", err.msg);
	exit_code = 2;
	goto out;
fail:
	fprintf(stderr, "berth up: %s\n", err.msg);
out:
	json_decref(records);
	json_decref(selectors);
	return exit_code;
}

void daemon_free(struct daemon *d)
{
	if (d->ctl) {
		ctl_server_stop(d->ctl);
		d->ctl = NULL;
	}
	plugins_stop(d);
	reaper_stop();
	bluegreen_analysis_free();
	rollout_analysis_free(d);
	proxy_stop(d->proxy);
	d->proxy = NULL;
	while (d->pods) {
		struct pod *p = d->pods;

		d->pods = p->next;
		pod_forget(p);
	}
	if (d->loop) {
		int rc;

		/* Close callbacks free what their handles belong to. */
		uv_walk(d->loop, close_handle, NULL);
		uv_run(d->loop, UV_RUN_DEFAULT);
		rc = uv_loop_close(d->loop);
		if (rc != 0)
			log_warnx("event loop: %s", uv_strerror(rc));
	}
	while (d->deployments) {
		struct deployment *dep = d->deployments;

		d->deployments = dep->next;
		deployment_free(dep);
	}
	while (d->service_births) {
		struct service_birth *b = d->service_births;

		d->service_births = b->next;
		free(b);
	}
	service_overrides_free(d);
	cfg_ref_put(d->cfg_ref);
	rt_free(&d->rt);
	rt_exec_set_pid_dir(NULL);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	if (d->logd_fd >= 0)
		close(d->logd_fd);
	free(d->config_path);
	free(d->state_dir);
	free(d->run_dir);
	free(d->sock_path);
	free(d);
}

int daemon_main(int argc, char **argv)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	int rc;

	d->lock_fd = -1;
	d->logd_fd = -1;
	rc = daemon_run(d, argc, argv);
	daemon_free(d);
	return rc;
}
