/*
 * kobj.c - UIDs, timestamps, ObjectMeta and Status shared by every
 * converted object. Must not know berth's model.
 */
#include "kobj.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void kube_uid(const char *kind, const char *name, int64_t created_ms,
	      char out[37])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char in[256];
	int n = snprintf(in, sizeof(in), "%s/%s/%lld", kind, name,
			 (long long)created_ms);

	SHA256((const unsigned char *)in, (size_t)n, md);
	md[6] = (md[6] & 0x0f) | 0x40; /* version 4 layout */
	md[8] = (md[8] & 0x3f) | 0x80;
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8],
		 md[9], md[10], md[11], md[12], md[13], md[14], md[15]);
}

void kube_timestamp(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *kube_meta(const char *kind, const char *name, const char *ns,
		  int64_t created_ms, const char *resource_version)
{
	char uid[37], ts[32];
	json_t *m = json_object();

	kube_uid(kind, name, created_ms, uid);
	kube_timestamp(created_ms, ts);
	json_object_set_new(m, "name", json_string(name));
	if (ns)
		json_object_set_new(m, "namespace", json_string(ns));
	json_object_set_new(m, "uid", json_string(uid));
	json_object_set_new(m, "resourceVersion",
			    json_string(resource_version));
	json_object_set_new(m, "creationTimestamp", json_string(ts));
	return m;
}

json_t *kube_status(int code, const char *reason, const char *message,
		    const char *kind, const char *name)
{
	json_t *s =
	    json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status",
		      "apiVersion", "v1", "metadata", "status", "Failure",
		      "message", message, "reason", reason, "code", code);

	if (kind || name) {
		json_t *d = json_object();

		if (name)
			json_object_set_new(d, "name", json_string(name));
		if (kind)
			json_object_set_new(d, "kind", json_string(kind));
		json_object_set_new(s, "details", d);
	}
	return s;
}

json_t *kube_path(json_t *obj, const char *path)
{
	char key[256];

	while (obj && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		path += n;
		if (*path == '.')
			path++;
	}
	return obj;
}

void kube_path_string(json_t *obj, const char *path, char *buf, size_t len)
{
	json_t *v = kube_path(obj, path);

	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else if (len)
		buf[0] = '\0';
}
