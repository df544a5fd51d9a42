/*
 * store.h - the content-addressed image store under STATE_DIR/images:
 * verified blobs, one folder per unpacked layer chain, image records
 * (name -> manifest digest), leases that keep images in use, GC. Knows
 * nothing about registries, tarball formats or pods.
 *
 *   blobs/sha256/HEX        every blob, written only once its sha256 matched
 *   layers/CHAINHEX/root/   a layer unpacked above its lower chain
 *   layers/CHAINHEX/meta.json  {"diffId","blob","size","short"}
 *   l/SHORT -> ../layers/CHAINHEX/root   short names for overlay lowerdir
 *   images.json             the records
 *   leases/HOLDER           a manifest digest someone uses (a pod, or
 *                           revision.DEPLOYMENT.N: a kept revision)
 *   used/HEX                mtime: when manifest HEX was last used (LRU)
 *   tmp/                    work folders; removed by GC
 *   lock                    flock: shared while adding or reading,
 *                           exclusive while deleting (rm, prune, GC)
 *
 * Crash safety: a blob or a layer appears under its final name only by
 * rename(2) after fsync/syncfs, and a record is written (atomically) only
 * once everything it names is in place; a half pull leaves only tmp/.
 */
#ifndef BERTH_IMAGES_STORE_H
#define BERTH_IMAGES_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/image_ref.h"
#include "oci.h"

/* Not thread-safe (the lock depth is per struct): a worker thread opens
 * its own with img_store_open(); flock then orders them like processes. */
struct img_store {
	char *dir; /* STATE_DIR/images */
	int lock_fd;
	int lock_mode;	/* 0 none, 1 shared, 2 exclusive */
	int lock_depth; /* nested img_store_lock() calls */
};

/* Creates the folders if needed. Takes no lock. */
int img_store_open(const char *state_dir, struct img_store **out,
		   struct berr *err);
void img_store_close(struct img_store *s);
/* flock on `lock`; blocks. exclusive for rm/prune/GC. Nests: an inner
 * call keeps (or upgrades) the outer lock; the last unlock releases. */
int img_store_lock(struct img_store *s, bool exclusive, struct berr *err);
void img_store_unlock(struct img_store *s);

/* A new empty work folder under tmp/ (same filesystem as the store). */
int img_store_tmpdir(struct img_store *s, const char *prefix, char **out,
		     struct berr *err);

/* ---- blobs ---- */
void img_blob_path(const struct img_store *s, const char *digest, char *buf,
		   size_t len);
bool img_blob_exists(const struct img_store *s, const char *digest);
/* Copies fd to a blob, hashing as it goes; want (may be NULL) must match.
 * The digest written is put in got (may be NULL). */
int img_blob_put_fd(struct img_store *s, int fd, const char *want, char *got,
		    struct berr *err);
int img_blob_put_buf(struct img_store *s, const void *buf, size_t len,
		     char *got, struct berr *err);
/* Reads a small blob (manifest, config) and checks its digest. */
int img_blob_read(const struct img_store *s, const char *digest, char **buf,
		  size_t *len, struct berr *err);

/* ---- layers ---- */
/* Makes sure every layer of the manifest is unpacked (verifying each
 * blob's digest and diff_id); layer i goes above layers 0..i-1. */
int img_layers_ensure(struct img_store *s, const struct oci_manifest *m,
		      const struct oci_image_config *c, struct berr *err);
void img_layer_root(const struct img_store *s, const char *chain, char *buf,
		    size_t len);
/* "STATE/images/l/SHORT", the short name of a chain's root. */
int img_layer_short(const struct img_store *s, const char *chain, char *buf,
		    size_t len, struct berr *err);

/* ---- records ---- */
/* Adds (or moves) name to the record of manifest (digest); name may be
 * NULL (an unnamed image). repo_digest ("repo@sha256:...") may be NULL. */
int img_record_add(struct img_store *s, const char *manifest,
		   const char *config, const char *name,
		   const char *repo_digest, struct berr *err);
/* Finds the manifest digest of a parsed reference: by digest when it has
 * one, else by name:tag. Returns 0, or -1 with err->code ENOENT. */
int img_record_find(const struct img_store *s, const struct image_ref *r,
		    char manifest[IMAGE_DIGEST_LEN + 1], struct berr *err);
/* Finds the manifest of arg: a unique prefix (4+ hex) of an image ID or
 * manifest digest, or a reference. */
int img_record_lookup(const struct img_store *s, const char *arg,
		      char manifest[IMAGE_DIGEST_LEN + 1], struct berr *err);
/* A copy of the record of manifest ({config,names,digests,added}), or
 * NULL. */
json_t *img_record_get(const struct img_store *s, const char *manifest);
/* Loads images.json ({"images":{MANIFEST:{config,names,digests,added}}}). */
json_t *img_records_load(const struct img_store *s, struct berr *err);

/* `image rm`: arg is a reference, a manifest/config digest or a unique
 * prefix of the image ID. A name only removes that name; an ID removes
 * the record. Images under a lease are refused. Then GC. */
int img_remove(struct img_store *s, const char *arg, struct berr *err);
/* `image prune`: records with no name (all unused ones with all), then GC.
 * *freed is the bytes of layers removed. */
int img_prune(struct img_store *s, bool all, uint64_t *freed, struct berr *err);
/* Deletes blobs, layers and short names no record or lease needs, and
 * tmp/. Needs the exclusive lock (takes it). */
int img_gc(struct img_store *s, uint64_t *freed, struct berr *err);

/* ---- leases: images in use (store_leases.c) ---- */
/* Both mark the image used now (img_last_used()). */
int img_lease_set(struct img_store *s, const char *holder, const char *manifest,
		  struct berr *err);
int img_lease_drop(struct img_store *s, const char *holder, struct berr *err);
/* manifest digest -> holder name, for every lease. */
json_t *img_leases_load(const struct img_store *s);
/* The leases whose holder starts with prefix become exactly holders[i] ->
 * the image refs[i] names, for those of the n references the store has;
 * every other lease with that prefix is dropped. Files are written only
 * when they change. */
int img_leases_sync(struct img_store *s, const char *prefix,
		    char *const *holders, char *const *refs, size_t n,
		    struct berr *err);
/* Seconds since the epoch the image was last used by a lease holder; 0
 * never. */
int64_t img_last_used(const struct img_store *s, const char *manifest);

/* ---- listing ---- */
/* {"images":[{"repository","tag","id","manifest","digest","size",
 *  "sharedSize","uniqueSize","layers","added","lastUsed","inUse",
 *  "usedBy"}]}: lastUsed is the later of added and img_last_used();
 *  usedBy a lease holder, or absent: one row per name
 * (an unnamed image one row with "<none>"). */
json_t *img_list(const struct img_store *s, struct berr *err);

#endif
