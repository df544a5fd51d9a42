/*
 * test_layer_extract.c - images/layer_extract.c on tarballs built here:
 * owners, modes, devices, xattrs, every whiteout form, hard links inside
 * and across layers, `lib -> usr/lib`, unlink-before-write, compression,
 * digests, and hostile tarballs that must write nothing outside the layer.
 * Needs root (devices, owners, trusted.* xattrs).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../images/digest.h"
#include "../../images/layer_extract.h"
#include "../lib/tap.h"
#include "../lib/tarw.h"

static char top[256];

static char *P(const char *fmt, const char *a)
{
	static char bufs[8][1024];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, 1024, fmt, top, a);
	return b;
}

/* Extracts tarball `name` (under top) into top/DIR, above lowers. */
static int extract(const char *tar, const char *dir, const char *const *lowers,
		   size_t n, const char *want, struct berr *err)
{
	struct layer_extract_result res;
	char tpath[512], dpath[512];
	int fd, rc;

	snprintf(tpath, sizeof(tpath), "%s/%s", top, tar);
	snprintf(dpath, sizeof(dpath), "%s/%s", top, dir);
	mkdir(dpath, 0700);
	fd = open(tpath, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return berr_errno(err, errno, "open %s", tpath);
	rc = layer_extract(fd, want, dpath, lowers, n, &res, err);
	close(fd);
	return rc;
}

static bool is_whiteout_at(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(0, 0);
}

static bool has_opaque(const char *path)
{
	char v[4] = "";

	return getxattr(path, "trusted.overlay.opaque", v, sizeof(v)) == 1 &&
	       v[0] == 'y';
}

static char *slurp(const char *path)
{
	char *s = NULL;
	size_t n;
	struct berr err = BERR_INIT;

	if (file_read_all(path, &s, &n, &err) == -1)
		return NULL;
	return s;
}

static void test_basic(void)
{
	static const struct tarw_entry ents[] = {
	    {'d', "./", NULL, 0755, 0, 0, NULL, 0, 0, 0},
	    {'d', "etc", NULL, 0750, 0, 42, NULL, 0, 0, 0},
	    {'f', "etc/passwd", "root:x:0:0\n", 0644, 0, 0, NULL, 0, 0, 0},
	    {'f', "bin/su", "SU", 04755, 0, 0, "user.berth=yes", 0, 0, 0},
	    {'f', "home/u/own", "x", 0600, 1000, 1001, NULL, 0, 0, 0},
	    {'l', "etc/localtime", "/usr/share/zoneinfo/UTC", 0, 0, 0, NULL, 0,
	     0, 0},
	    {'h', "bin/su2", "bin/su", 0, 0, 0, NULL, 0, 0, 0},
	    {'c', "dev/null", NULL, 0666, 0, 0, NULL, 1, 3, 0},
	    {'b', "dev/loop9", NULL, 0660, 0, 6, NULL, 7, 9, 0},
	    {'p', "run/fifo", NULL, 0620, 0, 0, NULL, 0, 0, 0},
	    {'f', "sgid", "", 02755, 0, 50, NULL, 0, 0, 0},
	    {'f', "caf\xc3\xa9-\xe6\x97\xa5", "utf8", 0644, 0, 0, NULL, 0, 0,
	     0},
	    {'d', "ovl", NULL, 0755, 0, 0, "trusted.overlay.opaque=y", 0, 0, 0},
	    {0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}};
	struct berr err = BERR_INIT;
	struct stat st, st2;
	char v[16] = "";
	char link[256];
	ssize_t n;
	char *s;

	tarw_file(P("%s/%s", "basic.tar"), TARW_NONE, ents);
	ok(extract("basic.tar", "basic", NULL, 0, NULL, &err) == 0,
	   "basic layer extracts (%s)", err.msg);
	ok(stat(P("%s/basic/%s", "etc"), &st) == 0 && S_ISDIR(st.st_mode) &&
	       (st.st_mode & 07777) == 0750 && st.st_gid == 42,
	   "folder mode and numeric group");
	s = slurp(P("%s/basic/%s", "etc/passwd"));
	is_str(s, "root:x:0:0\n", "file content");
	free(s);
	ok(stat(P("%s/basic/%s", "bin/su"), &st) == 0 &&
	       (st.st_mode & 07777) == 04755,
	   "setuid bit kept");
	ok(stat(P("%s/basic/%s", "sgid"), &st) == 0 &&
	       (st.st_mode & 07777) == 02755 && st.st_gid == 50,
	   "setgid bit kept after chown");
	ok(getxattr(P("%s/basic/%s", "bin/su"), "user.berth", v, sizeof(v)) ==
		   3 &&
	       memcmp(v, "yes", 3) == 0,
	   "xattr kept");
	ok(stat(P("%s/basic/%s", "home/u/own"), &st) == 0 &&
	       st.st_uid == 1000 && st.st_gid == 1001,
	   "numeric owner kept");
	ok(stat(P("%s/basic/%s", "home"), &st) == 0 &&
	       (st.st_mode & 07777) == 0755 && st.st_uid == 0,
	   "implicit folder is root 0755");
	n = readlink(P("%s/basic/%s", "etc/localtime"), link, sizeof(link) - 1);
	ok(n > 0 &&
	       (link[n] = '\0', strcmp(link, "/usr/share/zoneinfo/UTC")) == 0,
	   "absolute symlink target kept as written");
	ok(stat(P("%s/basic/%s", "bin/su"), &st) == 0 &&
	       stat(P("%s/basic/%s", "bin/su2"), &st2) == 0 &&
	       st.st_ino == st2.st_ino && st.st_nlink == 2,
	   "hard link in the same layer shares the inode");
	ok(lstat(P("%s/basic/%s", "dev/null"), &st) == 0 &&
	       S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
	       (st.st_mode & 0777) == 0666,
	   "char device 1:3");
	ok(lstat(P("%s/basic/%s", "dev/loop9"), &st) == 0 &&
	       S_ISBLK(st.st_mode) && st.st_rdev == makedev(7, 9) &&
	       st.st_gid == 6,
	   "block device 7:9");
	ok(lstat(P("%s/basic/%s", "run/fifo"), &st) == 0 &&
	       S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0620,
	   "fifo");
	ok(lstat(P("%s/basic/%s", "etc/passwd"), &st) == 0 &&
	       st.st_mtime == 1700000000,
	   "mtime kept");
	ok(getxattr(P("%s/basic/%s", "ovl"), "trusted.overlay.opaque", v,
		    sizeof(v)) == -1,
	   "overlay xattrs are never taken from a tarball");
	ok(lstat(P("%s/basic/%s", "caf\xc3\xa9-\xe6\x97\xa5"), &st) == 0,
	   "a UTF-8 name (a pax path record) is kept byte for byte");
	ok(lstat(P("%s/basic/%s", "etc"), &st) == 0 &&
	       st.st_mtime == 1700000000,
	   "folder mtime kept after its children were written");
}

static void test_whiteouts(void)
{
	static const struct tarw_entry l1[] = {
	    {'f', "a/x", "x", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "a/y", "y", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "b/z", "z", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "c/old", "o", 0, 0, 0, NULL, 0, 0, 0},
	    {'d', "d", NULL, 0700, 7, 7, NULL, 0, 0, 0},
	    {'f', "d/keep", "k", 0, 0, 0, NULL, 0, 0, 0},
	    {0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}};
	static const struct tarw_entry l2[] = {
	    {'f', "a/.wh.x", "", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', ".wh.b", "", 0, 0, 0, NULL, 0, 0, 0},
	    {'d', "c", NULL, 0755, 0, 0, NULL, 0, 0, 0},
	    {'f', "c/.wh..wh..opq", "", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "c/new", "n", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "same", "s", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', ".wh.same", "", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "d/.wh.gone", "", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', ".wh..wh.plnk", "", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "a/.wh.later", "", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "a/later", "L", 0, 0, 0, NULL, 0, 0, 0},
	    {0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}};
	const char *lowers[1];
	struct berr err = BERR_INIT;
	struct stat st;

	tarw_file(P("%s/%s", "wh1.tar"), TARW_NONE, l1);
	tarw_file(P("%s/%s", "wh2.tar"), TARW_NONE, l2);
	ok(extract("wh1.tar", "wh1", NULL, 0, NULL, &err) == 0, "lower (%s)",
	   err.msg);
	lowers[0] = P("%s/%s", "wh1");
	ok(extract("wh2.tar", "wh2", lowers, 1, NULL, &err) == 0,
	   "whiteout layer (%s)", err.msg);
	ok(is_whiteout_at(P("%s/wh2/%s", "a/x")), ".wh.x is a 0/0 device");
	ok(lstat(P("%s/wh2/%s", "a/.wh.x"), &st) == -1, "no .wh. file is left");
	ok(is_whiteout_at(P("%s/wh2/%s", "b")), "a whole folder whited out");
	ok(has_opaque(P("%s/wh2/%s", "c")), "opaque folder has the xattr");
	ok(lstat(P("%s/wh2/%s", "c/new"), &st) == 0,
	   "opaque folder keeps this layer's files");
	ok(lstat(P("%s/wh2/%s", "same"), &st) == 0 && S_ISREG(st.st_mode),
	   "a whiteout never hides its own layer's file");
	ok(is_whiteout_at(P("%s/wh2/%s", "d/gone")),
	   "whiteout in a copied-up folder");
	ok(lstat(P("%s/wh2/%s", "d"), &st) == 0 &&
	       (st.st_mode & 07777) == 0700 && st.st_uid == 7,
	   "implicit folder copies owner and mode from below");
	ok(!has_opaque(P("%s/wh2/%s", "d")), "copied-up folder is not opaque");
	ok(lstat(P("%s/wh2/%s", ".wh..wh.plnk"), &st) == -1 &&
	       lstat(P("%s/wh2/%s", ".wh.plnk"), &st) == -1,
	   "aufs metadata entries are skipped");
	ok(lstat(P("%s/wh2/%s", "a/later"), &st) == 0 && S_ISREG(st.st_mode),
	   "a file after its whiteout replaces the whiteout");
}

static void test_symlinked_dirs_and_links(void)
{
	static const struct tarw_entry l1[] = {
	    {'d', "usr/lib", NULL, 0750, 5, 5, NULL, 0, 0, 0},
	    {'l', "lib", "usr/lib", 0, 0, 0, NULL, 0, 0, 0},
	    {'l', "lib64", "/usr/lib", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "bin/busybox", "BB", 0755, 0, 0, "user.k=v", 0, 0, 0},
	    {0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}};
	static const struct tarw_entry l2[] = {
	    {'f', "lib/libfoo.so", "foo", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "lib64/libbar.so", "bar", 0, 0, 0, NULL, 0, 0, 0},
	    {'h', "bin/sh", "bin/busybox", 0, 0, 0, NULL, 0, 0, 0},
	    {'h', "bin/ash", "lib/../bin/busybox", 0, 0, 0, NULL, 0, 0, 0},
	    {'l', "self", "sub", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "self/in", "i", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "f", "file", 0, 0, 0, NULL, 0, 0, 0},
	    {'l', "f", "target", 0, 0, 0, NULL, 0, 0, 0},
	    {'d', "g/sub", NULL, 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "g/sub/child", "c", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "g", "now a file", 0, 0, 0, NULL, 0, 0, 0},
	    {'f', "h", "file", 0, 0, 0, NULL, 0, 0, 0},
	    {'d', "h", NULL, 0710, 0, 0, NULL, 0, 0, 0},
	    {0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}};
	const char *lowers[1];
	struct berr err = BERR_INIT;
	struct stat st;
	char *s;

	tarw_file(P("%s/%s", "sl1.tar"), TARW_NONE, l1);
	tarw_file(P("%s/%s", "sl2.tar"), TARW_NONE, l2);
	ok(extract("sl1.tar", "sl1", NULL, 0, NULL, &err) == 0, "lower (%s)",
	   err.msg);
	lowers[0] = P("%s/%s", "sl1");
	ok(extract("sl2.tar", "sl2", lowers, 1, NULL, &err) == 0, "upper (%s)",
	   err.msg);
	ok(lstat(P("%s/sl2/%s", "usr/lib/libfoo.so"), &st) == 0,
	   "lib/x goes through the lower layer's lib -> usr/lib");
	ok(lstat(P("%s/sl2/%s", "usr/lib/libbar.so"), &st) == 0,
	   "lib64/x goes through lib64 -> /usr/lib, inside the image");
	ok(lstat(P("%s/sl2/%s", "lib"), &st) == -1,
	   "no lib folder shadows the symlink");
	ok(lstat(P("%s/sl2/%s", "usr/lib"), &st) == 0 &&
	       (st.st_mode & 07777) == 0750 && st.st_uid == 5,
	   "usr/lib copied up with its owner and mode");
	s = slurp(P("%s/sl2/%s", "bin/sh"));
	is_str(s, "BB", "hard link to a lower file becomes a copy");
	free(s);
	ok(lstat(P("%s/sl2/%s", "bin/sh"), &st) == 0 &&
	       (st.st_mode & 07777) == 0755 && st.st_nlink == 1,
	   "the copy keeps the mode");
	{
		char v[4] = "";

		ok(getxattr(P("%s/sl2/%s", "bin/sh"), "user.k", v, 4) == 1 &&
		       v[0] == 'v',
		   "the copy keeps xattrs");
	}
	ok(lstat(P("%s/sl2/%s", "bin/ash"), &st) == 0 && S_ISREG(st.st_mode),
	   "hard link target through a symlinked folder and ..");
	ok(lstat(P("%s/sl2/%s", "sub/in"), &st) == 0,
	   "symlink of this layer followed for later entries");
	ok(lstat(P("%s/sl2/%s", "f"), &st) == 0 && S_ISLNK(st.st_mode),
	   "unlink before write: file replaced by a symlink");
	ok(lstat(P("%s/sl2/%s", "g"), &st) == 0 && S_ISREG(st.st_mode),
	   "a folder with children replaced by a file");
	ok(lstat(P("%s/sl2/%s", "h"), &st) == 0 && S_ISDIR(st.st_mode) &&
	       (st.st_mode & 07777) == 0710,
	   "a file replaced by a folder");
}

/* Each hostile tarball is extracted into its own sandbox whose outside/
 * folder holds one file; afterwards outside/ must hold exactly that. */
static void test_hostile(void)
{
	char outside[512], abs_target[600], abs_hl[600], rel_escape[700];
	struct {
		const char *what;
		struct tarw_entry ents[3];
		bool must_fail;
	} cases[8];
	size_t nc = 0;
	char hostname[64];

	snprintf(outside, sizeof(outside), "%s/outside", top);
	mkdir(outside, 0755);
	{
		struct berr err = BERR_INIT;
		char sec[600];

		snprintf(sec, sizeof(sec), "%s/secret", outside);
		file_write_atomic(sec, "S", 1, 0600, &err);
	}
	snprintf(abs_target, sizeof(abs_target), "%s", outside);
	snprintf(abs_hl, sizeof(abs_hl), "%s/secret", outside);
	snprintf(rel_escape, sizeof(rel_escape),
		 "../../../../../../../../../../..%s", outside);
	snprintf(hostname, sizeof(hostname), "/berth-test-abs-%d/evil",
		 (int)getpid());

#define CASE(w, fail, ...)                                                     \
	do {                                                                   \
		struct tarw_entry _e[3] = {__VA_ARGS__};                       \
		cases[nc].what = w;                                            \
		cases[nc].must_fail = fail;                                    \
		memcpy(cases[nc].ents, _e, sizeof(_e));                        \
		nc++;                                                          \
	} while (0)

	CASE("absolute name", false,
	     {'f', hostname, "A", 0, 0, 0, NULL, 0, 0, 0});
	CASE("`..` name", true,
	     {'f', "../../outside/pwned", "A", 0, 0, 0, NULL, 0, 0, 0});
	CASE("symlink with a relative escape, then a write through it", false,
	     {'l', "ln", rel_escape, 0, 0, 0, NULL, 0, 0, 0},
	     {'f', "ln/pwned", "A", 0, 0, 0, NULL, 0, 0, 0});
	CASE("symlink to an absolute host folder, then a write through it",
	     false, {'l', "abs", abs_target, 0, 0, 0, NULL, 0, 0, 0},
	     {'f', "abs/secret", "overwritten", 0, 0, 0, NULL, 0, 0, 0});
	CASE("hard link to a host file", true,
	     {'h', "hl", abs_hl, 0, 0, 0, NULL, 0, 0, 0});
	CASE("hard link through a symlink to a host file", true,
	     {'l', "l2", abs_target, 0, 0, 0, NULL, 0, 0, 0},
	     {'h', "hl2", "l2/secret", 0, 0, 0, NULL, 0, 0, 0});
	CASE("hard link climbing out", true,
	     {'h', "hl3", "../outside/secret", 0, 0, 0, NULL, 0, 0, 0});
	CASE("symlink replacing the root's parent, then a folder through it",
	     false, {'l', "up", "..", 0, 0, 0, NULL, 0, 0, 0},
	     {'d', "up/up/made", NULL, 0, 0, 0, NULL, 0, 0, 0});

	for (size_t i = 0; i < nc; i++) {
		struct berr err = BERR_INIT;
		char tar[64], dir[64], sandbox_parent[700];
		struct stat st;
		int rc, count = 0;
		char *s;
		DIR *d;
		struct dirent *de;
		struct archive *a;

		snprintf(tar, sizeof(tar), "hostile%zu.tar", i);
		snprintf(dir, sizeof(dir), "hostile%zu", i);
		a = tarw_open(P("%s/%s", tar), TARW_NONE);
		for (int j = 0; j < 3 && cases[i].ents[j].type; j++)
			tarw_add(a, &cases[i].ents[j]);
		tarw_close(a);
		rc = extract(tar, dir, NULL, 0, NULL, &err);
		if (cases[i].must_fail)
			ok(rc == -1, "%s: refused (%s)", cases[i].what,
			   err.msg);
		else
			ok(rc == 0, "%s: confined (%s)", cases[i].what,
			   err.msg);
		d = opendir(outside);
		while (d && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				count++;
		if (d)
			closedir(d);
		s = slurp(P("%s/%s", "outside/secret"));
		ok(count == 1 && s && strcmp(s, "S") == 0,
		   "%s: nothing written outside", cases[i].what);
		free(s);
		snprintf(sandbox_parent, sizeof(sandbox_parent), "%s/made",
			 top);
		ok(lstat(sandbox_parent, &st) == -1,
		   "%s: nothing next to the layer", cases[i].what);
	}
	{
		char hostdir[64];
		struct stat st;

		snprintf(hostdir, sizeof(hostdir), "/berth-test-abs-%d",
			 (int)getpid());
		ok(lstat(hostdir, &st) == -1, "absolute name not on the host");
		ok(lstat(P("%s/hostile0/%s", hostname + 1), &st) == 0,
		   "absolute name made relative to the layer");
		ok(lstat(P("%s/hostile3/%s", abs_target + 1), &st) == 0,
		   "symlinked write landed inside the layer");
		ok(lstat(P("%s/hostile7/%s", "made"), &st) == 0,
		   "`..` of a symlink stops at the layer's root");
	}
}

static void test_compression_and_digests(void)
{
	static const struct tarw_entry ents[] = {
	    {'f', "hello", "hello world\n", 0, 0, 0, NULL, 0, 0, 0},
	    {0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}};
	char want_plain[IMAGE_DIGEST_LEN + 1], got[IMAGE_DIGEST_LEN + 1];
	char blob[IMAGE_DIGEST_LEN + 1];
	struct berr err = BERR_INIT;
	struct stat st;
	int fd;

	tarw_file(P("%s/%s", "plain.tar"), TARW_NONE, ents);
	tarw_file(P("%s/%s", "gz.tar.gz"), TARW_GZIP, ents);
	tarw_file(P("%s/%s", "zst.tar.zst"), TARW_ZSTD, ents);
	fd = open(P("%s/%s", "plain.tar"), O_RDONLY);
	sha256_fd(fd, want_plain, &err);
	close(fd);
	fd = open(P("%s/%s", "gz.tar.gz"), O_RDONLY);
	ok(layer_diff_id(fd, got, &err) == 0, "diff_id of gzip (%s)", err.msg);
	close(fd);
	is_str(got, want_plain, "diff_id is the digest of the plain tar");
	fd = open(P("%s/%s", "zst.tar.zst"), O_RDONLY);
	ok(layer_diff_id(fd, got, &err) == 0, "diff_id of zstd");
	close(fd);
	is_str(got, want_plain, "zstd diff_id too");
	ok(extract("gz.tar.gz", "gz", NULL, 0, NULL, &err) == 0 &&
	       lstat(P("%s/gz/%s", "hello"), &st) == 0,
	   "gzip layer extracts (%s)", err.msg);
	ok(extract("zst.tar.zst", "zst", NULL, 0, NULL, &err) == 0 &&
	       lstat(P("%s/zst/%s", "hello"), &st) == 0,
	   "zstd layer extracts (%s)", err.msg);
	fd = open(P("%s/%s", "gz.tar.gz"), O_RDONLY);
	sha256_fd(fd, blob, &err);
	close(fd);
	ok(extract("gz.tar.gz", "gz2", NULL, 0, blob, &err) == 0,
	   "the right blob digest passes");
	ok(extract("gz.tar.gz", "gz3", NULL, 0, want_plain, &err) == -1 &&
	       strstr(err.msg, "digest mismatch"),
	   "a wrong blob digest fails (%s)", err.msg);

	/* an empty layer: no bytes at all, and a tar of end blocks only */
	fd = open(P("%s/%s", "empty"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	close(fd);
	ok(extract("empty", "emptydir", NULL, 0, NULL, &err) == 0,
	   "a zero-byte layer is empty (%s)", err.msg);
	fd = open(P("%s/%s", "empty"), O_RDONLY);
	ok(layer_diff_id(fd, got, &err) == 0 &&
	       strcmp(got, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e46"
			   "49b934ca495991b7852b855") == 0,
	   "diff_id of nothing");
	close(fd);
	{
		static const struct tarw_entry none[] = {
		    {0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}};

		tarw_file(P("%s/%s", "endonly.tar"), TARW_NONE, none);
		ok(extract("endonly.tar", "endonly", NULL, 0, NULL, &err) == 0,
		   "a tar of end blocks only (%s)", err.msg);
	}
	fd = open(P("%s/%s", "garbage"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fd_write_all(fd, "this is not a tarball at all, not even close....",
		     48);
	close(fd);
	ok(extract("garbage", "garbage", NULL, 0, NULL, &err) == -1,
	   "garbage is refused (%s)", err.msg);
}

int main(void)
{
	struct berr err = BERR_INIT;

	if (geteuid() != 0) {
		printf("ok 1 # SKIP needs root\n1..1\n");
		return 0;
	}
	snprintf(top, sizeof(top), "/tmp/berth-test-layer-XXXXXX");
	if (mkdtemp(top) == NULL)
		return 1;
	test_basic();
	test_whiteouts();
	test_symlinked_dirs_and_links();
	test_hostile();
	test_compression_and_digests();
	rm_rf(top, &err);
	return tap_done();
}
