/*
 * tap.h - minimal TAP producer for C unit tests. Each test binary prints
 * "ok N - name" / "not ok N - name" lines and a final plan; tests/run.sh sums
 * them. Exit status: 0 all passed, 1 some failed.
 */
#ifndef BERTH_TESTS_TAP_H
#define BERTH_TESTS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

#define ok(cond, ...)                                                          \
	do {                                                                   \
		int _c = !!(cond);                                             \
		tap_n++;                                                       \
		if (!_c)                                                       \
			tap_failed++;                                          \
		printf("%sok %d - ", _c ? "" : "not ", tap_n);                 \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		if (!_c)                                                       \
			printf("#   failed at %s:%d: %s\n", __FILE__,          \
			       __LINE__, #cond);                               \
		fflush(stdout);                                                \
	} while (0)

#define is_int(got, want, ...)                                                 \
	do {                                                                   \
		long long _g = (long long)(got), _w = (long long)(want);       \
		ok(_g == _w, __VA_ARGS__);                                     \
		if (_g != _w)                                                  \
			printf("#   got %lld, want %lld\n", _g, _w);           \
	} while (0)

#define is_str(got, want, ...)                                                 \
	do {                                                                   \
		const char *_g = (got), *_w = (want);                          \
		int _eq = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;         \
		ok(_eq, __VA_ARGS__);                                          \
		if (!_eq)                                                      \
			printf("#   got \"%s\", want \"%s\"\n",                \
			       _g ? _g : "(null)", _w ? _w : "(null)");        \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
