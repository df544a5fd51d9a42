/*
 * test_log.c - the rate limit on repeated log lines: the same line is
 * written once per 5 s however often it is logged, other lines are not
 * held back by it, and the next one written says how many were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/log.h"
#include "../lib/tap.h"

static FILE *out;

static char text[1 << 16];

/* Reads what was written to stderr since the last call into text. */
static void take(void)
{
	size_t n;

	fflush(stderr);
	n = fread(text, 1, sizeof(text) - 1, out);
	text[n] = '\0';
	clearerr(out);
}

/* Lines of text that contain needle. */
static int lines_with(const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL;
	     p += strlen(needle))
		n++;
	return n;
}

int main(void)
{
	char path[] = "/tmp/berth-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);

	ok(fd >= 0 && saved >= 0, "stderr captured");
	dup2(fd, 2);
	out = fopen(path, "r");
	unlink(path);

	for (int i = 0; i < 1000; i++)
		log_warnx("control: accept: %s", "Too many open files");
	take();
	is_int(lines_with("accept: Too many open files"), 1,
	       "1000 identical lines: one written");
	for (int i = 0; i < 100; i++) {
		log_warnx("line A");
		log_warnx("line B %d", 7);
	}
	take();
	is_int(lines_with("line A"), 1, "interleaved: A once");
	is_int(lines_with("line B 7"), 1, "interleaved: B once");
	log_info("line A");
	take();
	is_int(lines_with("line A"), 1,
	       "the same text at another level is "
	       "another line");
	sleep(5);
	log_warnx("line A");
	take();
	is_int(lines_with("99 more like this in the last 5s not shown"), 1,
	       "5 s later it is written again, with the count held back");

	dup2(saved, 2);
	return tap_done();
}
