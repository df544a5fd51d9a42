/*
 * test_kube_discovery.c - kube/discovery.c: which form of discovery an
 * Accept header gets (aggregated v2, v2beta1 only when asked for alone
 * or first, legacy otherwise), the exact Content-Types, and the
 * documents: every group with its resources, verbs, shortNames, scope,
 * subresources and responseKind, legacy and aggregated listing the same
 * resources.
 */
#include <string.h>

#include "../../kube/discovery.h"
#include "../lib/tap.h"

#define KUBECTL_132                                                            \
	"application/"                                                         \
	"json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"            \
	"application/json;g=apidiscovery.k8s.io;v=v2beta1;as="                 \
	"APIGroupDiscoveryList,application/json"

static void check_negotiate(void)
{
	static const struct {
		const char *accept;
		enum kube_disc_format want;
	} cases[] = {
	    {KUBECTL_132, KUBE_DISC_V2},
	    {"application/json;g=apidiscovery.k8s.io;v=v2beta1;as="
	     "APIGroupDiscoveryList,application/json",
	     KUBE_DISC_V2BETA1},
	    {"application/json;g=apidiscovery.k8s.io;v=v2beta1;as="
	     "APIGroupDiscoveryList",
	     KUBE_DISC_V2BETA1},
	    {"application/json", KUBE_DISC_LEGACY},
	    {"", KUBE_DISC_LEGACY},
	    {"*/*", KUBE_DISC_LEGACY},
	    {"application/json, */*", KUBE_DISC_LEGACY},
	    /* The client's order decides, not berth's preference. */
	    {"application/json,application/json;g=apidiscovery.k8s.io;v=v2;"
	     "as=APIGroupDiscoveryList",
	     KUBE_DISC_LEGACY},
	    /* A version berth does not serve is skipped. */
	    {"application/json;g=apidiscovery.k8s.io;v=v3;as="
	     "APIGroupDiscoveryList,application/json",
	     KUBE_DISC_LEGACY},
	    /* Protobuf is not served: the JSON form that follows is. */
	    {"application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;"
	     "as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;"
	     "v=v2beta1;as=APIGroupDiscoveryList",
	     KUBE_DISC_V2BETA1},
	    {"application/json; g=apidiscovery.k8s.io; v=v2; "
	     "as=APIGroupDiscoveryList",
	     KUBE_DISC_V2},
	    {"application/json;g=apidiscovery.k8s.io;v=v2;as="
	     "APIGroupDiscoveryList;q=0,application/json",
	     KUBE_DISC_LEGACY},
	    /* A Table is no discovery document. */
	    {"application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
	     KUBE_DISC_LEGACY},
	    {"application/json;g=other.k8s.io;v=v2;as=APIGroupDiscoveryList",
	     KUBE_DISC_LEGACY},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(kube_discovery_negotiate(cases[i].accept), cases[i].want,
		       "negotiate %zu: %s", i, cases[i].accept);
	is_str(kube_discovery_content_type(KUBE_DISC_V2),
	       "application/json;g=apidiscovery.k8s.io;v=v2;as="
	       "APIGroupDiscoveryList",
	       "v2 Content-Type exactly as the apiserver's");
	is_str(kube_discovery_content_type(KUBE_DISC_V2BETA1),
	       "application/json;g=apidiscovery.k8s.io;v=v2beta1;as="
	       "APIGroupDiscoveryList",
	       "v2beta1 Content-Type");
	is_str(kube_discovery_content_type(KUBE_DISC_LEGACY),
	       "application/json", "legacy Content-Type");
}

/* The resource named res of an aggregated group document. */
static json_t *agg_resource(json_t *list, const char *group, const char *res)
{
	size_t i, j;
	json_t *g, *r;

	json_array_foreach(json_object_get(list, "items"), i, g)
	{
		const char *name = json_string_value(
		    json_object_get(json_object_get(g, "metadata"), "name"));
		json_t *v = json_array_get(json_object_get(g, "versions"), 0);

		if (!name || strcmp(name, group))
			continue;
		json_array_foreach(json_object_get(v, "resources"), j, r)
		{
			if (!strcmp(json_string_value(
					json_object_get(r, "resource")),
				    res))
				return r;
		}
	}
	return NULL;
}

static void check_aggregated(void)
{
	json_t *api = kube_discovery_aggregated("/api", KUBE_DISC_V2);
	json_t *apis = kube_discovery_aggregated("/apis", KUBE_DISC_V2);
	json_t *beta = kube_discovery_aggregated("/apis", KUBE_DISC_V2BETA1);
	json_t *r;

	ok(kube_discovery_aggregated("/apis", KUBE_DISC_LEGACY) == NULL,
	   "legacy: no aggregated document");
	ok(kube_discovery_aggregated("/api/v1", KUBE_DISC_V2) == NULL,
	   "aggregated only at /api and /apis");
	is_str(json_string_value(json_object_get(api, "kind")),
	       "APIGroupDiscoveryList", "kind");
	is_str(json_string_value(json_object_get(apis, "apiVersion")),
	       "apidiscovery.k8s.io/v2", "v2 apiVersion");
	is_str(json_string_value(json_object_get(beta, "apiVersion")),
	       "apidiscovery.k8s.io/v2beta1", "v2beta1 apiVersion");
	is_str(json_string_value(json_object_get(
		   json_object_get(
		       json_array_get(json_object_get(api, "items"), 0),
		       "metadata"),
		   "name")),
	       "", "the core group's name is empty");

	r = agg_resource(api, "", "pods");
	ok(r != NULL, "core: pods");
	is_str(json_string_value(json_object_get(r, "scope")), "Namespaced",
	       "pods are namespaced");
	is_str(json_string_value(
		   json_array_get(json_object_get(r, "shortNames"), 0)),
	       "po", "pods: shortName po");
	is_int(json_array_size(json_object_get(r, "subresources")), 2,
	       "pods: log and exec");
	r = agg_resource(api, "", "namespaces");
	is_str(json_string_value(json_object_get(r, "scope")), "Cluster",
	       "namespaces are cluster-scoped");
	ok(agg_resource(api, "", "services") && agg_resource(api, "", "events"),
	   "core: services, events");

	r = agg_resource(apis, "apps", "deployments");
	ok(r != NULL, "apps: deployments");
	is_str(json_string_value(
		   json_object_get(json_object_get(r, "responseKind"), "kind")),
	       "Deployment", "responseKind.kind");
	is_str(json_string_value(json_object_get(
		   json_object_get(
		       json_array_get(json_object_get(r, "subresources"), 0),
		       "responseKind"),
		   "group")),
	       "autoscaling", "deployments/scale is an autoscaling/v1 Scale");
	is_int(json_array_size(json_object_get(r, "verbs")), 7,
	       "deployments: 7 verbs");
	is_str(json_string_value(
		   json_array_get(json_object_get(r, "categories"), 0)),
	       "all", "deployments are in `all`");
	ok(agg_resource(apis, "apps", "replicasets") != NULL,
	   "apps: replicasets");

	r = agg_resource(apis, "argoproj.io", "rollouts");
	ok(r != NULL, "argoproj.io: rollouts");
	is_str(json_string_value(
		   json_array_get(json_object_get(r, "shortNames"), 0)),
	       "ro", "rollouts: shortName ro");
	is_str(json_string_value(json_object_get(
		   json_object_get(r, "responseKind"), "version")),
	       "v1alpha1", "rollouts: v1alpha1");
	is_str(json_string_value(json_object_get(r, "singularResource")),
	       "rollout", "rollouts: singular");
	ok(agg_resource(apis, "argoproj.io", "analysistemplates") != NULL,
	   "argoproj.io: analysistemplates");
	is_str(json_string_value(json_object_get(
		   json_array_get(
		       json_object_get(
			   json_array_get(json_object_get(apis, "items"), 1),
			   "versions"),
		       0),
		   "freshness")),
	       "Current", "freshness");
	json_decref(api);
	json_decref(apis);
	json_decref(beta);
}

/* Legacy and aggregated list the same resources of each group. */
static void check_same_resources(void)
{
	static const char *const gv[][3] = {
	    {"/api/v1", "", "/api"},
	    {"/apis/apps/v1", "apps", "/apis"},
	    {"/apis/argoproj.io/v1alpha1", "argoproj.io", "/apis"},
	};
	json_t *groups = kube_discovery_json("/apis", "127.0.0.1:6443");

	is_int(json_array_size(json_object_get(groups, "groups")), 2,
	       "legacy /apis: apps and argoproj.io");
	json_decref(groups);
	for (size_t i = 0; i < 3; i++) {
		json_t *legacy = kube_discovery_json(gv[i][0], "x");
		json_t *agg = kube_discovery_aggregated(gv[i][2], KUBE_DISC_V2);
		json_t *r;
		size_t j, n = 0, found = 0;

		ok(legacy != NULL, "legacy %s", gv[i][0]);
		json_array_foreach(json_object_get(legacy, "resources"), j, r)
		{
			const char *name =
			    json_string_value(json_object_get(r, "name"));

			if (strchr(name, '/'))
				continue; /* a subresource */
			n++;
			found += agg_resource(agg, gv[i][1], name) != NULL;
		}
		ok(n > 0 && found == n, "%s: %zu of %zu in aggregated",
		   gv[i][0], found, n);
		json_decref(legacy);
		json_decref(agg);
	}
}

int main(void)
{
	check_negotiate();
	check_aggregated();
	check_same_resources();
	return tap_done();
}
