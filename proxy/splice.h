/*
 * splice.h - zero-copy bidirectional copy between two connected tcp
 * sockets with splice(2) through a pipe per direction, for tcp mode.
 * Not for use outside proxy/.
 */
#ifndef BERTH_PROXY_SPLICE_H
#define BERTH_PROXY_SPLICE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct proxy_splice;

/* Whether tcp mode splices: yes unless BERTH_PROXY_SPLICE=0 is in the
 * environment (read once) or proxy_splice_set_enabled said otherwise. */
bool proxy_splice_enabled(void);
void proxy_splice_set_enabled(bool on);

/*
 * Starts copying between the sockets of a and b (connected tcp streams
 * that are not reading and have no write queued; they stay owned by the
 * caller and must stay idle until done). The splice works on duplicates of
 * their fds, so the caller closes a and b as usual. EOF from one side
 * shuts down the write side of the other (half-close).
 *
 * done runs once: status 0 when both directions ended, a uv error when one
 * failed, or UV_ENOSYS when the kernel refused splice before any byte
 * moved (the caller may then fall back to proxy_pipe_start on the same
 * streams). After done, or to abort, the caller calls proxy_splice_close.
 * Returns NULL (nothing started) when pipes or fds are not available.
 */
struct proxy_splice *
proxy_splice_start(uv_loop_t *loop, uv_stream_t *a, uv_stream_t *b,
		   void (*done)(struct proxy_splice *sp, int status),
		   void *data);
/* The data given to proxy_splice_start. */
void *proxy_splice_data(const struct proxy_splice *sp);
/* Bytes moved so far: [0] a to b, [1] b to a. */
uint64_t proxy_splice_bytes(const struct proxy_splice *sp, int dir);
/* Stops copying (done is not called afterwards), closes the duplicated
 * fds and pipes and frees sp once its poll handles are closed. */
void proxy_splice_close(struct proxy_splice *sp);

#endif
