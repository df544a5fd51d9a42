/*
 * test_logs_tail.c - unit tests for runtime/logs.c's `logs --tail N`
 * (logs_tail_lines) and `logs --previous` (logs_keep_previous), in a
 * temporary folder of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../common/xalloc.h"
#include "../../runtime/logs.h"
#include "../lib/tap.h"

static char tmpdir[] = "/tmp/berth-logs-tail.XXXXXX";

static char *tail(const char *text, long n)
{
	size_t len = strlen(text);
	const char *out = logs_tail_lines(text, &len, n);

	return xstrndup(out, len);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int main(void)
{
	char *s;

	is_str(s = tail("a\nb\nc\n", 2), "b\nc\n", "last 2 of 3 lines");
	free(s);
	is_str(s = tail("a\nb\nc\n", 3), "a\nb\nc\n", "exactly all lines");
	free(s);
	is_str(s = tail("a\nb\nc\n", 10), "a\nb\nc\n", "more than there are");
	free(s);
	is_str(s = tail("a\nb\nc\n", -1), "a\nb\nc\n", "-1: everything");
	free(s);
	is_str(s = tail("a\nb\nc\n", 0), "", "0: nothing");
	free(s);
	is_str(s = tail("a\nb\nno newline", 1), "no newline",
	       "a last line without its newline counts");
	free(s);
	is_str(s = tail("a\n\n\n", 2), "\n\n", "empty lines count");
	free(s);
	is_str(s = tail("", 3), "", "an empty log");
	free(s);

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	char *log = xasprintf("%s/container.log", tmpdir);
	char *log1 = xasprintf("%s/container.log.1", tmpdir);
	char *prev = logs_previous_path(log);
	char *prev1 = xasprintf("%s.1", prev);
	struct berr err = BERR_INIT;
	size_t len;

	put(log, "run 1 new\n");
	put(log1, "run 1 old\n");
	ok(logs_keep_previous(log, &err) == 0, "keep previous: %s", err.msg);
	ok(!exists(log) && !exists(log1), "the live files are gone");
	s = logs_read(prev, 1 << 20, &len);
	is_str(s, "run 1 old\nrun 1 new\n", "previous holds the whole run");
	free(s);
	put(log, "run 2\n");
	ok(logs_keep_previous(log, &err) == 0, "a second restart");
	ok(!exists(prev1), "the older run's rotated part is gone");
	s = logs_read(prev, 1 << 20, &len);
	is_str(s, "run 2\n", "previous is only the run before the last");
	free(s);
	ok(logs_keep_previous(log, &err) == 0,
	   "nothing to move is not an error");
	/* rotation keeping 3 files: LOG, LOG.1, LOG.2 */
	char *log2 = xasprintf("%s.2", log);
	char *log3 = xasprintf("%s.3", log);
	put(log, "first\n");
	ok(logs_cap_files(log, 4, 3, &err) == 0, "rotate 1: %s", err.msg);
	put(log, "second\n");
	ok(logs_cap_files(log, 4, 3, &err) == 0, "rotate 2: %s", err.msg);
	put(log, "third\n");
	ok(logs_cap_files(log, 4, 3, &err) == 0, "rotate 3: %s", err.msg);
	put(log, "live\n");
	ok(logs_cap_files(log, 64, 3, &err) == 0 && exists(log),
	   "a log under the size is left alone");
	s = logs_read(log1, 1 << 20, &len);
	is_str(s, "third\n", "LOG.1 holds the newest rotated part");
	free(s);
	s = logs_read(log2, 1 << 20, &len);
	is_str(s, "second\n", "LOG.2 the one before");
	free(s);
	ok(!exists(log3), "the oldest part is removed: 3 files in all");
	ok(logs_keep_previous(log, &err) == 0 && !exists(log2),
	   "a restart drops LOG.2 of the run that ended");
	/* the collector's files are its own to rotate */
	put(log, "2024-01-01T00:00:01.000000000Z stdout F a long line\n");
	ok(logs_cap_files(log, 4, 3, &err) == 0 && exists(log) && !exists(log1),
	   "the copy cap leaves a file of CRI records alone");
	ok(logs_rotate(log, 3, &err) == 0 && !exists(log) && exists(log1),
	   "logs_rotate: LOG becomes LOG.1");
	put(log, "x\n");
	ok(logs_rotate(log, 3, &err) == 0 && exists(log2) && exists(log1),
	   "and LOG.1 moves up to LOG.2");
	put(log, "y\n");
	ok(logs_rotate(log, 3, &err) == 0 && !exists(log3),
	   "never more than max_files files");
	s = logs_read(log2, 1 << 20, &len);
	is_str(s, "x\n", "the oldest kept is the one before the newest");
	free(s);
	unlink(log1);
	unlink(log2);
	unlink(prev);
	unlink(prev1);
	free(log2);
	free(log3);
	rmdir(tmpdir);
	free(log);
	free(log1);
	free(prev);
	free(prev1);
	return tap_done();
}
