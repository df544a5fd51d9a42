/*
 * ws.h - WebSocket (RFC 6455) framing for the Kubernetes API's streams
 * (pods/exec): the handshake's accept key, server frames, and an
 * incremental parser of masked client frames. Pure; no I/O.
 */
#ifndef BERTH_KUBE_WS_H
#define BERTH_KUBE_WS_H

#include <stddef.h>
#include <stdint.h>

#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa

/* base64(SHA-1(key + GUID)): 28 characters and the NUL. */
#define WS_ACCEPT_LEN 29
#define WS_FRAME_HEADER_MAX 10

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key; -1 for a bad key. */
int ws_accept_key(const char *client_key, char out[WS_ACCEPT_LEN]);

/* The header of an unmasked server frame (FIN set) carrying len bytes;
 * returns its length (at most WS_FRAME_HEADER_MAX). */
size_t ws_frame_header(unsigned char *out, int opcode, size_t len);

/* A whole message (fragments joined; opcode TEXT or BINARY) or a control
 * frame (CLOSE, PING, PONG). Return -1 to stop parsing. */
typedef int (*ws_message_cb)(void *arg, int opcode, const unsigned char *data,
			     size_t len);

struct ws_parser {
	size_t max_message;
	unsigned char *msg; /* the message being joined */
	size_t msg_len;
	int msg_opcode;
	int in_message;
	unsigned char *ctl;
	unsigned char *pending; /* ws_feed: bytes of a frame not yet whole */
	size_t pending_len;
};

void ws_parser_init(struct ws_parser *p, size_t max_message);
void ws_parser_free(struct ws_parser *p);

/*
 * Consumes whole frames of buf; *used says how many bytes (an incomplete
 * frame's bytes stay for the next call, with more). 0: parsed what was
 * whole; 1: the callback stopped it; -1: a protocol error (*why says it;
 * the connection must close with 1002).
 */
int ws_parse(struct ws_parser *p, const unsigned char *buf, size_t len,
	     size_t *used, ws_message_cb cb, void *arg, const char **why);

/* ws_parse over a stream of reads: bytes of an incomplete frame are kept
 * for the next call (at most max_message + a header). Same results. */
int ws_feed(struct ws_parser *p, const unsigned char *buf, size_t len,
	    ws_message_cb cb, void *arg, const char **why);

#endif
