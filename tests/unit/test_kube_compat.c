/*
 * test_kube_compat.c - what client libraries send, brought to kubectl's
 * shapes: trailing slashes cut from paths (the root kept, a buffer too
 * small refused), the kinds with a status subresource, and apiVersion
 * and kind filled from the URL only where a body leaves them out.
 */
#include <string.h>

#include "../../kube/compat.h"
#include "../lib/tap.h"

static void path(const char *in, const char *want)
{
	char out[64];

	ok(kube_compat_path(in, out, sizeof(out)) == 0 && !strcmp(out, want),
	   "\"%s\" is \"%s\"", in, want);
}

static void type_meta(const char *in, const char *want, const char *what)
{
	json_t *obj = json_loads(in, JSON_DECODE_ANY, NULL);
	json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);

	kube_compat_type_meta(obj, "v1", "Service");
	ok(obj && w && json_equal(obj, w), "%s", what);
	json_decref(obj);
	json_decref(w);
}

int main(void)
{
	char small[5];

	path("/version/", "/version");
	path("/api/", "/api");
	path("/apis/apps/v1//", "/apis/apps/v1");
	path("/api/v1/namespaces/default/pods",
	     "/api/v1/namespaces/default/pods");
	path("/", "/");
	path("//", "/");
	ok(kube_compat_path("/version", small, sizeof(small)) == -1,
	   "a path longer than the buffer is refused");
	ok(kube_compat_path("/api/", small, sizeof(small)) == 0 &&
	       !strcmp(small, "/api"),
	   "... the cut one fits");

	ok(kube_compat_has_status("deployments") &&
	       kube_compat_has_status("pods") &&
	       kube_compat_has_status("services") &&
	       kube_compat_has_status("replicasets"),
	   "pods, services, deployments, replicasets have a status");
	ok(!kube_compat_has_status("events") &&
	       !kube_compat_has_status("namespace"),
	   "events have none; a singular is not a resource");

	type_meta("{\"metadata\":{\"name\":\"s\"}}",
		  "{\"metadata\":{\"name\":\"s\"},\"apiVersion\":\"v1\","
		  "\"kind\":\"Service\"}",
		  "a body without apiVersion and kind takes the URL's");
	type_meta("{\"apiVersion\":null,\"kind\":\"\"}",
		  "{\"apiVersion\":\"v1\",\"kind\":\"Service\"}",
		  "null and empty count as missing");
	type_meta("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}",
		  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}",
		  "a kind given is kept, for the mapping to refuse");
	type_meta("[{\"op\":\"remove\",\"path\":\"/spec\"}]",
		  "[{\"op\":\"remove\",\"path\":\"/spec\"}]",
		  "not an object: unchanged");
	return tap_done();
}
