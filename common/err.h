/*
 * err.h - the one error channel of berth.
 *
 * Every fallible function is `int f(..., struct berr *err)`: it returns 0 on
 * success or -1 with err->code (an errno value, or 0) and err->msg filled.
 * berr_wrap() prepends context as the error rises. The buffer is fixed so the
 * error path never allocates. Must not include anything above libc.
 */
#ifndef BERTH_COMMON_ERR_H
#define BERTH_COMMON_ERR_H

#include <stddef.h>

#define BERR_MSG_MAX 512

struct berr {
	int code;
	char msg[BERR_MSG_MAX];
};

#define BERR_INIT                                                              \
	{                                                                      \
		0,                                                             \
		{                                                              \
			0                                                      \
		}                                                              \
	}

/* Sets the message, no errno. Always returns -1. */
int berr_set(struct berr *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets the message and appends ": strerror(errnum)". Always returns -1. */
int berr_errno(struct berr *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "context: " to the current message. Always returns -1. */
int berr_wrap(struct berr *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void berr_clear(struct berr *err);

#endif
