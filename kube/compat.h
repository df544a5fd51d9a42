/*
 * compat.h - what client libraries send that kubectl does not, made into
 * what the routes expect: a trailing slash on a path (python's
 * `/version/`, `/api/`), a body without apiVersion and kind (the URL
 * names them), the status subresource read with GET. Pure: strings and
 * jansson, no berth object, no I/O.
 */
#ifndef BERTH_KUBE_COMPAT_H
#define BERTH_KUBE_COMPAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * path without its trailing slashes ("/api/" → "/api"; "/" stays) into
 * out; -1 when it does not fit.
 */
int kube_compat_path(const char *path, char *out, size_t len);

/* Whether resource (a plural: "pods") has a status subresource that GET
 * answers with the whole object, as the apiserver does. */
bool kube_compat_has_status(const char *resource);

/*
 * Sets obj's apiVersion and kind from the URL when they are missing or
 * empty, as the apiserver defaults them; a different value is left for
 * the mapping to refuse. Nothing when obj is not an object.
 */
void kube_compat_type_meta(json_t *obj, const char *api_version,
			   const char *kind);

#endif
