/*
 * endpoints.h - the bridge from the orchestrator's pods to the proxy's
 * endpoint sets. A service's endpoints are the pods its (effective)
 * selector matches that are ready and not terminating. A terminating pod
 * leaves every service here, synchronously, before its preStop hook runs.
 */
#ifndef BERTH_ORCHESTRATOR_ENDPOINTS_H
#define BERTH_ORCHESTRATOR_ENDPOINTS_H

#include <stdbool.h>

#include "model.h"

/* Recomputes and publishes every service's endpoint set. Call whenever
 * readiness, pods or the config change; cheap when nothing did. */
void endpoints_sync(struct daemon *d);

/*
 * Start-up after a restart: endpoints_hold() before the listeners are
 * set up, so that no connection is accepted that could only be refused;
 * endpoints_release() once the adopted pods are known (ready as their
 * records say), which publishes every service's endpoints and lets the
 * listeners accept what waited in their backlog.
 */
void endpoints_hold(struct daemon *d);
void endpoints_release(struct daemon *d);

/* Step 1 of termination: the pod (already marked terminating) gets no
 * new request or connection from the next one on. */
void endpoints_pod_leaving(struct pod *p);

/*
 * Makes the proxy serve cfg's services (listeners bound now, so an address
 * in use fails the apply) and closes those of old (may be NULL) that cfg
 * no longer has. -1 with err set when a listener cannot be bound.
 */
int endpoints_apply(struct daemon *d, const struct berth_config *old,
		    const struct berth_config *cfg, struct berr *err);

/* true when p is an endpoint of a service with this selector. */
bool endpoints_selects(const struct kvlist *selector, const struct pod *p);
/*
 * The port of p that svc connects to: its targetPort number, or for a
 * targetPort given by name the port of p's container that has that name
 * (Kubernetes' lookup, per pod); 0 when it has none: p is then no
 * endpoint of svc.
 */
int endpoints_port(const struct service_spec *svc, const struct pod *p);
/* false when svc's targetPort is a name p's container has no port of. */
bool endpoints_port_found(const struct service_spec *svc, const struct pod *p);

#endif
