/*
 * config_keys.c - the key table: every key of every section, its parser and
 * the field it fills. Adding a key is one line here (plus a parser in
 * config_values.c if no existing one fits). Owns key lookup, "unknown key",
 * "duplicate key" and the one-handler-per-probe rule; value syntax is
 * config_values.c's, cross-field rules config_validate.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "config_doc.h"
#include "config_internal.h"

#define D struct deployment_spec
#define S struct service_spec
#define B struct berth_config
#define P struct probe_spec
#define SECS_MAX 2147483647LL
#define AN CFG_SEC_ANALYSIS

/* Plain keys: section, name, parser, struct, field, min, max. The last
 * argument of every entry is its doc string, printed in berth.ini(5)
 * (`berth __manpage 5`); test_config_doc fails for a key without one. */
#define KEY(sec, nm, fn, st, fld, lo, hi, ...)                                 \
	{                                                                      \
		.section = sec, .name = nm, .parse = fn,                       \
		.offset = offsetof(st, fld), .min = lo, .max = hi,             \
		.doc = "" __VA_ARGS__                                          \
	}
#define KEYF(sec, nm, fn, st, fld, fl, ...)                                    \
	{                                                                      \
		.section = sec, .name = nm, .parse = fn,                       \
		.offset = offsetof(st, fld), .flags = fl,                      \
		.doc = "" __VA_ARGS__                                          \
	}
#define ENUM(sec, nm, st, fld, tbl, ...)                                       \
	{                                                                      \
		.section = sec, .name = nm, .parse = cfg_parse_enum,           \
		.offset = offsetof(st, fld), .names = tbl,                     \
		.doc = "" __VA_ARGS__                                          \
	}
/* Handler keys: select handler kind hk of the handler_spec at st.h. */
#define HKEY(sec, nm, fn, st, h, fld, hk, fl, lo, hi, ...)                     \
	{                                                                      \
		.section = sec, .name = nm, .parse = fn,                       \
		.offset = offsetof(st, h.fld), .flags = fl, .min = lo,         \
		.max = hi, .hkind = hk, .hoff = offsetof(st, h),               \
		.doc = "" __VA_ARGS__                                          \
	}
/* Handler port keys: a number, or a port name put in the handler's
 * port_name. */
#define HPORT(nm, st, h, fld, hk, ...)                                         \
	{                                                                      \
		.section = CFG_SEC_DEPLOYMENT, .name = nm,                     \
		.parse = cfg_parse_port_or_name,                               \
		.offset = offsetof(st, h.fld),                                 \
		.name_off = offsetof(st, h.port_name), .hkind = hk,            \
		.hoff = offsetof(st, h), .doc = "" __VA_ARGS__                 \
	}
#define PROBE(nm, fld, which, ...)                                             \
	{                                                                      \
		.section = CFG_SEC_DEPLOYMENT, .name = nm,                     \
		.offset = offsetof(D, fld), .sub = probe_keys, .probe = which, \
		.doc = "" __VA_ARGS__                                          \
	}

static const char *const net_names[] = {"private", "host", NULL};
static const char *const restart_names[] = {"Always", "OnFailure", "Never",
					    NULL};
static const char *const strategy_names[] = {"RollingUpdate", "Recreate",
					     "BlueGreen", "Canary", NULL};
static const char *const mode_names[] = {"http", "tcp", NULL};
static const char *const balance_names[] = {"round-robin", "least-conn", NULL};

/* Keys under startupProbe. / livenessProbe. / readinessProbe. */
static const struct cfg_key probe_keys[] = {
    HKEY(CFG_SEC_DEPLOYMENT, "exec.command", cfg_parse_words, P, handler,
	 exec_command, HANDLER_EXEC, 0, 0, 0,
	 "Run this command in the container; exit status 0 is success."),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.path", cfg_parse_http_path, P, handler,
	 http_path, HANDLER_HTTP, 0, 0, 0,
	 "HTTP GET this path inside the pod; a status of 200 to 399 is "
	 "success."),
    HPORT("httpGet.port", P, handler, http_port, HANDLER_HTTP,
	  "Container port of the httpGet check: a number, or the name of "
	  "the container's port (its portName)."),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.host", cfg_parse_http_host, P, handler,
	 http_host, HANDLER_HTTP, 0, 0, 0,
	 "Host header sent with the httpGet check (default: the pod's "
	 "address)."),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.scheme", cfg_parse_http_scheme, P,
	 handler, http_path, HANDLER_HTTP, 0, 0, 0,
	 "Scheme of the httpGet check: HTTP only."),
    HKEY(CFG_SEC_DEPLOYMENT, "httpGet.httpHeaders", cfg_parse_header, P,
	 handler, http_headers, HANDLER_HTTP, CFG_KEY_REPEATABLE, 0, 0,
	 "One more request header, as NAME: VALUE."),
    HPORT("tcpSocket.port", P, handler, tcp_port, HANDLER_TCP,
	  "Container port that must accept a TCP connection: a number, or "
	  "the name of the container's port (its portName)."),
    KEY(CFG_SEC_DEPLOYMENT, "initialDelaySeconds", cfg_parse_int, P,
	initial_delay_seconds, 0, SECS_MAX,
	"Seconds after the container starts before the first check (default "
	"0)."),
    KEY(CFG_SEC_DEPLOYMENT, "periodSeconds", cfg_parse_int, P, period_seconds,
	1, SECS_MAX, "Seconds between checks (default 10)."),
    KEY(CFG_SEC_DEPLOYMENT, "timeoutSeconds", cfg_parse_int, P, timeout_seconds,
	1, SECS_MAX,
	"Seconds a check may take before it counts as a failure (default 1)."),
    {.section = CFG_SEC_DEPLOYMENT,
     .name = "successThreshold",
     .parse = cfg_parse_int,
     .offset = offsetof(P, success_threshold),
     .flags = CFG_KEY_ONE_NOT_READINESS,
     .min = 1,
     .max = SECS_MAX,
     .doc = "Consecutive successes that make the probe pass after a failure "
	    "(default 1; must be 1 except for readinessProbe)."},
    KEY(CFG_SEC_DEPLOYMENT, "failureThreshold", cfg_parse_int, P,
	failure_threshold, 1, SECS_MAX,
	"Consecutive failures that make the probe fail (default 3)."),
    {.section = CFG_SEC_DEPLOYMENT,
     .name = "terminationGracePeriodSeconds",
     .parse = cfg_parse_int,
     .offset = offsetof(P, termination_grace_period_seconds),
     .flags = CFG_KEY_NOT_READINESS,
     .min = 1,
     .max = SECS_MAX,
     .doc = "Grace period used when this probe kills the container, instead of "
	    "the deployment's (not for readinessProbe)."},
    {0},
};

static const struct cfg_key keys[] = {
    /* [berth] */
    KEY(CFG_SEC_BERTH, "state_dir", cfg_parse_dir, B, state_dir, 0, 0,
	"Folder of the desired state, revisions and pod records (default "
	"/var/lib/berth)."),
    KEY(CFG_SEC_BERTH, "run_dir", cfg_parse_dir, B, run_dir, 0, 0,
	"Folder of the control socket berth.sock, the pods' bundles and the "
	"runtime's root RUN_DIR/runc (default /run/berth)."),
    KEY(CFG_SEC_BERTH, "runtime", cfg_parse_runtime, B, runtime, 0, 0,
	"OCI runtime: runc, crun, or an absolute path (default runc)."),
    KEY(CFG_SEC_BERTH, "admin", cfg_parse_admin, B, admin, 0, 0,
	"Address of /metrics and /healthz, or off (default "
	"127.0.0.1:9180)."),
    KEY(CFG_SEC_BERTH, "kubernetesAPI", cfg_parse_kube_api, B, kubernetes_api,
	0, 0,
	"Address of the Kubernetes API (HTTPS, client certificates), or off "
	"(default 127.0.0.1:6443)."),
    KEY(CFG_SEC_BERTH, "dashboard", cfg_parse_dashboard, B, dashboard, 0, 0,
	"Address of the live dashboard (HTTP; read-only without the login "
	"`berth dashboard` prints), or off (default 127.0.0.1:9181)."),
    KEY(CFG_SEC_BERTH, "proxyThreads", cfg_parse_int, B, proxy_threads, 0, 256,
	"Threads serving the services, each with its own event loop (default "
	"0: one per core; 1: a single proxy thread). Read at start-up."),
    KEY(CFG_SEC_BERTH, "crashLoopBackOff.initialSeconds", cfg_parse_int, B,
	backoff_initial_seconds, 1, SECS_MAX,
	"First restart back-off after a crash, doubled at each crash (default "
	"10)."),
    KEY(CFG_SEC_BERTH, "crashLoopBackOff.maxSeconds", cfg_parse_int, B,
	backoff_max_seconds, 1, SECS_MAX,
	"Longest restart back-off (default 300)."),
    KEY(CFG_SEC_BERTH, "crashLoopBackOff.resetSeconds", cfg_parse_int, B,
	backoff_reset_seconds, 1, SECS_MAX,
	"A container running this long resets its back-off (default 600)."),
    KEY(CFG_SEC_BERTH, "containerLogMaxSize", cfg_parse_memory, B,
	container_log_max_size, 0, 0,
	"Size at which a container's log file is rotated, e.g. 10Mi (default "
	"10Mi, as the kubelet)."),
    KEY(CFG_SEC_BERTH, "containerLogMaxFiles", cfg_parse_int, B,
	container_log_max_files, 2, 100,
	"Log files kept per container, the live one included (default 5, as "
	"the kubelet)."),
    KEY(CFG_SEC_BERTH, "insecureRegistries", cfg_parse_registries, B,
	insecure_registries, 0, 0,
	"Registries (host[:port], comma-separated) pulled from over plain HTTP "
	"or without TLS verification."),
    KEY(CFG_SEC_BERTH, "imageImportDir", cfg_parse_dir, B, image_import_dir, 0,
	0,
	"Folder whose image archives are imported at start-up and when they "
	"appear (default STATE_DIR/images/import)."),
    KEY(CFG_SEC_BERTH, "imageGCHighThresholdPercent", cfg_parse_int, B,
	image_gc_high_percent, 0, 100,
	"Usage of the image store's file system (percent) above which unused "
	"images are removed, least recently used first; 100 turns image GC "
	"off (default 85, as the kubelet)."),
    KEY(CFG_SEC_BERTH, "imageGCLowThresholdPercent", cfg_parse_int, B,
	image_gc_low_percent, 0, 100,
	"Usage (percent) image GC brings the file system down to; below "
	"imageGCHighThresholdPercent (default 80, as the kubelet)."),

    /* [deployment NAME]: the pod template */
    KEY(CFG_SEC_DEPLOYMENT, "image", cfg_parse_image, D, image, 0, 0,
	"The container's image: an image reference (`nginx:1.25`, "
	"`127.0.0.1:5000/echo@sha256:...`) pulled into the image store, or a "
	"root filesystem folder (starting with `/`, `./`, `../`, or an "
	"existing folder relative to the config file's folder), shared "
	"read-only by every replica."),
    KEY(CFG_SEC_DEPLOYMENT, "imagePullPolicy", cfg_parse_pull_policy, D,
	image_pull_policy, 0, 0,
	"Always, IfNotPresent or Never (default Always for `:latest` or no "
	"tag, else IfNotPresent); ignored for a folder image."),
    KEY(CFG_SEC_DEPLOYMENT, "command", cfg_parse_words, D, command, 0, 0,
	"The container's command, split into words as a shell would; $(VAR) "
	"expands env."),
    KEY(CFG_SEC_DEPLOYMENT, "args", cfg_parse_words, D, args, 0, 0,
	"Arguments after command, split the same way."),
    KEYF(CFG_SEC_DEPLOYMENT, "env", cfg_parse_env, D, env, CFG_KEY_REPEATABLE,
	 "An environment variable, NAME=VALUE."),
    KEY(CFG_SEC_DEPLOYMENT, "workingDir", cfg_parse_abs_path, D, working_dir, 0,
	0, "Absolute working folder inside the container."),
    KEYF(CFG_SEC_DEPLOYMENT, "mount", cfg_parse_mount, D, mounts,
	 CFG_KEY_REPEATABLE, "A bind mount, HOSTPATH:CONTAINERPATH[:ro]."),
    KEY(CFG_SEC_DEPLOYMENT, "port", cfg_parse_port, D, port, 1, 65535,
	"The container port that services target."),
    KEY(CFG_SEC_DEPLOYMENT, "portName", cfg_parse_port_name, D, port_name, 0, 0,
	"The container port's name (ports[0].name in a manifest), IANA "
	"service name rules; a service's targetPort or a probe's port may "
	"name it."),
    ENUM(CFG_SEC_DEPLOYMENT, "network", D, network, net_names,
	 "private: a network namespace of the pod's own with loopback only "
	 "(default); host: the host's network."),
    ENUM(CFG_SEC_DEPLOYMENT, "restartPolicy", D, restart_policy, restart_names,
	 "When an exited container is started again (default Always)."),
    KEY(CFG_SEC_DEPLOYMENT, "terminationGracePeriodSeconds", cfg_parse_int, D,
	termination_grace_period_seconds, 0, SECS_MAX,
	"Seconds from the start of termination to SIGKILL (default 30)."),
    KEY(CFG_SEC_DEPLOYMENT, "lifecycle.stopSignal", cfg_parse_signal, D,
	stop_signal, 0, 0,
	"Signal that asks the container to stop (default SIGTERM)."),
    HKEY(
	CFG_SEC_DEPLOYMENT, "lifecycle.preStop.exec.command", cfg_parse_words,
	D, pre_stop, exec_command, HANDLER_EXEC, 0, 0, 0,
	"preStop hook: a command run in the container before the stop signal."),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.path",
	 cfg_parse_http_path, D, pre_stop, http_path, HANDLER_HTTP, 0, 0, 0,
	 "preStop hook: an HTTP GET of this path inside the pod before the "
	 "stop signal."),
    HPORT("lifecycle.preStop.httpGet.port", D, pre_stop, http_port,
	  HANDLER_HTTP,
	  "Container port of the httpGet preStop hook: a number, or the name "
	  "of the container's port (its portName)."),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.host",
	 cfg_parse_http_host, D, pre_stop, http_host, HANDLER_HTTP, 0, 0, 0,
	 "Host header of the httpGet preStop hook."),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.scheme",
	 cfg_parse_http_scheme, D, pre_stop, http_path, HANDLER_HTTP, 0, 0, 0,
	 "Scheme of the httpGet preStop hook: HTTP only."),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.httpGet.httpHeaders",
	 cfg_parse_header, D, pre_stop, http_headers, HANDLER_HTTP,
	 CFG_KEY_REPEATABLE, 0, 0,
	 "One more header of the httpGet preStop hook, as NAME: VALUE."),
    HKEY(CFG_SEC_DEPLOYMENT, "lifecycle.preStop.sleep.seconds", cfg_parse_int,
	 D, pre_stop, sleep_seconds, HANDLER_SLEEP, 0, 0, SECS_MAX,
	 "preStop hook: wait this many seconds before the stop signal."),
    PROBE("startupProbe.", startup_probe, CFG_PROBE_STARTUP,
	  "Startup probe: liveness and readiness wait until it passes; "
	  "failing, it restarts the container. Followed by a probe key."),
    PROBE("livenessProbe.", liveness_probe, CFG_PROBE_LIVENESS,
	  "Liveness probe: failing, it restarts the container through the full "
	  "termination sequence. Followed by a probe key."),
    PROBE("readinessProbe.", readiness_probe, CFG_PROBE_READINESS,
	  "Readiness probe: while failing, the pod receives no service "
	  "traffic. Followed by a probe key."),
    KEY(CFG_SEC_DEPLOYMENT, "resources.limits.memory", cfg_parse_memory, D,
	memory_limit_bytes, 0, 0, "Memory limit, e.g. 128Mi or 1Gi."),
    KEY(CFG_SEC_DEPLOYMENT, "resources.limits.cpu", cfg_parse_cpu, D,
	cpu_limit_millis, 0, 0, "CPU limit in cores or millicores, e.g. 500m."),
    KEY(CFG_SEC_DEPLOYMENT, "resources.limits.pids", cfg_parse_int64, D,
	pids_limit, 1, 4194304, "Most processes the container may have."),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.runAsUser", cfg_parse_int64, D,
	run_as_user, 0, 4294967294LL,
	"User id of the container's processes (default: the image's, root)."),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.runAsGroup", cfg_parse_int64, D,
	run_as_group, 0, 4294967294LL,
	"Group id of the container's processes."),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.readOnlyRootFilesystem",
	cfg_parse_bool, D, read_only_root_filesystem, 0, 0,
	"true: the container's root filesystem is read-only."),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.capabilities.drop", cfg_parse_caps,
	D, caps_drop, 0, 0, "Capabilities removed, comma-separated, or ALL."),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.capabilities.add", cfg_parse_caps,
	D, caps_add, 0, 0,
	"Capabilities added, comma-separated, e.g. NET_BIND_SERVICE."),
    KEY(CFG_SEC_DEPLOYMENT, "securityContext.seccompProfile", cfg_parse_seccomp,
	D, seccomp, 0, 0,
	"RuntimeDefault (default), Unconfined, or the path of an OCI seccomp "
	"JSON file."),

    /* [deployment NAME]: the rollout, outside the template */
    KEY(CFG_SEC_DEPLOYMENT, "replicas", cfg_parse_int, D, replicas, 0, SECS_MAX,
	"Number of pods (default 1)."),
    KEY(CFG_SEC_DEPLOYMENT, "labels", cfg_parse_labels, D, labels, 0, 0,
	"The pods' labels, K=V,... (what service selectors match)."),
    ENUM(CFG_SEC_DEPLOYMENT, "strategy.type", D, strategy, strategy_names,
	 "How a new revision replaces the old one (default RollingUpdate)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.rollingUpdate.maxSurge", cfg_parse_surge,
	D, max_surge, 0, 0,
	"Pods above replicas during a rollout, a number or a percentage "
	"rounded up (default 25%)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.rollingUpdate.maxUnavailable",
	cfg_parse_surge, D, max_unavailable, 0, 100,
	"Pods below replicas during a rollout, a number or a percentage "
	"rounded down (default 25%)."),
    KEYF(CFG_SEC_DEPLOYMENT, "strategy.canary.steps", cfg_parse_canary_steps, D,
	 canary_steps, CFG_KEY_REPEATABLE,
	 "Canary steps in order, separated by commas: setWeight N (0..100, the "
	 "share of requests the proxy sends to the new revision), pause "
	 "(until `berth rollout promote`) or pause DURATION (N, Ns, Nm, Nh), "
	 "setCanaryScale replicas N | weight N | matchTrafficWeight, "
	 "setHeaderRoute NAME exact|prefix|regex VALUE (matching requests go "
	 "to the new revision; without arguments: removed), setMirrorRoute N "
	 "(a copy of N % of the requests the stable pods serve goes to the "
	 "new revision, its answer discarded; without arguments: removed), "
	 "analysis TEMPLATE... (waits for a run of those [analysis] sections). "
	 "Repeating the key appends. Argo Rollouts' canary.steps."),
    KEYF(CFG_SEC_DEPLOYMENT, "strategy.canary.analysis.templates",
	 cfg_parse_words, D, canary_analysis.templates, 0,
	 "Background analysis (Canary): names of [analysis NAME] sections "
	 "run from startingStep until the steps end; a Failed run aborts, an "
	 "Inconclusive one pauses. Argo Rollouts' canary.analysis."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.canary.analysis.startingStep",
	cfg_parse_int, D, canary_analysis.starting_step, 0, 1000000,
	"0-based index of the step at which the background analysis starts "
	"(default 0)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.canary.dynamicStableScale",
	cfg_parse_bool, D, dynamic_stable_scale, 0, 0,
	"true: the stable revision is scaled down as the canary's traffic "
	"weight grows (to replicas minus the canary's share, rounded up), and "
	"scaled back up first on abort (default false). Argo Rollouts' "
	"dynamicStableScale."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.canary.abortScaleDownDelaySeconds",
	cfg_parse_int, D, canary_abort_scale_down_delay_seconds, 0, SECS_MAX,
	"Canary: seconds the canary pods stay after an abort (every request "
	"goes to the stable pods at once); 0: they are not scaled down and "
	"stay until retry, undo or a new update, as in Argo Rollouts "
	"(default 30; with dynamicStableScale and no value, they go as the "
	"stable pods come back)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.activeService", cfg_parse_name,
	D, bluegreen.active_service, 0, 0,
	"BlueGreen: the [service] that serves production traffic; it selects "
	"only the active revision's pods and moves to the new one at once on "
	"promotion (required with BlueGreen)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.previewService", cfg_parse_name,
	D, bluegreen.preview_service, 0, 0,
	"BlueGreen: a [service] that selects the new revision's pods before "
	"promotion, to check it (default: none)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.autoPromotionEnabled",
	cfg_parse_bool, D, bluegreen.auto_promotion_enabled, 0, 0,
	"BlueGreen: promote as soon as every new pod is available (default "
	"true); false waits for `berth rollout promote`."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.autoPromotionSeconds",
	cfg_parse_int, D, bluegreen.auto_promotion_seconds, 0, SECS_MAX,
	"BlueGreen: promote this many seconds after every new pod is "
	"available (default: at once)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.previewReplicaCount",
	cfg_parse_int, D, bluegreen.preview_replica_count, 1, SECS_MAX,
	"BlueGreen: pods of the new revision before promotion (default: "
	"replicas); promotion scales it to replicas before the switch."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.scaleDownDelaySeconds",
	cfg_parse_int, D, bluegreen.scale_down_delay_seconds, 0, SECS_MAX,
	"BlueGreen: seconds the old revision's pods stay after promotion, "
	"during which `rollout undo` moves traffic back at once (default 30; "
	"0: at once)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.abortScaleDownDelaySeconds",
	cfg_parse_int, D, bluegreen.abort_scale_down_delay_seconds, 0, SECS_MAX,
	"BlueGreen: seconds the new revision's pods stay after an abort "
	"(the active service stays on the stable revision); 0: they are not "
	"scaled down and stay until retry, undo or a new update, as in Argo "
	"Rollouts (default 30)."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.prePromotionAnalysis",
	cfg_parse_name, D, bluegreen.pre_promotion_analysis, 0, 0,
	"BlueGreen: an [analysis NAME] run against the preview before "
	"promotion; promotion waits for it to succeed, a failure aborts."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.blueGreen.postPromotionAnalysis",
	cfg_parse_name, D, bluegreen.post_promotion_analysis, 0, 0,
	"BlueGreen: an [analysis NAME] run after the switch; the old revision "
	"stays until it succeeds, a failure switches back and aborts."),
    KEY(CFG_SEC_DEPLOYMENT, "strategy.canary.stickiness.cookie",
	cfg_parse_cookie_name, D, canary_cookie, 0, 0,
	"Name of a cookie that keeps a client on the side (stable or canary) "
	"its first request was sent to, for the rest of the canary run (http "
	"services; none by default)."),
    KEY(CFG_SEC_DEPLOYMENT, "minReadySeconds", cfg_parse_int, D,
	min_ready_seconds, 0, SECS_MAX,
	"Seconds a pod must be ready before it counts as available (default "
	"0)."),
    KEY(CFG_SEC_DEPLOYMENT, "progressDeadlineSeconds", cfg_parse_int, D,
	progress_deadline_seconds, 1, SECS_MAX,
	"Seconds without progress after which a rollout is marked failed, "
	"ProgressDeadlineExceeded (default 600)."),
    KEY(CFG_SEC_DEPLOYMENT, "progressDeadlineAbort", cfg_parse_bool, D,
	progress_deadline_abort, 0, 0,
	"true: a rollout past its deadline rolls back to the last fully "
	"available revision."),
    KEY(CFG_SEC_DEPLOYMENT, "revisionHistoryLimit", cfg_parse_int, D,
	revision_history_limit, 0, SECS_MAX,
	"Old revisions kept for rollout undo (default 10)."),

    /* [service NAME] */
    KEY(CFG_SEC_SERVICE, "listen", cfg_parse_listen, S, listen, 0, 0,
	"Host address where clients connect, ADDRESS:PORT."),
    KEY(CFG_SEC_SERVICE, "selector", cfg_parse_selector, S, selector, 0, 0,
	"Labels a pod must have to be an endpoint, K=V,..."),
    {.section = CFG_SEC_SERVICE,
     .name = "targetPort",
     .parse = cfg_parse_port_or_name,
     .offset = offsetof(S, target_port),
     .name_off = offsetof(S, target_port_name),
     .doc = "Container port the service connects to: a number, or a name "
	    "looked up in each pod (the port whose portName it is; a pod "
	    "without one is no endpoint)."},
    KEY(CFG_SEC_SERVICE, "portName", cfg_parse_service_port_name, S, port_name,
	0, 0,
	"The service port's name (spec.ports[0].name in a manifest), kept "
	"and written back; berth itself does not use it."),
    ENUM(CFG_SEC_SERVICE, "mode", S, mode, mode_names,
	 "http: balances per request (default); tcp: per connection."),
    ENUM(CFG_SEC_SERVICE, "balance", S, balance, balance_names,
	 "How an endpoint is chosen (default round-robin)."),
    KEY(CFG_SEC_SERVICE, "timeout.connect", cfg_parse_seconds_ms, S,
	timeout_connect_ms, 1, 86400,
	"Seconds to connect to a backend (default 5)."),
    KEY(CFG_SEC_SERVICE, "timeout.client", cfg_parse_seconds_ms, S,
	timeout_client_ms, 1, 86400,
	"Seconds a client connection may stay idle (default 60)."),
    KEY(CFG_SEC_SERVICE, "timeout.server", cfg_parse_seconds_ms, S,
	timeout_server_ms, 1, 86400,
	"Seconds a backend may stay silent while a request is served (default "
	"60)."),
    KEY(CFG_SEC_SERVICE, "timeout.response", cfg_parse_seconds_ms, S,
	timeout_response_ms, 1, 86400,
	"Seconds to wait for a backend's response head (default 60)."),
    KEY(CFG_SEC_SERVICE, "timeout.httpRequest", cfg_parse_seconds_ms, S,
	timeout_http_request_ms, 1, 86400,
	"Seconds a client has to send a whole request head (default 10); "
	"408 after."),
    KEY(CFG_SEC_SERVICE, "maxConnections", cfg_parse_int, S, max_connections, 0,
	1000000,
	"Most client connections served at once (0: no cap); more wait in "
	"the listen backlog."),
    {0},
};

#define M struct analysis_metric
/* Keys of [analysis NAME] after metrics.METRIC. (Argo Rollouts'
 * AnalysisTemplate metrics[]). */
const struct cfg_key cfg_metric_keys[] = {
    KEY(AN, "interval", cfg_parse_duration_ms, M, interval_ms, 0, 0,
	"Time between measurements: N, Nms, Ns, Nm or Nh (unset: one "
	"measurement, or, with count, required)."),
    KEY(AN, "initialDelay", cfg_parse_duration_ms, M, initial_delay_ms, 0, 0,
	"Wait before the first measurement (default 0)."),
    KEY(AN, "count", cfg_parse_int, M, count, 0, 1000000,
	"Measurements to take (unset: 1 without interval, else until the "
	"run ends; 0 in a step: the metric is skipped)."),
    KEY(AN, "successCondition", cfg_parse_condition, M, success_condition, 0, 0,
	"A measurement passes when this condition over `result` holds "
	"(e.g. result.successRate >= 0.99); see SPEC for the grammar."),
    KEY(AN, "failureCondition", cfg_parse_condition, M, failure_condition, 0, 0,
	"A measurement fails when this condition holds."),
    KEY(AN, "failureLimit", cfg_parse_int, M, failure_limit, 0, 1000000,
	"Failed measurements tolerated; one more fails the metric (default "
	"0)."),
    KEY(AN, "inconclusiveLimit", cfg_parse_int, M, inconclusive_limit, 0,
	1000000,
	"Inconclusive measurements tolerated; one more makes the metric "
	"Inconclusive (default 0)."),
    KEY(AN, "consecutiveErrorLimit", cfg_parse_int, M, consecutive_error_limit,
	0, 1000000,
	"Measurement errors in a row tolerated; one more is an Error, which "
	"fails the run (default 4)."),
    KEY(AN, "provider.berth.minRequests", cfg_parse_int, M, berth_min_requests,
	1, 1000000000,
	"berth provider (the proxy's counters of the canary revision over "
	"the interval): fewer requests than this make the measurement "
	"Inconclusive (default 10)."),
    KEY(AN, "provider.berth.service", cfg_parse_string, M, berth_service, 0, 0,
	"berth provider: count only this service (default: every service "
	"selecting the deployment)."),
    KEY(AN, "provider.web.url", cfg_parse_url, M, web_url, 0, 0,
	"web provider: http://127.0.0.1[:PORT]/PATH (or [::1], localhost)."),
    KEY(AN, "provider.web.method", cfg_parse_string, M, web_method, 0, 0,
	"web provider: request method (default GET)."),
    KEYF(AN, "provider.web.headers", cfg_parse_header, M, web_headers,
	 CFG_KEY_REPEATABLE, "web provider: one more header, Name: value."),
    KEY(AN, "provider.web.body", cfg_parse_string, M, web_body, 0, 0,
	"web provider: request body."),
    KEY(AN, "provider.web.jsonPath", cfg_parse_string, M, web_json_path, 0, 0,
	"web provider: the value of the JSON answer that is `result`, as "
	"$.a.b or $.a[0] (default $: the whole answer)."),
    KEY(AN, "provider.web.timeoutSeconds", cfg_parse_int, M,
	web_timeout_seconds, 1, 3600,
	"web provider: seconds for the whole request (default 10); a "
	"timeout is a measurement error."),
    KEY(AN, "provider.exec.command", cfg_parse_words, M, exec_command, 0, 0,
	"exec provider: a command run in a pod of the canary; `result` is "
	"its exit status (without conditions, 0 passes)."),
    KEY(AN, "provider.exec.timeoutSeconds", cfg_parse_int, M,
	exec_timeout_seconds, 1, 3600,
	"exec provider: seconds the command may run (default 10); a timeout "
	"is a measurement error."),
    {0},
};

const struct cfg_key *cfg_metric_key(const char *name)
{
	for (const struct cfg_key *k = cfg_metric_keys; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

static const char *const probe_labels[] = {
    [CFG_PROBE_STARTUP] = "startupProbe",
    [CFG_PROBE_LIVENESS] = "livenessProbe",
    [CFG_PROBE_READINESS] = "readinessProbe",
};

static const char *const handler_names[] = {
    [HANDLER_EXEC] = "exec",
    [HANDLER_HTTP] = "httpGet",
    [HANDLER_TCP] = "tcpSocket",
    [HANDLER_SLEEP] = "sleep",
};

static void *section_base(struct cfg_parse *pc)
{
	switch (pc->sec) {
	case CFG_SEC_BERTH:
		return pc->cfg;
	case CFG_SEC_DEPLOYMENT:
		return &pc->cfg->deployments[pc->idx];
	case CFG_SEC_SERVICE:
		return &pc->cfg->services[pc->idx];
	default:
		return NULL;
	}
}

int cfg_seen_line(const struct cfg_parse *pc, enum cfg_section sec, size_t idx,
		  const char *key)
{
	for (size_t i = 0; i < pc->n_seen; i++) {
		const struct cfg_seen *s = &pc->seen[i];

		if (s->sec == sec && s->idx == idx && strcmp(s->key, key) == 0)
			return s->line;
	}
	return 0;
}

int cfg_seen_prefix_line(const struct cfg_parse *pc, enum cfg_section sec,
			 size_t idx, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < pc->n_seen; i++) {
		const struct cfg_seen *s = &pc->seen[i];

		if (s->sec == sec && s->idx == idx &&
		    strncmp(s->key, prefix, n) == 0)
			return s->line;
	}
	return 0;
}

void cfg_seen_free(struct cfg_parse *pc)
{
	for (size_t i = 0; i < pc->n_seen; i++)
		free(pc->seen[i].key);
	free(pc->seen);
	pc->seen = NULL;
	pc->n_seen = 0;
}

void cfg_seen_record(struct cfg_parse *pc, const char *key)
{
	pc->seen = xrealloc(pc->seen, (pc->n_seen + 1) * sizeof(*pc->seen));
	pc->seen[pc->n_seen++] = (struct cfg_seen){.sec = pc->sec,
						   .idx = pc->idx,
						   .key = xstrdup(key),
						   .line = pc->line};
}

/*
 * Finds key in table for the current section; for prefix entries descends
 * into the sub-table, moving *base to the nested struct.
 */
static const struct cfg_key *lookup(struct cfg_parse *pc,
				    const struct cfg_key *table,
				    const char *key, char **base)
{
	for (const struct cfg_key *k = table; k->name != NULL; k++) {
		size_t n = strlen(k->name);

		if (k->section != pc->sec)
			continue;
		if (k->sub != NULL) {
			if (strncmp(key, k->name, n) != 0)
				continue;
			*base += k->offset;
			pc->probe = k->probe;
			return lookup(pc, k->sub, key + n, base);
		}
		if (strcmp(key, k->name) == 0)
			return k;
	}
	return NULL;
}

/* The probe-only rules that depend on which probe a key belongs to. */
static int probe_rules(struct cfg_parse *pc, const struct cfg_key *k,
		       const char *value)
{
	long long v;

	if (pc->probe == CFG_PROBE_NONE)
		return 0;
	if ((k->flags & CFG_KEY_NOT_READINESS) &&
	    pc->probe == CFG_PROBE_READINESS)
		return cfg_perr(pc,
				"%s: not allowed on a readiness probe (only "
				"livenessProbe and startupProbe have it)",
				pc->key);
	if ((k->flags & CFG_KEY_ONE_NOT_READINESS) &&
	    pc->probe != CFG_PROBE_READINESS && str_parse_ll(value, &v) == 0 &&
	    v != 1)
		return cfg_perr(pc, "%s: must be 1 for a %s (got \"%s\")",
				pc->key, probe_labels[pc->probe], value);
	return 0;
}

int cfg_keys_apply(struct cfg_parse *pc, const char *key, const char *value)
{
	char *base = section_base(pc);
	const struct cfg_key *k;
	char label[CFG_NAME_MAX + 32];
	int first;

	pc->probe = CFG_PROBE_NONE;
	pc->key = key;
	if (pc->sec == CFG_SEC_ANALYSIS)
		return cfg_analysis_apply(pc, key, value);
	k = lookup(pc, keys, key, &base);
	if (k == NULL)
		return cfg_perr(pc, "unknown key \"%s\" in %s", key,
				cfg_section_label(pc, pc->sec, pc->idx, label,
						  sizeof(label)));
	first = cfg_seen_line(pc, pc->sec, pc->idx, key);
	if (first > 0 && !(k->flags & CFG_KEY_REPEATABLE))
		return cfg_perr(pc,
				"duplicate key \"%s\" in %s (first set on "
				"line %d)",
				key,
				cfg_section_label(pc, pc->sec, pc->idx, label,
						  sizeof(label)),
				first);
	if (probe_rules(pc, k, value) == -1)
		return -1;
	if (k->hkind != HANDLER_NONE) {
		struct handler_spec *h =
		    (struct handler_spec *)(base + k->hoff);

		if (h->kind != HANDLER_NONE && h->kind != k->hkind) {
			const char *what = pc->probe != CFG_PROBE_NONE
					       ? probe_labels[pc->probe]
					       : "lifecycle.preStop";

			return cfg_perr(pc,
					"%s: both %s and %s are set; choose "
					"exactly one handler",
					what, handler_names[h->kind],
					handler_names[k->hkind]);
		}
		h->kind = k->hkind;
	}
	if (pc->probe != CFG_PROBE_NONE)
		((struct probe_spec *)base)->set = true;
	cfg_seen_record(pc, key);
	return k->parse(pc, k, base + k->offset, value);
}

void cfg_deployment_keys(void (*fn)(const char *key, void *arg), void *arg)
{
	char name[128];

	for (const struct cfg_key *k = keys; k->name != NULL; k++) {
		if (k->section != CFG_SEC_DEPLOYMENT)
			continue;
		if (k->sub == NULL) {
			fn(k->name, arg);
			continue;
		}
		for (const struct cfg_key *s = k->sub; s->name != NULL; s++) {
			snprintf(name, sizeof(name), "%s%s", k->name, s->name);
			fn(name, arg);
		}
	}
}

static void walk_table(const struct cfg_key *table, const char *probe_section,
		       void (*fn)(const struct cfg_key_doc *k, void *arg),
		       void *arg)
{
	static const char *const sections[] = {
	    [CFG_SEC_BERTH] = "berth",
	    [CFG_SEC_DEPLOYMENT] = "deployment",
	    [CFG_SEC_SERVICE] = "service",
	    [CFG_SEC_ANALYSIS] = "analysis",
	};

	for (const struct cfg_key *k = table; k->name != NULL; k++) {
		char name[96];
		struct cfg_key_doc doc = {
		    .section =
			probe_section ? probe_section : sections[k->section],
		    .name = k->name,
		    .doc = k->doc,
		    .values = k->names,
		    .repeatable = (k->flags & CFG_KEY_REPEATABLE) != 0,
		};

		if (k->section == CFG_SEC_ANALYSIS) {
			snprintf(name, sizeof(name), "metrics.METRIC.%s",
				 k->name);
			doc.name = name;
		}

		fn(&doc, arg);
	}
}

void cfg_keys_walk(void (*fn)(const struct cfg_key_doc *k, void *arg),
		   void *arg)
{
	walk_table(keys, NULL, fn, arg);
	walk_table(probe_keys, "probe", fn, arg);
	walk_table(cfg_metric_keys, NULL, fn, arg);
}
