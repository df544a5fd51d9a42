/*
 * api.h - the control API's routes (HTTP/1.1 + JSON on the unix socket).
 * Parses requests, calls into the orchestrator, renders replies. The
 * transport is ctl_server.c.
 */
#ifndef BERTH_ORCHESTRATOR_API_H
#define BERTH_ORCHESTRATOR_API_H

#include "ctl_server.h"

struct daemon;

/* The longest path segment (a pod or deployment name...) plus the NUL. */
#define API_SEG_MAX 128

/* A server above the orchestrator (dashboard/) answers /v1/NAME/...
 * through fn, so this layer never includes it. One extension. */
typedef void (*api_extension_fn)(struct daemon *d, struct ctl_conn *c,
				 const struct ctl_request *req);
void api_register_extension(const char *name, api_extension_fn fn);

void api_handle(void *daemon, struct ctl_conn *c,
		const struct ctl_request *req);
/*
 * The route of the table that answers method on path: its index, or -404
 * (no route has that path), -405 (routes have it, for other methods:
 * allowed lists them, "GET, HEAD, POST"), -400 (a segment is longer than
 * API_SEG_MAX - 1 bytes).
 */
int api_route(const char *method, const char *path, char *allowed, size_t len);
/* export.c: GET /v1/export, the current objects as Kubernetes
 * manifests. */
void route_export(struct daemon *d, struct ctl_conn *c,
		  const struct ctl_request *req, const char *const *arg);

/* Closes every `logs -f` timer (the daemon is exiting; call after
 * ctl_server_stop, which ends their streams). */
void api_follows_stop(struct daemon *d);

#endif
