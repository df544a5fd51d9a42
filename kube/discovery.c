/*
 * discovery.c - /version and legacy discovery. Aggregated discovery
 * (apidiscovery.k8s.io/v2) is not served: kubectl asks for it with plain
 * application/json as its last choice and takes the legacy documents.
 * The verbs listed are only those answered.
 */
#include "discovery.h"

#include <string.h>

json_t *kube_version_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "major", KUBE_VERSION_MAJOR, "minor",
			 KUBE_VERSION_MINOR, "gitVersion", KUBE_GIT_VERSION,
			 "gitCommit", "", "gitTreeState", "clean", "buildDate",
			 "1970-01-01T00:00:00Z", "goVersion", "", "compiler",
			 "gc", "platform", "linux/amd64");
}

static json_t *resource(const char *name, const char *singular,
			const char *kind, int namespaced, const char *shortname,
			int in_all, int deletable)
{
	json_t *r =
	    json_pack("{s:s, s:s, s:b, s:s}", "name", name, "singularName",
		      singular, "namespaced", namespaced, "kind", kind);

	json_object_set_new(
	    r, "verbs",
	    deletable ? json_pack("[s,s,s,s]", "delete", "get", "list", "watch")
		      : json_pack("[s,s,s]", "get", "list", "watch"));
	json_object_set_new(r, "shortNames", json_pack("[s]", shortname));
	if (in_all)
		json_object_set_new(r, "categories", json_pack("[s]", "all"));
	return r;
}

json_t *kube_discovery_json(const char *path, const char *server_address)
{
	if (!strcmp(path, "/api"))
		return json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind",
				 "APIVersions", "versions", "v1",
				 "serverAddressByClientCIDRs", "clientCIDR",
				 "0.0.0.0/0", "serverAddress", server_address);
	if (!strcmp(path, "/apis"))
		return json_pack(
		    "{s:s, s:s, s:[{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}]}",
		    "kind", "APIGroupList", "apiVersion", "v1", "groups",
		    "name", "apps", "versions", "groupVersion", "apps/v1",
		    "version", "v1", "preferredVersion", "groupVersion",
		    "apps/v1", "version", "v1");
	if (!strcmp(path, "/api/v1"))
		return json_pack(
		    "{s:s, s:s, s:[o,o,o,o]}", "kind", "APIResourceList",
		    "groupVersion", "v1", "resources",
		    resource("events", "event", "Event", 1, "ev", 0, 0),
		    resource("namespaces", "namespace", "Namespace", 0, "ns", 0,
			     0),
		    resource("pods", "pod", "Pod", 1, "po", 1, 1),
		    resource("services", "service", "Service", 1, "svc", 1, 0));
	if (!strcmp(path, "/apis/apps/v1"))
		return json_pack(
		    "{s:s, s:s, s:s, s:[o,o,o]}", "kind", "APIResourceList",
		    "apiVersion", "v1", "groupVersion", "apps/v1", "resources",
		    resource("deployments", "deployment", "Deployment", 1,
			     "deploy", 1, 0),
		    json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:[s,s,s]}",
			      "name", "deployments/scale", "singularName", "",
			      "namespaced", 1, "group", "autoscaling",
			      "version", "v1", "kind", "Scale", "verbs", "get",
			      "patch", "update"),
		    resource("replicasets", "replicaset", "ReplicaSet", 1, "rs",
			     1, 0));
	return NULL;
}
