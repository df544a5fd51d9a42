/*
 * probe_impl.h - what the scheduler (probe.c) shares with the per-kind
 * runners (probe_tcp.c, probe_http.c, probe_exec.c). Not for use outside
 * probes/. A runner starts one run of a probe and ends it, on every path,
 * in exactly one probe_done() call unless it was cancelled first.
 */
#ifndef BERTH_PROBES_PROBE_IMPL_H
#define BERTH_PROBES_PROBE_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../config/config.h"
#include "probe.h"
#include "probe_result.h"
#include "probe_state.h"

#define PROBE_MSG_MAX 1024
/* Output of an exec probe kept for the message, as kubelet's limit. */
#define PROBE_OUTPUT_MAX (10 * 1024)

struct probe {
	struct probe_set *set;
	enum probe_type type;
	bool configured;
	struct handler_spec h; /* deep copy: the config may be reloaded */
	char *command_text;    /* exec: argv joined with spaces */
	uint64_t timeout_ms;
	uv_timer_t timer; /* schedules the next run */
	/* The run in flight, or NULL; cancel() detaches and stops it. */
	void *run;
	void (*cancel)(void *run);
	bool have_last;
	enum probe_result last_result;
	char last_msg[PROBE_MSG_MAX];
};

struct probe_set {
	uv_loop_t *loop;
	struct probe_sm sm;
	struct probe probes[3]; /* indexed by enum probe_type */
	struct probe_target target;
	probe_event_cb cb;
	probe_failure_cb on_failure; /* every failed run; may be NULL */
	void *owner;
	int refs; /* owner + one per open timer + one per probe_done call */
	bool stopped;
};

/*
 * Ends the current run of p: records the result, applies thresholds and
 * gating, fires the owner's callback on transitions and schedules the next
 * run. The runner must have set p->run = NULL before calling. detail is
 * kubelet's text for the run (see probe_result_detail), may be NULL.
 */
void probe_done(struct probe *p, enum probe_result r, const char *detail);

/*
 * A non-blocking, close-on-exec TCP socket from which the target's
 * 127.0.0.1 is the pod's own loopback: created in the pod's network
 * namespace unless host_network. -1 with err set on failure.
 */
int probe_target_socket(const struct probe_set *set, struct berr *err);

/* Runners: start one run of p, never block. */
void probe_tcp_run(struct probe *p);
void probe_http_run(struct probe *p);
void probe_exec_run(struct probe *p);

#endif
