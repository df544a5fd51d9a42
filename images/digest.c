/*
 * digest.c - sha256 over OpenSSL's EVP (the one hash of the image store).
 * Owns hashing only; what a digest means is store.c's business.
 */
#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "../common/log.h"

void sha256_init(struct sha256 *h)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("sha256: cannot initialise OpenSSL's digest");
	h->md = md;
}

void sha256_update(struct sha256 *h, const void *buf, size_t len)
{
	if (EVP_DigestUpdate(h->md, buf, len) != 1)
		fatalx("sha256: EVP_DigestUpdate failed");
}

void sha256_final(struct sha256 *h, char out[IMAGE_DIGEST_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->md, md, &n) != 1 || n != 32)
		fatalx("sha256: EVP_DigestFinal_ex failed");
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

void sha256_abort(struct sha256 *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

void sha256_buf(const void *buf, size_t len, char out[IMAGE_DIGEST_LEN + 1])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, buf, len);
	sha256_final(&h, out);
}

int sha256_fd(int fd, char out[IMAGE_DIGEST_LEN + 1], struct berr *err)
{
	char buf[65536];
	struct sha256 h;
	ssize_t n;

	sha256_init(&h);
	while ((n = RETRY_EINTR(read(fd, buf, sizeof(buf)))) > 0)
		sha256_update(&h, buf, (size_t)n);
	if (n == -1) {
		sha256_abort(&h);
		return berr_errno(err, errno, "read");
	}
	sha256_final(&h, out);
	return 0;
}
