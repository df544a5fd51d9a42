/*
 * discovery.h - what kubectl asks before anything else: /version, the
 * legacy discovery documents (/api, /apis, /api/v1, /apis/apps/v1,
 * /apis/argoproj.io/v1alpha1) and aggregated discovery (/api and /apis
 * as an apidiscovery.k8s.io APIGroupDiscoveryList, in the version the
 * Accept header asks for), listing exactly the resources and verbs berth
 * serves. Pure.
 */
#ifndef BERTH_KUBE_DISCOVERY_H
#define BERTH_KUBE_DISCOVERY_H

#include <jansson.h>

/* The Kubernetes version berth answers as (kubectl 1.32's own). */
#define KUBE_VERSION_MAJOR "1"
#define KUBE_VERSION_MINOR "32"
#define KUBE_GIT_VERSION "v1.32.0-berth"

json_t *kube_version_json(void);
/* path is "/api", "/apis", "/api/v1", "/apis/apps/v1" or
 * "/apis/argoproj.io/v1alpha1"; NULL otherwise. server_address goes into
 * /api's serverAddressByClientCIDRs. */
json_t *kube_discovery_json(const char *path, const char *server_address);

/* What an Accept header asks /api and /apis for: the first media range
 * berth can answer, in the client's order (q=0 skipped): aggregated v2 or
 * v2beta1 (application/json;g=apidiscovery.k8s.io;v=V;as=
 * APIGroupDiscoveryList), else legacy (plain application/json, an empty
 * header, anything else). */
enum kube_disc_format { KUBE_DISC_LEGACY, KUBE_DISC_V2, KUBE_DISC_V2BETA1 };
enum kube_disc_format kube_discovery_negotiate(const char *accept);
#define KUBE_DISC_CT_V2                                                        \
	"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
#define KUBE_DISC_CT_V2BETA1                                                   \
	"application/json;g=apidiscovery.k8s.io;v=v2beta1;as="                 \
	"APIGroupDiscoveryList"
/* The APIGroupDiscoveryList of /api or /apis in format f (NULL for
 * another path or KUBE_DISC_LEGACY), and the Content-Type it goes with. */
json_t *kube_discovery_aggregated(const char *path, enum kube_disc_format f);
const char *kube_discovery_content_type(enum kube_disc_format f);

/* The openapi v3 stub (/openapi/v3 and its three documents) that tells
 * kubectl create/apply the server validates fields itself; NULL for any
 * other path. The hash changes whenever the documents do. */
#define KUBE_OPENAPI_HASH "berth2"
json_t *kube_openapi_json(const char *path);

#endif
