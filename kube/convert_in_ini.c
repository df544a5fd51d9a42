/*
 * convert_in_ini.c - the INI text a Kubernetes object is written as, each
 * line remembering the Kubernetes field it came from, and the checks
 * every field goes through (known keys, Go zero values, what one INI line
 * can hold). Pure: no berth object.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "convert_in_internal.h"

void __attribute__((format(printf, 3, 4)))
kin_bad(struct conv *c, const char *field, const char *fmt, ...)
{
	char msg[220];
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berr_set(c->err, "%s: %s", field, msg);
	c->failed = true;
}

void kin_put(struct conv *c, const char *field, const char *text)
{
	size_t n = strlen(text);

	if (c->len + n + 2 > c->cap) {
		c->cap = (c->len + n + 2) * 2;
		c->buf = xrealloc(c->buf, c->cap);
	}
	memcpy(c->buf + c->len, text, n);
	c->len += n;
	c->buf[c->len++] = '\n';
	c->buf[c->len] = '\0';
	c->fields = xrealloc(c->fields, (c->n_lines + 1) * sizeof(*c->fields));
	c->fields[c->n_lines++] = xstrdup(field);
}

/* "key = value": refused when the INI file could not say it. */
void __attribute__((format(printf, 4, 5)))
kin_kv(struct conv *c, const char *field, const char *key, const char *fmt, ...)
{
	char line[INI_LINE_MAX + 64], value[INI_LINE_MAX + 32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(value) ||
	    (size_t)n + strlen(key) + 3 > INI_LINE_MAX) {
		kin_bad(c, field,
			"value too long for berth (%d characters a line)",
			INI_LINE_MAX);
		return;
	}
	if (strpbrk(value, "\n\r") || strstr(value, " ;") ||
	    strstr(value, "\t;") || value[0] == ';') {
		kin_bad(
		    c, field,
		    "berth cannot keep a value with a line break or \" ;\"");
		return;
	}
	snprintf(line, sizeof(line), "%s = %s", key, value);
	kin_put(c, field, line);
}

void kin_conv_free(struct conv *c)
{
	for (size_t i = 0; i < c->n_lines; i++)
		free(c->fields[i]);
	free(c->fields);
	free(c->buf);
}

/* Go's zero values: what a client sends for a field it never set. */
bool kin_is_zero(const json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
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

/* Refuses any key of obj outside known (NULL-terminated) that is set. */
void kin_only(struct conv *c, const json_t *obj, const char *path,
	      const char *const *known)
{
	const char *k;
	json_t *v;
	char f[FIELD_MAX];

	if (obj && !json_is_object(obj)) {
		kin_bad(c, path, "must be an object");
		return;
	}
	json_object_foreach((json_t *)obj, k, v)
	{
		bool ok = false;

		for (size_t i = 0; known[i]; i++)
			ok |= !strcmp(known[i], k);
		if (!ok && (c->strict || !kin_is_zero(v))) {
			snprintf(f, sizeof(f), "%s%s%s", path,
				 path[0] ? "." : "", k);
			kin_bad(c, f, "field not supported by berth");
		}
	}
}

/* out = path.k, cut to FIELD_MAX; out may be path. */
void kin_sub(char *out, const char *path, const char *k)
{
	char tmp[FIELD_MAX];
	size_t pl = strnlen(path, FIELD_MAX - 1), kl = strlen(k);

	memcpy(tmp, path, pl);
	if (pl + 1 < FIELD_MAX)
		tmp[pl++] = '.';
	if (kl > FIELD_MAX - 1 - pl)
		kl = FIELD_MAX - 1 - pl;
	memcpy(tmp + pl, k, kl);
	tmp[pl + kl] = '\0';
	memcpy(out, tmp, pl + kl + 1);
}

const char *kin_str_at(struct conv *c, const json_t *obj, const char *k,
		       const char *path)
{
	json_t *v = json_object_get(obj, k);
	char f[FIELD_MAX];

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		kin_sub(f, path, k);
		kin_bad(c, f, "must be a string");
		return NULL;
	}
	return json_string_value(v);
}

/* An integer field: *out set and true when present. */
bool kin_int_at(struct conv *c, const json_t *obj, const char *k,
		const char *path, long long *out)
{
	json_t *v = json_object_get(obj, k);
	char f[FIELD_MAX];

	if (v == NULL || json_is_null(v))
		return false;
	if (!json_is_integer(v)) {
		kin_sub(f, path, k);
		kin_bad(c, f, "must be an integer");
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

/* A word as str_split_words reads it back. */
static void quote_word(const char *w, char *out, size_t len)
{
	size_t o = 0;
	bool plain = w[0] != '\0';

	for (const char *p = w; *p; p++)
		if (!strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789-_./:=,@%+",
			*p))
			plain = false;
	if (plain) {
		snprintf(out, len, "%s", w);
		return;
	}
	if (!strchr(w, '\'')) {
		snprintf(out, len, "'%s'", w);
		return;
	}
	if (o + 1 < len)
		out[o++] = '"';
	for (const char *p = w; *p && o + 3 < len; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	if (o + 1 < len)
		out[o++] = '"';
	out[o] = '\0';
}

/* A list of strings as one line of words. */
void kin_words(struct conv *c, const json_t *list, const char *field,
	       const char *key)
{
	char line[INI_LINE_MAX * 2] = "", q[INI_LINE_MAX * 2];
	size_t i;
	json_t *w;

	if (list == NULL || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		kin_bad(c, field, "must be a list of strings");
		return;
	}
	if (json_array_size(list) == 0)
		return;
	json_array_foreach(list, i, w)
	{
		if (!json_is_string(w)) {
			kin_bad(c, field, "must be a list of strings");
			return;
		}
		quote_word(json_string_value(w), q, sizeof(q));
		if (strlen(line) + strlen(q) + 2 >= sizeof(line)) {
			kin_bad(c, field, "too long for berth");
			return;
		}
		if (line[0])
			strcat(line, " ");
		strcat(line, q);
	}
	kin_kv(c, field, key, "%s", line);
}

/* A map of string to string as "k=v,k2=v2". */
void kin_pairs(struct conv *c, const json_t *map, const char *field,
	       const char *key)
{
	char line[INI_LINE_MAX * 2] = "";
	const char *k;
	json_t *v;

	if (map == NULL || json_is_null(map))
		return;
	if (!json_is_object(map)) {
		kin_bad(c, field, "must be a map of strings");
		return;
	}
	json_object_foreach((json_t *)map, k, v)
	{
		size_t n = strlen(line);

		if (!json_is_string(v)) {
			kin_bad(c, field, "must be a map of strings");
			return;
		}
		snprintf(line + n, sizeof(line) - n, "%s%s=%s", n ? "," : "", k,
			 json_string_value(v));
	}
	if (line[0])
		kin_kv(c, field, key, "%s", line);
}

/* A port: integers only (a named port would need the port's name). */
void kin_port_kv(struct conv *c, const json_t *obj, const char *k,
		 const char *path, const char *key)
{
	json_t *v = json_object_get(obj, k);
	char f[FIELD_MAX];

	if (v == NULL || json_is_null(v))
		return;
	kin_sub(f, path, k);
	if (!json_is_integer(v)) {
		kin_bad(c, f, "berth takes port numbers only");
		return;
	}
	kin_kv(c, f, key, "%lld", (long long)json_integer_value(v));
}
