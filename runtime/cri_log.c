/*
 * cri_log.c - the CRI container log format (cri_log.h): times, record
 * headers, how a writer cuts its input into records, the rotation test,
 * and parsing a record back. Pure functions; no file or clock here.
 */
#include "cri_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void cri_format_time(int64_t ns, char out[CRI_TIME_LEN + 1])
{
	time_t secs = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	char buf[96];

	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
		 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	memcpy(out, buf, CRI_TIME_LEN);
	out[CRI_TIME_LEN] = '\0';
}

/* n decimal digits at s into *out; -1 when one is not a digit. */
static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int cri_parse_time(const char *s, size_t len, int64_t *ns)
{
	struct tm tm = {0};
	int year, mon, day, hour, min, sec, oh, om;
	int64_t frac = 0, offset = 0;
	size_t i = 19;
	time_t t;

	if (len < 20 || digits(s, 4, &year) || s[4] != '-' ||
	    digits(s + 5, 2, &mon) || s[7] != '-' || digits(s + 8, 2, &day) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &hour) ||
	    s[13] != ':' || digits(s + 14, 2, &min) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		int n = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, n++)
			if (n < 9)
				frac = frac * 10 + (s[i] - '0');
		if (n == 0)
			return -1;
		for (; n < 9; n++)
			frac *= 10;
	}
	if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
		offset = 0;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
		   !digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
		   !digits(s + i + 4, 2, &om) && oh < 24 && om < 60) {
		offset =
		    (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
	} else {
		return -1;
	}
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm) - (time_t)offset;
	/* nanoseconds since the epoch last until 2262: later is "never" */
	if (t >= INT64_MAX / 1000000000)
		*ns = INT64_MAX;
	else if (t <= INT64_MIN / 1000000000)
		*ns = INT64_MIN;
	else
		*ns = (int64_t)t * 1000000000 + frac;
	return 0;
}

size_t cri_header(char *out, int64_t ns, enum cri_stream stream, bool partial)
{
	char ts[CRI_TIME_LEN + 1];

	cri_format_time(ns, ts);
	return (size_t)snprintf(out, CRI_HEADER_MAX, "%s %s %c ", ts,
				stream == CRI_STDERR ? "stderr" : "stdout",
				partial ? 'P' : 'F');
}

size_t cri_next_record(const char *data, size_t len, size_t max_text,
		       size_t *text_len, bool *partial)
{
	size_t scan = len < max_text ? len : max_text;
	const char *nl = memchr(data, '\n', scan);

	if (nl) {
		*text_len = (size_t)(nl - data);
		*partial = false;
		return *text_len + 1;
	}
	/* a line of exactly max_text bytes ends at the next byte */
	if (len > max_text && data[max_text] == '\n') {
		*text_len = max_text;
		*partial = false;
		return max_text + 1;
	}
	*text_len = scan;
	*partial = true;
	return scan;
}

bool cri_must_rotate(off_t size, size_t rec_len, off_t max)
{
	return size > 0 && size + (off_t)rec_len > max;
}

int cri_parse_line(const char *line, size_t len, struct cri_record *r)
{
	const char *sp = memchr(line, ' ', len);
	size_t tlen, rest;
	const char *p;

	if (sp == NULL)
		return -1;
	tlen = (size_t)(sp - line);
	if (cri_parse_time(line, tlen, &r->ns) == -1)
		return -1;
	p = sp + 1;
	rest = len - tlen - 1;
	if (rest >= 7 && !memcmp(p, "stdout ", 7))
		r->stream = CRI_STDOUT;
	else if (rest >= 7 && !memcmp(p, "stderr ", 7))
		r->stream = CRI_STDERR;
	else
		return -1;
	p += 7;
	rest -= 7;
	/* "F text", "P text"; a tag without text ("F") is an empty line */
	if (rest < 1 || (p[0] != 'F' && p[0] != 'P') ||
	    (rest > 1 && p[1] != ' '))
		return -1;
	r->partial = p[0] == 'P';
	r->text = rest > 1 ? p + 2 : p + 1;
	r->len = rest > 1 ? rest - 2 : 0;
	return 0;
}
