/*
 * route.c - a service's routing policy between stable and canary pods:
 * checking and compiling a struct proxy_route into an immutable snapshot
 * on the caller's thread, publishing it (an atomic pointer per service,
 * retired like endpoint snapshots), and matching header routes against a
 * request head. Must not choose backends (balance.c does) or do I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/xalloc.h"
#include "internal.h"

void proxy_routeset_free(struct proxy_routeset *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_headers; i++) {
		if (r->headers[i].match == PROXY_MATCH_REGEX)
			regfree(&r->headers[i].re);
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r);
}

static bool token_char(char c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static struct proxy_routeset *compile(const struct proxy_route *route,
				      struct berr *err)
{
	struct proxy_routeset *r;

	if (route->weight < 0 || route->weight > 100) {
		berr_set(err, "canary weight %d is outside 0..100",
			 route->weight);
		return NULL;
	}
	if (route->mirror_percent < 0 || route->mirror_percent > 100) {
		berr_set(err, "mirror percentage %d is outside 0..100",
			 route->mirror_percent);
		return NULL;
	}
	if (route->cookie && route->cookie[0]) {
		bool ok = strlen(route->cookie) < sizeof(r->cookie);

		for (const char *p = route->cookie; ok && *p; p++)
			ok = token_char(*p);
		if (!ok) {
			berr_set(err, "`%s` is not a cookie name",
				 route->cookie);
			return NULL;
		}
	}
	if (route->canary && strlen(route->canary) >= sizeof(r->canary)) {
		berr_set(err, "canary revision `%s` is too long",
			 route->canary);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r) + route->n_headers * sizeof(r->headers[0]));
	snprintf(r->canary, sizeof(r->canary), "%s",
		 route->canary ? route->canary : "");
	r->weight = route->weight;
	r->mirror = route->mirror_percent;
	snprintf(r->cookie, sizeof(r->cookie), "%s",
		 route->cookie ? route->cookie : "");
	for (size_t i = 0; i < route->n_headers; i++) {
		const struct proxy_header_route *h = &route->headers[i];
		struct proxy_hroute *o = &r->headers[i];
		bool name_ok = h->name && h->name[0];
		int rc;

		for (const char *p = h->name; name_ok && *p; p++)
			name_ok = token_char(*p);
		if (!name_ok || h->value == NULL) {
			berr_set(err,
				 "header route %zu: `%s` is not a header "
				 "name",
				 i + 1, h->name ? h->name : "");
			goto fail;
		}
		o->name = xstrdup(h->name);
		o->name_len = strlen(h->name);
		o->value = xstrdup(h->value);
		o->value_len = strlen(h->value);
		o->match = h->match;
		r->n_headers = i + 1;
		if (h->match != PROXY_MATCH_REGEX)
			continue;
		/* The whole value must match, as Envoy's regex match. */
		{
			size_t n = o->value_len + 5;
			char *whole = xmalloc(n);

			snprintf(whole, n, "^(%s)$", h->value);
			rc = regcomp(&o->re, whole, REG_EXTENDED | REG_NOSUB);
			free(whole);
		}
		if (rc != 0) {
			char msg[128];

			regerror(rc, &o->re, msg, sizeof(msg));
			/* Not compiled: nothing for regfree. */
			o->match = PROXY_MATCH_EXACT;
			berr_set(err, "header route %s: regex `%s`: %s",
				 h->name, h->value, msg);
			goto fail;
		}
	}
	return r;
fail:
	proxy_routeset_free(r);
	return NULL;
}

int proxy_route_publish(struct proxy *px, const char *service,
			const struct proxy_route *route, struct berr *err)
{
	struct proxy_routeset *r = NULL, *old;
	struct proxy_slot *slot;

	if (route) {
		r = compile(route, err);
		if (r == NULL)
			return -1;
	}
	pthread_mutex_lock(&px->lock);
	slot = proxy_slot_get(px, service);
	old = atomic_exchange_explicit(&slot->route, r, memory_order_acq_rel);
	if (old) {
		old->gen = ++px->gen;
		old->retired_next = px->retired_routes;
		px->retired_routes = old;
	}
	pthread_mutex_unlock(&px->lock);
	proxy_wake_all(px);
	return 0;
}

/* The value of header name in head (first occurrence), or NULL. */
static const char *header_value(const char *head, size_t len, const char *name,
				size_t name_len, size_t *vlen)
{
	const char *p = memchr(head, '\n', len), *end = head + len;

	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *v, *ve;

		if (eol == NULL)
			eol = end;
		if (*p == '\r' || *p == '\n')
			return NULL; /* the empty line: end of the head */
		if ((size_t)(eol - p) > name_len && p[name_len] == ':' &&
		    !strncasecmp(p, name, name_len)) {
			v = p + name_len + 1;
			ve = eol;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' ||
					  ve[-1] == '\t'))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		p = eol;
	}
	return NULL;
}

bool proxy_route_headers_match(const struct proxy_routeset *r, const char *head,
			       size_t len)
{
	if (r == NULL || r->n_headers == 0)
		return false;
	for (size_t i = 0; i < r->n_headers; i++) {
		const struct proxy_hroute *h = &r->headers[i];
		size_t vlen = 0;
		const char *v =
		    header_value(head, len, h->name, h->name_len, &vlen);
		char buf[1024];

		if (v == NULL)
			return false;
		switch (h->match) {
		case PROXY_MATCH_EXACT:
			if (vlen != h->value_len ||
			    memcmp(v, h->value, vlen) != 0)
				return false;
			break;
		case PROXY_MATCH_PREFIX:
			if (vlen < h->value_len ||
			    memcmp(v, h->value, h->value_len) != 0)
				return false;
			break;
		case PROXY_MATCH_REGEX:
			/* A longer value is cut at sizeof(buf) - 1 bytes. */
			if (vlen >= sizeof(buf))
				vlen = sizeof(buf) - 1;
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			if (regexec(&h->re, buf, 0, NULL, 0) != 0)
				return false;
			break;
		}
	}
	return true;
}

/* The side a cookie value names: "canary.HASH" or "stable.HASH". */
static int side_of(const struct proxy_routeset *r, const char *v, size_t n)
{
	size_t h = strlen(r->canary);

	if (n == 7 + h && !memcmp(v, "canary.", 7) &&
	    !memcmp(v + 7, r->canary, h))
		return 1;
	if (n == 7 + h && !memcmp(v, "stable.", 7) &&
	    !memcmp(v + 7, r->canary, h))
		return 0;
	return -1;
}

int proxy_route_cookie_side(const struct proxy_routeset *r, const char *head,
			    size_t len)
{
	const char *p = memchr(head, '\n', len), *end = head + len;
	size_t cn;

	if (r == NULL || r->cookie[0] == '\0' || r->canary[0] == '\0')
		return -1;
	cn = strlen(r->cookie);
	/* Every Cookie line, every "name=value" pair in it. */
	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *q;

		if (eol == NULL)
			eol = end;
		if (*p == '\r' || *p == '\n')
			return -1;
		if (eol - p < 7 || strncasecmp(p, "cookie:", 7) != 0) {
			p = eol;
			continue;
		}
		for (q = p + 7; q < eol;) {
			const char *pe = memchr(q, ';', (size_t)(eol - q));
			const char *ve;

			if (pe == NULL)
				pe = eol;
			while (q < pe && (*q == ' ' || *q == '\t'))
				q++;
			ve = pe;
			while (ve > q && (ve[-1] == '\r' || ve[-1] == ' ' ||
					  ve[-1] == '\t'))
				ve--;
			if ((size_t)(ve - q) > cn && q[cn] == '=' &&
			    !memcmp(q, r->cookie, cn))
				return side_of(r, q + cn + 1,
					       (size_t)(ve - q) - cn - 1);
			q = pe + 1;
		}
		p = eol;
	}
	return -1;
}
