/*
 * security.c - capabilities and seccomp for a pod's OCI spec.
 *
 * Capability names go through libcap (cap_from_name/cap_to_name) so that
 * only names the library knows reach the runtime, in canonical spelling.
 * Seccomp names go through libseccomp so that the profile holds only
 * syscalls this architecture has. Builds jansson values only: no files are
 * written, nothing is mounted or executed here.
 */
#include "security.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"

/* Docker's and containerd's default set for a container. */
static const char *const default_caps[] = {
    "CHOWN",   "DAC_OVERRIDE", "FSETID",	   "FOWNER",
    "MKNOD",   "NET_RAW",      "SETGID",	   "SETUID",
    "SETFCAP", "SETPCAP",      "NET_BIND_SERVICE", "SYS_CHROOT",
    "KILL",    "AUDIT_WRITE",
};

static const char *const seccomp_actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",	       "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
};

static const char *const seccomp_ops[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	"SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool in_table(const char *s, const char *const *tab, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, tab[i]) == 0)
			return true;
	return false;
}

/* Resolves a capability name to its number; accepts it with or without
 * the CAP_ prefix, in any case, but never as a bare number. */
static int cap_lookup(const char *name, cap_value_t *out, struct berr *err)
{
	cleanup_free char *full = NULL;
	cap_value_t v;

	if (name[0] == '\0' || !isalpha((unsigned char)name[0]))
		return berr_set(err, "unknown capability `%s`", name);
	if (strncasecmp(name, "CAP_", 4) == 0)
		full = xstrdup(name);
	else
		full = xasprintf("CAP_%s", name);
	if (cap_from_name(full, &v) == -1)
		return berr_set(err, "unknown capability `%s`", name);
	*out = v;
	return 0;
}

/* "CAP_XXX" for a value, or NULL when libcap has no name for it. */
static char *cap_spec_name(cap_value_t v)
{
	char *lower = cap_to_name(v);
	char *up;

	if (lower == NULL)
		return NULL;
	if (strncmp(lower, "cap_", 4) != 0) {
		cap_free(lower);
		return NULL;
	}
	up = xstrdup(lower);
	cap_free(lower);
	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return up;
}

int security_cap_canonical(const char *name, char **out, struct berr *err)
{
	cap_value_t v;
	char *s;

	if (cap_lookup(name, &v, err) == -1)
		return -1;
	s = cap_spec_name(v);
	if (s == NULL)
		return berr_set(err, "unknown capability `%s`", name);
	*out = s;
	return 0;
}

static bool has_all(const struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcasecmp(sv->v[i], "ALL") == 0)
			return true;
	return false;
}

static int caps_mask(const struct strv *sv, uint64_t *mask, struct berr *err)
{
	for (size_t i = 0; i < sv->n; i++) {
		cap_value_t v;

		if (strcasecmp(sv->v[i], "ALL") == 0)
			continue;
		if (cap_lookup(sv->v[i], &v, err) == -1)
			return -1;
		if (v < 0 || v > 63)
			return berr_set(err, "unsupported capability `%s`",
					sv->v[i]);
		*mask |= UINT64_C(1) << v;
	}
	return 0;
}

static json_t *caps_array(uint64_t mask)
{
	json_t *a = json_array();

	for (int v = 0; v < 64; v++) {
		char *name;

		if (!(mask & (UINT64_C(1) << v)))
			continue;
		name = cap_spec_name((cap_value_t)v);
		if (name == NULL)
			continue;
		json_array_append_new(a, json_string(name));
		free(name);
	}
	return a;
}

/*
 * The order is containerd's (CRI WithCapabilities), which is what
 * Kubernetes users observe: add ALL, drop ALL, add the named ones, drop
 * the named ones. A capability both added and dropped ends up dropped.
 */
int security_caps_build(const struct deployment_spec *d, json_t **out,
			struct berr *err)
{
	uint64_t set = 0, add = 0, drop = 0, ambient = 0;
	int max = cap_max_bits();
	json_t *caps;

	for (size_t i = 0; i < ARRAY_LEN(default_caps); i++) {
		cap_value_t v;

		if (cap_lookup(default_caps[i], &v, err) == -1)
			return -1;
		set |= UINT64_C(1) << v;
	}
	if (caps_mask(&d->caps_add, &add, err) == -1)
		return berr_wrap(err, "capabilities.add");
	if (caps_mask(&d->caps_drop, &drop, err) == -1)
		return berr_wrap(err, "capabilities.drop");
	if (max > 64)
		max = 64;
	if (has_all(&d->caps_add)) {
		uint64_t all =
		    max == 64 ? UINT64_MAX : (UINT64_C(1) << max) - 1;

		set |= all;
		ambient |= all;
	}
	if (has_all(&d->caps_drop)) {
		set = 0;
		ambient = 0;
	}
	set |= add;
	ambient |= add;
	set &= ~drop;
	ambient &= set;

	/*
	 * A non-root process loses its permitted set at execve unless the
	 * capability is ambient, and the kernel only lets a capability be
	 * ambient when it is also inheritable (capabilities(7)). Without this
	 * runAsUser=1000 + add NET_BIND_SERVICE could not bind port 80.
	 */
	if (d->run_as_user <= 0)
		ambient = 0;

	caps = json_object();
	json_object_set_new(caps, "bounding", caps_array(set));
	json_object_set_new(caps, "effective", caps_array(set));
	json_object_set_new(caps, "permitted", caps_array(set));
	json_object_set_new(caps, "inheritable", caps_array(ambient));
	json_object_set_new(caps, "ambient", caps_array(ambient));
	*out = caps;
	return 0;
}

json_t *security_seccomp_architectures(void)
{
	json_t *a = json_array();
	static const char *const x86_64[] = {"SCMP_ARCH_X86_64",
					     "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
	static const char *const aarch64[] = {"SCMP_ARCH_AARCH64",
					      "SCMP_ARCH_ARM"};
	const char *const *tab = NULL;
	size_t n = 0;

	switch (seccomp_arch_native()) {
	case SCMP_ARCH_X86_64:
		tab = x86_64;
		n = ARRAY_LEN(x86_64);
		break;
	case SCMP_ARCH_AARCH64:
		tab = aarch64;
		n = ARRAY_LEN(aarch64);
		break;
	default:
		/* An empty list means "the native architecture" in OCI. */
		break;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(tab[i]));
	return a;
}

/*
 * libseccomp returns negative pseudo numbers for calls that exist only on
 * other architectures (socketcall, mmap2 on x86_64): those do not count.
 */
static bool syscall_known(const char *name)
{
	return seccomp_syscall_resolve_name(name) >= 0;
}

static bool array_has_string(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

json_t *security_seccomp_allowlist(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < security_n_default_syscalls; i++) {
		const char *name = security_default_syscalls[i];

		if (syscall_known(name) && !array_has_string(a, name))
			json_array_append_new(a, json_string(name));
	}
	return a;
}

static json_t *arg_rule(unsigned idx, uint64_t value, uint64_t value_two,
			const char *op)
{
	return json_pack("{s:I, s:I, s:I, s:s}", "index", (json_int_t)idx,
			 "value", (json_int_t)value, "valueTwo",
			 (json_int_t)value_two, "op", op);
}

static void add_rule(json_t *syscalls, const char *name, const char *action,
		     json_t *args, int errno_ret)
{
	json_t *e;

	if (!syscall_known(name)) {
		json_decref(args);
		return;
	}
	e = json_pack("{s:[s], s:s}", "names", name, "action", action);
	if (errno_ret)
		json_object_set_new(e, "errnoRet", json_integer(errno_ret));
	if (args)
		json_object_set_new(e, "args", args);
	json_array_append_new(syscalls, e);
}

static json_t *seccomp_default_build(void);

static json_t *seccomp_cached;

static void seccomp_cache_build(void)
{
	seccomp_cached = seccomp_default_build();
}

/* Built once (pod set-ups run on several worker threads at once):
 * resolving ~300 names per pod start is wasted work. Each caller gets its
 * own copy: the cached object is only ever read, never shared by
 * reference, since json_incref() reads the count without an atomic load
 * before its atomic add (ThreadSanitizer reports it). */
json_t *security_seccomp_default(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, seccomp_cache_build);
	return json_deep_copy(seccomp_cached);
}

static json_t *seccomp_default_build(void)
{
	/* Docker's values: plain Linux, 32-bit personality, UNAME26, query. */
	static const uint64_t personalities[] = {0x0, 0x8, 0x20000, 0x20008,
						 0xffffffff};
	const uint64_t ns_flags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
				  CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
				  CLONE_NEWNET;
	json_t *prof = json_object();
	json_t *syscalls = json_array();

	json_object_set_new(prof, "defaultAction",
			    json_string("SCMP_ACT_ERRNO"));
	json_object_set_new(prof, "defaultErrnoRet", json_integer(EPERM));
	json_object_set_new(prof, "architectures",
			    security_seccomp_architectures());
	json_array_append_new(syscalls, json_pack("{s:o, s:s}", "names",
						  security_seccomp_allowlist(),
						  "action", "SCMP_ACT_ALLOW"));

	/*
	 * clone may not create namespaces, or unshare/setns being denied
	 * would mean nothing. clone3 passes its flags in memory seccomp
	 * cannot inspect, so it fails with ENOSYS and glibc falls back to
	 * clone (the approach of Docker's profile). Flags are argument 0 on
	 * every architecture berth supports (s390 would differ).
	 */
	add_rule(
	    syscalls, "clone", "SCMP_ACT_ALLOW",
	    json_pack("[o]", arg_rule(0, ns_flags, 0, "SCMP_CMP_MASKED_EQ")),
	    0);
	add_rule(syscalls, "clone3", "SCMP_ACT_ERRNO", NULL, ENOSYS);
	for (size_t i = 0; i < ARRAY_LEN(personalities); i++)
		add_rule(syscalls, "personality", "SCMP_ACT_ALLOW",
			 json_pack("[o]", arg_rule(0, personalities[i], 0,
						   "SCMP_CMP_EQ")),
			 0);
	json_object_set_new(prof, "syscalls", syscalls);
	return prof;
}

/* ---- profile files ---- */

static const char *native_arch_name(void)
{
	switch (seccomp_arch_native()) {
	case SCMP_ARCH_X86_64:
		return "SCMP_ARCH_X86_64";
	case SCMP_ARCH_AARCH64:
		return "SCMP_ARCH_AARCH64";
	case SCMP_ARCH_X86:
		return "SCMP_ARCH_X86";
	case SCMP_ARCH_ARM:
		return "SCMP_ARCH_ARM";
	default:
		return "";
	}
}

static int copy_errno_ret(json_t *from, const char *key, json_t *to,
			  struct berr *err)
{
	json_t *v = json_object_get(from, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 4095)
		return berr_set(err, "`%s` must be an errno number", key);
	json_object_set(to, key, v);
	return 0;
}

static int file_architectures(json_t *root, json_t *prof, struct berr *err)
{
	json_t *archs = json_object_get(root, "architectures");
	json_t *map = json_object_get(root, "archMap");
	json_t *out = json_array();
	size_t i;
	json_t *v;

	if (archs != NULL) {
		if (!json_is_array(archs))
			goto bad;
		json_array_foreach(archs, i, v)
		{
			if (!json_is_string(v) ||
			    strncmp(json_string_value(v), "SCMP_ARCH_", 10) !=
				0)
				goto bad;
			json_array_append(out, v);
		}
	} else if (json_is_array(map)) {
		json_array_foreach(map, i, v)
		{
			json_t *a = json_object_get(v, "architecture");
			json_t *subs = json_object_get(v, "subArchitectures");
			size_t j;
			json_t *s;

			if (!json_is_string(a) ||
			    strcmp(json_string_value(a), native_arch_name()) !=
				0)
				continue;
			json_array_append(out, a);
			json_array_foreach(subs, j, s)
			{
				if (json_is_string(s))
					json_array_append(out, s);
			}
		}
	}
	if (json_array_size(out) > 0)
		json_object_set_new(prof, "architectures", out);
	else
		json_decref(out);
	return 0;
bad:
	json_decref(out);
	return berr_set(err, "`architectures` must be a list of SCMP_ARCH_*");
}

static int file_args(json_t *args, json_t **out, struct berr *err)
{
	json_t *res = json_array();
	size_t i;
	json_t *a;

	if (!json_is_array(args)) {
		json_decref(res);
		return berr_set(err, "`args` must be a list");
	}
	json_array_foreach(args, i, a)
	{
		json_t *idx = json_object_get(a, "index");
		json_t *val = json_object_get(a, "value");
		json_t *two = json_object_get(a, "valueTwo");
		json_t *op = json_object_get(a, "op");

		if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
		    json_integer_value(idx) > 5 || !json_is_integer(val) ||
		    (two != NULL && !json_is_integer(two)) ||
		    !json_is_string(op) ||
		    !in_table(json_string_value(op), seccomp_ops,
			      ARRAY_LEN(seccomp_ops))) {
			json_decref(res);
			return berr_set(err,
					"args[%zu]: needs index 0-5, "
					"value and a SCMP_CMP_* op",
					i);
		}
		json_array_append_new(
		    res,
		    json_pack("{s:O, s:O, s:I, s:O}", "index", idx, "value",
			      val, "valueTwo",
			      two ? json_integer_value(two) : 0, "op", op));
	}
	*out = res;
	return 0;
}

static int file_entry(json_t *e, json_t *syscalls, struct berr *err)
{
	json_t *names = json_object_get(e, "names");
	json_t *name = json_object_get(e, "name");
	json_t *action = json_object_get(e, "action");
	json_t *inc = json_object_get(e, "includes");
	json_t *kept = json_array();
	json_t *out, *v;
	size_t i;

	if (!json_is_string(action) ||
	    !in_table(json_string_value(action), seccomp_actions,
		      ARRAY_LEN(seccomp_actions)))
		goto bad_action;
	if (names != NULL && !json_is_array(names))
		goto bad_names;
	json_array_foreach(names, i, v)
	{
		if (!json_is_string(v))
			goto bad_names;
		if (syscall_known(json_string_value(v)) &&
		    !array_has_string(kept, json_string_value(v)))
			json_array_append(kept, v);
	}
	if (name != NULL) {
		if (!json_is_string(name))
			goto bad_names;
		if (syscall_known(json_string_value(name)) &&
		    !array_has_string(kept, json_string_value(name)))
			json_array_append(kept, name);
	}
	/* Rules Docker grants only for some capabilities or kernels. */
	if (json_object_size(inc) > 0 || json_array_size(kept) == 0) {
		json_decref(kept);
		return 0;
	}
	out = json_pack("{s:o, s:O}", "names", kept, "action", action);
	kept = NULL;
	if (copy_errno_ret(e, "errnoRet", out, err) == -1) {
		json_decref(out);
		return -1;
	}
	if (json_object_get(e, "args") != NULL &&
	    json_array_size(json_object_get(e, "args")) > 0) {
		json_t *args = NULL;

		if (file_args(json_object_get(e, "args"), &args, err) == -1) {
			json_decref(out);
			return -1;
		}
		json_object_set_new(out, "args", args);
	}
	json_array_append_new(syscalls, out);
	return 0;
bad_action:
	json_decref(kept);
	return berr_set(err, "`action` must be one of SCMP_ACT_ALLOW, "
			     "SCMP_ACT_ERRNO, SCMP_ACT_KILL, ...");
bad_names:
	json_decref(kept);
	return berr_set(err, "`names` must be a list of syscall names");
}

static int file_profile(json_t *root, json_t *prof, struct berr *err)
{
	json_t *def = json_object_get(root, "defaultAction");
	json_t *syscalls = json_object_get(root, "syscalls");
	json_t *out_calls;
	size_t i;
	json_t *e;

	if (!json_is_object(root))
		return berr_set(err, "not a JSON object");
	if (!json_is_string(def) ||
	    !in_table(json_string_value(def), seccomp_actions,
		      ARRAY_LEN(seccomp_actions)))
		return berr_set(err, "`defaultAction` must be a SCMP_ACT_* "
				     "action");
	json_object_set(prof, "defaultAction", def);
	if (copy_errno_ret(root, "defaultErrnoRet", prof, err) == -1)
		return -1;
	if (file_architectures(root, prof, err) == -1)
		return -1;
	if (syscalls != NULL && !json_is_array(syscalls))
		return berr_set(err, "`syscalls` must be a list");
	out_calls = json_array();
	json_object_set_new(prof, "syscalls", out_calls);
	json_array_foreach(syscalls, i, e)
	{
		if (!json_is_object(e))
			return berr_set(err, "syscalls[%zu]: not an object", i);
		if (file_entry(e, out_calls, err) == -1)
			return berr_wrap(err, "syscalls[%zu]", i);
	}
	return 0;
}

int security_seccomp_from_file(const char *path, json_t **out, struct berr *err)
{
	cleanup_free char *text = NULL;
	json_error_t je;
	json_t *root, *prof;
	size_t len;

	/* Read again at each start: the file may have become a FIFO. */
	if (file_read_bounded(path, CFG_SECCOMP_FILE_MAX, 0, &text, &len,
			      err) == -1)
		return berr_wrap(err, "seccomp profile `%s`", path);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (je.line <= 0)
			return berr_set(err, "seccomp profile `%s`: %s", path,
					je.text);
		return berr_set(err, "seccomp profile `%s`: line %d: %s", path,
				je.line, je.text);
	}
	prof = json_object();
	if (file_profile(root, prof, err) == -1) {
		json_decref(root);
		json_decref(prof);
		return berr_wrap(err, "seccomp profile `%s`", path);
	}
	json_decref(root);
	*out = prof;
	return 0;
}
