/*
 * cli_image.c - `berth images` and `berth image pull|import|ls|rm|prune|
 * inspect`. These verbs work on the image store directly (no daemon
 * needed): the store's flock makes them safe next to a running daemon,
 * and an image a pod uses is leased, so rm/prune leave it. The state dir
 * comes from `-c FILE` ([berth] state_dir), `--state-dir DIR`, or
 * /var/lib/berth. Prints; decides nothing about pods.
 */
#include "cli_image.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "../config/config.h"
#include "images.h"
#include "import.h"
#include "pull.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char usage[] =
    "Usage:\n"
    "  berth images [-q] [-o json]\n"
    "  berth image ls [-q] [-o json]\n"
    "  berth image pull REF\n"
    "  berth image import FILE|DIR [--name REF]\n"
    "  berth image rm REF|ID...\n"
    "  berth image prune [-a]\n"
    "  berth image inspect REF|ID\n"
    "Every verb takes -c FILE (the config's [berth] state_dir and "
    "insecureRegistries)\nand/or --state-dir DIR (which wins; default "
    "/var/lib/berth).\n";

struct ictx {
	struct berth_config *cfg;
	const char *state_dir;
	struct img_store *store;
	struct img_pull_opts pull;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_FAIL;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return EXIT_USAGE;
}

/* docker's sizes: decimal units, three significant digits */
static void human(uint64_t n, char *buf, size_t len)
{
	static const char *const u[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)n;
	int i = 0;

	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.3g%s", v, u[i]);
}

static int cmd_ls(struct ictx *c, int argc, char **argv)
{
	struct berr err = BERR_INIT;
	bool quiet = false, json = false;
	json_t *doc, *row;
	size_t i;

	for (int a = 0; a < argc; a++) {
		if (!strcmp(argv[a], "-q"))
			quiet = true;
		else if (!strcmp(argv[a], "-o") && a + 1 < argc &&
			 !strcmp(argv[a + 1], "json"))
			json = true, a++;
		else if (!strcmp(argv[a], "-ojson") ||
			 !strcmp(argv[a], "-o=json"))
			json = true;
		else
			return usage_error("unknown argument `%s`", argv[a]);
	}
	doc = img_list(c->store, &err);
	if (doc == NULL)
		return fail("%s", err.msg);
	if (json) {
		json_dumpf(doc, stdout, JSON_COMPACT);
		printf("\n");
		json_decref(doc);
		return EXIT_OK;
	}
	if (!quiet)
		printf("%-40s %-16s %-14s %-10s %s\n", "REPOSITORY", "TAG",
		       "IMAGE ID", "SIZE", "SHARED SIZE");
	json_array_foreach(json_object_get(doc, "images"), i, row)
	{
		const char *id = json_string_value(json_object_get(row, "id"));
		char size[32], shared[32];

		if (quiet) {
			printf("%.12s\n", id + 7);
			continue;
		}
		human(
		    (uint64_t)json_integer_value(json_object_get(row, "size")),
		    size, sizeof(size));
		human((uint64_t)json_integer_value(
			  json_object_get(row, "sharedSize")),
		      shared, sizeof(shared));
		printf("%-40s %-16s %-14.12s %-10s %s\n",
		       json_string_value(json_object_get(row, "repository")),
		       json_string_value(json_object_get(row, "tag")), id + 7,
		       size, shared);
	}
	json_decref(doc);
	return EXIT_OK;
}

static void print_loaded(json_t *res)
{
	json_t *r;
	size_t i;

	json_array_foreach(res, i, r)
	{
		const char *n = json_string_value(json_object_get(r, "name"));
		const char *id = json_string_value(json_object_get(r, "id"));

		if (n)
			printf("Loaded image: %s\n", n);
		else
			printf("Loaded image ID: %s\n", id);
	}
}

static int cmd_pull(struct ictx *c, int argc, char **argv)
{
	struct berr err = BERR_INIT;
	json_t *res = NULL;
	json_t *r;
	size_t i;

	if (argc != 1)
		return usage_error("%s", "image pull takes one reference");
	if (img_pull(c->store, argv[0], &c->pull, &res, &err) == -1)
		return fail("%s", err.msg);
	json_array_foreach(res, i, r)
	{
		printf("Pulled: %s\n",
		       json_string_value(json_object_get(r, "name")));
		printf("Digest: %s\n",
		       json_string_value(json_object_get(r, "manifest")));
	}
	json_decref(res);
	return EXIT_OK;
}

static int cmd_import(struct ictx *c, int argc, char **argv)
{
	struct berr err = BERR_INIT;
	const char *name = NULL, *path = NULL;
	json_t *res = NULL;

	for (int a = 0; a < argc; a++) {
		if (!strcmp(argv[a], "--name") && a + 1 < argc)
			name = argv[++a];
		else if (!strncmp(argv[a], "--name=", 7))
			name = argv[a] + 7;
		else if (path == NULL && argv[a][0] != '-')
			path = argv[a];
		else
			return usage_error("unknown argument `%s`", argv[a]);
	}
	if (path == NULL)
		return usage_error("%s", "image import needs a FILE or DIR");
	if (name) {
		struct image_ref r;

		if (image_ref_parse(name, &r, &err) == -1)
			return usage_error("%s", err.msg);
	}
	if (img_import(c->store, path, name, NULL, &res, &err) == -1)
		return fail("import `%s`: %s", path, err.msg);
	print_loaded(res);
	json_decref(res);
	return EXIT_OK;
}

static int cmd_rm(struct ictx *c, int argc, char **argv)
{
	int rc = EXIT_OK;

	if (argc == 0)
		return usage_error("%s", "image rm needs a reference or ID");
	for (int a = 0; a < argc; a++) {
		struct berr err = BERR_INIT;

		if (img_remove(c->store, argv[a], &err) == -1)
			rc = fail("%s", err.msg);
		else
			printf("Untagged: %s\n", argv[a]);
	}
	return rc;
}

static int cmd_prune(struct ictx *c, int argc, char **argv)
{
	struct berr err = BERR_INIT;
	bool all = false;
	uint64_t freed = 0;
	char h[32];

	for (int a = 0; a < argc; a++) {
		if (!strcmp(argv[a], "-a") || !strcmp(argv[a], "--all"))
			all = true;
		else
			return usage_error("unknown argument `%s`", argv[a]);
	}
	if (img_prune(c->store, all, &freed, &err) == -1)
		return fail("%s", err.msg);
	human(freed, h, sizeof(h));
	printf("Total reclaimed space: %s\n", h);
	return EXIT_OK;
}

static json_t *strv_json(char **v)
{
	json_t *a;

	if (v == NULL)
		return json_null();
	a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* inspect by reference, or by ID (a prefix of the config digest) */
static int cmd_inspect(struct ictx *c, int argc, char **argv)
{
	struct berr err = BERR_INIT;
	struct images_resolved r;
	char manifest[IMAGE_DIGEST_LEN + 1];
	json_t *out, *layers, *rec;
	char *text, *lowerdir = NULL;

	if (argc != 1)
		return usage_error("%s", "image inspect takes one reference");
	if (img_record_lookup(c->store, argv[0], manifest, &err) == -1)
		return fail("%s", err.msg);
	if (images_load(c->store, manifest, &r, &err) == -1)
		return fail("%s", err.msg);
	rec = img_record_get(c->store, manifest);
	if (images_lowerdir(&r, 0, &lowerdir, &err) == -1)
		lowerdir = NULL; /* too deep for one option: shown as null */
	layers = json_array();
	for (size_t i = 0; i < r.n_layers; i++)
		json_array_append_new(layers, json_string(r.layers[i]));
	out = json_pack(
	    "{s:O?, s:O?, s:s, s:s, s:o, s:{s:o, s:o, s:o, s:s?, s:s?}, s:s?, "
	    "s:s?, s:s?}",
	    "names", json_object_get(rec, "names"), "repoDigests",
	    json_object_get(rec, "digests"), "id", r.image_id, "manifest",
	    r.manifest, "layers", layers, "config", "Entrypoint",
	    strv_json(r.config.entrypoint), "Cmd", strv_json(r.config.cmd),
	    "Env", strv_json(r.config.env), "WorkingDir", r.config.working_dir,
	    "User", r.config.user, "os", r.config.os, "architecture",
	    r.config.architecture, "lowerdir", lowerdir);
	free(lowerdir);
	json_decref(rec);
	text = json_dumps(out, JSON_INDENT(2));
	printf("%s\n", text);
	free(text);
	json_decref(out);
	images_resolved_free(&r);
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(struct ictx *c, int argc, char **argv);
} verbs[] = {
    {"ls", cmd_ls},	    {"list", cmd_ls},	  {"pull", cmd_pull},
    {"import", cmd_import}, {"load", cmd_import}, {"rm", cmd_rm},
    {"remove", cmd_rm},	    {"prune", cmd_prune}, {"inspect", cmd_inspect},
};

int images_cli_main(int argc, char **argv)
{
	struct ictx c = {0};
	struct berr err = BERR_INIT;
	const char *cfg_path = NULL;
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0, rc = EXIT_USAGE, first = 2;
	const char *verb;

	if (!strcmp(argv[1], "images")) {
		verb = "ls";
		first = 2;
	} else if (argc < 3 || !strcmp(argv[2], "-h") ||
		   !strcmp(argv[2], "--help")) {
		fprintf(argc < 3 ? stderr : stdout, "%s", usage);
		free(rest);
		return argc < 3 ? EXIT_USAGE : EXIT_OK;
	} else {
		verb = argv[2];
		first = 3;
	}
	for (int a = first; a < argc; a++) {
		if (!strcmp(argv[a], "-c") && a + 1 < argc)
			cfg_path = argv[++a];
		else if (!strcmp(argv[a], "--state-dir") && a + 1 < argc)
			c.state_dir = argv[++a];
		else
			rest[nrest++] = argv[a];
	}
	if (cfg_path) {
		if (cfg_load(cfg_path, &c.cfg, &err) == -1) {
			fprintf(stderr, "%s\n", err.msg);
			free(rest);
			return EXIT_USAGE;
		}
		if (c.state_dir == NULL) /* --state-dir wins over the file */
			c.state_dir = c.cfg->state_dir;
		c.pull.insecure = c.cfg->insecure_registries.v;
		c.pull.n_insecure = c.cfg->insecure_registries.n;
	}
	if (c.state_dir == NULL)
		c.state_dir = "/var/lib/berth";
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].name, verb) != 0)
			continue;
		if (img_store_open(c.state_dir, &c.store, &err) == -1) {
			rc = fail("%s", err.msg);
			goto out;
		}
		rc = verbs[i].fn(&c, nrest, rest);
		goto out;
	}
	rc = usage_error("unknown image verb `%s`", verb);
out:
	img_store_close(c.store);
	cfg_free(c.cfg);
	free(rest);
	return rc;
}
