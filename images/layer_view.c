/*
 * layer_view.c - the merged view of a layer being unpacked above its lower
 * layers, as overlayfs will show it: lookups that honour whiteouts and
 * opaque folders, path resolution that follows symlinks by hand and stops
 * at the root, and descriptors opened beneath a layer without following
 * any symlink. Reads only; layer_extract.c does the writing.
 */
#include "layer_view.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/cleanup.h"

#define MAX_SYMLINKS 40

/* ---- descriptors beneath a root ---- */

static int walk_open(int root, const char *rel, int flags)
{
	char buf[PATH_MAX];
	char *save = NULL, *comp, *next;
	int cur, fd;

	if (snprintf(buf, sizeof(buf), "%s", rel) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	cur = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur == -1)
		return -1;
	comp = strtok_r(buf, "/", &save);
	while (comp) {
		if (strcmp(comp, "..") == 0) { /* as RESOLVE_BENEATH refuses */
			close(cur);
			errno = EXDEV;
			return -1;
		}
		next = strtok_r(NULL, "/", &save);
		fd = openat(
		    cur, comp,
		    next ? (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			 : (flags | O_NOFOLLOW | O_CLOEXEC));
		close(cur);
		if (fd == -1)
			return -1;
		cur = fd;
		comp = next;
	}
	if (rel[0] == '\0' || strcmp(rel, ".") == 0) {
		fd = openat(cur, ".", flags | O_CLOEXEC);
		close(cur);
		return fd;
	}
	return cur;
}

/* Opens rel (symlink-free, relative) beneath root, following nothing. */
int lv_open_beneath(int root, const char *rel, int flags)
{
	static int no_openat2;
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve =
		RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, root, rel[0] ? rel : ".", &how,
				  sizeof(how));
		if (fd != -1 || errno != ENOSYS)
			return fd;
		no_openat2 = 1;
	}
	return walk_open(root, rel, flags);
}

/* Splits rel into its folder (copied into dir) and last name. */
const char *lv_split_last(const char *rel, char dir[PATH_MAX])
{
	const char *slash = strrchr(rel, '/');

	if (slash == NULL) {
		dir[0] = '\0';
		return rel;
	}
	snprintf(dir, PATH_MAX, "%.*s", (int)(slash - rel), rel);
	return slash + 1;
}

/* lstat of rel beneath root; -1 with errno. */
int lv_stat_beneath(int root, const char *rel, struct stat *st)
{
	char dir[PATH_MAX];
	const char *name;
	int pfd, rc;

	if (rel[0] == '\0')
		return fstat(root, st);
	name = lv_split_last(rel, dir);
	pfd = lv_open_beneath(root, dir, O_PATH | O_DIRECTORY);
	if (pfd == -1)
		return -1;
	rc = fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW);
	if (rc == -1) {
		int e = errno;

		close(pfd);
		errno = e;
		return -1;
	}
	close(pfd);
	return 0;
}

bool lv_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool dir_is_opaque(int root, const char *rel)
{
	cleanup_close int fd =
	    lv_open_beneath(root, rel, O_RDONLY | O_DIRECTORY);
	char v[4];
	ssize_t n;

	if (fd == -1)
		return false;
	n = fgetxattr(fd, OPAQUE_XATTR, v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

/* ---- the merged view: dest above lowers, top to bottom ---- */

static int layer_fd(const struct layer_view *x, size_t i)
{
	return i == 0 ? x->root : x->lower[x->n_lower - i];
}

/* Does layer root hide, below itself, what is at rel? It does when a
 * proper ancestor of rel is a non-folder there (a file or a whiteout) or
 * an opaque folder. */
static bool ancestors_hide(int root, const char *rel)
{
	char pre[PATH_MAX];
	struct stat st;
	size_t n = strlen(rel);

	for (size_t i = 0; i < n; i++) {
		if (rel[i] != '/')
			continue;
		snprintf(pre, sizeof(pre), "%.*s", (int)i, rel);
		if (lv_stat_beneath(root, pre, &st) == -1)
			return false;
		if (!S_ISDIR(st.st_mode))
			return true;
		if (dir_is_opaque(root, pre))
			return true;
	}
	return false;
}

/* Finds rel in the merged view: 0 with *st and the layer's root in *owner,
 * or -1 with errno ENOENT (absent or whited out) or another error. */
int lv_lookup(const struct layer_view *x, const char *rel, struct stat *st,
	      int *owner)
{
	for (size_t i = 0; i <= x->n_lower; i++) {
		int root = layer_fd(x, i);

		if (lv_stat_beneath(root, rel, st) == 0) {
			if (lv_is_whiteout(st))
				break;
			*owner = root;
			return 0;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return -1;
		if (ancestors_hide(root, rel))
			break;
	}
	errno = ENOENT;
	return -1;
}

int lv_append_comp(char *path, const char *comp, size_t clen)
{
	size_t n = strlen(path);

	if (n + 1 + clen + 1 > PATH_MAX)
		return -1;
	if (n)
		path[n++] = '/';
	memcpy(path + n, comp, clen);
	path[n + clen] = '\0';
	return 0;
}

void lv_pop_comp(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash)
		*slash = '\0';
	else
		path[0] = '\0';
}

/*
 * Resolves rel in the merged view the way the kernel would inside a chroot
 * of it: symlinks are followed (the last component only when follow_last),
 * an absolute target restarts at the root, `..` stops at the root. out is
 * a relative path with no symlink and no `..` in it.
 */
int lv_resolve(const struct layer_view *x, const char *rel, bool follow_last,
	       char out[PATH_MAX], struct berr *err)
{
	char rest[2 * PATH_MAX], tmp[2 * PATH_MAX], cand[PATH_MAX];
	char target[PATH_MAX];
	int links = 0;

	out[0] = '\0';
	snprintf(rest, sizeof(rest), "%s", rel);
	for (;;) {
		char *p = rest, *comp;
		size_t clen;
		bool last;
		struct stat st;
		int owner;

		while (*p == '/')
			p++;
		if (*p == '\0')
			return 0;
		comp = p;
		clen = strcspn(p, "/");
		p += clen;
		while (*p == '/')
			p++;
		last = *p == '\0';
		if (clen == 1 && comp[0] == '.') {
			memmove(rest, p, strlen(p) + 1);
			continue;
		}
		if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
			lv_pop_comp(out);
			memmove(rest, p, strlen(p) + 1);
			continue;
		}
		snprintf(cand, sizeof(cand), "%s", out);
		if (lv_append_comp(cand, comp, clen) == -1)
			return berr_set(err, "path `%s` too long", rel);
		memmove(rest, p, strlen(p) + 1);
		if (last && !follow_last) {
			memcpy(out, cand, strlen(cand) + 1);
			return 0;
		}
		if (lv_lookup(x, cand, &st, &owner) == -1) {
			if (errno != ENOENT)
				return berr_errno(err, errno, "`%s`", cand);
			memcpy(out, cand, strlen(cand) + 1);
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			char dir[PATH_MAX];
			const char *name = lv_split_last(cand, dir);
			cleanup_close int pfd =
			    lv_open_beneath(owner, dir, O_PATH | O_DIRECTORY);
			ssize_t n;

			if (++links > MAX_SYMLINKS)
				return berr_set(err,
						"`%s`: too many levels of "
						"symbolic links",
						rel);
			n = pfd == -1 ? -1
				      : readlinkat(pfd, name, target,
						   sizeof(target) - 1);
			if (n == -1)
				return berr_errno(err, errno, "readlink `%s`",
						  cand);
			target[n] = '\0';
			if (target[0] == '/')
				out[0] = '\0';
			if (snprintf(tmp, sizeof(tmp), "%s/%s", target, rest) >=
			    (int)sizeof(tmp))
				return berr_set(err, "path `%s` too long", rel);
			memcpy(rest, tmp, strlen(tmp) + 1);
			continue;
		}
		if (!S_ISDIR(st.st_mode) && !last)
			return berr_set(err, "`%s` is not a folder", cand);
		memcpy(out, cand, strlen(cand) + 1);
	}
}
