/*
 * expr.h - the condition language of analysis metrics
 * (successCondition, failureCondition): numbers, `true`/`false`,
 * `result` and its fields (`result.successRate`), comparisons
 * (< <= > >= == !=), `and` / `or` / `not` (also && || !) and
 * parentheses. A hand-written recursive-descent parser; errors name the
 * 1-based column. Pure: includes common/ only, so config/ can check a
 * condition while loading (the one include config/ makes of analysis/).
 *
 *   cond    := or
 *   or      := and { ("or" | "||") and }
 *   and     := not { ("and" | "&&") not }
 *   not     := ("not" | "!") not | compare
 *   compare := operand [ ("<" | "<=" | ">" | ">=" | "==" | "!=") operand ]
 *   operand := NUMBER | "true" | "false" | ref | "-" operand
 *            | "(" cond ")"
 *   ref     := "result" { "." NAME }
 *   NUMBER  := digits [ "." digits ] [ ("e"|"E") ["+"|"-"] digits ]
 *
 * Comparisons do not chain (`0 < result < 1` is an error: use `and`).
 */
#ifndef BERTH_ANALYSIS_EXPR_H
#define BERTH_ANALYSIS_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"

struct expr;

/* A value: a number, or a boolean (num 1 or 0). */
struct expr_val {
	bool is_bool;
	double num;
};

/* Parses src; NULL with err "column N: ..." on a syntax or type error. */
struct expr *expr_parse(const char *src, struct berr *err);
void expr_free(struct expr *e);

/*
 * Looks up a reference ("result", "result.successRate") for evaluation:
 * 0 with *out set, or -1 with err saying why (e.g. no such field).
 */
typedef int (*expr_lookup_fn)(void *arg, const char *ref, struct expr_val *out,
			      struct berr *err);

/* Evaluates a parsed condition: 0 with *out set, or -1 with err. */
int expr_eval(const struct expr *e, expr_lookup_fn lookup, void *arg, bool *out,
	      struct berr *err);

/* Calls fn for every reference in e, in source order, with its column;
 * stops at the first non-zero return, which it returns. */
int expr_walk_refs(const struct expr *e,
		   int (*fn)(void *arg, const char *ref, int column),
		   void *arg);

#endif
