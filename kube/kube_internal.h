/*
 * kube_internal.h - what the files of kube/ share: the server state and
 * the router. Not for use outside kube/.
 */
#ifndef BERTH_KUBE_KUBE_INTERNAL_H
#define BERTH_KUBE_KUBE_INTERNAL_H

#include <stdint.h>
#include <uv.h>

#include "convert.h"
#include "kube_conn.h"
#include "pki.h"
#include "selector.h"

struct daemon;
struct kube_watch;

/* A resource served: its group ("" core, "apps"), plural name, list kind,
 * scope and the fields its fieldSelector may name. */
struct kres {
	const char *group;
	const char *name;
	const char *list_kind;
	bool namespaced;
	const char *const *fields;
};

struct kube_server {
	struct daemon *d;
	struct kube_listener *listener;
	struct kube_pki_paths pki;
	char *listen;	       /* "127.0.0.1:6443" */
	int64_t ns_created_ms; /* namespace `default`: when the CA was made */
	struct kube_watch *watches;
	uv_timer_t tick; /* polls the model for the watches */
	bool tick_open;
};

void kube_route(void *data, struct kube_conn *c,
		const struct kube_request *req);

/* The objects of r in namespace ns (NULL: all) that both selectors
 * match, sorted as the apiserver lists them. */
json_t *kube_collect(struct kube_server *ks, const struct kube_ctx *k,
		     const struct kres *r, const char *ns,
		     const struct kube_selector *ls,
		     const struct kube_selector *fs);
/* Whether the request asks for a Table; its includeObject=Object. */
bool kube_wants_table(const struct kube_request *req);
bool kube_include_object(const struct kube_request *req);
/* Decoded value of key in the query, or NULL (caller frees). */
char *kube_query_get(const struct kube_request *req, const char *key);

/*
 * Starts a watch stream on c (watch.c): with resourceVersion unset or "0"
 * every current object first comes as ADDED; then ADDED, MODIFIED and
 * DELETED as the model changes (polled every 250 ms), one JSON line
 * each, until timeoutSeconds (default 30 min) or the client leaves. Takes
 * over ls and fs.
 */
void kube_watch_start(struct kube_server *ks, struct kube_conn *c,
		      const struct kube_request *req, const struct kres *r,
		      const char *ns, struct kube_selector *ls,
		      struct kube_selector *fs);
/* Ends every watch (the server stops). */
void kube_watch_stop_all(struct kube_server *ks);

/* DELETE /api/v1/namespaces/default/pods/NAME (ops.c). */
void kube_delete_pod(struct kube_server *ks, struct kube_conn *c,
		     const struct kube_request *req, const char *name);
/* GET, PUT, PATCH /apis/apps/v1/namespaces/default/deployments/NAME/scale */
void kube_scale(struct kube_server *ks, struct kube_conn *c,
		const struct kube_request *req, const char *name);

#endif
