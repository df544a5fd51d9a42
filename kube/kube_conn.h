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
	const char *body;	  /* NUL-terminated, "" if none */
	size_t body_len;
	/* A client certificate signed by the CA was presented. */
	bool authenticated;
	/* ... and its subject is in the group system:masters. */
	bool admin;
	const char *user; /* the certificate's CN, "" if none */
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

/* The SSL_CTX for a server certificate and key that verifies client
 * certificates against ca_file (optional: none presented = anonymous). */
SSL_CTX *kube_tls_ctx(const char *cert_file, const char *key_file,
		      const char *ca_file, struct berr *err);

#endif
