/*
 * cli.c - the verb table, global flags (--socket, BERTH_SOCKET), help text,
 * and the request helpers that turn daemon answers into output and exit
 * codes (0 ok, 1 failed, 2 usage or config error). Verbs live in cmd_*.c;
 * nothing here decides anything about pods or deployments.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "cmd.h"
#include "doc.h"

#define DEFAULT_SOCKET "/run/berth/berth.sock"

struct verb {
	const char *name;
	int (*fn)(struct cli_ctx *ctx, int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct verb verbs[] = {
    {"apply", cmd_apply, "apply -f FILE",
     "create or update everything FILE describes"},
    {"validate", cmd_validate, "validate -f FILE",
     "check FILE without applying it (no daemon needed)"},
    {"get", cmd_get,
     "get pods|deployments|services|analysisruns [NAME] [-w] [-o wide|json]",
     "list objects"},
    {"describe", cmd_describe,
     "describe pod|deployment|service|analysisrun NAME",
     "show one object in detail (also KIND/NAME)"},
    {"logs", cmd_logs,
     "logs POD [-f] [-p|--previous] [--tail N] [--timestamps] "
     "[--since DURATION|--since-time TIME]",
     "print a pod's output (-p: of the run before the last restart; "
     "--since 5s|2m|3h)"},
    {"exec", cmd_exec, "exec POD -- COMMAND [ARG...]",
     "run a command in a pod"},
    {"delete", cmd_delete, "delete pod NAME [--wait=false]",
     "delete a pod (its deployment replaces it)"},
    {"scale", cmd_scale, "scale deployment/NAME --replicas N",
     "set a deployment's replicas"},
    {"set", cmd_set,
     "set image DEPLOYMENT IMAGE | set selector SERVICE K=V,... [--force]",
     "change a deployment's image or a service's selector"},
    {"rollout", cmd_rollout,
     "rollout status|history|undo|pause|resume|restart|promote|abort|retry "
     "DEPLOYMENT [--to-revision N] [--revision N [--timeline FILE.svg]] "
     "[--timeout S] [--full]",
     "manage a deployment's rollout"},
    {"top", cmd_top, "top pods [NAME]",
     "show running pods' CPU (millicores) and memory working set"},
    {"events", cmd_events, "events [-w] [-o json]", "list recent events"},
    {"export", cmd_export, "export [-o yaml|json]",
     "print deployments and services as Kubernetes manifests"},
    {"kubeconfig", cmd_kubeconfig, "kubeconfig",
     "print the admin kubeconfig of the Kubernetes API"},
    {"dashboard", cmd_dashboard, "dashboard",
     "print a one-time login link to the live dashboard"},
    {"down", cmd_down, "down",
     "stop every pod gracefully, then stop the daemon"},
    {"upgrade", cmd_upgrade, "upgrade [--binary PATH]",
     "hand over to a new daemon binary (default: the one at the path this "
     "daemon was started from) without stopping a pod or dropping a "
     "connection"},
    {"__manpage", cmd_manpage, "__manpage 1|5",
     "print berth(1) or berth.ini(5) as roff"},
    {"__complete", cmd_complete, "__complete WORD...",
     "print the completions of the last WORD, for bash"},
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/* Verbs named "__..." are for the build and the shell, not for --help. */
static bool hidden(const struct verb *v)
{
	return v->name[0] == '_';
}

static void print_help(FILE *f)
{
	size_t i;

	fprintf(f, "berth - a single-node container orchestrator\n\n"
		   "Usage:\n  berth " CLI_UP_USAGE "\n"
		   "  berth [--socket PATH] VERB [ARGS]\n\nVerbs:\n");
	fprintf(f, "  %-10s %s\n", "up", CLI_UP_HELP);
	fprintf(f, "  %-10s %s\n", "image", CLI_IMAGE_HELP);
	for (i = 0; i < N_VERBS; i++)
		if (!hidden(&verbs[i]))
			fprintf(f, "  %-10s %s\n", verbs[i].name,
				verbs[i].help);
	fprintf(f, "\nUsage of each verb:\n  berth %s\n", CLI_IMAGE_USAGE);
	for (i = 0; i < N_VERBS; i++)
		if (!hidden(&verbs[i]))
			fprintf(f, "  berth %s\n", verbs[i].usage);
	fprintf(f, "\nThe control socket is --socket PATH, else $BERTH_SOCKET, "
		   "else " DEFAULT_SOCKET ".\n");
}

void cli_verbs_walk(void (*fn)(const char *name, const char *usage,
			       const char *help, void *arg),
		    void *arg)
{
	for (size_t i = 0; i < N_VERBS; i++)
		if (!hidden(&verbs[i]))
			fn(verbs[i].name, verbs[i].usage, verbs[i].help, arg);
}

static const struct verb *find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < N_VERBS; i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
	const struct verb *v = find_verb(verb);
	va_list ap;

	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (v)
		fprintf(stderr, "Usage: berth %s\n", v->usage);
	return CLI_EXIT_USAGE;
}

int cli_usage(const char *verb)
{
	const struct verb *v = find_verb(verb);

	if (v)
		fprintf(stderr, "Usage: berth %s\n", v->usage);
	return CLI_EXIT_USAGE;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return CLI_EXIT_FAIL;
}

/*
 * Maps a finished exchange to an exit status, printing the daemon's error
 * for non-2xx answers: 422 → the message as is and 2, others → 1.
 */
static int cli_check_status(const struct client_resp *resp)
{
	json_t *doc;
	const char *msg = NULL;
	int rc;

	if (resp->status >= 200 && resp->status < 300)
		return CLI_EXIT_OK;
	doc = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);
	if (json_is_string(json_object_get(doc, "error")))
		msg = json_string_value(json_object_get(doc, "error"));
	fflush(stdout);
	if (resp->status == 422) {
		fprintf(stderr, "%s\n", msg ? msg : resp->body);
		rc = CLI_EXIT_USAGE;
	} else if (msg) {
		rc = cli_fail("%s", msg);
	} else {
		rc = cli_fail("the berth daemon answered %d", resp->status);
	}
	json_decref(doc);
	return rc;
}

static char *dump_body(json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	return s;
}

/* One buffered request; the exit code its status means (an error
 * printed). resp must be freed with client_resp_free unless the request
 * could not be made (returned with no response: *made false). */
static int api_call(struct cli_ctx *ctx, const char *method, const char *path,
		    json_t *body, struct client_resp *resp, bool *made)
{
	struct berr err = BERR_INIT;
	char *text = dump_body(body);
	int rc;

	rc = client_request(ctx->sock, method, path, text, CLIENT_BUFFER, NULL,
			    NULL, resp, &err);
	free(text);
	*made = rc != -1;
	if (rc == -1)
		return cli_fail("%s", err.msg);
	return cli_check_status(resp);
}

int cli_api_json(struct cli_ctx *ctx, const char *method, const char *path,
		 json_t *body, json_t **out)
{
	struct client_resp resp;
	json_error_t jerr;
	bool made;
	int rc;

	*out = NULL;
	rc = api_call(ctx, method, path, body, &resp, &made);
	if (!made)
		return rc;
	if (rc == CLI_EXIT_OK) {
		*out = json_loadb(resp.body, resp.len, 0, &jerr);
		if (*out == NULL)
			rc = cli_fail("bad JSON from the berth daemon: %s",
				      jerr.text);
	}
	client_resp_free(&resp);
	return rc;
}

int cli_api_save(struct cli_ctx *ctx, const char *path, const char *path_out)
{
	struct client_resp resp;
	bool made;
	int rc;
	char *tmp;
	FILE *f;

	rc = api_call(ctx, "GET", path, NULL, &resp, &made);
	if (!made)
		return rc;
	if (rc == CLI_EXIT_OK) {
		tmp = xasprintf("%s.tmp", path_out);
		f = fopen(tmp, "w");
		if (f == NULL ||
		    fwrite(resp.body, 1, resp.len, f) != resp.len ||
		    fclose(f) != 0 || rename(tmp, path_out) != 0) {
			rc = cli_fail("cannot write `%s`: %s", path_out,
				      strerror(errno));
			unlink(tmp);
		}
		free(tmp);
	}
	client_resp_free(&resp);
	return rc;
}

int cli_api_print(struct cli_ctx *ctx, const char *method, const char *path,
		  json_t *body)
{
	struct client_resp resp;
	bool made;
	int rc;

	rc = api_call(ctx, method, path, body, &resp, &made);
	if (!made)
		return rc;
	if (rc == CLI_EXIT_OK) {
		fwrite(resp.body, 1, resp.len, stdout);
		if (resp.len && resp.body[resp.len - 1] != '\n')
			fputc('\n', stdout);
		fflush(stdout);
	}
	client_resp_free(&resp);
	return rc;
}

int cli_api_message(struct cli_ctx *ctx, const char *method, const char *path,
		    json_t *body)
{
	json_t *out;
	const json_t *msg;
	int rc = cli_api_json(ctx, method, path, body, &out);

	if (rc != CLI_EXIT_OK)
		return rc;
	msg = json_object_get(out, "message");
	if (json_is_string(msg))
		printf("%s\n", json_string_value(msg));
	fflush(stdout);
	json_decref(out);
	return CLI_EXIT_OK;
}

int cli_api_stream(struct cli_ctx *ctx, const char *path, enum client_mode mode,
		   client_data_cb cb, void *arg)
{
	struct berr err = BERR_INIT;
	struct client_resp resp;
	int rc;

	rc = client_request(ctx->sock, "GET", path, NULL, mode, cb, arg, &resp,
			    &err);
	if (rc == -1)
		return cli_fail("%s", err.msg);
	rc = cli_check_status(&resp);
	client_resp_free(&resp);
	return rc;
}

const char *cli_strip_kind(const char *arg, const char *const *aliases)
{
	const char *slash = strchr(arg, '/');
	size_t i;

	if (slash == NULL)
		return arg;
	for (i = 0; aliases[i]; i++)
		if (strlen(aliases[i]) == (size_t)(slash - arg) &&
		    strncmp(arg, aliases[i], (size_t)(slash - arg)) == 0)
			return slash + 1;
	return NULL;
}

char *cli_path_escape(const char *s)
{
	char *out = xmalloc(strlen(s) * 3 + 1);
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-._~", ch))
			out[o++] = (char)ch;
		else
			o += (size_t)sprintf(out + o, "%%%02X", ch);
	}
	out[o] = '\0';
	return out;
}

void cli_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int cli_main(int argc, char **argv)
{
	struct cli_ctx ctx;
	const struct verb *v;
	int i = 1;

	ctx.sock = getenv("BERTH_SOCKET");
	if (ctx.sock == NULL || ctx.sock[0] == '\0')
		ctx.sock = DEFAULT_SOCKET;
	/* --socket is global: accepted anywhere before "--", as kubectl's. */
	for (int j = 1, o = 1, n = argc; j <= n; j++) {
		if (j == n || strcmp(argv[j], "--") == 0) {
			while (j < n)
				argv[o++] = argv[j++];
			if (o < n)
				argv[o] = NULL;
			argc = o;
			break;
		}
		if (strcmp(argv[j], "--socket") == 0) {
			if (j + 1 >= argc) {
				fprintf(stderr,
					"error: --socket needs a path\n");
				return CLI_EXIT_USAGE;
			}
			ctx.sock = argv[++j];
		} else if (strncmp(argv[j], "--socket=", 9) == 0) {
			ctx.sock = argv[j] + 9;
		} else {
			argv[o++] = argv[j];
		}
	}
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			print_help(stdout);
			return CLI_EXIT_OK;
		}
		fprintf(stderr, "error: unknown flag \"%s\"\n", argv[i]);
		fprintf(stderr, "Run \"berth help\" for usage.\n");
		return CLI_EXIT_USAGE;
	}
	if (i >= argc) {
		print_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 < argc && (v = find_verb(argv[i + 1])) != NULL)
			printf("Usage: berth %s\n  %s\n", v->usage, v->help);
		else
			print_help(stdout);
		return CLI_EXIT_OK;
	}
	v = find_verb(argv[i]);
	if (v == NULL) {
		fprintf(stderr, "error: unknown command \"%s\" for \"berth\"\n",
			argv[i]);
		fprintf(stderr, "Run \"berth help\" for usage.\n");
		return CLI_EXIT_USAGE;
	}
	for (int j = i + 1; j < argc && strcmp(argv[j], "--") != 0; j++)
		if (strcmp(argv[j], "-h") == 0 ||
		    strcmp(argv[j], "--help") == 0) {
			printf("Usage: berth %s\n  %s\n", v->usage, v->help);
			return CLI_EXIT_OK;
		}
	return v->fn(&ctx, argc - i, argv + i);
}
