/*
 * store_leases.c - what keeps an image in the store: leases (a holder's
 * name -> the manifest it uses: a pod, or a deployment revision kept by
 * revisionHistoryLimit), the revision leases brought in line with the
 * daemon's revisions, and when an image was last used (a stamp per
 * manifest, for least-recently-used GC). Owns STATE_DIR/images/leases and
 * used/ only; never deletes an image.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "store.h"

static bool holder_ok(const char *h)
{
	if (*h == '\0' || *h == '.' || strlen(h) > 200)
		return false;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || strchr("._-", *h)))
			return false;
	return true;
}

/* used/HEX: its mtime is when the image was last used. Advisory (GC's
 * order only), so neither fsync'd nor checked. */
static void touch_used(const struct img_store *s, const char *manifest)
{
	char path[PATH_MAX];
	int fd;

	if (!image_digest_valid(manifest))
		return;
	snprintf(path, sizeof(path), "%s/used/%s", s->dir, manifest + 7);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
}

int64_t img_last_used(const struct img_store *s, const char *manifest)
{
	char path[PATH_MAX];
	struct stat st;

	if (!image_digest_valid(manifest))
		return 0;
	snprintf(path, sizeof(path), "%s/used/%s", s->dir, manifest + 7);
	if (lstat(path, &st) == -1)
		return 0;
	return (int64_t)st.st_mtim.tv_sec;
}

static char *lease_read(const struct img_store *s, const char *holder)
{
	char path[PATH_MAX], *text = NULL;
	size_t len;
	struct berr err = BERR_INIT;

	snprintf(path, sizeof(path), "%s/leases/%s", s->dir, holder);
	if (file_read_all(path, &text, &len, &err) == -1)
		return NULL;
	return text;
}

static int lease_write(struct img_store *s, const char *holder,
		       const char *manifest, struct berr *err)
{
	char path[PATH_MAX];

	if (!holder_ok(holder))
		return berr_set(err, "bad lease holder `%s`", holder);
	snprintf(path, sizeof(path), "%s/leases/%s", s->dir, holder);
	return file_write_atomic(path, manifest, strlen(manifest), 0600, err);
}

int img_lease_set(struct img_store *s, const char *holder, const char *manifest,
		  struct berr *err)
{
	if (lease_write(s, holder, manifest, err) == -1)
		return -1;
	touch_used(s, manifest);
	return 0;
}

int img_lease_drop(struct img_store *s, const char *holder, struct berr *err)
{
	char path[PATH_MAX], *was;

	if (!holder_ok(holder))
		return berr_set(err, "bad lease holder `%s`", holder);
	snprintf(path, sizeof(path), "%s/leases/%s", s->dir, holder);
	/* the image was in use until now */
	was = lease_read(s, holder);
	if (was)
		touch_used(s, was);
	free(was);
	if (unlink(path) == -1 && errno != ENOENT)
		return berr_errno(err, errno, "remove `%s`", path);
	return 0;
}

json_t *img_leases_load(const struct img_store *s)
{
	char path[PATH_MAX];
	json_t *out = json_object();
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/leases", s->dir);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		char *text;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp"))
			continue;
		text = lease_read(s, de->d_name);
		/* a pod's name says more than a revision's */
		if (text && image_digest_valid(text) &&
		    !(json_object_get(out, text) &&
		      !strncmp(de->d_name, "revision.", 9)))
			json_object_set_new(out, text, json_string(de->d_name));
		free(text);
	}
	if (d)
		closedir(d);
	return out;
}

int img_leases_sync(struct img_store *s, const char *prefix,
		    char *const *holders, char *const *refs, size_t n,
		    struct berr *err)
{
	json_t *keep = json_object();
	char path[PATH_MAX];
	struct dirent *de;
	int rc = 0;
	DIR *d;

	if (img_store_lock(s, false, err) == -1) {
		json_decref(keep);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char manifest[IMAGE_DIGEST_LEN + 1], *was;
		struct image_ref r;
		struct berr e = BERR_INIT;

		if (strncmp(holders[i], prefix, strlen(prefix)) ||
		    image_ref_parse(refs[i], &r, &e) == -1 ||
		    img_record_find(s, &r, manifest, &e) == -1)
			continue; /* not in the store: nothing to keep */
		json_object_set_new(keep, holders[i], json_true());
		was = lease_read(s, holders[i]);
		if (was == NULL || strcmp(was, manifest))
			if (lease_write(s, holders[i], manifest, err) == -1)
				rc = -1;
		free(was);
	}
	snprintf(path, sizeof(path), "%s/leases", s->dir);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		char file[PATH_MAX + 256];

		if (strncmp(de->d_name, prefix, strlen(prefix)) ||
		    strstr(de->d_name, ".tmp") ||
		    json_object_get(keep, de->d_name))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (unlink(file) == -1 && errno != ENOENT)
			rc = berr_errno(err, errno, "remove `%s`", file);
	}
	if (d)
		closedir(d);
	img_store_unlock(s);
	json_decref(keep);
	return rc;
}
