/*
 * fuzz_ctl_request.c - libFuzzer target for the control API's request
 * path: arbitrary bytes arrive on a connected unix socket adopted by a
 * real ctl_server (ctl_server_adopt), are parsed with its limits (16 KiB
 * of head, 1 MiB of body, the read-only rule), and reach a handler that
 * reads the query and the JSON body as api.c does. Every input must end
 * in a reply or a close, never a crash, a leak, a hang or an
 * out-of-bounds access.
 *
 * Built by `make fuzz` (build/fuzz/fuzz_ctl_request); run as
 *   ./build/fuzz/fuzz_ctl_request -max_total_time=20 build/fuzz-corpus/ctl
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "../../orchestrator/ctl_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct ctl_server *server;

static void handler(void *data, struct ctl_conn *c,
		    const struct ctl_request *req)
{
	char v[256];
	json_t *body;

	if (ctl_query_get(req, "name", v, sizeof(v)) == 0 &&
	    strcmp(v, "stream") == 0) {
		ctl_stream_begin(c, "application/json");
		ctl_stream_write(c, req->path, strlen(req->path));
		ctl_stream_end(c);
		return;
	}
	if (strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0) {
		ctl_reply_json(c, 200, json_pack("{s:s}", "path", req->path));
		return;
	}
	body = ctl_body_object(c, req);
	if (body == NULL)
		return; /* 400 sent */
	ctl_reply_json(c, 200, body);
}

static char path[64];

static void remove_socket(void)
{
	unlink(path);
}

static void setup(void)
{
	struct berr err = BERR_INIT;

	uv_loop_init(&loop);
	snprintf(path, sizeof(path), "/tmp/berth-fuzz-ctl.%d.sock",
		 (int)getpid());
	if (ctl_server_start(&loop, path, handler, NULL, &server, &err) != 0) {
		fprintf(stderr, "fuzz_ctl_request: %s\n", err.msg);
		abort();
	}
	atexit(remove_socket);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	size_t off = 0;
	bool eof = false;
	char buf[65536];

	if (server == NULL)
		setup();
	if (size > 256 * 1024)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) != 0)
		abort();
	if (ctl_server_adopt(server, sv[0]) != 0)
		abort();
	/* Write what the socket takes, let the server read and answer,
	 * drain its answer, until it closes; then the next input. */
	for (int round = 0; round < 100000 && !eof; round++) {
		ssize_t n;

		if (off < size) {
			n = write(sv[1], data + off, size - off);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				off = size; /* the server closed */
			if (off == size)
				shutdown(sv[1], SHUT_WR);
		} else if (off == 0 && size == 0 && round == 0) {
			shutdown(sv[1], SHUT_WR);
		}
		uv_run(&loop, UV_RUN_NOWAIT);
		while ((n = read(sv[1], buf, sizeof(buf))) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			eof = true;
	}
	if (!eof)
		abort(); /* the server neither answered nor closed */
	close(sv[1]);
	uv_run(&loop, UV_RUN_NOWAIT); /* the closed connection is freed */
	return 0;
}
