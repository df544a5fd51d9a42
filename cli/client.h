/*
 * client.h - a small blocking HTTP/1.1 client over the control unix socket,
 * one request per connection, responses parsed with llhttp (Content-Length
 * and chunked). Knows nothing about routes or output formats.
 */
#ifndef BERTH_CLI_CLIENT_H
#define BERTH_CLI_CLIENT_H

#include <stddef.h>

#include "../common/err.h"

enum client_mode {
	CLIENT_BUFFER, /* collect the whole body into resp->body */
	CLIENT_LINES,  /* deliver each '\n'-terminated line (without it) */
	CLIENT_RAW,    /* deliver body bytes as they arrive */
};

/* Returns 0 to go on, -1 to stop reading (the request still succeeds). */
typedef int (*client_data_cb)(void *arg, const char *data, size_t len);

struct client_resp {
	int status;
	char *body; /* NUL-terminated; always filled for non-2xx answers */
	size_t len;
};

/*
 * Sends METHOD PATH with an optional JSON body and reads the answer. For a
 * 2xx answer in LINES or RAW mode, cb receives the body instead of
 * resp->body. Returns 0 once a status was received, -1 (err filled) when
 * the daemon cannot be reached or the answer is cut or malformed.
 */
int client_request(const char *sock, const char *method, const char *path,
		   const char *body, enum client_mode mode, client_data_cb cb,
		   void *arg, struct client_resp *resp, struct berr *err);
void client_resp_free(struct client_resp *resp);

#endif
