/*
 * test_api.c - the control API's route table (orchestrator/api.c) over a
 * real control socket and a daemon with one deployment and no pods:
 * routes of the table are reached; HEAD answers wherever GET does,
 * with GET's status and headers and no body; a known path with another
 * method is 405, an unknown one 404; every integer the API accepts is
 * range-checked with a 400 naming it (`to_revision` 4294967299 once rolled
 * back to revision 3). A blocking client runs in a thread while the main
 * thread runs the libuv loop.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../common/xalloc.h"
#include "../../orchestrator/api.h"
#include "../../orchestrator/ctl_server.h"
#include "../../orchestrator/model.h"
#include "../lib/tap.h"

static char sock_path[108];
static uv_async_t done_async;
static struct ctl_server *server;

/* One request and what came back. */
struct exchange {
	const char *method, *path, *body;
	char *response;
};

static struct exchange ex[] = {
    {"GET", "/v1/pods", NULL, NULL},
    {"HEAD", "/v1/pods", NULL, NULL},
    {"GET", "/v1/deployments/web/rollout/history", NULL, NULL},
    {"HEAD", "/v1/deployments/web/rollout/history", NULL, NULL},
    {"HEAD", "/v1/events?watch=1", NULL, NULL},
    {"GET", "/v1/deployments/web/rollout/history?revision=3", NULL, NULL},
    {"GET", "/v1/deployments/web/rollout/history?revision=4294967299", NULL,
     NULL},
    {"GET", "/v1/deployments/web/rollout/history?revision=abc", NULL, NULL},
    {"GET", "/v1/deployments/web/rollout/history?revision=-1", NULL, NULL},
    {"GET",
     "/v1/deployments/web/rollout/history?revision="
     "3000000000000000000000000000000000000000000000000000",
     NULL, NULL},
    {"POST", "/v1/deployments/web/rollout/undo", "{\"to_revision\": 3}", NULL},
    {"POST", "/v1/deployments/web/rollout/undo",
     "{\"to_revision\": 4294967299}", NULL},
    {"POST", "/v1/deployments/web/rollout/undo", "{\"to_revision\": -1}", NULL},
    {"POST", "/v1/deployments/web/rollout/undo", "{\"to_revision\": \"3\"}",
     NULL},
    {"POST", "/v1/deployments/web/rollout/undo", "{\"to_revision\": 1e30}",
     NULL},
    {"POST", "/v1/deployments/web/scale", "{\"replicas\": 4294967299}", NULL},
    {"POST", "/v1/deployments/web/scale", "{\"replicas\": 2.5}", NULL},
    {"POST", "/v1/deployments/web/scale", "{}", NULL},
    {"GET", "/v1/apply", NULL, NULL},
    {"DELETE", "/v1/deployments/web/rollout/undo", NULL, NULL},
    {"GET", "/v1/nothing", NULL, NULL},
    {"POST", "/v1/deployments/nope/rollout/undo", "{}", NULL},
    {"GET", "/v1/pods/nope/logs", NULL, NULL},
    {"HEAD", "/v1/pods/nope/exec", NULL, NULL},
    {"GET", "/v1/describe/deployment/nope", NULL, NULL},
    {"DELETE", "/v1/pods/nope", NULL, NULL},
    {"POST", "/v1/deployments/web/rollout/pause", NULL, NULL},
    {"POST", "/v1/deployments/web/rollout/restart", NULL, NULL},
    {"GET",
     "/v1/pods/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaa/logs",
     NULL, NULL},
};

enum {
	GET_PODS,
	HEAD_PODS,
	GET_HISTORY,
	HEAD_HISTORY,
	HEAD_WATCH,
	HISTORY_3,
	HISTORY_BIG,
	HISTORY_ABC,
	HISTORY_NEG,
	HISTORY_LONG,
	UNDO_3,
	UNDO_BIG,
	UNDO_NEG,
	UNDO_STRING,
	UNDO_REAL,
	SCALE_BIG,
	SCALE_REAL,
	SCALE_NONE,
	GET_APPLY,
	DELETE_UNDO,
	GET_NOTHING,
	UNDO_NOPE,
	LOGS_NOPE,
	HEAD_EXEC_NOPE,
	DESCRIBE_NOPE,
	DELETE_NOPE,
	PAUSE,
	RESTART_PAUSED,
	LONG_SEGMENT,
	N_EX
};

static char *roundtrip(const struct exchange *e)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t cap = 4096, n = 0;
	char *req, *out;
	ssize_t r;

	strcpy(sun.sun_path, sock_path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return xstrdup("(connect failed)");
	}
	req = xasprintf("%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
			"\r\n%s",
			e->method, e->path, e->body ? strlen(e->body) : 0,
			e->body ? e->body : "");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		free(req);
		close(fd);
		return xstrdup("(write failed)");
	}
	free(req);
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

static void *client_thread(void *arg)
{
	for (size_t i = 0; i < N_EX; i++)
		ex[i].response = roundtrip(&ex[i]);
	uv_async_send(&done_async);
	return NULL;
}

static void on_done(uv_async_t *a)
{
	ctl_server_stop(server);
	uv_close((uv_handle_t *)&done_async, NULL);
}

static int status_of(int i)
{
	const char *r = ex[i].response;

	return strncmp(r, "HTTP/1.1 ", 9) == 0 ? atoi(r + 9) : -1;
}

static const char *body_of(int i)
{
	const char *b = strstr(ex[i].response, "\r\n\r\n");

	return b ? b + 4 : "";
}

/* status and text of exchange i, with the response shown on failure */
static void expect(int i, int status, const char *text)
{
	bool good = status_of(i) == status &&
		    (text == NULL || strstr(body_of(i), text) != NULL);

	ok(good, "%s %s -> %d%s%s", ex[i].method, ex[i].path, status,
	   text ? ": " : "", text ? text : "");
	if (!good)
		printf("#   got: %s\n", ex[i].response);
}

static void check_head(int get, int head)
{
	const char *gb = strstr(ex[get].response, "\r\n\r\n");
	const char *hb = strstr(ex[head].response, "\r\n\r\n");

	ok(gb && hb && gb - ex[get].response == hb - ex[head].response &&
	       !strncmp(ex[get].response, ex[head].response,
			(size_t)(gb - ex[get].response)),
	   "HEAD %s: GET's status line and headers", ex[head].path);
	ok(hb && hb[4] == '\0', "HEAD %s: no body", ex[head].path);
	ok(gb && gb[4] != '\0', "GET %s: a body", ex[get].path);
}

/* Every route the CLI uses, as it asks for it. */
static const char *const every_route[][2] = {
    {"GET", "/v1/pods"},
    {"GET", "/v1/deployments"},
    {"GET", "/v1/services"},
    {"GET", "/v1/events"},
    {"POST", "/v1/apply"},
    {"POST", "/v1/down"},
    {"GET", "/v1/describe/pod/p"},
    {"DELETE", "/v1/pods/p"},
    {"GET", "/v1/pods/p/logs"},
    {"GET", "/v1/pods/p/exec"},
    {"POST", "/v1/services/s/selector"},
    {"POST", "/v1/deployments/d/scale"},
    {"POST", "/v1/deployments/d/image"},
    {"GET", "/v1/deployments/d/rollout/status"},
    {"GET", "/v1/deployments/d/rollout/history"},
    {"POST", "/v1/deployments/d/rollout/pause"},
    {"POST", "/v1/deployments/d/rollout/resume"},
    {"POST", "/v1/deployments/d/rollout/undo"},
    {"POST", "/v1/deployments/d/rollout/restart"},
};

static void check_route_table(void)
{
	char allowed[128];
	int seen[64] = {0};
	size_t n = sizeof(every_route) / sizeof(every_route[0]);

	for (size_t i = 0; i < n; i++) {
		int r = api_route(every_route[i][0], every_route[i][1], allowed,
				  sizeof(allowed));

		ok(r >= 0 && r < 64 && !seen[r]++, "%s %s has its own route",
		   every_route[i][0], every_route[i][1]);
	}

	ok(api_route("GET", "/v1/pods", allowed, sizeof(allowed)) >= 0,
	   "GET /v1/pods has a route");
	ok(api_route("HEAD", "/v1/deployments/x/rollout/status", allowed,
		     sizeof(allowed)) >= 0,
	   "HEAD reaches a GET route");
	ok(api_route("HEAD", "/v1/apply", allowed, sizeof(allowed)) == -405,
	   "HEAD does not reach a POST route");
	is_int(api_route("POST", "/v1/pods", allowed, sizeof(allowed)), -405,
	       "POST /v1/pods: 405");
	is_str(allowed, "GET, HEAD", "and GET, HEAD are allowed there");
	is_int(api_route("GET", "/v1/pods/x", allowed, sizeof(allowed)), -405,
	       "GET /v1/pods/NAME: 405");
	is_str(allowed, "DELETE", "only DELETE is allowed there");
	is_int(api_route("GET", "/v1/pods/x/y/z", allowed, sizeof(allowed)),
	       -404, "an unknown path: 404");
	is_int(api_route("GET", "/v2/pods", allowed, sizeof(allowed)), -404,
	       "an unknown version: 404");
	ok(api_route("GET", "//v1//pods/", allowed, sizeof(allowed)) >= 0,
	   "repeated slashes are one");
	ok(api_route("GET", "/v1/pods/a%2Fb/logs", allowed, sizeof(allowed)) >=
	       0,
	   "an encoded slash stays in its segment");
}

int main(void)
{
	char dir[] = "/tmp/berth-api-XXXXXX";
	struct berr err = BERR_INIT;
	struct daemon *d = xcalloc(1, sizeof(*d));
	struct deployment *dep = xcalloc(1, sizeof(*dep));
	pthread_t th;

	check_route_table();
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/berth.sock", dir);
	d->loop = uv_default_loop();
	d->state_dir = xstrdup(dir);
	snprintf(dep->name, sizeof(dep->name), "web");
	snprintf(dep->hash, sizeof(dep->hash), "abc123");
	dep->daemon = d;
	dep->revision = 3;
	dep->paused = true;
	dep->revisions = xcalloc(1, sizeof(*dep->revisions));
	dep->revisions[0].number = 3;
	snprintf(dep->revisions[0].hash, sizeof(dep->revisions[0].hash),
		 "abc123");
	dep->n_revisions = 1;
	d->deployments = dep;

	if (ctl_server_start(d->loop, sock_path, api_handle, d, &server,
			     &err) == -1) {
		ok(0, "control socket: %s", err.msg);
		return tap_done();
	}
	uv_async_init(d->loop, &done_async, on_done);
	pthread_create(&th, NULL, client_thread, NULL);
	uv_run(d->loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);

	expect(GET_PODS, 200, "{\"pods\":[]}");
	check_head(GET_PODS, HEAD_PODS);
	expect(GET_HISTORY, 200, "REVISION  CHANGE-CAUSE");
	ok(strstr(body_of(GET_HISTORY), "\n3 ") != NULL, "revision 3 listed");
	check_head(GET_HISTORY, HEAD_HISTORY);
	expect(HEAD_WATCH, 200, NULL);
	ok(strstr(ex[HEAD_WATCH].response, "chunked") == NULL,
	   "HEAD with ?watch: one reply, not a stream");
	expect(HISTORY_3, 200, "with revision #3");
	expect(HISTORY_BIG, 400,
	       "query parameter revision must be an integer from 0 to "
	       "2147483647");
	expect(HISTORY_ABC, 400, "revision must be an integer");
	expect(HISTORY_NEG, 400, "revision must be an integer");
	expect(HISTORY_LONG, 400, "revision must be an integer");
	expect(UNDO_3, 200, "skipped rollback");
	expect(UNDO_BIG, 400,
	       "to_revision must be an integer from 0 to 2147483647");
	expect(UNDO_NEG, 400, "to_revision must be an integer");
	expect(UNDO_STRING, 400, "to_revision must be an integer");
	expect(UNDO_REAL, 400, "to_revision must be an integer");
	expect(SCALE_BIG, 400, "replicas must be an integer from 0 to 10000");
	expect(SCALE_REAL, 400, "replicas must be an integer");
	expect(SCALE_NONE, 400, "replicas must be an integer");
	is_int(dep->replicas, 0, "no refused scale changed the replicas");
	expect(GET_APPLY, 405,
	       "GET is not allowed on /v1/apply (allowed: "
	       "POST)");
	expect(DELETE_UNDO, 405, "(allowed: POST)");
	expect(GET_NOTHING, 404, "no such API path");
	expect(UNDO_NOPE, 404, "deployments.apps \\\"nope\\\" not found");
	expect(LOGS_NOPE, 404, "pod \\\"nope\\\" not found");
	expect(HEAD_EXEC_NOPE, 404, NULL);
	expect(DESCRIBE_NOPE, 404, NULL);
	expect(DELETE_NOPE, 404, "pod \\\"nope\\\" not found");
	expect(PAUSE, 409, "already paused");
	expect(RESTART_PAUSED, 409, "can't restart paused deployment");
	expect(LONG_SEGMENT, 400, "longer than 127 bytes");

	for (size_t i = 0; i < N_EX; i++)
		free(ex[i].response);
	uv_loop_close(d->loop);
	free(dep->revisions);
	free(dep);
	free(d->state_dir);
	free(d);
	rmdir(dir);
	return tap_done();
}
