/*
 * test_quantity.c - table-driven tests of common/quantity.c: memory and CPU
 * quantities, int-or-percent parsing and Kubernetes rollout rounding.
 */
#include <errno.h>
#include <stdint.h>

#include "../../common/quantity.h"
#include "../lib/tap.h"

struct qcase {
	const char *in;
	int rc;
	int64_t want; /* when rc == 0; errno when rc == -1 */
};

static const struct qcase bytes_cases[] = {
    {"0", 0, 0},
    {"1000", 0, 1000},
    {"128Mi", 0, 134217728},
    {"1Ki", 0, 1024},
    {"1Gi", 0, 1073741824},
    {"1.5Gi", 0, 1610612736},
    {"2Ti", 0, 2199023255552LL},
    {"1Pi", 0, 1125899906842624LL},
    {"1Ei", 0, 1152921504606846976LL},
    {"1k", 0, 1000},
    {"1M", 0, 1000000},
    {"1G", 0, 1000000000},
    {"1T", 0, 1000000000000LL},
    {"1P", 0, 1000000000000000LL},
    {"1E", 0, 1000000000000000000LL},
    {"0.5", 0, 1},	  /* fractions round up to whole bytes */
    {"1.0001k", 0, 1001}, /* 1000.1 -> 1001 */
    {".5Ki", 0, 512},
    {"5.", 0, 5},
    {"8Ei", -1, ERANGE},
    {"9223372036854775807", 0, INT64_MAX},
    {"9223372036854775808", -1, ERANGE},
    {"", -1, EINVAL},
    {".", -1, EINVAL},
    {"Mi", -1, EINVAL},
    {"-1", -1, EINVAL},
    {"+1", -1, EINVAL},
    {"1 Mi", -1, EINVAL},
    {"1mi", -1, EINVAL},
    {"1m", -1, EINVAL},
    {"1Kb", -1, EINVAL},
    {"1e3", -1, EINVAL},
    {"1..5", -1, EINVAL},
};

static const struct qcase cpu_cases[] = {
    {"500m", 0, 500},	{"1", 0, 1000},	     {"0.5", 0, 500},
    {"2", 0, 2000},	{"1.25", 0, 1250},   {"0.0001", 0, 1},
    {"0", 0, 0},	{"100m", 0, 100},    {"1.5m", 0, 2},
    {"", -1, EINVAL},	{"m", -1, EINVAL},   {"1k", -1, EINVAL},
    {"-1", -1, EINVAL}, {"1 m", -1, EINVAL}, {"1M", -1, EINVAL},
};

struct pcase {
	const char *in;
	int rc;
	int value;
	bool percent;
};

static const struct pcase pct_cases[] = {
    {"25%", 0, 25, true},   {"0", 0, 0, false},
    {"3", 0, 3, false},	    {"0%", 0, 0, true},
    {"100%", 0, 100, true}, {"250%", 0, 250, true},
    {"", -1, 0, false},	    {"%", -1, 0, false},
    {"-1", -1, 0, false},   {"1.5%", -1, 0, false},
    {"25 %", -1, 0, false}, {"2%%", -1, 0, false},
    {"abc", -1, 0, false},  {"99999999999", -1, 0, false},
};

struct scase {
	struct int_or_percent v;
	int total;
	bool up;
	int want;
};

static const struct scase scaled_cases[] = {
    {{25, true}, 4, true, 1},  {{25, true}, 4, false, 1},
    {{25, true}, 10, true, 3}, {{25, true}, 10, false, 2},
    {{25, true}, 1, true, 1},  {{25, true}, 1, false, 0},
    {{0, true}, 10, true, 0},  {{100, true}, 7, false, 7},
    {{3, false}, 10, true, 3}, {{3, false}, 10, false, 3},
    {{50, true}, 3, true, 2},  {{50, true}, 3, false, 1},
    {{10, true}, 0, true, 0},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	for (size_t i = 0; i < N(bytes_cases); i++) {
		const struct qcase *c = &bytes_cases[i];
		int64_t v = -7;
		int rc;

		errno = 0;
		rc = quantity_parse_bytes(c->in, &v);
		is_int(rc, c->rc, "bytes \"%s\" rc", c->in);
		if (c->rc == 0)
			is_int(v, c->want, "bytes \"%s\" value", c->in);
		else
			is_int(errno, c->want, "bytes \"%s\" errno", c->in);
	}
	for (size_t i = 0; i < N(cpu_cases); i++) {
		const struct qcase *c = &cpu_cases[i];
		int64_t v = -7;
		int rc;

		errno = 0;
		rc = quantity_parse_millicpu(c->in, &v);
		is_int(rc, c->rc, "cpu \"%s\" rc", c->in);
		if (c->rc == 0)
			is_int(v, c->want, "cpu \"%s\" millis", c->in);
		else
			is_int(errno, c->want, "cpu \"%s\" errno", c->in);
	}
	for (size_t i = 0; i < N(pct_cases); i++) {
		const struct pcase *c = &pct_cases[i];
		struct int_or_percent v = {-1, false};
		int rc = quantity_parse_int_or_percent(c->in, &v);

		is_int(rc, c->rc, "int-or-percent \"%s\" rc", c->in);
		if (c->rc == 0) {
			is_int(v.value, c->value, "\"%s\" value", c->in);
			is_int(v.percent, c->percent, "\"%s\" percent", c->in);
		}
	}
	for (size_t i = 0; i < N(scaled_cases); i++) {
		const struct scase *c = &scaled_cases[i];

		is_int(quantity_scaled(c->v, c->total, c->up), c->want,
		       "scaled %d%s of %d rounding %s", c->v.value,
		       c->v.percent ? "%" : "", c->total,
		       c->up ? "up" : "down");
	}
	return tap_done();
}
