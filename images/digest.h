/*
 * digest.h - sha256 digests of streams and files ("sha256:HEX"), through
 * OpenSSL's EVP interface. Knows nothing about blobs or layers.
 */
#ifndef BERTH_IMAGES_DIGEST_H
#define BERTH_IMAGES_DIGEST_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/image_ref.h"

struct sha256 {
	void *md; /* EVP_MD_CTX */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *buf, size_t len);
/* Writes "sha256:" + 64 hex into out and frees the context. */
void sha256_final(struct sha256 *h, char out[IMAGE_DIGEST_LEN + 1]);
/* Frees the context without a result (error paths). */
void sha256_abort(struct sha256 *h);
void sha256_buf(const void *buf, size_t len, char out[IMAGE_DIGEST_LEN + 1]);
/* Reads fd from its current offset to the end. */
int sha256_fd(int fd, char out[IMAGE_DIGEST_LEN + 1], struct berr *err);

#endif
