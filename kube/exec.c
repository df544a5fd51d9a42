/*
 * exec.c - pods/exec for kubectl and client libraries: the WebSocket
 * handshake (subprotocols v5.channel.k8s.io and v4.channel.k8s.io), and
 * the channel mux between the client's frames and the command's streams
 * (0 stdin, 1 stdout, 2 stderr, 3 the final Status, 4 resize, 255 the end
 * of a stream, v5 only). Pings are answered; a client that stops reading
 * pauses the command's output, never the loop. The command runs through
 * runtime/exec_stream.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "../orchestrator/ctl_server.h"
#include "../orchestrator/daemon.h"
#include "../orchestrator/pod.h"
#include "../runtime/exec_stream.h"
#include "kobj.h"
#include "kube_internal.h"
#include "ws.h"

#define EXEC_MAX_MESSAGE (1024 * 1024)
#define EXEC_MAX_ARGS 256
/* Output waiting for the client, and input for the command, beyond which
 * the other side is paused. */
#define EXEC_HIGH_WATER (1024 * 1024)

enum { CH_STDIN, CH_STDOUT, CH_STDERR, CH_STATUS, CH_RESIZE, CH_CLOSE = 255 };

struct kube_exec {
	struct kube_conn *conn; /* NULL once the client is gone */
	struct rt_exec_stream *cmd;
	struct ws_parser parser;
	bool v5;
	bool paused;
	bool ended;
	uv_timer_t drain; /* resumes output once the client caught up */
	bool timer_open;
};

static void exec_free_cb(uv_handle_t *h)
{
	free(h->data);
}

static void exec_release(struct kube_exec *x)
{
	if (x->conn || x->cmd)
		return;
	ws_parser_free(&x->parser);
	if (x->timer_open)
		uv_close((uv_handle_t *)&x->drain, exec_free_cb);
	else
		free(x);
}

static void send_frame(struct kube_exec *x, int opcode, const void *payload,
		       size_t len)
{
	unsigned char head[WS_FRAME_HEADER_MAX];
	size_t h = ws_frame_header(head, opcode, len);
	if (!x->conn)
		return;
	if (kube_raw_write(x->conn, head, h) == -1 ||
	    (len && kube_raw_write(x->conn, payload, len) == -1))
		return; /* the close callback follows */
}

static void send_channel(struct kube_exec *x, int ch, const char *data,
			 size_t len)
{
	unsigned char head[WS_FRAME_HEADER_MAX + 1];
	size_t h = ws_frame_header(head, WS_OP_BINARY, len + 1);
	head[h] = (unsigned char)ch;
	if (!x->conn)
		return;
	if (kube_raw_write(x->conn, head, h + 1) == -1 ||
	    (len && kube_raw_write(x->conn, data, len) == -1))
		return;
}

/* Ends the WebSocket with a close frame (code) and the connection. */
static void end_session(struct kube_exec *x, int code)
{
	unsigned char body[2] = {(unsigned char)(code >> 8),
				 (unsigned char)code};
	struct kube_conn *c = x->conn;
	if (!c)
		return;
	send_frame(x, WS_OP_CLOSE, body, 2);
	x->conn = NULL;
	kube_raw_end(c);
}

static void on_drain(uv_timer_t *t)
{
	struct kube_exec *x = t->data;
	if (!x->paused || !x->cmd)
		return;
	if (!x->conn || kube_raw_queued(x->conn) < EXEC_HIGH_WATER / 2) {
		x->paused = false;
		rt_exec_stream_pause(x->cmd, false);
		uv_timer_stop(t);
	}
}

static void on_output(void *data, int fd, const char *buf, size_t len)
{
	struct kube_exec *x = data;
	send_channel(x, fd == 2 ? CH_STDERR : CH_STDOUT, buf, len);
	if (x->conn && x->cmd && !x->paused &&
	    kube_raw_queued(x->conn) > EXEC_HIGH_WATER) {
		x->paused = true;
		rt_exec_stream_pause(x->cmd, true);
		uv_timer_start(&x->drain, on_drain, 20, 20);
	}
}

static void on_cmd_exit(void *data, int code)
{
	struct kube_exec *x = data;
	json_t *st;
	char msg[96], num[16];

	if (code == 0) {
		st = json_pack("{s:{}, s:s}", "metadata", "status", "Success");
	} else {
		snprintf(msg, sizeof(msg),
			 "command terminated with non-zero exit code: exit "
			 "status %d",
			 code);
		snprintf(num, sizeof(num), "%d", code);
		st = json_pack("{s:{}, s:s, s:s, s:s, s:{s:[{s:s, s:s}]}}",
			       "metadata", "status", "Failure", "message", msg,
			       "reason", "NonZeroExitCode", "details", "causes",
			       "reason", "ExitCode", "message", num);
	}
	char *text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	send_channel(x, CH_STATUS, text, strlen(text));
	free(text);
	rt_exec_stream_stop(x->cmd);
	x->cmd = NULL;
	end_session(x, 1000);
	exec_release(x);
}

/* A protocol error: the command is stopped, the client told why. */
static void fail_session(struct kube_exec *x, int code, const char *why)
{
	log_debug("kubernetes API: exec: %s", why);
	if (x->cmd) {
		rt_exec_stream_stop(x->cmd);
		x->cmd = NULL;
	}
	end_session(x, code);
	exec_release(x);
}

static int on_message(void *arg, int opcode, const unsigned char *data,
		      size_t len)
{
	struct kube_exec *x = arg;

	switch (opcode) {
	case WS_OP_PING:
		send_frame(x, WS_OP_PONG, data, len);
		return 0;
	case WS_OP_PONG:
		return 0;
	case WS_OP_CLOSE:
		fail_session(x, 1000, "the client closed the session");
		return -1;
	case WS_OP_TEXT:
		fail_session(x, 1003, "text frames are not a channel");
		return -1;
	}
	if (len == 0 || !x->cmd)
		return 0;
	switch (data[0]) {
	case CH_STDIN:
		if (len > 1 &&
		    rt_exec_stream_write(x->cmd, (const char *)data + 1,
					 len - 1) == -1)
			return 0; /* it takes no input: dropped, as kubelet */
		return 0;
	case CH_RESIZE: {
		json_t *sz =
		    json_loadb((const char *)data + 1, len - 1, 0, NULL);
		rt_exec_stream_resize(
		    x->cmd,
		    (int)json_integer_value(json_object_get(sz, "Width")),
		    (int)json_integer_value(json_object_get(sz, "Height")));
		json_decref(sz);
		return 0;
	}
	case CH_CLOSE:
		if (x->v5 && len > 1 && data[1] == CH_STDIN)
			rt_exec_stream_close_stdin(x->cmd);
		return 0;
	default:
		return 0; /* a channel the client may not write: ignored */
	}
}

static void on_raw(void *arg, const char *data, size_t len)
{
	struct kube_exec *x = arg;
	const char *why = NULL;
	int r = ws_feed(&x->parser, (const unsigned char *)data, len,
			on_message, x, &why);

	if (r == -1)
		fail_session(x, 1002, why);
	/* r == 1: the session ended inside a callback */
}

static void reply_status(struct kube_conn *c, int code, const char *reason,
			 const char *msg)
{
	kube_reply_json(c, code, kube_status(code, reason, msg, NULL, NULL));
}

static void on_conn_closed(void *arg)
{
	struct kube_exec *x = arg;
	x->conn = NULL;
	if (x->cmd) {
		rt_exec_stream_stop(x->cmd);
		x->cmd = NULL;
	}
	exec_release(x);
}

/* Go's strconv.ParseBool truths (the Python client sends "True"). */
static bool truth(const char *v)
{
	return v && (!strcmp(v, "1") || !strcasecmp(v, "t") ||
		     !strcasecmp(v, "true"));
}

/* Every value of `command` in the query, decoded; NULL-terminated. */
static char **commands(const char *query, size_t *n)
{
	char **v = xcalloc(EXEC_MAX_ARGS + 1, sizeof(char *));
	const char *p = query;
	*n = 0;
	while (*p && *n < EXEC_MAX_ARGS) {
		size_t len = strcspn(p, "&");
		if (len > 8 && !strncmp(p, "command=", 8)) {
			char *val = xmalloc(len);
			if (ctl_url_decode(p + 8, len - 8, val, len) == 0)
				v[(*n)++] = val;
			else
				free(val);
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return v;
}

static void free_words(char **v)
{
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* The subprotocol to speak: v5 when offered, else v4; NULL: none. */
static const char *pick_protocol(const char *offered)
{
	if (strstr(offered, "v5.channel.k8s.io"))
		return "v5.channel.k8s.io";
	if (strstr(offered, "v4.channel.k8s.io"))
		return "v4.channel.k8s.io";
	return NULL;
}

void kube_pod_exec(struct kube_server *ks, struct kube_conn *c,
		   const struct kube_request *req, const char *name)
{
	struct daemon *d = ks->d;
	struct pod *p = pod_find(d, name);
	const char *proto;
	char *container = kube_query_get(req, "container");
	char *v_stdin = kube_query_get(req, "stdin");
	char *v_tty = kube_query_get(req, "tty");
	char accept[WS_ACCEPT_LEN];
	char **cmd = NULL;
	size_t n = 0;
	struct berr err = BERR_INIT;
	bool tty = truth(v_tty), with_stdin = truth(v_stdin);

	free(v_tty);
	free(v_stdin);
	if (p == NULL || p->phase == POD_GONE) {
		char msg[160];
		snprintf(msg, sizeof(msg), "pods \"%s\" not found", name);
		reply_status(c, 404, "NotFound", msg);
		goto out;
	}
	if (container && p->deployment &&
	    strcmp(container, p->deployment->name)) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "container %s is not valid for pod %s", container,
			 name);
		reply_status(c, 400, "BadRequest", msg);
		goto out;
	}
	if (p->phase != POD_RUNNING) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "unable to upgrade connection: container not found "
			 "(\"%s\")",
			 name);
		reply_status(c, 400, "BadRequest", msg);
		goto out;
	}
	if (strcasecmp(req->upgrade, "websocket") != 0) {
		reply_status(c, 400, "BadRequest",
			     "exec needs a WebSocket (v5.channel.k8s.io or "
			     "v4.channel.k8s.io); SPDY is not served");
		goto out;
	}
	if (!(proto = pick_protocol(req->ws_protocol))) {
		reply_status(c, 400, "BadRequest",
			     "exec speaks v5.channel.k8s.io and "
			     "v4.channel.k8s.io only");
		goto out;
	}
	if (ws_accept_key(req->ws_key, accept) == -1) {
		reply_status(c, 400, "BadRequest", "bad Sec-WebSocket-Key");
		goto out;
	}
	cmd = commands(req->query, &n);
	if (n == 0) {
		reply_status(c, 400, "BadRequest",
			     "you must specify at least one command for the "
			     "container");
		goto out;
	}

	struct kube_exec *x = xcalloc(1, sizeof(*x));
	struct rt_exec_stream_cb cb = {on_output, on_cmd_exit};
	ws_parser_init(&x->parser, EXEC_MAX_MESSAGE);
	x->v5 = !strcmp(proto, "v5.channel.k8s.io");
	char *pid_dir = xasprintf("%s/probes", d->run_dir); /* daemon's own */
	x->cmd = rt_exec_stream_start(d->loop, d->rt.path, d->rt.root, pid_dir,
				      p->name, cmd, n, tty, with_stdin, &cb, x,
				      &err);
	free(pid_dir);
	if (x->cmd == NULL) {
		ws_parser_free(&x->parser);
		free(x);
		reply_status(c, 500, "InternalError", err.msg);
		goto out;
	}
	uv_timer_init(d->loop, &x->drain);
	x->drain.data = x;
	x->timer_open = true;
	x->conn = c;
	char *headers = xasprintf("Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Accept: %s\r\n"
				  "Sec-WebSocket-Protocol: %s\r\n",
				  accept, proto);
	kube_upgrade(c, headers, on_raw, on_conn_closed, x);
	free(headers);
out:
	if (cmd)
		free_words(cmd);
	free(container);
}
