/*
 * compat.c - the requests of client libraries (Debian's python3-kubernetes
 * among them) brought to the shapes kubectl sends: paths with a trailing
 * slash, bodies without apiVersion and kind, GET of the status
 * subresource. Pure: it decides nothing about an object.
 */
#include "compat.h"

#include <stdio.h>
#include <string.h>

int kube_compat_path(const char *path, char *out, size_t len)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= len)
		return -1;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

bool kube_compat_has_status(const char *resource)
{
	static const char *const with[] = {"pods", "services", "deployments",
					   "replicasets", NULL};

	for (size_t i = 0; with[i]; i++)
		if (!strcmp(resource, with[i]))
			return true;
	return false;
}

static bool unset(const json_t *v)
{
	return v == NULL || json_is_null(v) ||
	       (json_is_string(v) && json_string_value(v)[0] == '\0');
}

void kube_compat_type_meta(json_t *obj, const char *api_version,
			   const char *kind)
{
	if (!json_is_object(obj))
		return;
	if (unset(json_object_get(obj, "apiVersion")))
		json_object_set_new(obj, "apiVersion",
				    json_string(api_version));
	if (unset(json_object_get(obj, "kind")))
		json_object_set_new(obj, "kind", json_string(kind));
}
