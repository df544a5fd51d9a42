/*
 * test_cri_log.c - the CRI log format (runtime/cri_log.c): times both
 * ways, how a writer cuts its input into F and P records, the strict
 * rotation test, parsing records back; and the reader
 * (runtime/logs_read.c) over files in a temporary folder: rotated files
 * in order, partial lines joined, --timestamps, --since, --tail, plain
 * text written before the collector, following across a rotation.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/xalloc.h"
#include "../../runtime/cri_log.h"
#include "../../runtime/logs.h"
#include "../../runtime/logs_read.h"
#include "../lib/tap.h"

static char tmpdir[] = "/tmp/berth-cri-log.XXXXXX";

/* Cuts data into records as logd does; returns them, one a line. */
static char *cut(const char *data, size_t max_text)
{
	char *out = xstrdup("");
	size_t len = strlen(data);

	while (len > 0) {
		size_t tl, n;
		bool partial;
		char *next;

		n = cri_next_record(data, len, max_text, &tl, &partial);
		next = xasprintf("%s%c:%.*s|", out, partial ? 'P' : 'F',
				 (int)tl, data);
		free(out);
		out = next;
		data += n;
		len -= n;
	}
	return out;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static char *render(const char *path, const struct logs_view *v)
{
	struct logs_reader *r = logs_reader_new(path, v, false);
	char *out;
	size_t len;

	logs_reader_next(r, &out, &len);
	logs_reader_free(r);
	return out;
}

int main(void)
{
	char ts[CRI_TIME_LEN + 1], head[CRI_HEADER_MAX];
	int64_t ns;
	struct cri_record rec;
	char *s;

	/* times */
	cri_format_time(1475713029669794202LL, ts);
	is_str(ts, "2016-10-06T00:17:09.669794202Z", "time, nine digits");
	cri_format_time(1475713029000000000LL, ts);
	is_str(ts, "2016-10-06T00:17:09.000000000Z",
	       "a whole second keeps its nine digits");
	ok(cri_parse_time("2016-10-06T00:17:09.669794202Z", 30, &ns) == 0 &&
	       ns == 1475713029669794202LL,
	   "parsed back");
	ok(cri_parse_time("2016-10-06T00:17:09Z", 20, &ns) == 0 &&
	       ns == 1475713029000000000LL,
	   "no fraction");
	ok(cri_parse_time("2016-10-06T02:17:09.5+02:00", 27, &ns) == 0 &&
	       ns == 1475713029500000000LL,
	   "an offset and a short fraction");
	ok(cri_parse_time("2016-10-06 00:17:09Z", 20, &ns) == -1,
	   "a space for T is refused");
	ok(cri_parse_time("2016-13-06T00:17:09Z", 20, &ns) == -1,
	   "month 13 is refused");
	ok(cri_parse_time("2016-10-06T00:17:09.Z", 21, &ns) == -1,
	   "an empty fraction is refused");
	ok(cri_parse_time("yesterday", 9, &ns) == -1, "words are refused");
	ok(cri_parse_time("2999-01-01T00:00:00Z", 20, &ns) == 0 &&
	       ns == INT64_MAX,
	   "a time past 2262 is the end of time, not an overflow");

	/* headers and records */
	is_int((int)cri_header(head, 1475713029669794202LL, CRI_STDERR, true),
	       CRI_TIME_LEN + 10, "header length");
	is_str(head, "2016-10-06T00:17:09.669794202Z stderr P ",
	       "a partial stderr header");
	is_str(s = cut("a\nbb\n", 100), "F:a|F:bb|", "whole lines are F");
	free(s);
	is_str(s = cut("a\nprompt> ", 100), "F:a|P:prompt> |",
	       "a line without its newline is P, written at once");
	free(s);
	is_str(s = cut("abcdefgh\n", 3), "P:abc|P:def|F:gh|",
	       "a long line is cut into P records ending in F");
	free(s);
	is_str(s = cut("abcdef\n", 3), "P:abc|F:def|",
	       "a line of exactly the limit ends with its newline");
	free(s);
	is_str(s = cut("\n\n", 3), "F:|F:|", "empty lines");
	free(s);

	/* strict rotation arithmetic */
	ok(!cri_must_rotate(0, 500, 100),
	   "an empty file takes any record (a record never exceeds the cap "
	   "by construction)");
	ok(!cri_must_rotate(60, 40, 100), "exactly at the cap fits");
	ok(cri_must_rotate(61, 40, 100), "one byte past the cap rotates");

	/* parsing */
	ok(cri_parse_line("2016-10-06T00:17:09.669794202Z stdout F hello", 45,
			  &rec) == 0 &&
	       rec.stream == CRI_STDOUT && !rec.partial && rec.len == 5 &&
	       !memcmp(rec.text, "hello", 5),
	   "a record");
	ok(cri_parse_line("2016-10-06T00:17:09.669794202Z stderr P  x", 42,
			  &rec) == 0 &&
	       rec.stream == CRI_STDERR && rec.partial && rec.len == 2,
	   "a partial record keeps its leading space");
	ok(cri_parse_line("2016-10-06T00:17:09.669794202Z stdout F", 39,
			  &rec) == 0 &&
	       rec.len == 0,
	   "an empty line's record");
	ok(cri_parse_line("hello world", 11, &rec) == -1, "plain text");
	ok(cri_parse_line("2016-10-06T00:17:09Z stdin F x", 30, &rec) == -1,
	   "an unknown stream");
	ok(logs_is_cri("2016-10-06T00:17:09.669794202Z stdout F x\n", 42) &&
	       !logs_is_cri("line 1\n", 7),
	   "a file's format from its first line");

	/* reading files back */
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	char *log = xasprintf("%s/container.log", tmpdir);
	char *log1 = xasprintf("%s.1", log);
	char *log2 = xasprintf("%s.2", log);
	struct logs_view all = {.tail = -1};

	put(log2, "2024-01-01T00:00:01.000000000Z stdout F one\n"
		  "2024-01-01T00:00:02.000000000Z stdout P tw\n");
	put(log1, "2024-01-01T00:00:02.000000000Z stderr F err\n"
		  "2024-01-01T00:00:02.100000000Z stdout F o\n");
	put(log, "2024-01-01T00:00:03.000000000Z stdout F three\n"
		 "2024-01-01T00:00:04.000000000Z stdout P no newline\n");
	is_str(s = render(log, &all), "one\ntwerr\no\nthree\nno newline",
	       "oldest file first, a partial record joined across files and "
	       "interleaved as written");
	free(s);
	struct logs_view stamped = {.tail = -1, .timestamps = true};
	is_str(s = render(log, &stamped),
	       "2024-01-01T00:00:01.000000000Z one\n"
	       "2024-01-01T00:00:02.000000000Z tw"
	       "2024-01-01T00:00:02.000000000Z err\no\n"
	       "2024-01-01T00:00:03.000000000Z three\n"
	       "2024-01-01T00:00:04.000000000Z no newline",
	       "--timestamps: a line's first record's time");
	free(s);
	struct logs_view since = {.tail = -1};
	cri_parse_time("2024-01-01T00:00:02Z", 20, &since.since_ns);
	is_str(s = render(log, &since), "twerr\no\nthree\nno newline",
	       "--since: lines from then on");
	free(s);
	struct logs_view tail = {.tail = 2};
	is_str(s = render(log, &tail), "three\nno newline",
	       "--tail 2 over the rendered lines");
	free(s);
	struct logs_view small = {.tail = -1, .max_bytes = 12};
	is_str(s = render(log, &small), "no newline",
	       "the byte limit keeps the newest whole lines");
	free(s);

	/* plain text from before the collector */
	unlink(log2);
	put(log1, "old 1\nold 2\n");
	put(log, "2024-01-01T00:00:03.000000000Z stdout F new\n");
	is_str(s = render(log, &all), "old 1\nold 2\nnew\n",
	       "a plain file is shown as is, before the new records");
	free(s);
	struct timespec old[2] = {{1672531200, 0}, {1672531200, 0}}; /* 2023 */
	utimensat(AT_FDCWD, log1, old, 0);
	is_str(s = render(log, &since), "new\n",
	       "--since leaves out a plain file older than then (mtime)");
	free(s);

	/* following across a rotation */
	unlink(log1);
	put(log, "2024-01-01T00:00:01.000000000Z stdout F a\n");
	struct logs_reader *r = logs_reader_new(log, &all, true);
	size_t len;

	logs_reader_next(r, &s, &len);
	is_str(s, "a\n", "follow: what is there");
	free(s);
	FILE *f = fopen(log, "a");
	fputs("2024-01-01T00:00:02.000000000Z stdout F b\n", f);
	fclose(f);
	rename(log, log1);
	put(log, "2024-01-01T00:00:03.000000000Z stdout F c\n");
	logs_reader_next(r, &s, &len);
	is_str(s, "b\nc\n",
	       "follow: the rest of the rotated file, then the new one");
	free(s);
	f = fopen(log, "a"); /* the followed file gets one more line */
	fputs("2024-01-01T00:00:03.500000000Z stdout F c2\n", f);
	fclose(f);
	rename(log1, log2);
	rename(log, log1);
	put(log, "2024-01-01T00:00:04.000000000Z stdout F d\n");
	rename(log1, log2); /* a second rotation before the next read */
	rename(log, log1);
	put(log, "2024-01-01T00:00:05.000000000Z stdout F e\n");
	logs_reader_next(r, &s, &len);
	is_str(s, "c2\nd\ne\n",
	       "follow: two rotations between reads lose nothing");
	free(s);
	logs_reader_free(r);

	/* durations */
	ok(logs_parse_duration("5s", &ns) == 0 && ns == 5000000000LL, "5s");
	ok(logs_parse_duration("2m", &ns) == 0 && ns == 120000000000LL, "2m");
	ok(logs_parse_duration("1h30m", &ns) == 0 && ns == 5400000000000LL,
	   "1h30m");
	ok(logs_parse_duration("1.5s", &ns) == 0 && ns == 1500000000LL, "1.5s");
	ok(logs_parse_duration("5", &ns) == -1, "a number needs its unit");
	ok(logs_parse_duration("0s", &ns) == -1, "zero is refused");
	ok(logs_parse_duration("-5s", &ns) == -1, "negative is refused");
	ok(logs_parse_duration("5d", &ns) == -1, "days are not a unit");

	unlink(log);
	unlink(log1);
	unlink(log2);
	rmdir(tmpdir);
	free(log);
	free(log1);
	free(log2);
	return tap_done();
}
