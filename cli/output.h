/*
 * output.h - kubectl-style printing: HumanDuration ages, tables whose column
 * widths come from their content (3 spaces between columns), the row
 * builders for each object kind and `-w` row diffing. Pure functions over
 * jansson documents and FILE streams; no I/O with the daemon.
 */
#ifndef BERTH_CLI_OUTPUT_H
#define BERTH_CLI_OUTPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define OUT_MAX_COLS 12

enum out_kind { OUT_PODS, OUT_DEPLOYMENTS, OUT_SERVICES, OUT_EVENTS };

struct out_table {
	size_t ncols;
	size_t nrows; /* row 0 is the header */
	char **cells; /* nrows * ncols, row-major */
};

/* kubectl's HumanDuration: 45s, 2m5s, 12m, 3h4m, 5h, 2d3h, 9d, 3y. */
void out_age(long long secs, char *buf, size_t len);

struct out_table *out_table_new(size_t ncols, const char *const *header);
void out_table_add(struct out_table *t, const char *const *cells);
void out_table_free(struct out_table *t);
/* Header and every row, widths from the content. */
void out_table_print(const struct out_table *t, FILE *f);

/* "pods", "deployments", "services", "events": the document's array key. */
const char *out_kind_key(enum out_kind kind);
/*
 * Builds the table (header included) for a document such as
 * {"pods":[...]}; NULL when the document lacks the array.
 */
struct out_table *out_table_from_doc(enum out_kind kind, const json_t *doc,
				     int wide);

/* `-w`: the first document prints in full, later ones new/changed rows. */
struct out_watch {
	enum out_kind kind;
	int wide;
	int header_done;
	size_t widths[OUT_MAX_COLS];
	json_t *seen; /* name -> signature of the row last printed */
};

void out_watch_init(struct out_watch *w, enum out_kind kind, int wide);
/* Prints what changed in doc; returns the number of rows printed. */
int out_watch_feed(struct out_watch *w, const json_t *doc, FILE *f);
void out_watch_free(struct out_watch *w);

/* Keeps only the items whose "name" is name; returns how many remain. */
size_t out_filter_name(json_t *doc, enum out_kind kind, const char *name);

#endif
