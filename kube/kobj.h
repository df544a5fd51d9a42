/*
 * kobj.h - pieces every Kubernetes object shares: stable UIDs, RFC 3339
 * timestamps, ObjectMeta, Status errors, and lookups by dotted field path.
 * Pure: jansson and libc, no berth object.
 */
#ifndef BERTH_KUBE_KOBJ_H
#define BERTH_KUBE_KOBJ_H

#include <jansson.h>
#include <stdint.h>

#define KUBE_NAMESPACE "default"

/* A UUID-shaped UID derived from kind, name and creation time: the same
 * object keeps its UID across reads and daemon restarts. */
void kube_uid(const char *kind, const char *name, int64_t created_ms,
	      char out[37]);
/* "2026-12-05T10:00:00Z" (seconds, UTC), as the apiserver writes. */
void kube_timestamp(int64_t ms, char out[32]);

/* ObjectMeta with name, namespace (NULL: cluster-scoped), uid,
 * resourceVersion and creationTimestamp. */
json_t *kube_meta(const char *kind, const char *name, const char *ns,
		  int64_t created_ms, const char *resource_version);

/* A meta/v1 Status failure, as the apiserver sends with 4xx/5xx. */
json_t *kube_status(int code, const char *reason, const char *message,
		    const char *kind, const char *name);

/* The value at a dotted path ("metadata.name"), or NULL. */
json_t *kube_path(json_t *obj, const char *path);
/* Its string form: strings as is, numbers and booleans printed, "" for
 * anything else or a missing path. */
void kube_path_string(json_t *obj, const char *path, char *buf, size_t len);

#endif
