/*
 * probe.h - startup, liveness and readiness probes of one pod, with
 * Kubernetes' exact semantics. The orchestrator creates one probe_set per
 * running container and is told of every transition through one callback;
 * probes never kill, restart or change endpoints themselves.
 */
#ifndef BERTH_PROBES_PROBE_H
#define BERTH_PROBES_PROBE_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "../config/config.h"

enum probe_type { PROBE_STARTUP, PROBE_LIVENESS, PROBE_READINESS };

/* How to reach the container. Owned by the caller; must outlive the set. */
struct probe_target {
	const char *runtime;	  /* runtime binary (runtime/exec.h) */
	const char *runtime_root; /* its --root */
	const char *container_id; /* the pod name */
	pid_t pid;		  /* container init pid on the host */
	bool host_network;	  /* network = host: probe 127.0.0.1 */
};

/*
 * Transition callbacks, all from the loop thread:
 * - PROBE_STARTUP   healthy=true once it succeeds; healthy=false when it
 *   failed failureThreshold times (the owner then kills the container).
 * - PROBE_LIVENESS  healthy=false when failureThreshold is reached.
 * - PROBE_READINESS healthy=true/false whenever readiness flips.
 * message is the kubectl-style reason, e.g. "Readiness probe failed: HTTP
 * probe failed with statuscode: 503"; valid only during the call.
 */
typedef void (*probe_event_cb)(void *owner, enum probe_type type, bool healthy,
			       const char *message);

/*
 * Called after every failed run (not only at failureThreshold), with the
 * kubelet's message, as the kubelet records an `Unhealthy` event for each
 * failure. Fires before any transition callback of the same run.
 */
typedef void (*probe_failure_cb)(void *owner, enum probe_type type,
				 const char *message);

struct probe_set;

struct probe_set *probe_set_start(uv_loop_t *loop,
				  const struct deployment_spec *spec,
				  const struct probe_target *target,
				  probe_event_cb cb, void *owner);
void probe_set_on_failure(struct probe_set *set, probe_failure_cb cb);
/* Cancels everything in flight; no callback fires after this returns. */
void probe_set_stop(struct probe_set *set);
/* Ready as Kubernetes decides it (no readiness probe: true once started). */
bool probe_set_ready(const struct probe_set *set);
/*
 * Appends kubectl-describe lines for each configured probe to buf (e.g.
 * "    Liveness:   http-get http://:8080/healthz delay=0s timeout=1s
 * period=10s #success=1 #failure=3") plus the last result of each.
 */
void probe_set_describe(const struct probe_set *set, char *buf, size_t len);

/*
 * Directory for the pid files of exec probes (the runtime's --pid-file);
 * the same as rt_exec_set_pid_dir() (runtime/exec.h), which every exec
 * in a container shares.
 */
void probe_set_exec_dir(const char *dir);

#endif
