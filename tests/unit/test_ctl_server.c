/*
 * test_ctl_server.c - the control socket transport: routing to the handler,
 * query decoding, JSON and text replies, chunked streams, size limits,
 * malformed requests, delayed replies, client disconnects, socket mode and
 * stale-socket replacement. A blocking client runs in a thread while the
 * main thread runs the libuv loop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../cli/cli.h"
#include "../../cli/client.h"
#include "../../common/xalloc.h"
#include "../../orchestrator/ctl_server.h"
#include "../lib/tap.h"
#include "../lib/wait_until.h"

#define NRESP 16

static char sock_path[108];
static uv_loop_t *loop;
static uv_async_t done_async;
static uv_timer_t later_timer, hold_timer;
static struct ctl_conn *later_conn, *hold_conn;
static struct ctl_server *server;
static char *responses[NRESP];
static atomic_int watch_closed;
static char *client_lines;
static int cli_rc[8];
static char *cli_out[8];
static atomic_int hold_seen, hold_replied;

static void on_watch_closed(void *arg)
{
	watch_closed++;
}

static void on_later(uv_timer_t *t)
{
	ctl_reply_text(later_conn, 200, "text/plain", "late\n", 5);
}

static void on_hold(uv_timer_t *t)
{
	/* The client is long gone: this must be a harmless no-op. */
	ctl_reply_json(hold_conn, 200, json_pack("{s:s}", "x", "y"));
	hold_replied = 1;
}

static void handler(void *data, struct ctl_conn *c,
		    const struct ctl_request *req)
{
	char buf[64];

	if (strcmp(req->path, "/echo") == 0) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "method", req->method,
				      "path", req->path, "query", req->query);

		if (ctl_query_get(req, "x", buf, sizeof(buf)) == 0)
			json_object_set_new(o, "x", json_string(buf));
		if (ctl_query_get(req, "flag", buf, sizeof(buf)) == 0)
			json_object_set_new(o, "flag", json_string(buf));
		if (ctl_query_get(req, "missing", buf, sizeof(buf)) == 0)
			json_object_set_new(o, "missing", json_true());
		ctl_reply_json(c, 200, o);
	} else if (strcmp(req->path, "/body") == 0) {
		ctl_reply_json(c, 201,
			       json_pack("{s:I,s:s}", "len",
					 (json_int_t)req->body_len, "body",
					 req->body));
	} else if (strcmp(req->path, "/stream") == 0) {
		ctl_stream_begin(c, "application/json");
		ctl_stream_write(c, "a\n", 2);
		ctl_stream_write(c, "bc\n", 3);
		ctl_stream_end(c);
	} else if (strcmp(req->path, "/v1/pods") == 0) {
		const char *doc = "{\"pods\":[{\"name\":\"echo-1\",\"status\":"
				  "\"Running\",\"ready\":true,\"restarts\":0,"
				  "\"age_seconds\":61}]}";

		if (ctl_query_get(req, "watch", buf, sizeof(buf)) == 0) {
			ctl_stream_begin(c, "application/json");
			ctl_stream_write(c, doc, strlen(doc));
			ctl_stream_write(c, "\n{\"pods\":[]}\n", 13);
			ctl_stream_end(c);
		} else {
			ctl_reply_json(c, 200, json_loads(doc, 0, NULL));
		}
	} else if (strcmp(req->path, "/v1/apply") == 0) {
		ctl_reply_error(c, 422, "x.ini:3: bad key");
	} else if (strcmp(req->path, "/later") == 0) {
		later_conn = c;
		uv_timer_start(&later_timer, on_later, 50, 0);
	} else if (strcmp(req->path, "/hold") == 0) {
		hold_conn = c;
		uv_timer_start(&hold_timer, on_hold, 150, 0);
		hold_seen = 1;
	} else if (strcmp(req->path, "/watch") == 0) {
		ctl_conn_on_close(c, on_watch_closed, NULL);
		ctl_stream_begin(c, "application/json");
		ctl_stream_write(c, "{}\n", 3);
	} else {
		ctl_reply_error(c, 404, "no route for %s %s", req->method,
				req->path);
	}
}

static int connect_sock(void)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sock_path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends req, reads until EOF; returns the whole response. */
static char *roundtrip(const char *req, size_t len)
{
	int fd = connect_sock();
	size_t cap = 4096, n = 0;
	char *out;
	ssize_t r;

	if (fd == -1)
		return xstrdup("(connect failed)");
	if (write(fd, req, len) != (ssize_t)len) {
		close(fd);
		return xstrdup("(write failed)");
	}
	out = xmalloc(cap);
	while ((r = read(fd, out + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (n + 1 == cap)
			out = xrealloc(out, cap *= 2);
	}
	out[n] = '\0';
	close(fd);
	return out;
}

static char *roundtrip_str(const char *req)
{
	return roundtrip(req, strlen(req));
}

static int collect_line(void *arg, const char *line, size_t len)
{
	char *n = xasprintf("%s[%.*s]", client_lines ? client_lines : "",
			    (int)len, line);

	free(client_lines);
	client_lines = n;
	return 0;
}

/* Runs the CLI with stdout captured into cli_out[i]. */
static void run_cli(int i, int argc, const char **argv)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	long n;

	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	cli_rc[i] = cli_main(argc, (char **)argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = ftell(tmp) >= 0 ? lseek(fileno(tmp), 0, SEEK_END) : 0;
	cli_out[i] = xcalloc(1, (size_t)n + 1);
	if (pread(fileno(tmp), cli_out[i], (size_t)n, 0) < 0)
		perror("pread");
	fclose(tmp);
}

static void run_clients(void)
{
	struct client_resp resp;
	struct berr err = BERR_INIT;
	const char *get[] = {"berth", "--socket", sock_path, "get", "pods"};
	const char *watch[] = {"berth", "get",	"po",	    "-w",
			       "-o",	"json", "--socket", sock_path};
	const char *apply[] = {"berth", "--socket", sock_path,
			       "apply", "-f",	    "/dev/null"};
	const char *desc[] = {"berth", "--socket", sock_path, "describe",
			      "pod/x"};
	const char *noconn[] = {"berth", "--socket", "/nonexistent/sock", "get",
				"pods"};
	const char *bogus[] = {"berth", "--socket", sock_path, "frobnicate"};
	const char *wtable[] = {"berth", "--socket", sock_path,
				"get",	 "pods",     "-w"};

	if (client_request(sock_path, "GET", "/stream", NULL, CLIENT_LINES,
			   collect_line, NULL, &resp, &err) == 0)
		client_resp_free(&resp);
	run_cli(0, 5, get);
	run_cli(1, 8, watch);
	watch[6] = "-o";
	watch[7] = "json";
	watch[1] = "--socket";
	watch[2] = sock_path;
	watch[3] = "get";
	watch[4] = "po";
	watch[5] = "-w";
	run_cli(2, 8, watch);
	run_cli(3, 6, apply);
	run_cli(4, 5, desc);
	run_cli(5, 5, noconn);
	run_cli(6, 4, bogus);
	run_cli(7, 6, wtable);
}

static void *client_thread(void *arg)
{
	char *big;
	int fd;
	char buf[256];

	responses[0] = roundtrip_str("GET /echo?x=a%20b+c&flag HTTP/1.1\r\n"
				     "Host: x\r\n\r\n");
	responses[1] = roundtrip_str("POST /body HTTP/1.1\r\nHost: x\r\n"
				     "Content-Length: 5\r\n\r\nhello");
	responses[2] = roundtrip_str("GET /stream HTTP/1.1\r\n\r\n");
	responses[3] = roundtrip_str("POST /body HTTP/1.1\r\n"
				     "Content-Length: 2000000\r\n\r\n");
	responses[4] = roundtrip_str("GARBAGE\r\n\r\n");
	big = xmalloc(20000);
	memset(big, 'a', 20000);
	memcpy(big, "GET /echo HTTP/1.1\r\nX-Big: ", 27);
	responses[5] = roundtrip(big, 20000);
	free(big);
	responses[6] = roundtrip_str("GET /later HTTP/1.1\r\n\r\n");
	responses[7] = roundtrip_str("HEAD /echo HTTP/1.1\r\n\r\n");
	responses[8] = roundtrip_str("GET /nope HTTP/1.1\r\n\r\n");
	responses[9] = roundtrip_str("DELETE /body HTTP/1.1\r\n\r\n");

	/* Disconnect while the handler holds the conn. */
	fd = connect_sock();
	if (fd >= 0) {
		const char *r = "GET /hold HTTP/1.1\r\n\r\n";

		if (write(fd, r, strlen(r)) < 0)
			perror("write");
		/* Leaves once the handler holds the request. */
		(void)wait_until(hold_seen, 5000);
		close(fd);
	}
	/* Disconnect in the middle of a stream. */
	fd = connect_sock();
	if (fd >= 0) {
		const char *r = "GET /watch HTTP/1.1\r\n\r\n";
		size_t got = 0;
		ssize_t n;

		if (write(fd, r, strlen(r)) < 0)
			perror("write");
		buf[0] = '\0';
		while (strstr(buf, "{}\n\r\n") == NULL &&
		       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)n;
			buf[got] = '\0';
		}
		responses[10] = xstrdup(buf);
		close(fd);
	}
	run_clients();
	/* The held reply and the watch's close callback come before the
	 * stop (both are checked below). */
	(void)wait_until(hold_replied && watch_closed, 5000);
	uv_async_send(&done_async);
	return NULL;
}

static void on_done(uv_async_t *a)
{
	ctl_server_stop(server);
	uv_close((uv_handle_t *)&done_async, NULL);
	uv_close((uv_handle_t *)&later_timer, NULL);
	uv_close((uv_handle_t *)&hold_timer, NULL);
}

static void make_stale_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		perror("bind");
	close(fd); /* the file stays, nobody listens: stale */
}

int main(void)
{
	char dir[] = "/tmp/berth-ctl-XXXXXX";
	struct berr err = BERR_INIT;
	struct ctl_server *second = NULL;
	struct stat st;
	pthread_t th;
	const char *want_post;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/berth.sock", dir);
	loop = uv_default_loop();

	make_stale_socket(sock_path);
	ok(stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode),
	   "stale socket file exists before start");
	is_int(ctl_server_start(loop, sock_path, handler, NULL, &server, &err),
	       0, "start replaces a stale socket (%s)", err.msg);
	ok(stat(sock_path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "socket mode is 0600 (%o)", st.st_mode & 0777);
	is_int(ctl_server_start(loop, sock_path, handler, NULL, &second, &err),
	       -1, "a second server on a live socket is refused");
	ok(strstr(err.msg, "another berth daemon is listening on") != NULL,
	   "error names the live daemon: %s", err.msg);
	ok(second == NULL, "no second server returned");
	uv_run(loop, UV_RUN_NOWAIT); /* let the failed listener close */

	uv_async_init(loop, &done_async, on_done);
	uv_timer_init(loop, &later_timer);
	uv_timer_init(loop, &hold_timer);
	pthread_create(&th, NULL, client_thread, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);

	ok(strncmp(responses[0], "HTTP/1.1 200 OK\r\n", 17) == 0,
	   "GET /echo is 200");
	ok(strstr(responses[0], "Content-Type: application/json") != NULL,
	   "JSON content type");
	ok(strstr(responses[0], "Connection: close") != NULL,
	   "Connection: close");
	ok(strstr(responses[0], "\"path\":\"/echo\"") != NULL,
	   "path has no query");
	ok(strstr(responses[0], "\"query\":\"x=a%20b+c&flag\"") != NULL,
	   "raw query passed");
	ok(strstr(responses[0], "\"x\":\"a b c\"") != NULL,
	   "query value URL-decoded");
	ok(strstr(responses[0], "\"flag\":\"\"") != NULL, "bare query key");
	ok(strstr(responses[0], "missing") == NULL, "absent key is -1");

	want_post = getuid() == 0 ? "HTTP/1.1 201 Created" : "HTTP/1.1 403";
	ok(strncmp(responses[1], want_post, strlen(want_post)) == 0,
	   "POST as uid %u gives %s", (unsigned)getuid(), want_post);
	if (getuid() == 0)
		ok(strstr(responses[1], "\"len\":5,\"body\":\"hello\"") != NULL,
		   "body delivered");
	else
		ok(strstr(responses[1], "may only read") != NULL,
		   "non-root refused");

	ok(strstr(responses[2], "Transfer-Encoding: chunked") != NULL,
	   "stream is chunked");
	ok(strstr(responses[2], "\r\n\r\n2\r\na\n\r\n3\r\nbc\n\r\n0\r\n\r\n") !=
	       NULL,
	   "chunks and terminator");
	ok(strncmp(responses[3], "HTTP/1.1 413", 12) == 0,
	   "oversized body is 413");
	ok(strncmp(responses[4], "HTTP/1.1 400", 12) == 0,
	   "malformed request is 400");
	ok(strstr(responses[4], "{\"error\":\"malformed request") != NULL,
	   "400 has an error body");
	ok(strncmp(responses[5], "HTTP/1.1 431", 12) == 0,
	   "oversized headers are 431");
	ok(strncmp(responses[6], "HTTP/1.1 200", 12) == 0 &&
	       strstr(responses[6], "\r\n\r\nlate\n") != NULL,
	   "asynchronous reply");
	ok(strncmp(responses[7], "HTTP/1.1 200", 12) == 0 &&
	       strstr(responses[7], "\r\n\r\n")[4] == '\0',
	   "HEAD has headers only");
	ok(strncmp(responses[8], "HTTP/1.1 404", 12) == 0 &&
	       strstr(responses[8], "no route for GET /nope") != NULL,
	   "error reply");
	ok(strncmp(responses[9],
		   getuid() == 0 ? "HTTP/1.1 201" : "HTTP/1.1 403", 12) == 0,
	   "DELETE follows the root rule");
	ok(hold_seen, "the handler held a request");
	ok(hold_replied, "reply after the client left is a no-op");
	ok(responses[10] && strstr(responses[10], "3\r\n{}\n\r\n") != NULL,
	   "watch got its first chunk");
	is_int(watch_closed, 1, "close callback fired once");
	is_str(client_lines, "[a][bc]", "client delivers chunked lines");
	is_int(cli_rc[0], 0, "cli get pods exits 0");
	is_str(cli_out[0],
	       "NAME     READY   STATUS    RESTARTS   AGE\n"
	       "echo-1   1/1     Running   0          61s\n",
	       "cli get pods prints the table");
	is_int(cli_rc[1], 0, "--socket is accepted after the verb");
	is_str(cli_out[1], cli_out[2], "same output either way");
	is_int(cli_rc[2], 0, "cli get -w -o json exits 0 at stream end");
	ok(cli_out[2] && strstr(cli_out[2], "\"echo-1\"") != NULL &&
	       strstr(cli_out[2], "\n{\"pods\":[]}\n") != NULL,
	   "watch json prints one document per line");
	is_int(cli_rc[3], getuid() == 0 ? 2 : 1, "422 exits 2 (403 exits 1)");
	is_int(cli_rc[4], 1, "404 exits 1");
	is_int(cli_rc[5], 1, "no daemon exits 1");
	is_int(cli_rc[6], 2, "unknown verb exits 2");
	is_str(cli_out[7],
	       "NAME     READY   STATUS    RESTARTS   AGE\n"
	       "echo-1   1/1     Running   0          61s\n",
	       "watch table prints the first document");
	free(client_lines);
	for (int i = 0; i < 8; i++)
		free(cli_out[i]);
	ok(access(sock_path, F_OK) == -1, "stop unlinks the socket");
	is_int(uv_loop_close(loop), 0, "every handle closed");

	for (int i = 0; i < NRESP; i++)
		free(responses[i]);
	rmdir(dir);
	return tap_done();
}
