/*
 * images.h - what the rest of berth calls: a reference and a pull policy
 * in, the ordered layer folders and the image config out; the overlay
 * lowerdir option; the kubelet's pull back-off. Knows nothing about pods:
 * the caller says who holds an image (a lease named after the pod).
 */
#ifndef BERTH_IMAGES_IMAGES_H
#define BERTH_IMAGES_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/image_ref.h"
#include "oci.h"
#include "pull.h"
#include "store.h"

/* Why a resolve failed, as the kubelet names a waiting container. */
enum images_failure {
	IMAGES_OK,
	IMAGES_INVALID_NAME, /* InvalidImageName */
	IMAGES_ERR_PULL,     /* ErrImagePull (then ImagePullBackOff) */
	IMAGES_NEVER_PULL,   /* ErrImageNeverPull */
	IMAGES_ERR_STORE,    /* the store itself failed (corrupt, disk) */
};

struct images_resolved {
	char name[600]; /* "docker.io/library/nginx:1.25" */
	char manifest[IMAGE_DIGEST_LEN + 1];
	char image_id[IMAGE_DIGEST_LEN + 1]; /* config digest, `images` ID */
	char repo_digest[700]; /* "docker.io/library/nginx@sha256:...", the
				  kubelet's imageID; "" for imported images */
	char **layers;	       /* layer root folders, lowest first */
	char **short_layers;   /* STATE/images/l/SHORT, same order */
	size_t n_layers;
	struct oci_image_config config; /* Entrypoint, Cmd, Env, ... */
	bool pulled;			/* this call pulled it */
	int64_t size; /* the config and layer blobs, as the registry has them */
};

/*
 * Resolves ref under policy: Never uses only what is in the store,
 * IfNotPresent pulls when missing, Always pulls (then uses what came).
 * When lease is not NULL, the image is leased to that holder (a pod name)
 * before the store's lock is released, so no prune can take it between
 * resolve and use; drop it with img_lease_drop(). Blocks while pulling:
 * call it off the event loop. On failure *why says which waiting reason
 * applies and err the message.
 */
int images_resolve(struct img_store *s, const char *ref,
		   enum image_pull_policy policy,
		   const struct img_pull_opts *pull, const char *lease,
		   struct images_resolved *out, enum images_failure *why,
		   struct berr *err);
/* The same for a manifest digest already in the store (no name, no
 * repo digest, no pull, no lease). */
int images_load(struct img_store *s, const char *manifest,
		struct images_resolved *out, struct berr *err);
void images_resolved_free(struct images_resolved *r);

/* The reason string for a failure ("ErrImagePull", ...). */
const char *images_failure_reason(enum images_failure f);

/*
 * "lowerdir=SHORT_TOP:...:SHORT_BOTTOM" (overlayfs lists the top layer
 * first) built from the short names, so a 100-layer image still fits a
 * mount option page. reserve is what the caller adds (",upperdir=...,
 * workdir=..."); fails when the whole would pass 4095 bytes, in which
 * case the caller must add layers one by one with fsconfig(2)
 * "lowerdir+" (Linux 6.8) from r->layers.
 */
int images_lowerdir(const struct images_resolved *r, size_t reserve, char **out,
		    struct berr *err);

/* ImagePullBackOff: 10 s after the first failure, doubling to 300 s. */
int images_pull_backoff_seconds(int failures);

#endif
