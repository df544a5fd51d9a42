/*
 * cmd_misc.c - `berth down`: asks the daemon to stop every pod and waits
 * (no timeout) for its answer, which arrives once they are all gone;
 * `berth kubeconfig`: prints the Kubernetes API's admin kubeconfig.
 */
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
