/*
 * discovery.c - /version and legacy discovery. Aggregated discovery
 * (apidiscovery.k8s.io/v2) is not served: kubectl asks for it with plain
 * application/json as its last choice and takes the legacy documents.
 * The verbs listed are only those answered.
 */
#include "discovery.h"

#include <stdio.h>
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
	    deletable == 2
		? json_pack("[s,s,s,s,s,s,s]", "create", "delete", "get",
			    "list", "patch", "update", "watch")
	    : deletable
		? json_pack("[s,s,s,s]", "delete", "get", "list", "watch")
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
		    resource("services", "service", "Service", 1, "svc", 1, 2));
	if (!strcmp(path, "/apis/apps/v1"))
		return json_pack(
		    "{s:s, s:s, s:s, s:[o,o,o]}", "kind", "APIResourceList",
		    "apiVersion", "v1", "groupVersion", "apps/v1", "resources",
		    resource("deployments", "deployment", "Deployment", 1,
			     "deploy", 1, 2),
		    json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:[s,s,s]}",
			      "name", "deployments/scale", "singularName", "",
			      "namespaced", 1, "group", "autoscaling",
			      "version", "v1", "kind", "Scale", "verbs", "get",
			      "patch", "update"),
		    resource("replicasets", "replicaset", "ReplicaSet", 1, "rs",
			     1, 0));
	return NULL;
}

/* One path per kind berth writes, each saying it takes fieldValidation:
 * all kubectl looks for (no schema, so kubectl computes patches from its
 * own types). */
static json_t *openapi_doc(const char *prefix, const char *group,
			   const char *const *kinds)
{
	json_t *paths = json_object();

	for (size_t i = 0; kinds[i]; i += 2) {
		char path[160];
		json_t *op =
		    json_pack("{s:{s:s, s:s, s:s}, s:[{s:s, s:s, s:{s:s}}]}",
			      "x-kubernetes-group-version-kind", "group", group,
			      "version", "v1", "kind", kinds[i], "parameters",
			      "name", "fieldValidation", "in", "query",
			      "schema", "type", "string");

		snprintf(path, sizeof(path), "%s/namespaces/{namespace}/%s",
			 prefix, kinds[i + 1]);
		json_object_set_new(
		    paths, path,
		    json_pack("{s:O, s:O}", "post", op, "put", op));
		snprintf(path, sizeof(path),
			 "%s/namespaces/{namespace}/%s/{name}", prefix,
			 kinds[i + 1]);
		json_object_set_new(
		    paths, path,
		    json_pack("{s:O, s:O}", "patch", op, "put", op));
		json_decref(op);
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:{}}}", "openapi",
			 "3.0.0", "info", "title", "berth", "version",
			 KUBE_GIT_VERSION, "paths", paths, "components",
			 "schemas");
}

json_t *kube_openapi_json(const char *path)
{
	static const char *const core[] = {"Service", "services", "Pod", "pods",
					   NULL};
	static const char *const apps[] = {"Deployment", "deployments", NULL};

	if (!strcmp(path, "/openapi/v3"))
		return json_pack(
		    "{s:{s:{s:s}, s:{s:s}}}", "paths", "api/v1",
		    "serverRelativeURL",
		    "/openapi/v3/api/v1?hash=" KUBE_OPENAPI_HASH,
		    "apis/apps/v1", "serverRelativeURL",
		    "/openapi/v3/apis/apps/v1?hash=" KUBE_OPENAPI_HASH);
	if (!strcmp(path, "/openapi/v3/api/v1"))
		return openapi_doc("/api/v1", "", core);
	if (!strcmp(path, "/openapi/v3/apis/apps/v1"))
		return openapi_doc("/apis/apps/v1", "apps", apps);
	return NULL;
}
