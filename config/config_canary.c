/*
 * config_canary.c - strategy.canary.steps: parsing the step list
 * ("setWeight 20, pause 30s, setWeight 50, pause"; not `;`, which
 * starts an INI comment after a blank), its copy, release and
 * printing, and the stickiness cookie's name. Value syntax only; which strategy
 * may carry steps is config_validate.c's, what the steps do the orchestrator's
 * (canary.c).
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "config_internal.h"

void canary_steps_free(struct canary_steps *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].header);
		free(s->v[i].header_value);
		strv_free(&s->v[i].templates);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void canary_steps_dup(struct canary_steps *dst, const struct canary_steps *src)
{
	dst->n = src->n;
	dst->v = NULL;
	if (src->n == 0)
		return;
	dst->v = xcalloc(src->n, sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i] = src->v[i];
		if (src->v[i].header)
			dst->v[i].header = xstrdup(src->v[i].header);
		if (src->v[i].header_value)
			dst->v[i].header_value =
			    xstrdup(src->v[i].header_value);
		dst->v[i].templates = (struct strv){0};
		for (size_t t = 0; t < src->v[i].templates.n; t++)
			cfg_strv_add(&dst->v[i].templates,
				     src->v[i].templates.v[t]);
	}
}

static const char *const match_names[] = {"exact", "prefix", "regex"};

const char *canary_step_str(const struct canary_step *st, char *buf, size_t len)
{
	switch (st->kind) {
	case CANARY_SET_WEIGHT:
		snprintf(buf, len, "setWeight %d", st->value);
		break;
	case CANARY_PAUSE:
		if (st->pause_seconds < 0)
			snprintf(buf, len, "pause");
		else
			snprintf(buf, len, "pause %llds",
				 (long long)st->pause_seconds);
		break;
	case CANARY_SET_CANARY_SCALE:
		if (st->scale == CANARY_SCALE_REPLICAS)
			snprintf(buf, len, "setCanaryScale replicas %d",
				 st->value);
		else if (st->scale == CANARY_SCALE_WEIGHT)
			snprintf(buf, len, "setCanaryScale weight %d",
				 st->value);
		else
			snprintf(buf, len, "setCanaryScale matchTrafficWeight");
		break;
	case CANARY_ANALYSIS: {
		size_t n = (size_t)snprintf(buf, len, "analysis");

		for (size_t i = 0; i < st->templates.n && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, " %s",
					      st->templates.v[i]);
		break;
	}
	case CANARY_SET_HEADER_ROUTE:
		if (st->header == NULL)
			snprintf(buf, len, "setHeaderRoute");
		else
			snprintf(buf, len, "setHeaderRoute %s %s %s",
				 st->header, match_names[st->match],
				 st->header_value);
		break;
	case CANARY_SET_MIRROR_ROUTE:
		if (st->value == 0)
			snprintf(buf, len, "setMirrorRoute");
		else
			snprintf(buf, len, "setMirrorRoute %d", st->value);
		break;
	}
	return buf;
}

/* A whole number 0..max, or -1. */
static long number(const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return v;
}

/* Argo's pause duration: N (seconds), Ns, Nm or Nh; -1 when invalid. */
static int64_t duration(const char *s)
{
	size_t n = strlen(s);
	int64_t mult = 1;
	char num[32];
	long v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's':
		num[--n] = '\0';
		break;
	case 'm':
		mult = 60;
		num[--n] = '\0';
		break;
	case 'h':
		mult = 3600;
		num[--n] = '\0';
		break;
	default:
		break;
	}
	v = number(num, 100000000L);
	return v < 0 ? -1 : (int64_t)v * mult;
}

static bool header_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s <= 32 || *s >= 127 || strchr("()<>@,;:\\\"/[]?={}", *s))
			return false;
	return true;
}

/* Parses one step (words split on blanks) into st; -1 after cfg_perr. */
static int parse_step(struct cfg_parse *pc, char *text, size_t idx,
		      struct canary_step *st)
{
	char *w[6];
	size_t n = 0;
	long v;

	for (char *save = NULL, *t = strtok_r(text, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == 5)
			return cfg_perr(pc, "%s: step %zu: too many words",
					pc->key, idx);
		w[n++] = t;
	}
	w[n] = NULL;
	memset(st, 0, sizeof(*st));
	st->line = pc->line;
	if (!strcmp(w[0], "setWeight")) {
		st->kind = CANARY_SET_WEIGHT;
		v = n == 2 ? number(w[1], 100) : -1;
		if (v < 0)
			return cfg_perr(pc,
					"%s: step %zu: setWeight takes one "
					"percentage 0..100 (e.g. setWeight 20)",
					pc->key, idx);
		st->value = (int)v;
		return 0;
	}
	if (!strcmp(w[0], "pause")) {
		st->kind = CANARY_PAUSE;
		st->pause_seconds = -1;
		if (n == 1)
			return 0;
		st->pause_seconds = n == 2 ? duration(w[1]) : -1;
		if (st->pause_seconds < 0)
			return cfg_perr(pc,
					"%s: step %zu: pause takes nothing "
					"(until promoted) or a duration: N, "
					"Ns, Nm or Nh",
					pc->key, idx);
		return 0;
	}
	if (!strcmp(w[0], "setCanaryScale")) {
		st->kind = CANARY_SET_CANARY_SCALE;
		if (n == 2 && !strcmp(w[1], "matchTrafficWeight")) {
			st->scale = CANARY_SCALE_MATCH;
			return 0;
		}
		if (n == 3 && !strcmp(w[1], "replicas") &&
		    (v = number(w[2], 1000000)) >= 0) {
			st->scale = CANARY_SCALE_REPLICAS;
			st->value = (int)v;
			return 0;
		}
		if (n == 3 && !strcmp(w[1], "weight") &&
		    (v = number(w[2], 100)) >= 0) {
			st->scale = CANARY_SCALE_WEIGHT;
			st->value = (int)v;
			return 0;
		}
		return cfg_perr(pc,
				"%s: step %zu: setCanaryScale takes replicas "
				"N, weight N (0..100) or matchTrafficWeight",
				pc->key, idx);
	}
	if (!strcmp(w[0], "setHeaderRoute")) {
		st->kind = CANARY_SET_HEADER_ROUTE;
		if (n == 1)
			return 0;
		if (n != 4 || !header_name_ok(w[1]))
			return cfg_perr(pc,
					"%s: step %zu: setHeaderRoute takes "
					"nothing (removes the route) or NAME "
					"exact|prefix|regex VALUE",
					pc->key, idx);
		for (size_t m = 0; m < 3; m++)
			if (!strcmp(w[2], match_names[m])) {
				st->match = (enum header_match)m;
				break;
			} else if (m == 2) {
				return cfg_perr(pc,
						"%s: step %zu: `%s` is not "
						"exact, prefix or regex",
						pc->key, idx, w[2]);
			}
		if (st->match == HEADER_REGEX) {
			regex_t re;
			size_t len = strlen(w[3]) + 5;
			char *whole = xmalloc(len);
			int rc;

			/* As the proxy compiles it: the whole value. */
			snprintf(whole, len, "^(%s)$", w[3]);
			rc = regcomp(&re, whole, REG_EXTENDED | REG_NOSUB);
			free(whole);

			if (rc != 0) {
				char msg[128];

				regerror(rc, &re, msg, sizeof(msg));
				return cfg_perr(pc,
						"%s: step %zu: regex `%s`: %s",
						pc->key, idx, w[3], msg);
			}
			regfree(&re);
		}
		st->header = xstrdup(w[1]);
		st->header_value = xstrdup(w[3]);
		return 0;
	}
	if (!strcmp(w[0], "analysis")) {
		st->kind = CANARY_ANALYSIS;
		if (n == 1)
			return cfg_perr(pc,
					"%s: step %zu: analysis takes the "
					"names of [analysis NAME] sections "
					"(e.g. analysis error-rate)",
					pc->key, idx);
		for (size_t i = 1; i < n; i++)
			cfg_strv_add(&st->templates, w[i]);
		return 0;
	}
	if (!strcmp(w[0], "setMirrorRoute")) {
		st->kind = CANARY_SET_MIRROR_ROUTE;
		v = n == 1 ? 0 : n == 2 ? number(w[1], 100) : -1;
		if (v < 0)
			return cfg_perr(
			    pc,
			    "%s: step %zu: setMirrorRoute takes "
			    "nothing (removes the mirror) or one "
			    "percentage 0..100 (e.g. setMirrorRoute "
			    "20)",
			    pc->key, idx);
		st->value = (int)v;
		return 0;
	}
	return cfg_perr(
	    pc,
	    "%s: step %zu: `%s` is not a step (setWeight, pause, "
	    "setCanaryScale, setHeaderRoute, setMirrorRoute, analysis)",
	    pc->key, idx, w[0]);
}

int cfg_parse_cookie_name(struct cfg_parse *pc, const struct cfg_key *k,
			  void *field, const char *value)
{
	char *out = field;

	(void)k;
	if (strlen(value) >= 64 || !header_name_ok(value))
		return cfg_perr(pc,
				"%s: `%s` is not a cookie name (a token of "
				"at most 63 characters, no separators)",
				pc->key, value);
	snprintf(out, 64, "%s", value);
	return 0;
}

int cfg_parse_canary_steps(struct cfg_parse *pc, const struct cfg_key *k,
			   void *field, const char *value)
{
	struct canary_steps *out = field;
	char *copy = xstrdup(value), *save = NULL;
	size_t n0 = out->n, cap = out->n;

	/* Each occurrence of the key appends its steps (a long list spans
	 * lines); a bad step drops what this line added, nothing else. */
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		if (*t == '\0')
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			out->v = xrealloc(out->v, cap * sizeof(*out->v));
		}
		if (parse_step(pc, t, out->n + 1, &out->v[out->n]) == -1) {
			free(copy);
			for (size_t i = n0; i < out->n; i++) {
				free(out->v[i].header);
				free(out->v[i].header_value);
				strv_free(&out->v[i].templates);
			}
			out->n = n0;
			return -1;
		}
		out->n++;
	}
	free(copy);
	return 0;
}
