/*
 * test_image_oci.c - images/oci.c and images/images.c without a store:
 * platform choice in indexes, manifest and config parsing, chain IDs, the
 * overlay lowerdir option and its size limit, the pull back-off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/xalloc.h"
#include "../../images/images.h"
#include "../../images/oci.h"
#include "../lib/tap.h"

#define DA                                                                     \
	"sha256:"                                                              \
	"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define DB                                                                     \
	"sha256:"                                                              \
	"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
#define DC                                                                     \
	"sha256:"                                                              \
	"2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"

static const char index_json[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
    "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" DA "\",\"size\":1,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
    "\"variant\":\"v7\"}},"
    "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" DB "\",\"size\":1,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\","
    "\"variant\":\"v8\"}},"
    "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" DC "\",\"size\":1,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
    "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" DA "\",\"size\":1,"
    "\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\"}}]}";

static void test_index(void)
{
	struct berr err = BERR_INIT;
	struct oci_desc d;
	const char *arch, *variant;

	is_int(oci_kind_of(index_json, strlen(index_json)), OCI_KIND_INDEX,
	       "an index is an index");
	ok(oci_index_pick(index_json, strlen(index_json), "linux", "amd64", "",
			  &d, &err) == 0 &&
	       !strcmp(d.digest, DC),
	   "linux/amd64 picked");
	ok(oci_index_pick(index_json, strlen(index_json), "linux", "arm64", "",
			  &d, &err) == 0 &&
	       !strcmp(d.digest, DB),
	   "arm64 without a variant takes v8");
	ok(oci_index_pick(index_json, strlen(index_json), "linux", "arm", "v7",
			  &d, &err) == 0 &&
	       !strcmp(d.digest, DA),
	   "arm/v7 picked");
	ok(oci_index_pick(index_json, strlen(index_json), "linux", "arm", "v6",
			  &d, &err) == -1 &&
	       strstr(err.msg, "linux/arm/v6"),
	   "no arm/v6: a clear error (%s)", err.msg);
	ok(oci_index_pick(index_json, strlen(index_json), "linux", "s390x",
			  NULL, &d, &err) == -1,
	   "no s390x");
	oci_host_platform(&arch, &variant);
	if (!strcmp(arch, "amd64"))
		ok(oci_index_pick(index_json, strlen(index_json), NULL, NULL,
				  NULL, &d, &err) == 0 &&
		       !strcmp(d.digest, DC),
		   "the host's platform by default");
	else
		ok(1, "# SKIP host is not amd64");
}

static void test_manifest_config(void)
{
	static const char man[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
	    "\"config\":{\"mediaType\":\"x\",\"digest\":\"" DA "\",\"size\":2},"
	    "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs."
	    "diff.tar.gzip\",\"digest\":\"" DB "\",\"size\":3}]}";
	static const char foreign[] =
	    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" DA "\"},"
	    "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs."
	    "foreign.diff.tar.gzip\",\"digest\":\"" DB "\"}]}";
	static const char v1[] = "{\"schemaVersion\":1,\"fsLayers\":[]}";
	static const char cfg[] =
	    "{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{"
	    "\"Entrypoint\":[\"/e\"],\"Cmd\":[\"a\",\"b\"],\"Env\":[\"A=1\"],"
	    "\"WorkingDir\":\"/w\",\"User\":\"1000:1000\"},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA "\",\"" DB
	    "\"]}}";
	struct berr err = BERR_INIT;
	struct oci_manifest m;
	struct oci_image_config c;
	char chain[2][IMAGE_DIGEST_LEN + 1];

	ok(oci_manifest_parse(man, strlen(man), &m, &err) == 0 &&
	       m.n_layers == 1 && !strcmp(m.layers[0].digest, DB) &&
	       m.layers[0].size == 3 && !strcmp(m.config.digest, DA),
	   "docker schema 2 manifest (%s)", err.msg);
	oci_manifest_free(&m);
	ok(oci_manifest_parse(foreign, strlen(foreign), &m, &err) == -1 &&
	       strstr(err.msg, "foreign"),
	   "foreign layers refused (%s)", err.msg);
	ok(oci_manifest_parse(v1, strlen(v1), &m, &err) == -1 &&
	       strstr(err.msg, "schemaVersion 1"),
	   "schema 1 refused (%s)", err.msg);
	ok(oci_manifest_parse("[]", 2, &m, &err) == -1, "not an object");
	ok(oci_config_parse(cfg, strlen(cfg), &c, &err) == 0, "config parses");
	is_str(c.entrypoint[0], "/e", "Entrypoint");
	ok(c.cmd[1] && !strcmp(c.cmd[1], "b") && c.cmd[2] == NULL, "Cmd");
	is_str(c.env[0], "A=1", "Env");
	is_str(c.working_dir, "/w", "WorkingDir");
	is_str(c.user, "1000:1000", "User");
	is_int(c.n_diff_ids, 2, "two diff_ids");
	oci_chain_ids((const char(*)[IMAGE_DIGEST_LEN + 1]) c.diff_ids, 2,
		      chain);
	is_str(chain[0], DA, "chain 0 is diff 0");
	is_str(chain[1],
	       "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85"
	       "c3889676",
	       "chain 1 = sha256(chain0 + \" \" + diff1)");
	oci_config_free(&c);
}

static void test_lowerdir(void)
{
	struct images_resolved r;
	struct berr err = BERR_INIT;
	char *s = NULL;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "docker.io/library/deep:1");
	r.n_layers = 3;
	r.short_layers = xcalloc(200, sizeof(char *));
	r.short_layers[0] = xstrdup("/s/l/aaaa");
	r.short_layers[1] = xstrdup("/s/l/bbbb");
	r.short_layers[2] = xstrdup("/s/l/cccc");
	ok(images_lowerdir(&r, 0, &s, &err) == 0, "lowerdir of 3 layers");
	is_str(s, "lowerdir=/s/l/cccc:/s/l/bbbb:/s/l/aaaa",
	       "top layer first, as overlayfs wants");
	free(s);
	s = NULL;
	/* under /var/lib/berth a layer takes 37 bytes: 100 fit a page */
	for (size_t i = 3; i < 200; i++)
		r.short_layers[i] =
		    xasprintf("/var/lib/berth/images/l/%012zx", i);
	r.n_layers = 100;
	ok(images_lowerdir(&r, 200, &s, &err) == 0 && strlen(s) < 4096,
	   "100 layers fit in one page with room for upperdir/workdir (%s)",
	   err.msg);
	free(s);
	s = NULL;
	r.n_layers = 200;
	ok(images_lowerdir(&r, 200, &s, &err) == -1 &&
	       strstr(err.msg, "lowerdir+"),
	   "200 layers: refused with the way out (%s)", err.msg);
	for (size_t i = 0; i < 200; i++)
		free(r.short_layers[i]);
	free(r.short_layers);
}

int main(void)
{
	test_index();
	test_manifest_config();
	test_lowerdir();
	is_int(images_pull_backoff_seconds(1), 10, "first back-off 10 s");
	is_int(images_pull_backoff_seconds(2), 20, "then 20 s");
	is_int(images_pull_backoff_seconds(5), 160, "then 160 s");
	is_int(images_pull_backoff_seconds(6), 300, "capped at 300 s");
	is_int(images_pull_backoff_seconds(40), 300, "stays at 300 s");
	is_str(images_failure_reason(IMAGES_NEVER_PULL), "ErrImageNeverPull",
	       "reason names are the kubelet's");
	is_str(images_failure_reason(IMAGES_ERR_PULL), "ErrImagePull",
	       "ErrImagePull");
	return tap_done();
}
