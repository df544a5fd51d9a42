/*
 * actions.c - a signed-in user's action is the control API's own call:
 * the request (from an allow-list of routes) is handed to the daemon's
 * control server over a socketpair, exactly as `berth` would send it, and
 * the answer goes back to the browser unchanged. Decides nothing itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "../orchestrator/ctl_server.h"
#include "dash_internal.h"

#define FWD_MAX_REPLY (1024 * 1024)

struct dash_fwd {
	struct dash_conn *c; /* NULL once the browser is gone */
	uv_pipe_t pipe;
	uv_write_t wr;
	char *req;
	char *reply;
	size_t len;
};

/* The control API routes a user may call from the page (path without
 * the leading "/api"). */
static bool allowed(const char *method, const char *path)
{
	char a[64], b[64], c[64], e[64];
	int n = 0;

	if (strlen(path) > 200)
		return false;
	if (!strcmp(method, "DELETE") &&
	    sscanf(path, "/v1/pods/%63[^/]%n", a, &n) == 1 && path[n] == '\0')
		return true;
	if (strcmp(method, "POST"))
		return false;
	n = 0;
	if (sscanf(path, "/v1/deployments/%63[^/]/%63[^/]%n", a, b, &n) == 2 &&
	    path[n] == '\0')
		return !strcmp(b, "scale") || !strcmp(b, "image");
	n = 0;
	if (sscanf(path, "/v1/deployments/%63[^/]/%63[^/]/%63[^/]%n", a, b, c,
		   &n) == 3 &&
	    path[n] == '\0' && !strcmp(b, "rollout")) {
		snprintf(e, sizeof(e), "%s", c);
		return !strcmp(e, "pause") || !strcmp(e, "resume") ||
		       !strcmp(e, "undo") || !strcmp(e, "restart") ||
		       !strcmp(e, "promote") || !strcmp(e, "abort") ||
		       !strcmp(e, "retry");
	}
	return false;
}

static void fwd_closed(uv_handle_t *h)
{
	struct dash_fwd *f = h->data;

	if (f->c) {
		if (f->len > 0)
			dash_write_raw(f->c, f->reply, f->len, true);
		else
			dash_reply_error(f->c, 502,
					 "no answer from the control API");
		f->c->fwd = NULL;
	}
	free(f->req);
	free(f->reply);
	free(f);
}

void dash_fwd_detach(struct dash_fwd *f)
{
	f->c = NULL;
}

static void fwd_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = xmalloc(suggested);
	buf->len = suggested;
}

static void fwd_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct dash_fwd *f = s->data;

	if (nread > 0 && f->len + (size_t)nread <= FWD_MAX_REPLY) {
		f->reply = xrealloc(f->reply, f->len + (size_t)nread);
		memcpy(f->reply + f->len, buf->base, (size_t)nread);
		f->len += (size_t)nread;
	}
	free(buf->base);
	if (nread < 0 && !uv_is_closing((uv_handle_t *)&f->pipe))
		uv_close((uv_handle_t *)&f->pipe, fwd_closed);
}

static void fwd_written(uv_write_t *w, int status)
{
	struct dash_fwd *f = w->data;

	if (status < 0 && !uv_is_closing((uv_handle_t *)&f->pipe))
		uv_close((uv_handle_t *)&f->pipe, fwd_closed);
}

void dash_action(struct dash_conn *c, const char *method, const char *path)
{
	struct daemon *d = c->db->d;
	struct dash_fwd *f;
	int sv[2];
	uv_buf_t buf;

	if (!allowed(method, path)) {
		dash_reply_error(c, 404, "not an action the dashboard offers");
		return;
	}
	if (d->ctl == NULL || d->shutting_down) {
		dash_reply_error(c, 503, "berth is shutting down");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		dash_reply_error(c, 503, "out of file descriptors");
		return;
	}
	if (ctl_server_adopt(d->ctl, sv[0]) == -1) {
		close(sv[1]);
		dash_reply_error(c, 503, "the control API refused the call");
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->c = c;
	c->fwd = f;
	uv_pipe_init(d->loop, &f->pipe, 0);
	f->pipe.data = f;
	f->wr.data = f;
	if (uv_pipe_open(&f->pipe, sv[1]) < 0) {
		close(sv[1]);
		uv_close((uv_handle_t *)&f->pipe, fwd_closed);
		return;
	}
	f->req = xasprintf("%s %s HTTP/1.1\r\nHost: berth\r\n"
			   "Content-Type: application/json\r\n"
			   "Content-Length: %zu\r\nConnection: close\r\n\r\n"
			   "%s",
			   method, path, c->body_len, c->body ? c->body : "");
	buf = uv_buf_init(f->req, (unsigned)strlen(f->req));
	if (uv_write(&f->wr, (uv_stream_t *)&f->pipe, &buf, 1, fwd_written) <
		0 ||
	    uv_read_start((uv_stream_t *)&f->pipe, fwd_alloc, fwd_read) < 0)
		uv_close((uv_handle_t *)&f->pipe, fwd_closed);
}
