/*
 * exec_runtime.h - the runtime binary `berth exec` runs, looked up by the
 * CLI itself.
 */
#ifndef BERTH_CLI_EXEC_RUNTIME_H
#define BERTH_CLI_EXEC_RUNTIME_H

#include "../common/err.h"

/*
 * Stores in *out (malloc'd) the absolute path of the runtime to exec:
 * $BERTH_RUNTIME when set (an absolute path), else `runc` or `crun` -
 * whichever the daemon names in daemon_runtime, whose directory is ignored
 * - from the system binary folders. The file must be a regular executable
 * owned by root or the caller and writable by nobody else.
 */
int cli_exec_runtime(const char *daemon_runtime, char **out, struct berr *err);

#endif
