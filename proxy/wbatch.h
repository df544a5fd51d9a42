/*
 * wbatch.h - a proxy thread's socket writes of one loop turn, sent
 * together with one io_uring_enter(2) at the turn's end (wbatch.c).
 * Not for use outside proxy/.
 */
#ifndef BERTH_PROXY_WBATCH_H
#define BERTH_PROXY_WBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct proxy_wbatch;

/* This thread's batch on loop, or NULL where io_uring is missing, refused
 * or turned off (BERTH_PROXY_URING=0): writes are then made one by one,
 * as before. Call on the thread that runs loop, before it runs. */
struct proxy_wbatch *proxy_wbatch_open(uv_loop_t *loop);
/* Sends what is queued and closes the batch's loop handles (the loop's
 * last turn frees it; see proxy_wbatch_free). */
void proxy_wbatch_close(struct proxy_wbatch *wb);
/* After the loop has ended: the ring and the memory. */
void proxy_wbatch_free(struct proxy_wbatch *wb);

/* Takes a copy of data for s if this thread has a batch and s may be
 * written to now (connected, nothing queued by libuv, not shutting
 * down): 1, and the bytes go out at the turn's end in order with any
 * other write to s of this turn; what the socket does not take then goes
 * to libuv's queue for s (no callback). 0: not taken, write as before. */
int proxy_wbatch_write(uv_stream_t *s, const void *data, size_t n);
/* Sends this thread's queued writes now. Called before anything that
 * must come after them: a write that bypasses the batch, a shutdown, a
 * close (the socket's descriptor goes with it). */
void proxy_wbatch_flush(void);

/* The thread's read buffer for data that will go out through the batch
 * (64 KiB, *len set), or NULL without a batch. Valid until the next read
 * on this thread: what must outlive it is copied. */
char *proxy_wbatch_read_buffer(size_t *len);

/* Whether this thread has a working batch. */
bool proxy_wbatch_active(void);

/* Whether batches are made (the environment: BERTH_PROXY_URING=0 turns
 * them off), and a switch for tests and benchmarks. */
bool proxy_wbatch_enabled(void);
void proxy_wbatch_set_enabled(bool on);

#endif
