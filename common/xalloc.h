/*
 * xalloc.h - allocation that aborts on out-of-memory, so callers never
 * NULL-check. Leaf module: libc only.
 */
#ifndef BERTH_COMMON_XALLOC_H
#define BERTH_COMMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Zeroed, at an address that is a multiple of align (a power of two, at
 * least sizeof(void *)); freed with free(). */
void *xcalloc_aligned(size_t align, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Frees *p and sets it to NULL. */
#define xfree(p)                                                               \
	do {                                                                   \
		free(p);                                                       \
		(p) = NULL;                                                    \
	} while (0)

#endif
