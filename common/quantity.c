/*
 * quantity.c - Kubernetes quantity and percentage arithmetic (quantity.h).
 * Pure functions; must not include anything above libc.
 */
#include "quantity.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

typedef unsigned __int128 u128;

/* A parsed decimal "III.FFF": value = num / 10^scale. */
struct decimal {
	u128 num;
	int scale;
	const char *rest; /* first character after the number */
};

static int parse_decimal(const char *s, struct decimal *d)
{
	const char *p = s;
	int digits = 0;

	d->num = 0;
	d->scale = 0;
	while (isdigit((unsigned char)*p)) {
		if (digits++ > 30)
			goto range;
		d->num = d->num * 10 + (u128)(*p - '0');
		p++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (digits++ > 30)
				goto range;
			d->num = d->num * 10 + (u128)(*p - '0');
			d->scale++;
			p++;
		}
	}
	if (digits == 0) {
		errno = EINVAL;
		return -1;
	}
	d->rest = p;
	return 0;
range:
	errno = ERANGE;
	return -1;
}

/* ceil(d * mult / div) into *out, with overflow checks. */
static int scale_up(const struct decimal *d, u128 mult, u128 div, int64_t *out)
{
	u128 v, den = div;

	for (int i = 0; i < d->scale; i++)
		den *= 10;
	if (__builtin_mul_overflow(d->num, mult, &v)) {
		errno = ERANGE;
		return -1;
	}
	v = (v + den - 1) / den;
	if (v > (u128)INT64_MAX) {
		errno = ERANGE;
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

int quantity_parse_bytes(const char *s, int64_t *out)
{
	static const struct {
		const char *suffix;
		u128 mult;
	} suffixes[] = {
	    {"", 1},
	    {"Ki", (u128)1 << 10},
	    {"Mi", (u128)1 << 20},
	    {"Gi", (u128)1 << 30},
	    {"Ti", (u128)1 << 40},
	    {"Pi", (u128)1 << 50},
	    {"Ei", (u128)1 << 60},
	    {"k", 1000ULL},
	    {"M", 1000000ULL},
	    {"G", 1000000000ULL},
	    {"T", 1000000000000ULL},
	    {"P", 1000000000000000ULL},
	    {"E", 1000000000000000000ULL},
	};
	struct decimal d;

	if (parse_decimal(s, &d) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (strcmp(d.rest, suffixes[i].suffix) == 0)
			return scale_up(&d, suffixes[i].mult, 1, out);
	}
	errno = EINVAL;
	return -1;
}

int quantity_parse_millicpu(const char *s, int64_t *out)
{
	struct decimal d;

	if (parse_decimal(s, &d) == -1)
		return -1;
	if (strcmp(d.rest, "m") == 0)
		return scale_up(&d, 1, 1, out);
	if (*d.rest == '\0')
		return scale_up(&d, 1000, 1, out);
	errno = EINVAL;
	return -1;
}

int quantity_parse_int_or_percent(const char *s, struct int_or_percent *out)
{
	long long v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p)) {
		errno = EINVAL;
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > INT_MAX) {
			errno = ERANGE;
			return -1;
		}
	}
	if (*p == '%' && p[1] == '\0') {
		out->percent = true;
	} else if (*p == '\0') {
		out->percent = false;
	} else {
		errno = EINVAL;
		return -1;
	}
	out->value = (int)v;
	return 0;
}

int quantity_scaled(struct int_or_percent v, int total, bool round_up)
{
	long long num;

	if (!v.percent)
		return v.value;
	num = (long long)v.value * total;
	if (round_up)
		return (int)((num + 99) / 100);
	return (int)(num / 100);
}
