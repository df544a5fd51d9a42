/*
 * template_json.c - the canonical JSON of a pod template, both ways:
 * template_json() writes it (the revision hash covers exactly this text,
 * revision.c) and template_from_json() reads it back from a state file
 * (store.c). Both walk the field table of config/template.c, so a field
 * there is written, read and hashed with no code here. The format is that
 * of every earlier release: absent keys keep their defaults, so old state
 * files load. Nothing here touches the daemon.
 */
#include "template_json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "../config/template.h"

#define AT(base, f, type) ((type *)((char *)(base) + (f)->off))
#define CAT(base, f, type) ((const type *)((const char *)(base) + (f)->off))
/* so that CAT() of a pointer field reads it as a const pointer */
typedef char *str_ptr;
typedef struct mount_spec *mounts_ptr;

static json_t *strv_json(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static json_t *kv_json(const struct kvlist *kl)
{
	json_t *a = json_array();

	for (size_t i = 0; i < kl->n; i++)
		json_array_append_new(
		    a, json_pack("[s,s]", kl->v[i].key, kl->v[i].value));
	return a;
}

static json_t *mounts_json(const struct mount_spec *m, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[s,s,b]", m[i].host_path,
						   m[i].container_path,
						   m[i].read_only));
	return a;
}

/* For omit_default: whether the field at f holds its default. */
static bool is_default(const struct tmpl_field *f, const void *base)
{
	switch (f->type) {
	case TMPL_STR:
		return *CAT(base, f, str_ptr) == NULL;
	case TMPL_INT:
	case TMPL_ENUM:
		return *CAT(base, f, int) == f->dflt;
	case TMPL_I64:
		return *CAT(base, f, int64_t) == f->dflt;
	case TMPL_BOOL:
		return !*CAT(base, f, bool);
	case TMPL_STRV:
		return CAT(base, f, struct strv)->n == 0;
	case TMPL_KVLIST:
		return CAT(base, f, struct kvlist)->n == 0;
	case TMPL_MOUNTS:
		return *(const size_t *)((const char *)base + f->aux) == 0;
	case TMPL_PROBE:
		return !CAT(base, f, struct probe_spec)->set;
	case TMPL_STAMP:
		return CAT(base, f, char)[0] == '\0';
	case TMPL_HANDLER:
		return CAT(base, f, struct handler_spec)->kind == HANDLER_NONE;
	}
	return false;
}

static json_t *fields_json(const struct tmpl_field *t, const void *base)
{
	json_t *o = json_object();

	for (const struct tmpl_field *f = t; f->key != NULL; f++) {
		const char *s;
		json_t *v = NULL;

		if (f->omit_default && is_default(f, base))
			continue;
		switch (f->type) {
		case TMPL_STR:
			s = *CAT(base, f, str_ptr);
			v = s ? json_string(s) : json_null();
			break;
		case TMPL_INT:
		case TMPL_ENUM:
			v = json_integer(*CAT(base, f, int));
			break;
		case TMPL_I64:
			v = json_integer((json_int_t)*CAT(base, f, int64_t));
			break;
		case TMPL_BOOL:
			v = json_boolean(*CAT(base, f, bool));
			break;
		case TMPL_STRV:
			v = strv_json(CAT(base, f, struct strv));
			break;
		case TMPL_KVLIST:
			v = kv_json(CAT(base, f, struct kvlist));
			break;
		case TMPL_MOUNTS:
			v = mounts_json(
			    *CAT(base, f, mounts_ptr),
			    *(const size_t *)((const char *)base + f->aux));
			break;
		case TMPL_HANDLER:
			v = fields_json(f->sub, CAT(base, f, char));
			break;
		case TMPL_PROBE:
			v = CAT(base, f, struct probe_spec)->set
				? fields_json(f->sub, CAT(base, f, char))
				: json_null();
			break;
		case TMPL_STAMP:
			s = CAT(base, f, char);
			v = json_stringn(s, strnlen(s, f->aux));
			break;
		}
		if (v != NULL)
			json_object_set_new(o, f->key, v);
	}
	return o;
}

json_t *template_json(const struct deployment_spec *s)
{
	return fields_json(cfg_template_fields, s);
}

/*
 * Readers: each fills the field at f from v (never NULL, never JSON null)
 * or returns -1 with err naming what is wrong. The field was zeroed or
 * holds its default, and whatever a failed reader leaves is freed by
 * cfg_template_release().
 */

static int read_integer(const struct tmpl_field *f, const json_t *v,
			long long *out, struct berr *err)
{
	json_int_t n;

	if (!json_is_integer(v))
		return berr_set(err, "`%s` is not an integer", f->key);
	n = json_integer_value(v);
	if (n < f->min || n > f->max)
		return berr_set(err, "`%s` is %lld, out of range %lld..%lld",
				f->key, (long long)n, f->min, f->max);
	*out = n;
	return 0;
}

/* Always a NULL-terminated vector, as the config loader makes them. */
static int read_strv(const struct tmpl_field *f, const json_t *a,
		     struct strv *out, struct berr *err)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(a))
		return berr_set(err, "`%s` is not an array", f->key);
	free(out->v);
	out->n = 0;
	out->v = xcalloc(json_array_size(a) + 1, sizeof(*out->v));
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return berr_set(err, "`%s[%zu]` is not a string",
					f->key, i);
		out->v[out->n++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static int read_kvlist(const struct tmpl_field *f, const json_t *a,
		       struct kvlist *out, struct berr *err)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(a))
		return berr_set(err, "`%s` is not an array", f->key);
	if (json_array_size(a) == 0)
		return 0;
	out->v = xcalloc(json_array_size(a), sizeof(*out->v));
	json_array_foreach(a, i, v)
	{
		const char *k = json_string_value(json_array_get(v, 0));
		const char *val = json_string_value(json_array_get(v, 1));

		if (json_array_size(v) != 2 || k == NULL || val == NULL)
			return berr_set(err, "`%s[%zu]` is not a pair", f->key,
					i);
		out->v[out->n].key = xstrdup(k);
		out->v[out->n].value = xstrdup(val);
		out->n++;
	}
	return 0;
}

static int read_mounts(const struct tmpl_field *f, const json_t *a, void *base,
		       struct berr *err)
{
	struct mount_spec **m = AT(base, f, struct mount_spec *);
	size_t *n = (size_t *)((char *)base + f->aux);
	const json_t *v;
	size_t i;

	if (!json_is_array(a))
		return berr_set(err, "`%s` is not an array", f->key);
	if (json_array_size(a) == 0)
		return 0;
	*m = xcalloc(json_array_size(a), sizeof(**m));
	json_array_foreach(a, i, v)
	{
		const char *host = json_string_value(json_array_get(v, 0));
		const char *path = json_string_value(json_array_get(v, 1));

		if (json_array_size(v) != 3 || host == NULL || path == NULL ||
		    !json_is_boolean(json_array_get(v, 2)))
			return berr_set(err,
					"`%s[%zu]` is not "
					"[host, container, read-only]",
					f->key, i);
		(*m)[i].host_path = xstrdup(host);
		(*m)[i].container_path = xstrdup(path);
		(*m)[i].read_only = json_is_true(json_array_get(v, 2));
		(*n)++;
	}
	return 0;
}

static void set_defaults(const struct tmpl_field *t, void *base)
{
	for (const struct tmpl_field *f = t; f->key != NULL; f++) {
		switch (f->type) {
		case TMPL_INT:
		case TMPL_ENUM:
			*AT(base, f, int) = (int)f->dflt;
			break;
		case TMPL_I64:
			*AT(base, f, int64_t) = f->dflt;
			break;
		case TMPL_STRV:
			/* as the config loader makes them: never NULL */
			AT(base, f, struct strv)->v =
			    xcalloc(1, sizeof(char *));
			break;
		case TMPL_HANDLER:
		case TMPL_PROBE:
			set_defaults(f->sub, AT(base, f, char));
			break;
		default:
			break;
		}
	}
}

static int read_fields(const struct tmpl_field *t, const json_t *o, void *base,
		       struct berr *err);

static int read_field(const struct tmpl_field *f, const json_t *v, void *base,
		      struct berr *err)
{
	long long n;

	switch (f->type) {
	case TMPL_STR:
		if (!json_is_string(v))
			return berr_set(err, "`%s` is not a string", f->key);
		*AT(base, f, char *) = xstrdup(json_string_value(v));
		return 0;
	case TMPL_INT:
	case TMPL_ENUM:
		if (read_integer(f, v, &n, err) == -1)
			return -1;
		*AT(base, f, int) = (int)n;
		return 0;
	case TMPL_I64:
		if (read_integer(f, v, &n, err) == -1)
			return -1;
		*AT(base, f, int64_t) = n;
		return 0;
	case TMPL_BOOL:
		if (!json_is_boolean(v))
			return berr_set(err, "`%s` is not a boolean", f->key);
		*AT(base, f, bool) = json_is_true(v);
		return 0;
	case TMPL_STRV:
		return read_strv(f, v, AT(base, f, struct strv), err);
	case TMPL_KVLIST:
		return read_kvlist(f, v, AT(base, f, struct kvlist), err);
	case TMPL_MOUNTS:
		return read_mounts(f, v, base, err);
	case TMPL_PROBE:
		AT(base, f, struct probe_spec)->set = true;
		/* fall through */
	case TMPL_HANDLER:
		if (!json_is_object(v))
			return berr_set(err, "`%s` is not an object", f->key);
		if (read_fields(f->sub, v, AT(base, f, char), err) == -1)
			return berr_wrap(err, "%s", f->key);
		return 0;
	case TMPL_STAMP:
		if (!json_is_string(v))
			return berr_set(err, "`%s` is not a string", f->key);
		if (json_string_length(v) >= f->aux)
			return berr_set(err, "`%s` is longer than %zu bytes",
					f->key, f->aux - 1);
		memcpy(AT(base, f, char), json_string_value(v),
		       json_string_length(v) + 1);
		return 0;
	}
	return berr_set(err, "`%s`: unknown field type", f->key);
}

static int read_fields(const struct tmpl_field *t, const json_t *o, void *base,
		       struct berr *err)
{
	for (const struct tmpl_field *f = t; f->key != NULL; f++) {
		const json_t *v = json_object_get(o, f->key);

		if (v == NULL || json_is_null(v)) {
			if (f->required)
				return berr_set(err, "template has no `%s`",
						f->key);
			continue;
		}
		if (read_field(f, v, base, err) == -1)
			return -1;
	}
	return 0;
}

struct deployment_spec *template_from_json(const json_t *j,
					   const struct deployment_spec *base,
					   struct berr *err)
{
	struct deployment_spec *t, *out;

	if (!json_is_object(j)) {
		berr_set(err, "template is not an object");
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	set_defaults(cfg_template_fields, t);
	if (read_fields(cfg_template_fields, j, t, err) == -1) {
		cfg_deployment_free(t);
		return NULL;
	}
	out = cfg_deployment_dup(base);
	cfg_deployment_copy_template(out, t);
	cfg_deployment_free(t);
	return out;
}
