/*
 * test_image_process.c - runtime/bundle.c's mapping of an OCI image's
 * config onto the container's process as the kubelet does it: `command`
 * replaces Entrypoint (and drops Cmd), `args` replaces Cmd, Env merged
 * with the pod's env winning, WorkingDir and User (names looked up in the
 * image's /etc/passwd and /etc/group), runAsUser/runAsGroup on top.
 * Touches only a temporary folder of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/fdio.h"
#include "../../runtime/bundle.h"
#include "../lib/tap.h"

static char tmpdir[] = "/tmp/berth-test-imgproc-XXXXXX";

static char *entry[] = {"/docker-entrypoint.sh", NULL};
static char *cmd[] = {"nginx", "-g", "daemon off;", NULL};
static char *img_env[] = {"PATH=/usr/local/bin:/usr/bin", "NGINX_VERSION=1.25",
			  "MODE=image", NULL};
static char *pod_cmd[] = {"/bin/sh", "-c"};
static char *pod_args[] = {"echo hi"};
static char *pod_env[] = {"MODE=pod", "EXTRA=1"};

static void spec_init(struct deployment_spec *d)
{
	memset(d, 0, sizeof(*d));
	d->name = "web";
	d->image = "docker.io/library/nginx:1.25";
	d->run_as_user = -1;
	d->run_as_group = -1;
	d->seccomp = SECCOMP_UNCONFINED;
}

static char *joined(json_t *a)
{
	static char buf[512];
	size_t i, o = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(a, i, v) o +=
	    (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "|" : "",
			     json_string_value(v));
	return buf;
}

static void test_args(void)
{
	struct bundle_image img = {.entrypoint = entry, .cmd = cmd};
	struct deployment_spec d;
	struct berr err = BERR_INIT;
	json_t *a;

	spec_init(&d);
	ok(bundle_process_args(&d, &img, &a, &err) == 0, "image only");
	is_str(joined(a), "/docker-entrypoint.sh|nginx|-g|daemon off;",
	       "Entrypoint then Cmd");
	json_decref(a);

	d.args = (struct strv){pod_args, 1};
	ok(bundle_process_args(&d, &img, &a, &err) == 0, "args set");
	is_str(joined(a), "/docker-entrypoint.sh|echo hi",
	       "args replace Cmd, Entrypoint kept");
	json_decref(a);

	d.command = (struct strv){pod_cmd, 2};
	ok(bundle_process_args(&d, &img, &a, &err) == 0, "command and args");
	is_str(joined(a), "/bin/sh|-c|echo hi", "command replaces Entrypoint");
	json_decref(a);

	d.args = (struct strv){NULL, 0};
	ok(bundle_process_args(&d, &img, &a, &err) == 0, "command only");
	is_str(joined(a), "/bin/sh|-c", "command alone drops the image's Cmd");
	json_decref(a);

	spec_init(&d);
	img.entrypoint = NULL;
	ok(bundle_process_args(&d, &img, &a, &err) == 0, "Cmd only");
	is_str(joined(a), "nginx|-g|daemon off;", "Cmd alone");
	json_decref(a);

	img.cmd = NULL;
	ok(bundle_process_args(&d, &img, &a, &err) == -1 && a == NULL,
	   "no Entrypoint, Cmd, command or args: refused");
	ok(strstr(err.msg, "no command") != NULL, "says why: %s", err.msg);

	err = (struct berr)BERR_INIT;
	ok(bundle_process_args(&d, NULL, &a, &err) == -1,
	   "a folder image needs command");
}

static void test_env(void)
{
	struct bundle_image img = {.env = img_env};
	struct deployment_spec d;
	json_t *e;

	spec_init(&d);
	d.env = (struct strv){pod_env, 2};
	e = bundle_process_env(&d, &img, "web-abc123-xyzzy");
	is_str(joined(e),
	       "PATH=/usr/local/bin:/usr/bin|HOSTNAME=web-abc123-xyzzy|"
	       "NGINX_VERSION=1.25|MODE=pod|EXTRA=1",
	       "image Env replaces PATH, the pod's env wins");
	json_decref(e);
}

static int write_file(const char *path, const char *text, struct berr *err)
{
	return file_write_atomic(path, text, strlen(text), 0644, err);
}

static void test_user(void)
{
	struct berr err = BERR_INIT;
	int64_t uid = -1, gid = -1;
	char path[256];

	snprintf(path, sizeof(path), "%s/etc", tmpdir);
	ok(mkdir_p(path, 0755, &err) == 0, "etc");
	snprintf(path, sizeof(path), "%s/etc/passwd", tmpdir);
	ok(write_file(path,
		      "root:x:0:0:root:/root:/bin/sh\n"
		      "nginx:x:101:102:nginx:/:/sbin/nologin\n",
		      &err) == 0,
	   "passwd");
	snprintf(path, sizeof(path), "%s/etc/group", tmpdir);
	ok(write_file(path, "root:x:0:\nwww:x:33:\n", &err) == 0, "group");

	ok(bundle_image_user(tmpdir, NULL, &uid, &gid, &err) == 0 && uid == 0 &&
	       gid == 0,
	   "no User: root");
	ok(bundle_image_user(tmpdir, "1000", &uid, &gid, &err) == 0 &&
	       uid == 1000 && gid == 0,
	   "numeric uid");
	ok(bundle_image_user(tmpdir, "1000:2000", &uid, &gid, &err) == 0 &&
	       uid == 1000 && gid == 2000,
	   "uid:gid");
	ok(bundle_image_user(tmpdir, "nginx", &uid, &gid, &err) == 0 &&
	       uid == 101 && gid == 102,
	   "a name: its passwd uid and group");
	ok(bundle_image_user(tmpdir, "nginx:www", &uid, &gid, &err) == 0 &&
	       uid == 101 && gid == 33,
	   "name:group");
	ok(bundle_image_user(tmpdir, "nobody", &uid, &gid, &err) == -1 &&
	       strstr(err.msg, "nobody") != NULL,
	   "an unknown name is an error naming it");
}

int main(void)
{
	struct berr err = BERR_INIT;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_args();
	test_env();
	test_user();
	rm_rf(tmpdir, &err);
	return tap_done();
}
