/*
 * fsperm.c - whether a directory may hold berth's state: owned by the
 * daemon's user, writable by nobody else, reached through folders no other
 * user can change. Only looks (stat/lstat); never creates, chmods or
 * removes anything, and knows nothing about what the folder is for.
 */
#include "fsperm.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "xalloc.h"

static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* A folder on the way: another user may neither own it nor write to it,
 * unless it is sticky (like /tmp), where nobody can rename or remove
 * another user's entry. */
static int check_ancestor(const char *what, const char *dir, const char *anc,
			  const struct stat *st, struct berr *err)
{
	if (!trusted_owner(st->st_uid))
		return berr_set(err,
				"%s `%s`: folder `%s` on its path is owned by "
				"uid %u, not by root or uid %u: refusing it",
				what, dir, anc, (unsigned)st->st_uid,
				(unsigned)geteuid());
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (st->st_mode & S_ISVTX) == 0)
		return berr_set(err,
				"%s `%s`: folder `%s` on its path is writable "
				"by group or others (mode %04o) and not "
				"sticky: refusing it",
				what, dir, anc,
				(unsigned)(st->st_mode & 07777));
	return 0;
}

/* Every folder above path and, when path is as written, every symlink
 * among its components (the last one included): a symlink is only as safe
 * as its owner, since its owner can point it elsewhere. */
static int check_chain(const char *what, const char *dir, const char *path,
		       struct berr *err)
{
	size_t n = strlen(path);
	struct stat st;

	for (size_t i = 0; i <= n; i++) {
		cleanup_free char *anc = NULL;

		if (i < n && path[i] != '/')
			continue;
		anc = i == 0 ? xstrdup("/") : xstrndup(path, i);
		if (lstat(anc, &st) == -1)
			return berr_errno(err, errno, "%s `%s`: stat `%s`",
					  what, dir, anc);
		if (S_ISLNK(st.st_mode)) {
			if (!trusted_owner(st.st_uid))
				return berr_set(err,
						"%s `%s`: symlink `%s` on its "
						"path is owned by uid %u: "
						"refusing it",
						what, dir, anc,
						(unsigned)st.st_uid);
			continue;
		}
		if (i < n && check_ancestor(what, dir, anc, &st, err) == -1)
			return -1;
	}
	return 0;
}

int dir_check_private(const char *what, const char *path, struct berr *err)
{
	char real[PATH_MAX];
	struct stat st;

	if (path[0] != '/')
		return berr_set(err, "%s `%s` is not an absolute path", what,
				path);
	/* The components as written (symlinks included), then the folders
	 * the path really goes through. */
	if (check_chain(what, path, path, err) == -1)
		return -1;
	if (realpath(path, real) == NULL)
		return berr_errno(err, errno, "%s `%s`", what, path);
	if (check_chain(what, path, real, err) == -1)
		return -1;
	if (stat(real, &st) == -1)
		return berr_errno(err, errno, "%s `%s`", what, path);
	if (!S_ISDIR(st.st_mode))
		return berr_set(err, "%s `%s` is not a directory", what, path);
	if (st.st_uid != geteuid())
		return berr_set(err,
				"%s `%s` is owned by uid %u, not by uid %u "
				"(the daemon's): refusing it (chown it, or "
				"choose another directory)",
				what, path, (unsigned)st.st_uid,
				(unsigned)geteuid());
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return berr_set(err,
				"%s `%s` is writable by group or others (mode "
				"%04o): refusing it (chmod go-w it)",
				what, path, (unsigned)(st.st_mode & 07777));
	return 0;
}
