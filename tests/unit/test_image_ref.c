/*
 * test_image_ref.c - common/image_ref.c against the normalisation examples
 * of containerd's and the distribution project's reference tests, and the
 * kubelet's default pull policy.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/image_ref.h"
#include "../lib/tap.h"

#define D64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct good {
	const char *in;
	const char *canonical;
	const char *name;
};

static const struct good goods[] = {
    {"nginx", "docker.io/library/nginx:latest", "docker.io/library/nginx"},
    {"nginx:1.25", "docker.io/library/nginx:1.25", "docker.io/library/nginx"},
    {"library/nginx", "docker.io/library/nginx:latest",
     "docker.io/library/nginx"},
    {"docker.io/nginx", "docker.io/library/nginx:latest",
     "docker.io/library/nginx"},
    {"index.docker.io/nginx", "docker.io/library/nginx:latest",
     "docker.io/library/nginx"},
    {"dmcgowan/myapp", "docker.io/dmcgowan/myapp:latest",
     "docker.io/dmcgowan/myapp"},
    {"dmcgowan/myapp:1", "docker.io/dmcgowan/myapp:1",
     "docker.io/dmcgowan/myapp"},
    {"gcr.io/google-containers/pause:3.9", "gcr.io/google-containers/pause:3.9",
     "gcr.io/google-containers/pause"},
    {"localhost/foo", "localhost/foo:latest", "localhost/foo"},
    {"localhost:5000/foo/bar:v1", "localhost:5000/foo/bar:v1",
     "localhost:5000/foo/bar"},
    {"127.0.0.1:5000/echo:0.1.0", "127.0.0.1:5000/echo:0.1.0",
     "127.0.0.1:5000/echo"},
    {"[::1]:5000/echo", "[::1]:5000/echo:latest", "[::1]:5000/echo"},
    {"Foo/bar", "Foo/bar:latest", "Foo/bar"}, /* upper case: a registry */
    {"registry.example.com/a/b/c:tag-1.2_x",
     "registry.example.com/a/b/c:tag-1.2_x", "registry.example.com/a/b/c"},
    {"a__b/c.d/e--f", "docker.io/a__b/c.d/e--f:latest",
     "docker.io/a__b/c.d/e--f"},
    {"busybox@sha256:" D64, "docker.io/library/busybox@sha256:" D64,
     "docker.io/library/busybox"},
    {"busybox:1.36@sha256:" D64, "docker.io/library/busybox:1.36@sha256:" D64,
     "docker.io/library/busybox"},
    {"quay.io/a/b:latest@sha256:" D64, "quay.io/a/b:latest@sha256:" D64,
     "quay.io/a/b"},
};

struct bad {
	const char *in;
	const char *msg_part;
};

static const struct bad bads[] = {
    {"", "empty"},
    {D64, "image ID"},
    {"Nginx", "lowercase"},
    {"docker.io/Nginx", "lowercase"},
    {"nginx:", "bad tag"},
    {"nginx:-x", "bad tag"},
    {"nginx:a+b", "bad tag"},
    {"nginx@sha256:abc", "64 lowercase hex"},
    {"nginx@sha512:" D64, "only sha256"},
    {"nginx@" D64, "no algorithm"},
    {"-nginx", "component"},
    {"a//b", "component"},
    {"a/b/", "trailing"},
    {"foo_/bar", "component"},
    {"a...b", "component"},
    {"ex ample", "space"},
    {"localhost:port/a", "registry"},
    {"-bad.com/a", "registry"},
    {"host.com:/a", "registry"},
    {":tag", "no name"},
    {"R/", "no repository"}, /* found by fuzz_image_ref */
    {"localhost:5000/", "no repository"},
};

int main(void)
{
	char buf[600];

	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		struct berr err = BERR_INIT;
		struct image_ref r;
		int rc = image_ref_parse(goods[i].in, &r, &err);

		ok(rc == 0, "`%s` parses%s%s", goods[i].in, rc ? ": " : "",
		   rc ? err.msg : "");
		if (rc)
			continue;
		image_ref_string(&r, buf, sizeof(buf));
		is_str(buf, goods[i].canonical, "`%s` canonical", goods[i].in);
		image_ref_name(&r, buf, sizeof(buf));
		is_str(buf, goods[i].name, "`%s` name", goods[i].in);
	}
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct berr err = BERR_INIT;
		struct image_ref r;
		int rc = image_ref_parse(bads[i].in, &r, &err);

		ok(rc == -1 && strstr(err.msg, bads[i].msg_part),
		   "`%s` refused (%s)", bads[i].in, err.msg);
	}

	{
		struct berr err = BERR_INIT;
		char longname[300];
		struct image_ref r;

		memset(longname, 'a', 256);
		longname[256] = '\0';
		ok(image_ref_parse(longname, &r, &err) == -1 &&
		       strstr(err.msg, "long"),
		   "a 256-character name is refused (%s)", err.msg);
	}

	/* pull string: the digest wins over the tag */
	{
		struct berr err = BERR_INIT;
		struct image_ref r;

		image_ref_parse("busybox:1.36@sha256:" D64, &r, &err);
		image_ref_pull_string(&r, buf, sizeof(buf));
		is_str(buf, "docker.io/library/busybox@sha256:" D64,
		       "pull by digest when both are given");
		image_ref_parse("busybox:1.36", &r, &err);
		image_ref_pull_string(&r, buf, sizeof(buf));
		is_str(buf, "docker.io/library/busybox:1.36", "pull by tag");
	}

	/* default pull policy (kubelet): Always for latest or no tag */
	{
		static const struct {
			const char *in;
			enum image_pull_policy want;
		} pol[] = {
		    {"nginx", IMAGE_PULL_ALWAYS},
		    {"nginx:latest", IMAGE_PULL_ALWAYS},
		    {"nginx:1.25", IMAGE_PULL_IF_NOT_PRESENT},
		    {"nginx@sha256:" D64, IMAGE_PULL_IF_NOT_PRESENT},
		    {"nginx:latest@sha256:" D64, IMAGE_PULL_ALWAYS},
		};
		for (size_t i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
			struct berr err = BERR_INIT;
			struct image_ref r;

			image_ref_parse(pol[i].in, &r, &err);
			is_str(
			    image_pull_policy_str(image_ref_default_policy(&r)),
			    image_pull_policy_str(pol[i].want),
			    "default policy of `%s`", pol[i].in);
		}
	}
	{
		enum image_pull_policy p;

		ok(image_pull_policy_parse("Never", &p) == 0 &&
		       p == IMAGE_PULL_NEVER,
		   "Never parses");
		ok(image_pull_policy_parse("always", &p) == -1,
		   "policies are case-sensitive");
	}

	ok(image_ref_is_folder("/srv/img"), "/ is a folder");
	ok(image_ref_is_folder("./img"), "./ is a folder");
	ok(image_ref_is_folder("../img"), "../ is a folder");
	ok(!image_ref_is_folder("build/images/echo"), "a/b is a reference");
	ok(!image_ref_is_folder("nginx"), "nginx is a reference");
	return tap_done();
}
