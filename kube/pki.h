/*
 * pki.h - the Kubernetes API's credentials under STATE_DIR/pki: a CA, the
 * server certificate, the admin client certificate, and the admin
 * kubeconfig at STATE_DIR/kubeconfig. OpenSSL only; knows nothing about
 * HTTP or berth's objects.
 */
#ifndef BERTH_KUBE_PKI_H
#define BERTH_KUBE_PKI_H

#include <stdbool.h>

#include "../common/err.h"

#define KUBE_ADMIN_CN "berth-admin"
#define KUBE_ADMIN_O "system:masters"

struct kube_pki_paths {
	char *dir;	  /* STATE_DIR/pki */
	char *ca_crt;	  /* ca.crt */
	char *ca_key;	  /* ca.key (0600) */
	char *server_crt; /* apiserver.crt */
	char *server_key; /* apiserver.key (0600) */
	char *admin_crt;  /* admin.crt */
	char *admin_key;  /* admin.key (0600) */
	char *kubeconfig; /* STATE_DIR/kubeconfig (0600) */
};

void kube_pki_paths_init(struct kube_pki_paths *p, const char *state_dir);
void kube_pki_paths_free(struct kube_pki_paths *p);

/*
 * Makes sure every file exists and fits listen ("ADDR:PORT"): the CA and
 * the admin credentials are created once and kept (the kubeconfig stays
 * valid across restarts; the admin certificate is renewed 30 days before
 * it expires); the server certificate is issued again at every start, for
 * the listen address, 127.0.0.1, ::1 and localhost; the kubeconfig is
 * written again, pointing at listen (a wildcard address becomes loopback).
 */
int kube_pki_ensure(const struct kube_pki_paths *p, const char *listen,
		    struct berr *err);

/* "https://127.0.0.1:6443" for "127.0.0.1:6443"; "0.0.0.0" and "::"
 * become loopback. xmalloc'd. */
char *kube_server_url(const char *listen);

#endif
