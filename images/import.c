/*
 * import.c - reads image archives and folders (docker save, oci-archive,
 * OCI layout, skopeo dir:) into the store: every blob is copied through
 * img_blob_put_fd() with its digest checked, layers are unpacked, and the
 * record is written last. Owns the formats of those archives; never talks
 * to a registry and knows nothing about pods.
 */
#include "import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "digest.h"
#include "layer_extract.h"
#include "layer_view.h"

#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_NAME "org.opencontainers.image.ref.name"

enum src_kind { SRC_OCI, SRC_DIR, SRC_STORE };

struct src {
	enum src_kind kind;
	int dirfd; /* the folder being imported */
};

/* Opens rel inside the source folder: symlinks (old docker save links
 * duplicate layers) resolve as if the folder were the root. */
static int open_in(int dirfd, const char *rel, struct berr *err)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	if (fd == -1 && errno == ENOSYS) /* before Linux 5.6: no symlinks */
		fd = lv_open_beneath(dirfd, rel, O_RDONLY);
	if (fd == -1)
		return berr_errno(err, errno, "open `%s`", rel);
	return fd;
}

static int read_in(int dirfd, const char *rel, char **buf, size_t *len,
		   struct berr *err)
{
	cleanup_close int fd = open_in(dirfd, rel, err);
	char path[64];

	if (fd == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return file_read_all(path, buf, len, err);
}

/* Makes sure the blob is in the store (copied from the source and
 * verified when it is not). */
static int fetch(struct img_store *s, const struct src *src, const char *digest,
		 struct berr *err)
{
	char rel[IMAGE_DIGEST_LEN + 32];
	cleanup_close int fd = -1;

	if (img_blob_exists(s, digest))
		return 0;
	if (src->kind == SRC_STORE)
		return berr_set(err, "blob %s is missing", digest);
	if (src->kind == SRC_OCI)
		snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest + 7);
	else
		snprintf(rel, sizeof(rel), "%s", digest + 7);
	fd = open_in(src->dirfd, rel, err);
	if (fd == -1)
		return berr_wrap(err, "blob %s", digest);
	if (img_blob_put_fd(s, fd, digest, NULL, err) == -1)
		return -1;
	return 0;
}

static void result_add(json_t *out, const char *name, const char *manifest,
		       const char *config)
{
	if (out)
		json_array_append_new(out, json_pack("{s:s?, s:s, s:s}", "name",
						     name, "manifest", manifest,
						     "id", config));
}

/* Imports the manifest (or index) mdigest, already fetched into the
 * store, under name (canonical, may be NULL). */
static int import_manifest(struct img_store *s, const struct src *src,
			   const char *mdigest, const char *name,
			   const char *repo_digest, json_t *out, int depth,
			   struct berr *err)
{
	cleanup_free char *buf = NULL;
	cleanup_free char *cbuf = NULL;
	struct oci_manifest m;
	struct oci_image_config c;
	size_t len, clen;
	int rc = -1;

	if (img_blob_read(s, mdigest, &buf, &len, err) == -1)
		return -1;
	if (oci_kind_of(buf, len) == OCI_KIND_INDEX) {
		struct oci_desc d;

		if (depth > 2)
			return berr_set(err, "indexes nested too deep");
		if (oci_index_pick(buf, len, NULL, NULL, NULL, &d, err) == -1 ||
		    fetch(s, src, d.digest, err) == -1)
			return -1;
		return import_manifest(s, src, d.digest, name, repo_digest, out,
				       depth + 1, err);
	}
	if (oci_manifest_parse(buf, len, &m, err) == -1)
		return -1;
	if (fetch(s, src, m.config.digest, err) == -1 ||
	    img_blob_read(s, m.config.digest, &cbuf, &clen, err) == -1)
		goto out_m;
	if (oci_config_parse(cbuf, clen, &c, err) == -1)
		goto out_m;
	for (size_t i = 0; i < m.n_layers; i++)
		if (fetch(s, src, m.layers[i].digest, err) == -1)
			goto out_c;
	if (img_layers_ensure(s, &m, &c, err) == -1 ||
	    img_record_add(s, mdigest, m.config.digest, name, repo_digest,
			   err) == -1)
		goto out_c;
	result_add(out, name, mdigest, m.config.digest);
	rc = 0;
out_c:
	oci_config_free(&c);
out_m:
	oci_manifest_free(&m);
	return rc;
}

/* A name from an archive: a full reference becomes canonical; a bare tag
 * (skopeo's oci:DIR:TAG) names nothing. */
static int canonical(const char *in, char *out, size_t len, struct berr *err)
{
	struct image_ref r;

	out[0] = '\0';
	if (in == NULL || in[0] == '\0')
		return 0;
	if (image_ref_parse(in, &r, err) == -1)
		return -1;
	if (r.tag[0] == '\0') /* a digest-only name is a repo digest */
		return 0;
	image_ref_string(&r, out, len);
	if (r.digest[0] && /* name:tag@digest: keep name:tag */
	    (size_t)snprintf(out, len, "%s/%s:%s", r.domain, r.path, r.tag) >=
		len)
		return berr_set(err, "image name `%s` is too long", in);
	return 0;
}

static int import_oci(struct img_store *s, int dirfd, const char *name,
		      const char *repo_digest, json_t *out, struct berr *err)
{
	struct src src = {SRC_OCI, dirfd};
	cleanup_free char *buf = NULL;
	json_t *idx, *ms, *d;
	size_t len, i;
	int rc = 0;

	if (read_in(dirfd, "index.json", &buf, &len, err) == -1)
		return -1;
	idx = json_loadb(buf, len, 0, NULL);
	ms = json_object_get(idx, "manifests");
	if (!json_is_array(ms) || json_array_size(ms) == 0) {
		json_decref(idx);
		return berr_set(err, "index.json lists no image");
	}
	if (name && json_array_size(ms) != 1) {
		json_decref(idx);
		return berr_set(err,
				"the archive holds %zu images; a name can "
				"only be given to one",
				json_array_size(ms));
	}
	json_array_foreach(ms, i, d)
	{
		json_t *ann = json_object_get(d, "annotations");
		const char *dg =
		    json_string_value(json_object_get(d, "digest"));
		const char *nm = json_string_value(
		    json_object_get(ann, ANN_CONTAINERD_NAME));
		char cname[600];

		if (nm == NULL) {
			nm = json_string_value(
			    json_object_get(ann, ANN_REF_NAME));
			if (nm && !strpbrk(nm, "/:."))
				nm = NULL; /* only a tag */
		}
		if (name)
			nm = name;
		if (dg == NULL || !image_digest_valid(dg)) {
			rc = berr_set(err,
				      "index.json: entry %zu has no "
				      "sha256 digest",
				      i);
			break;
		}
		if (canonical(nm, cname, sizeof(cname), err) == -1 ||
		    fetch(s, &src, dg, err) == -1 ||
		    import_manifest(s, &src, dg, cname[0] ? cname : NULL,
				    repo_digest, out, 0, err) == -1) {
			rc = -1;
			break;
		}
	}
	json_decref(idx);
	return rc;
}

/* skopeo's dir: transport: manifest.json plus blobs named by their hex */
static int import_skopeo_dir(struct img_store *s, int dirfd, const char *name,
			     const char *repo_digest, json_t *out,
			     struct berr *err)
{
	struct src src = {SRC_DIR, dirfd};
	cleanup_free char *buf = NULL;
	char dg[IMAGE_DIGEST_LEN + 1], cname[600];
	size_t len;

	if (read_in(dirfd, "manifest.json", &buf, &len, err) == -1 ||
	    img_blob_put_buf(s, buf, len, dg, err) == -1)
		return -1;
	if (canonical(name, cname, sizeof(cname), err) == -1)
		return -1;
	return import_manifest(s, &src, dg, cname[0] ? cname : NULL,
			       repo_digest, out, 0, err);
}

static const char *layer_media_type(int fd)
{
	unsigned char m[4] = {0};

	if (pread(fd, m, 4, 0) == 4) {
		if (m[0] == 0x1f && m[1] == 0x8b)
			return MT_OCI_LAYER "+gzip";
		if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f &&
		    m[3] == 0xfd)
			return MT_OCI_LAYER "+zstd";
	}
	return MT_OCI_LAYER;
}

static int put_file(struct img_store *s, int dirfd, const char *rel,
		    char dg[IMAGE_DIGEST_LEN + 1], int64_t *size,
		    const char **mt, struct berr *err)
{
	cleanup_close int fd = open_in(dirfd, rel, err);
	struct stat st;

	if (fd == -1 || fstat(fd, &st) == -1)
		return -1;
	*size = st.st_size;
	if (mt)
		*mt = layer_media_type(fd);
	return img_blob_put_fd(s, fd, NULL, dg, err);
}

/* `docker save` before Docker 25: manifest.json is an array of
 * {Config, RepoTags, Layers}; an OCI manifest is made for each image. */
static int import_docker_legacy(struct img_store *s, int dirfd, json_t *arr,
				const char *name, json_t *out, struct berr *err)
{
	struct src src = {SRC_STORE, -1};
	json_t *it, *tags, *layers, *l, *t;
	size_t i, j;

	if (name && json_array_size(arr) != 1)
		return berr_set(err,
				"the archive holds %zu images; a name can "
				"only be given to one",
				json_array_size(arr));
	json_array_foreach(arr, i, it)
	{
		const char *cfg =
		    json_string_value(json_object_get(it, "Config"));
		char cdg[IMAGE_DIGEST_LEN + 1], mdg[IMAGE_DIGEST_LEN + 1];
		int64_t csize;
		json_t *man, *mlayers = json_array();
		char *text;
		int rc;

		layers = json_object_get(it, "Layers");
		if (cfg == NULL || !json_is_array(layers)) {
			json_decref(mlayers);
			return berr_set(err,
					"manifest.json: image %zu has no "
					"Config or Layers",
					i);
		}
		if (put_file(s, dirfd, cfg, cdg, &csize, NULL, err) == -1) {
			json_decref(mlayers);
			return berr_wrap(err, "config of image %zu", i);
		}
		json_array_foreach(layers, j, l)
		{
			char ldg[IMAGE_DIGEST_LEN + 1];
			const char *mt;
			int64_t lsize;

			if (!json_is_string(l) ||
			    put_file(s, dirfd, json_string_value(l), ldg,
				     &lsize, &mt, err) == -1) {
				json_decref(mlayers);
				return berr_wrap(err, "layer %zu of image %zu",
						 j, i);
			}
			json_array_append_new(
			    mlayers, json_pack("{s:s, s:s, s:I}", "mediaType",
					       mt, "digest", ldg, "size",
					       (json_int_t)lsize));
		}
		man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}",
				"schemaVersion", 2, "mediaType",
				MT_OCI_MANIFEST, "config", "mediaType",
				MT_OCI_CONFIG, "digest", cdg, "size",
				(json_int_t)csize, "layers", mlayers);
		text = json_dumps(man, JSON_COMPACT);
		json_decref(man);
		rc = img_blob_put_buf(s, text, strlen(text), mdg, err);
		free(text);
		if (rc == -1)
			return -1;
		tags = json_object_get(it, "RepoTags");
		if (name || json_array_size(tags) == 0) {
			char cname[600];

			if (canonical(name, cname, sizeof(cname), err) == -1 ||
			    import_manifest(s, &src, mdg,
					    cname[0] ? cname : NULL, NULL, out,
					    0, err) == -1)
				return -1;
			continue;
		}
		json_array_foreach(tags, j, t)
		{
			char cname[600];

			if (canonical(json_string_value(t), cname,
				      sizeof(cname), err) == -1 ||
			    import_manifest(s, &src, mdg,
					    cname[0] ? cname : NULL, NULL, out,
					    0, err) == -1)
				return -1;
		}
	}
	return 0;
}

static int import_folder(struct img_store *s, const char *dir, const char *name,
			 const char *repo_digest, json_t *out, struct berr *err)
{
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct stat st;
	json_t *doc;
	size_t len;
	int rc;

	if (dfd == -1)
		return berr_errno(err, errno, "open `%s`", dir);
	if (fstatat(dfd, "index.json", &st, 0) == 0)
		return import_oci(s, dfd, name, repo_digest, out, err);
	if (read_in(dfd, "manifest.json", &buf, &len, err) == -1)
		return berr_set(err,
				"`%s` is no image: no index.json (OCI "
				"layout) or manifest.json (docker save)",
				dir);
	doc = json_loadb(buf, len, 0, NULL);
	if (json_is_array(doc))
		rc = import_docker_legacy(s, dfd, doc, name, out, err);
	else if (json_is_object(doc))
		rc = import_skopeo_dir(s, dfd, name, repo_digest, out, err);
	else
		rc = berr_set(err, "`%s/manifest.json` is not JSON", dir);
	json_decref(doc);
	return rc;
}

int img_import(struct img_store *s, const char *path, const char *name,
	       const char *repo_digest, json_t **out, struct berr *err)
{
	json_t *res = json_array();
	struct stat st;
	int rc;

	if (out)
		*out = NULL;
	if (stat(path, &st) == -1) {
		json_decref(res);
		return berr_errno(err, errno, "`%s`", path);
	}
	if (img_store_lock(s, false, err) == -1) {
		json_decref(res);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = import_folder(s, path, name, repo_digest, res, err);
	} else {
		/* an archive: unpacked (confined, like a layer) into a work
		 * folder of the store, then read as a folder */
		char *tmp = NULL, sub[PATH_MAX];
		struct layer_extract_result xr;
		int fd = -1;

		rc = img_store_tmpdir(s, "import", &tmp, err);
		if (rc == 0) {
			snprintf(sub, sizeof(sub), "%s/x", tmp);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd == -1)
				rc = berr_errno(err, errno, "open `%s`", path);
			else if (mkdir(sub, 0700) == -1)
				rc = berr_errno(err, errno, "mkdir");
			else if (layer_extract(fd, NULL, sub, NULL, 0, &xr,
					       err) == -1)
				rc = berr_wrap(err, "`%s`", path);
			if (fd >= 0)
				close(fd);
			if (rc == 0)
				rc = import_folder(s, sub, name, repo_digest,
						   res, err);
			{
				struct berr e2 = BERR_INIT;

				rm_rf(tmp, &e2);
			}
			free(tmp);
		}
	}
	img_store_unlock(s);
	if (rc == -1) {
		json_decref(res);
		return -1;
	}
	if (out)
		*out = res;
	else
		json_decref(res);
	return 0;
}

static bool importable(const char *n)
{
	static const char *const ext[] = {".tar", ".tar.gz", ".tgz", ".tar.zst",
					  ".oci"};
	size_t len = strlen(n);

	if (n[0] == '.')
		return false;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);

		if (len > el && strcmp(n + len - el, ext[i]) == 0)
			return true;
	}
	return false;
}

int img_import_dir_scan(struct img_store *s, const char *dir, int *n,
			struct berr *err)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d;

	*n = 0;
	if (mkdir_p(dir, 0700, err) == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%s/imported", dir);
	if (mkdir_p(sub, 0700, err) == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%s/failed", dir);
	if (mkdir_p(sub, 0700, err) == -1)
		return -1;
	d = opendir(dir);
	if (d == NULL)
		return berr_errno(err, errno, "open `%s`", dir);
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX], dest[PATH_MAX + 300];
		struct berr ierr = BERR_INIT;
		struct stat st;

		if (!importable(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (img_import(s, path, NULL, NULL, NULL, &ierr) == 0) {
			snprintf(dest, sizeof(dest), "%s/imported/%s", dir,
				 de->d_name);
			(*n)++;
		} else {
			snprintf(dest, sizeof(dest), "%s/failed/%s.error", dir,
				 de->d_name);
			file_write_atomic(dest, ierr.msg, strlen(ierr.msg),
					  0600, err);
			snprintf(dest, sizeof(dest), "%s/failed/%s", dir,
				 de->d_name);
		}
		if (rename(path, dest) == -1) {
			closedir(d);
			return berr_errno(err, errno, "move `%s`", path);
		}
	}
	closedir(d);
	return 0;
}
