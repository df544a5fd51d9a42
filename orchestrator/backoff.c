/*
 * backoff.c - restart delays. Knows nothing about pods or timers.
 */
#include "backoff.h"

int64_t backoff_delay_ms(int crashes, int initial_seconds, int max_seconds)
{
	int64_t delay = initial_seconds;

	if (crashes <= 1)
		return 0;
	for (int i = 2; i < crashes && delay < max_seconds; i++)
		delay *= 2;
	if (delay > max_seconds)
		delay = max_seconds;
	return delay * 1000;
}

bool backoff_resets(int64_t ran_ms, int reset_seconds)
{
	return ran_ms >= (int64_t)reset_seconds * 1000;
}
