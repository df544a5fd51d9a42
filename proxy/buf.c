/*
 * buf.c - the growable byte buffer the proxy assembles requests and
 * replies in. Owns only the buffer memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "internal.h"

static void reserve(struct proxy_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->len + extra <= b->cap)
		return;
	while (cap < b->len + extra)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void proxy_buf_append(struct proxy_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void proxy_buf_printf(struct proxy_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* also tells the compiler why the vsnprintf below cannot see NULL */
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void proxy_buf_consume(struct proxy_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void proxy_buf_free(struct proxy_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
