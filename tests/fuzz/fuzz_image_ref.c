/*
 * fuzz_image_ref.c - libFuzzer target for common/image_ref.c: any string
 * is either refused with a message or parsed into a reference whose
 * canonical form parses again to the very same reference (normalising is
 * idempotent), with a registry, a path and a tag or a digest.
 *
 * Built by `make fuzz` (build/fuzz/fuzz_image_ref); tests/run.sh runs it
 * for a bounded time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/image_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berr err = BERR_INIT;
	struct image_ref r, again;
	char *s = malloc(size + 1);
	char canon[1200];

	memcpy(s, data, size);
	s[size] = '\0';
	if (image_ref_parse(s, &r, &err) == 0) {
		if (r.domain[0] == '\0' || r.path[0] == '\0' ||
		    (r.tag[0] == '\0' && r.digest[0] == '\0'))
			abort();
		image_ref_string(&r, canon, sizeof(canon));
		if (image_ref_parse(canon, &again, &err) != 0 ||
		    memcmp(&r, &again, sizeof(r)) != 0)
			abort();
	} else if (err.msg[0] == '\0') {
		abort();
	}
	free(s);
	return 0;
}
