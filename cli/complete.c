/*
 * complete.c - `berth __complete WORD...`: the candidates for the last
 * WORD of a command line (the words after "berth"), one per line, for
 * dist/berth.bash-completion. Verbs come from the verb table, flags and
 * subcommands from each verb's usage line, object names from the running
 * daemon; ":file" asks the shell for file names. Reads only.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/xalloc.h"
#include "doc.h"

#define MAX_TOKENS 32

/* One alternative of a usage line ("set image DEPLOYMENT IMAGE"). */
struct usage_alt {
	const char *pos[MAX_TOKENS]; /* positionals after the verb */
	size_t n_pos;
	const char *flag[MAX_TOKENS];
	const char *flag_value[MAX_TOKENS]; /* NULL: a flag without value */
	size_t n_flags;
};

struct find_verb {
	const char *name;
	const char *usage;
};

static void find_usage(const char *name, const char *usage, const char *help,
		       void *arg)
{
	struct find_verb *fv = arg;

	if (!strcmp(fv->name, name))
		fv->usage = usage;
}

static void print_verb(const char *name, const char *usage, const char *help,
		       void *arg)
{
	printf("%s\n", name);
}

/* Splits usage (a copy, cut in place) into its alternatives, separated by
 * " | VERB ". Returns how many. */
static size_t parse_usage(char *copy, const char *verb, struct usage_alt *alts,
			  size_t max)
{
	size_t n_alts = 0;
	char *save = NULL;
	struct usage_alt *a = NULL;
	bool first = true, bracket_closed = false;

	for (char *t = strtok_r(copy, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		size_t len;
		bool opens = t[0] == '[';

		if (!strcmp(t, "|")) {
			first = true;
			continue;
		}
		if (first) {
			first = false;
			if (n_alts == max)
				break;
			a = &alts[n_alts++];
			memset(a, 0, sizeof(*a));
			if (!strcmp(t, verb))
				continue;
		}
		t += opens;
		len = strlen(t);
		bracket_closed = len > 0 && t[len - 1] == ']';
		if (bracket_closed)
			t[--len] = '\0';
		if (!strcmp(t, "--")) {
			if (a->n_pos < MAX_TOKENS)
				a->pos[a->n_pos++] = t;
			continue;
		}
		if (t[0] == '-' && a->n_flags < MAX_TOKENS) {
			char *eq = strchr(t, '=');

			if (eq)
				*eq = '\0';
			a->flag[a->n_flags] = t;
			a->flag_value[a->n_flags] = NULL;
			a->n_flags++;
			/* "-o wide|json", "--replicas N": the next word is
			 * its value unless the bracket closed here. */
			if (!bracket_closed && !eq) {
				char *v = strtok_r(NULL, " ", &save);

				if (v == NULL)
					break;
				len = strlen(v);
				if (len && v[len - 1] == ']')
					v[len - 1] = '\0';
				a->flag_value[a->n_flags - 1] = v;
			}
			continue;
		}
		if (a->n_pos < MAX_TOKENS)
			a->pos[a->n_pos++] = t;
	}
	return n_alts;
}

/* Prints each name of GET /v1/KIND ({"KIND":[{"name":...}]}). */
static void print_objects(struct cli_ctx *ctx, const char *kind)
{
	cleanup_free char *path = xasprintf("/v1/%s", kind);
	json_t *doc = NULL, *arr, *o;
	size_t i;

	if (cli_api_json(ctx, "GET", path, NULL, &doc) != CLI_EXIT_OK)
		return;
	arr = json_object_get(doc, kind);
	json_array_foreach(arr, i, o)
	{
		const char *name =
		    json_string_value(json_object_get(o, "name"));

		if (name)
			printf("%s\n", name);
	}
	json_decref(doc);
}

/* The kind a placeholder (or a kind word before NAME) stands for. */
static const char *object_kind(const char *tok, const char *before)
{
	if (!strcmp(tok, "POD"))
		return "pods";
	if (!strcmp(tok, "DEPLOYMENT") || !strncmp(tok, "deployment/", 11))
		return "deployments";
	if (!strcmp(tok, "SERVICE"))
		return "services";
	if (!strcmp(tok, "NAME") && before) {
		if (!strncmp(before, "pod", 3) || !strcmp(before, "po"))
			return "pods";
		if (!strncmp(before, "deploy", 6))
			return "deployments";
		if (!strncmp(before, "service", 7) || !strcmp(before, "svc"))
			return "services";
	}
	return NULL;
}

/* tok is a literal ("pods|deployments|services", "image"): whether word
 * is one of its choices. */
static bool literal_has(const char *tok, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = tok; *s;) {
		size_t len = strcspn(s, "|");

		if (len == n && !strncmp(s, word, n))
			return true;
		s += len + (s[len] == '|');
	}
	return false;
}

static void print_token(struct cli_ctx *ctx, const char *tok,
			const char *before)
{
	const char *kind = object_kind(tok, before);

	if (kind) {
		print_objects(ctx, kind);
	} else if (!strcmp(tok, "FILE") || !strcmp(tok, "IMAGE")) {
		printf(":file\n");
	} else if (islower((unsigned char)tok[0]) && !strchr(tok, '/') &&
		   !strchr(tok, '=')) {
		for (const char *s = tok; *s;) {
			size_t len = strcspn(s, "|");

			printf("%.*s\n", (int)len, s);
			s += len + (s[len] == '|');
		}
	}
}

static const char *flag_value(const struct usage_alt *alts, size_t n,
			      const char *flag, bool *is_flag)
{
	*is_flag = false;
	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < alts[i].n_flags; f++)
			if (!strcmp(alts[i].flag[f], flag)) {
				*is_flag = true;
				if (alts[i].flag_value[f])
					return alts[i].flag_value[f];
			}
	return NULL;
}

int cmd_complete(struct cli_ctx *ctx, int argc, char **argv)
{
	struct usage_alt alts[4];
	struct find_verb fv;
	cleanup_free char *copy = NULL;
	const char *cur, *typed[MAX_TOKENS];
	char **words = argv + 1;
	size_t n = (size_t)argc - 1, n_alts, k = 0;

	if (argc < 2)
		return CLI_EXIT_OK;
	cur = words[n - 1];
	if (n == 1 || !strcmp(words[0], "help")) {
		if (cur[0] == '-') {
			printf("--socket\n--help\n");
		} else {
			printf("up\nhelp\n");
			cli_verbs_walk(print_verb, NULL);
		}
		return CLI_EXIT_OK;
	}
	fv.name = words[0];
	fv.usage = !strcmp(words[0], "up") ? CLI_UP_USAGE : NULL;
	cli_verbs_walk(find_usage, &fv);
	if (fv.usage == NULL)
		return CLI_EXIT_OK;
	copy = xstrdup(fv.usage);
	n_alts = parse_usage(copy, words[0], alts, 4);

	/* The positionals typed so far, skipping flags and their values;
	 * nothing after "--" (a command inside a pod). */
	for (size_t i = 1; i + 1 < n; i++) {
		bool is_flag;
		const char *v;

		if (!strcmp(words[i], "--"))
			return CLI_EXIT_OK;
		if (words[i][0] == '-') {
			v = flag_value(alts, n_alts, words[i], &is_flag);
			if (v && !strchr(words[i], '=') && i + 2 < n)
				i++; /* its value */
			else if (v && !strchr(words[i], '=')) {
				/* the current word is this flag's value */
				if (!strcmp(v, "FILE"))
					printf(":file\n");
				else if (strchr(v, '|'))
					print_token(ctx, v, NULL);
				return CLI_EXIT_OK;
			}
			continue;
		}
		if (k < MAX_TOKENS)
			typed[k++] = words[i];
	}
	if (cur[0] == '-') {
		for (size_t i = 0; i < n_alts; i++)
			for (size_t f = 0; f < alts[i].n_flags; f++)
				printf("%s\n", alts[i].flag[f]);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < n_alts; i++) {
		const struct usage_alt *a = &alts[i];
		bool match = k < a->n_pos;

		for (size_t j = 0; match && j < k; j++)
			if (islower((unsigned char)a->pos[j][0]) &&
			    !strchr(a->pos[j], '/') &&
			    !literal_has(a->pos[j], typed[j]))
				match = false;
		if (match && strcmp(a->pos[k], "--"))
			print_token(ctx, a->pos[k], k ? typed[k - 1] : NULL);
	}
	return CLI_EXIT_OK;
}
