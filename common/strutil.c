/*
 * strutil.c - pure string helpers for configuration values (see strutil.h).
 * Owns no state; must not include anything above common/.
 */
#include "strutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *str_trim(char *s)
{
	char *end;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

int str_parse_ll(const char *s, long long *out)
{
	const char *p = s;
	char *end;
	long long v;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p)) {
		errno = EINVAL;
		return -1;
	}
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p)) {
			errno = EINVAL;
			return -1;
		}
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

static bool dns_label_n(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	if (!is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

bool str_is_dns_label(const char *s, size_t max)
{
	return dns_label_n(s, strlen(s), max);
}

bool str_is_dns_subdomain(const char *s)
{
	size_t len = strlen(s);
	const char *p = s;

	if (len == 0 || len > 253)
		return false;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!dns_label_n(p, n, 63))
			return false;
		if (dot == NULL)
			return true;
		p = dot + 1;
	}
}

bool str_is_env_name(const char *s)
{
	if (*s == '\0' || isdigit((unsigned char)*s))
		return false;
	for (; *s != '\0'; s++) {
		if (!is_alnum(*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	}
	return true;
}

/* Label name part: 1..63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static bool label_name_n(const char *s, size_t len)
{
	if (len == 0 || len > 63)
		return false;
	if (!is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return false;
	}
	return true;
}

bool str_is_label_key(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL)
		return label_name_n(s, strlen(s));
	{
		char prefix[256];
		size_t plen = (size_t)(slash - s);

		if (plen == 0 || plen >= sizeof(prefix))
			return false;
		memcpy(prefix, s, plen);
		prefix[plen] = '\0';
		if (!str_is_dns_subdomain(prefix))
			return false;
	}
	return label_name_n(slash + 1, strlen(slash + 1));
}

bool str_is_label_value(const char *s)
{
	return *s == '\0' || label_name_n(s, strlen(s));
}

/* A growable NULL-terminated string vector. */
struct words {
	char **v;
	size_t n, cap;
};

static void words_push(struct words *w, char *s)
{
	if (w->n + 2 > w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	w->v[w->n++] = s;
	w->v[w->n] = NULL;
}

void str_free_words(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

int str_split_words(const char *s, char ***out, size_t *n, const char **why)
{
	struct words w = {0};
	size_t len = strlen(s);
	char *cur = xmalloc(len + 1);
	size_t cl = 0;
	bool in_word = false;
	const char *p = s;

	words_push(&w, NULL);
	w.n = 0;
	while (*p != '\0') {
		char c = *p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word) {
				cur[cl] = '\0';
				words_push(&w, xstrdup(cur));
				cl = 0;
				in_word = false;
			}
			p++;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (q == NULL) {
				*why = "unterminated single quote";
				goto fail;
			}
			memcpy(cur + cl, p + 1, (size_t)(q - p - 1));
			cl += (size_t)(q - p - 1);
			p = q + 1;
		} else if (c == '"') {
			p++;
			while (*p != '"') {
				if (*p == '\0') {
					*why = "unterminated double quote";
					goto fail;
				}
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				cur[cl++] = *p++;
			}
			p++;
		} else if (c == '\\') {
			if (p[1] == '\0') {
				*why = "trailing backslash";
				goto fail;
			}
			cur[cl++] = p[1];
			p += 2;
		} else {
			cur[cl++] = c;
			p++;
		}
	}
	if (in_word) {
		cur[cl] = '\0';
		words_push(&w, xstrdup(cur));
	}
	free(cur);
	*out = w.v;
	*n = w.n;
	return 0;
fail:
	free(cur);
	str_free_words(w.v);
	return -1;
}

char *str_expand_vars(const char *s, str_lookup_fn lookup, void *arg)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out = xmalloc(cap);

#define PUT(src, n)                                                            \
	do {                                                                   \
		size_t _n = (n);                                               \
		while (len + _n + 1 > cap) {                                   \
			cap *= 2;                                              \
			out = xrealloc(out, cap);                              \
		}                                                              \
		memcpy(out + len, (src), _n);                                  \
		len += _n;                                                     \
	} while (0)

	while (*s != '\0') {
		const char *close;
		const char *val;

		if (*s != '$') {
			PUT(s, 1);
			s++;
			continue;
		}
		if (s[1] == '$') {
			PUT("$", 1);
			s += 2;
			continue;
		}
		if (s[1] != '(' || (close = strchr(s + 2, ')')) == NULL) {
			PUT(s, 1);
			s++;
			continue;
		}
		val = lookup(arg, s + 2, (size_t)(close - s - 2));
		if (val != NULL)
			PUT(val, strlen(val));
		else
			PUT(s, (size_t)(close - s + 1));
		s = close + 1;
	}
#undef PUT
	out[len] = '\0';
	return out;
}

int str_parse_labels(const char *s, char ***out, size_t *n, char *why,
		     size_t why_len)
{
	struct words w = {0};
	char *copy = xstrdup(s);
	size_t pairs = 0;

	words_push(&w, NULL);
	w.n = 0;
	if (*str_trim(copy) == '\0')
		goto done;
	/* Walk by hand: empty items are an error, not skipped. */
	{
		char *p = copy;

		for (;;) {
			char *comma = strchr(p, ',');
			char *eq, *k, *v;

			if (comma != NULL)
				*comma = '\0';
			k = str_trim(p);
			if (*k == '\0') {
				snprintf(why, why_len, "empty item in list");
				goto fail;
			}
			eq = strchr(k, '=');
			if (eq == NULL) {
				snprintf(why, why_len,
					 "\"%s\" is not key=value", k);
				goto fail;
			}
			*eq = '\0';
			v = str_trim(eq + 1);
			k = str_trim(k);
			if (!str_is_label_key(k)) {
				snprintf(why, why_len,
					 "\"%s\" is not a valid label key "
					 "([prefix/]name, name up to 63 "
					 "characters of [A-Za-z0-9._-])",
					 k);
				goto fail;
			}
			if (!str_is_label_value(v)) {
				snprintf(
				    why, why_len,
				    "\"%s\" is not a valid label value (up "
				    "to 63 characters of [A-Za-z0-9._-], "
				    "alphanumeric at both ends)",
				    v);
				goto fail;
			}
			for (size_t i = 0; i < w.n; i += 2) {
				if (strcmp(w.v[i], k) == 0) {
					snprintf(why, why_len,
						 "key \"%s\" is given twice",
						 k);
					goto fail;
				}
			}
			words_push(&w, xstrdup(k));
			words_push(&w, xstrdup(v));
			pairs++;
			if (comma == NULL)
				break;
			p = comma + 1;
		}
	}
done:
	free(copy);
	*out = w.v;
	*n = pairs;
	return 0;
fail:
	free(copy);
	str_free_words(w.v);
	return -1;
}

int str_split_hostport(const char *s, char *host, size_t host_len, int *port,
		       const char **why)
{
	const char *colon, *hs, *he;
	unsigned char buf[sizeof(struct in6_addr)];
	long long p;
	bool v6 = false;

	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':') {
			*why = "an IPv6 address must be written [ADDR]:PORT";
			return -1;
		}
		hs = s + 1;
		colon = he + 1;
		v6 = true;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			*why = "missing :PORT";
			return -1;
		}
		hs = s;
		he = colon;
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			*why = "an IPv6 address must be written [ADDR]:PORT";
			return -1;
		}
	}
	if (he == hs) {
		*why = "missing address (use 0.0.0.0 or [::] for all)";
		return -1;
	}
	if ((size_t)(he - hs) >= host_len) {
		*why = "address too long";
		return -1;
	}
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1) {
		*why = v6 ? "not a numeric IPv6 address"
			  : "not a numeric IPv4 address";
		return -1;
	}
	if (str_parse_ll(colon + 1, &p) == -1 || p < 1 || p > 65535) {
		*why = "port must be a number between 1 and 65535";
		return -1;
	}
	*port = (int)p;
	return 0;
}
