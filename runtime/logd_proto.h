/*
 * logd_proto.h - the text of the log collector's messages that carry a
 * container's pipes or name the collector (logd.h has the protocol):
 * written and parsed here, one function each way, so both sides and the
 * tests agree on them. Pure: no descriptor, no allocation.
 */
#ifndef BERTH_RUNTIME_LOGD_PROTO_H
#define BERTH_RUNTIME_LOGD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The pipes a message carries (its mask): stdout's read end first. */
#define LOGD_PIPE_OUT 1
#define LOGD_PIPE_ERR 2

/* The message text's longest length ("S ... PATH"): a path of PATH_MAX. */
#define LOGD_MSG_MAX 4200

/* "KIND MAX_BYTES MAX_FILES MASK PATH": kind 'S' (the collector to a
 * daemon: pipes it reads) or 'A' (a daemon to a new collector: read
 * these). */
struct logd_pipes {
	long long max_bytes; /* > 0 */
	int max_files;	     /* 2 .. LOGS_MAX_FILES */
	int mask;	     /* LOGD_PIPE_OUT | LOGD_PIPE_ERR, not 0 */
	const char *path;    /* absolute; the parsed message's text */
};

/* How many pipes mask names (0, 1 or 2). */
int logd_pipes_count(int mask);

/* Writes the message to buf; its length, or -1 when it does not fit
 * size or p is not valid. */
int logd_pipes_format(char *buf, size_t size, char kind,
		      const struct logd_pipes *p);

/* Parses a message of that kind; 0, or -1 when it is another kind or is
 * malformed (a field missing or out of range, a path not absolute). */
int logd_pipes_parse(const char *msg, char kind, struct logd_pipes *p);

/* "H PID": the collector's pid, first on a daemon's connection. */
int logd_hello_format(char *buf, size_t size, pid_t pid);
int logd_hello_parse(const char *msg, pid_t *pid);

/* "X PATH": the collector no longer reads that container's pipes (both
 * ended, or a new run replaced them). *path points into msg. */
int logd_closed_format(char *buf, size_t size, const char *path);
int logd_closed_parse(const char *msg, const char **path);

#endif
