/*
 * cmd.h - what the verb files share: the global options, the verb
 * functions of the dispatch table, and the request helpers that map daemon
 * answers to messages and exit codes. Verbs only parse argv, call the API
 * and print; no orchestration logic belongs here.
 */
#ifndef BERTH_CLI_CMD_H
#define BERTH_CLI_CMD_H

#include <jansson.h>

#include "client.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

struct cli_ctx {
	const char *sock; /* control socket path */
};

/* Each verb gets argv[0] = the verb and returns the exit status. */
int cmd_apply(struct cli_ctx *ctx, int argc, char **argv);
int cmd_validate(struct cli_ctx *ctx, int argc, char **argv);
int cmd_get(struct cli_ctx *ctx, int argc, char **argv);
int cmd_describe(struct cli_ctx *ctx, int argc, char **argv);
int cmd_logs(struct cli_ctx *ctx, int argc, char **argv);
int cmd_exec(struct cli_ctx *ctx, int argc, char **argv);
int cmd_delete(struct cli_ctx *ctx, int argc, char **argv);
int cmd_scale(struct cli_ctx *ctx, int argc, char **argv);
int cmd_set(struct cli_ctx *ctx, int argc, char **argv);
int cmd_rollout(struct cli_ctx *ctx, int argc, char **argv);
int cmd_events(struct cli_ctx *ctx, int argc, char **argv);
int cmd_down(struct cli_ctx *ctx, int argc, char **argv);
int cmd_upgrade(struct cli_ctx *ctx, int argc, char **argv);
int cmd_kubeconfig(struct cli_ctx *ctx, int argc, char **argv);
int cmd_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_dashboard(struct cli_ctx *ctx, int argc, char **argv);
int cmd_top(struct cli_ctx *ctx, int argc, char **argv);
/* cmd_analysis.c: `get analysisruns`, `describe analysisrun`. */
int cli_get_analysisruns(struct cli_ctx *ctx, const char *name,
			 const char *output);
int cli_describe_analysisrun(struct cli_ctx *ctx, const char *name);

/* Prints "error: ..." plus the verb's usage line to stderr; returns 2. */
int cli_usage_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the verb's usage line to stderr (after getopt's own message). */
int cli_usage(const char *verb);
/* Prints "error: ..." to stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * One JSON request (body may be NULL). On a 2xx JSON answer stores it in
 * *out and returns 0; otherwise prints the error and returns the exit
 * status.
 */
int cli_api_json(struct cli_ctx *ctx, const char *method, const char *path,
		 json_t *body, json_t **out);
/* A request whose 2xx answer is printed to stdout as is. */
int cli_api_print(struct cli_ctx *ctx, const char *method, const char *path,
		  json_t *body);
/* A GET whose 2xx answer is written to the file at path_out (replaced
 * whole: written to a temporary beside it, then renamed). */
int cli_api_save(struct cli_ctx *ctx, const char *path, const char *path_out);
/* A request whose 2xx answer's "message" is printed. */
int cli_api_message(struct cli_ctx *ctx, const char *method, const char *path,
		    json_t *body);
/* A streaming GET: each line (or raw chunk) goes to cb. */
int cli_api_stream(struct cli_ctx *ctx, const char *path, enum client_mode mode,
		   client_data_cb cb, void *arg);

/* "deployment/echo", "deploy/echo" or "echo" → "echo"; NULL if the kind
 * prefix names another kind. aliases is a NULL-terminated list. */
const char *cli_strip_kind(const char *arg, const char *const *aliases);

/* Percent-encodes a path segment into a malloc'd string. */
char *cli_path_escape(const char *s);

void cli_sleep_ms(int ms);

#endif
