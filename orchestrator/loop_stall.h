/*
 * loop_stall.h - logs loop iterations that ran callbacks for longer than
 * BERTH_LOOP_STALL_MS (a diagnostic, off by default).
 */
#ifndef BERTH_ORCHESTRATOR_LOOP_STALL_H
#define BERTH_ORCHESTRATOR_LOOP_STALL_H

#include <uv.h>

void loop_stall_start(uv_loop_t *loop);
void loop_stall_stop(void);

#endif
