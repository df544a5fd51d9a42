/*
 * client.c - blocking HTTP/1.1 requests on the control unix socket, with
 * llhttp response parsing and line/raw delivery for streams. Owns the wire
 * only: no route, no JSON, no printing. Talks only to a daemon running as
 * root or as the caller (SO_PEERCRED).
 */
#include "client.h"

#include <errno.h>
#include <llhttp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"

struct parse_state {
	enum client_mode mode;
	client_data_cb cb;
	void *arg;
	struct client_resp *resp;
	int streaming; /* 2xx in LINES/RAW mode */
	int stop;      /* the callback asked to stop */
	int complete;
	char *line; /* partial line in LINES mode */
	size_t line_len;
};

static void append(char **buf, size_t *len, const char *at, size_t n)
{
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, at, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static int on_headers_complete(llhttp_t *p)
{
	struct parse_state *st = p->data;
	int status = llhttp_get_status_code(p);

	st->resp->status = status;
	st->streaming = st->mode != CLIENT_BUFFER && status >= 200 &&
			status < 300 && st->cb != NULL;
	return 0;
}

static int deliver_lines(struct parse_state *st, const char *at, size_t n)
{
	const char *nl;

	while (n > 0 && (nl = memchr(at, '\n', n)) != NULL) {
		size_t k = (size_t)(nl - at);
		int rc;

		if (st->line_len) {
			append(&st->line, &st->line_len, at, k);
			rc = st->cb(st->arg, st->line, st->line_len);
			st->line_len = 0;
		} else {
			rc = st->cb(st->arg, at, k);
		}
		if (rc == -1)
			return -1;
		at += k + 1;
		n -= k + 1;
	}
	if (n > 0)
		append(&st->line, &st->line_len, at, n);
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct parse_state *st = p->data;
	int rc = 0;

	if (!st->streaming)
		append(&st->resp->body, &st->resp->len, at, n);
	else if (st->mode == CLIENT_RAW)
		rc = st->cb(st->arg, at, n);
	else
		rc = deliver_lines(st, at, n);
	if (rc == -1) {
		st->stop = 1;
		return HPE_USER;
	}
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct parse_state *st = p->data;

	st->complete = 1;
	if (st->streaming && st->mode == CLIENT_LINES && st->line_len > 0) {
		st->cb(st->arg, st->line, st->line_len);
		st->line_len = 0;
	}
	return HPE_PAUSED;
}

/*
 * The daemon must run as root or as the caller's own user: anyone else
 * listening there (a socket replaced in a folder they could write) would
 * get to answer root's requests - and `berth exec` acts on the answer.
 * A non-root caller may talk to a root daemon (read-only GETs).
 */
static int check_peer(int fd, const char *sock, struct berr *err)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return berr_errno(err, errno,
				  "cannot check who serves %s (SO_PEERCRED)",
				  sock);
	if (cr.uid != 0 && cr.uid != geteuid())
		return berr_set(err,
				"refusing the control socket %s: it is served "
				"by uid %u (pid %d), not by root%s",
				sock, (unsigned)cr.uid, (int)cr.pid,
				geteuid() == 0 ? "" : " or by you");
	return 0;
}

static int connect_daemon(const char *sock, struct berr *err)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(sock) >= sizeof(sun.sun_path)) {
		berr_set(err,
			 "cannot connect to the berth daemon at %s: path too "
			 "long",
			 sock);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		berr_errno(err, errno, "socket");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock));
	if (RETRY_EINTR(connect(fd, (struct sockaddr *)&sun, sizeof(sun))) ==
	    -1) {
		int e = errno;

		close(fd);
		berr_set(err,
			 "cannot connect to the berth daemon at %s: %s (is "
			 "\"berth up\" running?)",
			 sock, strerror(e));
		err->code = e;
		return -1;
	}
	if (check_peer(fd, sock, err) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int client_request(const char *sock, const char *method, const char *path,
		   const char *body, enum client_mode mode, client_data_cb cb,
		   void *arg, struct client_resp *resp, struct berr *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *req = NULL;
	llhttp_settings_t settings;
	llhttp_t parser;
	struct parse_state st;
	char buf[16384];
	int rc = -1;

	memset(resp, 0, sizeof(*resp));
	fd = connect_daemon(sock, err);
	if (fd == -1)
		return -1;
	if (body)
		req = xasprintf("%s %s HTTP/1.1\r\nHost: berth\r\n"
				"User-Agent: berth\r\nAccept: */*\r\n"
				"Connection: close\r\n"
				"Content-Type: application/json\r\n"
				"Content-Length: %zu\r\n\r\n%s",
				method, path, strlen(body), body);
	else
		req = xasprintf("%s %s HTTP/1.1\r\nHost: berth\r\n"
				"User-Agent: berth\r\nAccept: */*\r\n"
				"Connection: close\r\n%s\r\n",
				method, path,
				strcmp(method, "GET") == 0 ||
					strcmp(method, "HEAD") == 0
				    ? ""
				    : "Content-Length: 0\r\n");
	if (fd_write_all(fd, req, strlen(req)) == -1)
		return berr_errno(err, errno, "sending to the berth daemon");

	memset(&st, 0, sizeof(st));
	st.mode = mode;
	st.cb = cb;
	st.arg = arg;
	st.resp = resp;
	llhttp_settings_init(&settings);
	settings.on_headers_complete = on_headers_complete;
	settings.on_body = on_body;
	settings.on_message_complete = on_message_complete;
	llhttp_init(&parser, HTTP_RESPONSE, &settings);
	parser.data = &st;

	for (;;) {
		ssize_t n = RETRY_EINTR(read(fd, buf, sizeof(buf)));
		llhttp_errno_t perr;

		if (n == -1) {
			berr_errno(err, errno, "reading from the berth daemon");
			break;
		}
		perr = n == 0 ? llhttp_finish(&parser)
			      : llhttp_execute(&parser, buf, (size_t)n);
		if (st.complete || st.stop) {
			rc = 0;
			break;
		}
		if (perr != HPE_OK) {
			berr_set(err, "bad answer from the berth daemon: %s",
				 llhttp_get_error_reason(&parser));
			break;
		}
		if (n == 0) {
			if (st.complete)
				rc = 0;
			else
				berr_set(err, "the berth daemon closed the "
					      "connection");
			break;
		}
	}
	free(st.line);
	if (rc == 0 && resp->body == NULL)
		resp->body = xstrdup("");
	if (rc == -1)
		client_resp_free(resp);
	return rc;
}

void client_resp_free(struct client_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}
