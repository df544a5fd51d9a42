/*
 * log.c - stderr logging with a timestamp and level. Never allocates.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level min_level = LOG_LEVEL_INFO;

void log_set_level(enum log_level level)
{
	min_level = level;
}

static void vlog(const char *tag, const char *fmt, va_list ap, int errnum)
{
	char line[1024];
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	if (errnum)
		snprintf(line + len, sizeof(line) - len, ": %s",
			 strerror(errnum));
	fprintf(stderr, "%s.%03ldZ berth %s %s\n", stamp, ts.tv_nsec / 1000000,
		tag, line);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (min_level > LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	vlog("info", fmt, ap, 0);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (min_level > LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap, 0);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warn", fmt, ap, 0);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("warn", fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, 0);
	va_end(ap);
	exit(1);
}
