/*
 * prestop_http.h - the httpGet preStop hook: one GET sent inside the pod's
 * network namespace through the probe engine's HTTP client.
 */
#ifndef BERTH_ORCHESTRATOR_PRESTOP_HTTP_H
#define BERTH_ORCHESTRATOR_PRESTOP_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* gen: the pod's term_gen when the hook started. */
typedef void (*prestop_done_cb)(struct pod *p, unsigned gen, bool ok,
				const char *message);

/* Calls done once (unless the pod is gone), then pod_unref(p); the caller
 * took a reference. */
void prestop_http(struct pod *p, const struct handler_spec *h,
		  uint64_t timeout_ms, prestop_done_cb done);

#endif
