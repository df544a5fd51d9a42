/*
 * cmd_get.c - `berth get pods|deployments|services [NAME] [-w] [-o
 * wide|json]` and `berth describe KIND NAME`. Parses argv, fetches one
 * document (or a stream of them) and hands it to output.c.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "cmd.h"
#include "output.h"

struct kind_alias {
	const char *name;
	enum out_kind kind;
	const char *singular; /* describe's KIND */
};

static const struct kind_alias kind_aliases[] = {
    {"pods", OUT_PODS, "pod"},
    {"pod", OUT_PODS, "pod"},
    {"po", OUT_PODS, "pod"},
    {"deployments", OUT_DEPLOYMENTS, "deployment"},
    {"deployment", OUT_DEPLOYMENTS, "deployment"},
    {"deploy", OUT_DEPLOYMENTS, "deployment"},
    {"deployments.apps", OUT_DEPLOYMENTS, "deployment"},
    {"deployment.apps", OUT_DEPLOYMENTS, "deployment"},
    {"services", OUT_SERVICES, "service"},
    {"service", OUT_SERVICES, "service"},
    {"svc", OUT_SERVICES, "service"},
    {"events", OUT_EVENTS, NULL},
    {"event", OUT_EVENTS, NULL},
    {"ev", OUT_EVENTS, NULL},
};

static const struct kind_alias *find_kind(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(kind_aliases) / sizeof(kind_aliases[0]); i++)
		if (strlen(kind_aliases[i].name) == len &&
		    strncmp(kind_aliases[i].name, name, len) == 0)
			return &kind_aliases[i];
	return NULL;
}

static const char *singular(enum out_kind kind)
{
	switch (kind) {
	case OUT_PODS:
		return "pod";
	case OUT_DEPLOYMENTS:
		return "deployment";
	case OUT_SERVICES:
		return "service";
	case OUT_EVENTS:
		return "event";
	}
	return "";
}

struct watch_ctx {
	struct out_watch w;
	int json;
	const char *name;
};

static int on_watch_line(void *arg, const char *line, size_t len)
{
	struct watch_ctx *wc = arg;
	json_t *doc;

	if (len == 0)
		return 0;
	if (wc->json && wc->name == NULL) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return 0;
	}
	doc = json_loadb(line, len, 0, NULL);
	if (doc == NULL)
		return 0;
	if (wc->name)
		out_filter_name(doc, wc->w.kind, wc->name);
	if (wc->json) {
		char *s = json_dumps(doc, JSON_COMPACT);

		if (s)
			printf("%s\n", s);
		free(s);
		fflush(stdout);
	} else {
		out_watch_feed(&wc->w, doc, stdout);
	}
	json_decref(doc);
	return 0;
}

/* Shared by `get` and `events`: one document, or a watch stream. */
static int list_kind(struct cli_ctx *ctx, enum out_kind kind, const char *name,
		     int watch, const char *output)
{
	char *path;
	json_t *doc;
	struct out_table *t;
	int rc;

	path =
	    xasprintf("/v1/%s%s", out_kind_key(kind), watch ? "?watch=1" : "");
	if (watch) {
		struct watch_ctx wc;

		memset(&wc, 0, sizeof(wc));
		out_watch_init(&wc.w, kind,
			       output && strcmp(output, "wide") == 0);
		wc.json = output && strcmp(output, "json") == 0;
		wc.name = name;
		rc =
		    cli_api_stream(ctx, path, CLIENT_LINES, on_watch_line, &wc);
		out_watch_free(&wc.w);
		free(path);
		return rc;
	}
	rc = cli_api_json(ctx, "GET", path, NULL, &doc);
	free(path);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (name && out_filter_name(doc, kind, name) == 0) {
		json_decref(doc);
		return cli_fail("%s \"%s\" not found", singular(kind), name);
	}
	if (output && strcmp(output, "json") == 0) {
		char *s = json_dumps(doc, JSON_INDENT(2));

		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(doc);
		return CLI_EXIT_OK;
	}
	t = out_table_from_doc(kind, doc,
			       output && strcmp(output, "wide") == 0);
	json_decref(doc);
	if (t == NULL)
		return cli_fail("unexpected answer from the berth daemon");
	if (t->nrows <= 1)
		fprintf(stderr, "No resources found.\n");
	else
		out_table_print(t, stdout);
	out_table_free(t);
	return CLI_EXIT_OK;
}

/* Parses [-w] [-o FMT]; positional arguments are left in pos[]. */
static int parse_list_flags(int argc, char **argv, int *watch,
			    const char **output, char **pos, int *npos)
{
	static const struct option opts[] = {
	    {"watch", no_argument, NULL, 'w'},
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	*npos = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "wo:", opts, NULL)) != -1) {
		if (ch == 'w') {
			*watch = 1;
		} else if (ch == 'o') {
			*output = optarg;
		} else {
			return cli_usage(argv[0]);
		}
	}
	if (*output && strcmp(*output, "wide") != 0 &&
	    strcmp(*output, "json") != 0)
		return cli_usage_error(argv[0],
				       "unknown output format \"%s\" (wide or "
				       "json)",
				       *output);
	while (optind < argc && *npos < 2)
		pos[(*npos)++] = argv[optind++];
	if (optind < argc)
		return cli_usage_error(argv[0], "unexpected argument \"%s\"",
				       argv[optind]);
	return CLI_EXIT_OK;
}

static bool is_analysisrun(const char *kind)
{
	return !strcmp(kind, "analysisruns") || !strcmp(kind, "analysisrun") ||
	       !strcmp(kind, "ar");
}

int cmd_get(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct kind_alias *k;
	const char *output = NULL, *name = NULL;
	char *pos[2];
	int watch = 0, npos, rc;
	const char *slash;

	rc = parse_list_flags(argc, argv, &watch, &output, pos, &npos);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (npos == 0)
		return cli_usage_error("get", "a kind is required");
	if (is_analysisrun(pos[0]) && !watch)
		return cli_get_analysisruns(ctx, npos == 2 ? pos[1] : NULL,
					    output);
	slash = strchr(pos[0], '/');
	k = find_kind(pos[0],
		      slash ? (size_t)(slash - pos[0]) : strlen(pos[0]));
	if (k == NULL)
		return cli_usage_error(
		    "get",
		    "unknown kind \"%s\" (pods, deployments, "
		    "services, analysisruns)",
		    pos[0]);
	if (slash)
		name = slash + 1;
	if (npos == 2) {
		if (name)
			return cli_usage_error(
			    "get", "unexpected argument \"%s\"", pos[1]);
		name = pos[1];
	}
	if (output && strcmp(output, "wide") == 0 && k->kind == OUT_EVENTS)
		output = NULL;
	return list_kind(ctx, k->kind, name, watch, output);
}

int cmd_events(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *output = NULL;
	char *pos[2];
	int watch = 0, npos, rc;

	rc = parse_list_flags(argc, argv, &watch, &output, pos, &npos);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (npos > 0)
		return cli_usage_error("events", "unexpected argument \"%s\"",
				       pos[0]);
	if (output && strcmp(output, "wide") == 0)
		output = NULL;
	return list_kind(ctx, OUT_EVENTS, NULL, watch, output);
}

int cmd_describe(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct kind_alias *k;
	const char *name;
	const char *slash;
	char *esc, *path;
	int rc;

	if (argc == 2 && (slash = strchr(argv[1], '/')) != NULL) {
		k = find_kind(argv[1], (size_t)(slash - argv[1]));
		name = slash + 1;
	} else if (argc == 3) {
		if (is_analysisrun(argv[1]))
			return cli_describe_analysisrun(ctx, argv[2]);
		k = find_kind(argv[1], strlen(argv[1]));
		name = argv[2];
	} else {
		return cli_usage_error("describe",
				       "KIND and NAME are required");
	}
	if (k == NULL || k->singular == NULL)
		return cli_usage_error("describe",
				       "unknown kind \"%s\" (pod, deployment, "
				       "service)",
				       argv[1]);
	if (name[0] == '\0')
		return cli_usage_error("describe", "NAME is required");
	esc = cli_path_escape(name);
	path = xasprintf("/v1/describe/%s/%s", k->singular, esc);
	rc = cli_api_print(ctx, "GET", path, NULL);
	free(esc);
	free(path);
	return rc;
}
