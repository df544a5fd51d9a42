/*
 * service_ops.h - imperative changes to services: `berth set selector`.
 * An override lives in memory only; the next apply of the file resets
 * it, as `kubectl apply` resets a field changed by `kubectl set`.
 */
#ifndef BERTH_ORCHESTRATOR_SERVICE_OPS_H
#define BERTH_ORCHESTRATOR_SERVICE_OPS_H

#include <jansson.h>

#include "ctl_server.h"
#include "model.h"

struct service_override {
	struct service_override *next;
	char *name;
	struct kvlist selector;
};

/* The selector in force for svc: an override, else the configured one. */
const struct kvlist *service_selector(struct daemon *d,
				      const struct service_spec *svc);

/* Drops every override (apply does this). */
void service_overrides_clear(struct daemon *d);

/*
 * POST /v1/services/NAME/selector {"selector":"k=v,...","force":bool}.
 * 404 for an unknown service, 400 for a bad selector, 409 when the new
 * selector matches no ready pod (an outage) unless force.
 */
void service_set_selector(struct daemon *d, struct ctl_conn *c,
			  const char *name, json_t *body);

#endif
