/*
 * ctl_server.h - the control socket's HTTP/1.1 transport: a unix-socket
 * listener (mode 0600) that parses one request per connection, enforces the
 * read-only rule for non-root peers and hands the request to one handler.
 * It knows no routes and no berth objects; the daemon's API module does.
 *
 * Lifetime of a struct ctl_conn, as seen by the handler:
 *  - it is valid from the handler call until the handler sends a final reply
 *    (ctl_reply_json/text/error or ctl_stream_end), even if the client has
 *    gone away meanwhile: replies on a dead connection are no-ops;
 *  - a handler that registered ctl_conn_on_close() must not touch the conn
 *    after its callback ran (the callback is the last use);
 *  - after ctl_server_stop() no conn may be used.
 */
#ifndef BERTH_ORCHESTRATOR_CTL_SERVER_H
#define BERTH_ORCHESTRATOR_CTL_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "../common/err.h"

#define CTL_MAX_HEADER_BYTES (16 * 1024)
#define CTL_MAX_BODY_BYTES (1024 * 1024)
#define CTL_READ_TIMEOUT_MS 10000 /* to receive a whole request */

struct ctl_request {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* without the query */
	const char *query;  /* after '?', "" if none */
	const char *body;   /* NUL-terminated, "" if none */
	size_t body_len;
	uid_t peer_uid;
};

struct ctl_conn;
struct ctl_server;

typedef void (*ctl_handler)(void *data, struct ctl_conn *c,
			    const struct ctl_request *req);

/*
 * Listens on sock_path (mode 0600). A stale socket file left by a crashed
 * daemon is replaced; a live one is an error.
 */
int ctl_server_start(uv_loop_t *loop, const char *sock_path, ctl_handler h,
		     void *data, struct ctl_server **out, struct berr *err);
/*
 * Closes the listener and every connection (replies already queued are still
 * flushed), fires pending close callbacks and unlinks the socket. The memory
 * goes away once libuv has closed the handles.
 */
void ctl_server_stop(struct ctl_server *s);
/* As ctl_server_start, serving fd (a socket listening at sock_path passed
 * in by the previous daemon; taken) when fd >= 0. */
int ctl_server_start_fd(uv_loop_t *loop, const char *sock_path, int fd,
			ctl_handler h, void *data, struct ctl_server **out,
			struct berr *err);
/* The listening socket (still the server's), for handing it over. */
int ctl_server_fd(const struct ctl_server *s);

/* Serves the connected unix socket fd (taken) as if it had been accepted;
 * -1 when it cannot be. For accepting, and for driving the request path
 * from a test or fuzzer. */
int ctl_server_adopt(struct ctl_server *s, int fd);

/* Final replies. Each closes the connection once written. */
void ctl_reply_json(struct ctl_conn *c, int status, json_t *body); /* steals */
void ctl_reply_text(struct ctl_conn *c, int status, const char *content_type,
		    const char *body, size_t len);
/* Body {"error":"MESSAGE"}. */
void ctl_reply_error(struct ctl_conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The request body as a JSON object ({} when empty); NULL once 400 has
 * been answered because it is not one. */
json_t *ctl_body_object(struct ctl_conn *c, const struct ctl_request *req);

/*
 * Integer parameters of a request, from a JSON body or the query string:
 * *out is the value, or dflt when the key is absent (or JSON null). A
 * value that is not an integer from min to max is answered with 400
 * ("KEY must be an integer from MIN to MAX") and -1 is returned; the
 * caller then replies nothing more. Never truncates a value to fit.
 */
int ctl_body_int(struct ctl_conn *c, const json_t *body, const char *key,
		 long long min, long long max, long long dflt, long long *out);
int ctl_query_int(struct ctl_conn *c, const struct ctl_request *req,
		  const char *key, long long min, long long max, long long dflt,
		  long long *out);

/* 200 + Transfer-Encoding: chunked. */
void ctl_stream_begin(struct ctl_conn *c, const char *content_type);
/* Sends one chunk (len 0 sends nothing). -1 when the client is gone. */
int ctl_stream_write(struct ctl_conn *c, const char *data, size_t len);
/* Terminates the stream; a final reply. */
void ctl_stream_end(struct ctl_conn *c);

/* true while the client is still connected. */
int ctl_conn_alive(const struct ctl_conn *c);
/* cb fires once, when the connection closes for any reason. */
void ctl_conn_on_close(struct ctl_conn *c, void (*cb)(void *arg), void *arg);

/*
 * Looks key up in req->query and URL-decodes its value into buf ("" for a
 * bare "key"). 0 found, -1 absent, -2 present but longer than len - 1.
 */
int ctl_query_get(const struct ctl_request *req, const char *key, char *buf,
		  size_t len);

/* Decodes %XX and '+' from src[0..n) into buf. -1 if it does not fit. */
int ctl_url_decode(const char *src, size_t n, char *buf, size_t len);

#endif
