/*
 * logd.h - the log collector, one per RUN_DIR: `berth __logd RUN_DIR`, a
 * small process in its own session that holds the read ends of every
 * container's stdout and stderr pipes and writes them to the containers'
 * log files in the CRI format (cri_log.h), rotating strictly (a file
 * never passes its size cap; at most max_files files). It outlives a
 * daemon crash and an upgrade, so a container never writes to a pipe
 * nobody reads; the next daemon finds it again through RUN_DIR/logd.sock.
 * It exits when it holds no pipe and no daemon is connected.
 *
 * The daemon's side (logd_client.c): logd_hello() once at start,
 * logd_register() for each container before the runtime starts it. Both
 * block (a connect and a reply): call logd_register() on a worker thread.
 *
 * Protocol (SOCK_SEQPACKET): "D" (a daemon is here; the connection stays
 * open while it runs) or "R MAX_BYTES MAX_FILES PATH" with two
 * descriptors, the stdout and stderr read ends; answered "ok" or
 * "error: why".
 */
#ifndef BERTH_RUNTIME_LOGD_H
#define BERTH_RUNTIME_LOGD_H

#include <sys/types.h>

#include "../common/err.h"

#define LOGD_SOCKET "logd.sock"
#define LOGD_LOCK "logd.lock"

/* `berth __logd RUN_DIR`: the collector's main. */
int logd_main(int argc, char **argv);

/* Connects to RUN_DIR's collector (starting it when none answers) and
 * says a daemon is here. Returns the connection, which the daemon keeps
 * open (close-on-exec) while it runs; -1 with err. */
int logd_hello(const char *run_dir, struct berr *err);

/*
 * Hands a container's pipes (read ends) to the collector, which writes
 * them to path: an existing path (the container's run before) becomes
 * path.previous first, as logs_keep_previous() does. The caller closes
 * its copies afterwards. Blocking (at most a few seconds).
 */
int logd_register(const char *run_dir, const char *path, off_t max_bytes,
		  int max_files, int out_fd, int err_fd, struct berr *err);

#endif
