/*
 * expr.c - the condition language (see expr.h): tokenizer, recursive-
 * descent parser with a light type check (numbers vs conditions), and
 * the evaluator. Knows no provider and no field name: references are
 * resolved through the caller's lookup.
 */
#include "expr.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

#define REF_MAX 128
#define DEPTH_MAX 64

enum node_kind { N_NUM, N_BOOL, N_REF, N_NEG, N_NOT, N_AND, N_OR, N_CMP };
enum cmp_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };
/* What a node yields, as far as the parser knows. */
enum vtype { T_NUM, T_BOOL, T_ANY };

struct expr {
	enum node_kind kind;
	enum vtype type;
	enum cmp_op op;
	double num;
	char *ref;
	int column;
	struct expr *l, *r;
};

static const char *const op_text[] = {"<", "<=", ">", ">=", "==", "!="};

enum tok_kind {
	TK_END,
	TK_NUM,
	TK_NAME,
	TK_LPAREN,
	TK_RPAREN,
	TK_DOT,
	TK_CMP,
	TK_AND,
	TK_OR,
	TK_NOT,
	TK_MINUS,
	TK_BAD
};

struct parser {
	const char *src;
	size_t pos; /* of the next token's start */
	enum tok_kind tk;
	size_t tk_pos, tk_len;
	enum cmp_op tk_op;
	double tk_num;
	int depth;
	struct berr *err;
	bool failed;
};

static int column(const struct parser *p)
{
	return (int)p->tk_pos + 1;
}

__attribute__((format(printf, 2, 3))) static struct expr *
fail(struct parser *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (p->failed)
		return NULL;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berr_set(p->err, "column %d: %s", column(p), msg);
	return NULL;
}

/* The current token as written, for messages. */
static const char *tok_text(const struct parser *p, char *buf, size_t len)
{
	size_t n = p->tk_len;

	if (p->tk == TK_END)
		return "the end";
	if (n > 24)
		n = 24;
	snprintf(buf, len, "`%.*s`", (int)n, p->src + p->tk_pos);
	return buf;
}

static bool word_is(const struct parser *p, const char *w)
{
	return p->tk_len == strlen(w) &&
	       !memcmp(p->src + p->tk_pos, w, p->tk_len);
}

static void next(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->pos;

	while (s[i] == ' ' || s[i] == '\t')
		i++;
	p->tk_pos = i;
	p->tk_len = 1;
	if (s[i] == '\0') {
		p->tk = TK_END;
		p->tk_len = 0;
	} else if (isdigit((unsigned char)s[i]) ||
		   (s[i] == '.' && isdigit((unsigned char)s[i + 1]))) {
		size_t j = i;

		while (isdigit((unsigned char)s[j]))
			j++;
		if (s[j] == '.') {
			j++;
			while (isdigit((unsigned char)s[j]))
				j++;
		}
		if ((s[j] == 'e' || s[j] == 'E') &&
		    (isdigit((unsigned char)s[j + 1]) ||
		     ((s[j + 1] == '+' || s[j + 1] == '-') &&
		      isdigit((unsigned char)s[j + 2])))) {
			j += 2;
			while (isdigit((unsigned char)s[j]))
				j++;
		}
		p->tk = TK_NUM;
		p->tk_len = j - i;
		if (isalpha((unsigned char)s[j]) || s[j] == '_') {
			/* "5xx", "1e": not a number nor a name */
			while (isalnum((unsigned char)s[j]) || s[j] == '_')
				j++;
			p->tk = TK_BAD;
			p->tk_len = j - i;
		} else {
			char num[64];

			snprintf(num, sizeof(num), "%.*s", (int)p->tk_len,
				 s + i);
			errno = 0;
			p->tk_num = strtod(num, NULL);
			if (errno == ERANGE || !isfinite(p->tk_num))
				p->tk = TK_BAD;
		}
	} else if (isalpha((unsigned char)s[i]) || s[i] == '_') {
		size_t j = i;

		while (isalnum((unsigned char)s[j]) || s[j] == '_')
			j++;
		p->tk_len = j - i;
		p->tk = TK_NAME;
		if (word_is(p, "and"))
			p->tk = TK_AND;
		else if (word_is(p, "or"))
			p->tk = TK_OR;
		else if (word_is(p, "not"))
			p->tk = TK_NOT;
	} else if (s[i] == '(') {
		p->tk = TK_LPAREN;
	} else if (s[i] == ')') {
		p->tk = TK_RPAREN;
	} else if (s[i] == '.') {
		p->tk = TK_DOT;
	} else if (s[i] == '-') {
		p->tk = TK_MINUS;
	} else if (s[i] == '&' && s[i + 1] == '&') {
		p->tk = TK_AND;
		p->tk_len = 2;
	} else if (s[i] == '|' && s[i + 1] == '|') {
		p->tk = TK_OR;
		p->tk_len = 2;
	} else if ((s[i] == '<' || s[i] == '>' || s[i] == '=' || s[i] == '!') &&
		   s[i + 1] == '=') {
		p->tk = TK_CMP;
		p->tk_len = 2;
		p->tk_op = s[i] == '<'	 ? OP_LE
			   : s[i] == '>' ? OP_GE
			   : s[i] == '=' ? OP_EQ
					 : OP_NE;
	} else if (s[i] == '<' || s[i] == '>') {
		p->tk = TK_CMP;
		p->tk_op = s[i] == '<' ? OP_LT : OP_GT;
	} else if (s[i] == '!') {
		p->tk = TK_NOT;
	} else {
		p->tk = TK_BAD;
	}
	p->pos = p->tk_pos + p->tk_len;
}

static struct expr *node(enum node_kind k, enum vtype t, int col)
{
	struct expr *e = xcalloc(1, sizeof(*e));

	e->kind = k;
	e->type = t;
	e->column = col;
	return e;
}

void expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	expr_free(e->l);
	expr_free(e->r);
	free(e->ref);
	free(e);
}

static struct expr *parse_or(struct parser *p);

static struct expr *bad_token(struct parser *p)
{
	char buf[40];

	if (p->tk_len == 1 && p->src[p->tk_pos] == '=')
		return fail(p, "unexpected `=` (compare with `==`)");
	if (p->tk_len == 1 &&
	    (p->src[p->tk_pos] == '&' || p->src[p->tk_pos] == '|'))
		return fail(p,
			    "unexpected %s (write `and` / `&&`, `or` / "
			    "`||`)",
			    tok_text(p, buf, sizeof(buf)));
	return fail(p, "unexpected %s", tok_text(p, buf, sizeof(buf)));
}

static const char *type_name(enum vtype t)
{
	return t == T_NUM ? "a number" : "a condition";
}

static struct expr *parse_operand(struct parser *p)
{
	char buf[40];
	struct expr *e;
	int col = column(p);

	switch (p->tk) {
	case TK_NUM:
		e = node(N_NUM, T_NUM, col);
		e->num = p->tk_num;
		next(p);
		return e;
	case TK_MINUS:
		next(p);
		if (++p->depth > DEPTH_MAX)
			return fail(p, "nested too deeply");
		e = parse_operand(p);
		p->depth--;
		if (e == NULL)
			return NULL;
		if (e->type == T_BOOL) {
			p->tk_pos = (size_t)e->column - 1;
			expr_free(e);
			return fail(p, "`-` needs a number, not a condition");
		}
		if (e->kind == N_NUM) {
			e->num = -e->num;
			return e;
		}
		{
			struct expr *n = node(N_NEG, T_NUM, col);

			n->l = e;
			return n;
		}
	case TK_LPAREN:
		next(p);
		if (++p->depth > DEPTH_MAX)
			return fail(p, "nested too deeply");
		e = parse_or(p);
		p->depth--;
		if (e == NULL)
			return NULL;
		if (p->tk != TK_RPAREN) {
			expr_free(e);
			return fail(p,
				    "expected `)` (for the `(` at column "
				    "%d), found %s",
				    col, tok_text(p, buf, sizeof(buf)));
		}
		next(p);
		return e;
	case TK_NAME:
		if (word_is(p, "true") || word_is(p, "false")) {
			e = node(N_BOOL, T_BOOL, col);
			e->num = word_is(p, "true");
			next(p);
			return e;
		}
		if (!word_is(p, "result"))
			return fail(p,
				    "unknown name %s (expected `result`, "
				    "`result.FIELD`, a number, `true` or "
				    "`false`)",
				    tok_text(p, buf, sizeof(buf)));
		{
			char ref[REF_MAX];
			size_t n = 0;

			n += (size_t)snprintf(ref, sizeof(ref), "result");
			next(p);
			if (p->tk == TK_NUM && p->src[p->tk_pos] == '.')
				return fail(p,
					    "a field name starts with a "
					    "letter, found %s",
					    tok_text(p, buf, sizeof(buf)));
			while (p->tk == TK_DOT) {
				next(p);
				if (p->tk != TK_NAME)
					return fail(
					    p,
					    "expected a field name "
					    "after `.`, found %s",
					    tok_text(p, buf, sizeof(buf)));
				if (n + 1 + p->tk_len >= sizeof(ref))
					return fail(p, "reference too long");
				n += (size_t)snprintf(ref + n, sizeof(ref) - n,
						      ".%.*s", (int)p->tk_len,
						      p->src + p->tk_pos);
				next(p);
			}
			e = node(N_REF, T_ANY, col);
			e->ref = xstrdup(ref);
			return e;
		}
	case TK_END:
		return fail(p, "expected a number, `result` or `(`, found "
			       "the end of the condition");
	case TK_BAD:
		return bad_token(p);
	default:
		return fail(p, "expected a number, `result` or `(`, found %s",
			    tok_text(p, buf, sizeof(buf)));
	}
}

static struct expr *parse_compare(struct parser *p)
{
	struct expr *l = parse_operand(p), *r, *e;
	enum cmp_op op;
	int col;
	char buf[40];

	if (l == NULL)
		return NULL;
	if (p->tk != TK_CMP)
		return l;
	op = p->tk_op;
	col = column(p);
	next(p);
	r = parse_operand(p);
	if (r == NULL) {
		expr_free(l);
		return NULL;
	}
	e = node(N_CMP, T_BOOL, col);
	e->op = op;
	e->l = l;
	e->r = r;
	if (op != OP_EQ && op != OP_NE &&
	    (l->type == T_BOOL || r->type == T_BOOL)) {
		expr_free(e);
		p->tk_pos = (size_t)col - 1;
		return fail(p, "`%s` compares numbers, not conditions",
			    op_text[op]);
	}
	if ((op == OP_EQ || op == OP_NE) && l->type != T_ANY &&
	    r->type != T_ANY && l->type != r->type) {
		expr_free(e);
		p->tk_pos = (size_t)col - 1;
		return fail(p, "`%s` between a number and a condition",
			    op_text[op]);
	}
	if (p->tk == TK_CMP) {
		expr_free(e);
		return fail(p, "comparisons do not chain: write `a < b and b "
			       "< c`, not `a < b < c`");
	}
	(void)buf;
	return e;
}

static struct expr *need_cond(struct parser *p, struct expr *e,
			      const char *what, int col)
{
	if (e && e->type == T_NUM) {
		enum vtype t = e->type;

		expr_free(e);
		p->tk_pos = (size_t)col - 1;
		return fail(p,
			    "%s needs a condition, not %s (compare it: "
			    "e.g. `result > 0`)",
			    what, type_name(t));
	}
	return e;
}

static struct expr *parse_not(struct parser *p)
{
	int col = column(p);
	struct expr *e, *n;

	if (p->tk != TK_NOT)
		return parse_compare(p);
	next(p);
	if (++p->depth > DEPTH_MAX)
		return fail(p, "nested too deeply");
	e = parse_not(p);
	p->depth--;
	if (e == NULL)
		return NULL;
	if (need_cond(p, e, "`not`", e->column) == NULL)
		return NULL;
	n = node(N_NOT, T_BOOL, col);
	n->l = e;
	return n;
}

static struct expr *parse_binary(struct parser *p, enum tok_kind tk,
				 enum node_kind nk, const char *name,
				 struct expr *(*sub)(struct parser *))
{
	struct expr *l = sub(p), *r, *e;

	while (l && p->tk == tk) {
		int col = column(p);

		next(p);
		r = sub(p);
		if (r == NULL) {
			expr_free(l);
			return NULL;
		}
		if (need_cond(p, l, name, l->column) == NULL) {
			expr_free(r);
			return NULL;
		}
		if (need_cond(p, r, name, r->column) == NULL) {
			expr_free(l);
			return NULL;
		}
		e = node(nk, T_BOOL, col);
		e->l = l;
		e->r = r;
		l = e;
	}
	return l;
}

static struct expr *parse_and(struct parser *p)
{
	return parse_binary(p, TK_AND, N_AND, "`and`", parse_not);
}

static struct expr *parse_or(struct parser *p)
{
	return parse_binary(p, TK_OR, N_OR, "`or`", parse_and);
}

struct expr *expr_parse(const char *src, struct berr *err)
{
	struct parser p = {.src = src, .err = err};
	struct expr *e;
	char buf[40];

	next(&p);
	if (p.tk == TK_END)
		return fail(&p, "the condition is empty");
	e = parse_or(&p);
	if (e == NULL)
		return NULL;
	if (p.tk != TK_END) {
		expr_free(e);
		if (p.tk == TK_BAD)
			return bad_token(&p);
		return fail(&p, "unexpected %s after a complete condition",
			    tok_text(&p, buf, sizeof(buf)));
	}
	if (e->type == T_NUM) {
		expr_free(e);
		p.tk_pos = 0;
		return fail(&p, "the condition is a number, not a condition "
				"(compare it: e.g. `result > 0`)");
	}
	return e;
}

static int eval(const struct expr *e, expr_lookup_fn lookup, void *arg,
		struct expr_val *out, struct berr *err)
{
	struct expr_val a, b;

	switch (e->kind) {
	case N_NUM:
		*out = (struct expr_val){.num = e->num};
		return 0;
	case N_BOOL:
		*out = (struct expr_val){.is_bool = true, .num = e->num};
		return 0;
	case N_REF:
		if (lookup(arg, e->ref, out, err) == -1)
			return berr_wrap(err, "column %d", e->column);
		return 0;
	case N_NEG:
		if (eval(e->l, lookup, arg, &a, err) == -1)
			return -1;
		if (a.is_bool)
			return berr_set(err,
					"column %d: `-` needs a number, "
					"`%s` is a condition",
					e->l->column, e->l->ref);
		*out = (struct expr_val){.num = -a.num};
		return 0;
	case N_NOT:
	case N_AND:
	case N_OR:
		if (eval(e->l, lookup, arg, &a, err) == -1)
			return -1;
		if (!a.is_bool)
			return berr_set(err,
					"column %d: `%s` is a number (%g), "
					"not a condition",
					e->l->column,
					e->l->ref ? e->l->ref : "operand",
					a.num);
		if (e->kind == N_NOT) {
			*out = (struct expr_val){.is_bool = true,
						 .num = a.num == 0};
			return 0;
		}
		/* Short-circuit, as Argo's expr does. */
		if ((e->kind == N_AND && a.num == 0) ||
		    (e->kind == N_OR && a.num != 0)) {
			*out = a;
			return 0;
		}
		if (eval(e->r, lookup, arg, &b, err) == -1)
			return -1;
		if (!b.is_bool)
			return berr_set(err,
					"column %d: `%s` is a number (%g), "
					"not a condition",
					e->r->column,
					e->r->ref ? e->r->ref : "operand",
					b.num);
		*out = b;
		return 0;
	case N_CMP:
		if (eval(e->l, lookup, arg, &a, err) == -1 ||
		    eval(e->r, lookup, arg, &b, err) == -1)
			return -1;
		if (e->op != OP_EQ && e->op != OP_NE &&
		    (a.is_bool || b.is_bool))
			return berr_set(err,
					"column %d: `%s` compares numbers, "
					"not conditions",
					e->column, op_text[e->op]);
		if (a.is_bool != b.is_bool)
			return berr_set(err,
					"column %d: `%s` between a number "
					"and a condition",
					e->column, op_text[e->op]);
		out->is_bool = true;
		switch (e->op) {
		case OP_LT:
			out->num = a.num < b.num;
			break;
		case OP_LE:
			out->num = a.num <= b.num;
			break;
		case OP_GT:
			out->num = a.num > b.num;
			break;
		case OP_GE:
			out->num = a.num >= b.num;
			break;
		case OP_EQ:
			out->num = a.num == b.num;
			break;
		case OP_NE:
			out->num = a.num != b.num;
			break;
		}
		return 0;
	}
	return berr_set(err, "bad expression node");
}

int expr_eval(const struct expr *e, expr_lookup_fn lookup, void *arg, bool *out,
	      struct berr *err)
{
	struct expr_val v;

	if (eval(e, lookup, arg, &v, err) == -1)
		return -1;
	if (!v.is_bool)
		return berr_set(err,
				"the condition gave a number (%g), not "
				"true or false",
				v.num);
	*out = v.num != 0;
	return 0;
}

int expr_walk_refs(const struct expr *e,
		   int (*fn)(void *arg, const char *ref, int column), void *arg)
{
	int r;

	if (e == NULL)
		return 0;
	if (e->kind == N_REF)
		return fn(arg, e->ref, e->column);
	if ((r = expr_walk_refs(e->l, fn, arg)) != 0)
		return r;
	return expr_walk_refs(e->r, fn, arg);
}
