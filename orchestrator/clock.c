/*
 * clock.c - wall and monotonic time and the pod timers, real or replaced
 * by a test's (clock_use). Knows nothing about pods.
 */
#include "clock.h"

#include <time.h>

static const struct clock_ops *ops;

void clock_use(const struct clock_ops *o)
{
	ops = o;
}

static int64_t read_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_ms(void)
{
	return ops ? ops->wall_ms() : read_ms(CLOCK_REALTIME);
}

int64_t mono_ms(void)
{
	return ops ? ops->mono_ms() : read_ms(CLOCK_BOOTTIME);
}

int64_t clock_mono_to_wall(int64_t mono)
{
	return mono ? now_ms() + (mono - mono_ms()) : 0;
}

int64_t clock_wall_to_mono(int64_t wall)
{
	int64_t mono;

	if (wall == 0)
		return 0;
	mono = mono_ms() + (wall - now_ms());
	return mono > 0 ? mono : 1; /* 0 means none */
}

void clock_timer_start(uv_timer_t *t, uv_timer_cb cb, uint64_t ms)
{
	if (ops)
		ops->timer_start(t, cb, ms);
	else
		uv_timer_start(t, cb, ms, 0);
}

void clock_timer_stop(uv_timer_t *t)
{
	if (ops)
		ops->timer_stop(t);
	else
		uv_timer_stop(t);
}
