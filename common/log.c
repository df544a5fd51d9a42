/*
 * log.c - stderr logging with a timestamp and level. Never allocates.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;

void log_set_level(enum log_level level)
{
	min_level = level;
}

/*
 * journald: when stderr is the stream JOURNAL_STREAM names (its
 * "DEVICE:INODE", compared as sd_journal_stream_fd(3) says), each line
 * starts with its syslog priority, <3> to <7>, and carries no timestamp
 * (the journal keeps its own). Checked once.
 */
static int journal_priority(const char *tag)
{
	static int journal = -1;

	if (journal == -1) {
		const char *env = getenv("JOURNAL_STREAM");
		unsigned long long dev, ino;
		struct stat st;

		journal = env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
			  fstat(STDERR_FILENO, &st) == 0 &&
			  (unsigned long long)st.st_dev == dev &&
			  (unsigned long long)st.st_ino == ino;
	}
	if (!journal)
		return -1;
	switch (tag[0]) {
	case 'f': /* fatal */
		return 3;
	case 'w': /* warn */
		return 4;
	case 'd': /* debug */
		return 7;
	default: /* info */
		return 6;
	}
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
	if (journal_priority(tag) >= 0)
		fprintf(stderr, "<%d>%s %s\n", journal_priority(tag), tag,
			line);
	else
		fprintf(stderr, "%s.%03ldZ berth %s %s\n", stamp,
			ts.tv_nsec / 1000000, tag, line);
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
