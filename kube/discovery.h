/*
 * discovery.h - what kubectl asks before anything else: /version and the
 * legacy discovery documents (/api, /apis, /api/v1, /apis/apps/v1)
 * listing exactly the resources and verbs berth serves. Pure.
 */
#ifndef BERTH_KUBE_DISCOVERY_H
#define BERTH_KUBE_DISCOVERY_H

#include <jansson.h>

/* The Kubernetes version berth answers as (kubectl 1.32's own). */
#define KUBE_VERSION_MAJOR "1"
#define KUBE_VERSION_MINOR "32"
#define KUBE_GIT_VERSION "v1.32.0-berth"

json_t *kube_version_json(void);
/* path is "/api", "/apis", "/api/v1" or "/apis/apps/v1"; NULL otherwise.
 * server_address goes into /api's serverAddressByClientCIDRs. */
json_t *kube_discovery_json(const char *path, const char *server_address);

/* The openapi v3 stub (/openapi/v3 and its two documents) that tells
 * kubectl create/apply the server validates fields itself; NULL for any
 * other path. The hash changes whenever the documents do. */
#define KUBE_OPENAPI_HASH "berth1"
json_t *kube_openapi_json(const char *path);

#endif
