/*
 * daemon.c - `berth up`: loads the config, takes the run-dir lock, becomes
 * the subreaper of its containers, adopts the pods of a previous daemon,
 * serves the control socket and runs the loop until `down` (or SIGTERM /
 * SIGINT) has stopped every pod. Owns the daemon struct, its start-up
 * and shut-down, and the plugin table; the applied objects (apply, put
 * and delete of deployments, services and analysis templates) are
 * daemon_objects.c's.
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
#include "../runtime/logd_keep.h"
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

int daemon_plugins_extend(struct daemon *d, struct berth_config *cfg,
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
	logd_keep_stop(d->logd_keep);
	d->logd_keep = NULL;
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
	int fd;

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
	/* The log collector: found again, or started (logd.h); the daemon
	 * keeps a copy of every container's pipes and starts it again if
	 * it dies (logd_keep.h). A daemon without one still runs: it tries
	 * again every second, and each start does too. */
	fd = logd_hello(d->run_dir, &logd_err);
	if (fd == -1)
		log_warnx("%s (containers' output is collected once it "
			  "starts)",
			  logd_err.msg);
	d->logd_keep = logd_keep_start(d->loop, d->run_dir, fd);
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
	logd_keep_stop(d->logd_keep);
	d->logd_keep = NULL;
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
	rc = daemon_run(d, argc, argv);
	daemon_free(d);
	return rc;
}
