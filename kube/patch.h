/*
 * patch.h - the four ways a Kubernetes client changes an object: JSON merge
 * patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch (merge
 * keys per list, $patch, $setElementOrder, $retainKeys,
 * $deleteFromPrimitiveList) and the approximation of server-side apply.
 * Pure: jansson in, jansson out; no berth object, no I/O. The caller
 * decides what the patched object means.
 */
#ifndef BERTH_KUBE_PATCH_H
#define BERTH_KUBE_PATCH_H

#include <jansson.h>
#include <stddef.h>

/* RFC 7386: a new value (never NULL); orig and patch are left as they are. */
json_t *kube_patch_merge(const json_t *orig, const json_t *patch);

/* RFC 6902: a new value, or NULL with the failing operation in why (a
 * failed "test", a path that does not exist, a malformed operation). */
json_t *kube_patch_json(const json_t *orig, const json_t *ops, char *why,
			size_t len);

/*
 * Strategic merge patch of an object of kind ("Deployment", "Service",
 * "Pod", "ReplicaSet", "Scale"): maps merge, null deletes, a list whose
 * field has a merge key (containers by name, ports by containerPort, a
 * Service's ports by port, env by name, ...) merges element by element,
 * any other list is replaced. A new value, or NULL with why.
 */
json_t *kube_patch_strategic(const json_t *orig, const json_t *patch,
			     const char *kind, char *why, size_t len);

/*
 * Server-side apply, approximated: a three-way strategic merge of live
 * with what this manager applied last (last, NULL when it never applied)
 * and what it applies now (applied): fields the manager applied before and
 * no longer applies are removed, the rest of applied is merged in; fields
 * other managers set are kept. A new value, or NULL with why.
 */
json_t *kube_patch_apply(const json_t *live, const json_t *last,
			 const json_t *applied, const char *kind, char *why,
			 size_t len);

/* The merge key of the list at path ("spec/template/spec/containers",
 * field names only), or NULL when the list is replaced whole. */
const char *kube_patch_merge_key(const char *kind, const char *path);

#endif
