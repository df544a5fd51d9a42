/*
 * cmd_rollout.c - `rollout status|history|undo|pause|resume|restart|
 * promote [--full]|abort|retry DEPLOYMENT`. status polls the daemon every 500
 * ms and prints each new message; the rest are one request each. Rollout logic
 * lives in the daemon.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/xalloc.h"
#include "cmd.h"

static const char *const deploy_kinds[] = {
    "deployment",      "deployments",	   "deploy",
    "deployment.apps", "deployments.apps", NULL};

static long parse_count(const char *s, int allow_unit)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || v < 0 || v > INT_MAX)
		return -1;
	if (allow_unit && strcmp(end, "s") == 0)
		return v;
	if (allow_unit && strcmp(end, "m") == 0)
		return v * 60;
	return *end == '\0' ? v : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rollout_status(struct cli_ctx *ctx, const char *path, long timeout)
{
	double deadline = now_s() + (double)timeout;
	char *last = NULL;
	int rc;

	for (;;) {
		json_t *doc;
		const char *msg;
		int done, failed;

		rc = cli_api_json(ctx, "GET", path, NULL, &doc);
		if (rc != CLI_EXIT_OK)
			break;
		msg = json_string_value(json_object_get(doc, "message"));
		done = json_is_true(json_object_get(doc, "done"));
		failed = json_is_true(json_object_get(doc, "failed"));
		if (msg && (last == NULL || strcmp(last, msg) != 0)) {
			if (failed)
				fprintf(stderr, "error: %s\n", msg);
			else
				printf("%s\n", msg);
			fflush(stdout);
			free(last);
			last = xstrdup(msg);
		}
		json_decref(doc);
		if (done || failed) {
			rc = done && !failed ? CLI_EXIT_OK : CLI_EXIT_FAIL;
			break;
		}
		if (timeout > 0 && now_s() >= deadline) {
			rc = cli_fail("timed out waiting for the condition");
			break;
		}
		cli_sleep_ms(500);
	}
	free(last);
	return rc;
}

int cmd_rollout(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"to-revision", required_argument, NULL, 'T'},
	    {"revision", required_argument, NULL, 'R'},
	    {"timeout", required_argument, NULL, 't'},
	    {"timeline", required_argument, NULL, 'L'},
	    {"full", no_argument, NULL, 'F'},
	    {NULL, 0, NULL, 0},
	};
	char *pos[3], *esc, *path = NULL;
	const char *action, *name, *timeline = NULL;
	long to_rev = -1, rev = -1, timeout = 0;
	int ch, npos = 0, rc, full = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		long *dst;

		if (ch == 'F') {
			full = 1;
			continue;
		}
		dst = ch == 'T' ? &to_rev : ch == 'R' ? &rev : &timeout;

		if (ch == 'L') {
			timeline = optarg;
			continue;
		}
		if (ch != 'T' && ch != 'R' && ch != 't')
			return cli_usage(argv[0]);
		*dst = parse_count(optarg, ch == 't');
		if (*dst < 0)
			return cli_usage_error("rollout", "bad number \"%s\"",
					       optarg);
	}
	while (optind < argc && npos < 3)
		pos[npos++] = argv[optind++];
	if (optind < argc || npos < 2)
		return cli_usage_error("rollout", "expected ACTION DEPLOYMENT");
	action = pos[0];
	if (npos == 3)
		name = strcmp(pos[1], "deployment") == 0 ||
			       strcmp(pos[1], "deploy") == 0 ||
			       strcmp(pos[1], "deployments") == 0
			   ? pos[2]
			   : NULL;
	else
		name = cli_strip_kind(pos[1], deploy_kinds);
	if (name == NULL || name[0] == '\0')
		return cli_usage_error("rollout", "expected one DEPLOYMENT");
	if (to_rev >= 0 && strcmp(action, "undo") != 0)
		return cli_usage_error("rollout",
				       "--to-revision applies to undo");
	if (full && strcmp(action, "promote") != 0)
		return cli_usage_error("rollout", "--full applies to promote");
	if (rev >= 0 && strcmp(action, "history") != 0)
		return cli_usage_error("rollout",
				       "--revision applies to history");
	if (timeline && strcmp(action, "history") != 0)
		return cli_usage_error("rollout",
				       "--timeline applies to history");
	esc = cli_path_escape(name);
	if (strcmp(action, "status") == 0) {
		path = xasprintf("/v1/deployments/%s/rollout/status", esc);
		rc = rollout_status(ctx, path, timeout);
	} else if (strcmp(action, "history") == 0) {
		char q[32] = "";

		if (rev >= 0)
			snprintf(q, sizeof(q), "?revision=%ld", rev);
		if (timeline) {
			/* The dashboard's recording of that rollout. */
			path = xasprintf("/v1/dashboard/timeline?deployment=%s"
					 "&revision=%ld",
					 esc, rev < 0 ? 0 : rev);
			rc = cli_api_save(ctx, path, timeline);
		} else {
			path = xasprintf("/v1/deployments/%s/rollout/history%s",
					 esc, q);
			rc = cli_api_print(ctx, "GET", path, NULL);
		}
	} else if (strcmp(action, "undo") == 0) {
		path = xasprintf("/v1/deployments/%s/rollout/undo", esc);
		rc = cli_api_message(
		    ctx, "POST", path,
		    json_pack("{s:I}", "to_revision",
			      (json_int_t)(to_rev < 0 ? 0 : to_rev)));
	} else if (strcmp(action, "promote") == 0) {
		path = xasprintf("/v1/deployments/%s/rollout/promote", esc);
		rc = cli_api_message(ctx, "POST", path,
				     json_pack("{s:b}", "full", full));
	} else if (strcmp(action, "pause") == 0 ||
		   strcmp(action, "resume") == 0 ||
		   strcmp(action, "restart") == 0 ||
		   strcmp(action, "abort") == 0 ||
		   strcmp(action, "retry") == 0) {
		path = xasprintf("/v1/deployments/%s/rollout/%s", esc, action);
		rc = cli_api_message(ctx, "POST", path, json_object());
	} else {
		rc = cli_usage_error("rollout",
				     "unknown action \"%s\" (status, history, "
				     "undo, pause, resume, restart, promote, "
				     "abort, retry)",
				     action);
	}
	free(esc);
	free(path);
	return rc;
}
