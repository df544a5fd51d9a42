/*
 * image_ref.h - image references as Kubernetes and containerd read them:
 * `nginx` is `docker.io/library/nginx:latest`, `host:port/name:tag`,
 * `name@sha256:HEX`, tag and digest together. Pure string work: no I/O,
 * nothing about the store, registries or pods.
 */
#ifndef BERTH_COMMON_IMAGE_REF_H
#define BERTH_COMMON_IMAGE_REF_H

#include <stdbool.h>

#include "err.h"

#define IMAGE_REF_NAME_MAX 255 /* the distribution spec's limit */
#define IMAGE_REF_TAG_MAX 128
#define IMAGE_DIGEST_LEN 71 /* "sha256:" + 64 hex */

struct image_ref {
	char domain[IMAGE_REF_NAME_MAX + 1]; /* "docker.io", "localhost:5000" */
	char path[IMAGE_REF_NAME_MAX + 1];   /* "library/nginx" */
	char tag[IMAGE_REF_TAG_MAX + 1];   /* "" when only a digest is given */
	char digest[IMAGE_DIGEST_LEN + 1]; /* "sha256:..." or "" */
};

/*
 * Parses and normalises s. Without a domain the image is on docker.io
 * (`index.docker.io` is the same registry), and a one-component docker.io
 * path gets `library/`. Without a tag or digest the tag is `latest`. Only
 * sha256 digests are accepted (64 lowercase hex). Fails with a message
 * naming what is wrong ("invalid reference format: ...").
 */
int image_ref_parse(const char *s, struct image_ref *out, struct berr *err);

/* "docker.io/library/nginx" */
void image_ref_name(const struct image_ref *r, char *buf, size_t len);
/* The canonical form: "docker.io/library/nginx:1.25@sha256:..." (tag and
 * digest only when present). */
void image_ref_string(const struct image_ref *r, char *buf, size_t len);
/* What a registry is asked for: the digest when there is one, else the tag
 * ("docker.io/library/nginx@sha256:..." or "...nginx:1.25"). */
void image_ref_pull_string(const struct image_ref *r, char *buf, size_t len);

/* A config value that names a folder rather than a reference: it starts
 * with `/`, `./` or `../` (or is `.` or `..`). */
bool image_ref_is_folder(const char *value);

/* True for "sha256:" + 64 lowercase hex. */
bool image_digest_valid(const char *d);

enum image_pull_policy {
	IMAGE_PULL_ALWAYS,
	IMAGE_PULL_IF_NOT_PRESENT,
	IMAGE_PULL_NEVER
};

/* The kubelet's default: Always for `:latest` or no tag (and no digest),
 * else IfNotPresent. */
enum image_pull_policy image_ref_default_policy(const struct image_ref *r);
/* "Always" | "IfNotPresent" | "Never" -> 0, or -1 if none matches. */
int image_pull_policy_parse(const char *s, enum image_pull_policy *out);
const char *image_pull_policy_str(enum image_pull_policy p);

#endif
