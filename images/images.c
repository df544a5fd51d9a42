/*
 * images.c - the images layer's entry points for the orchestrator:
 * resolve a reference under a pull policy into layer folders and an image
 * config, build overlay's lowerdir, pull back-off. Owns no files itself
 * (store.c does); knows nothing about pods.
 */
#include "images.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

#define MOUNT_DATA_MAX 4095 /* one page with its NUL */

const char *images_failure_reason(enum images_failure f)
{
	switch (f) {
	case IMAGES_OK:
		return "";
	case IMAGES_INVALID_NAME:
		return "InvalidImageName";
	case IMAGES_ERR_PULL:
		return "ErrImagePull";
	case IMAGES_NEVER_PULL:
		return "ErrImageNeverPull";
	case IMAGES_ERR_STORE:
		return "CreateContainerError";
	}
	return "";
}

int images_pull_backoff_seconds(int failures)
{
	int s = 10;

	for (int i = 1; i < failures && s < 300; i++)
		s *= 2;
	return s > 300 ? 300 : s;
}

/* Fills out from the record of manifest (the store's lock held). */
static int load_image(struct img_store *s, const char *manifest,
		      struct images_resolved *out, struct berr *err)
{
	if (!image_digest_valid(manifest))
		return berr_set(err, "bad manifest digest `%.80s`", manifest);
	char *buf = NULL;
	size_t len;
	struct oci_manifest m;
	char(*chains)[IMAGE_DIGEST_LEN + 1];
	int rc;

	if (img_blob_read(s, manifest, &buf, &len, err) == -1)
		return -1;
	rc = oci_manifest_parse(buf, len, &m, err);
	free(buf);
	if (rc == -1)
		return -1;
	snprintf(out->manifest, sizeof(out->manifest), "%s", manifest);
	snprintf(out->image_id, sizeof(out->image_id), "%s", m.config.digest);
	out->size = m.config.size;
	for (size_t i = 0; i < m.n_layers; i++)
		out->size += m.layers[i].size;
	if (img_blob_read(s, m.config.digest, &buf, &len, err) == -1) {
		oci_manifest_free(&m);
		return -1;
	}
	rc = oci_config_parse(buf, len, &out->config, err);
	free(buf);
	if (rc == 0)
		/* present already, or unpacked now if a crash lost a layer */
		rc = img_layers_ensure(s, &m, &out->config, err);
	oci_manifest_free(&m);
	if (rc == -1)
		return -1;
	out->n_layers = out->config.n_diff_ids;
	out->layers = xcalloc(out->n_layers + 1, sizeof(char *));
	out->short_layers = xcalloc(out->n_layers + 1, sizeof(char *));
	chains = xcalloc(out->n_layers, sizeof(*chains));
	oci_chain_ids((const char(*)[IMAGE_DIGEST_LEN + 1])
			  out->config.diff_ids,
		      out->n_layers, chains);
	for (size_t i = 0; i < out->n_layers && rc == 0; i++) {
		char p[PATH_MAX];

		img_layer_root(s, chains[i], p, sizeof(p));
		out->layers[i] = xstrdup(p);
		rc = img_layer_short(s, chains[i], p, sizeof(p), err);
		out->short_layers[i] = xstrdup(rc == 0 ? p : "");
	}
	free(chains);
	return rc;
}

/* The repo digest recorded for manifest in repository repo, if any. */
static void find_repo_digest(struct img_store *s, const char *manifest,
			     const struct image_ref *r, char *out, size_t len)
{
	struct berr err = BERR_INIT;
	json_t *doc = img_records_load(s, &err), *d;
	char prefix[600];
	size_t i;

	out[0] = '\0';
	snprintf(prefix, sizeof(prefix), "%s/%s@", r->domain, r->path);
	json_array_foreach(
	    json_object_get(
		json_object_get(json_object_get(doc, "images"), manifest),
		"digests"),
	    i, d)
	{
		const char *v = json_string_value(d);

		if (v && strncmp(v, prefix, strlen(prefix)) == 0) {
			snprintf(out, len, "%s", v);
			break;
		}
	}
	json_decref(doc);
}

int images_resolve(struct img_store *s, const char *ref,
		   enum image_pull_policy policy,
		   const struct img_pull_opts *pull, const char *lease,
		   struct images_resolved *out, enum images_failure *why,
		   struct berr *err)
{
	char manifest[IMAGE_DIGEST_LEN + 1];
	struct image_ref r;
	bool have;
	int rc;

	memset(out, 0, sizeof(*out));
	*why = IMAGES_OK;
	if (image_ref_parse(ref, &r, err) == -1) {
		*why = IMAGES_INVALID_NAME;
		return -1;
	}
	image_ref_string(&r, out->name, sizeof(out->name));
	if (img_store_lock(s, false, err) == -1) {
		*why = IMAGES_ERR_STORE;
		return -1;
	}
	have = img_record_find(s, &r, manifest, err) == 0;
	if (!have && err->code != ENOENT) {
		*why = IMAGES_ERR_STORE;
		goto fail;
	}
	if (policy == IMAGE_PULL_NEVER && !have) {
		berr_set(err,
			 "Container image \"%s\" is not present with pull "
			 "policy of Never",
			 ref);
		*why = IMAGES_NEVER_PULL;
		goto fail;
	}
	if (policy == IMAGE_PULL_ALWAYS ||
	    (policy == IMAGE_PULL_IF_NOT_PRESENT && !have)) {
		if (img_pull(s, ref, pull, NULL, err) == -1) {
			*why = IMAGES_ERR_PULL;
			goto fail;
		}
		out->pulled = true;
		if (img_record_find(s, &r, manifest, err) == -1) {
			*why = IMAGES_ERR_PULL;
			goto fail;
		}
	}
	rc = load_image(s, manifest, out, err);
	if (rc == 0 && lease)
		rc = img_lease_set(s, lease, manifest, err);
	if (rc == -1) {
		*why = IMAGES_ERR_STORE;
		goto fail;
	}
	find_repo_digest(s, manifest, &r, out->repo_digest,
			 sizeof(out->repo_digest));
	img_store_unlock(s);
	return 0;
fail:
	img_store_unlock(s);
	images_resolved_free(out);
	return -1;
}

int images_load(struct img_store *s, const char *manifest,
		struct images_resolved *out, struct berr *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (img_store_lock(s, false, err) == -1)
		return -1;
	rc = load_image(s, manifest, out, err);
	img_store_unlock(s);
	if (rc == -1)
		images_resolved_free(out);
	return rc;
}

void images_resolved_free(struct images_resolved *r)
{
	for (size_t i = 0; r->layers && i < r->n_layers; i++)
		free(r->layers[i]);
	for (size_t i = 0; r->short_layers && i < r->n_layers; i++)
		free(r->short_layers[i]);
	free(r->layers);
	free(r->short_layers);
	r->layers = r->short_layers = NULL;
	r->n_layers = 0;
	oci_config_free(&r->config);
}

int images_lowerdir(const struct images_resolved *r, size_t reserve, char **out,
		    struct berr *err)
{
	size_t len = strlen("lowerdir=") + 1, o;
	char *s;

	if (r->n_layers == 0)
		return berr_set(err, "image `%s` has no layers", r->name);
	for (size_t i = 0; i < r->n_layers; i++)
		len += strlen(r->short_layers[i]) + 1;
	if (len + reserve > MOUNT_DATA_MAX)
		return berr_set(err,
				"image `%s`: %zu layers need %zu bytes of "
				"mount options, more than a page; mount them "
				"with lowerdir+",
				r->name, r->n_layers, len + reserve);
	s = xmalloc(len);
	o = (size_t)sprintf(s, "lowerdir=");
	for (size_t i = r->n_layers; i-- > 0;)
		o += (size_t)sprintf(s + o, "%s%s", r->short_layers[i],
				     i ? ":" : "");
	*out = s;
	return 0;
}
