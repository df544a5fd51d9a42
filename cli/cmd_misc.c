/*
 * cmd_misc.c - `berth down`: asks the daemon to stop every pod and waits
 * (no timeout) for its answer, which arrives once they are all gone;
 * `berth kubeconfig`: prints the Kubernetes API's admin kubeconfig;
 * `berth dashboard`: prints a one-time login link to the dashboard;
 * `berth upgrade`: asks the daemon to hand over to a new binary.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int cmd_down(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error("down", "unexpected argument \"%s\"",
				       argv[1]);
	return cli_api_message(ctx, "POST", "/v1/down", json_object());
}

int cmd_kubeconfig(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error("kubeconfig",
				       "unexpected argument \"%s\"", argv[1]);
	return cli_api_print(ctx, "GET", "/v1/kubeconfig", NULL);
}

int cmd_dashboard(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *doc;
	int rc;

	if (argc != 1)
		return cli_usage_error("dashboard",
				       "unexpected argument \"%s\"", argv[1]);
	rc = cli_api_json(ctx, "POST", "/v1/dashboard/login", json_object(),
			  &doc);
	if (rc != CLI_EXIT_OK)
		return rc;
	printf("%s\n", json_string_value(json_object_get(doc, "url")));
	fprintf(stderr,
		"The link signs one browser in (once, within %lld s); "
		"without it the page is read-only.\n",
		(long long)json_integer_value(
		    json_object_get(doc, "expires_seconds")));
	json_decref(doc);
	return CLI_EXIT_OK;
}

int cmd_upgrade(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *body = json_object();
	char path[PATH_MAX];

	for (int i = 1; i < argc; i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "--binary") && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--binary=", 9))
			v = argv[i] + 9;
		if (v == NULL) {
			json_decref(body);
			return cli_usage_error(
			    "upgrade", "unexpected argument \"%s\"", argv[i]);
		}
		/* the daemon resolves nothing relative to our folder */
		if (realpath(v, path) == NULL) {
			fprintf(stderr, "berth upgrade: %s: no such file\n", v);
			json_decref(body);
			return CLI_EXIT_USAGE;
		}
		json_object_set_new(body, "binary", json_string(path));
	}
	return cli_api_message(ctx, "POST", "/v1/upgrade", body);
}
