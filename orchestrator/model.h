/*
 * model.h - the daemon's in-memory objects: the daemon itself, deployments
 * and pods. Every orchestrator module works on these; nothing below the
 * orchestrator includes this file.
 */
#ifndef BERTH_ORCHESTRATOR_MODEL_H
#define BERTH_ORCHESTRATOR_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "../config/config.h"
#include "../probes/probe.h"
#include "../runtime/runtime.h"
#include "bluegreen_phase.h"
#include "canary_steps.h"

struct probe_set;
struct ctl_server;
struct proxy;
struct kube_server;
struct service_override;

/* A loaded config shared by every object whose spec points into it; freed
 * when the last holder lets go (pods outlive the config that made them). */
struct cfg_ref {
	struct berth_config *cfg;
	int refs;
};
struct cfg_ref *cfg_ref_new(struct berth_config *cfg);
struct cfg_ref *cfg_ref_get(struct cfg_ref *r);
void cfg_ref_put(struct cfg_ref *r);

struct ctl_conn;
struct logd_keep;

/*
 * Pod phases. STATUS as kubectl prints it is derived from the phase plus the
 * last exit (pod_status()).
 */
enum pod_phase {
	POD_PENDING,  /* record exists, container not created yet */
	POD_CREATING, /* rootfs + bundle + `runtime run` in flight */
	POD_RUNNING,  /* container process alive */
	POD_CLEANING, /* process gone; `runtime delete` + unmount running */
	POD_WAITING,  /* exited; waiting for back-off or kept (Completed) */
	POD_GONE      /* removed from every list; memory freed soon */
};

/*
 * Where a pod is in SPEC §4's termination sequence; each step implies
 * the ones before it (terminate.c). One value, so no combination of
 * "hook running", "signal sent", "kill sent" can contradict another.
 */
enum term_step {
	TERM_NONE,	/* not being terminated */
	TERM_ASKED,	/* asked while not running (creating, cleaning): the
			   sequence starts once it runs, if it ever does */
	TERM_PRESTOP,	/* out of every endpoint; preStop hook running */
	TERM_SIGNALLED, /* stop signal sent; SIGKILL at the deadline */
	TERM_EXTENDED,	/* hook still running at the deadline: stop signal
			   sent, SIGKILL 2 s later */
	TERM_KILLED,	/* SIGKILL sent; waiting for the exit */
};

/* What follows a termination once the container is gone. */
enum term_after {
	TERM_REMOVE, /* the pod goes away (delete, scale down, down) */
	TERM_RESTART /* liveness/startup failure: restart per policy */
};

/* What `top pods` shows, from the pod's cgroup (orchestrator/usage.c). */
struct pod_usage {
	pid_t pid;		     /* the container sampled (0: none) */
	uint64_t cpu_ns;	     /* counter at the window's start */
	int64_t cpu_mono;	     /* 0: no sample yet */
	int64_t cpu_millicores;	     /* -1: not known yet */
	uint64_t memory_working_set; /* bytes; valid when has_memory */
	bool has_memory;
};

struct pod {
	struct pod *next; /* in daemon.pods, creation order */
	struct daemon *daemon;
	struct deployment *deployment;
	char name[64];
	char hash[16];	   /* revision hash (pod template) */
	int revision;	   /* revision number at creation */
	char *image;	   /* image as configured: a folder or a reference */
	char *image_id;	   /* the resolved image's repo digest (or ID); NULL */
	int pull_failures; /* consecutive failed resolves, for back-off */
	const struct deployment_spec *spec; /* template this pod runs */
	struct cfg_ref *spec_ref;	    /* keeps spec alive */

	enum pod_phase phase;
	pid_t pid;
	int pidfd; /* adopted pods: exit via pidfd, else -1 */
	/* start time (rt_pid_start) of process start_pid, kept by store.c
	 * to recognise the recorded process after a restart */
	uint64_t pid_start;
	pid_t start_pid;
	uv_poll_t pidfd_poll;
	bool pidfd_polling;
	struct exit_wait *exit_wait; /* pod.c: an adopted exit's status */
	int restarts;
	int crashes;	      /* for back-off: consecutive failed runs */
	int last_exit_code;   /* -1: none yet / unknown */
	char last_reason[32]; /* "Completed", "Error", "OOMKilled"... */
	char last_message[512];
	/* wall clock, shown and recorded */
	int64_t created_ms;
	int64_t started_ms;
	int64_t finished_ms;
	int64_t last_started_ms; /* start of the run that finished_ms ended */
	/* monotonic clock (clock.h): durations and deadlines */
	int64_t started_mono;	  /* the run's start and end, for the */
	int64_t finished_mono;	  /* back-off reset */
	int64_t ready_since_mono; /* 0: not ready */
	int64_t restart_at_mono;  /* POD_WAITING: when to start again; 0 none */
	bool ready;
	/* ready as recorded by the previous daemon, kept until the readiness
	 * probe's first verdict after adoption (pod.c) */
	bool ready_restored;
	bool started_probe_ok; /* startup probe passed (or none) */
	struct probe_set *probes;
	struct probe_target probe_target; /* must outlive probes */

	/* termination (terminate.c) */
	enum term_step term_step;
	enum term_after term_after; /* meaningful unless TERM_NONE */
	int64_t term_started_mono;
	int grace_seconds;
	unsigned term_gen; /* which termination a hook belongs to */
	uv_timer_t timer;  /* back-off, grace deadline */
	bool timer_open;
	bool state_unsaved; /* its record could not be written: retried */
	/* store.c: its record is written on the thread pool, one write at a
	 * time; a save made meanwhile waits as record_next (the latest
	 * wins), a removal as record_removed */
	bool record_writing;
	bool record_removed;
	char *record_next;
	struct pod_usage usage; /* usage.c: cgroup samples */
	/* endpoints.c: services whose targetPort name its container lacks,
	 * each said once */
	struct strv port_warned;
	uv_timer_t *hook_timer; /* preStop sleep; owned by terminate.c */
	int refs;		/* async operations holding this pod */
};

struct revision {
	int number;
	char hash[16];
	char cause[128];
	int64_t created_ms;
	const struct deployment_spec *spec; /* template of this revision */
	struct cfg_ref *spec_ref;
};

struct deployment {
	struct deployment *next;
	struct daemon *daemon;
	char name[64];
	const struct deployment_spec *spec; /* current desired spec */
	struct cfg_ref *spec_ref;
	int replicas;		    /* desired; `scale` changes it */
	char hash[16];		    /* current template hash */
	int revision;		    /* current revision number */
	struct revision *revisions; /* history, oldest first */
	size_t n_revisions;
	int64_t created_ms;
	bool paused;
	bool state_unsaved;    /* its record could not be written: retried */
	bool deleting;	       /* removed from config: scale to 0 */
	int64_t progress_mono; /* last progress (for the deadline) */
	bool progress_failed;  /* ProgressDeadlineExceeded */
	/* The controller's memory between steps (reconcile.c): replicas seen
	 * last, the last fully available template, the previous counts. */
	struct rollout_memo {
		bool set;
		int desired;
		char stable[16];
		char hash[16];
		int updated, old, ready, available;
	} memo;
	/* The Canary strategy's run (canary.c), and what it last told the
	 * proxy. */
	struct canary_run {
		struct canary_state s;
		bool published;
		int pub_weight;
		long pub_header;
		/* Analysis runs (canary_analysis.c): of the analysis step
		 * step_run_step, and the background one; "" none. */
		char step_run[112];
		long step_run_step;
		char bg_run[112];
		int weight; /* what the proxy is told (dynamicStableScale
			       keeps some after an abort) */
		int pub_mirror;
	} canary;
	/* The BlueGreen strategy's run (bluegreen.c). */
	struct bluegreen_state bg;
};

struct event {
	int64_t time_ms;
	int64_t first_ms;
	int count;
	char type[8]; /* Normal | Warning */
	char reason[32];
	char object[96]; /* pod/NAME, deployment/NAME */
	char message[512];
	uint64_t seq;
};

#define EVENT_RING 2048

struct watcher {
	struct watcher *next;
	struct ctl_conn *conn;
	int kind; /* WATCH_PODS, ... */
	uint64_t event_seq;
	char *last_sent; /* last document sent, to skip duplicates */
	bool dead;
	bool unlinked; /* off the list; freed by the close callback */
};

enum watch_kind { WATCH_PODS, WATCH_DEPLOYMENTS, WATCH_SERVICES, WATCH_EVENTS };

struct log_follow;

/* When each service first appeared (for AGE); kept across applies. */
struct service_birth {
	struct service_birth *next;
	char name[64];
	int64_t created_ms;
};

struct daemon {
	uv_loop_t *loop;
	struct berth_config *cfg; /* last applied config */
	struct cfg_ref *cfg_ref;
	char *config_path;
	char *state_dir;
	char *run_dir;
	char *sock_path;
	struct rt rt;
	struct ctl_server *ctl;
	struct proxy *proxy;		    /* the data plane (proxy/proxy.h) */
	struct service_override *overrides; /* `set selector`; apply resets */
	struct deployment *deployments;
	struct pod *pods;
	struct event events[EVENT_RING];
	uint64_t event_seq; /* total events ever recorded */
	struct watcher *watchers;
	struct service_birth *service_births;
	struct log_follow *follows;
	struct kube_server *kube; /* the Kubernetes API (kube/), or NULL */
	struct analysis_runs *analyses; /* analysis runs (rollout_analysis.c) */
	struct analysis_store *astore;	/* their files (analysis_store.c) */
	uv_timer_t analysis_flush_timer;
	bool analysis_sweep; /* restored runs not yet taken back */
	uv_timer_t reconcile_timer;
	uv_timer_t wake_timer; /* the next time-driven decision (reconcile.c) */
	uv_timer_t watch_timer;
	uv_timer_t housekeeping_timer;
	uv_signal_t sigterm, sigint, sighup, sigusr2;
	bool watch_dirty[4];
	bool shutting_down;
	/* started by a daemon handing over to this one (berth upgrade): its
	 * records are current and it made no container in between */
	bool handover;
	/* Start-up: nothing is published to the proxy, and its listeners
	 * accept nothing, until the adopted pods' endpoints are known
	 * (endpoints_release()). */
	bool endpoints_held;
	/* STATE_DIR writes failing (a full disk, say): what is unsaved is
	 * written again every second until it succeeds (store.c). */
	bool state_failing;
	bool applied_unsaved;
	bool usage_reading; /* usage.c: a tick's cgroup reads in flight */
	struct ctl_conn *down_conn; /* replied to when every pod is gone */
	int lock_fd;
	/* the log collector's connection and the pipes' copies
	 * (runtime/logd_keep.h) */
	struct logd_keep *logd_keep;
	int exit_code;
	/* exits the reaper saw before the pod learned its pid */
	struct {
		pid_t pid;
		int status;
	} unclaimed[64];
	size_t n_unclaimed;
};

#include "clock.h"

/* Being terminated for good (deleted, scaled down, down). A pod killed by
 * its liveness or startup probe is terminating too, but it stays: it
 * restarts in place and still counts as one of its deployment's pods. */
static inline bool pod_terminating(const struct pod *p)
{
	return p->term_step != TERM_NONE;
}
static inline bool pod_leaving(const struct pod *p)
{
	return pod_terminating(p) && p->term_after == TERM_REMOVE;
}
/* Stops the daemon with a clear message when p's fields contradict each
 * other (pod.c): going on from a state that cannot be would act on the
 * wrong container or none. where names the transition just made. */
void pod_check(const struct pod *p, const char *where);
/* "asked", "preStop", ... for messages. */
const char *term_step_name(enum term_step step);
/* Creation time of service name, recorded on first call. */
int64_t service_created_ms(struct daemon *d, const char *name);

#endif
