/*
 * store_records.c - the image records (images.json), leases, `image rm`,
 * `image prune`, garbage collection and the listing with shared sizes.
 * Owns those files of STATE_DIR/images only; blobs and layer folders are
 * made by store.c and only deleted here, under the exclusive lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "store.h"

json_t *img_records_load(const struct img_store *s, struct berr *err)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *doc;

	snprintf(path, sizeof(path), "%s/images.json", s->dir);
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return json_pack("{s:{}}", "images");
	doc = json_load_file(path, 0, &jerr);
	if (doc == NULL || !json_is_object(json_object_get(doc, "images"))) {
		json_decref(doc);
		berr_set(err, "`%s`: %s", path,
			 doc ? "no images object" : jerr.text);
		return NULL;
	}
	return doc;
}

static int records_save(const struct img_store *s, json_t *doc,
			struct berr *err)
{
	char path[PATH_MAX];
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	int rc;

	snprintf(path, sizeof(path), "%s/images.json", s->dir);
	rc = file_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

/* Read-modify-write of images.json under its own flock, so that two
 * imports (each holding the store's shared lock) never lose a record. */
static int records_update(const struct img_store *s,
			  int (*fn)(json_t *images, void *arg,
				    struct berr *err),
			  void *arg, struct berr *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	json_t *doc;
	int rc;

	snprintf(path, sizeof(path), "%s/images.json.lock", s->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1 || RETRY_EINTR(flock(fd, LOCK_EX)) == -1)
		return berr_errno(err, errno, "lock `%s`", path);
	doc = img_records_load(s, err);
	if (doc == NULL)
		return -1;
	rc = fn(json_object_get(doc, "images"), arg, err);
	if (rc == 1)
		rc = records_save(s, doc, err);
	json_decref(doc);
	return rc;
}

static bool strarr_has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i,
			   v) if (!strcmp(json_string_value(v), s)) return true;
	return false;
}

static void strarr_del(json_t *a, const char *s)
{
	for (size_t i = json_array_size(a); i-- > 0;)
		if (!strcmp(json_string_value(json_array_get(a, i)), s))
			json_array_remove(a, i);
}

struct add_arg {
	const char *manifest, *config, *name, *repo_digest;
};

static int add_fn(json_t *images, void *p, struct berr *err)
{
	struct add_arg *a = p;
	json_t *rec = json_object_get(images, a->manifest);
	const char *key;
	json_t *other;

	if (a->name) {
		json_object_foreach(images, key, other)
		    strarr_del(json_object_get(other, "names"), a->name);
	}
	if (rec == NULL) {
		rec = json_pack("{s:s, s:[], s:[], s:I}", "config", a->config,
				"names", "digests", "added",
				(json_int_t)time(NULL));
		json_object_set_new(images, a->manifest, rec);
	}
	if (a->name && !strarr_has(json_object_get(rec, "names"), a->name))
		json_array_append_new(json_object_get(rec, "names"),
				      json_string(a->name));
	if (a->repo_digest &&
	    !strarr_has(json_object_get(rec, "digests"), a->repo_digest))
		json_array_append_new(json_object_get(rec, "digests"),
				      json_string(a->repo_digest));
	return 1;
}

int img_record_add(struct img_store *s, const char *manifest,
		   const char *config, const char *name,
		   const char *repo_digest, struct berr *err)
{
	struct add_arg a = {manifest, config, name, repo_digest};

	return records_update(s, add_fn, &a, err);
}

int img_record_find(const struct img_store *s, const struct image_ref *r,
		    char manifest[IMAGE_DIGEST_LEN + 1], struct berr *err)
{
	json_t *doc = img_records_load(s, err), *images, *rec;
	char want[2 * (IMAGE_REF_NAME_MAX + 1) + IMAGE_REF_TAG_MAX +
		  IMAGE_DIGEST_LEN + 4];
	const char *key;
	int rc = -1;

	if (doc == NULL)
		return -1;
	images = json_object_get(doc, "images");
	if (r->digest[0]) {
		/* the manifest itself, or an index pulled by digest whose
		 * platform manifest this record is (its "digests") */
		snprintf(want, sizeof(want), "%s/%s@%s", r->domain, r->path,
			 r->digest);
		json_object_foreach(images, key, rec)
		{
			if (!strcmp(key, r->digest) ||
			    strarr_has(json_object_get(rec, "digests"), want)) {
				snprintf(manifest, IMAGE_DIGEST_LEN + 1, "%s",
					 key);
				rc = 0;
				break;
			}
		}
	} else {
		snprintf(want, sizeof(want), "%s/%s:%s", r->domain, r->path,
			 r->tag);
		json_object_foreach(images, key, rec)
		{
			if (strarr_has(json_object_get(rec, "names"), want)) {
				snprintf(manifest, IMAGE_DIGEST_LEN + 1, "%s",
					 key);
				rc = 0;
				break;
			}
		}
	}
	json_decref(doc);
	if (rc == -1) {
		char shown[600];

		image_ref_string(r, shown, sizeof(shown));
		berr_set(err, "image `%s` is not in the store", shown);
		err->code = ENOENT;
	}
	return rc;
}

int img_record_lookup(const struct img_store *s, const char *arg,
		      char manifest[IMAGE_DIGEST_LEN + 1], struct berr *err)
{
	const char *id = strncmp(arg, "sha256:", 7) == 0 ? arg + 7 : arg;
	struct image_ref r;
	size_t n = strlen(id);

	if (n >= 4 && n <= 64 && strspn(id, "0123456789abcdef") == n) {
		json_t *doc = img_records_load(s, err), *rec;
		const char *key;
		int matches = 0;

		if (doc == NULL)
			return -1;
		json_object_foreach(json_object_get(doc, "images"), key, rec)
		{
			const char *cfg =
			    json_string_value(json_object_get(rec, "config"));

			if (!strncmp(key + 7, id, n) ||
			    (cfg && !strncmp(cfg + 7, id, n))) {
				snprintf(manifest, IMAGE_DIGEST_LEN + 1, "%s",
					 key);
				matches++;
			}
		}
		json_decref(doc);
		if (matches == 1)
			return 0;
		if (matches > 1)
			return berr_set(err, "`%s` matches %d images", arg,
					matches);
	}
	if (image_ref_parse(arg, &r, err) == -1 ||
	    img_record_find(s, &r, manifest, err) == -1) {
		berr_set(err, "no such image: `%s`", arg);
		err->code = ENOENT;
		return -1;
	}
	return 0;
}

json_t *img_record_get(const struct img_store *s, const char *manifest)
{
	struct berr err = BERR_INIT;
	json_t *doc = img_records_load(s, &err), *rec;

	rec = json_object_get(json_object_get(doc, "images"), manifest);
	rec = rec ? json_deep_copy(rec) : NULL;
	json_decref(doc);
	return rec;
}

/* ---- what a manifest needs ---- */

/* Adds the manifest's blobs and its layer chains ("chain:HEX") to live. */
static void mark_manifest(const struct img_store *s, const char *manifest,
			  json_t *live)
{
	struct oci_manifest m;
	struct oci_image_config c;
	struct berr err = BERR_INIT;
	char *buf = NULL;
	size_t len;
	char(*chains)[IMAGE_DIGEST_LEN + 1];

	json_object_set_new(live, manifest, json_true());
	if (img_blob_read(s, manifest, &buf, &len, &err) == -1)
		return;
	if (oci_manifest_parse(buf, len, &m, &err) == -1) {
		free(buf);
		return;
	}
	free(buf);
	json_object_set_new(live, m.config.digest, json_true());
	for (size_t i = 0; i < m.n_layers; i++)
		json_object_set_new(live, m.layers[i].digest, json_true());
	if (img_blob_read(s, m.config.digest, &buf, &len, &err) == 0 &&
	    oci_config_parse(buf, len, &c, &err) == 0) {
		chains = xcalloc(c.n_diff_ids + 1, sizeof(*chains));
		oci_chain_ids((const char(*)[IMAGE_DIGEST_LEN + 1]) c.diff_ids,
			      c.n_diff_ids, chains);
		for (size_t i = 0; i < c.n_diff_ids; i++) {
			char key[IMAGE_DIGEST_LEN + 8];

			snprintf(key, sizeof(key), "chain:%s", chains[i] + 7);
			json_object_set_new(live, key, json_true());
		}
		free(chains);
		oci_config_free(&c);
	}
	free(buf);
	oci_manifest_free(&m);
}

static uint64_t layer_size(const struct img_store *s, const char *hex)
{
	char path[PATH_MAX];
	json_t *meta;
	uint64_t n = 0;

	snprintf(path, sizeof(path), "%s/layers/%s/meta.json", s->dir, hex);
	meta = json_load_file(path, 0, NULL);
	if (meta)
		n = (uint64_t)json_integer_value(json_object_get(meta, "size"));
	json_decref(meta);
	return n;
}

/* ---- GC ---- */

static int sweep(const char *dir, const char *key_prefix, json_t *live,
		 uint64_t *freed, const struct img_store *s, struct berr *err)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (d == NULL)
		return berr_errno(err, errno, "open `%s`", dir);
	while ((de = readdir(d)) != NULL) {
		char key[300], path[PATH_MAX + 300];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(key, sizeof(key), "%s%s", key_prefix, de->d_name);
		if (json_object_get(live, key))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (freed && !strcmp(key_prefix, "chain:"))
			*freed += layer_size(s, de->d_name);
		if (rm_rf(path, err) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int img_gc(struct img_store *s, uint64_t *freed, struct berr *err)
{
	json_t *doc, *live, *leases, *rec;
	char dir[PATH_MAX];
	const char *key;
	struct dirent *de;
	int rc = 0;
	DIR *d;

	if (freed)
		*freed = 0;
	if (img_store_lock(s, true, err) == -1)
		return -1;
	doc = img_records_load(s, err);
	if (doc == NULL) {
		rc = -1;
		goto out;
	}
	live = json_object();
	json_object_foreach(json_object_get(doc, "images"), key, rec)
	    mark_manifest(s, key, live);
	leases = img_leases_load(s);
	json_object_foreach(leases, key, rec) mark_manifest(s, key, live);
	json_decref(leases);
	json_decref(doc);

	snprintf(dir, sizeof(dir), "%s/layers", s->dir);
	if (sweep(dir, "chain:", live, freed, s, err) == -1)
		rc = -1;
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->dir);
	if (sweep(dir, "sha256:", live, NULL, s, err) == -1)
		rc = -1;
	snprintf(dir, sizeof(dir), "%s/tmp", s->dir);
	if (sweep(dir, "tmp:", live, NULL, s, err) == -1)
		rc = -1;
	snprintf(dir, sizeof(dir), "%s/used", s->dir);
	if (sweep(dir, "sha256:", live, NULL, s, err) == -1)
		rc = -1;
	/* short names whose layer is gone */
	snprintf(dir, sizeof(dir), "%s/l", s->dir);
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		char path[PATH_MAX + 300];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1 && errno == ENOENT)
			unlink(path);
	}
	if (d)
		closedir(d);
	json_decref(live);
out:
	img_store_unlock(s);
	return rc;
}

/* ---- rm / prune ---- */

struct rm_arg {
	const char *arg;
	json_t *leases;
	bool removed;
};

static bool hex_prefix(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* A lease holder is a pod, or revision.DEPLOYMENT.N (store_leases.c). */
static int in_use(struct berr *err, const char *image, const char *holder)
{
	const char *dot;

	if (strncmp(holder, "revision.", 9) == 0 &&
	    (dot = strrchr(holder + 9, '.')) != NULL)
		return berr_set(err,
				"image `%s` is kept by revision %s of "
				"deployment `%.*s` (revisionHistoryLimit)",
				image, dot + 1, (int)(dot - holder - 9),
				holder + 9);
	return berr_set(err, "image `%s` is in use by `%s`", image, holder);
}

static int rm_fn(json_t *images, void *p, struct berr *err)
{
	struct rm_arg *a = p;
	const char *id = a->arg, *key, *found = NULL;
	json_t *rec;
	struct image_ref r;
	char name[600];
	int matches = 0;

	if (strncmp(id, "sha256:", 7) == 0)
		id += 7;
	if (hex_prefix(id)) {
		json_object_foreach(images, key, rec)
		{
			const char *cfg =
			    json_string_value(json_object_get(rec, "config"));

			if (!strncmp(key + 7, id, strlen(id)) ||
			    (cfg && !strncmp(cfg + 7, id, strlen(id)))) {
				found = key;
				matches++;
			}
		}
		if (matches > 1)
			return berr_set(err, "`%s` matches %d images", a->arg,
					matches);
		if (found) {
			const char *holder = json_string_value(
			    json_object_get(a->leases, found));

			if (holder)
				return in_use(err, a->arg, holder);
			json_object_del(images, found);
			a->removed = true;
			return 1;
		}
	}
	if (image_ref_parse(a->arg, &r, err) == -1) {
		if (!hex_prefix(id))
			return -1;
		berr_set(err, "no such image: `%s`", a->arg);
		err->code = ENOENT;
		return -1;
	}
	image_ref_string(&r, name, sizeof(name));
	json_object_foreach(images, key, rec)
	{
		json_t *names = json_object_get(rec, "names");
		bool by_digest = r.digest[0] && !strcmp(key, r.digest);

		if (!by_digest && !strarr_has(names, name))
			continue;
		if (!by_digest)
			strarr_del(names, name);
		if (by_digest || json_array_size(names) == 0) {
			const char *holder =
			    json_string_value(json_object_get(a->leases, key));

			if (holder)
				return in_use(err, name, holder);
			json_object_del(images, key);
		}
		a->removed = true;
		return 1;
	}
	berr_set(err, "no such image: `%s`", a->arg);
	err->code = ENOENT;
	return -1;
}

int img_remove(struct img_store *s, const char *arg, struct berr *err)
{
	struct rm_arg a = {arg, NULL, false};
	int rc;

	if (img_store_lock(s, true, err) == -1)
		return -1;
	a.leases = img_leases_load(s);
	rc = records_update(s, rm_fn, &a, err);
	json_decref(a.leases);
	if (rc == 0)
		rc = img_gc(s, NULL, err);
	img_store_unlock(s);
	return rc;
}

struct prune_arg {
	bool all;
	json_t *leases;
};

static int prune_fn(json_t *images, void *p, struct berr *err)
{
	struct prune_arg *a = p;
	const char *key;
	json_t *rec, *tmp;

	json_object_foreach_safe(images, tmp, key, rec)
	{
		if (json_object_get(a->leases, key))
			continue;
		if (a->all ||
		    json_array_size(json_object_get(rec, "names")) == 0)
			json_object_del(images, key);
	}
	return 1;
}

int img_prune(struct img_store *s, bool all, uint64_t *freed, struct berr *err)
{
	struct prune_arg a = {all, NULL};
	int rc;

	if (img_store_lock(s, true, err) == -1)
		return -1;
	a.leases = img_leases_load(s);
	rc = records_update(s, prune_fn, &a, err);
	json_decref(a.leases);
	if (rc == 0)
		rc = img_gc(s, freed, err);
	img_store_unlock(s);
	return rc;
}

/* ---- listing ---- */

static json_t *chains_of(const struct img_store *s, const char *manifest)
{
	json_t *live = json_object(), *out = json_array();
	const char *key;
	json_t *v;

	mark_manifest(s, manifest, live);
	json_object_foreach(live, key, v) if (!strncmp(key, "chain:", 6))
	    json_array_append_new(out, json_string(key + 6));
	json_decref(live);
	return out;
}

static void split_name(const char *name, char *repo, size_t rl, char *tag,
		       size_t tl)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');

	if (colon) {
		snprintf(repo, rl, "%.*s", (int)(colon - name), name);
		snprintf(tag, tl, "%s", colon + 1);
	} else {
		snprintf(repo, rl, "%s", name);
		snprintf(tag, tl, "<none>");
	}
}

json_t *img_list(const struct img_store *s, struct berr *err)
{
	json_t *doc = img_records_load(s, err), *images, *rec, *rows, *uses;
	json_t *leases;
	const char *key;

	if (doc == NULL)
		return NULL;
	images = json_object_get(doc, "images");
	uses = json_object(); /* chain hex -> number of images */
	json_object_foreach(images, key, rec)
	{
		json_t *ch = chains_of(s, key), *c;
		size_t i;

		json_object_set_new(rec, "_chains", ch);
		json_array_foreach(ch, i, c)
		{
			const char *h = json_string_value(c);
			json_int_t n =
			    json_integer_value(json_object_get(uses, h));

			json_object_set_new(uses, h, json_integer(n + 1));
		}
	}
	leases = img_leases_load(s);
	rows = json_array();
	json_object_foreach(images, key, rec)
	{
		json_t *ch = json_object_get(rec, "_chains"), *c, *names;
		uint64_t size = 0, shared = 0;
		const char *cfg =
		    json_string_value(json_object_get(rec, "config"));
		const char *dg = json_string_value(
		    json_array_get(json_object_get(rec, "digests"), 0));
		const char *holder;
		int64_t added, used;
		size_t i, n;

		json_array_foreach(ch, i, c)
		{
			const char *h = json_string_value(c);
			uint64_t ls = layer_size(s, h);

			size += ls;
			if (json_integer_value(json_object_get(uses, h)) > 1)
				shared += ls;
		}
		added = json_integer_value(json_object_get(rec, "added"));
		used = img_last_used(s, key);
		holder = json_string_value(json_object_get(leases, key));
		names = json_object_get(rec, "names");
		n = json_array_size(names);
		for (i = 0; i < (n ? n : 1); i++) {
			char repo[600] = "<none>", tag[200] = "<none>";

			if (n)
				split_name(
				    json_string_value(json_array_get(names, i)),
				    repo, sizeof(repo), tag, sizeof(tag));
			else if (dg && strchr(dg, '@'))
				/* pulled by digest only: its repository */
				snprintf(repo, sizeof(repo), "%.*s",
					 (int)(strchr(dg, '@') - dg), dg);
			json_array_append_new(
			    rows,
			    json_pack(
				"{s:s, s:s, s:s, s:s, s:s?, s:I, s:I, "
				"s:I, s:I, s:O, s:I, s:b, s:s?}",
				"repository", repo, "tag", tag, "id",
				cfg ? cfg : "", "manifest", key, "digest", dg,
				"size", (json_int_t)size, "sharedSize",
				(json_int_t)shared, "uniqueSize",
				(json_int_t)(size - shared), "layers",
				(json_int_t)json_array_size(ch), "added",
				json_object_get(rec, "added"), "lastUsed",
				(json_int_t)(used > added ? used : added),
				"inUse", holder != NULL, "usedBy", holder));
		}
	}
	json_decref(leases);
	json_decref(uses);
	json_decref(doc);
	return json_pack("{s:o}", "images", rows);
}
