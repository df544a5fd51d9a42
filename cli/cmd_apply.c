/*
 * cmd_apply.c - `berth apply -f FILE` (sent to the daemon with the file's
 * absolute path) and `berth validate -f FILE` (checked locally with the
 * same loader the daemon uses). Must not interpret the configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "cmd.h"

/* Parses -f FILE; returns it or NULL after printing the usage error. */
static const char *parse_file_flag(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"filename", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	const char *file = NULL;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (ch == 'f') {
			file = optarg;
		} else {
			cli_usage(argv[0]);
			return NULL;
		}
	}
	if (optind < argc) {
		cli_usage_error(argv[0], "unexpected argument \"%s\"",
				argv[optind]);
		return NULL;
	}
	if (file == NULL)
		cli_usage_error(argv[0], "-f FILE is required");
	return file;
}

int cmd_apply(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *file = parse_file_flag(argc, argv);
	char abs[PATH_MAX];
	json_t *out;
	const json_t *msgs, *m;
	size_t i;
	int rc;

	if (file == NULL)
		return CLI_EXIT_USAGE;
	if (realpath(file, abs) == NULL)
		return cli_fail("%s: %s", file, strerror(errno));
	rc = cli_api_json(ctx, "POST", "/v1/apply",
			  json_pack("{s:s}", "path", abs), &out);
	if (rc != CLI_EXIT_OK)
		return rc;
	msgs = json_object_get(out, "messages");
	json_array_foreach((json_t *)msgs, i, m)
	{
		if (json_is_string(m))
			printf("%s\n", json_string_value(m));
	}
	fflush(stdout);
	json_decref(out);
	return CLI_EXIT_OK;
}

int cmd_validate(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *file = parse_file_flag(argc, argv);
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;

	if (file == NULL)
		return CLI_EXIT_USAGE;
	if (cfg_load(file, &cfg, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < cfg->n_services; i++)
		if (!cfg_service_port_named(cfg, &cfg->services[i]))
			fprintf(stderr,
				"%s:%d: warning: service %s: no deployment it "
				"selects has a container port named `%s` "
				"(targetPort)\n",
				file, cfg->services[i].line,
				cfg->services[i].name,
				cfg->services[i].target_port_name);
	cfg_free(cfg);
	printf("%s: ok\n", file);
	return CLI_EXIT_OK;
}
