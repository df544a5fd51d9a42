/*
 * patch.c - JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic
 * merge patch as the apiserver applies it to the kinds berth serves, and
 * the three-way merge that stands in for server-side apply. Pure: works
 * on jansson values and never on berth's model.
 */
#include "patch.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

#define PATH_MAX_LEN 512

static void __attribute__((format(printf, 3, 4)))
say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* --- RFC 7386 ------------------------------------------------------------ */

json_t *kube_patch_merge(const json_t *orig, const json_t *patch)
{
	json_t *out;
	const char *k;
	json_t *v;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(orig) ? json_deep_copy(orig) : json_object();
	json_object_foreach((json_t *)patch, k, v)
	{
		if (json_is_null(v)) {
			json_object_del(out, k);
			continue;
		}
		json_object_set_new(
		    out, k, kube_patch_merge(json_object_get(out, k), v));
	}
	return out;
}

/* --- RFC 6902 ------------------------------------------------------------ */

/* Splits a JSON pointer into unescaped tokens; -1 when malformed. */
static int pointer_split(const char *ptr, char ***out, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (ptr[0] == '\0')
		return 0;
	if (ptr[0] != '/')
		return -1;
	for (const char *p = ptr; *p == '/';) {
		const char *start = ++p;
		size_t tl = strcspn(start, "/");
		char *tok = xmalloc(tl + 1), *w = tok;

		for (size_t i = 0; i < tl; i++) {
			if (start[i] == '~') {
				if (i + 1 < tl && start[i + 1] == '0')
					*w++ = '~';
				else if (i + 1 < tl && start[i + 1] == '1')
					*w++ = '/';
				else {
					free(tok);
					goto bad;
				}
				i++;
				continue;
			}
			*w++ = start[i];
		}
		*w = '\0';
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		v[cnt++] = tok;
		p = start + tl;
	}
	*out = v;
	*n = cnt;
	return 0;
bad:
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	return -1;
}

static void tokens_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* An array index token: digits without a leading zero; -1 otherwise. */
static long index_of(const char *tok, size_t size, bool allow_end)
{
	char *end;
	long i;

	if (allow_end && !strcmp(tok, "-"))
		return (long)size;
	if (tok[0] == '\0' || (tok[0] == '0' && tok[1]) || tok[0] < '0' ||
	    tok[0] > '9')
		return -1;
	i = strtol(tok, &end, 10);
	if (*end || (size_t)i > size || (!allow_end && (size_t)i == size))
		return -1;
	return i;
}

/* The value at tokens[0..n) of doc, or NULL. */
static json_t *walk(json_t *doc, char **tok, size_t n)
{
	for (size_t i = 0; i < n && doc; i++) {
		if (json_is_object(doc)) {
			doc = json_object_get(doc, tok[i]);
		} else if (json_is_array(doc)) {
			long idx =
			    index_of(tok[i], json_array_size(doc), false);

			doc = idx < 0 ? NULL : json_array_get(doc, (size_t)idx);
		} else {
			return NULL;
		}
	}
	return doc;
}

/* Adds value (stolen) at ptr of *doc; -1 with why. */
static int op_add(json_t **doc, const char *ptr, json_t *value, char *why,
		  size_t len)
{
	char **tok;
	size_t n;
	json_t *parent;
	int rc = -1;

	if (pointer_split(ptr, &tok, &n) == -1) {
		say(why, len, "invalid JSON pointer \"%s\"", ptr);
		json_decref(value);
		return -1;
	}
	if (n == 0) {
		json_decref(*doc);
		*doc = value;
		return 0;
	}
	parent = walk(*doc, tok, n - 1);
	if (json_is_object(parent)) {
		json_object_set_new(parent, tok[n - 1], value);
		rc = 0;
	} else if (json_is_array(parent)) {
		long idx = index_of(tok[n - 1], json_array_size(parent), true);

		if (idx >= 0) {
			json_array_insert_new(parent, (size_t)idx, value);
			rc = 0;
		} else {
			say(why, len, "index \"%s\" is out of range in \"%s\"",
			    tok[n - 1], ptr);
			json_decref(value);
		}
	} else {
		say(why, len, "path \"%s\" does not exist", ptr);
		json_decref(value);
	}
	tokens_free(tok, n);
	return rc;
}

/* Removes the value at ptr; the removed value (a reference) or NULL. */
static json_t *op_remove(json_t *doc, const char *ptr, char *why, size_t len)
{
	char **tok;
	size_t n;
	json_t *parent, *old = NULL;

	if (pointer_split(ptr, &tok, &n) == -1 || n == 0) {
		say(why, len, "cannot remove \"%s\"", ptr);
		if (n)
			tokens_free(tok, n);
		return NULL;
	}
	parent = walk(doc, tok, n - 1);
	if (json_is_object(parent)) {
		old = json_incref(json_object_get(parent, tok[n - 1]));
		if (old)
			json_object_del(parent, tok[n - 1]);
	} else if (json_is_array(parent)) {
		long idx = index_of(tok[n - 1], json_array_size(parent), false);

		if (idx >= 0) {
			old = json_incref(json_array_get(parent, (size_t)idx));
			json_array_remove(parent, (size_t)idx);
		}
	}
	if (old == NULL)
		say(why, len, "path \"%s\" does not exist", ptr);
	tokens_free(tok, n);
	return old;
}

static json_t *op_get(json_t *doc, const char *ptr)
{
	char **tok;
	size_t n;
	json_t *v;

	if (pointer_split(ptr, &tok, &n) == -1)
		return NULL;
	v = walk(doc, tok, n);
	tokens_free(tok, n);
	return v;
}

static int one_op(json_t **doc, json_t *op, size_t i, char *why, size_t len)
{
	const char *name = json_string_value(json_object_get(op, "op"));
	const char *path = json_string_value(json_object_get(op, "path"));
	const char *from = json_string_value(json_object_get(op, "from"));
	json_t *value = json_object_get(op, "value");
	json_t *v;
	char inner[256] = "";
	int rc = 0;

	if (name == NULL || path == NULL) {
		say(why, len, "operation %zu needs \"op\" and \"path\"", i);
		return -1;
	}
	if (!strcmp(name, "add") || !strcmp(name, "replace") ||
	    !strcmp(name, "test")) {
		if (value == NULL) {
			say(why, len, "operation %zu (%s) needs \"value\"", i,
			    name);
			return -1;
		}
	} else if ((!strcmp(name, "move") || !strcmp(name, "copy")) &&
		   from == NULL) {
		say(why, len, "operation %zu (%s) needs \"from\"", i, name);
		return -1;
	}
	if (!strcmp(name, "add")) {
		rc = op_add(doc, path, json_deep_copy(value), inner,
			    sizeof(inner));
	} else if (!strcmp(name, "remove")) {
		v = op_remove(*doc, path, inner, sizeof(inner));
		rc = v ? 0 : -1;
		json_decref(v);
	} else if (!strcmp(name, "replace")) {
		if (path[0] == '\0') {
			json_decref(*doc);
			*doc = json_deep_copy(value);
		} else {
			v = op_remove(*doc, path, inner, sizeof(inner));
			rc = v ? op_add(doc, path, json_deep_copy(value), inner,
					sizeof(inner))
			       : -1;
			json_decref(v);
		}
	} else if (!strcmp(name, "move")) {
		size_t fl = strlen(from);

		if (!strncmp(path, from, fl) && path[fl] == '/') {
			say(why, len,
			    "operation %zu: cannot move \"%s\" into itself", i,
			    from);
			return -1;
		}
		v = op_remove(*doc, from, inner, sizeof(inner));
		rc = v ? op_add(doc, path, v, inner, sizeof(inner)) : -1;
	} else if (!strcmp(name, "copy")) {
		v = op_get(*doc, from);
		if (v == NULL) {
			snprintf(inner, sizeof(inner),
				 "path \"%s\" does not exist", from);
			rc = -1;
		} else {
			rc = op_add(doc, path, json_deep_copy(v), inner,
				    sizeof(inner));
		}
	} else if (!strcmp(name, "test")) {
		v = op_get(*doc, path);
		if (v == NULL || !json_equal(v, value)) {
			say(why, len,
			    "operation %zu: test failed: the value at \"%s\" "
			    "is not the one given",
			    i, path);
			return -1;
		}
	} else {
		say(why, len, "operation %zu: unknown op \"%s\"", i, name);
		return -1;
	}
	if (rc == -1)
		say(why, len, "operation %zu (%s): %s", i, name, inner);
	return rc;
}

json_t *kube_patch_json(const json_t *orig, const json_t *ops, char *why,
			size_t len)
{
	json_t *doc, *op;
	size_t i;

	if (!json_is_array(ops)) {
		say(why, len, "a JSON patch is a list of operations");
		return NULL;
	}
	doc = json_deep_copy(orig);
	json_array_foreach((json_t *)ops, i, op)
	{
		if (!json_is_object(op)) {
			say(why, len, "operation %zu is not an object", i);
			json_decref(doc);
			return NULL;
		}
		if (one_op(&doc, op, i, why, len) == -1) {
			json_decref(doc);
			return NULL;
		}
	}
	return doc;
}

/* --- strategic merge patch ---------------------------------------------- */

/* Lists merged element by element, by the field each element is known
 * by (the patchMergeKey of Kubernetes' API types), matched on the end of
 * the path of field names. */
static const struct {
	const char *suffix;
	const char *key;
} merge_keys[] = {
    {"containers/ports", "containerPort"},
    {"initContainers/ports", "containerPort"},
    {"ephemeralContainers/ports", "containerPort"},
    {"containers", "name"},
    {"initContainers", "name"},
    {"ephemeralContainers", "name"},
    {"volumes", "name"},
    {"imagePullSecrets", "name"},
    {"resourceClaims", "name"},
    {"env", "name"},
    {"volumeMounts", "mountPath"},
    {"volumeDevices", "devicePath"},
    {"resizePolicy", "resourceName"},
    {"hostAliases", "ip"},
    {"topologySpreadConstraints", "topologyKey"},
    {"ownerReferences", "uid"},
    {"conditions", "type"},
};

static bool ends_with_field(const char *path, const char *suffix)
{
	size_t pl = strlen(path), sl = strlen(suffix);

	if (sl > pl || strcmp(path + pl - sl, suffix))
		return false;
	return pl == sl || path[pl - sl - 1] == '/';
}

const char *kube_patch_merge_key(const char *kind, const char *path)
{
	if (kind && !strcmp(kind, "Service") && !strcmp(path, "spec/ports"))
		return "port";
	for (size_t i = 0; i < sizeof(merge_keys) / sizeof(merge_keys[0]); i++)
		if (ends_with_field(path, merge_keys[i].suffix))
			return merge_keys[i].key;
	return NULL;
}

/* Lists of strings merged as sets (patchStrategy merge, no key). */
static bool primitive_merge_list(const char *path)
{
	return ends_with_field(path, "finalizers");
}

static bool is_directive(const char *k)
{
	return k[0] == '$';
}

static const char *patch_directive(const json_t *v)
{
	return json_is_object(v)
		   ? json_string_value(json_object_get(v, "$patch"))
		   : NULL;
}

/* A copy of v without directives, as a value that has nothing to merge
 * with is stored. */
static json_t *strip(const json_t *v)
{
	json_t *out, *e;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, e)
		{
			if (!is_directive(k) && !json_is_null(e))
				json_object_set_new(out, k, strip(e));
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach((json_t *)v, i, e)
		{
			if (patch_directive(e))
				continue;
			json_array_append_new(out, strip(e));
		}
		return out;
	}
	return json_deep_copy(v);
}

static void join(char *out, const char *path, const char *k)
{
	snprintf(out, PATH_MAX_LEN, "%s%s%s", path, path[0] ? "/" : "", k);
}

struct smp {
	const char *kind;
	char *why;
	size_t len;
};

static json_t *smp_map(struct smp *s, json_t *orig, const json_t *patch,
		       const char *path);

/* Index of the element of list whose key field equals v, from start. */
static long find_keyed(json_t *list, const char *key, json_t *v, size_t start)
{
	for (size_t i = start; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);

		if (json_is_object(e) && json_equal(json_object_get(e, key), v))
			return (long)i;
	}
	return -1;
}

/* Merges patch into orig (stolen); the merged list or NULL with why. */
static json_t *smp_list(struct smp *s, json_t *orig, const json_t *patch,
			const char *path)
{
	const char *key = kube_patch_merge_key(s->kind, path);
	json_t *pe;
	size_t i;

	json_array_foreach((json_t *)patch, i, pe)
	{
		const char *d = patch_directive(pe);

		if (d && !strcmp(d, "replace")) {
			json_decref(orig);
			return strip(patch);
		}
	}
	if (key == NULL) {
		if (primitive_merge_list(path)) {
			json_array_foreach((json_t *)patch, i, pe)
			{
				bool have = false;

				for (size_t j = 0; j < json_array_size(orig);
				     j++)
					have |= json_equal(
					    json_array_get(orig, j), pe);
				if (!have)
					json_array_append(orig, pe);
			}
			return orig;
		}
		json_decref(orig);
		return strip(patch);
	}
	json_array_foreach((json_t *)patch, i, pe)
	{
		json_t *kv = json_object_get(pe, key);
		const char *d = patch_directive(pe);
		long at;

		if (!json_is_object(pe) || kv == NULL) {
			say(s->why, s->len,
			    "%s: element %zu has no merge key \"%s\"", path, i,
			    key);
			json_decref(orig);
			return NULL;
		}
		if (d && !strcmp(d, "delete")) {
			while ((at = find_keyed(orig, key, kv, 0)) >= 0)
				json_array_remove(orig, (size_t)at);
			continue;
		}
		if (d && strcmp(d, "merge")) {
			say(s->why, s->len,
			    "%s: unknown $patch directive \"%s\"", path, d);
			json_decref(orig);
			return NULL;
		}
		at = find_keyed(orig, key, kv, 0);
		if (at < 0) {
			json_array_append_new(orig, strip(pe));
		} else {
			json_t *m = smp_map(
			    s, json_deep_copy(json_array_get(orig, (size_t)at)),
			    pe, path);

			if (m == NULL) {
				json_decref(orig);
				return NULL;
			}
			json_array_set_new(orig, (size_t)at, m);
		}
	}
	return orig;
}

/* Reorders list as order says (elements named there first, in that
 * order; the others after, as they were). */
static json_t *reorder(json_t *list, const json_t *order, const char *key)
{
	json_t *out = json_array(), *o;
	size_t n = json_array_size(list), i;
	bool *used = xcalloc(n + 1, sizeof(*used));

	json_array_foreach((json_t *)order, i, o)
	{
		json_t *want = key ? json_object_get(o, key) : o;

		for (size_t j = 0; want && j < n; j++) {
			json_t *e = json_array_get(list, j);
			json_t *have = key ? json_object_get(e, key) : e;

			if (!used[j] && have && json_equal(have, want)) {
				used[j] = true;
				json_array_append(out, e);
				break;
			}
		}
	}
	for (size_t j = 0; j < n; j++)
		if (!used[j])
			json_array_append(out, json_array_get(list, j));
	free(used);
	return out;
}

/* Merges patch (an object) into orig (stolen, an object). */
static json_t *smp_map(struct smp *s, json_t *orig, const json_t *patch,
		       const char *path)
{
	const char *d = patch_directive(patch), *k;
	json_t *retain = json_object_get(patch, "$retainKeys"), *v;
	char sub[PATH_MAX_LEN];

	if (d && !strcmp(d, "replace")) {
		json_decref(orig);
		return strip(patch);
	}
	if (d && strcmp(d, "merge") && strcmp(d, "delete")) {
		say(s->why, s->len, "%s: unknown $patch directive \"%s\"",
		    path[0] ? path : "object", d);
		json_decref(orig);
		return NULL;
	}
	if (retain) {
		void *it;

		if (!json_is_array(retain)) {
			say(s->why, s->len, "%s: $retainKeys is not a list",
			    path);
			json_decref(orig);
			return NULL;
		}
		/* Keys the list does not name go, before the merge. */
		for (it = json_object_iter(orig); it;) {
			const char *ok = json_object_iter_key(it);
			bool keep = false;
			size_t i;

			json_array_foreach(retain, i, v)
			{
				keep |= json_is_string(v) &&
					!strcmp(json_string_value(v), ok);
			}
			it = json_object_iter_next(orig, it);
			if (!keep)
				json_object_del(orig, ok);
		}
	}
	json_object_foreach((json_t *)patch, k, v)
	{
		json_t *o;

		if (!strncmp(k, "$deleteFromPrimitiveList/", 25)) {
			json_t *list = json_object_get(orig, k + 25), *e;
			size_t i;

			if (!json_is_array(list) || !json_is_array(v))
				continue;
			json_array_foreach(v, i, e)
			{
				for (size_t j = 0; j < json_array_size(list);)
					if (json_equal(json_array_get(list, j),
						       e))
						json_array_remove(list, j);
					else
						j++;
			}
			continue;
		}
		if (is_directive(k))
			continue;
		if (json_is_null(v)) {
			json_object_del(orig, k);
			continue;
		}
		d = patch_directive(v);
		if (d && !strcmp(d, "delete")) {
			json_object_del(orig, k);
			continue;
		}
		join(sub, path, k);
		o = json_object_get(orig, k);
		if (json_is_object(o) && json_is_object(v)) {
			json_t *m = smp_map(s, json_deep_copy(o), v, sub);

			if (m == NULL)
				goto fail;
			json_object_set_new(orig, k, m);
		} else if (json_is_array(o) && json_is_array(v)) {
			json_t *m = smp_list(s, json_deep_copy(o), v, sub);

			if (m == NULL)
				goto fail;
			json_object_set_new(orig, k, m);
		} else {
			json_object_set_new(orig, k, strip(v));
		}
	}
	/* $setElementOrder/F orders F's merged elements. */
	json_object_foreach((json_t *)patch, k, v)
	{
		json_t *list;

		if (strncmp(k, "$setElementOrder/", 17))
			continue;
		list = json_object_get(orig, k + 17);
		if (!json_is_array(list) || !json_is_array(v))
			continue;
		join(sub, path, k + 17);
		json_object_set_new(
		    orig, k + 17,
		    reorder(list, v, kube_patch_merge_key(s->kind, sub)));
	}
	return orig;
fail:
	json_decref(orig);
	return NULL;
}

json_t *kube_patch_strategic(const json_t *orig, const json_t *patch,
			     const char *kind, char *why, size_t len)
{
	struct smp s = {.kind = kind, .why = why, .len = len};
	const char *d;

	if (!json_is_object(patch)) {
		say(why, len, "a strategic merge patch is a JSON object");
		return NULL;
	}
	d = patch_directive(patch);
	if (d && !strcmp(d, "delete")) {
		say(why, len, "$patch: delete of the whole object");
		return NULL;
	}
	return smp_map(
	    &s, json_is_object(orig) ? json_deep_copy(orig) : json_object(),
	    patch, "");
}

/* --- server-side apply, approximated ------------------------------------- */

/* Adds to patch (built from applied) a deletion for each field of last
 * that applied no longer has. */
static void deletions(const char *kind, json_t *patch, const json_t *last,
		      const json_t *applied, const char *path)
{
	const char *k;
	json_t *lv;
	char sub[PATH_MAX_LEN];

	json_object_foreach((json_t *)last, k, lv)
	{
		json_t *av = json_object_get(applied, k);
		const char *key;

		if (is_directive(k))
			continue;
		join(sub, path, k);
		if (av == NULL) {
			json_object_set_new(patch, k, json_null());
			continue;
		}
		if (json_is_object(lv) && json_is_object(av)) {
			deletions(kind, json_object_get(patch, k), lv, av, sub);
			continue;
		}
		key = kube_patch_merge_key(kind, sub);
		if (key && json_is_array(lv) && json_is_array(av)) {
			json_t *pl = json_object_get(patch, k), *e;
			size_t i;

			json_array_foreach(lv, i, e)
			{
				json_t *kv = json_object_get(e, key);
				long at;

				if (kv == NULL)
					continue;
				at = find_keyed((json_t *)av, key, kv, 0);
				if (at < 0) {
					json_t *del =
					    json_pack("{s:s, s:O}", "$patch",
						      "delete", key, kv);

					json_array_append_new(pl, del);
				} else {
					deletions(
					    kind,
					    json_array_get(pl, (size_t)at), e,
					    json_array_get(av, (size_t)at),
					    sub);
				}
			}
		}
	}
}

json_t *kube_patch_apply(const json_t *live, const json_t *last,
			 const json_t *applied, const char *kind, char *why,
			 size_t len)
{
	json_t *patch, *out;

	if (!json_is_object(applied)) {
		say(why, len, "an applied configuration is a JSON object");
		return NULL;
	}
	patch = json_deep_copy(applied);
	if (json_is_object(last))
		deletions(kind, patch, last, applied, "");
	out = kube_patch_strategic(live, patch, kind, why, len);
	json_decref(patch);
	return out;
}
