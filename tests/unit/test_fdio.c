/*
 * test_fdio.c - the bounded reader and the exclusive atomic writes of
 * common/fdio.c, and the directory checks of common/fsperm.c: devices,
 * FIFOs, directories and oversized files refused without blocking, a
 * planted symlink never followed, foreign or writable folders refused.
 * The ownership cases need root and are skipped otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../common/fsperm.h"
#include "../lib/tap.h"

static char dir[] = "/tmp/berth-test-fdio.XXXXXX";

static char *at(const char *name)
{
	static char bufs[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", dir, name);
	return bufs[i];
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1 || fd_write_all(fd, text, strlen(text)) == -1)
		abort();
	close(fd);
}

/* Reads path with max; "" on success with the text in *text. */
static int rd(const char *path, size_t max, int flags, char **text,
	      struct berr *err)
{
	size_t len = 0;
	int rc;

	*text = NULL;
	berr_clear(err);
	rc = file_read_bounded(path, max, flags, text, &len, err);
	if (rc == 0 && strlen(*text) != len)
		return -2;
	return rc;
}

static void test_reader(void)
{
	struct berr err = BERR_INIT;
	char *text;
	char big[4098]; /* 4097 bytes and a NUL */

	put(at("f"), "hello\n");
	is_int(rd(at("f"), 100, 0, &text, &err), 0, "a regular file is read");
	is_str(text, "hello\n", "with its whole text");
	free(text);

	is_int(rd(at("f"), 6, 0, &text, &err), 0, "exactly max bytes: read");
	free(text);
	is_int(rd(at("f"), 5, 0, &text, &err), -1, "max + 1 bytes: refused");
	is_str(err.msg, "is larger than 5 bytes", "saying the limit");
	is_int(err.code, EFBIG, "with EFBIG");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(at("big"), big);
	is_int(rd(at("big"), 4096, 0, &text, &err), -1,
	       "4097 bytes with a 4096 cap: refused");
	free(text);
	is_int(rd(at("big"), 1u << 20, 0, &text, &err), 0,
	       "4097 bytes with a 1 MiB cap: read");
	ok(text && strlen(text) == 4096 + 1, "all of it");
	free(text);

	is_int(rd("/dev/zero", 1u << 20, 0, &text, &err), -1,
	       "/dev/zero: refused");
	is_str(err.msg, "is a character device, not a regular file",
	       "as a character device");
	is_int(err.code, EINVAL, "with EINVAL");
	ok(text == NULL, "nothing handed out");

	if (mkfifo(at("fifo"), 0600) == -1)
		abort();
	/* Would block forever if it were opened for reading without
	 * O_NONBLOCK; the test itself is the proof it does not. */
	is_int(rd(at("fifo"), 1u << 20, 0, &text, &err), -1,
	       "a FIFO with no writer: refused at once");
	is_str(err.msg, "is a FIFO, not a regular file", "as a FIFO");

	is_int(rd(dir, 1u << 20, 0, &text, &err), -1, "a directory: refused");
	is_str(err.msg, "is a directory, not a regular file", "as a directory");

	is_int(rd(at("missing"), 100, 0, &text, &err), -1,
	       "a missing file: refused");
	is_str(err.msg, strerror(ENOENT), "with strerror only");
	is_int(err.code, ENOENT, "and its errno");

	if (symlink(at("f"), at("link")) == -1)
		abort();
	is_int(rd(at("link"), 100, 0, &text, &err), 0,
	       "a symlink to a regular file is followed by default");
	free(text);
	is_int(rd(at("link"), 100, FILE_READ_NOFOLLOW, &text, &err), -1,
	       "and refused with FILE_READ_NOFOLLOW");
	is_str(err.msg, "is a symbolic link, not a regular file",
	       "as a symbolic link");
	if (symlink("/dev/zero", at("zlink")) == -1)
		abort();
	is_int(rd(at("zlink"), 100, 0, &text, &err), -1,
	       "a symlink to /dev/zero: refused");

	/* st_size is 0 under /proc: the cap still holds, EOF still ends. */
	is_int(rd("/proc/self/status", 1u << 20, 0, &text, &err), 0,
	       "a /proc file (st_size 0) is read to EOF");
	ok(text && strstr(text, "Name:") != NULL, "with its text");
	free(text);
	is_int(rd("/proc/self/status", 16, 0, &text, &err), -1,
	       "and refused past the cap");

	is_int(file_read_all(at("missing"), &text, NULL, &err), -1,
	       "file_read_all: missing file refused");
	ok(strstr(err.msg, "read `") == err.msg &&
	       strstr(err.msg, "missing`: No such file") != NULL,
	   "naming the file: %s", err.msg);
}

static int count_entries(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *de;
	int n = 0;

	while (dd && (de = readdir(dd)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	if (dd)
		closedir(dd);
	return n;
}

static void test_writer(void)
{
	struct berr err = BERR_INIT;
	struct stat st;
	char *text;
	char sub[256];

	snprintf(sub, sizeof(sub), "%s/w", dir);
	if (mkdir(sub, 0700) == -1)
		abort();
	put(at("victim"), "untouched");
	/* The name the writer used to take: a symlink planted there must
	 * never be written through. */
	if (symlink(at("victim"), at("w/state.json.tmp")) == -1)
		abort();
	is_int(file_write_atomic(at("w/state.json"), "{}", 2, 0600, &err), 0,
	       "file_write_atomic with a symlink planted at PATH.tmp");
	is_int(rd(at("victim"), 100, 0, &text, &err), 0, "victim readable");
	is_str(text, "untouched", "the symlink's target is untouched");
	free(text);
	is_int(rd(at("w/state.json"), 100, FILE_READ_NOFOLLOW, &text, &err), 0,
	       "the file was written");
	is_str(text, "{}", "with its text");
	free(text);
	ok(lstat(at("w/state.json"), &st) == 0 && S_ISREG(st.st_mode) &&
	       (st.st_mode & 0777) == 0600,
	   "a regular file with mode 0600");
	is_int(count_entries(sub), 2, "no temp file left (state.json + link)");

	is_int(file_write_replace(at("w/b.json"), "x", 1, 0600, &err), 0,
	       "file_write_replace writes");
	is_int(file_write_atomic(at("w/b.json"), "yy", 2, 0600, &err), 0,
	       "file_write_atomic replaces");
	is_int(rd(at("w/b.json"), 100, 0, &text, &err), 0, "readable");
	is_str(text, "yy", "new text");
	free(text);
	is_int(count_entries(sub), 3, "still no temp file left");

	is_int(file_write_atomic(at("nodir/x.json"), "{}", 2, 0600, &err), -1,
	       "a missing folder fails");
	ok(strstr(err.msg, "create `") == err.msg &&
	       strstr(err.msg, "x.json.tmp-") != NULL,
	   "naming the temp file: %s", err.msg);
}

/* dir_check_private() with a cleared error, for messages in test names. */
static int check(const char *what, const char *path, struct berr *err)
{
	berr_clear(err);
	return dir_check_private(what, path, err);
}

static void test_dirs(void)
{
	struct berr err = BERR_INIT;
	char d[256], sticky[256], open_d[256], inner[256];

	snprintf(d, sizeof(d), "%s/priv", dir);
	if (mkdir(d, 0700) == -1)
		abort();
	is_int(check("state_dir", d, &err), 0,
	       "a 0700 folder of ours is accepted: %s", err.msg);
	chmod(d, 0755);
	is_int(check("state_dir", d, &err), 0,
	       "0755 is accepted (readable is fine)");
	chmod(d, 0770);
	is_int(check("state_dir", d, &err), -1, "group-writable is refused");
	ok(strstr(err.msg, "is writable by group or others (mode 0770)") !=
	       NULL,
	   "saying why: %s", err.msg);
	chmod(d, 01777);
	is_int(check("run_dir", d, &err), -1,
	       "world-writable (even sticky) is refused");
	ok(strncmp(err.msg, "run_dir `", 9) == 0, "naming what: %s", err.msg);
	chmod(d, 0700);
	is_int(check("state_dir", "relative", &err), -1,
	       "a relative path is refused");
	is_int(check("state_dir", at("f"), &err), -1, "a file is refused");

	/* A folder inside a non-sticky world-writable folder: another user
	 * could rename it away and put theirs in its place. */
	snprintf(open_d, sizeof(open_d), "%s/open", dir);
	snprintf(inner, sizeof(inner), "%s/open/inner", dir);
	if (mkdir(open_d, 0700) == -1 || mkdir(inner, 0700) == -1)
		abort();
	chmod(open_d, 0777);
	is_int(check("state_dir", inner, &err), -1,
	       "inside a world-writable parent: refused");
	ok(strstr(err.msg, "on its path is writable by group or others") !=
	       NULL,
	   "saying which folder: %s", err.msg);
	snprintf(sticky, sizeof(sticky), "%s/sticky", dir);
	if (mkdir(sticky, 0700) == -1)
		abort();
	snprintf(inner, sizeof(inner), "%s/sticky/inner", dir);
	if (mkdir(inner, 0700) == -1)
		abort();
	chmod(sticky, 01777);
	is_int(check("state_dir", inner, &err), 0,
	       "inside a sticky parent like /tmp: accepted: %s", err.msg);

	if (geteuid() != 0) {
		printf("ok %d - # SKIP ownership cases need root\n", ++tap_n);
		return;
	}
	if (chown(d, 65534, 65534) == -1)
		abort();
	is_int(check("state_dir", d, &err), -1,
	       "a folder owned by another user is refused");
	ok(strstr(err.msg, "is owned by uid 65534, not by uid 0") != NULL,
	   "saying whose it is: %s", err.msg);
	if (chown(d, 0, 0) == -1)
		abort();
	/* A symlink owned by another user in a sticky folder leads to our
	 * folder today, to theirs tomorrow. */
	snprintf(inner, sizeof(inner), "%s/sticky/link", dir);
	if (symlink(d, inner) == -1 || lchown(inner, 65534, 65534) == -1)
		abort();
	is_int(check("state_dir", inner, &err), -1,
	       "through another user's symlink: refused");
	ok(strstr(err.msg, "symlink `") != NULL, "saying why: %s", err.msg);
	if (lchown(inner, 0, 0) == -1)
		abort();
	is_int(check("state_dir", inner, &err), 0,
	       "through our own symlink: accepted: %s", err.msg);
}

int main(void)
{
	struct berr err = BERR_INIT;

	if (mkdtemp(dir) == NULL)
		abort();
	test_reader();
	test_writer();
	test_dirs();
	chmod(at("open"), 0700);
	if (rm_rf(dir, &err) == -1)
		printf("# cleanup: %s\n", err.msg);
	return tap_done();
}
