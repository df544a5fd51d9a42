/*
 * kube.h - the Kubernetes API server of berth (SPEC "Kubernetes API"):
 * started once the control socket listens, stopped at exit. The only
 * entry points the daemon calls.
 */
#ifndef BERTH_KUBE_KUBE_H
#define BERTH_KUBE_KUBE_H

struct daemon;

/*
 * With `kubernetesAPI` not off: creates the credentials (first start) and
 * the kubeconfig, then listens. Whatever fails (a credential that cannot
 * be made or read, an address in use) is logged and the daemon runs
 * without the API: the API is optional, and its default address must not
 * keep a second daemon on the host, or one with a full disk, from
 * starting.
 */
void kube_start(struct daemon *d);
/* Closes the listener and its connections. Safe when not started. */
void kube_stop(struct daemon *d);
/* Its listening socket (for a successor daemon), or -1 when off. */
int kube_listen_fd(struct daemon *d);

#endif
