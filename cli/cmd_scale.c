/*
 * cmd_scale.c - `scale deployment/NAME --replicas N`, `set image DEPLOYMENT
 * IMAGE` and `set selector SERVICE K=V,... [--force]`: argv to one POST.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/image_ref.h"
#include "../common/xalloc.h"
#include "cmd.h"

static const char *const deploy_kinds[] = {
    "deployment",      "deployments",	   "deploy",
    "deployment.apps", "deployments.apps", NULL};
static const char *const svc_kinds[] = {"service", "services", "svc", NULL};

static int is_kind(const char *s, const char *const *kinds)
{
	size_t i;

	for (i = 0; kinds[i]; i++)
		if (strcmp(s, kinds[i]) == 0)
			return 1;
	return 0;
}

/* NAME from "KIND/NAME", "NAME" or the pair "KIND" "NAME" in pos[]. */
static const char *object_name(char **pos, int npos, const char *const *kinds)
{
	const char *name;

	if (npos == 2)
		return is_kind(pos[0], kinds) && pos[1][0] ? pos[1] : NULL;
	if (npos != 1)
		return NULL;
	name = cli_strip_kind(pos[0], kinds);
	return name && name[0] ? name : NULL;
}

int cmd_scale(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"replicas", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	char *pos[3], *end, *esc, *path;
	const char *name;
	long replicas = -1;
	int ch, npos = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'r')
			return cli_usage(argv[0]);
		replicas = strtol(optarg, &end, 10);
		if (*optarg == '\0' || *end != '\0' || replicas < 0 ||
		    replicas > INT_MAX)
			return cli_usage_error("scale",
					       "--replicas must be a "
					       "non-negative integer, not "
					       "\"%s\"",
					       optarg);
	}
	while (optind < argc && npos < 3)
		pos[npos++] = argv[optind++];
	name = object_name(pos, npos, deploy_kinds);
	if (name == NULL || optind < argc)
		return cli_usage_error("scale", "expected one DEPLOYMENT");
	if (replicas < 0)
		return cli_usage_error("scale", "--replicas N is required");
	esc = cli_path_escape(name);
	path = xasprintf("/v1/deployments/%s/scale", esc);
	rc = cli_api_message(
	    ctx, "POST", path,
	    json_pack("{s:I}", "replicas", (json_int_t)replicas));
	free(esc);
	free(path);
	return rc;
}

static int set_image(struct cli_ctx *ctx, char **pos, int npos)
{
	const char *name, *arg, *eq;
	char *image, *esc, *path;
	char cwd[PATH_MAX];
	struct stat st;
	int rc;

	if (npos < 2 || npos > 3)
		return cli_usage_error("set",
				       "expected: image DEPLOYMENT IMAGE");
	name = object_name(pos, npos - 1, deploy_kinds);
	if (name == NULL)
		return cli_usage_error("set",
				       "expected: image DEPLOYMENT IMAGE");
	arg = pos[npos - 1];
	/* kubectl's CONTAINER=IMAGE: the one container is the deployment's */
	eq = strchr(arg, '=');
	if (eq && memchr(arg, '/', (size_t)(eq - arg)) == NULL)
		arg = eq + 1;
	/* SPEC §8: a folder starts with /, ./, ../ or names an existing
	 * folder; anything else is an image reference, sent as is */
	if (arg[0] == '/' || strncmp(arg, "oci:", 4) == 0 ||
	    (!image_ref_is_folder(arg) &&
	     (stat(arg, &st) == -1 || !S_ISDIR(st.st_mode)))) {
		image = xstrdup(arg);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return cli_fail("getcwd: %m");
		image = xasprintf("%s/%s", cwd, arg);
	}
	esc = cli_path_escape(name);
	path = xasprintf("/v1/deployments/%s/image", esc);
	rc = cli_api_message(ctx, "POST", path,
			     json_pack("{s:s}", "image", image));
	free(image);
	free(esc);
	free(path);
	return rc;
}

static int set_selector(struct cli_ctx *ctx, char **pos, int npos, int force)
{
	const char *name;
	char *esc, *path;
	int rc;

	if (npos < 2 || npos > 3)
		return cli_usage_error("set",
				       "expected: selector SERVICE K=V,...");
	name = object_name(pos, npos - 1, svc_kinds);
	if (name == NULL || strchr(pos[npos - 1], '=') == NULL)
		return cli_usage_error("set",
				       "expected: selector SERVICE K=V,...");
	esc = cli_path_escape(name);
	path = xasprintf("/v1/services/%s/selector", esc);
	rc = cli_api_message(
	    ctx, "POST", path,
	    json_pack("{s:s,s:b}", "selector", pos[npos - 1], "force", force));
	free(esc);
	free(path);
	return rc;
}

int cmd_set(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'F'},
	    {NULL, 0, NULL, 0},
	};
	char *pos[4];
	int ch, npos = 0, force = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'F')
			return cli_usage(argv[0]);
		force = 1;
	}
	while (optind < argc && npos < 4)
		pos[npos++] = argv[optind++];
	if (optind < argc || npos == 0)
		return cli_usage_error("set", "expected image or selector");
	if (strcmp(pos[0], "image") == 0) {
		if (force)
			return cli_usage_error("set",
					       "--force applies to selector");
		return set_image(ctx, pos + 1, npos - 1);
	}
	if (strcmp(pos[0], "selector") == 0)
		return set_selector(ctx, pos + 1, npos - 1, force);
	return cli_usage_error("set", "unknown field \"%s\" (image, selector)",
			       pos[0]);
}
