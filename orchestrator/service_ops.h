/*
 * service_ops.h - imperative changes to services: `berth set selector`.
 * An override is kept in STATE_DIR/selectors.json and survives a daemon
 * restart while the file's selector for that service is unchanged; the
 * next apply of the file resets it, as `kubectl apply` resets a field
 * changed by `kubectl set`.
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
	char *configured; /* the file's selector when it was set, as text */
};

/* The selector in force for svc: an override, else the configured one. */
const struct kvlist *service_selector(struct daemon *d,
				      const struct service_spec *svc);

/* Writes every override to STATE_DIR/selectors.json (removes it when
 * there is none); -1 when it cannot be written (kept in memory, and
 * written again by store_retry_unsaved()). */
int service_overrides_save(struct daemon *d);

/* Drops every override and its record (apply does this). */
void service_overrides_clear(struct daemon *d);
/* Frees every override in memory; the record is left as it is (exit). */
void service_overrides_free(struct daemon *d);

/* The overrides recorded by the previous daemon (NULL when none); read
 * before the start-up apply, which clears them. */
json_t *service_overrides_load(struct daemon *d);

/* Re-installs each recorded override whose service still has the
 * configured selector it had when the override was set (an edited file
 * wins, as an apply would); takes records. */
void service_overrides_restore(struct daemon *d, json_t *records);

/*
 * POST /v1/services/NAME/selector {"selector":"k=v,...","force":bool}.
 * 404 for an unknown service, 400 for a bad selector, 409 when the new
 * selector matches no ready pod (an outage) unless force.
 */
/* The selector of service name from now on, as `set selector --force`
 * sets it (an override the next apply drops); -1 when there is no such
 * service. sel is copied. */
int service_override_selector(struct daemon *d, const char *name,
			      const struct kvlist *sel, struct berr *err);

void service_set_selector(struct daemon *d, struct ctl_conn *c,
			  const char *name, json_t *body);

#endif
