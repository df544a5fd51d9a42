/*
 * selector.c - parses and matches label and field selectors with the
 * apiserver's grammar (k8s.io/apimachinery labels and fields). Must not
 * know berth's model: it matches Kubernetes objects.
 */
#include "selector.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "kobj.h"

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static bool key_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.' ||
	       c == '/';
}

/* A key or a value: [A-Za-z0-9._/-]*. */
static char *word(const char **p)
{
	const char *s = *p;

	while (key_char(**p))
		(*p)++;
	return xstrndup(s, (size_t)(*p - s));
}

static void add_value(struct kube_req_term *t, char *v)
{
	t->values = xrealloc(t->values, (t->n_values + 2) * sizeof(char *));
	t->values[t->n_values++] = v;
	t->values[t->n_values] = NULL;
}

static struct kube_req_term *new_term(struct kube_selector *s)
{
	s->terms = xrealloc(s->terms, (s->n + 1) * sizeof(*s->terms));
	memset(&s->terms[s->n], 0, sizeof(s->terms[0]));
	return &s->terms[s->n++];
}

void kube_selector_free(struct kube_selector *sel)
{
	for (size_t i = 0; i < sel->n; i++) {
		free(sel->terms[i].key);
		for (size_t k = 0; k < sel->terms[i].n_values; k++)
			free(sel->terms[i].values[k]);
		free(sel->terms[i].values);
	}
	free(sel->terms);
	memset(sel, 0, sizeof(*sel));
}

static int fail(struct kube_selector *out, char *why, size_t len,
		const char *what, const char *at)
{
	snprintf(why, len, "unable to parse requirement: %s at \"%s\"", what,
		 at);
	kube_selector_free(out);
	return -1;
}

int kube_label_selector_parse(const char *s, struct kube_selector *out,
			      char *why, size_t why_len)
{
	const char *p = s;

	memset(out, 0, sizeof(*out));
	skip_ws(&p);
	while (*p) {
		struct kube_req_term *t = new_term(out);

		skip_ws(&p);
		if (*p == '!') {
			p++;
			skip_ws(&p);
			t->op = KSEL_NOT_EXISTS;
		} else {
			t->op = KSEL_EXISTS;
		}
		t->key = word(&p);
		if (t->key[0] == '\0')
			return fail(out, why, why_len, "a key is missing", p);
		skip_ws(&p);
		if (t->op == KSEL_EXISTS && (*p == '=' || *p == '!')) {
			if (p[0] == '!' && p[1] == '=') {
				t->op = KSEL_NE;
				p += 2;
			} else if (p[0] == '=') {
				t->op = KSEL_EQ;
				p += p[1] == '=' ? 2 : 1;
			} else {
				return fail(out, why, why_len,
					    "an operator is expected", p);
			}
			skip_ws(&p);
			add_value(t, word(&p));
		} else if (t->op == KSEL_EXISTS &&
			   (!strncmp(p, "in", 2) || !strncmp(p, "notin", 5)) &&
			   (p[p[0] == 'i' ? 2 : 5] == ' ' ||
			    p[p[0] == 'i' ? 2 : 5] == '(')) {
			t->op = p[0] == 'i' ? KSEL_IN : KSEL_NOTIN;
			p += t->op == KSEL_IN ? 2 : 5;
			skip_ws(&p);
			if (*p != '(')
				return fail(out, why, why_len, "'(' expected",
					    p);
			p++;
			for (;;) {
				skip_ws(&p);
				add_value(t, word(&p));
				skip_ws(&p);
				if (*p == ',') {
					p++;
					continue;
				}
				if (*p == ')') {
					p++;
					break;
				}
				return fail(out, why, why_len, "')' expected",
					    p);
			}
		}
		skip_ws(&p);
		if (*p == ',') {
			p++;
			skip_ws(&p);
			if (*p == '\0')
				return fail(out, why, why_len,
					    "a requirement is missing", p);
		} else if (*p) {
			return fail(out, why, why_len, "',' expected", p);
		}
	}
	return 0;
}

int kube_field_selector_parse(const char *s, const char *const *allowed,
			      struct kube_selector *out, char *why,
			      size_t why_len)
{
	const char *p = s;

	memset(out, 0, sizeof(*out));
	out->fields = true;
	while (*p) {
		size_t n = strcspn(p, ",");
		char *term = xstrndup(p, n);
		char *op = strstr(term, "!=");
		struct kube_req_term *t = new_term(out);
		bool ok = false;

		if (op) {
			t->op = KSEL_NE;
			*op = '\0';
			add_value(t, xstrdup(op + 2));
		} else if ((op = strchr(term, '='))) {
			t->op = KSEL_EQ;
			*op = '\0';
			add_value(t, xstrdup(op + (op[1] == '=' ? 2 : 1)));
		} else {
			snprintf(why, why_len,
				 "invalid selector: '%s'; can't understand "
				 "'%s'",
				 s, term);
			free(term);
			kube_selector_free(out);
			return -1;
		}
		t->key = term;
		for (size_t i = 0; allowed[i]; i++)
			ok = ok || !strcmp(allowed[i], t->key);
		if (!ok) {
			snprintf(why, why_len, "field label not supported: %s",
				 t->key);
			kube_selector_free(out);
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static bool term_matches(const struct kube_req_term *t, bool fields,
			 json_t *obj)
{
	json_t *labels = kube_path(obj, "metadata.labels");
	char buf[512];
	const char *v;
	bool found = false;

	if (fields) {
		kube_path_string(obj, t->key, buf, sizeof(buf));
		v = buf;
		found = true;
	} else {
		json_t *j = json_object_get(labels, t->key);

		v = json_string_value(j);
		found = v != NULL;
	}
	switch (t->op) {
	case KSEL_EXISTS:
		return found;
	case KSEL_NOT_EXISTS:
		return !found;
	case KSEL_EQ:
		return found && !strcmp(v, t->values[0]);
	case KSEL_NE:
		return !found || strcmp(v, t->values[0]);
	case KSEL_IN:
	case KSEL_NOTIN: {
		bool in = false;

		for (size_t i = 0; found && i < t->n_values; i++)
			in = in || !strcmp(v, t->values[i]);
		return t->op == KSEL_IN ? in : !in;
	}
	}
	return false;
}

bool kube_selector_matches(const struct kube_selector *sel, json_t *obj)
{
	for (size_t i = 0; i < sel->n; i++)
		if (!term_matches(&sel->terms[i], sel->fields, obj))
			return false;
	return true;
}
