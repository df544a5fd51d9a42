/*
 * tarw.h - builds small tarballs for the image tests with libarchive's
 * writer: one call per entry, any compression libarchive writes.
 */
#ifndef BERTH_TESTS_TARW_H
#define BERTH_TESTS_TARW_H

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum tarw_filter { TARW_NONE, TARW_GZIP, TARW_ZSTD };

struct tarw_entry {
	char type; /* 'f' file, 'd' folder, 'l' symlink, 'h' hard link,
		      'c' char device, 'b' block device, 'p' fifo */
	const char *name;
	const char *arg; /* file data, or link target */
	int mode;
	int uid, gid;
	const char *xattr; /* "name=value" or NULL */
	int major, minor;
	size_t len; /* file data length when it is binary (else strlen) */
};

/* Tarballs are written under a UTF-8 locale (libarchive's pax writer
 * cannot store a non-ASCII name under C), then the test goes back to the
 * C locale, the one berth's extraction must cope with. */
static inline struct archive *tarw_open(const char *path, enum tarw_filter f)
{
	struct archive *a;

	/* libarchive reads the global locale, not uselocale()'s */
	setlocale(LC_CTYPE, "C.UTF-8");
	a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	if (f == TARW_GZIP)
		archive_write_add_filter_gzip(a);
	else if (f == TARW_ZSTD)
		archive_write_add_filter_zstd(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		fprintf(stderr, "tarw: %s\n", archive_error_string(a));
		exit(1);
	}
	return a;
}

static inline void tarw_add(struct archive *a, const struct tarw_entry *t)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = 0;

	archive_entry_set_pathname(e, t->name);
	archive_entry_set_perm(e, (mode_t)(t->mode ? t->mode : 0644));
	archive_entry_set_uid(e, t->uid);
	archive_entry_set_gid(e, t->gid);
	archive_entry_set_mtime(e, 1700000000, 0);
	switch (t->type) {
	case 'f':
		archive_entry_set_filetype(e, AE_IFREG);
		len = t->len ? t->len : t->arg ? strlen(t->arg) : 0;
		archive_entry_set_size(e, (la_int64_t)len);
		break;
	case 'd':
		archive_entry_set_filetype(e, AE_IFDIR);
		if (!t->mode)
			archive_entry_set_perm(e, 0755);
		break;
	case 'l':
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, t->arg);
		archive_entry_set_perm(e, 0777);
		break;
	case 'h':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, t->arg);
		archive_entry_set_size(e, 0);
		break;
	case 'c':
	case 'b':
		archive_entry_set_filetype(e, t->type == 'c' ? AE_IFCHR
							     : AE_IFBLK);
		archive_entry_set_rdevmajor(e, (dev_t)t->major);
		archive_entry_set_rdevminor(e, (dev_t)t->minor);
		break;
	case 'p':
		archive_entry_set_filetype(e, AE_IFIFO);
		break;
	}
	if (t->xattr) {
		const char *eq = strchr(t->xattr, '=');
		char name[256];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - t->xattr),
			 t->xattr);
		archive_entry_xattr_add_entry(e, name, eq + 1, strlen(eq + 1));
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		fprintf(stderr, "tarw: %s: %s\n", t->name,
			archive_error_string(a));
		exit(1);
	}
	if (len)
		archive_write_data(a, t->arg, len);
	archive_entry_free(e);
}

static inline void tarw_close(struct archive *a)
{
	archive_write_close(a);
	archive_write_free(a);
	setlocale(LC_CTYPE, "C");
}

/* Writes the entries (terminated by type 0) to path. */
static inline void tarw_file(const char *path, enum tarw_filter f,
			     const struct tarw_entry *ents)
{
	struct archive *a = tarw_open(path, f);

	for (; ents->type; ents++)
		tarw_add(a, ents);
	tarw_close(a);
}

#endif
