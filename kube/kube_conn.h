/*
 * kube_conn.h - the Kubernetes API's transport: a TCP listener on the
 * daemon's loop, TLS through OpenSSL memory BIOs (the loop never blocks
 * on TLS), client-certificate authentication, HTTP/1.1 requests parsed
 * with llhttp (keep-alive, one request at a time) and replies. Knows no
 * route and no berth object.
 */
#ifndef BERTH_KUBE_KUBE_CONN_H
#define BERTH_KUBE_KUBE_CONN_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "../common/err.h"

#define KUBE_MAX_HEADER_BYTES (32 * 1024)
#define KUBE_MAX_BODY_BYTES (3 * 1024 * 1024)
#define KUBE_MAX_CONNS 256

struct kube_request {
	const char *method;
	const char *path;	  /* percent-encoded, without the query */
	const char *query;	  /* after '?', "" if none */
	const char *accept;	  /* the Accept header, "" if none */
	const char *content_type; /* the Content-Type header, "" if none */
	/* Upgrade, Sec-WebSocket-Key, Sec-WebSocket-Protocol; "" if none */
	const char *upgrade;
	const char *ws_key;
	const char *ws_protocol;
	const char *body; /* NUL-terminated, "" if none */
	size_t body_len;
	/* A client certificate signed by the CA was presented. */
	bool authenticated;
	/* ... and its subject is in the group system:masters. */
	bool admin;
	const char *user; /* the certificate's CN, "" if none */
};

/* The request headers the transport keeps (the rest are not read). */
enum kube_header {
	KUBE_HDR_ACCEPT,
	KUBE_HDR_CONTENT_TYPE,
	KUBE_HDR_UPGRADE,
	KUBE_HDR_WS_KEY,
	KUBE_HDR_WS_PROTOCOL,
	KUBE_HDR_N
};

struct kube_conn;
struct kube_listener;

/* Called once per request; must answer with kube_reply*() or start a
 * stream (kube_stream_begin) before it returns. */
typedef void (*kube_handler)(void *data, struct kube_conn *c,
			     const struct kube_request *req);

/*
 * Binds addr ("ADDR:PORT") and serves TLS with ctx (the listener takes a
 * reference on it). Every error names the address.
 */
/* The listening socket (still the listener's), or -1. */
int kube_listener_fd(const struct kube_listener *l);
int kube_listen(uv_loop_t *loop, const char *addr, SSL_CTX *ctx, kube_handler h,
		void *data, struct kube_listener **out, struct berr *err);
/* Closes the listener and every connection; memory goes once libuv has
 * closed the handles. */
void kube_listener_stop(struct kube_listener *l);

void kube_reply(struct kube_conn *c, int status, const char *content_type,
		const char *body, size_t len);
/* Steals body. */
void kube_reply_json(struct kube_conn *c, int status, json_t *body);

/*
 * A chunked 200 answer that outlives the handler. The connection stays
 * valid until kube_stream_end() or until the close callback ran (the
 * client went away, or the listener stopped); after either, c must not be
 * used. kube_stream_write returns -1 once the client is gone or has
 * stopped reading (more than 8 MiB queued).
 */
void kube_stream_begin(struct kube_conn *c, const char *content_type,
		       void (*on_close)(void *arg), void *arg);
int kube_stream_write(struct kube_conn *c, const char *data, size_t len);
void kube_stream_end(struct kube_conn *c);

/*
 * Switches the connection to another protocol: answers "101 Switching
 * Protocols" with headers (each line ending in CRLF), then hands every
 * byte the client sends to on_data. Like a stream, c stays valid until
 * kube_raw_end() or on_close (the client went away, the listener
 * stopped). kube_raw_write sends bytes as they are (-1 once the client is
 * gone or more than 8 MiB wait); kube_raw_queued says how many wait.
 */
typedef void (*kube_raw_cb)(void *arg, const char *data, size_t len);
void kube_upgrade(struct kube_conn *c, const char *headers, kube_raw_cb on_data,
		  void (*on_close)(void *arg), void *arg);
int kube_raw_write(struct kube_conn *c, const void *data, size_t len);
size_t kube_raw_queued(struct kube_conn *c);
void kube_raw_end(struct kube_conn *c);

/* The SSL_CTX for a server certificate and key that verifies client
 * certificates against ca_file (optional: none presented = anonymous). */
SSL_CTX *kube_tls_ctx(const char *cert_file, const char *key_file,
		      const char *ca_file, struct berr *err);

#endif
