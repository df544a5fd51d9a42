/*
 * cmd_pod.c - the pod verbs: `logs POD [-f] [-p] [--tail N] [--timestamps]
 * [--since D|--since-time T]`, `exec POD -- CMD...` (asks
 * the daemon for the container's id and runtime root, then runs a runtime
 * found on its own side - exec_runtime.c - in place of itself, its argv
 * from runtime/exec.h)
 * and `delete pod NAME [--wait=false]`. No decision about pods lives here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "../runtime/cri_log.h"
#include "../runtime/exec.h"
#include "../runtime/logs_read.h"
#include "cmd.h"
#include "exec_runtime.h"

static const char *const pod_kinds[] = {"pod", "pods", "po", NULL};

static int write_raw(void *arg, const char *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len)
		return -1;
	fflush(stdout);
	return 0;
}

int cmd_logs(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"previous", no_argument, NULL, 'p'},
	    {"tail", required_argument, NULL, 't'},
	    {"timestamps", no_argument, NULL, 'T'},
	    {"since", required_argument, NULL, 's'},
	    {"since-time", required_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0},
	};
	const char *pod, *since = NULL, *since_time = NULL;
	char *esc, *path, *end, *when = NULL;
	int ch, follow = 0, previous = 0, timestamps = 0, rc;
	long tail = -1;
	int64_t ns;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "fp", opts, NULL)) != -1) {
		if (ch == 'f') {
			follow = 1;
		} else if (ch == 'p') {
			previous = 1;
		} else if (ch == 'T') {
			timestamps = 1;
		} else if (ch == 's') {
			if (logs_parse_duration(optarg, &ns) == -1)
				return cli_usage_error(
				    "logs",
				    "--since must be a positive duration such "
				    "as 5s, 2m or 3h, not \"%s\"",
				    optarg);
			since = optarg;
		} else if (ch == 'S') {
			if (cri_parse_time(optarg, strlen(optarg), &ns) == -1)
				return cli_usage_error(
				    "logs",
				    "--since-time must be an RFC 3339 time "
				    "such "
				    "as 2024-01-02T15:04:05Z, not \"%s\"",
				    optarg);
			since_time = optarg;
		} else if (ch == 't') {
			errno = 0;
			tail = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || tail < -1 ||
			    tail > INT32_MAX)
				return cli_usage_error(
				    "logs",
				    "--tail must be an integer from -1 "
				    "(all lines) to %d, not \"%s\"",
				    INT32_MAX, optarg);
		} else {
			return cli_usage(argv[0]);
		}
	}
	if (since && since_time)
		return cli_usage_error("logs", "at most one of --since and "
					       "--since-time may be given");
	if (optind + 1 != argc)
		return cli_usage_error("logs", "exactly one POD is required");
	pod = cli_strip_kind(argv[optind], pod_kinds);
	if (pod == NULL || pod[0] == '\0')
		return cli_usage_error("logs", "\"%s\" is not a pod",
				       argv[optind]);
	esc = cli_path_escape(pod);
	if (since || since_time) {
		char *v = cli_path_escape(since ? since : since_time);

		when = xasprintf("&%s=%s", since ? "since" : "sinceTime", v);
		free(v);
	}
	path = xasprintf("/v1/pods/%s/logs?tail=%ld%s%s%s%s", esc, tail,
			 follow && !previous ? "&follow=1" : "",
			 previous ? "&previous=1" : "",
			 timestamps ? "&timestamps=1" : "", when ? when : "");
	rc = cli_api_stream(ctx, path, CLIENT_RAW, write_raw, NULL);
	free(esc);
	free(when);
	free(path);
	return rc;
}

int cmd_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pod = NULL;
	char *esc, *path;
	json_t *out;
	const char *runtime, *root, *id;
	char *rt_path = NULL;
	struct berr err = BERR_INIT;
	char **args;
	int i = 1, rc;

	/* Hand-parsed: everything after POD belongs to the command. */
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "-t") == 0 ||
		    strcmp(argv[i], "-it") == 0 ||
		    strcmp(argv[i], "-ti") == 0 ||
		    strcmp(argv[i], "--stdin") == 0 ||
		    strcmp(argv[i], "--tty") == 0)
			continue;
		if (pod == NULL && argv[i][0] != '-') {
			pod = argv[i];
			continue;
		}
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (pod != NULL)
			break;
		return cli_usage_error("exec", "unknown flag \"%s\"", argv[i]);
	}
	if (pod == NULL)
		return cli_usage_error("exec", "POD is required");
	if (i >= argc)
		return cli_usage_error("exec", "COMMAND is required");
	pod = cli_strip_kind(pod, pod_kinds);
	if (pod == NULL || pod[0] == '\0')
		return cli_usage_error("exec", "not a pod");
	esc = cli_path_escape(pod);
	path = xasprintf("/v1/pods/%s/exec", esc);
	rc = cli_api_json(ctx, "GET", path, NULL, &out);
	free(esc);
	free(path);
	if (rc != CLI_EXIT_OK)
		return rc;
	runtime = json_string_value(json_object_get(out, "runtime"));
	root = json_string_value(json_object_get(out, "root"));
	id = json_string_value(json_object_get(out, "id"));
	if (runtime == NULL || root == NULL || id == NULL) {
		json_decref(out);
		return cli_fail("unexpected answer from the berth daemon");
	}
	/* Never the path the daemon sent: one found on our side. */
	if (cli_exec_runtime(runtime, &rt_path, &err) == -1) {
		json_decref(out);
		return cli_fail("%s", err.msg);
	}
	runtime = rt_path;
	args = rt_exec_argv(runtime, root, NULL, isatty(STDIN_FILENO), id,
			    argv + i, (size_t)(argc - i));
	fflush(stdout);
	execvp(runtime, args);
	rc = cli_fail("cannot run %s: %m", runtime);
	free(args);
	free(rt_path);
	json_decref(out);
	return rc;
}

/* 1 while the pod is listed, 0 once gone, -1 on error. */
static int pod_listed(struct cli_ctx *ctx, const char *name)
{
	json_t *doc, *p;
	size_t i;
	int found = 0;

	if (cli_api_json(ctx, "GET", "/v1/pods", NULL, &doc) != CLI_EXIT_OK)
		return -1;
	json_array_foreach(json_object_get(doc, "pods"), i, p)
	{
		const char *n = json_string_value(json_object_get(p, "name"));

		if (n && strcmp(n, name) == 0)
			found = 1;
	}
	json_decref(doc);
	return found;
}

int cmd_delete(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"wait", optional_argument, NULL, 'W'},
	    {NULL, 0, NULL, 0},
	};
	char *pos[2];
	int ch, npos = 0, wait = 1, rc, listed;
	const char *name;
	char *esc, *path;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'W')
			return cli_usage(argv[0]);
		if (optarg == NULL || strcmp(optarg, "true") == 0)
			wait = 1;
		else if (strcmp(optarg, "false") == 0)
			wait = 0;
		else
			return cli_usage_error("delete",
					       "--wait takes true or false");
	}
	while (optind < argc && npos < 2)
		pos[npos++] = argv[optind++];
	if (optind < argc || npos == 0)
		return cli_usage_error("delete", "expected: pod NAME");
	if (npos == 1) {
		name = cli_strip_kind(pos[0], pod_kinds);
		if (name == pos[0] || name == NULL)
			return cli_usage_error("delete", "expected: pod NAME");
	} else {
		const char *k = pos[0];

		if (strcmp(k, "pod") != 0 && strcmp(k, "pods") != 0 &&
		    strcmp(k, "po") != 0)
			return cli_usage_error("delete",
					       "only pods can be deleted");
		name = pos[1];
	}
	if (name[0] == '\0')
		return cli_usage_error("delete", "NAME is required");
	esc = cli_path_escape(name);
	path = xasprintf("/v1/pods/%s", esc);
	rc = cli_api_message(ctx, "DELETE", path, NULL);
	free(esc);
	free(path);
	if (rc != CLI_EXIT_OK || !wait)
		return rc;
	while ((listed = pod_listed(ctx, name)) == 1)
		cli_sleep_ms(200);
	return listed == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
