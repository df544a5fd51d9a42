/*
 * cmd_export.c - `berth export [-o yaml|json]`: the daemon's current
 * deployments and services as clean Kubernetes manifests, for
 * `kubectl apply -f` on a cluster or `berth apply -f` on another host.
 * The manifests are the daemon's (GET /v1/export); this file only writes
 * them as a YAML stream (one document per object) or a JSON List.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/yaml_json.h"
#include "cmd.h"

int cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *format = "yaml";
	json_t *list;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			format = argv[++i];
		else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
			format = argv[i][2] == '=' ? argv[i] + 3 : argv[i] + 2;
		else if (!strncmp(argv[i], "--output=", 9))
			format = argv[i] + 9;
		else
			return cli_usage_error(
			    "export", "unexpected argument \"%s\"", argv[i]);
	}
	if (strcmp(format, "yaml") && strcmp(format, "json"))
		return cli_usage_error("export", "-o %s: choose yaml or json",
				       format);
	rc = cli_api_json(ctx, "GET", "/v1/export", NULL, &list);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (!strcmp(format, "json")) {
		json_dumpf(list, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		struct berr err = BERR_INIT;
		char *yaml =
		    json_to_yaml_docs(json_object_get(list, "items"), &err);
		if (!yaml) {
			fprintf(stderr, "berth export: %s\n", err.msg);
			json_decref(list);
			return CLI_EXIT_FAIL;
		}
		fputs(yaml, stdout);
		free(yaml);
	}
	json_decref(list);
	return CLI_EXIT_OK;
}
