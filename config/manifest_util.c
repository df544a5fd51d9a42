/*
 * manifest_util.c - the field helpers of the manifest reader: JSON
 * pointers as field names and YAML lines, refusals by name, and values
 * handed to config_keys.c as INI text (scalars, word lists, label maps,
 * berth.io/ annotations). Knows no Kubernetes kind.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "manifest.h"
#include "manifest_internal.h"

void mf_field_name(const char *ptr, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = ptr; *p && o + 4 < len;) {
		const char *seg = ++p;
		size_t n = strcspn(seg, "/");
		int index = n > 0 && strspn(seg, "0123456789") == n;
		if (index) {
			o += (size_t)snprintf(out + o, len - o, "[%.*s]",
					      (int)n, seg);
		} else {
			if (o > 0 && o + 1 < len)
				out[o++] = '.';
			for (size_t i = 0; i < n && o + 1 < len; i++) {
				if (seg[i] == '~' && i + 1 < n) {
					out[o++] =
					    seg[i + 1] == '1' ? '/' : '~';
					i++;
				} else {
					out[o++] = seg[i];
				}
			}
		}
		p = seg + n;
	}
	out[o < len ? o : len - 1] = '\0';
}

int mf_line_of(const struct mctx *m, const char *ptr)
{
	json_t *l = m->lines ? json_object_get(m->lines, ptr) : NULL;
	if (!l && m->lines && m->pc->object) {
		/* An object of the API: the pointer's number stands for a
		 * line, and names the field of an error (manifest_object.c). */
		l = json_integer((json_int_t)json_object_size(m->lines) + 1);
		json_object_set_new(m->lines, ptr, l);
	}
	int line = l ? (int)json_integer_value(l) : m->doc_line;
	return line > 0 ? line : 1;
}

/* "FILE:LINE: Deployment web: spec.replicas: message". */
int mf_err(struct mctx *m, const char *ptr, const char *fmt, ...)
{
	char field[256], msg[BERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mf_field_name(ptr, field, sizeof(field));
	m->pc->line = mf_line_of(m, ptr);
	if (m->pc->object) /* the line names the field */
		return cfg_perr(m->pc, "%s", msg);
	if (m->name)
		return cfg_perr(m->pc, "%s %s: %s: %s", m->kind, m->name, field,
				msg);
	return cfg_perr(m->pc, "%s: %s: %s", m->kind, field, msg);
}

/* RFC 6901: '~' and '/' of a key escaped, as yaml_json.c writes. */
char *mf_child(const char *ptr, const char *key)
{
	size_t n = strlen(ptr), o = n + 1;
	char *out = xmalloc(n + 2 * strlen(key) + 2);
	memcpy(out, ptr, n);
	out[n] = '/';
	for (const char *k = key; *k; k++) {
		if (*k == '~' || *k == '/') {
			out[o++] = '~';
			out[o++] = *k == '~' ? '0' : '1';
		} else {
			out[o++] = *k;
		}
	}
	out[o] = '\0';
	return out;
}

char *mf_child_i(const char *ptr, size_t i)
{
	return xasprintf("%s/%zu", ptr, i);
}

/* What berth says about a field it does not run, where a hint helps. */
static const struct {
	const char *field, *hint;
} hints[] = {
    {"initContainers", "berth runs one container per pod"},
    {"volumes", "only hostPath volumes are supported"},
    {"requests", "berth does not schedule; set limits"},
    {"valueFrom", "only literal values are supported"},
    {"envFrom", "only literal env values are supported"},
    {"matchExpressions", "use matchLabels"},
    {"grpc", "use exec, httpGet or tcpSocket"},
    {"nodeSelector", "berth runs on one host"},
    {"affinity", "berth runs on one host"},
    {"tolerations", "berth runs on one host"},
    {"serviceAccountName", "berth has no service accounts"},
};

bool mf_is_zero(json_t *v)
{
	if (!v || json_is_null(v) || json_is_false(v))
		return true;
	if (json_is_object(v))
		return json_object_size(v) == 0;
	if (json_is_array(v))
		return json_array_size(v) == 0;
	if (json_is_string(v))
		return json_string_value(v)[0] == '\0';
	if (json_is_integer(v))
		return json_integer_value(v) == 0;
	return false;
}

/* Refuses any key of obj not in allowed (NULL-terminated); an object of
 * the API read without fieldValidation=Strict may hold such a key at its
 * Go zero value (what clients send for a field they never set). */
int mf_only(struct mctx *m, json_t *obj, const char *ptr,
	    const char *const *allowed)
{
	const char *k;
	json_t *v;
	bool lenient = m->pc->object && !m->pc->object->strict;
	json_object_foreach(obj, k, v)
	{
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], k))
				break;
		if (allowed[i] || (lenient && mf_is_zero(v)))
			continue;
		const char *hint = NULL;
		for (size_t h = 0; h < sizeof(hints) / sizeof(hints[0]); h++)
			if (!strcmp(hints[h].field, k))
				hint = hints[h].hint;
		char *p = mf_child(ptr, k);
		if (hint)
			mf_err(m, p, "field not supported by berth (%s)", hint);
		else
			mf_err(m, p, "field not supported by berth");
		free(p);
		return -1;
	}
	return 0;
}

json_t *mf_get(struct mctx *m, json_t *parent, const char *ptr, const char *key,
	       json_type type, const char *what)
{
	json_t *v = json_object_get(parent, key);
	if (!v || json_is_null(v))
		return NULL;
	if (json_typeof(v) != type) {
		char *p = mf_child(ptr, key);
		mf_err(m, p, "must be %s", what);
		free(p);
		m->pc->failed = true;
		return NULL;
	}
	return v;
}

#define GET_OBJ(m, o, ptr, key) mf_get(m, o, ptr, key, JSON_OBJECT, "a map")
#define GET_ARR(m, o, ptr, key) mf_get(m, o, ptr, key, JSON_ARRAY, "a list")

/* A scalar as the INI text of the same value; NULL for anything else. */
char *mf_scalar_text(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
	case JSON_REAL:
		return xasprintf("%.17g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	default:
		return NULL;
	}
}

/* Hands one value to the key table as INI key `key`. */
int mf_apply_text(struct mctx *m, const char *ptr, const char *key,
		  const char *text)
{
	m->pc->line = mf_line_of(m, ptr);
	return cfg_keys_apply(m->pc, key, text);
}

int mf_apply_scalar(struct mctx *m, json_t *obj, const char *ptr,
		    const char *field, const char *key)
{
	json_t *v = json_object_get(obj, field);
	/* "" is Go's unset string, as null is. */
	if (!v || json_is_null(v) ||
	    (json_is_string(v) && !*json_string_value(v)))
		return 0;
	char *p = mf_child(ptr, field);
	char *text = mf_scalar_text(v);
	int r = text ? mf_apply_text(m, p, key, text)
		     : mf_err(m, p, "must be a single value");
	free(text);
	free(p);
	return r;
}

int mf_apply_port(struct mctx *m, json_t *obj, const char *ptr,
		  const char *field, const char *key)
{
	json_t *v = json_object_get(obj, field);
	if (v && !json_is_null(v) && !json_is_integer(v)) {
		char *p = mf_child(ptr, field);
		mf_err(m, p, "must be a port number");
		free(p);
		return -1;
	}
	return mf_apply_scalar(m, obj, ptr, field, key);
}

int mf_apply_port_or_name(struct mctx *m, json_t *obj, const char *ptr,
			  const char *field, const char *key)
{
	json_t *v = json_object_get(obj, field);
	const char *s = json_string_value(v);
	long long n;

	/* IntOrString: a string is a name, so "8080" is none */
	if (s && str_parse_ll(s, &n) == 0) {
		char *p = mf_child(ptr, field);
		mf_err(m, p,
		       "\"%s\" is a string, so a port name, and a port name "
		       "must contain a letter: write the number without quotes",
		       s);
		free(p);
		return -1;
	}
	if (v && !json_is_null(v) && !json_is_integer(v) &&
	    !json_is_string(v)) {
		char *p = mf_child(ptr, field);
		mf_err(m, p, "must be a port number or a port name");
		free(p);
		return -1;
	}
	return mf_apply_scalar(m, obj, ptr, field, key);
}

int mf_check_listen_port(struct mctx *m, json_t *listen, json_t *port)
{
	json_t *p = json_object_get(port, "port");
	char host[256];
	const char *why = NULL;
	int n = 0;
	if (!json_is_string(listen) || !json_is_integer(p) ||
	    str_split_hostport(json_string_value(listen), host, sizeof(host),
			       &n, &why) == -1 ||
	    n == json_integer_value(p))
		return 0;
	return mf_err(m, "/spec/ports/0/port",
		      "%" JSON_INTEGER_FORMAT " is not the port of the "
		      "berth.io/listen annotation (%s)",
		      json_integer_value(p), json_string_value(listen));
}

/* A list of strings as one word list the INI splitter reads back to the
 * same words: each word single-quoted, quotes inside escaped. */
int mf_apply_words(struct mctx *m, json_t *obj, const char *ptr,
		   const char *field, const char *key)
{
	char *p = mf_child(ptr, field);
	json_t *arr = GET_ARR(m, obj, ptr, field);
	json_t *w;
	size_t i;
	int r = -1;
	if (!arr) {
		r = m->pc->failed ? -1 : 0;
		goto out;
	}
	if (json_array_size(arr) == 0) {
		r = 0;
		goto out;
	}
	size_t cap = 16, len = 0;
	char *text = xmalloc(cap);
	text[0] = '\0';
	json_array_foreach(arr, i, w)
	{
		if (!json_is_string(w)) {
			char *wp = mf_child_i(p, i);
			mf_err(m, wp, "must be a string");
			free(wp);
			free(text);
			goto out;
		}
		const char *s = json_string_value(w);
		size_t need = len + 4 * strlen(s) + 4;
		if (need > cap) {
			cap = need * 2;
			text = xrealloc(text, cap);
		}
		if (i > 0)
			text[len++] = ' ';
		text[len++] = '\'';
		for (; *s; s++) {
			if (*s == '\'') {
				memcpy(text + len, "'\\''", 4);
				len += 4;
			} else {
				text[len++] = *s;
			}
		}
		text[len++] = '\'';
		text[len] = '\0';
	}
	r = mf_apply_text(m, p, key, text);
	free(text);
out:
	free(p);
	return r;
}

/* A map of strings as "k=v,k2=v2". */
int mf_apply_map(struct mctx *m, json_t *map, const char *ptr, const char *key)
{
	const char *k;
	json_t *v;
	char *text = xstrdup("");
	json_object_foreach(map, k, v)
	{
		if (!json_is_string(v)) {
			char *p = mf_child(ptr, k);
			mf_err(m, p, "must be a string (quote it)");
			free(p);
			free(text);
			return -1;
		}
		char *next = xasprintf("%s%s%s=%s", text, text[0] ? "," : "", k,
				       json_string_value(v));
		free(text);
		text = next;
	}
	int r = mf_apply_text(m, ptr, key, text);
	free(text);
	return r;
}

/* `berth.io/KEY: value` annotations: KEY is a key of this section. */
int mf_apply_annotations(struct mctx *m, json_t *meta, const char *mptr)
{
	json_t *ann = GET_OBJ(m, meta, mptr, "annotations");
	const char *k;
	json_t *v;
	if (!ann)
		return m->pc->failed ? -1 : 0;
	char *aptr = mf_child(mptr, "annotations");
	json_object_foreach(ann, k, v)
	{
		if (strncmp(k, ANNOTATION_PREFIX, strlen(ANNOTATION_PREFIX)))
			continue; /* other tools' annotations are not berth's */
		char *p = mf_child(aptr, k);
		int r = json_is_string(v)
			    ? mf_apply_text(m, p, k + strlen(ANNOTATION_PREFIX),
					    json_string_value(v))
			    : mf_err(m, p, "must be a string (quote it)");
		free(p);
		if (r == -1) {
			free(aptr);
			return -1;
		}
	}
	free(aptr);
	return 0;
}

/* metadata: name (opens the section), namespace `default` only. */
