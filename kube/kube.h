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
/* The credentials and TLS context for listen (NULL: off) under
 * state_dir, made ahead of kube_start() (which takes them if they are for
 * the same address and folder, else makes its own): reads no daemon
 * state, so an upgrade's successor does it before the previous daemon
 * stops. Errors are left to kube_start(). */
void kube_prepare(const char *listen, const char *state_dir);
/* Closes the listener and its connections. Safe when not started. */
void kube_stop(struct daemon *d);
/* Its listening socket (for a successor daemon), or -1 when off. */
int kube_listen_fd(struct daemon *d);

#endif
