/*
 * runtime.h - the OCI runtime adapter: runc or crun, exec'd, never linked.
 * Every call is asynchronous except the start-up queries. Owns argv
 * construction and the runtime's own error text (its --log file); knows
 * nothing about deployments or pod state.
 */
#ifndef BERTH_RUNTIME_RUNTIME_H
#define BERTH_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "../common/err.h"
#include "cgroup.h"
#include "exec.h"

struct rt;
struct deployment_spec;
struct bundle_image;

/* rc 0 ok; otherwise message says why, in the runtime's own words. */
typedef void (*rt_done_cb)(void *data, int rc, const char *message);
/* rc 0: the container runs and pid is its init process on the host. */
typedef void (*rt_run_cb)(void *data, int rc, pid_t pid, const char *message);

/* One container's state, as rt_state_sync() reads it. */
struct rt_state {
	int rc; /* 0, or -1: no such container (or no answer) */
	char status[32];
	pid_t pid;
};

/* What a pod's container is made of. */
struct rt_pod {
	const char *name; /* container id */
	const struct deployment_spec *spec;
	const char *dir; /* RUN_DIR/pods/NAME: rootfs, bundle */
	/* the container's stdout and stderr, written by the log collector
	 * (logd.h) in the CRI format, rotated at log_max_bytes keeping
	 * log_max_files files (0: the kubelet's defaults) */
	const char *log_path;
	off_t log_max_bytes;
	int log_max_files;
	/* An OCI image (NULL for a folder image, spec->image): overlay's
	 * "lowerdir=..." option and the image's process settings. */
	const char *lowerdir;
	const struct bundle_image *image;
};

/*
 * Everything the orchestrator asks of the runtime, as one table, so that
 * another runtime (or a test's fake, tests/lib/fake_runtime.h) is one
 * table. The rt_* functions below dispatch through rt->ops.
 */
struct rt_ops {
	int (*create)(struct rt *rt, const struct rt_pod *pod, rt_run_cb cb,
		      void *data, struct berr *err);
	int (*remove)(struct rt *rt, const char *id, rt_done_cb cb, void *data);
	struct rt_exec *(*exec)(struct rt *rt, const char *id, char *const *cmd,
				size_t n, unsigned timeout_ms, rt_exec_cb cb,
				void *data);
	int (*pidfd)(struct rt *rt, pid_t pid);
	int (*signal)(struct rt *rt, int pidfd, int sig);
	int (*unmount)(struct rt *rt, const char *dir, struct berr *err);
	int (*remove_dir)(struct rt *rt, const char *dir, struct berr *err);
	int (*state_sync)(struct rt *rt, const char *id, char *status,
			  size_t len, pid_t *pid);
	int (*list_sync)(struct rt *rt, char ***ids, size_t *n);
	/* optional; NULL: 0 (unknown) */
	uint64_t (*pid_start)(struct rt *rt, pid_t pid);
	/* optional; NULL: state_sync of each in turn */
	void (*state_many)(struct rt *rt, const char *const *ids, size_t n,
			   struct rt_state *out);
	void (*delete_sync)(struct rt *rt, const char *id);
	/* optional (NULL: no counters): the container's cgroup counters */
	int (*stats)(struct rt *rt, const char *id, struct rt_cgroup_stats *st);
};

struct create_call;

struct rt {
	const struct rt_ops *ops; /* rt_init: the real runtime */
	void *priv;		  /* the ops' own state (a fake's) */
	uv_loop_t *loop;
	char *path; /* absolute path of the runtime binary */
	char *name; /* "runc", "crun", or the basename */
	char *root; /* --root: RUN_DIR/runc */
	char *run_dir;
	/* pod set-ups with `run` in flight, at most create_limit; the rest
	 * wait in order (runtime.c) */
	unsigned creating, create_limit;
	struct create_call *create_head, *create_tail;
};

/* Resolves "runc" / "crun" / an absolute path; checks it is executable
 * and that this host's cgroups suit it. Its --root is RUN_DIR/runc. */
int rt_init(struct rt *rt, uv_loop_t *loop, const char *runtime,
	    const char *run_dir, struct berr *err);
void rt_free(struct rt *rt);

/*
 * The pod's rootfs (rootfs.h), its config.json (bundle.h), on the thread
 * pool; then `RUNTIME run -d` with pipes handed to the log collector as
 * stdout and stderr; the runtime's
 * log goes to BUNDLE/runtime.log. -1 with err when the work could not be
 * queued (no callback); else the callback fires once, with the pid the
 * runtime wrote or the set-up's error. pod's strings are copied; its
 * spec must live until the callback.
 */
int rt_create(struct rt *rt, const struct rt_pod *pod, rt_run_cb cb, void *data,
	      struct berr *err);
/* `RUNTIME delete -f`; a missing container is not an error. */
int rt_delete(struct rt *rt, const char *id, rt_done_cb cb, void *data);
/* `RUNTIME exec ID CMD...` (runtime/exec.h). */
struct rt_exec *rt_exec(struct rt *rt, const char *id, char *const *cmd,
			size_t n, unsigned timeout_ms, rt_exec_cb cb,
			void *data);
/* A pidfd for pid (pidfd_open), or -1 with errno set. */
int rt_pidfd(struct rt *rt, pid_t pid);
/* When process pid started (clock ticks since boot, /proc/PID/stat), so
 * that a recorded pid is known to be the same process; 0 when unknown. */
uint64_t rt_pid_start(struct rt *rt, pid_t pid);
/* Sends sig through pidfd; -1 with errno set. There is no way to signal a
 * bare pid: a recycled one must never be hit. */
int rt_signal(struct rt *rt, int pidfd, int sig);
/* The pod's rootfs: unmounted (kept), or removed with its folder. */
int rt_unmount(struct rt *rt, const char *dir, struct berr *err);
int rt_remove_dir(struct rt *rt, const char *dir, struct berr *err);

/* Synchronous, for start-up only: state of id ("running", "stopped", ...)
 * and its pid. Returns -1 when the container does not exist. */
int rt_state_sync(struct rt *rt, const char *id, char *status, size_t len,
		  pid_t *pid);
/* Synchronous, for start-up only: the states of n containers, asked all
 * at once (the runtime's processes run side by side), into out[n]. */
void rt_state_many(struct rt *rt, const char *const *ids, size_t n,
		   struct rt_state *out);
/* Synchronous, for start-up only: names of every container under root. */
int rt_list_sync(struct rt *rt, char ***ids, size_t *n);
void rt_delete_sync(struct rt *rt, const char *id);

/* The container's cgroup counters (OOM kills, memory, CPU); -1 when
 * there are none (cgroup gone, or a runtime without the op). */
int rt_stats(struct rt *rt, const char *id, struct rt_cgroup_stats *st);

/* Last error line of a runtime --log file (json or text), or "". */
void rt_log_error(const char *log_path, char *buf, size_t len);

#endif
