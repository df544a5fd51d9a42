/*
 * loop_stall.c - a diagnostic for the daemon's loop: with
 * BERTH_LOOP_STALL_MS=N in the environment, every loop iteration whose
 * callbacks ran for more than N ms (time spent waiting in epoll not
 * counted, through libuv's idle-time metric) is logged with its length
 * and the wall time it took, so a stall is told apart from the thread
 * waiting for a CPU. Off (no handle at all) without the variable. It
 * only measures: it must not touch pods or anything of the daemon.
 */
#include "loop_stall.h"

#include <stdbool.h>
#include <stdlib.h>

#include "../common/log.h"

static uv_check_t check;
static uint64_t threshold_ns, last_ns, last_idle_ns;
static bool on;

static void on_check(uv_check_t *h)
{
	uint64_t now = uv_hrtime();
	uint64_t idle = uv_metrics_idle_time(h->loop);
	uint64_t wall = now - last_ns, busy = wall - (idle - last_idle_ns);

	if (busy > threshold_ns)
		log_info("loop: an iteration ran callbacks for %llu ms (%llu "
			 "ms in all)",
			 (unsigned long long)(busy / 1000000),
			 (unsigned long long)(wall / 1000000));
	last_ns = now;
	last_idle_ns = idle;
}

void loop_stall_start(uv_loop_t *loop)
{
	const char *v = getenv("BERTH_LOOP_STALL_MS");
	char *end;
	long ms;

	if (v == NULL || *v == '\0')
		return;
	ms = strtol(v, &end, 10);
	if (*end != '\0' || ms < 0) {
		log_warnx("BERTH_LOOP_STALL_MS=%s: not a number of ms; ignored",
			  v);
		return;
	}
	if (uv_loop_configure(loop, UV_METRICS_IDLE_TIME) != 0)
		return;
	threshold_ns = (uint64_t)ms * 1000000;
	last_ns = uv_hrtime();
	last_idle_ns = uv_metrics_idle_time(loop);
	uv_check_init(loop, &check);
	uv_check_start(&check, on_check);
	uv_unref((uv_handle_t *)&check);
	on = true;
}

void loop_stall_stop(void)
{
	if (!on)
		return;
	on = false;
	if (!uv_is_closing((uv_handle_t *)&check))
		uv_close((uv_handle_t *)&check, NULL);
}
