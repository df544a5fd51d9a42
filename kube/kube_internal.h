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
struct kube_history;
struct kube_follow;

/* A resource served: its group ("" core, "apps", "argoproj.io"), plural
 * name, list kind,
 * scope and the fields its fieldSelector may name. */
struct kres {
	const char *group;
	const char *name;
	const char *list_kind;
	bool namespaced;
	const char *const *fields;
};

#define KUBE_N_RESOURCES 8
extern const struct kres kube_resources[KUBE_N_RESOURCES];
/* The resource group/name ("" for core), or NULL. */
const struct kres *kube_resource(const char *group, const char *name);

struct kube_server {
	struct daemon *d;
	struct kube_listener *listener;
	struct kube_pki_paths pki;
	char *listen;	       /* "127.0.0.1:6443" */
	int64_t ns_created_ms; /* namespace `default`: when the CA was made */
	struct kube_history *history; /* history.c */
	struct kube_watch *watches;
	struct kube_follow *follows; /* logs.c */
	json_t *records;	     /* objects.c: {"KIND/NAME": record} */
	uv_timer_t tick;	     /* polls the model for the watches */
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

/*
 * The change history behind resourceVersions and watches (history.c).
 * kube_history_sync() compares the objects of r (NULL: every resource)
 * with what was last seen and records one event (ADDED, MODIFIED,
 * DELETED) per changed object, each with the next resourceVersion;
 * versions start at the start-up time in milliseconds, so they grow
 * across restarts. Every read syncs the resource it reads first; the
 * watch tick syncs the resources watched. A resource nobody reads costs
 * nothing.
 */
void kube_history_init(struct kube_server *ks);
void kube_history_free(struct kube_server *ks);
void kube_history_sync(struct kube_server *ks, const struct kres *r);
/* The resourceVersion of the last event. */
uint64_t kube_history_head(const struct kube_server *ks);
/* Sets each item's metadata.resourceVersion to its last change. */
void kube_history_stamp(struct kube_server *ks, const struct kres *r,
			json_t *items);
/* Calls fn for each event after rv, oldest first. -1 when events after
 * rv are no longer kept (the client must list again), else what the
 * last call returned (0 ok; fn returns -1 to stop). */
int kube_history_since(struct kube_server *ks, uint64_t rv,
		       int (*fn)(void *arg, const struct kres *r,
				 const char *type, json_t *obj),
		       void *arg);

/* GET .../pods/NAME/log (logs.c); kube_follow_stop_all ends every
 * follow (the server stops). */
/* exec.c: GET .../pods/NAME/exec over a WebSocket. */
void kube_pod_exec(struct kube_server *ks, struct kube_conn *c,
		   const struct kube_request *req, const char *name);

void kube_pod_log(struct kube_server *ks, struct kube_conn *c,
		  const struct kube_request *req, const char *name);
void kube_follow_stop_all(struct kube_server *ks);

/* DELETE /api/v1/namespaces/default/pods/NAME (ops.c). */
void kube_delete_pod(struct kube_server *ks, struct kube_conn *c,
		     const struct kube_request *req, const char *name);
/* POST to deployments or services (name NULL); PUT, PATCH, DELETE of
 * one (write.c). */
void kube_write(struct kube_server *ks, struct kube_conn *c,
		const struct kube_request *req, const struct kres *r,
		const char *name);
/* POST to rollouts or analysistemplates (name NULL); PUT, PATCH, DELETE
 * of one (rollout_write.c). */
void kube_rollout_write(struct kube_server *ks, struct kube_conn *c,
			const struct kube_request *req, const struct kres *r,
			const char *name);
/* obj, a Deployment or a Service (kind) of the API, as a config holding
 * it (write.c), read by config/'s manifest reader (cfg_manifest_object:
 * errors "FIELD: message"); strict: fieldValidation=Strict. obj carries
 * its apiVersion and kind (a request's are filled from its URL first,
 * compat.c). The object's labels and annotations are the API's records'.
 * *paused is spec.paused (paused NULL: refused). */
int kube_object_config(const json_t *obj, const char *kind, bool strict,
		       struct berth_config **out, bool *paused,
		       struct berr *err);
/* GET, PUT, PATCH /apis/apps/v1/namespaces/default/deployments/NAME/scale */
void kube_scale(struct kube_server *ks, struct kube_conn *c,
		const struct kube_request *req, const char *name);

#endif
