/*
 * clock.h - the daemon's two clocks and its pod timers, behind one seam so
 * unit tests drive time by hand. Wall time (CLOCK_REALTIME) is only for
 * what is shown or recorded; every duration and deadline is on the
 * monotonic clock (CLOCK_BOOTTIME: a suspended host still counts), which
 * restarts at each boot, so deadlines go to disk as wall time and are
 * converted back (clock_wall_to_mono, clock_mono_to_wall).
 */
#ifndef BERTH_ORCHESTRATOR_CLOCK_H
#define BERTH_ORCHESTRATOR_CLOCK_H

#include <stdint.h>
#include <uv.h>

/* A replacement for the real clocks and libuv timers (tests). */
struct clock_ops {
	int64_t (*wall_ms)(void);
	int64_t (*mono_ms)(void);
	void (*timer_start)(uv_timer_t *t, uv_timer_cb cb, uint64_t ms);
	void (*timer_stop)(uv_timer_t *t);
};

/* NULL: the real clocks and uv_timer_start/uv_timer_stop. */
void clock_use(const struct clock_ops *ops);

/* Milliseconds since the epoch: for display and records only. */
int64_t now_ms(void);
/* Milliseconds on the monotonic clock: for every duration and deadline. */
int64_t mono_ms(void);
/* Deadlines across a restart; 0 stays 0 (none). */
int64_t clock_mono_to_wall(int64_t mono);
int64_t clock_wall_to_mono(int64_t wall);

/* The pod timers (back-off, grace deadline, preStop sleep): one-shot,
 * handle initialised with uv_timer_init; stop before closing it. */
void clock_timer_start(uv_timer_t *t, uv_timer_cb cb, uint64_t ms);
void clock_timer_stop(uv_timer_t *t);

#endif
