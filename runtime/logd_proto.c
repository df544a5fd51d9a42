/*
 * logd_proto.c - the log collector's pipe-carrying messages as text
 * (logd_proto.h). Strict: decimal numbers without sign or leading
 * space, one space between fields, the path last and absolute. Knows
 * nothing of sockets or files.
 */
#include "logd_proto.h"

#include <limits.h>
#include <stdio.h>

#include "logs.h"

int logd_pipes_count(int mask)
{
	return !!(mask & LOGD_PIPE_OUT) + !!(mask & LOGD_PIPE_ERR);
}

static bool pipes_valid(const struct logd_pipes *p)
{
	return p->max_bytes > 0 && p->max_files >= 2 &&
	       p->max_files <= LOGS_MAX_FILES && p->mask >= 1 &&
	       p->mask <= (LOGD_PIPE_OUT | LOGD_PIPE_ERR) && p->path &&
	       p->path[0] == '/';
}

static int fit(int n, size_t size)
{
	return n < 0 || (size_t)n >= size ? -1 : n;
}

int logd_pipes_format(char *buf, size_t size, char kind,
		      const struct logd_pipes *p)
{
	if (!pipes_valid(p) || (kind != 'S' && kind != 'A'))
		return -1;
	return fit(snprintf(buf, size, "%c %lld %d %d %s", kind, p->max_bytes,
			    p->max_files, p->mask, p->path),
		   size);
}

/* A decimal number in [min, max] at *s followed by one space; *s moves
 * past the space. */
static int field(const char **s, long long min, long long max, long long *out)
{
	const char *p = *s;
	long long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (LLONG_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p != ' ' || v < min || v > max)
		return -1;
	*s = p + 1;
	*out = v;
	return 0;
}

int logd_pipes_parse(const char *msg, char kind, struct logd_pipes *p)
{
	const char *s = msg;
	long long max, files, mask;

	if (s[0] != kind || s[1] != ' ')
		return -1;
	s += 2;
	if (field(&s, 1, LLONG_MAX, &max) == -1 ||
	    field(&s, 2, LOGS_MAX_FILES, &files) == -1 ||
	    field(&s, 1, LOGD_PIPE_OUT | LOGD_PIPE_ERR, &mask) == -1 ||
	    s[0] != '/')
		return -1;
	p->max_bytes = max;
	p->max_files = (int)files;
	p->mask = (int)mask;
	p->path = s;
	return 0;
}

int logd_hello_format(char *buf, size_t size, pid_t pid)
{
	if (pid <= 0)
		return -1;
	return fit(snprintf(buf, size, "H %ld", (long)pid), size);
}

int logd_hello_parse(const char *msg, pid_t *pid)
{
	long long v = 0;
	const char *s;

	if (msg[0] != 'H' || msg[1] != ' ')
		return -1;
	for (s = msg + 2; *s >= '0' && *s <= '9' && s - msg < 12; s++)
		v = v * 10 + (*s - '0');
	if (s == msg + 2 || *s != '\0' || v <= 0 || v > INT_MAX)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

int logd_closed_format(char *buf, size_t size, const char *path)
{
	if (path == NULL || path[0] != '/')
		return -1;
	return fit(snprintf(buf, size, "X %s", path), size);
}

int logd_closed_parse(const char *msg, const char **path)
{
	if (msg[0] != 'X' || msg[1] != ' ' || msg[2] != '/')
		return -1;
	*path = msg + 2;
	return 0;
}
