/*
 * err.c - struct berr helpers. Owns message formatting only; never logs and
 * never exits.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int berr_set(struct berr *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int berr_errno(struct berr *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	err->code = errnum;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
		 strerror(errnum));
	return -1;
}

int berr_wrap(struct berr *err, const char *fmt, ...)
{
	char prefix[BERR_MSG_MAX];
	char old[BERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return -1;
}

void berr_clear(struct berr *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
