/*
 * exec_runtime.c - which runtime binary `berth exec` runs. Found on the
 * CLI's own side, never taken from the daemon's answer: a socket someone
 * replaced must not choose what root executes. Owns that lookup only; the
 * runtime's command line is built elsewhere.
 */
#include "exec_runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/xalloc.h"

/* Where root's own lookup finds system binaries (sudo's secure_path);
 * the caller's PATH is not consulted. */
static const char *const system_dirs[] = {
    "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
    "/usr/bin",	       "/sbin",		 "/bin",
};

/* A binary root may run: a regular executable owned by root or the
 * caller that nobody else can change. */
static int check_binary(const char *path, struct berr *err)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return berr_errno(err, errno, "runtime `%s`", path);
	if (!S_ISREG(st.st_mode) || access(path, X_OK) == -1)
		return berr_set(err, "runtime `%s` is not an executable file",
				path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return berr_set(err,
				"runtime `%s` is owned by uid %u: refusing to "
				"run it",
				path, (unsigned)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return berr_set(err,
				"runtime `%s` is writable by group or others: "
				"refusing to run it",
				path);
	return 0;
}

int cli_exec_runtime(const char *daemon_runtime, char **out, struct berr *err)
{
	const char *env = getenv("BERTH_RUNTIME");
	const char *base = strrchr(daemon_runtime, '/');

	if (env != NULL && env[0] != '\0') {
		if (env[0] != '/')
			return berr_set(err,
					"BERTH_RUNTIME `%s` must be an "
					"absolute path",
					env);
		if (check_binary(env, err) == -1)
			return -1;
		*out = xstrdup(env);
		return 0;
	}
	/* The daemon's answer only picks one of the two names. */
	base = base ? base + 1 : daemon_runtime;
	if (strcmp(base, "runc") != 0 && strcmp(base, "crun") != 0)
		return berr_set(err,
				"the daemon runs the runtime `%s`; set "
				"BERTH_RUNTIME to its absolute path to exec "
				"with it",
				daemon_runtime);
	for (size_t i = 0; i < sizeof(system_dirs) / sizeof(*system_dirs);
	     i++) {
		cleanup_free char *p = xasprintf("%s/%s", system_dirs[i], base);

		if (access(p, X_OK) == 0) {
			if (check_binary(p, err) == -1)
				return -1;
			*out = p;
			p = NULL;
			return 0;
		}
	}
	return berr_set(err,
			"runtime `%s` not found in /usr/local/sbin, "
			"/usr/local/bin, /usr/sbin, /usr/bin, /sbin or /bin; "
			"set BERTH_RUNTIME to its absolute path",
			base);
}
