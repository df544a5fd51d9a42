/*
 * wait_until.h - for C tests: wait for an event instead of sleeping for a
 * guessed time. wait_until(cond, ms) evaluates cond every 10 ms until it
 * holds or ms milliseconds have passed, and yields its last value, so a
 * test asserts on it: ok(wait_until(x == 0, 3000), "...").
 * Test code only; no TAP output of its own.
 */
#ifndef BERTH_TESTS_WAIT_UNTIL_H
#define BERTH_TESTS_WAIT_UNTIL_H

#include <stdint.h>
#include <time.h>
#include <unistd.h>

static inline int64_t wait_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define wait_until(cond, ms)                                                   \
	({                                                                     \
		int64_t _end = wait_ms_now() + (ms);                           \
		int _held;                                                     \
		while (!(_held = !!(cond)) && wait_ms_now() < _end)            \
			usleep(10000);                                         \
		_held;                                                         \
	})

#endif
