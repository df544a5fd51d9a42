/*
 * http_msg.h - HTTP/1.x framing for the proxy, on llhttp: a request
 * parser that rewrites the head (forwarding headers, hop-by-hop headers
 * dropped) and re-frames the body for the backend, and a response parser
 * that only finds where a response ends. Pure: no sockets, no loop.
 */
#ifndef BERTH_PROXY_HTTP_MSG_H
#define BERTH_PROXY_HTTP_MSG_H

#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

#define PROXY_HEAD_MAX (64 * 1024) /* every byte of a request head */
#define PROXY_HEADERS_MAX 100	   /* header fields in a request head */

struct proxy_hreq {
	llhttp_t parser;
	llhttp_settings_t settings;
	struct proxy_buf out; /* bytes for the backend, in order */
	struct proxy_buf url, field, value, hdrs, xff, via, upgrade_value;
	struct proxy_buf conn; /* Connection tokens, comma-separated */
	char client_ip[64];
	size_t head_bytes; /* counted by the callbacks */
	size_t head_raw;   /* fed while the head was incomplete */
	bool head_done;	   /* the head is in out */
	bool complete;	   /* the whole message is in out */
	bool upgrade;	   /* a tunnel follows the message */
	bool chunked;
	bool keep_alive; /* the client keeps the connection open after */
	bool idempotent;
	bool is_head; /* method HEAD */
	bool paused;
	bool too_large;
	bool has_te;	      /* a Transfer-Encoding header was seen */
	bool expect_continue; /* Expect: 100-continue, not forwarded */
	int n_headers;
	int n_host;
	int error; /* the status to refuse with: 400, 417, 431, 505 */
	int method;
	uint64_t body_bytes;
};

void proxy_hreq_init(struct proxy_hreq *r, const char *client_ip);
/*
 * Parses up to len bytes, appending what the backend must receive to
 * r->out. Stops right after a complete message (or its upgrade head):
 * *used tells how many bytes were taken; the rest belongs to the next
 * request (or the tunnel). Returns -1 on a request that must be refused,
 * with r->error: 400 (bad syntax, conflicting Content-Length/Transfer-
 * Encoding, CONNECT, an HTTP/1.1 request without exactly one Host, two
 * Host in any version), 417 (an Expect other than 100-continue), 431
 * (a head over PROXY_HEAD_MAX bytes or PROXY_HEADERS_MAX fields), 505
 * (a version other than HTTP/1.x).
 */
int proxy_hreq_feed(struct proxy_hreq *r, const char *data, size_t len,
		    size_t *used);
/* The reason phrase of the refusal r->error. */
const char *proxy_hreq_reason(int status);
/* Readies r for the next request on the same connection. */
void proxy_hreq_next(struct proxy_hreq *r);
void proxy_hreq_free(struct proxy_hreq *r);

struct proxy_hresp {
	llhttp_t parser;
	llhttp_settings_t settings;
	bool head_request; /* the request was HEAD: no body follows */
	bool head_done;
	bool complete;
	bool upgrade; /* 101: a tunnel follows */
	bool keep_alive;
	bool paused;
	int status;
};

void proxy_hresp_init(struct proxy_hresp *r, bool head_request);
/* As proxy_hreq_feed for a response; the bytes themselves are forwarded
 * unchanged by the caller. -1 on an invalid response. */
int proxy_hresp_feed(struct proxy_hresp *r, const char *data, size_t len,
		     size_t *used);
/* The backend closed: 0 when that ends the response properly. */
int proxy_hresp_eof(struct proxy_hresp *r);

#endif
