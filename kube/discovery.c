/*
 * discovery.c - /version, discovery and the openapi v3 stub. One table
 * of the resources served drives both forms of discovery: the legacy
 * documents (/api, /apis, /api/v1, /apis/GROUP/VERSION) and aggregated
 * discovery (apidiscovery.k8s.io v2, or v2beta1, APIGroupDiscoveryList at
 * /api and /apis), which is sent only when the Accept header asks for
 * that version, with its exact Content-Type; any other Accept gets the
 * legacy documents. The verbs listed are only those answered. Pure.
 */
#include "discovery.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

json_t *kube_version_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "major", KUBE_VERSION_MAJOR, "minor",
			 KUBE_VERSION_MINOR, "gitVersion", KUBE_GIT_VERSION,
			 "gitCommit", "", "gitTreeState", "clean", "buildDate",
			 "1970-01-01T00:00:00Z", "goVersion", "", "compiler",
			 "gc", "platform", "linux/amd64");
}

enum verbs { V_READ, V_DELETE, V_WRITE };

static const struct dres {
	const char *group, *version, *name, *singular, *kind, *shortname;
	bool namespaced, all;
	enum verbs verbs;
} dres[] = {
    {"", "v1", "events", "event", "Event", "ev", true, false, V_READ},
    {"", "v1", "namespaces", "namespace", "Namespace", "ns", false, false,
     V_READ},
    {"", "v1", "pods", "pod", "Pod", "po", true, true, V_DELETE},
    {"", "v1", "services", "service", "Service", "svc", true, true, V_WRITE},
    {"apps", "v1", "deployments", "deployment", "Deployment", "deploy", true,
     true, V_WRITE},
    {"apps", "v1", "replicasets", "replicaset", "ReplicaSet", "rs", true, true,
     V_READ},
    {"argoproj.io", "v1alpha1", "rollouts", "rollout", "Rollout", "ro", true,
     false, V_WRITE},
    {"argoproj.io", "v1alpha1", "analysistemplates", "analysistemplate",
     "AnalysisTemplate", NULL, true, false, V_WRITE},
};
#define N_DRES (sizeof(dres) / sizeof(dres[0]))

/* The groups under /apis, in the order the apiserver lists them. */
static const struct {
	const char *group, *version;
} groups[] = {{"apps", "v1"}, {"argoproj.io", "v1alpha1"}};
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

static json_t *verbs_json(enum verbs v)
{
	if (v == V_WRITE)
		return json_pack("[s,s,s,s,s,s,s]", "create", "delete", "get",
				 "list", "patch", "update", "watch");
	if (v == V_DELETE)
		return json_pack("[s,s,s,s]", "delete", "get", "list", "watch");
	return json_pack("[s,s,s]", "get", "list", "watch");
}

/* Subresources: a deployment's scale (autoscaling/v1 Scale). */
static json_t *scale_legacy(void)
{
	return json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:[s,s,s]}", "name",
			 "deployments/scale", "singularName", "", "namespaced",
			 1, "group", "autoscaling", "version", "v1", "kind",
			 "Scale", "verbs", "get", "patch", "update");
}

static json_t *legacy_resource(const struct dres *r)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", r->name,
		      "singularName", r->singular, "namespaced", r->namespaced,
		      "kind", r->kind, "verbs", verbs_json(r->verbs));

	if (r->shortname)
		json_object_set_new(o, "shortNames",
				    json_pack("[s]", r->shortname));
	if (r->all)
		json_object_set_new(o, "categories", json_pack("[s]", "all"));
	return o;
}

/* The APIResourceList of group/version ("" core). */
static json_t *resource_list(const char *group, const char *version)
{
	char gv[64];
	json_t *res = json_array();

	for (size_t i = 0; i < N_DRES; i++) {
		if (strcmp(dres[i].group, group))
			continue;
		json_array_append_new(res, legacy_resource(&dres[i]));
		if (!strcmp(dres[i].name, "deployments"))
			json_array_append_new(res, scale_legacy());
	}
	snprintf(gv, sizeof(gv), "%s%s%s", group, group[0] ? "/" : "", version);
	if (!group[0])
		return json_pack("{s:s, s:s, s:o}", "kind", "APIResourceList",
				 "groupVersion", gv, "resources", res);
	return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList",
			 "apiVersion", "v1", "groupVersion", gv, "resources",
			 res);
}

json_t *kube_discovery_json(const char *path, const char *server_address)
{
	char p[128];

	if (!strcmp(path, "/api"))
		return json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind",
				 "APIVersions", "versions", "v1",
				 "serverAddressByClientCIDRs", "clientCIDR",
				 "0.0.0.0/0", "serverAddress", server_address);
	if (!strcmp(path, "/apis")) {
		json_t *gl = json_array();

		for (size_t i = 0; i < N_GROUPS; i++) {
			char gv[64];

			snprintf(gv, sizeof(gv), "%s/%s", groups[i].group,
				 groups[i].version);
			json_array_append_new(
			    gl, json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}",
					  "name", groups[i].group, "versions",
					  "groupVersion", gv, "version",
					  groups[i].version, "preferredVersion",
					  "groupVersion", gv, "version",
					  groups[i].version));
		}
		return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList",
				 "apiVersion", "v1", "groups", gl);
	}
	if (!strcmp(path, "/api/v1"))
		return resource_list("", "v1");
	for (size_t i = 0; i < N_GROUPS; i++) {
		snprintf(p, sizeof(p), "/apis/%s/%s", groups[i].group,
			 groups[i].version);
		if (!strcmp(path, p))
			return resource_list(groups[i].group,
					     groups[i].version);
	}
	return NULL;
}

/* One resource of an aggregated document. */
static json_t *aggregated_resource(const struct dres *r)
{
	json_t *o = json_pack(
	    "{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o}", "resource", r->name,
	    "responseKind", "group", r->group, "version", r->version, "kind",
	    r->kind, "scope", r->namespaced ? "Namespaced" : "Cluster",
	    "singularResource", r->singular, "verbs", verbs_json(r->verbs));

	if (r->shortname)
		json_object_set_new(o, "shortNames",
				    json_pack("[s]", r->shortname));
	if (r->all)
		json_object_set_new(o, "categories", json_pack("[s]", "all"));
	if (!strcmp(r->name, "deployments"))
		json_object_set_new(
		    o, "subresources",
		    json_pack("[{s:s, s:{s:s, s:s, s:s}, s:[s,s,s]}]",
			      "subresource", "scale", "responseKind", "group",
			      "autoscaling", "version", "v1", "kind", "Scale",
			      "verbs", "get", "patch", "update"));
	if (!strcmp(r->name, "pods"))
		json_object_set_new(
		    o, "subresources",
		    json_pack("[{s:s, s:{s:s, s:s, s:s}, s:[s]},"
			      " {s:s, s:{s:s, s:s, s:s}, s:[s,s]}]",
			      "subresource", "log", "responseKind", "group", "",
			      "version", "v1", "kind", "Pod", "verbs", "get",
			      "subresource", "exec", "responseKind", "group",
			      "", "version", "v1", "kind", "PodExecOptions",
			      "verbs", "create", "get"));
	return o;
}

static json_t *aggregated_group(const char *group, const char *version)
{
	json_t *res = json_array();

	for (size_t i = 0; i < N_DRES; i++)
		if (!strcmp(dres[i].group, group))
			json_array_append_new(res,
					      aggregated_resource(&dres[i]));
	return json_pack("{s:{s:s, s:n}, s:[{s:s, s:o, s:s}]}", "metadata",
			 "name", group, "creationTimestamp", "versions",
			 "version", version, "resources", res, "freshness",
			 "Current");
}

json_t *kube_discovery_aggregated(const char *path, enum kube_disc_format f)
{
	json_t *items;

	if (f != KUBE_DISC_V2 && f != KUBE_DISC_V2BETA1)
		return NULL;
	if (!strcmp(path, "/api")) {
		items = json_pack("[o]", aggregated_group("", "v1"));
	} else if (!strcmp(path, "/apis")) {
		items = json_array();
		for (size_t i = 0; i < N_GROUPS; i++)
			json_array_append_new(
			    items, aggregated_group(groups[i].group,
						    groups[i].version));
	} else {
		return NULL;
	}
	return json_pack("{s:s, s:s, s:{}, s:o}", "kind",
			 "APIGroupDiscoveryList", "apiVersion",
			 f == KUBE_DISC_V2 ? "apidiscovery.k8s.io/v2"
					   : "apidiscovery.k8s.io/v2beta1",
			 "metadata", "items", items);
}

const char *kube_discovery_content_type(enum kube_disc_format f)
{
	return f == KUBE_DISC_V2	? KUBE_DISC_CT_V2
	       : f == KUBE_DISC_V2BETA1 ? KUBE_DISC_CT_V2BETA1
					: "application/json";
}

/* The value of parameter name in one media range's parameters (";a=b;
 * c=d"), trimmed, into buf; false when absent. */
static bool param(const char *params, size_t len, const char *name, char *buf,
		  size_t blen)
{
	size_t nl = strlen(name);
	const char *p = params, *end = params + len;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi ? semi : end;

		while (p < stop && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(stop - p) > nl && !strncasecmp(p, name, nl) &&
		    p[nl] == '=') {
			const char *v = p + nl + 1, *ve = stop;

			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (ve > v && *v == '"' && ve[-1] == '"' &&
			    ve - v >= 2) {
				v++;
				ve--;
			}
			snprintf(buf, blen, "%.*s", (int)(ve - v), v);
			return true;
		}
		p = semi ? semi + 1 : end;
	}
	return false;
}

enum kube_disc_format kube_discovery_negotiate(const char *accept)
{
	const char *p = accept ? accept : "";

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *semi = memchr(p, ';', len);
		size_t tlen = semi ? (size_t)(semi - p) : len;
		const char *params = semi ? semi + 1 : p + len;
		size_t plen = semi ? len - tlen - 1 : 0;
		char type[64], g[64], v[32], as[64], q[16];

		while (tlen && (*p == ' ' || *p == '\t')) {
			p++;
			tlen--;
			len--;
		}
		while (tlen && (p[tlen - 1] == ' ' || p[tlen - 1] == '\t'))
			tlen--;
		snprintf(type, sizeof(type), "%.*s", (int)tlen, p);
		p = comma ? comma + 1 : p + len;
		if (param(params, plen, "q", q, sizeof(q)) &&
		    strtod(q, NULL) <= 0)
			continue;
		if (strcasecmp(type, "application/json") &&
		    strcasecmp(type, "application/*") && strcmp(type, "*/*"))
			continue; /* protobuf, yaml...: JSON only here */
		if (!param(params, plen, "as", as, sizeof(as))) {
			if (!param(params, plen, "g", g, sizeof(g)))
				return KUBE_DISC_LEGACY;
			continue;
		}
		if (strcmp(as, "APIGroupDiscoveryList") ||
		    !param(params, plen, "g", g, sizeof(g)) ||
		    strcmp(g, "apidiscovery.k8s.io") ||
		    !param(params, plen, "v", v, sizeof(v)))
			continue;
		if (!strcmp(v, "v2"))
			return KUBE_DISC_V2;
		if (!strcmp(v, "v2beta1"))
			return KUBE_DISC_V2BETA1;
	}
	return KUBE_DISC_LEGACY;
}

/* One path per kind berth writes, each saying it takes fieldValidation:
 * all kubectl looks for (no schema, so kubectl computes patches from its
 * own types). */
static json_t *openapi_doc(const char *prefix, const char *group,
			   const char *version, const char *const *kinds)
{
	json_t *paths = json_object();

	for (size_t i = 0; kinds[i]; i += 2) {
		char path[160];
		json_t *op =
		    json_pack("{s:{s:s, s:s, s:s}, s:[{s:s, s:s, s:{s:s}}]}",
			      "x-kubernetes-group-version-kind", "group", group,
			      "version", version, "kind", kinds[i],
			      "parameters", "name", "fieldValidation", "in",
			      "query", "schema", "type", "string");

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
	static const char *const argo[] = {"Rollout", "rollouts",
					   "AnalysisTemplate",
					   "analysistemplates", NULL};

	if (!strcmp(path, "/openapi/v3"))
		return json_pack(
		    "{s:{s:{s:s}, s:{s:s}, s:{s:s}}}", "paths", "api/v1",
		    "serverRelativeURL",
		    "/openapi/v3/api/v1?hash=" KUBE_OPENAPI_HASH,
		    "apis/apps/v1", "serverRelativeURL",
		    "/openapi/v3/apis/apps/v1?hash=" KUBE_OPENAPI_HASH,
		    "apis/argoproj.io/v1alpha1", "serverRelativeURL",
		    "/openapi/v3/apis/argoproj.io/"
		    "v1alpha1?hash=" KUBE_OPENAPI_HASH);
	if (!strcmp(path, "/openapi/v3/api/v1"))
		return openapi_doc("/api/v1", "", "v1", core);
	if (!strcmp(path, "/openapi/v3/apis/apps/v1"))
		return openapi_doc("/apis/apps/v1", "apps", "v1", apps);
	if (!strcmp(path, "/openapi/v3/apis/argoproj.io/v1alpha1"))
		return openapi_doc("/apis/argoproj.io/v1alpha1", "argoproj.io",
				   "v1alpha1", argo);
	return NULL;
}
