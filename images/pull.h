/*
 * pull.h - images from a registry, through skopeo (exec'd, as runc is):
 * registries.conf, credentials, mirrors and TLS are the containers
 * tools' own. Knows nothing about pods.
 */
#ifndef BERTH_IMAGES_PULL_H
#define BERTH_IMAGES_PULL_H

#include <jansson.h>
#include <stddef.h>

#include "../common/err.h"
#include "store.h"

struct img_pull_opts {
	const char *skopeo;    /* NULL: "skopeo" from PATH */
	char *const *insecure; /* registries ("host[:port]") reached
				  without TLS verification / over HTTP */
	size_t n_insecure;
	const char *auth_file;	     /* NULL: skopeo's default */
	const char *registries_conf; /* NULL: /etc/containers/registries.conf */
};

/*
 * Pulls ref (any reference image_ref_parse takes) for the host's platform:
 * `skopeo copy docker://REF dir:TMP` into a work folder of the store, then
 * imports it under the reference's name. *out (may be NULL) gets the
 * import result. Blocks until skopeo is done: run it off the loop.
 */
int img_pull(struct img_store *s, const char *ref,
	     const struct img_pull_opts *o, json_t **out, struct berr *err);

#endif
