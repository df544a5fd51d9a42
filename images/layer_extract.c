/*
 * layer_extract.c - unpacks one layer tarball (libarchive) into a folder
 * that overlayfs can stack, with the OCI rules for whiteouts, hard links,
 * owners, modes, xattrs and devices, confined to that folder. Owns the
 * tree of the one folder it writes; only reads the lower layers' folders;
 * knows nothing about the store or pods.
 *
 * Confinement: every entry name is made relative and `..`-free first; its
 * folder is then resolved through the merged view (layer_view.c), with
 * symlinks followed by hand and clamped at the root, so the result is a
 * plain path with no symlink in it. That path is opened beneath the layer
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) (an O_NOFOLLOW walk
 * where the kernel has no openat2) and the entry is made with *at() calls
 * that never follow a last component. A tarball therefore cannot reach a
 * host file, whatever symlinks or hard links it plays with.
 */
#include "layer_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "digest.h"
#include "layer_view.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define WH_META ".wh..wh."

struct dirtime {
	char *path;
	struct timespec ts[2];
};

struct xctx {
	struct layer_view v; /* dest above the lower layers */
	int fd;		     /* the blob being read */
	struct sha256 hash;  /* of every byte read from fd */
	char buf[65536];
	struct dirtime *dt;
	size_t n_dt, cap_dt;
	struct layer_extract_result *res;
};

/* ---- writing into dest ---- */

/* DIR/NAME (or NAME at the root) into out; a path too long for out is an
 * error, never cut short into another name. */
static int join_path(char *out, size_t len, const char *dir, const char *name,
		     struct berr *err)
{
	int n = snprintf(out, len, "%s%s%s", dir, dir[0] ? "/" : "", name);

	if (n < 0 || (size_t)n >= len)
		return berr_set(err, "path `%s/%s` is too long", dir, name);
	return 0;
}

static void copy_xattrs_fd(int from, int to)
{
	char names[4096], val[4096];
	ssize_t n = flistxattr(from, names, sizeof(names));

	for (ssize_t i = 0; n > 0 && i < n;
	     i += (ssize_t)strlen(names + i) + 1) {
		ssize_t vl = fgetxattr(from, names + i, val, sizeof(val));

		if (vl >= 0)
			(void)fsetxattr(to, names + i, val, (size_t)vl, 0);
	}
}

/* Makes folder rel (symlink-free) exist in dest, each missing level with
 * the owner, mode and xattrs of the same folder below (a copy-up), or
 * root:root 0755 when no layer has it. A whiteout of this layer in the way
 * becomes an opaque folder. */
static int mkdir_top(struct xctx *x, const char *rel, struct berr *err)
{
	char pre[PATH_MAX];
	size_t n = strlen(rel);

	for (size_t i = 0; i <= n; i++) {
		struct stat st, below;
		char dir[PATH_MAX];
		const char *name;
		int owner, rc;
		bool opaque = false;
		cleanup_close int pfd = -1;
		cleanup_close int dfd = -1;

		if (i < n && rel[i] != '/')
			continue;
		if (i == 0)
			continue;
		snprintf(pre, sizeof(pre), "%.*s", (int)i, rel);
		if (lv_stat_beneath(x->v.root, pre, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				continue;
			if (!lv_is_whiteout(&st))
				return berr_set(err, "`%s` is not a folder",
						pre);
			opaque = true;
		}
		name = lv_split_last(pre, dir);
		pfd = lv_open_beneath(x->v.root, dir, O_PATH | O_DIRECTORY);
		if (pfd == -1)
			return berr_errno(err, errno, "open `%s`", dir);
		if (opaque && unlinkat(pfd, name, 0) == -1)
			return berr_errno(err, errno, "unlink `%s`", pre);
		rc = opaque ? -1 : lv_lookup(&x->v, pre, &below, &owner);
		if (mkdirat(pfd, name, 0755) == -1)
			return berr_errno(err, errno, "mkdir `%s`", pre);
		dfd = openat(pfd, name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd == -1)
			return berr_errno(err, errno, "open `%s`", pre);
		if (opaque && fsetxattr(dfd, OPAQUE_XATTR, "y", 1, 0) == -1)
			return berr_errno(err, errno, "set opaque on `%s`",
					  pre);
		if (rc == 0 && S_ISDIR(below.st_mode)) {
			cleanup_close int src =
			    lv_open_beneath(owner, pre, O_RDONLY | O_DIRECTORY);

			if (fchown(dfd, below.st_uid, below.st_gid) == -1 ||
			    fchmod(dfd, below.st_mode & 07777) == -1)
				return berr_errno(err, errno, "copy up `%s`",
						  pre);
			if (src != -1)
				copy_xattrs_fd(src, dfd);
		}
	}
	return 0;
}

/* rm -rf of name in dirfd, never following a symlink. */
static int remove_at(int at, const char *name)
{
	struct stat st;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(
		    at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d;
		struct dirent *de;

		if (fd == -1)
			return -1;
		d = fdopendir(fd);
		if (d == NULL) {
			close(fd);
			return -1;
		}
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			if (remove_at(dirfd(d), de->d_name) == -1) {
				closedir(d);
				return -1;
			}
		}
		closedir(d);
		return unlinkat(at, name, AT_REMOVEDIR);
	}
	return unlinkat(at, name, 0);
}

/* A tar name made relative, without empty or `.` components; `..` is
 * applied lexically and refused when it would climb above the root. ""
 * is the root itself. */
static int clean_name(const char *in, char out[PATH_MAX], struct berr *err)
{
	const char *p = in;

	out[0] = '\0';
	while (*p) {
		const char *comp;
		size_t clen;

		while (*p == '/')
			p++;
		comp = p;
		clen = strcspn(p, "/");
		p += clen;
		if (clen == 0 || (clen == 1 && comp[0] == '.'))
			continue;
		if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
			if (out[0] == '\0')
				return berr_set(err,
						"`%s` climbs out of the layer "
						"with `..`",
						in);
			lv_pop_comp(out);
			continue;
		}
		if (lv_append_comp(out, comp, clen) == -1)
			return berr_set(err, "name `%.64s...` too long", in);
	}
	return 0;
}

static int write_all_at(int fd, const char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = RETRY_EINTR(pwrite(fd, buf, len, off));

		if (n == -1)
			return -1;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int write_data(struct archive *a, struct xctx *x, int fd,
		      struct archive_entry *e, struct berr *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	for (;;) {
		r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return berr_set(err, "%s", archive_error_string(a));
		if (write_all_at(fd, buf, len, (off_t)off) == -1)
			return berr_errno(err, errno, "write");
		x->res->size += len;
	}
	if (archive_entry_size_is_set(e) &&
	    ftruncate(fd, (off_t)archive_entry_size(e)) == -1)
		return berr_errno(err, errno, "truncate");
	return 0;
}

static void defer_dir_time(struct xctx *x, const char *rel,
			   const struct timespec ts[2])
{
	if (x->n_dt == x->cap_dt) {
		x->cap_dt = x->cap_dt ? 2 * x->cap_dt : 64;
		x->dt = xrealloc(x->dt, x->cap_dt * sizeof(*x->dt));
	}
	x->dt[x->n_dt].path = xstrdup(rel);
	x->dt[x->n_dt].ts[0] = ts[0];
	x->dt[x->n_dt].ts[1] = ts[1];
	x->n_dt++;
}

/* Owner, mode, xattrs and times of the entry just made: through fd when
 * there is one, else through pfd + name without following a symlink. */
static int set_meta(struct xctx *x, int pfd, const char *name, int fd,
		    struct archive_entry *e, const char *rel, struct berr *err)
{
	mode_t type = archive_entry_filetype(e);
	mode_t perm = archive_entry_perm(e) & 07777;
	uid_t uid = (uid_t)archive_entry_uid(e);
	gid_t gid = (gid_t)archive_entry_gid(e);
	struct timespec ts[2];
	const char *xname;
	const void *xval;
	size_t xlen;
	int rc;

	/* chown first: it clears setuid/setgid bits that chmod then sets */
	rc = fd >= 0 ? fchown(fd, uid, gid)
		     : fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
	if (rc == -1)
		return berr_errno(err, errno, "chown `%s`", rel);
	if (type != AE_IFLNK) {
		rc = fd >= 0 ? fchmod(fd, perm) : fchmodat(pfd, name, perm, 0);
		if (rc == -1)
			return berr_errno(err, errno, "chmod `%s`", rel);
	}
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &xname, &xval, &xlen) ==
	       ARCHIVE_OK) {
		char proc[64 + NAME_MAX];

		/* overlay's own attributes would let a layer redirect or
		 * hide paths of other layers: never taken from a tarball */
		if (strncmp(xname, "trusted.overlay.", 16) == 0)
			continue;
		if (fd >= 0) {
			rc = fsetxattr(fd, xname, xval, xlen, 0);
		} else {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", pfd,
				 name);
			rc = lsetxattr(proc, xname, xval, xlen, 0);
		}
		if (rc == -1 && errno != ENOTSUP &&
		    !(type == AE_IFLNK && errno == EPERM))
			return berr_errno(err, errno, "xattr %s on `%s`", xname,
					  rel);
	}
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
	if (type == AE_IFDIR) {
		defer_dir_time(x, rel, ts);
		return 0;
	}
	rc = fd >= 0 ? futimens(fd, ts)
		     : utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
	if (rc == -1)
		return berr_errno(err, errno, "set times of `%s`", rel);
	return 0;
}

/* A hard link whose target is in a lower layer: the target is copied
 * (data, owner, mode, xattrs, times) since a link cannot cross layers. */
static int copy_up(int src_root, const char *src_rel, const struct stat *st,
		   int pfd, const char *name, struct berr *err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	cleanup_close int sfd = -1;
	cleanup_close int dfd = -1;
	char buf[65536];
	ssize_t n;

	if (!S_ISREG(st->st_mode)) {
		if (mknodat(pfd, name, st->st_mode, st->st_rdev) == -1 ||
		    fchownat(pfd, name, st->st_uid, st->st_gid,
			     AT_SYMLINK_NOFOLLOW) == -1 ||
		    fchmodat(pfd, name, st->st_mode & 07777, 0) == -1)
			return berr_errno(err, errno, "copy `%s`", src_rel);
		return 0;
	}
	sfd = lv_open_beneath(src_root, src_rel, O_RDONLY);
	if (sfd == -1)
		return berr_errno(err, errno, "open `%s` below", src_rel);
	dfd =
	    openat(pfd, name,
		   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dfd == -1)
		return berr_errno(err, errno, "create copy of `%s`", src_rel);
	while ((n = RETRY_EINTR(read(sfd, buf, sizeof(buf)))) > 0)
		if (fd_write_all(dfd, buf, (size_t)n) == -1)
			return berr_errno(err, errno, "copy `%s`", src_rel);
	if (n == -1 || fchown(dfd, st->st_uid, st->st_gid) == -1 ||
	    fchmod(dfd, st->st_mode & 07777) == -1)
		return berr_errno(err, errno, "copy `%s`", src_rel);
	copy_xattrs_fd(sfd, dfd);
	if (futimens(dfd, ts) == -1)
		return berr_errno(err, errno, "copy `%s`", src_rel);
	return 0;
}

/* Resolves a hard link's target (its folder through symlinks, the last
 * name as is) and makes the link, or a copy when it is below. */
static int make_hardlink(struct xctx *x, const char *target, const char *rel,
			 int pfd, const char *name, struct berr *err)
{
	char trel[PATH_MAX], tdir[PATH_MAX], rdir[PATH_MAX], tpath[PATH_MAX];
	const char *tname;
	struct stat st;
	int owner;
	cleanup_close int spfd = -1;

	if (clean_name(target, trel, err) == -1)
		return berr_wrap(err, "hard link `%s`", rel);
	if (trel[0] == '\0')
		return berr_set(err, "hard link `%s` to the root", rel);
	tname = lv_split_last(trel, tdir);
	if (lv_resolve(&x->v, tdir, true, rdir, err) == -1)
		return berr_wrap(err, "hard link `%s`", rel);
	if (join_path(tpath, sizeof(tpath), rdir, tname, err) == -1)
		return berr_wrap(err, "hard link `%s`", rel);
	if (lv_lookup(&x->v, tpath, &st, &owner) == -1)
		return berr_set(err,
				"hard link `%s` -> `%s`: no such file in the "
				"image",
				rel, target);
	if (S_ISDIR(st.st_mode))
		return berr_set(err, "hard link `%s` -> `%s` is a folder", rel,
				target);
	if (owner != x->v.root)
		return copy_up(owner, tpath, &st, pfd, name, err);
	spfd = lv_open_beneath(x->v.root, rdir, O_PATH | O_DIRECTORY);
	if (spfd == -1 || linkat(spfd, tname, pfd, name, 0) == -1)
		return berr_errno(err, errno, "hard link `%s` -> `%s`", rel,
				  target);
	return 0;
}

static int make_whiteout(struct archive_entry *e, int pfd, const char *name,
			 const char *rel, struct berr *err)
{
	const char *victim = name + strlen(WH_PREFIX);
	struct stat st;

	if (strcmp(name, WH_OPAQUE) == 0) {
		if (fsetxattr(pfd, OPAQUE_XATTR, "y", 1, 0) == -1)
			return berr_errno(err, errno, "opaque `%s`", rel);
		return 0;
	}
	if (strncmp(name, WH_META, strlen(WH_META)) == 0)
		return 0; /* aufs bookkeeping (.wh..wh.plnk, ...): no file */
	if (victim[0] == '\0' || strcmp(victim, ".") == 0 ||
	    strcmp(victim, "..") == 0)
		return berr_set(err, "bad whiteout `%s`", rel);
	/* a whiteout hides lower layers only: an entry of this layer stays */
	if (fstatat(pfd, victim, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (mknodat(pfd, victim, S_IFCHR, makedev(0, 0)) == -1 ||
	    fchownat(pfd, victim, (uid_t)archive_entry_uid(e),
		     (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) == -1)
		return berr_errno(err, errno, "whiteout `%s`", rel);
	return 0;
}

static int do_entry(struct archive *a, struct xctx *x, struct archive_entry *e,
		    struct berr *err)
{
	/* should libarchive fail to turn a name into the locale's charset,
	 * its UTF-8 bytes (a pax path record's) are what Linux stores */
	const char *pname = archive_entry_pathname(e)
				? archive_entry_pathname(e)
				: archive_entry_pathname_utf8(e);
	const char *hl = archive_entry_hardlink(e)
			     ? archive_entry_hardlink(e)
			     : archive_entry_hardlink_utf8(e);
	mode_t type = archive_entry_filetype(e);
	char rel[PATH_MAX], pdir[PATH_MAX], rdir[PATH_MAX], path[PATH_MAX];
	const char *name;
	struct stat st;
	cleanup_close int pfd = -1;
	cleanup_close int fd = -1;

	if (pname == NULL)
		return berr_set(err, "an entry without a name");
	if (clean_name(pname, rel, err) == -1)
		return -1;
	if (rel[0] == '\0') {
		if (type != AE_IFDIR || hl)
			return berr_set(err, "`%s`: the root must be a folder",
					pname);
		return set_meta(x, x->v.root, ".", x->v.root, e, "", err);
	}
	name = lv_split_last(rel, pdir);
	if (lv_resolve(&x->v, pdir, true, rdir, err) == -1 ||
	    mkdir_top(x, rdir, err) == -1)
		return berr_wrap(err, "`%s`", pname);
	pfd = lv_open_beneath(x->v.root, rdir, O_RDONLY | O_DIRECTORY);
	if (pfd == -1)
		return berr_errno(err, errno, "open `%s`", rdir);
	if (join_path(path, sizeof(path), rdir, name, err) == -1)
		return berr_wrap(err, "`%s`", pname);
	if (strncmp(name, WH_PREFIX, strlen(WH_PREFIX)) == 0)
		return make_whiteout(e, pfd, name, path, err);

	/* unlink before write, except a folder over a folder (merged) */
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !(S_ISDIR(st.st_mode) && type == AE_IFDIR && hl == NULL)) {
		if (hl) {
			char trel[PATH_MAX];

			if (clean_name(hl, trel, err) == -1)
				return -1;
			if (strcmp(trel, rel) == 0)
				return 0; /* a link to itself: keep the file */
		}
		if (remove_at(pfd, name) == -1)
			return berr_errno(err, errno, "replace `%s`", path);
	}
	if (hl)
		return make_hardlink(x, hl, path, pfd, name, err);

	switch (type) {
	case AE_IFREG:
		fd = openat(
		    pfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1)
			return berr_errno(err, errno, "create `%s`", path);
		if (write_data(a, x, fd, e, err) == -1)
			return berr_wrap(err, "`%s`", path);
		break;
	case AE_IFDIR:
		if (mkdirat(pfd, name, 0700) == -1 && errno != EEXIST)
			return berr_errno(err, errno, "mkdir `%s`", path);
		fd = openat(pfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			return berr_errno(err, errno, "open `%s`", path);
		break;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e)
					 ? archive_entry_symlink(e)
					 : archive_entry_symlink_utf8(e);

		if (target == NULL || symlinkat(target, pfd, name) == -1)
			return berr_errno(err, errno, "symlink `%s`", path);
		break;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (mknodat(pfd, name, type | 0600,
			    makedev(archive_entry_rdevmajor(e),
				    archive_entry_rdevminor(e))) == -1)
			return berr_errno(err, errno, "mknod `%s`", path);
		break;
	default:
		return berr_set(err, "`%s`: unsupported file type 0%o", path,
				(unsigned)type);
	}
	x->res->entries++;
	return set_meta(x, pfd, name, fd, e, path, err);
}

static la_ssize_t read_cb(struct archive *a, void *arg, const void **buf)
{
	struct xctx *x = arg;
	ssize_t n = RETRY_EINTR(read(x->fd, x->buf, sizeof(x->buf)));

	if (n == -1) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	sha256_update(&x->hash, x->buf, (size_t)n);
	*buf = x->buf;
	return n;
}

static void set_dir_times(struct xctx *x)
{
	for (size_t i = x->n_dt; i-- > 0;) {
		cleanup_close int fd = lv_open_beneath(x->v.root, x->dt[i].path,
						       O_RDONLY | O_DIRECTORY);

		if (fd != -1)
			(void)futimens(fd, x->dt[i].ts);
	}
}

int layer_extract(int fd, const char *want_digest, const char *dest,
		  const char *const *lowers, size_t n_lowers,
		  struct layer_extract_result *res, struct berr *err)
{
	struct xctx *x = xcalloc(1, sizeof(*x));
	int *lfd = xcalloc(n_lowers + 1, sizeof(int));
	struct archive *a = NULL;
	struct archive_entry *e;
	int rc = -1, r;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	x->res = res;
	x->fd = fd;
	x->v.root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < n_lowers; i++)
		lfd[i] = -1;
	if (x->v.root == -1) {
		berr_errno(err, errno, "open `%s`", dest);
		goto out_nohash;
	}
	if (fchmod(x->v.root, 0755) == -1) {
		berr_errno(err, errno, "chmod `%s`", dest);
		goto out_nohash;
	}
	for (size_t i = 0; i < n_lowers; i++) {
		lfd[i] = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd[i] == -1) {
			berr_errno(err, errno, "open layer `%s`", lowers[i]);
			goto out_nohash;
		}
	}
	x->v.lower = lfd;
	x->v.n_lower = n_lowers;

	sha256_init(&x->hash);
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_empty(a);
	if (archive_read_open(a, x, NULL, read_cb, NULL) != ARCHIVE_OK) {
		berr_set(err, "layer: %s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			berr_set(err, "layer: %s", archive_error_string(a));
			goto out;
		}
		if (do_entry(a, x, e, err) == -1)
			goto out;
	}
	/* hash to the very end: padding after the tar's end blocks counts */
	while ((n = RETRY_EINTR(read(fd, x->buf, sizeof(x->buf)))) > 0)
		sha256_update(&x->hash, x->buf, (size_t)n);
	if (n == -1) {
		berr_errno(err, errno, "read layer");
		goto out;
	}
	set_dir_times(x);
	sha256_final(&x->hash, res->digest);
	if (want_digest && strcmp(res->digest, want_digest) != 0) {
		berr_set(err, "layer digest mismatch: want %s, got %s",
			 want_digest, res->digest);
		goto out_nohash;
	}
	rc = 0;
	goto out_nohash;
out:
	sha256_abort(&x->hash);
out_nohash:
	if (a)
		archive_read_free(a);
	for (size_t i = 0; i < n_lowers; i++)
		if (lfd[i] >= 0)
			close(lfd[i]);
	if (x->v.root >= 0)
		close(x->v.root);
	for (size_t i = 0; i < x->n_dt; i++)
		free(x->dt[i].path);
	free(x->dt);
	free(lfd);
	free(x);
	return rc;
}

int layer_diff_id(int fd, char out[IMAGE_DIGEST_LEN + 1], struct berr *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct sha256 h;
	char buf[65536];
	la_ssize_t n;
	int r;

	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	archive_read_support_format_empty(a);
	sha256_init(&h);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK)
		goto fail;
	r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
			sha256_update(&h, buf, (size_t)n);
		if (n < 0)
			goto fail;
	} else if (r != ARCHIVE_EOF) {
		goto fail;
	}
	archive_read_free(a);
	sha256_final(&h, out);
	return 0;
fail:
	berr_set(err, "layer: %s", archive_error_string(a));
	archive_read_free(a);
	sha256_abort(&h);
	return -1;
}
