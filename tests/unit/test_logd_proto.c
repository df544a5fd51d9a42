/*
 * test_logd_proto.c - the log collector's pipe-carrying messages
 * (runtime/logd_proto.c): "S"/"A" both ways, "H PID", "X PATH", and what
 * each parser refuses; and logs_cut_partial() (runtime/logs.c), which a
 * collector handed a dead one's file runs first.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../runtime/logd_proto.h"
#include "../../runtime/logs.h"
#include "../lib/tap.h"

static void test_pipes(void)
{
	struct logd_pipes in = {.max_bytes = 10485760,
				.max_files = 5,
				.mask = LOGD_PIPE_OUT | LOGD_PIPE_ERR,
				.path = "/run/berth/pods/a b/container.log"};
	struct logd_pipes out;
	char buf[LOGD_MSG_MAX];
	int n;

	n = logd_pipes_format(buf, sizeof(buf), 'S', &in);
	is_str(buf, "S 10485760 5 3 /run/berth/pods/a b/container.log",
	       "S: the fields in order, the path last (spaces kept)");
	is_int(n, strlen(buf), "S: its length");
	ok(logd_pipes_parse(buf, 'S', &out) == 0, "S parses");
	is_int(out.max_bytes, 10485760, "S: max bytes");
	is_int(out.max_files, 5, "S: max files");
	is_int(out.mask, 3, "S: both pipes");
	is_str(out.path, in.path, "S: the path");
	ok(logd_pipes_parse(buf, 'A', &out) == -1,
	   "an S is not taken for an A");

	in.mask = LOGD_PIPE_ERR;
	in.max_files = 2;
	logd_pipes_format(buf, sizeof(buf), 'A', &in);
	is_str(buf, "A 10485760 2 2 /run/berth/pods/a b/container.log",
	       "A with stderr only");
	ok(logd_pipes_parse(buf, 'A', &out) == 0 && out.mask == 2 &&
	       logd_pipes_count(out.mask) == 1,
	   "A parses: one pipe");
	is_int(logd_pipes_count(3), 2, "mask 3: two pipes");
	is_int(logd_pipes_count(1), 1, "mask 1: one pipe");

	ok(logd_pipes_format(buf, 20, 'S', &in) == -1,
	   "a buffer too small: -1");
	in.path = "relative/container.log";
	ok(logd_pipes_format(buf, sizeof(buf), 'S', &in) == -1,
	   "a relative path is not written");
	in.path = "/x";
	in.mask = 0;
	ok(logd_pipes_format(buf, sizeof(buf), 'S', &in) == -1,
	   "no pipe: not written");
	in.mask = 1;
	ok(logd_pipes_format(buf, sizeof(buf), 'R', &in) == -1,
	   "only S and A are this message");

	static const char *bad[] = {
	    "S",
	    "S ",
	    "S 10 5 3",
	    "S 10 5 3 ",
	    "S 10 5 3 relative",
	    "S 0 5 3 /x",
	    "S -1 5 3 /x",
	    "S +10 5 3 /x",
	    "S 10 1 3 /x",
	    "S 10 101 3 /x",
	    "S 10 5 0 /x",
	    "S 10 5 4 /x",
	    "S 10  5 3 /x",
	    "S 10x 5 3 /x",
	    "S 99999999999999999999 5 3 /x",
	    "S10 5 3 /x",
	    "X /x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(logd_pipes_parse(bad[i], 'S', &out) == -1, "refused: `%s`",
		   bad[i]);
	ok(logd_pipes_parse("S 9223372036854775807 100 1 /x", 'S', &out) == 0 &&
	       out.max_bytes == 9223372036854775807LL && out.max_files == 100,
	   "the largest values parse");
}

static void test_hello_closed(void)
{
	char buf[64];
	const char *path;
	pid_t pid = 0;

	ok(logd_hello_format(buf, sizeof(buf), 4242) > 0 &&
	       !strcmp(buf, "H 4242"),
	   "H PID");
	ok(logd_hello_parse(buf, &pid) == 0 && pid == 4242, "H parses");
	ok(logd_hello_format(buf, sizeof(buf), 0) == -1, "no pid 0");
	ok(logd_hello_parse("H 2147483647", &pid) == 0 && pid == 2147483647,
	   "the largest pid");
	static const char *bad[] = {"H",
				    "H ",
				    "H 0",
				    "H -1",
				    "H 12x",
				    "H 2147483648",
				    "H 12345678901",
				    "H  1",
				    "S 1",
				    "H1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(logd_hello_parse(bad[i], &pid) == -1, "refused: `%s`",
		   bad[i]);

	ok(logd_closed_format(buf, sizeof(buf), "/p/container.log") > 0 &&
	       !strcmp(buf, "X /p/container.log"),
	   "X PATH");
	ok(logd_closed_parse(buf, &path) == 0 &&
	       !strcmp(path, "/p/container.log"),
	   "X parses");
	ok(logd_closed_format(buf, sizeof(buf), "p") == -1,
	   "X: a relative path is not written");
	ok(logd_closed_parse("X p", &path) == -1, "X: relative refused");
	ok(logd_closed_parse("X", &path) == -1, "X: no path refused");
	ok(logd_closed_parse("H /p", &path) == -1, "X: another kind refused");
}

/* logs_cut_partial() on a file holding text; returns what is left. */
static char *cut(const char *text, off_t *cut_bytes)
{
	char path[] = "/tmp/berth-logd-proto.XXXXXX";
	int fd = mkstemp(path);
	struct berr err = BERR_INIT;
	char *out = NULL;
	size_t len;

	unlink(path);
	if (fd == -1 || fd_write_all(fd, text, strlen(text)) == -1)
		abort();
	*cut_bytes = logs_cut_partial(fd, &err);
	len = (size_t)lseek(fd, 0, SEEK_END);
	out = calloc(1, len + 1);
	if (pread(fd, out, len, 0) != (ssize_t)len)
		abort();
	close(fd);
	return out;
}

static void test_cut_partial(void)
{
	char *big = malloc(20000);
	char *out;
	off_t n;

	out = cut("", &n);
	ok(n == 0 && !strcmp(out, ""), "an empty file: nothing cut");
	free(out);
	out = cut("T stdout F a\nT stdout F b\n", &n);
	ok(n == 0 && !strcmp(out, "T stdout F a\nT stdout F b\n"),
	   "a file ending with a newline: nothing cut");
	free(out);
	out = cut("T stdout F a\nT std", &n);
	ok(n == 5 && !strcmp(out, "T stdout F a\n"),
	   "a record cut short: cut back to the last whole one");
	free(out);
	out = cut("no newline at all", &n);
	ok(n == 17 && !strcmp(out, ""), "no whole record: emptied");
	free(out);
	/* the last newline more than one read (4 KiB) back */
	memset(big, 'x', 19999);
	big[19999] = '\0';
	big[100] = '\n';
	out = cut(big, &n);
	ok(n == 19898 && strlen(out) == 101 && out[100] == '\n',
	   "a long cut record: found across reads");
	free(out);
	free(big);
}

int main(void)
{
	test_pipes();
	test_hello_closed();
	test_cut_partial();
	return tap_done();
}
