/*
 * test_security.c - unit tests for runtime/security.c: capability names and
 * sets, the RuntimeDefault seccomp profile and profile files. Touches only
 * a temporary folder of its own.
 */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../runtime/security.h"
#include "../lib/tap.h"

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

/* true when any entry of the profile with `action` names s. */
static bool profile_names(json_t *prof, const char *action, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(prof, "syscalls"), i, e)
	{
		const char *a = json_string_value(json_object_get(e, "action"));

		if (strcmp(a, action) == 0 &&
		    has(json_object_get(e, "names"), s))
			return true;
	}
	return false;
}

static void test_allowlist(void)
{
	json_t *a = security_seccomp_allowlist();
	size_t i, j;
	json_t *v, *w;
	bool dup = false, unresolved = false;
	static const char *const must[] = {"read",	   "write",  "execve",
					   "exit_group",   "openat", "futex",
					   "rt_sigaction", "socket", "mmap"};
	static const char *const never[] = {
	    "mount",	       "umount2",
	    "kexec_load",      "kexec_file_load",
	    "ptrace",	       "bpf",
	    "unshare",	       "setns",
	    "pivot_root",      "init_module",
	    "finit_module",    "delete_module",
	    "perf_event_open", "reboot",
	    "swapon",	       "swapoff",
	    "settimeofday",    "clock_settime",
	    "add_key",	       "keyctl",
	    "request_key",     "acct",
	    "quotactl",	       "open_by_handle_at",
	    "userfaultfd",     "syslog",
	    "io_uring_setup",  "clone",
	    "clone3"};

	ok(json_array_size(a) > 250, "allow-list has %zu names",
	   json_array_size(a));
	for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++)
		ok(has(a, must[k]), "allow-list contains %s", must[k]);
	if (seccomp_syscall_resolve_name("epoll_wait") >= 0)
		ok(has(a, "epoll_wait"), "allow-list contains epoll_wait");
	else
		ok(has(a, "epoll_pwait"), "allow-list contains epoll_pwait");
	for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++)
		ok(!has(a, never[k]), "allow-list excludes %s", never[k]);
	json_array_foreach(a, i, v)
	{
		if (seccomp_syscall_resolve_name(json_string_value(v)) < 0)
			unresolved = true;
		json_array_foreach(a, j, w)
		{
			if (j > i && strcmp(json_string_value(v),
					    json_string_value(w)) == 0)
				dup = true;
		}
	}
	ok(!dup, "allow-list has no duplicates");
	ok(!unresolved, "every allow-list name resolves on this arch");
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		ok(!has(a, "socketcall") && !has(a, "mmap2"),
		   "x86_64: 32-bit-only names are filtered out");
	json_decref(a);
}

static void test_default_profile(void)
{
	json_t *p = security_seccomp_default();
	json_t *archs = json_object_get(p, "architectures");
	json_t *first = json_array_get(json_object_get(p, "syscalls"), 0);
	size_t i;
	json_t *e;
	bool clone_filtered = false, clone3_enosys = false;

	is_str(json_string_value(json_object_get(p, "defaultAction")),
	       "SCMP_ACT_ERRNO", "default action is ERRNO");
	is_int(json_integer_value(json_object_get(p, "defaultErrnoRet")), 1,
	       "default errno is EPERM");
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		is_int(json_array_size(archs), 3, "three x86 architectures");
		is_str(json_string_value(json_array_get(archs, 0)),
		       "SCMP_ARCH_X86_64", "native architecture first");
		ok(has(archs, "SCMP_ARCH_X86") && has(archs, "SCMP_ARCH_X32"),
		   "x86 and x32 listed");
	} else if (seccomp_arch_native() == SCMP_ARCH_AARCH64) {
		ok(has(archs, "SCMP_ARCH_AARCH64") &&
		       has(archs, "SCMP_ARCH_ARM"),
		   "arm architectures listed");
	}
	is_str(json_string_value(json_object_get(first, "action")),
	       "SCMP_ACT_ALLOW", "first entry is the allow-list");
	ok(has(json_object_get(first, "names"), "write"),
	   "allow-list entry holds write");
	json_array_foreach(json_object_get(p, "syscalls"), i, e)
	{
		json_t *names = json_object_get(e, "names");
		json_t *arg = json_array_get(json_object_get(e, "args"), 0);

		if (has(names, "clone") && arg &&
		    strcmp(json_string_value(json_object_get(arg, "op")),
			   "SCMP_CMP_MASKED_EQ") == 0 &&
		    (json_integer_value(json_object_get(arg, "value")) &
		     0x10000000) &&
		    json_integer_value(json_object_get(arg, "valueTwo")) == 0)
			clone_filtered = true;
		if (has(names, "clone3") &&
		    json_integer_value(json_object_get(e, "errnoRet")) == 38)
			clone3_enosys = true;
	}
	ok(profile_names(p, "SCMP_ACT_ALLOW", "clone"), "clone is allowed");
	ok(clone_filtered, "clone is allowed only without namespace flags");
	ok(clone3_enosys, "clone3 fails with ENOSYS");
	ok(!profile_names(p, "SCMP_ACT_ALLOW", "mount") &&
	       !profile_names(p, "SCMP_ACT_ALLOW", "ptrace") &&
	       !profile_names(p, "SCMP_ACT_ALLOW", "unshare"),
	   "no entry allows mount, ptrace or unshare");
	json_decref(p);
}

static void test_cap_names(void)
{
	struct berr err = BERR_INIT;
	char *s = NULL;

	ok(security_cap_canonical("net_raw", &s, &err) == 0 && s &&
	       strcmp(s, "CAP_NET_RAW") == 0,
	   "net_raw -> CAP_NET_RAW");
	free(s);
	s = NULL;
	ok(security_cap_canonical("CAP_KILL", &s, &err) == 0 && s &&
	       strcmp(s, "CAP_KILL") == 0,
	   "CAP_KILL stays CAP_KILL");
	free(s);
	s = NULL;
	ok(security_cap_canonical("NET_BIND_SERVICE", &s, &err) == 0 && s &&
	       strcmp(s, "CAP_NET_BIND_SERVICE") == 0,
	   "NET_BIND_SERVICE -> CAP_NET_BIND_SERVICE");
	free(s);
	s = NULL;
	is_int(security_cap_canonical("BOGUS", &s, &err), -1,
	       "unknown name rejected");
	is_str(err.msg, "unknown capability `BOGUS`", "error names it");
	is_int(security_cap_canonical("12", &s, &err), -1, "number rejected");
	is_int(security_cap_canonical("ALL", &s, &err), -1,
	       "ALL is not a capability");
}

static char *drop_all[] = {"ALL", NULL};
static char *add_nbs[] = {"NET_BIND_SERVICE", NULL};

static void test_caps(void)
{
	struct deployment_spec d;
	struct berr err = BERR_INIT;
	json_t *c = NULL;
	char *drop_raw[] = {"net_raw", "CAP_MKNOD", NULL};
	char *add_bogus[] = {"SYS_BOGUS", NULL};
	char *add_admin[] = {"SYS_ADMIN", NULL};
	char *drop_admin[] = {"SYS_ADMIN", NULL};

	memset(&d, 0, sizeof(d));
	d.run_as_user = -1;
	d.run_as_group = -1;
	ok(security_caps_build(&d, &c, &err) == 0, "default caps build");
	is_int(json_array_size(json_object_get(c, "bounding")), 14,
	       "default set has 14 capabilities");
	ok(has(json_object_get(c, "effective"), "CAP_AUDIT_WRITE") &&
	       has(json_object_get(c, "permitted"), "CAP_CHOWN"),
	   "default set holds AUDIT_WRITE and CHOWN");
	ok(!has(json_object_get(c, "bounding"), "CAP_SYS_ADMIN"),
	   "default set lacks SYS_ADMIN");
	is_int(json_array_size(json_object_get(c, "ambient")), 0,
	       "root: ambient empty");
	is_int(json_array_size(json_object_get(c, "inheritable")), 0,
	       "root: inheritable empty");
	json_decref(c);

	d.caps_drop = (struct strv){drop_all, 1};
	d.caps_add = (struct strv){add_nbs, 1};
	ok(security_caps_build(&d, &c, &err) == 0, "drop ALL + add builds");
	is_int(json_array_size(json_object_get(c, "bounding")), 1,
	       "drop ALL + add NET_BIND_SERVICE: one capability");
	is_str(json_string_value(
		   json_array_get(json_object_get(c, "effective"), 0)),
	       "CAP_NET_BIND_SERVICE", "it is CAP_NET_BIND_SERVICE");
	is_int(json_array_size(json_object_get(c, "ambient")), 0,
	       "root user: no ambient caps");
	json_decref(c);

	d.run_as_user = 1000;
	ok(security_caps_build(&d, &c, &err) == 0, "uid 1000 builds");
	ok(has(json_object_get(c, "ambient"), "CAP_NET_BIND_SERVICE") &&
	       has(json_object_get(c, "inheritable"), "CAP_NET_BIND_SERVICE"),
	   "uid 1000: added cap is ambient and inheritable");
	json_decref(c);

	d.caps_drop = (struct strv){drop_raw, 2};
	d.caps_add = (struct strv){NULL, 0};
	ok(security_caps_build(&d, &c, &err) == 0, "drop named builds");
	is_int(json_array_size(json_object_get(c, "permitted")), 12,
	       "dropping two leaves 12");
	ok(!has(json_object_get(c, "permitted"), "CAP_NET_RAW") &&
	       !has(json_object_get(c, "permitted"), "CAP_MKNOD"),
	   "NET_RAW and MKNOD gone");
	json_decref(c);

	d.caps_add = (struct strv){add_admin, 1};
	d.caps_drop = (struct strv){drop_admin, 1};
	ok(security_caps_build(&d, &c, &err) == 0, "add+drop same builds");
	ok(!has(json_object_get(c, "bounding"), "CAP_SYS_ADMIN") &&
	       !has(json_object_get(c, "ambient"), "CAP_SYS_ADMIN"),
	   "a capability both added and dropped is dropped");
	json_decref(c);

	d.caps_add = (struct strv){add_bogus, 1};
	d.caps_drop = (struct strv){NULL, 0};
	c = NULL;
	is_int(security_caps_build(&d, &c, &err), -1, "unknown add fails");
	is_str(err.msg, "capabilities.add: unknown capability `SYS_BOGUS`",
	       "error says where");
	ok(c == NULL, "nothing returned on failure");
}

static char tmpdir[] = "/tmp/berth-test-security-XXXXXX";

static char *write_tmp(const char *name, const char *text)
{
	struct berr err = BERR_INIT;
	char *path;

	if (asprintf(&path, "%s/%s", tmpdir, name) == -1)
		abort();
	if (file_write_atomic(path, text, strlen(text), 0600, &err) == -1)
		printf("# write %s: %s\n", path, err.msg);
	return path;
}

static void test_profile_file(void)
{
	struct berr err = BERR_INIT;
	json_t *p = NULL, *calls;
	char *good = write_tmp(
	    "good.json",
	    "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
	    " \"defaultErrnoRet\": 1,\n"
	    " \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
	    " \"listenerPath\": \"/ignored\",\n"
	    " \"syscalls\": [\n"
	    "  {\"names\": [\"read\", \"write\", \"no_such_call\", "
	    "\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
	    "  {\"names\": [\"no_such_call\"], \"action\": "
	    "\"SCMP_ACT_ALLOW\"},\n"
	    "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
	    "  {\"name\": \"kill\", \"action\": \"SCMP_ACT_ERRNO\", "
	    "\"errnoRet\": 13, \"comment\": \"x\",\n"
	    "   \"args\": [{\"index\": 1, \"value\": 9, \"op\": "
	    "\"SCMP_CMP_EQ\"}]}\n"
	    " ]}\n");
	char *archmap =
	    write_tmp("archmap.json",
		      "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
		      " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", "
		      "\"subArchitectures\": [\"SCMP_ARCH_X86\"]},\n"
		      "  {\"architecture\": \"SCMP_ARCH_AARCH64\", "
		      "\"subArchitectures\": [\"SCMP_ARCH_ARM\"]}],\n"
		      " \"syscalls\": []}\n");
	char *badact =
	    write_tmp("badact.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", "
				     "\"syscalls\": [{\"names\": [\"read\"], "
				     "\"action\": \"ALLOW\"}]}");
	char *badjson = write_tmp("badjson.json", "{\n\"defaultAction\": ,\n}");

	ok(security_seccomp_from_file(good, &p, &err) == 0,
	   "profile file loads");
	if (p == NULL) {
		printf("# %s\n", err.msg);
		return;
	}
	calls = json_object_get(p, "syscalls");
	is_str(json_string_value(json_object_get(p, "defaultAction")),
	       "SCMP_ACT_ERRNO", "defaultAction kept");
	is_int(json_integer_value(json_object_get(p, "defaultErrnoRet")), 1,
	       "defaultErrnoRet kept");
	ok(has(json_object_get(p, "architectures"), "SCMP_ARCH_X86_64"),
	   "architectures kept");
	ok(json_object_get(p, "listenerPath") == NULL,
	   "unknown keys not copied");
	is_int(json_array_size(calls), 2,
	       "unresolvable-only and conditional entries dropped");
	is_int(
	    json_array_size(json_object_get(json_array_get(calls, 0), "names")),
	    2, "unknown and duplicate names filtered");
	ok(has(json_object_get(json_array_get(calls, 0), "names"), "read") &&
	       has(json_object_get(json_array_get(calls, 0), "names"), "write"),
	   "read and write kept");
	ok(!profile_names(p, "SCMP_ACT_ALLOW", "mount"),
	   "includes-conditional mount not granted");
	ok(has(json_object_get(json_array_get(calls, 1), "names"), "kill"),
	   "single `name` form accepted");
	is_int(json_integer_value(
		   json_object_get(json_array_get(calls, 1), "errnoRet")),
	       13, "errnoRet kept");
	is_int(json_integer_value(json_object_get(
		   json_array_get(
		       json_object_get(json_array_get(calls, 1), "args"), 0),
		   "value")),
	       9, "args kept");
	json_decref(p);

	p = NULL;
	ok(security_seccomp_from_file(archmap, &p, &err) == 0,
	   "archMap profile loads");
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		ok(p &&
		       json_array_size(json_object_get(p, "architectures")) ==
			   2 &&
		       has(json_object_get(p, "architectures"),
			   "SCMP_ARCH_X86"),
		   "archMap: host entry and its sub-architectures");
	json_decref(p);

	is_int(security_seccomp_from_file(badact, &p, &err), -1,
	       "bad action rejected");
	ok(strstr(err.msg, "syscalls[0]: `action` must be") != NULL &&
	       strstr(err.msg, badact) != NULL,
	   "error names the file and entry: %s", err.msg);
	is_int(security_seccomp_from_file(badjson, &p, &err), -1,
	       "bad JSON rejected");
	ok(strstr(err.msg, "line 2") != NULL, "JSON error has a line: %s",
	   err.msg);
	is_int(security_seccomp_from_file("/nonexistent/x.json", &p, &err), -1,
	       "missing file rejected");

	free(good);
	free(archmap);
	free(badact);
	free(badjson);
}

int main(void)
{
	struct berr err = BERR_INIT;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_allowlist();
	test_default_profile();
	test_cap_names();
	test_caps();
	test_profile_file();
	rm_rf(tmpdir, &err);
	return tap_done();
}
