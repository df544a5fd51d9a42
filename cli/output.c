/*
 * output.c - tables, ages and `-w` diffing for the CLI, kubectl's way. Pure:
 * takes jansson documents, writes to the FILE given. Must not talk to the
 * daemon or parse argv.
 */
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

/* "3m", or "3m20s" when rest is not 0. */
static void two_units(char *buf, size_t len, long long n, char unit,
		      long long rest, char rest_unit)
{
	if (rest)
		snprintf(buf, len, "%lld%c%lld%c", n, unit, rest, rest_unit);
	else
		snprintf(buf, len, "%lld%c", n, unit);
}

/* kubectl's HumanDuration: two units while the bigger one is small, one
 * after. */
void out_age(long long secs, char *buf, size_t len)
{
	long long m = secs / 60, h = secs / 3600, d = h / 24, y = d / 365;

	if (secs < -1)
		snprintf(buf, len, "<invalid>");
	else if (secs < 120)
		snprintf(buf, len, "%llds", secs < 0 ? 0 : secs);
	else if (m < 10)
		two_units(buf, len, m, 'm', secs % 60, 's');
	else if (m < 180)
		two_units(buf, len, m, 'm', 0, 0);
	else if (h < 8)
		two_units(buf, len, h, 'h', m % 60, 'm');
	else if (h < 48)
		two_units(buf, len, h, 'h', 0, 0);
	else if (h < 24 * 8)
		two_units(buf, len, d, 'd', h % 24, 'h');
	else if (h < 24 * 365 * 2)
		two_units(buf, len, d, 'd', 0, 0);
	else if (h < 24 * 365 * 8)
		two_units(buf, len, y, 'y', d % 365, 'd');
	else
		two_units(buf, len, y, 'y', 0, 0);
}

struct out_table *out_table_new(size_t ncols, const char *const *header)
{
	struct out_table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	out_table_add(t, header);
	return t;
}

void out_table_add(struct out_table *t, const char *const *cells)
{
	size_t i;

	t->cells =
	    xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] =
		    xstrdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

void out_table_free(struct out_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* Widens widths[0..ncols) to fit every row (and the header). */
static void out_table_widths(const struct out_table *t, size_t *widths)
{
	size_t r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t w = strlen(t->cells[r * t->ncols + c]);

			if (w > widths[c])
				widths[c] = w;
		}
}

/* Prints rows [first, nrows) padded to widths; the last column unpadded. */
static void out_table_print_rows(const struct out_table *t, size_t first,
				 const size_t *widths, FILE *f)
{
	size_t r, c;

	for (r = first; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			if (c + 1 == t->ncols)
				fprintf(f, "%s\n", cell);
			else
				fprintf(f, "%-*s   ", (int)widths[c], cell);
		}
	}
	fflush(f);
}

void out_table_print(const struct out_table *t, FILE *f)
{
	size_t widths[OUT_MAX_COLS] = {0};

	out_table_widths(t, widths);
	out_table_print_rows(t, 0, widths, f);
}

const char *out_kind_key(enum out_kind kind)
{
	switch (kind) {
	case OUT_PODS:
		return "pods";
	case OUT_DEPLOYMENTS:
		return "deployments";
	case OUT_SERVICES:
		return "services";
	case OUT_EVENTS:
		return "events";
	}
	return "";
}

/* Column of AGE (excluded from watch diffs), per kind. */
static size_t age_column(enum out_kind kind)
{
	switch (kind) {
	case OUT_PODS:
	case OUT_DEPLOYMENTS:
		return 4;
	case OUT_SERVICES:
		return 5;
	case OUT_EVENTS:
		return 0;
	}
	return 0;
}

/* A scalar field as text: strings as is, numbers in decimal. */
static void field(const json_t *o, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(buf, len, "%s", "");
}

static long long int_field(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void age_field(const json_t *o, char *buf, size_t len)
{
	out_age(int_field(o, "age_seconds"), buf, len);
}

static void selector_text(const json_t *sel, char *buf, size_t len)
{
	const char *k;
	json_t *v;
	size_t o = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)sel, k, v)
	{
		int n = snprintf(buf + o, len - o, "%s%s=%s", o ? "," : "", k,
				 json_is_string(v) ? json_string_value(v) : "");

		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "<none>");
}

static void endpoints_text(const json_t *eps, char *buf, size_t len)
{
	size_t i, o = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach((json_t *)eps, i, v)
	{
		int n = snprintf(buf + o, len - o, "%s%s", o ? "," : "",
				 json_is_string(v) ? json_string_value(v) : "");

		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "<none>");
}

#define CELL 1024

static void row_pod(const json_t *p, int wide, char c[][CELL])
{
	field(p, "name", c[0], CELL);
	snprintf(c[1], CELL, "%s",
		 json_is_true(json_object_get(p, "ready")) ? "1/1" : "0/1");
	field(p, "status", c[2], CELL);
	snprintf(c[3], CELL, "%lld", int_field(p, "restarts"));
	age_field(p, c[4], CELL);
	if (!wide)
		return;
	if (int_field(p, "pid") > 0)
		snprintf(c[5], CELL, "%lld", int_field(p, "pid"));
	else
		snprintf(c[5], CELL, "<none>");
	field(p, "revision", c[6], CELL);
	field(p, "image", c[7], CELL);
}

static void row_deployment(const json_t *d, int wide, char c[][CELL])
{
	field(d, "name", c[0], CELL);
	snprintf(c[1], CELL, "%lld/%lld", int_field(d, "ready"),
		 int_field(d, "replicas"));
	snprintf(c[2], CELL, "%lld", int_field(d, "updated"));
	snprintf(c[3], CELL, "%lld", int_field(d, "available"));
	age_field(d, c[4], CELL);
	if (!wide)
		return;
	field(d, "strategy", c[5], CELL);
	field(d, "revision", c[6], CELL);
	field(d, "rollout", c[7], CELL);
}

static void row_service(const json_t *s, int wide, char c[][CELL])
{
	field(s, "name", c[0], CELL);
	field(s, "mode", c[1], CELL);
	field(s, "listen", c[2], CELL);
	selector_text(json_object_get(s, "selector"), c[3], CELL);
	endpoints_text(json_object_get(s, "endpoints"), c[4], CELL);
	age_field(s, c[5], CELL);
}

static void row_event(const json_t *e, int wide, char c[][CELL])
{
	age_field(e, c[0], CELL);
	field(e, "type", c[1], CELL);
	field(e, "reason", c[2], CELL);
	field(e, "object", c[3], CELL);
	field(e, "message", c[4], CELL);
}

struct kind_desc {
	const char *header[OUT_MAX_COLS];
	size_t ncols, ncols_wide;
	void (*row)(const json_t *item, int wide, char c[][CELL]);
};

static const struct kind_desc kinds[] = {
    [OUT_PODS] = {{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "PID",
		   "REVISION", "IMAGE"},
		  5,
		  8,
		  row_pod},
    [OUT_DEPLOYMENTS] = {{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE",
			  "STRATEGY", "REVISION", "ROLLOUT"},
			 5,
			 8,
			 row_deployment},
    [OUT_SERVICES] = {{"NAME", "MODE", "LISTEN", "SELECTOR", "ENDPOINTS",
		       "AGE"},
		      6,
		      6,
		      row_service},
    [OUT_EVENTS] = {{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"},
		    5,
		    5,
		    row_event},
};

struct out_table *out_table_from_doc(enum out_kind kind, const json_t *doc,
				     int wide)
{
	const struct kind_desc *k = &kinds[kind];
	const json_t *items = json_object_get(doc, out_kind_key(kind));
	size_t ncols = wide ? k->ncols_wide : k->ncols;
	struct out_table *t;
	char(*cells)[CELL];
	const char *ptrs[OUT_MAX_COLS];
	size_t i, c;
	json_t *item;

	if (!json_is_array(items))
		return NULL;
	t = out_table_new(ncols, k->header);
	cells = xcalloc(OUT_MAX_COLS, CELL);
	for (c = 0; c < ncols; c++)
		ptrs[c] = cells[c];
	json_array_foreach((json_t *)items, i, item)
	{
		if (!json_is_object(item))
			continue;
		for (c = 0; c < ncols; c++)
			cells[c][0] = '\0';
		k->row(item, wide, cells);
		out_table_add(t, ptrs);
	}
	free(cells);
	return t;
}

void out_watch_init(struct out_watch *w, enum out_kind kind, int wide)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->wide = wide;
	w->seen = json_object();
}

void out_watch_free(struct out_watch *w)
{
	json_decref(w->seen);
	w->seen = NULL;
}

/* Every displayed cell but AGE, joined: a changed row has a new one. */
static char *row_signature(const struct out_table *t, size_t r, size_t age)
{
	char *sig = xstrdup("");
	size_t c;

	for (c = 0; c < t->ncols; c++) {
		char *n;

		if (c == age)
			continue;
		n = xasprintf("%s%s\x1f", sig, t->cells[r * t->ncols + c]);
		free(sig);
		sig = n;
	}
	return sig;
}

int out_watch_feed(struct out_watch *w, const json_t *doc, FILE *f)
{
	struct out_table *t = out_table_from_doc(w->kind, doc, w->wide);
	struct out_table *pick;
	json_t *seen = json_object();
	size_t r, age = age_column(w->kind);
	int printed;

	if (t == NULL) {
		json_decref(seen);
		return 0;
	}
	pick = out_table_new(t->ncols, (const char *const *)t->cells);
	for (r = 1; r < t->nrows; r++) {
		const char *name = t->cells[r * t->ncols];
		char *sig = row_signature(t, r, age);
		const json_t *old = json_object_get(w->seen, name);

		/* Events have no identity: every row of a batch is new. */
		if (w->kind == OUT_EVENTS || !json_is_string(old) ||
		    strcmp(json_string_value(old), sig) != 0)
			out_table_add(
			    pick, (const char *const *)&t->cells[r * t->ncols]);
		if (w->kind != OUT_EVENTS)
			json_object_set_new(seen, name, json_string(sig));
		free(sig);
	}
	json_decref(w->seen);
	w->seen = seen;
	printed = (int)pick->nrows - 1;
	if (printed > 0) {
		out_table_widths(w->header_done ? pick : t, w->widths);
		out_table_print_rows(pick, w->header_done ? 1 : 0, w->widths,
				     f);
		w->header_done = 1;
	}
	out_table_free(pick);
	out_table_free(t);
	return printed;
}

size_t out_filter_name(json_t *doc, enum out_kind kind, const char *name)
{
	json_t *items = json_object_get(doc, out_kind_key(kind));
	size_t i = 0;

	if (!json_is_array(items))
		return 0;
	while (i < json_array_size(items)) {
		const json_t *n =
		    json_object_get(json_array_get(items, i), "name");

		if (json_is_string(n) &&
		    strcmp(json_string_value(n), name) == 0)
			i++;
		else
			json_array_remove(items, i);
	}
	return json_array_size(items);
}
