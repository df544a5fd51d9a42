/*
 * log.c - stderr logging with a timestamp and level, and the rate limit
 * on repeated lines: the same line (same level and text) is written at
 * most once per LOG_REPEAT_SEC; the next one written says how many were
 * held back. Never allocates; safe from any thread.
 */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;

#define LOG_REPEAT_SEC 5
#define LOG_SLOTS 16

/* Recently written lines, by hash of their text. */
static struct {
	unsigned long hash;
	time_t last;
	unsigned long held;
} slots[LOG_SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned long hash_line(const char *tag, const char *s)
{
	unsigned long h = 5381;

	while (*tag)
		h = h * 33 + (unsigned char)*tag++;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* Whether the line goes out now; *held says how many like it did not. */
static int may_write(const char *tag, const char *line, time_t now,
		     unsigned long *held)
{
	unsigned long h = hash_line(tag, line);
	size_t i = h % LOG_SLOTS;
	int ok = 1;

	*held = 0;
	pthread_mutex_lock(&slots_lock);
	if (slots[i].hash == h && now - slots[i].last < LOG_REPEAT_SEC) {
		slots[i].held++;
		ok = 0;
	} else {
		if (slots[i].hash == h)
			*held = slots[i].held;
		slots[i].hash = h;
		slots[i].last = now;
		slots[i].held = 0;
	}
	pthread_mutex_unlock(&slots_lock);
	return ok;
}

void log_set_level(enum log_level level)
{
	min_level = level;
}

enum log_level log_get_level(void)
{
	return min_level;
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
	unsigned long held;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	if (errnum)
		snprintf(line + len, sizeof(line) - len, ": %s",
			 strerror(errnum));
	if (!may_write(tag, line, ts.tv_sec, &held))
		return;
	len = strlen(line);
	if (held)
		snprintf(line + len, sizeof(line) - len,
			 " (%lu more like this in the last %ds not shown)",
			 held, LOG_REPEAT_SEC);
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
