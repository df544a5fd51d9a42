/*
 * logd_setup.h - the log collector's process set-up, used by its main
 * (logd.c) only: the lock that keeps one collector per run folder, its
 * socket, a cgroup of its own (so systemd's cleanup of a dead daemon's
 * unit spares it) and its OOM score. Best effort where it says so.
 */
#ifndef BERTH_RUNTIME_LOGD_SETUP_H
#define BERTH_RUNTIME_LOGD_SETUP_H

struct logd_cgroup {
	char *cgroup; /* the cgroup made for this collector, if any */
	char *home;   /* where it came from */
};

/* RUN_DIR/logd.lock, held (flock) by the running collector; -1 when
 * another holds it (it waits a little for one that is exiting). */
int logd_take_lock(const char *run_dir);
/* RUN_DIR/logd.sock, listening (SOCK_SEQPACKET, 0600, non-blocking);
 * -1, said on stderr. */
int logd_bind_socket(const char *run_dir);
/* Moves the process to /sys/fs/cgroup/berth/logd-HASH on cgroup v2;
 * best effort. */
void logd_cgroup_leave_unit(struct logd_cgroup *cg, const char *run_dir);
/* Back to where it came from, the cgroup removed, cg freed. */
void logd_cgroup_return(struct logd_cgroup *cg);
/* oom_score_adj -998: the OOM killer picks others first. Best effort. */
void logd_oom_protect(void);

#endif
