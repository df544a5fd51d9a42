/*
 * cmd_analysis.c - `berth get analysisruns [NAME] [-o json]` and `berth
 * describe analysisrun NAME`: one GET of /v1/analysisruns, printed as a
 * table or as the run's metrics with their last measurements. Prints
 * only; the runs are the daemon's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "cmd.h"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

int cli_get_analysisruns(struct cli_ctx *ctx, const char *name,
			 const char *output)
{
	json_t *doc, *runs, *r;
	size_t i;
	int rc, shown = 0;

	rc = cli_api_json(ctx, "GET", "/v1/analysisruns", NULL, &doc);
	if (rc != CLI_EXIT_OK)
		return rc;
	runs = json_object_get(doc, "analysisruns");
	if (output && !strcmp(output, "json")) {
		json_t *sel = json_array();
		char *s;

		json_array_foreach(
		    runs, i, r) if (!name || !strcmp(name, str(r, "name")))
		    json_array_append(sel, r);
		s = json_dumps(sel, JSON_INDENT(2));
		printf("%s\n", s ? s : "[]");
		free(s);
		json_decref(sel);
		json_decref(doc);
		return CLI_EXIT_OK;
	}
	json_array_foreach(runs, i, r)
	{
		json_t *m, *ms = json_object_get(r, "metrics");
		size_t j;
		int ok = 0, failed = 0, inc = 0;

		if (name && strcmp(name, str(r, "name")))
			continue;
		json_array_foreach(ms, j, m)
		{
			ok += !strcmp(str(m, "phase"), "Successful");
			failed += !strcmp(str(m, "phase"), "Failed") ||
				  !strcmp(str(m, "phase"), "Error");
			inc += !strcmp(str(m, "phase"), "Inconclusive");
		}
		if (shown++ == 0)
			printf("%-40s %-24s %-10s %-12s %-13s %s\n", "NAME",
			       "OWNER", "REVISION", "WHAT", "PHASE",
			       "METRICS(OK/FAILED/INCONCLUSIVE/ALL)");
		printf("%-40s %-24s %-10s %-12s %-13s %d/%d/%d/%zu\n",
		       str(r, "name"), str(r, "owner"), str(r, "revision"),
		       str(r, "what"), str(r, "phase"), ok, failed, inc,
		       json_array_size(ms));
	}
	json_decref(doc);
	if (shown == 0) {
		if (name)
			return cli_fail("analysisrun \"%s\" not found", name);
		fprintf(stderr, "No resources found.\n");
	}
	return CLI_EXIT_OK;
}

int cli_describe_analysisrun(struct cli_ctx *ctx, const char *name)
{
	char *esc = cli_path_escape(name);
	char *path = xasprintf("/v1/analysisruns/%s", esc);
	json_t *r, *m, *h;
	size_t i, j;
	int rc;

	rc = cli_api_json(ctx, "GET", path, NULL, &r);
	free(esc);
	free(path);
	if (rc != CLI_EXIT_OK)
		return rc;
	printf("Name:        %s\n", str(r, "name"));
	printf("Owner:       %s\n", str(r, "owner"));
	printf("Revision:    %s\n", str(r, "revision"));
	printf("Started by:  %s%s\n", str(r, "what"),
	       json_is_true(json_object_get(r, "background")) ? " (background)"
							      : "");
	printf("Phase:       %s\n", str(r, "phase"));
	if (str(r, "message")[0])
		printf("Message:     %s\n", str(r, "message"));
	printf("Metrics:\n");
	json_array_foreach(json_object_get(r, "metrics"), i, m)
	{
		printf("  %s/%s: %s (%s)\n", str(m, "template"), str(m, "name"),
		       str(m, "phase"), str(m, "why"));
		if (json_is_string(json_object_get(m, "successCondition")))
			printf("    successCondition:  %s\n",
			       str(m, "successCondition"));
		if (json_is_string(json_object_get(m, "failureCondition")))
			printf("    failureCondition:  %s\n",
			       str(m, "failureCondition"));
		printf("    interval %lld ms, count %lld, failureLimit %lld, "
		       "inconclusiveLimit %lld, consecutiveErrorLimit %lld\n",
		       num(m, "interval_ms"), num(m, "count"),
		       num(m, "failureLimit"), num(m, "inconclusiveLimit"),
		       num(m, "consecutiveErrorLimit"));
		printf("    measurements %lld: successful %lld, failed %lld, "
		       "inconclusive %lld, errors %lld\n",
		       num(m, "measurements"), num(m, "successful"),
		       num(m, "failed"), num(m, "inconclusive"),
		       num(m, "errors"));
		json_array_foreach(json_object_get(m, "history"), j, h) printf(
		    "    - %-12s %s\n", str(h, "phase"), str(h, "message"));
	}
	json_decref(r);
	return CLI_EXIT_OK;
}
