/*
 * config_ini.c - inih glue. Owns the line reader (physical line numbers,
 * the 200-character limit, section headers) and the inih handler that
 * hands each key to config_keys.c. Knows no key names.
 *
 * Why the reader does more than read:
 *  - inih (Debian's libinih 55) gives the handler no line number, so the
 *    reader counts lines and the handler reports errors at pc->line;
 *  - inih silently splits a line longer than INI_MAX_LINE, so the reader
 *    refuses such lines itself;
 *  - inih does not call the handler for a section header, so an empty
 *    [deployment x] would go unnoticed: the reader opens sections;
 *  - inih treats an indented line after a key as a continuation of that
 *    key's value; removing leading blanks makes indented keys plain keys.
 * inih's buffer holds INI_MAX_LINE - 1 characters, so the reader keeps the
 * full line in pc->text and the handler takes the value from there.
 */
#include <ctype.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "config_internal.h"

/* inih's find_chars_or_comment(): ';' starts a comment after a blank. */
static char *find_chars_or_comment(char *s, const char *chars)
{
	bool was_space = false;

	while (*s != '\0' && (chars == NULL || strchr(chars, *s) == NULL) &&
	       !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s) != 0;
		s++;
	}
	return s;
}

static void rstrip(char *s)
{
	char *e = s + strlen(s);

	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
}

int cfg_open_named(struct cfg_parse *pc, enum cfg_section sec, const char *kind,
		   const char *name)
{
	size_t n = sec == CFG_SEC_DEPLOYMENT ? pc->cfg->n_deployments
					     : pc->cfg->n_services;

	if (!str_is_dns_label(name, CFG_NAME_MAX))
		return cfg_perr(pc,
				"%s name \"%s\" must be a lowercase DNS-1123 "
				"label of at most %d characters ([a-z0-9-], "
				"starting and ending with a letter or digit)",
				kind, name, CFG_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *other = sec == CFG_SEC_DEPLOYMENT
					? pc->cfg->deployments[i].name
					: pc->cfg->services[i].name;
		int line = sec == CFG_SEC_DEPLOYMENT
			       ? pc->cfg->deployments[i].line
			       : pc->cfg->services[i].line;

		if (strcmp(other, name) == 0)
			return cfg_perr(pc,
					"duplicate section [%s %s] (first "
					"defined on line %d)",
					kind, name, line);
	}
	if (sec == CFG_SEC_DEPLOYMENT) {
		struct deployment_spec *d;

		pc->cfg->deployments =
		    xrealloc(pc->cfg->deployments,
			     (n + 1) * sizeof(*pc->cfg->deployments));
		d = &pc->cfg->deployments[n];
		cfg_deployment_defaults(d);
		d->name = xstrdup(name);
		d->line = pc->line;
		pc->cfg->n_deployments++;
	} else {
		struct service_spec *s;

		pc->cfg->services = xrealloc(
		    pc->cfg->services, (n + 1) * sizeof(*pc->cfg->services));
		s = &pc->cfg->services[n];
		cfg_service_defaults(s);
		s->name = xstrdup(name);
		s->line = pc->line;
		pc->cfg->n_services++;
	}
	pc->sec = sec;
	pc->idx = n;
	return 0;
}

/* Opens the section named by pc->text, which starts with '['. */
static int open_section(struct cfg_parse *pc)
{
	char buf[CFG_MAX_LINE + 1];
	char *end, *inner, *kind, *name, *extra, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", pc->text);
	end = find_chars_or_comment(buf + 1, "]");
	if (*end != ']')
		return cfg_perr(pc, "section header has no closing ']'");
	*end = '\0';
	{
		char *after = end + 1;

		while (isspace((unsigned char)*after))
			after++;
		if (*after != '\0' && *after != ';' && *after != '#')
			return cfg_perr(pc, "unexpected text after ']'");
	}
	inner = str_trim(buf + 1);
	kind = strtok_r(inner, " \t", &save);
	name = kind ? strtok_r(NULL, " \t", &save) : NULL;
	extra = name ? strtok_r(NULL, " \t", &save) : NULL;

	if (kind != NULL && strcmp(kind, "berth") == 0 && name == NULL) {
		if (pc->have_berth)
			return cfg_perr(pc,
					"duplicate section [berth] (first "
					"defined on line %d)",
					pc->berth_line);
		pc->have_berth = true;
		pc->berth_line = pc->line;
		pc->sec = CFG_SEC_BERTH;
		pc->idx = 0;
		return 0;
	}
	if (kind != NULL &&
	    (strcmp(kind, "deployment") == 0 || strcmp(kind, "service") == 0)) {
		if (name == NULL)
			return cfg_perr(pc, "[%s] needs a name: [%s NAME]",
					kind, kind);
		if (extra != NULL)
			return cfg_perr(pc, "[%s %s %s]: a %s name is one word",
					kind, name, extra, kind);
		return cfg_open_named(
		    pc, kind[0] == 'd' ? CFG_SEC_DEPLOYMENT : CFG_SEC_SERVICE,
		    kind, name);
	}
	if (kind != NULL && strcmp(kind, "analysis") == 0) {
		if (name == NULL || extra != NULL)
			return cfg_perr(pc, "[analysis] needs one name: "
					    "[analysis NAME]");
		return cfg_analysis_open(pc, name);
	}
	snprintf(buf, sizeof(buf), "%s", pc->text);
	*find_chars_or_comment(buf + 1, "]") = '\0';
	return cfg_perr(pc,
			"unknown section %s] (expected [berth], [deployment "
			"NAME], [service NAME] or [analysis NAME])",
			buf);
}

static char *reader(char *str, int num, void *stream)
{
	struct cfg_parse *pc = stream;
	const char *raw, *nl;
	size_t n;

	if (pc->failed || pc->pos >= pc->len)
		return NULL;
	pc->line++;
	raw = pc->buf + pc->pos;
	nl = memchr(raw, '\n', pc->len - pc->pos);
	n = nl ? (size_t)(nl - raw) : pc->len - pc->pos;
	pc->pos += n + (nl ? 1 : 0);
	if (n > 0 && raw[n - 1] == '\r')
		n--;
	if (memchr(raw, '\0', n) != NULL) {
		cfg_perr(pc, "line contains a NUL byte");
		return NULL;
	}
	if (n > CFG_MAX_LINE) {
		cfg_perr(pc, "line longer than %d characters", CFG_MAX_LINE);
		return NULL;
	}
	if (pc->line == 1 && n >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0) {
		raw += 3;
		n -= 3;
	}
	while (n > 0 &&
	       (*raw == ' ' || *raw == '\t' || *raw == '\f' || *raw == '\v')) {
		raw++;
		n--;
	}
	memcpy(pc->text, raw, n);
	pc->text[n] = '\0';
	if (pc->text[0] == '[' && open_section(pc) == -1)
		return NULL;
	if (num < 2)
		return NULL;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, pc->text, n);
	str[n] = '\0';
	return str;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct cfg_parse *pc = user;
	char buf[CFG_MAX_LINE + 1];
	char *v;

	if (pc->failed)
		return 0;
	if (pc->sec == CFG_SEC_NONE) {
		cfg_perr(pc,
			 "key \"%s\" is outside any section (start with "
			 "[berth], [deployment NAME] or [service NAME])",
			 name);
		return 0;
	}
	/* The same split as inih's, on the full line (see the top). */
	snprintf(buf, sizeof(buf), "%s", pc->text);
	v = find_chars_or_comment(buf, "=:");
	v = *v != '\0' ? v + 1 : v;
	*find_chars_or_comment(v, NULL) = '\0';
	while (isspace((unsigned char)*v))
		v++;
	rstrip(v);
	return cfg_keys_apply(pc, name, v) == 0;
}

/* The text of line `line` of the file, shortened, for a syntax error. */
static void line_excerpt(struct cfg_parse *pc, int line, char *out, size_t len)
{
	const char *p = pc->buf, *end = pc->buf + pc->len;
	size_t n;

	for (int i = 1; i < line && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	n = strcspn(p, "\r\n");
	if (n > (size_t)(end - p))
		n = (size_t)(end - p);
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	rstrip(out);
}

int cfg_ini_parse(struct cfg_parse *pc)
{
	int r = ini_parse_stream(reader, pc, handler, pc);

	if (r == -2) {
		berr_set(pc->err, "%s: out of memory", pc->file);
		return -1;
	}
	if (r > 0 && (!pc->failed || (pc->err_line > 0 && r < pc->err_line))) {
		char text[48];

		line_excerpt(pc, r, text, sizeof(text));
		pc->failed = false;
		pc->line = r;
		cfg_perr(
		    pc,
		    "expected \"key = value\", \"[section]\" or a comment, "
		    "got \"%s\"",
		    text);
	}
	return pc->failed ? -1 : 0;
}
