/*
 * test_exec_runtime.c - cli/exec_runtime.c: `berth exec` runs runc or crun
 * from the system folders or $BERTH_RUNTIME, never the path the daemon
 * sent, and never a binary another user could have changed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cli/exec_runtime.h"
#include "../../common/fdio.h"
#include "../lib/tap.h"

static char dir[] = "/tmp/berth-test-exec-runtime.XXXXXX";

static int lookup(const char *daemon_said, char **out, struct berr *err)
{
	*out = NULL;
	berr_clear(err);
	return cli_exec_runtime(daemon_said, out, err);
}

int main(void)
{
	struct berr err = BERR_INIT;
	char evil[256], runc[256];
	char *out;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(evil, sizeof(evil), "%s/evil", dir);
	snprintf(runc, sizeof(runc), "%s/runc", dir);
	if (file_write_atomic(evil, "#!/bin/sh\n", 10, 0755, &err) == -1 ||
	    file_write_atomic(runc, "#!/bin/sh\n", 10, 0755, &err) == -1)
		abort();
	chmod(evil, 0755);
	chmod(runc, 0755);
	unsetenv("BERTH_RUNTIME");

	is_int(lookup(evil, &out, &err), -1,
	       "a daemon naming another binary: refused");
	ok(strstr(err.msg, "set BERTH_RUNTIME") != NULL,
	   "saying what to do: %s", err.msg);
	ok(out == NULL, "nothing to run");

	if (access("/usr/sbin/runc", X_OK) == 0 ||
	    access("/usr/bin/runc", X_OK) == 0) {
		is_int(lookup(runc, &out, &err), 0,
		       "a daemon naming some runc: %s", err.msg);
		ok(out && strcmp(out, runc) != 0 && out[0] == '/' &&
		       strcmp(strrchr(out, '/'), "/runc") == 0 &&
		       strncmp(out, dir, strlen(dir)) != 0,
		   "the system's runc runs, not the one sent: %s",
		   out ? out : "(null)");
		free(out);
		is_int(lookup("runc", &out, &err), 0, "a bare name works too");
		free(out);
	} else {
		printf("ok %d - # SKIP runc is not installed\n", ++tap_n);
	}

	setenv("BERTH_RUNTIME", evil, 1);
	is_int(lookup("/usr/sbin/runc", &out, &err), 0,
	       "BERTH_RUNTIME is the user's own choice: %s", err.msg);
	is_str(out, evil, "and is what runs");
	free(out);
	chmod(evil, 0775);
	is_int(lookup("runc", &out, &err), -1,
	       "a group-writable BERTH_RUNTIME: refused");
	ok(strstr(err.msg, "writable by group or others") != NULL, "why: %s",
	   err.msg);
	chmod(evil, 0755);
	if (geteuid() == 0) {
		if (chown(evil, 65534, 65534) == -1)
			abort();
		is_int(lookup("runc", &out, &err), -1,
		       "a BERTH_RUNTIME another user owns: refused");
		ok(strstr(err.msg, "owned by uid 65534") != NULL, "why: %s",
		   err.msg);
	} else {
		printf("ok %d - # SKIP ownership needs root\n", ++tap_n);
	}
	setenv("BERTH_RUNTIME", "evil", 1);
	is_int(lookup("runc", &out, &err), -1,
	       "a relative BERTH_RUNTIME: refused");
	setenv("BERTH_RUNTIME", dir, 1);
	is_int(lookup("runc", &out, &err), -1, "a folder: refused");
	unsetenv("BERTH_RUNTIME");

	if (rm_rf(dir, &err) == -1)
		printf("# cleanup: %s\n", err.msg);
	return tap_done();
}
