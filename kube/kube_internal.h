/*
 * kube_internal.h - what the files of kube/ share: the server state and
 * the router. Not for use outside kube/.
 */
#ifndef BERTH_KUBE_KUBE_INTERNAL_H
#define BERTH_KUBE_KUBE_INTERNAL_H

#include <stdint.h>

#include "kube_conn.h"
#include "pki.h"

struct daemon;

struct kube_server {
	struct daemon *d;
	struct kube_listener *listener;
	struct kube_pki_paths pki;
	char *listen;	       /* "127.0.0.1:6443" */
	int64_t ns_created_ms; /* namespace `default`: when the CA was made */
};

void kube_route(void *data, struct kube_conn *c,
		const struct kube_request *req);

#endif
