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
	size_t plen, mlen, room;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	if (plen + 3 >= sizeof(err->msg)) {
		memcpy(err->msg, prefix, sizeof(err->msg) - 1);
		err->msg[sizeof(err->msg) - 1] = '\0';
		return -1;
	}
	room = sizeof(err->msg) - plen - 3;
	mlen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (mlen > room)
		mlen = room;
	memmove(err->msg + plen + 2, err->msg, mlen);
	err->msg[plen + 2 + mlen] = '\0';
	memcpy(err->msg, prefix, plen);
	err->msg[plen] = ':';
	err->msg[plen + 1] = ' ';
	return -1;
}

void berr_clear(struct berr *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
