/*
 * cmd_misc.c - `berth down`: asks the daemon to stop every pod and waits
 * (no timeout) for its answer, which arrives once they are all gone.
 */
#include "cmd.h"

int cmd_down(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error("down", "unexpected argument \"%s\"",
				       argv[1]);
	return cli_api_message(ctx, "POST", "/v1/down", json_object());
}
