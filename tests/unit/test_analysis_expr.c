/*
 * test_analysis_expr.c - the condition language of analysis metrics
 * (analysis/expr.c): table-driven evaluation over a fixed result, and
 * syntax, type and evaluation errors with their columns.
 */
#include <string.h>

#include "../../analysis/expr.h"
#include "../lib/tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* result = 0.97; result.successRate = 0.962; result.requests = 412;
 * result.ok = true; result.neg = -2. */
static int lookup(void *arg, const char *ref, struct expr_val *out,
		  struct berr *err)
{
	static const struct {
		const char *ref;
		bool is_bool;
		double num;
	} vals[] = {
	    {"result", false, 0.97},
	    {"result.successRate", false, 0.962},
	    {"result.requests", false, 412},
	    {"result.ok", true, 1},
	    {"result.neg", false, -2},
	};

	(void)arg;
	for (size_t i = 0; i < N(vals); i++)
		if (!strcmp(vals[i].ref, ref)) {
			out->is_bool = vals[i].is_bool;
			out->num = vals[i].num;
			return 0;
		}
	return berr_set(err, "no field `%s`", ref);
}

/* condition, expected: "true", "false" or "ERR:message" */
static const char *const cases[][2] = {
    {"result >= 0.95", "true"},
    {"result < 0.95", "false"},
    {"result > 0.97", "false"},
    {"result < 0.97", "false"},
    {"result != 0.96", "true"},
    {"result >= 0.97", "true"},
    {"result <= 0.97", "true"},
    {"result == 0.97", "true"},
    {"result != 0.97", "false"},
    {"result.successRate >= 0.99", "false"},
    {"result.successRate < 0.99", "true"},
    {"result.requests > 100 and result.successRate >= 0.95", "true"},
    {"result.requests > 1000 or result.successRate >= 0.95", "true"},
    {"result.requests > 1000 or result.successRate >= 0.99", "false"},
    {"result.requests > 1000 || result.successRate > 0.9", "true"},
    {"result.requests > 1 && result.successRate > 0.99", "false"},
    {"not result.requests > 1000", "true"},
    {"!(result.requests > 1000)", "true"},
    {"not not result.ok", "true"},
    {"result.ok", "true"},
    {"result.ok == true", "true"},
    {"result.ok != false", "true"},
    {"true", "true"},
    {"false", "false"},
    {"true and false", "false"},
    {"false or true and false", "false"}, /* and binds tighter */
    {"(false or true) and true", "true"},
    {"((((result > 0))))", "true"},
    {"result.neg < 0", "true"},
    {"result.neg == -2", "true"},
    {"-result.neg == 2", "true"},
    {"- 2 < -1", "true"},
    {"1e3 == 1000", "true"},
    {"2.5E-1 == 0.25", "true"},
    {".5 == 0.5", "true"},
    {"0 < 1", "true"},
    {"  result   >=0.5 ", "true"},
    {"result.requests>=412", "true"},
    /* short-circuit: the missing field is never looked up */
    {"false and result.missing > 1", "false"},
    {"true or result.missing > 1", "true"},
    /* errors at parse time, with columns */
    {"", "ERR:column 1: the condition is empty"},
    {"   ", "ERR:column 4: the condition is empty"},
    {"result >=", "ERR:column 10: expected a number, `result` or `(`, "
		  "found the end of the condition"},
    {"result > 0.9 and", "ERR:column 17: expected a number, `result` or "
			 "`(`, found the end of the condition"},
    {"(result > 1", "ERR:column 12: expected `)` (for the `(` at column 1), "
		    "found the end"},
    {"result > 1)", "ERR:column 11: unexpected `)` after a complete "
		    "condition"},
    {"result = 1", "ERR:column 8: unexpected `=` (compare with `==`)"},
    {"result > 0 & 1",
     "ERR:column 12: unexpected `&` (write `and` / `&&`, `or` / `||`)"},
    {"results > 1", "ERR:column 1: unknown name `results` (expected "
		    "`result`, `result.FIELD`, a number, `true` or `false`)"},
    {"result. > 1", "ERR:column 9: expected a field name after `.`, "
		    "found `>`"},
    {"result.5 > 1",
     "ERR:column 7: a field name starts with a letter, found `.5`"},
    {"5xx > 1", "ERR:column 1: unexpected `5xx`"},
    {"1", "ERR:column 1: the condition is a number, not a condition "
	  "(compare it: e.g. `result > 0`)"},
    {"result.requests", "ERR:the condition gave a number (412), not true "
			"or false"},
    {"0 < result < 1", "ERR:column 12: comparisons do not chain: write `a "
		       "< b and b < c`, not `a < b < c`"},
    {"1 and result > 0", "ERR:column 1: `and` needs a condition, not a "
			 "number (compare it: e.g. `result > 0`)"},
    {"result > 0 or 2", "ERR:column 15: `or` needs a condition, not a "
			"number (compare it: e.g. `result > 0`)"},
    {"not 3", "ERR:column 5: `not` needs a condition, not a number "
	      "(compare it: e.g. `result > 0`)"},
    {"true < 1", "ERR:column 6: `<` compares numbers, not conditions"},
    {"1 == true", "ERR:column 3: `==` between a number and a condition"},
    {"-true == 1", "ERR:column 2: `-` needs a number, not a condition"},
    {"result >= 1e999", "ERR:column 11: unexpected `1e999`"},
    {"result @ 1", "ERR:column 8: unexpected `@`"},
    {"result and", "ERR:column 11: expected a number, `result` or `(`, "
		   "found the end of the condition"},
    /* errors at evaluation */
    {"result.missing > 1", "ERR:column 1: no field `result.missing`"},
    {"result.ok > 0", "ERR:column 11: `>` compares numbers, not "
		      "conditions"},
    {"result.requests and true", "ERR:column 1: `result.requests` is a "
				 "number (412), not a condition"},
    {"result.ok == 1", "ERR:column 11: `==` between a number and a "
		       "condition"},
    {"-result.ok == 1", "ERR:column 2: `-` needs a number, `result.ok` is "
			"a condition"},
};

static int count_ref(void *arg, const char *ref, int column)
{
	char *buf = arg;
	char one[64];

	snprintf(one, sizeof(one), "%s%s@%d", buf[0] ? " " : "", ref, column);
	strncat(buf, one, 255 - strlen(buf));
	return 0;
}

int main(void)
{
	for (size_t i = 0; i < N(cases); i++) {
		struct berr err = BERR_INIT;
		struct expr *e = expr_parse(cases[i][0], &err);
		char got[600];
		bool v;

		if (e == NULL)
			snprintf(got, sizeof(got), "ERR:%s", err.msg);
		else if (expr_eval(e, lookup, NULL, &v, &err) == -1)
			snprintf(got, sizeof(got), "ERR:%s", err.msg);
		else
			snprintf(got, sizeof(got), "%s", v ? "true" : "false");
		is_str(got, cases[i][1], "`%s`", cases[i][0]);
		expr_free(e);
	}

	{
		struct berr err = BERR_INIT;
		struct expr *e = expr_parse(
		    "result.a > 1 and (not result.b.c < 2 or result == 3)",
		    &err);
		char refs[256] = "";

		ok(e != NULL, "nested references parse");
		expr_walk_refs(e, count_ref, refs);
		is_str(refs, "result.a@1 result.b.c@23 result@41",
		       "references are walked in order with their columns");
		expr_free(e);
	}
	{
		/* Deep nesting is refused, not a stack overflow. */
		char deep[400];
		struct berr err = BERR_INIT;

		memset(deep, '(', 300);
		strcpy(deep + 300, "true");
		ok(expr_parse(deep, &err) == NULL &&
		       strstr(err.msg, "nested too deeply"),
		   "300 parentheses: nested too deeply (%s)", err.msg);
		memset(deep, '!', 300);
		ok(expr_parse(deep, &err) == NULL &&
		       strstr(err.msg, "nested too deeply"),
		   "300 `!`: nested too deeply");
	}
	return tap_done();
}
