/*
 * doc.h - what is generated from the CLI's own tables: the man pages
 * (`berth __manpage 1|5`) and bash completion (`berth __complete`), so
 * that neither can drift from `berth --help` or the config keys.
 */
#ifndef BERTH_CLI_DOC_H
#define BERTH_CLI_DOC_H

#include "cmd.h"

/* The daemon verb, outside the verb table (main.c runs it). */
#define CLI_UP_USAGE "up [-c FILE] [--debug]"
#define CLI_UP_HELP "run the daemon in the foreground"
/* The image store's verbs, outside the verb table too (main.c runs them
 * on the store itself, without the daemon). */
#define CLI_IMAGE_USAGE                                                        \
	"image pull|import|ls|rm|prune|inspect [ARGS] (see berth image -h)"
#define CLI_IMAGE_HELP "pull, import, list, remove and inspect images"

/* Calls fn for each verb of `berth --help`, in table order (cli.c). */
void cli_verbs_walk(void (*fn)(const char *name, const char *usage,
			       const char *help, void *arg),
		    void *arg);

int cmd_manpage(struct cli_ctx *ctx, int argc, char **argv);
int cmd_complete(struct cli_ctx *ctx, int argc, char **argv);

#endif
