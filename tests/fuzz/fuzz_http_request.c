/*
 * fuzz_http_request.c - libFuzzer target for the proxy's request path:
 * arbitrary bytes, split at a fuzzer-chosen point, go through the request
 * parser and head rewriter exactly as client reads do (pipelined requests
 * included). Every input must end in a parsed request or a refusal
 * (-1 => 400), never a crash, a leak or an out-of-bounds access; every
 * forwarded head must be well formed.
 *
 * Build and run (from the repository root, independent of the Makefile):
 *   clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -I. -I/usr/share/include/llhttp tests/fuzz/fuzz_http_request.c \
 *     proxy/http_msg.c proxy/buf.c common/xalloc.c common/log.c \
 *     /usr/share/llhttp/api.c /usr/share/llhttp/http.c \
 *     /usr/share/llhttp/llhttp.c -o build/fuzz_http_request
 *   mkdir -p build/fuzz-corpus
 *   ./build/fuzz_http_request -max_total_time=20 build/fuzz-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proxy/http_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_head(const struct proxy_hreq *r)
{
	/* A forwarded head starts with a method and ends its headers. */
	if (r->out.len < 4 ||
	    memmem(r->out.p, r->out.len, "\r\n\r\n", 4) == NULL)
		abort();
	if (memmem(r->out.p, r->out.len, "Via: ", 5) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hreq r;
	const char *p = (const char *)data;
	size_t split = size ? data[0] % (size + 1) : 0;
	size_t off = 0, lim = split, used;
	int requests = 0;

	proxy_hreq_init(&r, "127.0.0.1");
	while (off < size && requests < 64) {
		size_t n = (lim > off ? lim : size) - off;

		if (proxy_hreq_feed(&r, p + off, n, &used) == -1)
			break;
		if (r.head_done && requests == 0)
			check_head(&r);
		off += used;
		if (r.complete) {
			requests++;
			if (r.upgrade)
				break; /* the rest is tunnel bytes */
			proxy_hreq_next(&r);
			lim = size;
			continue;
		}
		if (used < n)
			break;
		if (off >= lim)
			lim = size;
		r.out.len = 0; /* forwarded */
	}
	proxy_hreq_free(&r);
	return 0;
}
