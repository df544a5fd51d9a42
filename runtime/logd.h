/*
 * logd.h - the log collector, one per RUN_DIR: `berth __logd RUN_DIR`, a
 * small process in its own session that holds the read ends of every
 * container's stdout and stderr pipes and writes them to the containers'
 * log files in the CRI format (cri_log.h), rotating strictly (a file
 * never passes its size cap; at most max_files files). It outlives a
 * daemon crash and an upgrade, so a container never writes to a pipe
 * nobody reads; the next daemon finds it again through RUN_DIR/logd.sock.
 * It exits when it holds no pipe and no daemon is connected. The daemon
 * outlives it in turn: it keeps a copy of every pipe (logd_keep.h), so
 * when the collector dies the pipes still have a reader, and a new
 * collector is handed them.
 *
 * The daemon's side (logd_client.c): logd_hello() once at start,
 * logd_register() for each container before the runtime starts it,
 * logd_adopt() after a collector died. They block (a connect and a
 * reply): call them on a worker thread, logd_hello() aside.
 *
 * Protocol (SOCK_SEQPACKET, one message a record, text; logd_proto.h):
 *   "D" or "D keep": a daemon is here (the connection stays open while
 *     it runs). To "D keep" the collector sends, on that connection,
 *     "H PID", then "S MAX_BYTES MAX_FILES MASK PATH" with the read ends
 *     of each container's pipes it reads (MASK: 1 stdout, 2 stderr, 3
 *     both; the descriptors in that order), and from then on "S ..." for
 *     each new one and "X PATH" when it stops reading one. The daemon
 *     keeps the copies; none is answered.
 *   "R MAX_BYTES MAX_FILES PATH" with two descriptors, the stdout and
 *     stderr read ends of a new run: PATH starts over (the file before
 *     becomes PATH.previous). Answered "ok" (after the "S" to each "D
 *     keep" daemon is sent, or queued when its socket is full) or
 *     "error: why".
 *   "A MAX_BYTES MAX_FILES MASK PATH" with the descriptors MASK names:
 *     pipes a dead collector read, handed over by a daemon; PATH goes on
 *     (appended to, cut back to its last whole record). Answered "ok",
 *     "ok held" (PATH is read already: the descriptors are dropped) or
 *     "error: why".
 */
#ifndef BERTH_RUNTIME_LOGD_H
#define BERTH_RUNTIME_LOGD_H

#include <stdbool.h>
#include <sys/types.h>

#include "../common/err.h"

#define LOGD_SOCKET "logd.sock"
#define LOGD_LOCK "logd.lock"

/* `berth __logd RUN_DIR`: the collector's main. */
int logd_main(int argc, char **argv);

/* Connects to RUN_DIR's collector (starting it when none answers) and
 * says "D keep". Returns the connection, which the daemon keeps open
 * (close-on-exec) while it runs and reads (logd_keep.h); -1 with err. */
int logd_hello(const char *run_dir, struct berr *err);

/*
 * Hands a container's pipes (read ends) to the collector, which writes
 * them to path: an existing path (the container's run before) becomes
 * path.previous first, as logs_keep_previous() does. The caller closes
 * its copies afterwards. Blocking (at most a few seconds).
 */
int logd_register(const char *run_dir, const char *path, off_t max_bytes,
		  int max_files, int out_fd, int err_fd, struct berr *err);

/*
 * Hands pipes a dead collector read to RUN_DIR's collector (started
 * when none answers): p as in logd_proto.h, fds the descriptors p->mask
 * names. *held: the collector reads p->path already and dropped them.
 * The caller keeps its copies. Blocking (at most a few seconds).
 */
struct logd_pipes;
int logd_adopt(const char *run_dir, const struct logd_pipes *p, const int *fds,
	       bool *held, struct berr *err);

#endif
