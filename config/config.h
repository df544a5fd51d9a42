/*
 * config.h - the validated, in-memory form of a berth INI file.
 *
 * cfg_load() parses the whole file, validates every key and cross-field
 * rule, and either returns a complete struct berth_config or fails with
 * "FILE:LINE: message" in err, having built nothing. Nothing here knows about
 * running pods; every layer above may read these structs, none may mutate
 * them after load.
 */
#ifndef BERTH_CONFIG_CONFIG_H
#define BERTH_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/quantity.h"

/* Deployment and service names: DNS-1123 labels of at most this length. */
#define CFG_NAME_MAX 40

/* A NULL-terminated vector of strings; n excludes the terminator. */
struct strv {
	char **v;
	size_t n;
};

struct kv {
	char *key;
	char *value;
};

/* Ordered key=value list (labels, selectors, headers). */
struct kvlist {
	struct kv *v;
	size_t n;
};

/* struct int_or_percent ("25%" or "3") lives in common/quantity.h. */

#include "config_analysis.h"

/* One step of strategy.canary.steps (Argo Rollouts' canary.steps[]). */
enum canary_step_kind {
	CANARY_SET_WEIGHT,	 /* setWeight N */
	CANARY_PAUSE,		 /* pause [DURATION] */
	CANARY_SET_CANARY_SCALE, /* setCanaryScale replicas N | weight N |
				    matchTrafficWeight */
	CANARY_SET_HEADER_ROUTE, /* setHeaderRoute [NAME exact|prefix|regex V]
				  */
	CANARY_ANALYSIS,	 /* analysis TEMPLATE... */
	CANARY_SET_MIRROR_ROUTE	 /* setMirrorRoute [PERCENT] */
};
enum canary_scale_kind {
	CANARY_SCALE_MATCH, /* follow the traffic weight (the default) */
	CANARY_SCALE_REPLICAS,
	CANARY_SCALE_WEIGHT
};
enum header_match { HEADER_EXACT, HEADER_PREFIX, HEADER_REGEX };

struct canary_step {
	enum canary_step_kind kind;
	int value;	       /* setWeight %, scale replicas or %, mirror % */
	int64_t pause_seconds; /* pause: -1 until promoted */
	enum canary_scale_kind scale;
	char *header; /* setHeaderRoute: NULL removes the route */
	enum header_match match;
	char *header_value;
	struct strv templates; /* analysis: [analysis NAME] sections */
	int line;
};

struct canary_steps {
	struct canary_step *v;
	size_t n;
};
void canary_steps_free(struct canary_steps *s);
void canary_steps_dup(struct canary_steps *dst, const struct canary_steps *src);
/* The step as written in the config ("setWeight 20"), into buf. */
const char *canary_step_str(const struct canary_step *st, char *buf,
			    size_t len);

/* strategy.blueGreen.* (Argo Rollouts' blueGreen fields). */
struct bluegreen_spec {
	char *active_service;		    /* required with BlueGreen */
	char *preview_service;		    /* NULL: none */
	bool auto_promotion_enabled;	    /* default true */
	int auto_promotion_seconds;	    /* -1: unset (promote once ready) */
	int preview_replica_count;	    /* -1: unset (full replicas) */
	int scale_down_delay_seconds;	    /* default 30 */
	int abort_scale_down_delay_seconds; /* default 30 */
	char *pre_promotion_analysis;	    /* [analysis NAME] or NULL */
	char *post_promotion_analysis;	    /* [analysis NAME] or NULL */
};
void bluegreen_spec_dup(struct bluegreen_spec *dst,
			const struct bluegreen_spec *src);
void bluegreen_spec_free(struct bluegreen_spec *s);

enum net_mode { NET_PRIVATE, NET_HOST };
enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };
enum strategy_type {
	STRATEGY_ROLLING_UPDATE,
	STRATEGY_RECREATE,
	STRATEGY_BLUE_GREEN,
	STRATEGY_CANARY
};
enum handler_kind {
	HANDLER_NONE,
	HANDLER_EXEC,
	HANDLER_HTTP,
	HANDLER_TCP,
	HANDLER_SLEEP
};
enum seccomp_mode { SECCOMP_RUNTIME_DEFAULT, SECCOMP_UNCONFINED, SECCOMP_FILE };

/* One action: a probe handler or a preStop hook. */
struct handler_spec {
	enum handler_kind kind;
	struct strv exec_command; /* HANDLER_EXEC: argv, words split */
	char *http_path;	  /* HANDLER_HTTP: "/healthz" */
	int http_port;		  /* HANDLER_HTTP */
	char *http_host; /* HANDLER_HTTP: Host header, NULL = default */
	struct kvlist http_headers; /* HANDLER_HTTP: extra request headers */
	int tcp_port;		    /* HANDLER_TCP */
	int sleep_seconds;	    /* HANDLER_SLEEP (preStop only) */
	/* HANDLER_HTTP/TCP: the port given by name (IANA service name), the
	 * container port of that portName; validation fills in its number
	 * as http_port/tcp_port. NULL: the port was given as a number. */
	char *port_name;
};

struct probe_spec {
	bool set; /* false: no such probe configured */
	struct handler_spec handler;
	int initial_delay_seconds;	      /* default 0 */
	int period_seconds;		      /* default 10 */
	int timeout_seconds;		      /* default 1 */
	int success_threshold;		      /* default 1 */
	int failure_threshold;		      /* default 3 */
	int termination_grace_period_seconds; /* -1: use the pod's */
};

struct mount_spec {
	char *host_path;      /* absolute */
	char *container_path; /* absolute */
	bool read_only;
};

struct deployment_spec {
	char *name;
	int line; /* line of the [deployment NAME] header */

	/* pod template: everything here is part of the revision hash */
	char *image; /* absolute path of a root filesystem folder, or an
			image reference as written (never starts with '/') */
	int image_pull_policy; /* 0: by tag; else enum image_pull_policy+1 */
	struct strv command;   /* split, $(VAR) expanded; may be empty */
	struct strv args;      /* split, $(VAR) expanded */
	struct strv env;       /* "K=V" in file order */
	char *working_dir;     /* NULL = "/" */
	struct mount_spec *mounts;
	size_t n_mounts;
	int port; /* 0 = unset */
	/* ports[0].name; NULL = unnamed. A probe's, a hook's or a service's
	 * port given by name means this port when the names match. */
	char *port_name;
	enum net_mode network;
	enum restart_policy restart_policy;
	int termination_grace_period_seconds; /* default 30 */
	int stop_signal;		      /* default SIGTERM */
	struct handler_spec pre_stop;	      /* kind HANDLER_NONE if unset */
	struct probe_spec startup_probe;
	struct probe_spec liveness_probe;
	struct probe_spec readiness_probe;
	int64_t memory_limit_bytes; /* 0 = unlimited */
	int64_t cpu_limit_millis;   /* 0 = unlimited */
	int64_t pids_limit;	    /* 0 = unlimited */
	int64_t run_as_user;	    /* -1 = image default (root) */
	int64_t run_as_group;	    /* -1 = same as user / 0 */
	bool read_only_root_filesystem;
	struct strv caps_drop; /* upper-case names without CAP_, or ALL */
	struct strv caps_add;
	enum seccomp_mode seccomp;
	char *seccomp_file; /* SECCOMP_FILE: absolute path */
	/* `rollout restart` stamp (RFC 3339), "" when never restarted; like
	 * kubectl's restartedAt annotation it changes only the hash */
	char restarted_at[32];

	/* not part of the template */
	int replicas; /* default 1 */
	struct kvlist labels;
	enum strategy_type strategy;
	struct int_or_percent max_surge;	/* default 25% */
	struct int_or_percent max_unavailable;	/* default 25% */
	int min_ready_seconds;			/* default 0 */
	int progress_deadline_seconds;		/* default 600 */
	bool progress_deadline_abort;		/* default false */
	int revision_history_limit;		/* default 10 */
	struct canary_steps canary_steps;	/* strategy.canary.steps */
	struct canary_analysis canary_analysis; /* strategy.canary.analysis */
	bool dynamic_stable_scale; /* strategy.canary.dynamicStableScale */
	/* strategy.canary.abortScaleDownDelaySeconds; -1: unset (30 s, or
	 * with dynamicStableScale as the stable pods come back) */
	int canary_abort_scale_down_delay_seconds;
	struct bluegreen_spec bluegreen; /* strategy.blueGreen.* */
	/* strategy.canary.stickiness.cookie; "" none */
	char canary_cookie[64];
};

enum service_mode { SERVICE_HTTP, SERVICE_TCP };
enum service_balance { BALANCE_ROUND_ROBIN, BALANCE_LEAST_CONN };

struct service_spec {
	char *name;
	int line;
	char *listen;	 /* "ADDR:PORT" or "[V6]:PORT" as written */
	char *port_name; /* spec.ports[0].name; NULL = unnamed; not used */
	struct kvlist selector;
	int target_port; /* 0 when given by name */
	/* targetPort given by name: per pod, the port of its container whose
	 * portName it is; a pod without one is no endpoint. NULL: a number */
	char *target_port_name;
	enum service_mode mode;
	enum service_balance balance;
	int timeout_connect_ms;
	int timeout_client_ms;
	int timeout_server_ms;
	int timeout_response_ms;
	int timeout_http_request_ms; /* head, and each body stretch */
	int max_connections;	     /* 0: derived from the fd limit */
};

struct berth_config {
	char *path;	 /* absolute path of the file loaded */
	char *state_dir; /* default /var/lib/berth */
	char *run_dir;	 /* default /run/berth */
	char *runtime;	 /* "runc" | "crun" | absolute path; default runc */
	char *admin;	 /* "127.0.0.1:9180" or NULL when "off" */
	char *kubernetes_api; /* "127.0.0.1:6443" or NULL when "off" */
	char *dashboard;      /* "127.0.0.1:9181" or NULL when "off" */
	int proxy_threads;    /* proxyThreads; 0 (default): one per core */
	int backoff_initial_seconds; /* crashLoopBackOff.initialSeconds, 10 */
	int backoff_max_seconds;     /* crashLoopBackOff.maxSeconds, 300 */
	int backoff_reset_seconds;   /* crashLoopBackOff.resetSeconds, 600 */
	int64_t container_log_max_size;	 /* containerLogMaxSize, 10Mi */
	int container_log_max_files;	 /* containerLogMaxFiles, 5 */
	struct strv insecure_registries; /* insecureRegistries: host[:port] */
	char *image_import_dir; /* imageImportDir; NULL: STATE_DIR/images/import
				 */
	int image_gc_high_percent; /* imageGCHighThresholdPercent, 85 */
	int image_gc_low_percent;  /* imageGCLowThresholdPercent, 80 */

	struct deployment_spec *deployments;
	size_t n_deployments;
	struct service_spec *services;
	size_t n_services;
	struct analysis_template *analyses; /* [analysis NAME] */
	size_t n_analyses;
};

/* The largest config file and seccomp profile berth reads (SPEC §2). */
#define CFG_FILE_MAX (4u << 20)
#define CFG_SECCOMP_FILE_MAX (1u << 20)

/*
 * Loads and validates path. On failure err->msg is "FILE:LINE: message"
 * (or "FILE: message" when no line applies) and *out is untouched.
 */
int cfg_load(const char *path, struct berth_config **out, struct berr *err);
/* The same from text in memory: name stands for the file in messages and
 * relative paths are resolved against dir. */
int cfg_load_buffer(const char *name, const char *dir, const char *buf,
		    size_t len, struct berth_config **out, struct berr *err);
void cfg_free(struct berth_config *cfg);

const struct deployment_spec *cfg_find_deployment(const struct berth_config *c,
						  const char *name);
const struct analysis_template *cfg_find_analysis(const struct berth_config *c,
						  const char *name);
/*
 * false when s's targetPort is a name that no deployment of c whose labels
 * s's selector matches has as its portName: its pods could not be
 * endpoints (a warning, not an error: such a deployment may come later).
 */
bool cfg_service_port_named(const struct berth_config *c,
			    const struct service_spec *s);

/*
 * config_dup.c: a deep copy of one deployment (xmalloc'd, so it can be the
 * single element of a struct berth_config's deployments array), its
 * release, and the copy of only the pod-template fields of src into dst
 * (dst's old template fields are freed; replicas, labels, strategy stay).
 */
struct deployment_spec *cfg_deployment_dup(const struct deployment_spec *s);
void cfg_deployment_free(struct deployment_spec *s);
void cfg_deployment_copy_template(struct deployment_spec *dst,
				  const struct deployment_spec *src);

/*
 * Calls fn with the full name of every key a [deployment] section accepts
 * ("image", "startupProbe.httpGet.path", ...), in the key table's order.
 */
void cfg_deployment_keys(void (*fn)(const char *key, void *arg), void *arg);

/* Helpers other layers use on config values. */
void strv_free(struct strv *sv);
/* Appends a copy of s, keeping the NULL terminator. */
void cfg_strv_add(struct strv *sv, const char *s);
void kvlist_free(struct kvlist *kl);
const char *kvlist_get(const struct kvlist *kl, const char *key);
/* true when every selector pair is present in labels. */
bool kvlist_matches(const struct kvlist *selector, const struct kvlist *labels);
/* true when a and b hold the same pairs in the same order. */
bool kvlist_equal(const struct kvlist *a, const struct kvlist *b);

#endif
