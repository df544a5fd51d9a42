/*
 * store.c - blobs, layer folders, short names and locking of the image
 * store (see store.h for the layout). Records, leases, GC and listing are
 * in store_records.c. Owns STATE_DIR/images; never touches a pod's folder
 * or a registry.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "digest.h"
#include "layer_extract.h"

static const char *const subdirs[] = {"blobs/sha256", "layers", "l",
				      "tmp",	      "leases", "used"};

int img_store_open(const char *state_dir, struct img_store **out,
		   struct berr *err)
{
	struct img_store *s = xcalloc(1, sizeof(*s));
	char path[PATH_MAX];

	s->dir = xasprintf("%s/images", state_dir);
	s->lock_fd = -1;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, subdirs[i]);
		if (mkdir_p(path, 0700, err) == -1) {
			img_store_close(s);
			return berr_wrap(err, "image store");
		}
	}
	snprintf(path, sizeof(path), "%s/lock", s->dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd == -1) {
		berr_errno(err, errno, "open `%s`", path);
		img_store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void img_store_close(struct img_store *s)
{
	if (s == NULL)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s);
}

int img_store_lock(struct img_store *s, bool exclusive, struct berr *err)
{
	int want = exclusive ? 2 : 1;

	/* nested: the outer holder keeps the lock (upgraded if needed) */
	if (s->lock_depth > 0 && s->lock_mode >= want) {
		s->lock_depth++;
		return 0;
	}
	if (RETRY_EINTR(flock(s->lock_fd, exclusive ? LOCK_EX : LOCK_SH)) == -1)
		return berr_errno(err, errno, "lock the image store");
	s->lock_mode = want;
	s->lock_depth++;
	return 0;
}

void img_store_unlock(struct img_store *s)
{
	if (s->lock_depth == 0 || --s->lock_depth > 0)
		return;
	flock(s->lock_fd, LOCK_UN);
	s->lock_mode = 0;
}

int img_store_tmpdir(struct img_store *s, const char *prefix, char **out,
		     struct berr *err)
{
	char *p = xasprintf("%s/tmp/%s-XXXXXX", s->dir, prefix);

	if (mkdtemp(p) == NULL) {
		berr_errno(err, errno, "mkdtemp `%s`", p);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* ---- blobs ---- */

void img_blob_path(const struct img_store *s, const char *digest, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s/blobs/sha256/%s", s->dir, digest + 7);
}

bool img_blob_exists(const struct img_store *s, const char *digest)
{
	char path[PATH_MAX];
	struct stat st;

	if (!image_digest_valid(digest))
		return false;
	img_blob_path(s, digest, path, sizeof(path));
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int fsync_dir(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd == -1 ? -1 : fsync(fd);
}

/* tmp file -> verified -> blobs/sha256/HEX (rename, fsync of the folder) */
static int blob_commit(struct img_store *s, const char *tmp, const char *got,
		       const char *want, char *got_out, struct berr *err)
{
	char path[PATH_MAX], dir[PATH_MAX];

	if (want && strcmp(want, got) != 0) {
		unlink(tmp);
		return berr_set(err, "blob digest mismatch: want %s, got %s",
				want, got);
	}
	img_blob_path(s, got, path, sizeof(path));
	if (rename(tmp, path) == -1) {
		int e = errno;

		unlink(tmp);
		return berr_errno(err, e, "store blob %s", got);
	}
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->dir);
	fsync_dir(dir);
	if (got_out)
		memcpy(got_out, got, IMAGE_DIGEST_LEN + 1);
	return 0;
}

int img_blob_put_fd(struct img_store *s, int fd, const char *want, char *got,
		    struct berr *err)
{
	char tmp[PATH_MAX], dg[IMAGE_DIGEST_LEN + 1], buf[65536];
	struct sha256 h;
	ssize_t n;
	int out;

	snprintf(tmp, sizeof(tmp), "%s/tmp/blob-XXXXXX", s->dir);
	out = mkostemp(tmp, O_CLOEXEC);
	if (out == -1)
		return berr_errno(err, errno, "create `%s`", tmp);
	sha256_init(&h);
	while ((n = RETRY_EINTR(read(fd, buf, sizeof(buf)))) > 0) {
		sha256_update(&h, buf, (size_t)n);
		if (fd_write_all(out, buf, (size_t)n) == -1)
			break;
	}
	if (n != 0 || fsync(out) == -1) {
		int e = errno;

		sha256_abort(&h);
		close(out);
		unlink(tmp);
		return berr_errno(err, e, "write blob");
	}
	close(out);
	sha256_final(&h, dg);
	return blob_commit(s, tmp, dg, want, got, err);
}

int img_blob_put_buf(struct img_store *s, const void *buf, size_t len,
		     char *got, struct berr *err)
{
	char tmp[PATH_MAX], dg[IMAGE_DIGEST_LEN + 1];
	int out;

	sha256_buf(buf, len, dg);
	if (img_blob_exists(s, dg)) {
		if (got)
			memcpy(got, dg, sizeof(dg));
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp/blob-XXXXXX", s->dir);
	out = mkostemp(tmp, O_CLOEXEC);
	if (out == -1)
		return berr_errno(err, errno, "create `%s`", tmp);
	if (fd_write_all(out, buf, len) == -1 || fsync(out) == -1) {
		int e = errno;

		close(out);
		unlink(tmp);
		return berr_errno(err, e, "write blob");
	}
	close(out);
	return blob_commit(s, tmp, dg, NULL, got, err);
}

int img_blob_read(const struct img_store *s, const char *digest, char **buf,
		  size_t *len, struct berr *err)
{
	char path[PATH_MAX], got[IMAGE_DIGEST_LEN + 1];

	if (!image_digest_valid(digest))
		return berr_set(err, "bad digest `%.80s`", digest);
	img_blob_path(s, digest, path, sizeof(path));
	if (file_read_all(path, buf, len, err) == -1)
		return berr_wrap(err, "blob %s", digest);
	sha256_buf(*buf, *len, got);
	if (strcmp(got, digest) != 0) {
		free(*buf);
		*buf = NULL;
		return berr_set(err,
				"blob %s is corrupted (its content hashes to "
				"%s)",
				digest, got);
	}
	return 0;
}

/* ---- layers ---- */

void img_layer_root(const struct img_store *s, const char *chain, char *buf,
		    size_t len)
{
	snprintf(buf, len, "%s/layers/%s/root", s->dir, chain + 7);
}

static bool layer_present(const struct img_store *s, const char *chain)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/layers/%s/meta.json", s->dir,
		 chain + 7);
	return stat(path, &st) == 0;
}

int img_layer_short(const struct img_store *s, const char *chain, char *buf,
		    size_t len, struct berr *err)
{
	char target[PATH_MAX], have[PATH_MAX], link[PATH_MAX], tmp[PATH_MAX];

	snprintf(target, sizeof(target), "../layers/%s/root", chain + 7);
	/* 12 hex digits; longer only if another chain took that name */
	for (int n = 12; n <= 64; n += 4) {
		ssize_t r;

		snprintf(link, sizeof(link), "%s/l/%.*s", s->dir, n, chain + 7);
		r = readlink(link, have, sizeof(have) - 1);
		if (r >= 0) {
			have[r] = '\0';
			if (strcmp(have, target) != 0)
				continue;
		} else {
			if (errno != ENOENT)
				return berr_errno(err, errno, "readlink `%s`",
						  link);
			snprintf(tmp, sizeof(tmp), "%s/l/.tmp-%d-%.*s", s->dir,
				 (int)getpid(), n, chain + 7);
			unlink(tmp);
			if (symlink(target, tmp) == -1 ||
			    rename(tmp, link) == -1)
				return berr_errno(err, errno, "symlink `%s`",
						  link);
		}
		snprintf(buf, len, "%s", link);
		return 0;
	}
	return berr_set(err, "no short name free for layer %s", chain);
}

static int unpack_one(struct img_store *s, const struct oci_desc *blob,
		      const char *diff_id, const char *chain,
		      char (*chains)[IMAGE_DIGEST_LEN + 1], size_t below,
		      struct berr *err)
{
	char path[PATH_MAX], root[PATH_MAX], final[PATH_MAX], got[80];
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;
	cleanup_close int tfd = -1;
	const char **lowers = NULL;
	struct layer_extract_result res;
	char **lower_bufs = NULL;
	json_t *meta;
	char *text;
	int rc = -1;

	img_blob_path(s, blob->digest, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return berr_errno(err, errno, "layer blob %s", blob->digest);
	if (layer_diff_id(fd, got, err) == -1)
		return berr_wrap(err, "layer %s", blob->digest);
	if (strcmp(got, diff_id) != 0)
		return berr_set(err,
				"layer %s: its content is %s, the image "
				"config says %s",
				blob->digest, got, diff_id);
	if (lseek(fd, 0, SEEK_SET) == -1)
		return berr_errno(err, errno, "seek");
	if (img_store_tmpdir(s, "layer", &tmp, err) == -1)
		return -1;
	snprintf(root, sizeof(root), "%s/root", tmp);
	if (mkdir(root, 0755) == -1) {
		berr_errno(err, errno, "mkdir `%s`", root);
		goto out;
	}
	lowers = xcalloc(below + 1, sizeof(*lowers));
	lower_bufs = xcalloc(below + 1, sizeof(*lower_bufs));
	for (size_t i = 0; i < below; i++) {
		lower_bufs[i] = xmalloc(PATH_MAX);
		img_layer_root(s, chains[i], lower_bufs[i], PATH_MAX);
		lowers[i] = lower_bufs[i];
	}
	if (layer_extract(fd, blob->digest, root, lowers, below, &res, err) ==
	    -1) {
		berr_wrap(err, "layer %s", blob->digest);
		goto out;
	}
	meta =
	    json_pack("{s:s, s:s, s:s, s:I, s:I}", "chainId", chain, "diffId",
		      diff_id, "blob", blob->digest, "size",
		      (json_int_t)res.size, "entries", (json_int_t)res.entries);
	text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	snprintf(path, sizeof(path), "%s/meta.json", tmp);
	rc = file_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	if (rc == -1)
		goto out;
	rc = -1;
	/* everything unpacked reaches the disk before the name appears */
	tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd == -1 || syncfs(tfd) == -1) {
		berr_errno(err, errno, "sync `%s`", tmp);
		goto out;
	}
	snprintf(final, sizeof(final), "%s/layers/%s", s->dir, chain + 7);
	if (rename(tmp, final) == -1) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			berr_errno(err, errno, "rename to `%s`", final);
			goto out;
		}
		/* another import unpacked the same chain meanwhile */
	} else {
		snprintf(path, sizeof(path), "%s/layers", s->dir);
		fsync_dir(path);
		xfree(tmp);
	}
	rc = 0;
out:
	if (tmp) {
		struct berr e2 = BERR_INIT;

		rm_rf(tmp, &e2);
	}
	for (size_t i = 0; lower_bufs && i < below; i++)
		free(lower_bufs[i]);
	free(lower_bufs);
	free(lowers);
	return rc;
}

int img_layers_ensure(struct img_store *s, const struct oci_manifest *m,
		      const struct oci_image_config *c, struct berr *err)
{
	char(*chains)[IMAGE_DIGEST_LEN + 1];
	int rc = 0;

	if (m->n_layers != c->n_diff_ids)
		return berr_set(err,
				"the manifest has %zu layers but the config "
				"%zu diff_ids",
				m->n_layers, c->n_diff_ids);
	if (m->n_layers == 0)
		return berr_set(err, "the image has no layers");
	chains = xcalloc(m->n_layers, sizeof(*chains));
	oci_chain_ids((const char(*)[IMAGE_DIGEST_LEN + 1]) c->diff_ids,
		      m->n_layers, chains);
	for (size_t i = 0; i < m->n_layers && rc == 0; i++) {
		char sh[PATH_MAX];

		if (!layer_present(s, chains[i]))
			rc = unpack_one(s, &m->layers[i], c->diff_ids[i],
					chains[i], chains, i, err);
		if (rc == 0)
			rc = img_layer_short(s, chains[i], sh, sizeof(sh), err);
	}
	free(chains);
	return rc;
}
