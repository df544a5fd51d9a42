/*
 * bundle.c - OCI runtime-spec config.json for a pod, from its template.
 *
 * The shape follows what Docker and containerd hand to runc for a
 * Kubernetes pod, so that runc 1.1 and crun 1.8 accept it on cgroup v1
 * and v2 hosts alike. Capabilities and seccomp come from security.c. Must
 * not mount, create cgroups or run the runtime.
 */
#include "bundle.h"

#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "security.h"

#define DEFAULT_PATH                                                           \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define NOFILE_LIMIT 1048576
#define CPU_PERIOD 100000

static const char *const masked_paths[] = {
    "/proc/acpi",	 "/proc/asound",	"/proc/kcore",
    "/proc/keys",	 "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug",	"/sys/firmware",
    "/proc/scsi",
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Sets "K=V" in env, replacing an earlier K in place (last one wins). */
static void env_set(json_t *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
	size_t i;
	json_t *v;

	json_array_foreach(env, i, v)
	{
		const char *cur = json_string_value(v);

		if (strncmp(cur, kv, klen) == 0 &&
		    (cur[klen] == '=' || cur[klen] == '\0')) {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

json_t *bundle_process_env(const struct deployment_spec *d,
			   const struct bundle_image *img, const char *pod)
{
	json_t *env = json_array();
	cleanup_free char *host = xasprintf("HOSTNAME=%s", pod);

	env_set(env, DEFAULT_PATH);
	env_set(env, host);
	for (size_t i = 0; img && img->env && img->env[i]; i++)
		env_set(env, img->env[i]);
	for (size_t i = 0; i < d->env.n; i++)
		env_set(env, d->env.v[i]);
	return env;
}

static void append_list(json_t *a, char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
}

int bundle_process_args(const struct deployment_spec *d,
			const struct bundle_image *img, json_t **out,
			struct berr *err)
{
	json_t *args = json_array();

	if (d->command.n > 0) {
		for (size_t i = 0; i < d->command.n; i++)
			json_array_append_new(args,
					      json_string(d->command.v[i]));
	} else if (img) {
		append_list(args, img->entrypoint);
	}
	if (d->args.n > 0 || d->command.n > 0) {
		for (size_t i = 0; i < d->args.n; i++)
			json_array_append_new(args, json_string(d->args.v[i]));
	} else if (img) {
		append_list(args, img->cmd);
	}
	if (json_array_size(args) == 0) {
		json_decref(args);
		*out = NULL;
		return berr_set(
		    err, img ? "no command: the image has no Entrypoint "
			       "or Cmd, and neither `command` nor `args` "
			       "is set"
			     : "no command: berth images have no "
			       "entrypoint, `command` is required");
	}
	*out = args;
	return 0;
}

/* Looks name up in the colon-separated file path (passwd or group): its
 * third field, and for passwd the fourth in *gid. 0 found, -1 not. */
static int lookup_name(const char *path, const char *name, int64_t *id,
		       int64_t *gid)
{
	cleanup_free char *text = NULL;
	char *line, *save = NULL;

	if (file_read_all(path, &text, NULL, NULL) == -1)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {0}, *q = line;
		int n = 0;

		for (; n < 4 && q; n++) {
			f[n] = q;
			q = strchr(q, ':');
			if (q)
				*q++ = '\0';
		}
		if (n < 3 || strcmp(f[0], name) != 0)
			continue;
		*id = strtoll(f[2], NULL, 10);
		if (gid && n >= 4 && f[3])
			*gid = strtoll(f[3], NULL, 10);
		return 0;
	}
	return -1;
}

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int bundle_image_user(const char *rootfs, const char *user, int64_t *uid,
		      int64_t *gid, struct berr *err)
{
	cleanup_free char *u = xstrdup(user ? user : "");
	cleanup_free char *passwd = xasprintf("%s/etc/passwd", rootfs);
	cleanup_free char *group = xasprintf("%s/etc/group", rootfs);
	char *g = strchr(u, ':');
	int64_t pw_gid = 0;

	*uid = 0;
	*gid = 0;
	if (g)
		*g++ = '\0';
	if (u[0] == '\0' && (g == NULL || *g == '\0'))
		return 0;
	if (all_digits(u))
		*uid = strtoll(u, NULL, 10);
	else if (lookup_name(passwd, u, uid, &pw_gid) == -1)
		return berr_set(err,
				"image user `%s` is not in the image's "
				"/etc/passwd",
				u);
	*gid = pw_gid;
	if (g && *g) {
		if (all_digits(g))
			*gid = strtoll(g, NULL, 10);
		else if (lookup_name(group, g, gid, NULL) == -1)
			return berr_set(err,
					"image group `%s` is not in the "
					"image's /etc/group",
					g);
	}
	return 0;
}

static char **strs_dup(char **v)
{
	size_t n = 0;
	char **c;

	if (v == NULL)
		return NULL;
	while (v[n])
		n++;
	c = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

static void strs_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

struct bundle_image *bundle_image_dup(const struct bundle_image *img)
{
	struct bundle_image *c;

	if (img == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->entrypoint = strs_dup(img->entrypoint);
	c->cmd = strs_dup(img->cmd);
	c->env = strs_dup(img->env);
	c->working_dir = img->working_dir ? xstrdup(img->working_dir) : NULL;
	c->user = img->user ? xstrdup(img->user) : NULL;
	return c;
}

void bundle_image_free(struct bundle_image *img)
{
	if (img == NULL)
		return;
	strs_free(img->entrypoint);
	strs_free(img->cmd);
	strs_free(img->env);
	free(img->working_dir);
	free(img->user);
	free(img);
}

/*
 * RLIMIT_NOFILE for the pod: 1048576 as containerd sets it, unless berth
 * itself may not raise its hard limit that far (no CAP_SYS_RESOURCE, as in
 * some sandboxes and nested containers); then runc fails the start with
 * "error setting rlimit type 7: operation not permitted", so the pod gets
 * berth's own hard limit instead.
 */
static rlim_t nofile_limit(void)
{
	struct rlimit rl;
	cap_t caps;
	cap_flag_value_t v = CAP_CLEAR;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_max >= NOFILE_LIMIT)
		return NOFILE_LIMIT;
	caps = cap_get_proc();
	if (caps != NULL) {
		cap_get_flag(caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
		cap_free(caps);
	}
	return v == CAP_SET ? NOFILE_LIMIT : rl.rlim_max;
}

static int build_process(const struct deployment_spec *d,
			 const struct bundle_params *p, json_t **out,
			 struct berr *err)
{
	const struct bundle_image *img = p->image;
	json_t *proc, *args, *caps = NULL;
	int64_t uid = 0, gid = 0;
	json_int_t nofile = (json_int_t)nofile_limit();
	const char *cwd = "/";

	if (img &&
	    bundle_image_user(p->rootfs, img->user, &uid, &gid, err) == -1)
		return -1;
	if (d->run_as_user >= 0) {
		uid = d->run_as_user;
		if (d->run_as_group < 0)
			gid = 0;
	}
	if (d->run_as_group >= 0)
		gid = d->run_as_group;
	if (d->working_dir && d->working_dir[0])
		cwd = d->working_dir;
	else if (img && img->working_dir && img->working_dir[0] == '/')
		cwd = img->working_dir;
	if (bundle_process_args(d, img, &args, err) == -1)
		return -1;
	if (security_caps_build(d, &caps, err) == -1) {
		json_decref(args);
		return -1;
	}

	proc = json_object();
	json_object_set_new(proc, "terminal", json_false());
	json_object_set_new(proc, "user",
			    json_pack("{s:I, s:I}", "uid", (json_int_t)uid,
				      "gid", (json_int_t)gid));
	json_object_set_new(proc, "args", args);
	json_object_set_new(proc, "env",
			    bundle_process_env(d, img, p->pod_name));
	json_object_set_new(proc, "cwd", json_string(cwd));
	json_object_set_new(proc, "capabilities", caps);
	json_object_set_new(proc, "rlimits",
			    json_pack("[{s:s, s:I, s:I}]", "type",
				      "RLIMIT_NOFILE", "hard", nofile, "soft",
				      nofile));
	json_object_set_new(proc, "noNewPrivileges", json_true());
	*out = proc;
	return 0;
}

static json_t *mount_entry(const char *dest, const char *type,
			   const char *source, const char *const *opts,
			   size_t n_opts)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type",
			 type, "source", source, "options",
			 strings(opts, n_opts));
}

static json_t *build_mounts(const struct deployment_spec *d)
{
	static const char *const proc_o[] = {"nosuid", "noexec", "nodev"};
	static const char *const dev_o[] = {"nosuid", "strictatime", "mode=755",
					    "size=65536k"};
	static const char *const pts_o[] = {"nosuid",	   "noexec",
					    "newinstance", "ptmxmode=0666",
					    "mode=0620",   "gid=5"};
	static const char *const shm_o[] = {"nosuid", "noexec", "nodev",
					    "mode=1777", "size=65536k"};
	static const char *const mq_o[] = {"nosuid", "noexec", "nodev"};
	static const char *const sys_o[] = {"nosuid", "noexec", "nodev", "ro"};
	static const char *const cg_o[] = {"nosuid", "noexec", "nodev",
					   "relatime", "ro"};
	static const char *const bind_rw[] = {"rbind", "rprivate"};
	/* "rro": read-only down to every mount below the source too
	 * (mount_setattr, kernel >= 5.12; runc >= 1.1, crun). */
	static const char *const bind_ro[] = {"rbind", "rprivate", "ro", "rro"};
	json_t *m = json_array();

#define ADD(dest, type, src, o)                                                \
	json_array_append_new(m, mount_entry(dest, type, src, o, ARRAY_LEN(o)))
	ADD("/proc", "proc", "proc", proc_o);
	ADD("/dev", "tmpfs", "tmpfs", dev_o);
	ADD("/dev/pts", "devpts", "devpts", pts_o);
	ADD("/dev/shm", "tmpfs", "shm", shm_o);
	ADD("/dev/mqueue", "mqueue", "mqueue", mq_o);
	ADD("/sys", "sysfs", "sysfs", sys_o);
	ADD("/sys/fs/cgroup", "cgroup", "cgroup", cg_o);
#undef ADD
	for (size_t i = 0; i < d->n_mounts; i++) {
		const struct mount_spec *ms = &d->mounts[i];

		if (ms->read_only)
			json_array_append_new(
			    m, mount_entry(ms->container_path, "bind",
					   ms->host_path, bind_ro,
					   ARRAY_LEN(bind_ro)));
		else
			json_array_append_new(
			    m, mount_entry(ms->container_path, "bind",
					   ms->host_path, bind_rw,
					   ARRAY_LEN(bind_rw)));
	}
	return m;
}

static json_t *build_resources(const struct deployment_spec *d)
{
	json_t *r = json_object();

	/*
	 * Deny every device first, as Docker and containerd do; the runtime
	 * appends its own allow-list (null, zero, full, tty, random, urandom,
	 * pts) after the spec's rules.
	 */
	json_object_set_new(
	    r, "devices",
	    json_pack("[{s:b, s:s}]", "allow", 0, "access", "rwm"));
	if (d->memory_limit_bytes > 0)
		json_object_set_new(
		    r, "memory",
		    json_pack("{s:I}", "limit",
			      (json_int_t)d->memory_limit_bytes));
	if (d->cpu_limit_millis > 0)
		json_object_set_new(
		    r, "cpu",
		    json_pack(
			"{s:I, s:I}", "quota",
			(json_int_t)(d->cpu_limit_millis * (CPU_PERIOD / 1000)),
			"period", (json_int_t)CPU_PERIOD));
	if (d->pids_limit > 0)
		json_object_set_new(
		    r, "pids",
		    json_pack("{s:I}", "limit", (json_int_t)d->pids_limit));
	return r;
}

static int build_linux(const struct deployment_spec *d,
		       const struct bundle_params *p, json_t **out,
		       struct berr *err)
{
	json_t *lx = json_object();
	json_t *ns = json_array();
	json_t *seccomp = NULL;

	/*
	 * No cgroup namespace: on cgroup v1 hybrid hosts runc then mounts
	 * the container's own cgroup paths, which both runtimes handle.
	 */
	json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
	json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
	json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
	json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
	if (d->network != NET_HOST)
		json_array_append_new(ns,
				      json_pack("{s:s}", "type", "network"));
	json_object_set_new(lx, "namespaces", ns);
	if (p->cgroup_path)
		json_object_set_new(lx, "cgroupsPath",
				    json_string(p->cgroup_path));
	json_object_set_new(lx, "resources", build_resources(d));
	json_object_set_new(lx, "maskedPaths",
			    strings(masked_paths, ARRAY_LEN(masked_paths)));
	json_object_set_new(lx, "readonlyPaths",
			    strings(readonly_paths, ARRAY_LEN(readonly_paths)));

	switch (d->seccomp) {
	case SECCOMP_RUNTIME_DEFAULT:
		seccomp = security_seccomp_default();
		break;
	case SECCOMP_FILE:
		if (d->seccomp_file == NULL) {
			json_decref(lx);
			return berr_set(err, "seccompProfile: no file given");
		}
		if (security_seccomp_from_file(d->seccomp_file, &seccomp,
					       err) == -1) {
			json_decref(lx);
			return -1;
		}
		break;
	case SECCOMP_UNCONFINED:
		break;
	}
	if (seccomp)
		json_object_set_new(lx, "seccomp", seccomp);
	*out = lx;
	return 0;
}

int bundle_build(const struct deployment_spec *d, const struct bundle_params *p,
		 json_t **out, struct berr *err)
{
	json_t *cfg, *proc = NULL, *lx = NULL;

	if (p->pod_name == NULL || p->rootfs == NULL || p->rootfs[0] != '/')
		return berr_set(err, "bundle: pod name and an absolute rootfs "
				     "are required");
	if (build_process(d, p, &proc, err) == -1)
		return berr_wrap(err, "pod `%s`", p->pod_name);
	if (build_linux(d, p, &lx, err) == -1) {
		json_decref(proc);
		return berr_wrap(err, "pod `%s`", p->pod_name);
	}
	cfg = json_object();
	json_object_set_new(cfg, "ociVersion", json_string("1.0.2"));
	json_object_set_new(cfg, "process", proc);
	json_object_set_new(cfg, "root",
			    json_pack("{s:s, s:b}", "path", p->rootfs,
				      "readonly",
				      (int)d->read_only_root_filesystem));
	json_object_set_new(cfg, "hostname", json_string(p->pod_name));
	json_object_set_new(cfg, "mounts", build_mounts(d));
	json_object_set_new(cfg, "linux", lx);
	*out = cfg;
	return 0;
}

int bundle_write(const char *bundle_dir, json_t *config, struct berr *err)
{
	cleanup_free char *path = xasprintf("%s/config.json", bundle_dir);
	cleanup_free char *text = json_dumps(config, JSON_COMPACT);

	if (text == NULL)
		return berr_set(err, "bundle `%s`: cannot serialize config",
				bundle_dir);
	/* The run dir does not survive a reboot: no fsync needed. */
	if (file_write_replace(path, text, strlen(text), 0600, err) == -1)
		return berr_wrap(err, "bundle `%s`", bundle_dir);
	return 0;
}
