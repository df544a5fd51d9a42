/*
 * test_bundle.c - unit tests for runtime/bundle.c: config.json built from a
 * hand-made deployment_spec, checked field by field, and its atomic write.
 * Touches only a temporary folder of its own.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "../../common/fdio.h"
#include "../../runtime/bundle.h"
#include "../lib/tap.h"

static char *cmd[] = {"/bin/echo-version", NULL};
static char *args[] = {"--listen", ":8080", NULL};
static char *env[] = {"VERSION=0.1.0", "PATH=/opt/bin", "VERSION=0.2.0",
		      "EMPTY=", NULL};
static char *drop_all[] = {"ALL", NULL};
static char *add_nbs[] = {"NET_BIND_SERVICE", NULL};

static struct mount_spec mounts[] = {
    {"/srv/echo-data", "/data", true},
    {"/srv/cache", "/cache", false},
};

static const struct bundle_params params = {
    .pod_name = "echo-6f9c2d-x7k2p",
    .rootfs = "/run/berth/pods/echo-6f9c2d-x7k2p/rootfs",
    .cgroup_path = "/berth/echo-6f9c2d-x7k2p",
};

static void spec_init(struct deployment_spec *d)
{
	memset(d, 0, sizeof(*d));
	d->name = "echo";
	d->image = "/srv/images/echo";
	d->command = (struct strv){cmd, 1};
	d->run_as_user = -1;
	d->run_as_group = -1;
	d->seccomp = SECCOMP_UNCONFINED;
}

static json_t *get(json_t *root, const char *path)
{
	char buf[256];
	char *save = NULL;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok_r(buf, ".", &save); tok && cur;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(cur))
			cur = json_array_get(cur, strtoul(tok, NULL, 10));
		else
			cur = json_object_get(cur, tok);
	}
	return cur;
}

static const char *gets(json_t *root, const char *path)
{
	return json_string_value(get(root, path));
}

static long long geti(json_t *root, const char *path)
{
	return json_integer_value(get(root, path));
}

static bool has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static bool has_ns(json_t *c, const char *type)
{
	size_t i;
	json_t *v;

	json_array_foreach(get(c, "linux.namespaces"), i, v)
	{
		if (strcmp(gets(v, "type"), type) == 0)
			return true;
	}
	return false;
}

static json_t *find_mount(json_t *c, const char *dest)
{
	size_t i;
	json_t *v;

	json_array_foreach(get(c, "mounts"), i, v)
	{
		if (strcmp(gets(v, "destination"), dest) == 0)
			return v;
	}
	return NULL;
}

static json_t *build(const struct deployment_spec *d)
{
	struct berr err = BERR_INIT;
	json_t *c = NULL;

	if (bundle_build(d, &params, &c, &err) == -1)
		printf("# bundle_build: %s\n", err.msg);
	return c;
}

static void test_minimal(void)
{
	struct deployment_spec d;
	struct rlimit rl;
	long long nofile;
	json_t *c;

	spec_init(&d);
	c = build(&d);
	ok(c != NULL, "minimal spec builds");
	if (!c)
		return;
	is_str(gets(c, "ociVersion"), "1.0.2", "ociVersion");
	is_str(gets(c, "hostname"), "echo-6f9c2d-x7k2p", "hostname is pod");
	is_str(gets(c, "root.path"), params.rootfs, "root.path");
	ok(json_is_false(get(c, "root.readonly")), "root writable by default");
	ok(json_is_false(get(c, "process.terminal")), "no terminal");
	is_int(json_array_size(get(c, "process.args")), 1, "args: command");
	is_str(gets(c, "process.cwd"), "/", "cwd defaults to /");
	is_int(geti(c, "process.user.uid"), 0, "uid defaults to 0");
	is_int(geti(c, "process.user.gid"), 0, "gid defaults to 0");
	ok(json_is_true(get(c, "process.noNewPrivileges")), "noNewPrivileges");
	is_str(gets(c, "process.rlimits.0.type"), "RLIMIT_NOFILE",
	       "rlimit NOFILE");
	nofile = geti(c, "process.rlimits.0.hard");
	is_int(geti(c, "process.rlimits.0.soft"), nofile, "NOFILE soft = hard");
	getrlimit(RLIMIT_NOFILE, &rl);
	ok(nofile == 1048576 ||
	       (rl.rlim_max < 1048576 && nofile == (long long)rl.rlim_max),
	   "NOFILE 1048576, or our hard limit when we may not raise it (%lld)",
	   nofile);
	is_int(json_array_size(get(c, "process.env")), 2, "env: PATH+HOSTNAME");
	is_str(gets(c, "process.env.0"),
	       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
	       "/bin",
	       "default PATH first");
	is_str(gets(c, "process.env.1"), "HOSTNAME=echo-6f9c2d-x7k2p",
	       "HOSTNAME second");
	is_int(json_array_size(get(c, "process.capabilities.bounding")), 14,
	       "default capabilities");
	ok(has(get(c, "process.capabilities.effective"), "CAP_NET_RAW"),
	   "default set has CAP_NET_RAW");
	is_int(json_array_size(get(c, "process.capabilities.ambient")), 0,
	       "ambient empty");

	ok(has_ns(c, "pid") && has_ns(c, "ipc") && has_ns(c, "uts") &&
	       has_ns(c, "mount") && has_ns(c, "network"),
	   "pid ipc uts mount network namespaces");
	ok(!has_ns(c, "cgroup") && !has_ns(c, "user"),
	   "no cgroup or user namespace");
	is_str(gets(c, "linux.cgroupsPath"), "/berth/echo-6f9c2d-x7k2p",
	       "cgroupsPath");
	ok(get(c, "linux.resources.memory") == NULL &&
	       get(c, "linux.resources.cpu") == NULL &&
	       get(c, "linux.resources.pids") == NULL,
	   "no limits when unset");
	ok(json_is_false(get(c, "linux.resources.devices.0.allow")) &&
	       strcmp(gets(c, "linux.resources.devices.0.access"), "rwm") == 0,
	   "devices: deny all first");
	ok(get(c, "linux.seccomp") == NULL, "Unconfined: no seccomp");
	is_int(json_array_size(get(c, "linux.maskedPaths")), 10,
	       "ten masked paths");
	ok(has(get(c, "linux.maskedPaths"), "/proc/kcore") &&
	       has(get(c, "linux.maskedPaths"), "/sys/firmware") &&
	       has(get(c, "linux.maskedPaths"), "/proc/scsi"),
	   "masked: kcore, firmware, scsi");
	is_int(json_array_size(get(c, "linux.readonlyPaths")), 5,
	       "five read-only paths");
	ok(has(get(c, "linux.readonlyPaths"), "/proc/sys") &&
	       has(get(c, "linux.readonlyPaths"), "/proc/sysrq-trigger"),
	   "read-only: /proc/sys, sysrq-trigger");

	is_int(json_array_size(get(c, "mounts")), 7, "seven default mounts");
	is_str(gets(find_mount(c, "/proc"), "type"), "proc", "/proc is proc");
	ok(has(get(find_mount(c, "/dev"), "options"), "size=65536k") &&
	       has(get(find_mount(c, "/dev"), "options"), "strictatime"),
	   "/dev tmpfs options");
	ok(has(get(find_mount(c, "/dev/pts"), "options"), "newinstance") &&
	       has(get(find_mount(c, "/dev/pts"), "options"), "gid=5"),
	   "/dev/pts devpts options");
	ok(has(get(find_mount(c, "/dev/shm"), "options"), "mode=1777"),
	   "/dev/shm mode");
	is_str(gets(find_mount(c, "/dev/mqueue"), "type"), "mqueue",
	       "/dev/mqueue");
	ok(has(get(find_mount(c, "/sys"), "options"), "ro"), "/sys ro");
	ok(has(get(find_mount(c, "/sys/fs/cgroup"), "options"), "ro") &&
	       strcmp(gets(find_mount(c, "/sys/fs/cgroup"), "type"),
		      "cgroup") == 0,
	   "/sys/fs/cgroup cgroup ro");
	json_decref(c);
}

static void test_full(void)
{
	struct deployment_spec d;
	json_t *c, *m;

	spec_init(&d);
	d.args = (struct strv){args, 2};
	d.env = (struct strv){env, 4};
	d.working_dir = "/srv";
	d.run_as_user = 1000;
	d.run_as_group = 2000;
	d.read_only_root_filesystem = true;
	d.caps_drop = (struct strv){drop_all, 1};
	d.caps_add = (struct strv){add_nbs, 1};
	d.memory_limit_bytes = 128LL << 20;
	d.cpu_limit_millis = 500;
	d.pids_limit = 256;
	d.mounts = mounts;
	d.n_mounts = 2;
	d.network = NET_HOST;
	d.seccomp = SECCOMP_RUNTIME_DEFAULT;
	c = build(&d);
	ok(c != NULL, "full spec builds");
	if (!c)
		return;
	is_int(json_array_size(get(c, "process.args")), 3,
	       "args: command + args");
	is_str(gets(c, "process.args.0"), "/bin/echo-version", "argv[0]");
	is_str(gets(c, "process.args.1"), "--listen", "argv[1]");
	is_str(gets(c, "process.args.2"), ":8080", "argv[2]");
	is_int(json_array_size(get(c, "process.env")), 4, "env: 4 entries");
	is_str(gets(c, "process.env.0"), "PATH=/opt/bin",
	       "PATH overridden in place");
	is_str(gets(c, "process.env.1"), "HOSTNAME=echo-6f9c2d-x7k2p",
	       "HOSTNAME kept");
	is_str(gets(c, "process.env.2"), "VERSION=0.2.0", "later VERSION wins");
	is_str(gets(c, "process.env.3"), "EMPTY=", "empty value kept");
	is_str(gets(c, "process.cwd"), "/srv", "cwd");
	is_int(geti(c, "process.user.uid"), 1000, "uid");
	is_int(geti(c, "process.user.gid"), 2000, "gid");
	ok(json_is_true(get(c, "root.readonly")), "root read-only");
	is_int(json_array_size(get(c, "process.capabilities.bounding")), 1,
	       "one capability after drop ALL");
	is_str(gets(c, "process.capabilities.bounding.0"),
	       "CAP_NET_BIND_SERVICE", "bounding NET_BIND_SERVICE");
	is_str(gets(c, "process.capabilities.effective.0"),
	       "CAP_NET_BIND_SERVICE", "effective NET_BIND_SERVICE");
	is_str(gets(c, "process.capabilities.permitted.0"),
	       "CAP_NET_BIND_SERVICE", "permitted NET_BIND_SERVICE");
	is_str(gets(c, "process.capabilities.ambient.0"),
	       "CAP_NET_BIND_SERVICE", "non-root: ambient NET_BIND_SERVICE");

	ok(!has_ns(c, "network"), "network=host: no network namespace");
	ok(has_ns(c, "pid") && has_ns(c, "uts"), "other namespaces kept");
	is_int(geti(c, "linux.resources.memory.limit"), 134217728,
	       "memory limit bytes");
	is_int(geti(c, "linux.resources.cpu.quota"), 50000, "cpu quota");
	is_int(geti(c, "linux.resources.cpu.period"), 100000, "cpu period");
	is_int(geti(c, "linux.resources.pids.limit"), 256, "pids limit");

	is_int(json_array_size(get(c, "mounts")), 9, "7 + 2 mounts");
	m = find_mount(c, "/data");
	ok(m != NULL, "bind mount /data present");
	is_str(gets(m, "type"), "bind", "/data is a bind");
	is_str(gets(m, "source"), "/srv/echo-data", "/data source");
	ok(has(get(m, "options"), "rbind") && has(get(m, "options"), "ro") &&
	       has(get(m, "options"), "rprivate"),
	   "/data: rbind rprivate ro");
	ok(has(get(m, "options"), "rro"), "/data: rro (mounts below too)");
	m = find_mount(c, "/cache");
	ok(m && has(get(m, "options"), "rbind") &&
	       !has(get(m, "options"), "ro"),
	   "/cache: rbind without ro");
	is_str(gets(get(c, "mounts"), "8.destination"), "/cache",
	       "user mounts after the defaults, in order");

	is_str(gets(c, "linux.seccomp.defaultAction"), "SCMP_ACT_ERRNO",
	       "RuntimeDefault: seccomp present");
	ok(has(get(c, "linux.seccomp.syscalls.0.names"), "execve"),
	   "RuntimeDefault allows execve");
	ok(!has(get(c, "linux.seccomp.syscalls.0.names"), "mount"),
	   "RuntimeDefault denies mount");
	json_decref(c);
}

static char tmpdir[] = "/tmp/berth-test-bundle-XXXXXX";

static void test_seccomp_file(void)
{
	struct deployment_spec d;
	struct berr err = BERR_INIT;
	json_t *c = NULL;
	char *path = NULL, *bad = NULL;
	const char *prof = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
			   "\"architectures\": [\"SCMP_ARCH_X86_64\"], "
			   "\"syscalls\": [{\"names\": [\"mount\", "
			   "\"made_up_call\"], \"action\": "
			   "\"SCMP_ACT_ERRNO\"}]}";

	if (asprintf(&path, "%s/profile.json", tmpdir) == -1 ||
	    asprintf(&bad, "%s/missing.json", tmpdir) == -1)
		abort();
	file_write_atomic(path, prof, strlen(prof), 0600, &err);
	spec_init(&d);
	d.seccomp = SECCOMP_FILE;
	d.seccomp_file = path;
	c = build(&d);
	ok(c != NULL, "FILE seccomp builds");
	if (c) {
		is_str(gets(c, "linux.seccomp.defaultAction"), "SCMP_ACT_ALLOW",
		       "file defaultAction used");
		is_int(
		    json_array_size(get(c, "linux.seccomp.syscalls.0.names")),
		    1, "unknown syscall name filtered out");
		is_str(gets(c, "linux.seccomp.syscalls.0.names.0"), "mount",
		       "known name kept");
		is_str(gets(c, "linux.seccomp.syscalls.0.action"),
		       "SCMP_ACT_ERRNO", "file action kept");
		json_decref(c);
	}
	c = NULL;
	d.seccomp_file = bad;
	is_int(bundle_build(&d, &params, &c, &err), -1,
	       "missing profile file fails");
	ok(strstr(err.msg, "pod `echo-6f9c2d-x7k2p`: seccomp profile") ==
	       err.msg,
	   "error names pod and profile: %s", err.msg);
	ok(c == NULL, "nothing returned");
	free(path);
	free(bad);
}

static void test_errors_and_write(void)
{
	struct deployment_spec d;
	struct berr err = BERR_INIT;
	json_t *c = NULL, *back;
	char *bogus[] = {"NOT_A_CAP", NULL};
	char *file = NULL;
	struct stat st;
	json_error_t je;

	spec_init(&d);
	d.command = (struct strv){NULL, 0};
	is_int(bundle_build(&d, &params, &c, &err), -1, "no command fails");
	ok(strstr(err.msg, "`command` is required") != NULL,
	   "error says command is required: %s", err.msg);
	spec_init(&d);
	d.caps_add = (struct strv){bogus, 1};
	is_int(bundle_build(&d, &params, &c, &err), -1, "bad cap fails");
	is_str(err.msg,
	       "pod `echo-6f9c2d-x7k2p`: capabilities.add: unknown capability "
	       "`NOT_A_CAP`",
	       "bad cap message");

	spec_init(&d);
	d.run_as_user = 1000;
	c = build(&d);
	is_int(geti(c, "process.user.gid"), 0, "only user set: gid 0");
	ok(bundle_write(tmpdir, c, &err) == 0, "bundle_write succeeds");
	if (asprintf(&file, "%s/config.json", tmpdir) == -1)
		abort();
	ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "config.json is 0600");
	back = json_load_file(file, 0, &je);
	ok(back && json_equal(back, c), "config.json round-trips");
	json_decref(back);
	is_int(bundle_write("/nonexistent-dir", c, &err), -1,
	       "write into a missing folder fails");
	json_decref(c);
	free(file);
}

int main(void)
{
	struct berr err = BERR_INIT;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_minimal();
	test_full();
	test_seccomp_file();
	test_errors_and_write();
	rm_rf(tmpdir, &err);
	return tap_done();
}
