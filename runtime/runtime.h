/*
 * runtime.h - the OCI runtime adapter: runc or crun, exec'd, never linked.
 * Every call is asynchronous except the start-up queries. Owns argv
 * construction and the runtime's own error text (its --log file); knows
 * nothing about deployments or pod state.
 */
#ifndef BERTH_RUNTIME_RUNTIME_H
#define BERTH_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "../common/err.h"
#include "exec.h"

struct rt {
	uv_loop_t *loop;
	char *path; /* absolute path of the runtime binary */
	char *name; /* "runc", "crun", or the basename */
	char *root; /* --root: RUN_DIR/runc */
};

/* rc 0 ok; otherwise message says why, in the runtime's own words. */
typedef void (*rt_done_cb)(void *data, int rc, const char *message);

/* Resolves "runc" / "crun" / an absolute path; checks it is executable
 * and that this host's cgroups suit it. Its --root is RUN_DIR/runc. */
int rt_init(struct rt *rt, uv_loop_t *loop, const char *runtime,
	    const char *run_dir, struct berr *err);
void rt_free(struct rt *rt);

/*
 * `RUNTIME run -d`: creates and starts container id from bundle; its stdio
 * is log_fd (stdin /dev/null). The runtime's log goes to BUNDLE/runtime.log;
 * the container's pid is written to BUNDLE/pid.
 */
int rt_run(struct rt *rt, const char *id, const char *bundle, int log_fd,
	   rt_done_cb cb, void *data);
/* `RUNTIME exec ID CMD...` (runtime/exec.h); cancel with rt_exec_cancel. */
struct rt_exec *rt_exec(struct rt *rt, const char *id, char *const *cmd,
			size_t n, unsigned timeout_ms, rt_exec_cb cb,
			void *data);
/* `RUNTIME delete -f`; a missing container is not an error. */
int rt_delete(struct rt *rt, const char *id, rt_done_cb cb, void *data);

/* Synchronous, for start-up only: state of id ("running", "stopped", ...)
 * and its pid. Returns -1 when the container does not exist. */
int rt_state_sync(struct rt *rt, const char *id, char *status, size_t len,
		  pid_t *pid);
/* Synchronous, for start-up only: names of every container under root. */
int rt_list_sync(struct rt *rt, char ***ids, size_t *n);
void rt_delete_sync(struct rt *rt, const char *id);

/* Last error line of a runtime --log file (json or text), or "". */
void rt_log_error(const char *log_path, char *buf, size_t len);

#endif
