/*
 * yaml_json.c - YAML documents to JSON values and back, with libyaml.
 *
 * Owns the mapping between YAML text and jansson values as kubectl makes
 * it (plain scalars resolved as YAML 1.1 does: yes/no/on/off are booleans,
 * 0777 is octal; keys become strings; anchors, aliases and `<<` merge keys
 * expanded with a bound so a few lines cannot grow into gigabytes). Knows
 * nothing of what the documents mean: manifests are the caller's.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yaml_json.h"

/* Nodes one input may expand to through aliases (a "billion laughs" is
 * refused long before it costs memory). */
#define YAML_MAX_NODES 1000000
#define YAML_MAX_DEPTH 256

struct frame {
	json_t *value;	/* object or array being filled */
	char *key;	/* pending key of an object (NULL: none yet) */
	int key_line;	/* line of the pending key, for duplicate errors */
	char *anchor;	/* anchor of this collection, recorded when it ends */
	int merge_next; /* the pending key is `<<` */
	json_t *merged; /* keys from `<<`, under the mapping's own keys */
	char *path;	/* JSON pointer of this collection */
};

struct builder {
	const char *name;
	struct frame stack[YAML_MAX_DEPTH];
	int depth;
	json_t *anchors; /* anchor name -> value */
	json_t *doc;	 /* the document's root once complete */
	json_t *lines;	 /* JSON pointer -> line (1-based), or NULL */
	long nodes;
	struct berr *err;
};

static int fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt,
		   const char *arg)
{
	char what[256];
	snprintf(what, sizeof(what), fmt, arg ? arg : "");
	return berr_set(b->err, "%s:%zu:%zu: %s", b->name, m->line + 1,
			m->column + 1, what);
}

static int count_nodes(json_t *v)
{
	int n = 1;
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x) n += count_nodes(x);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) n += count_nodes(x);
	}
	return n;
}

static int all_digits(const char *s, const char *set)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr(set, *s))
			return 0;
	return 1;
}

static int match_any(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", "yes", "Yes",
					 "YES",	 "on",	 "On",	 "ON",	NULL};
static const char *const false_words[] = {
    "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL};

/* An integer as YAML 1.1 reads it: decimal, 0x hex, 0o or leading-0
 * octal, with an optional sign. 1: is one (*out set), 0: is not,
 * -1: is one but out of range. */
static int parse_int(const char *s, json_int_t *out)
{
	const char *p = s;
	int base = 10;
	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		if (!all_digits(p + 2, "0123456789abcdefABCDEF"))
			return 0;
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'o') {
		if (!all_digits(p + 2, "01234567"))
			return 0;
		base = 8;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		if (!all_digits(p + 1, "01234567"))
			return 0;
		base = 8;
		p += 1;
	} else if (!all_digits(p, "0123456789")) {
		return 0;
	}
	errno = 0;
	char *end;
	unsigned long long v = strtoull(p, &end, base);
	if (errno || *end)
		return -1;
	int neg = s[0] == '-';
	if (v > (unsigned long long)INT64_MAX + (neg ? 1u : 0u))
		return -1;
	*out = neg ? (json_int_t)(0 - v) : (json_int_t)v;
	return 1;
}

static int parse_float(const char *s, double *out)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	int digits = 0, dot = 0;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p == '.' && !dot)
			dot = 1;
		else
			break;
	}
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!all_digits(p, "0123456789"))
			return 0;
		p += strlen(p);
	}
	if (*p)
		return 0;
	*out = strtod(s, NULL);
	return 1;
}

enum plain_kind {
	PLAIN_STRING,
	PLAIN_NULL,
	PLAIN_BOOL,
	PLAIN_INT,
	PLAIN_FLOAT,
	PLAIN_SPECIAL_FLOAT
};

static enum plain_kind resolve_plain(const char *s)
{
	json_int_t i;
	double f;
	if (match_any(s, null_words))
		return PLAIN_NULL;
	if (match_any(s, true_words) || match_any(s, false_words))
		return PLAIN_BOOL;
	if (parse_int(s, &i) != 0)
		return PLAIN_INT;
	if (parse_float(s, &f))
		return PLAIN_FLOAT;
	const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
	if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF") ||
	    !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return PLAIN_SPECIAL_FLOAT;
	return PLAIN_STRING;
}

static const char *short_tag(const char *tag)
{
	static const char core[] = "tag:yaml.org,2002:";
	if (!tag)
		return NULL;
	if (strncmp(tag, core, sizeof(core) - 1) == 0)
		return tag + sizeof(core) - 1;
	return tag;
}

static json_t *scalar_value(struct builder *b, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = short_tag((const char *)ev->data.scalar.tag);
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	json_int_t i;
	double f;

	if (tag && strcmp(tag, "!") != 0) {
		if (!strcmp(tag, "str"))
			return json_stringn(s, ev->data.scalar.length);
		if (!strcmp(tag, "null"))
			return json_null();
		if (!strcmp(tag, "bool")) {
			if (match_any(s, true_words))
				return json_true();
			if (match_any(s, false_words))
				return json_false();
		} else if (!strcmp(tag, "int")) {
			if (parse_int(s, &i) == 1)
				return json_integer(i);
		} else if (!strcmp(tag, "float")) {
			if (parse_int(s, &i) == 1)
				return json_real((double)i);
			if (parse_float(s, &f))
				return json_real(f);
		} else {
			fail_at(b, &ev->start_mark, "unsupported tag `%s`",
				tag);
			return NULL;
		}
		fail_at(b, &ev->start_mark, "value does not match its tag `%s`",
			tag);
		return NULL;
	}
	if (!plain || (tag && !strcmp(tag, "!")))
		return json_stringn(s, ev->data.scalar.length);
	if (strlen(s) != ev->data.scalar.length)
		return json_stringn(s, ev->data.scalar.length);
	switch (resolve_plain(s)) {
	case PLAIN_NULL:
		return json_null();
	case PLAIN_BOOL:
		return json_boolean(match_any(s, true_words));
	case PLAIN_INT:
		if (parse_int(s, &i) == 1)
			return json_integer(i);
		fail_at(b, &ev->start_mark, "integer `%s` is out of range", s);
		return NULL;
	case PLAIN_FLOAT:
		parse_float(s, &f);
		if (!isfinite(f)) {
			fail_at(b, &ev->start_mark,
				"number `%s` is out of range", s);
			return NULL;
		}
		return json_real(f);
	case PLAIN_SPECIAL_FLOAT:
		fail_at(b, &ev->start_mark,
			"`%s` (infinity or NaN) has no JSON form", s);
		return NULL;
	case PLAIN_STRING:
		break;
	}
	return json_stringn(s, ev->data.scalar.length);
}

/* The text a scalar key stands for (JSON keys are strings). */
static char *key_text(json_t *v)
{
	char buf[64];
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_null(v))
		return strdup("null");
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "true" : "false");
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return strdup(buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return strdup(buf);
	}
	return NULL;
}

/* Merges src's keys into obj where obj has none yet (`<<: *base`; in a
 * list of merges the first mapping to name a key wins). */
static int merge_into(struct builder *b, json_t *obj, json_t *src,
		      const yaml_mark_t *m)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_array(src)) {
		json_array_foreach(src, i, x) if (merge_into(b, obj, x, m) ==
						  -1) return -1;
		return 0;
	}
	if (!json_is_object(src))
		return fail_at(b, m,
			       "`<<` merges a mapping or a list of them%s", "");
	json_object_foreach(src, k, x)
	{
		if (!json_object_get(obj, k))
			json_object_set(obj, k, x);
	}
	return 0;
}

/* The JSON pointer of the value about to be placed in the top frame
 * (RFC 6901: '~' and '/' in keys escaped). malloc'd. */
static char *child_path(struct builder *b)
{
	if (b->depth == 0)
		return strdup("");
	struct frame *f = &b->stack[b->depth - 1];
	size_t plen = strlen(f->path);
	if (json_is_array(f->value)) {
		char *p = malloc(plen + 24);
		sprintf(p, "%s/%zu", f->path, json_array_size(f->value));
		return p;
	}
	const char *k = f->key ? f->key : "";
	char *p = malloc(plen + 2 * strlen(k) + 2), *o = p + plen + 1;
	memcpy(p, f->path, plen);
	p[plen] = '/';
	for (; *k; k++) {
		if (*k == '~' || *k == '/') {
			*o++ = '~';
			*o++ = *k == '~' ? '0' : '1';
		} else {
			*o++ = *k;
		}
	}
	*o = '\0';
	return p;
}

/* Records the line of the value about to be placed (not of a key). */
static void note_line(struct builder *b, const yaml_mark_t *m)
{
	if (!b->lines)
		return;
	if (b->depth > 0) {
		struct frame *f = &b->stack[b->depth - 1];
		if (json_is_object(f->value) && (!f->key || f->merge_next))
			return;
	}
	char *p = child_path(b);
	json_object_set_new(b->lines, p, json_integer((json_int_t)m->line + 1));
	free(p);
}

/* Places a finished value: in the enclosing collection, or as the root. */
static int place(struct builder *b, json_t *v, const char *anchor,
		 const yaml_mark_t *m)
{
	if (anchor)
		json_object_set(b->anchors, anchor, v);
	if (b->depth == 0) {
		b->doc = v;
		return 0;
	}
	struct frame *f = &b->stack[b->depth - 1];
	if (json_is_array(f->value)) {
		json_array_append_new(f->value, v);
		return 0;
	}
	if (!f->key) { /* v is a key */
		char *k = key_text(v);
		json_decref(v);
		if (!k)
			return fail_at(b, m, "a mapping key must be a scalar%s",
				       "");
		if (!strcmp(k, "<<")) {
			free(k);
			f->merge_next = 1;
			f->key = strdup("<<");
			return 0;
		}
		if (json_object_get(f->value, k)) {
			int r = fail_at(b, m, "duplicate key `%s`", k);
			free(k);
			return r;
		}
		f->key = k;
		f->key_line = (int)m->line;
		return 0;
	}
	int r = 0;
	if (f->merge_next) {
		if (!f->merged)
			f->merged = json_object();
		r = merge_into(b, f->merged, v, m);
		json_decref(v);
		f->merge_next = 0;
	} else {
		json_object_set_new(f->value, f->key, v);
	}
	free(f->key);
	f->key = NULL;
	return r;
}

static int push(struct builder *b, json_t *v, const char *anchor,
		const yaml_mark_t *m)
{
	if (b->depth == YAML_MAX_DEPTH) {
		json_decref(v);
		return fail_at(b, m, "nested deeper than %s levels", "256");
	}
	note_line(b, m);
	char *path = child_path(b);
	struct frame *f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->value = v;
	f->path = path;
	f->anchor = anchor ? strdup(anchor) : NULL;
	return 0;
}

static int pop(struct builder *b, const yaml_mark_t *m)
{
	struct frame *f = &b->stack[--b->depth];
	json_t *v = f->value;
	char *anchor = f->anchor;
	free(f->path);
	const char *k;
	json_t *x;
	if (f->merged) { /* the mapping's own keys win over merged ones */
		json_object_foreach(f->merged, k, x) if (!json_object_get(v, k))
		    json_object_set(v, k, x);
		json_decref(f->merged);
	}
	free(f->key);
	int r = place(b, v, anchor, m);
	free(anchor);
	return r;
}

static void unwind(struct builder *b)
{
	while (b->depth > 0) {
		struct frame *f = &b->stack[--b->depth];
		json_decref(f->value);
		json_decref(f->merged);
		free(f->key);
		free(f->anchor);
		free(f->path);
	}
}

static int handle(struct builder *b, yaml_event_t *ev)
{
	const char *anchor = NULL;
	json_t *v;
	if (++b->nodes > YAML_MAX_NODES)
		return fail_at(b, &ev->start_mark,
			       "more than %s nodes (alias expansion?)",
			       "1000000");
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		v = scalar_value(b, ev);
		if (!v)
			return -1;
		note_line(b, &ev->start_mark);
		return place(b, v, anchor, &ev->start_mark);
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		json_t *target = json_object_get(b->anchors, name);
		if (!target)
			return fail_at(b, &ev->start_mark,
				       "alias `*%s` names no anchor before it",
				       name);
		note_line(b, &ev->start_mark);
		b->nodes += count_nodes(target);
		if (b->nodes > YAML_MAX_NODES)
			return fail_at(b, &ev->start_mark,
				       "more than %s nodes (alias expansion?)",
				       "1000000");
		return place(b, json_deep_copy(target), NULL, &ev->start_mark);
	}
	case YAML_SEQUENCE_START_EVENT:
		return push(b, json_array(),
			    (const char *)ev->data.sequence_start.anchor,
			    &ev->start_mark);
	case YAML_MAPPING_START_EVENT:
		return push(b, json_object(),
			    (const char *)ev->data.mapping_start.anchor,
			    &ev->start_mark);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return pop(b, &ev->start_mark);
	default:
		return 0;
	}
}

json_t *yaml_to_json_docs(const char *buf, size_t len, const char *name,
			  struct berr *err)
{
	return yaml_to_json_docs_lines(buf, len, name, NULL, err);
}

json_t *yaml_to_json_docs_lines(const char *buf, size_t len, const char *name,
				json_t **lines_out, struct berr *err)
{
	json_t *all_lines = lines_out ? json_array() : NULL;
	yaml_parser_t parser;
	struct builder b = {.name = name, .err = err};
	json_t *docs = json_array();
	int done = 0, failed = 0;

	if (!yaml_parser_initialize(&parser)) {
		json_decref(docs);
		berr_set(err, "%s: cannot start the YAML parser", name);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done && !failed) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			berr_set(err, "%s:%zu:%zu: %s%s%s", name,
				 parser.problem_mark.line + 1,
				 parser.problem_mark.column + 1,
				 parser.problem ? parser.problem
						: "malformed YAML",
				 parser.context ? " " : "",
				 parser.context ? parser.context : "");
			failed = 1;
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			b.anchors = json_object();
			b.doc = NULL;
			if (all_lines)
				b.lines = json_object();
			break;
		case YAML_DOCUMENT_END_EVENT:
			/* Empty documents (a lone `---`) and null roots are
			 * skipped, as kubectl does. */
			if (b.doc && !json_is_null(b.doc)) {
				json_array_append_new(docs, b.doc);
				if (all_lines)
					json_array_append(all_lines, b.lines);
			} else {
				json_decref(b.doc);
			}
			json_decref(b.lines);
			b.lines = NULL;
			b.doc = NULL;
			json_decref(b.anchors);
			b.anchors = NULL;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			if (handle(&b, &ev) == -1)
				failed = 1;
		}
		yaml_event_delete(&ev);
	}
	unwind(&b);
	json_decref(b.anchors);
	json_decref(b.lines);
	yaml_parser_delete(&parser);
	if (failed) {
		json_decref(b.doc);
		json_decref(docs);
		json_decref(all_lines);
		return NULL;
	}
	if (lines_out)
		*lines_out = all_lines;
	return docs;
}

int yaml_looks_like(const char *path, const char *buf, size_t len)
{
	const char *dot = path ? strrchr(path, '.') : NULL;
	if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
		return 1;
	if (dot && (!strcmp(dot, ".ini") || !strcmp(dot, ".conf")))
		return 0;
	/* No telling extension: an INI file starts (after comments and
	 * blank lines) with `[section]`; a manifest with `key:` or `---`. */
	size_t i = 0;
	while (i < len) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		if (i < len && (buf[i] == '#' || buf[i] == ';' ||
				buf[i] == '\n' || buf[i] == '\r')) {
			while (i < len && buf[i] != '\n')
				i++;
			i++;
			continue;
		}
		break;
	}
	if (i >= len)
		return 0;
	if (buf[i] == '[')
		return 0;
	if (buf[i] == '{')
		return 1; /* JSON is YAML */
	if (len - i >= 3 && !memcmp(buf + i, "---", 3))
		return 1;
	for (; i < len && buf[i] != '\n'; i++) {
		if (buf[i] == '=')
			return 0;
		if (buf[i] == ':')
			return 1;
	}
	return 0;
}

/* ---- JSON to YAML ---- */

struct emit_buf {
	char *data;
	size_t len, cap;
};

static int emit_write(void *ctx, unsigned char *data, size_t size)
{
	struct emit_buf *e = ctx;
	if (e->len + size + 1 > e->cap) {
		size_t cap = e->cap ? e->cap : 4096;
		while (cap < e->len + size + 1)
			cap *= 2;
		char *p = realloc(e->data, cap);
		if (!p)
			return 0;
		e->data = p;
		e->cap = cap;
	}
	memcpy(e->data + e->len, data, size);
	e->len += size;
	e->data[e->len] = '\0';
	return 1;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, int quote)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(
	    &ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), !quote, 1,
	    quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev);
}

/* A string that a reader would not take back as the same string when
 * written plain (`"true"`, `"8080"`, `""`) is quoted. */
static int needs_quotes(const char *s)
{
	return resolve_plain(s) != PLAIN_STRING;
}

static int emit_value(yaml_emitter_t *em, json_t *v)
{
	yaml_event_t ev;
	const char *k;
	json_t *x;
	size_t i;
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		json_object_foreach(v, k, x)
		{
			if (!emit_scalar(em, k, needs_quotes(k)) ||
			    !emit_value(em, x))
				return 0;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	case JSON_ARRAY:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		json_array_foreach(v, i, x) if (!emit_value(em, x)) return 0;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	case JSON_STRING:
		return emit_scalar(em, json_string_value(v),
				   needs_quotes(json_string_value(v)));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return emit_scalar(em, buf, 0);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		if (!strpbrk(buf, ".eE"))
			strcat(buf, ".0");
		return emit_scalar(em, buf, 0);
	case JSON_TRUE:
		return emit_scalar(em, "true", 0);
	case JSON_FALSE:
		return emit_scalar(em, "false", 0);
	case JSON_NULL:
		return emit_scalar(em, "null", 0);
	}
	return 0;
}

char *json_to_yaml_docs(json_t *docs, struct berr *err)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	struct emit_buf out = {0};
	size_t i;
	json_t *doc;
	int ok;

	if (!json_is_array(docs)) {
		berr_set(err, "YAML output takes a list of documents");
		return NULL;
	}
	if (!yaml_emitter_initialize(&em)) {
		berr_set(err, "cannot start the YAML emitter");
		return NULL;
	}
	yaml_emitter_set_output(&em, emit_write, &out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&em, &ev);
	json_array_foreach(docs, i, doc)
	{
		if (!ok)
			break;
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL,
						     i == 0);
		ok = yaml_emitter_emit(&em, &ev) && emit_value(&em, doc);
		if (ok) {
			yaml_document_end_event_initialize(&ev, 1);
			ok = yaml_emitter_emit(&em, &ev);
		}
	}
	if (ok) {
		yaml_stream_end_event_initialize(&ev);
		ok = yaml_emitter_emit(&em, &ev) && yaml_emitter_flush(&em);
	}
	if (!ok) {
		berr_set(err, "writing YAML: %s",
			 em.problem ? em.problem : "out of memory");
		free(out.data);
		yaml_emitter_delete(&em);
		return NULL;
	}
	yaml_emitter_delete(&em);
	return out.data ? out.data : strdup("");
}
