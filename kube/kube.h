/*
 * kube.h - the Kubernetes API server of berth (SPEC "Kubernetes API"):
 * started once the control socket listens, stopped at exit. The only
 * entry points the daemon calls.
 */
#ifndef BERTH_KUBE_KUBE_H
#define BERTH_KUBE_KUBE_H

#include "../common/err.h"

struct daemon;

/*
 * With `kubernetesAPI` not off: creates the credentials (first start) and
 * the kubeconfig, then listens. A credential that cannot be made or read
 * is an error; an address that cannot be bound is logged and the daemon
 * runs without the API (the default address must not keep a second
 * daemon on the host from starting).
 */
int kube_start(struct daemon *d, struct berr *err);
/* Closes the listener and its connections. Safe when not started. */
void kube_stop(struct daemon *d);

#endif
