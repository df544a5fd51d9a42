/*
 * test_probe_http.c - the probe engine on a real libuv loop against a
 * local HTTP server on 127.0.0.1: status codes, redirects, timeouts, TCP
 * refusal and success, cancellation, exec probes through a fake runtime,
 * and sockets opened inside a network namespace made here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "../../probes/probe.h"
#include "../../runtime/netns.h"
#include "../lib/tap.h"

static uv_loop_t *loop;
static int srv_port;
static int srv_requests;
static char srv_last_request[4096];
static char srv_paths[64][128];

/* ---- a tiny HTTP server on the same loop ---- */

struct sconn {
	uv_tcp_t tcp;
	uv_write_t w;
	char buf[4096];
	size_t len;
	char *resp;
};

static void sconn_closed(uv_handle_t *h)
{
	struct sconn *c = h->data;

	free(c->resp);
	free(c);
}

static void sconn_written(uv_write_t *w, int status)
{
	struct sconn *c = w->data;

	uv_close((uv_handle_t *)&c->tcp, sconn_closed);
}

static void respond(struct sconn *c, const char *path)
{
	int code = 200;
	char extra[256] = "";
	uv_buf_t b;

	if (strcmp(path, "/hang") == 0)
		return;
	if (strcmp(path, "/fail") == 0) {
		code = 503;
	} else if (strcmp(path, "/redir") == 0) {
		code = 302;
		snprintf(extra, sizeof(extra), "Location: ok\r\n");
	} else if (strcmp(path, "/redir-abs") == 0) {
		code = 301;
		snprintf(extra, sizeof(extra),
			 "Location: http://127.0.0.1:%d/fail\r\n", srv_port);
	} else if (strcmp(path, "/redir-fail") == 0) {
		code = 307;
		snprintf(extra, sizeof(extra), "Location: /fail\r\n");
	} else if (strcmp(path, "/redir-other") == 0) {
		code = 302;
		snprintf(extra, sizeof(extra),
			 "Location: http://other.invalid:%d/fail\r\n",
			 srv_port);
	} else if (strcmp(path, "/loop") == 0) {
		code = 302;
		snprintf(extra, sizeof(extra), "Location: /loop\r\n");
	}
	c->resp = malloc(512);
	snprintf(c->resp, 512,
		 "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n"
		 "%s\r\nok",
		 code, extra);
	b = uv_buf_init(c->resp, (unsigned)strlen(c->resp));
	c->w.data = c;
	uv_write(&c->w, (uv_stream_t *)&c->tcp, &b, 1, sconn_written);
}

static void salloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct sconn *c = h->data;

	b->base = c->buf + c->len;
	b->len = sizeof(c->buf) - 1 - c->len;
}

static void sread(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct sconn *c = s->data;
	char path[128] = "";

	if (n < 0) {
		if (!uv_is_closing((uv_handle_t *)s))
			uv_close((uv_handle_t *)s, sconn_closed);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") == NULL)
		return;
	uv_read_stop(s);
	snprintf(srv_last_request, sizeof(srv_last_request), "%s", c->buf);
	sscanf(c->buf, "GET %127s", path);
	if (srv_requests < 64)
		snprintf(srv_paths[srv_requests], sizeof(srv_paths[0]), "%s",
			 path);
	srv_requests++;
	respond(c, path);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sconn *c = calloc(1, sizeof(*c));

	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, sconn_closed);
		return;
	}
	uv_read_start((uv_stream_t *)&c->tcp, salloc, sread);
}

static uv_tcp_t server;

static void server_start(void)
{
	struct sockaddr_in sin;
	int len = sizeof(sin);

	uv_ip4_addr("127.0.0.1", 0, &sin);
	uv_tcp_init(loop, &server);
	uv_tcp_bind(&server, (const struct sockaddr *)&sin, 0);
	uv_listen((uv_stream_t *)&server, 1024, on_connection);
	uv_tcp_getsockname(&server, (struct sockaddr *)&sin, &len);
	srv_port = ntohs(sin.sin_port);
}

/* ---- driving probe sets ---- */

struct events {
	int n;
	enum probe_type type;
	bool healthy;
	char msg[1024];
};

static void on_event(void *owner, enum probe_type type, bool healthy,
		     const char *msg)
{
	struct events *e = owner;

	e->n++;
	e->type = type;
	e->healthy = healthy;
	snprintf(e->msg, sizeof(e->msg), "%s", msg ? msg : "(null)");
	uv_stop(loop);
}

static int many_ready;

static void on_event_count(void *owner, enum probe_type type, bool healthy,
			   const char *msg)
{
	many_ready++;
}

static void on_deadline(uv_timer_t *t)
{
	uv_stop(loop);
}

/* Runs the loop until an event arrives or ms elapse; returns ms spent. */
static uint64_t run_for(struct events *e, uint64_t ms)
{
	uv_timer_t deadline;
	uint64_t t0;

	uv_update_time(loop);
	t0 = uv_now(loop);
	uv_timer_init(loop, &deadline);
	uv_timer_start(&deadline, on_deadline, ms, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	uv_update_time(loop);
	return uv_now(loop) - t0;
}

static void drain(void)
{
	int i;

	for (i = 0; i < 10; i++)
		uv_run(loop, UV_RUN_NOWAIT);
}

static struct probe_target host_target = {
    .runtime = "runc",
    .runtime_root = "/run/berth/runc",
    .container_id = "t",
    .pid = 0,
    .host_network = true,
};

static void set_probe(struct probe_spec *ps, enum handler_kind kind, int port,
		      const char *path, int ft)
{
	memset(ps, 0, sizeof(*ps));
	ps->set = true;
	ps->handler.kind = kind;
	ps->handler.http_port = port;
	ps->handler.tcp_port = port;
	ps->handler.http_path = (char *)path;
	ps->period_seconds = 1;
	ps->timeout_seconds = 1;
	ps->success_threshold = 1;
	ps->failure_threshold = ft;
}

/*
 * One probe: readiness (success shows as ready) when want_ok, else
 * liveness with failureThreshold 1 (failure shows at once).
 */
static struct events probe_once(enum handler_kind kind, int port,
				const char *path, bool want_ok,
				const struct probe_target *target,
				uint64_t *elapsed, char *describe, size_t dlen)
{
	struct deployment_spec spec;
	struct events e = {0};
	struct probe_set *set;
	uint64_t ms;

	memset(&spec, 0, sizeof(spec));
	set_probe(want_ok ? &spec.readiness_probe : &spec.liveness_probe, kind,
		  port, path, 1);
	set = probe_set_start(loop, &spec, target ? target : &host_target,
			      on_event, &e);
	ms = run_for(&e, 5000);
	if (elapsed != NULL)
		*elapsed = ms;
	if (describe != NULL) {
		describe[0] = '\0';
		probe_set_describe(set, describe, dlen);
	}
	probe_set_stop(set);
	drain();
	return e;
}

static void test_http(void)
{
	struct events e;
	char want[1024], desc[4096];
	uint64_t ms;
	int before;

	e = probe_once(HANDLER_HTTP, srv_port, "/ok", true, NULL, NULL, desc,
		       sizeof(desc));
	ok(e.n == 1 && e.type == PROBE_READINESS && e.healthy,
	   "http 200: ready");
	ok(strstr(srv_last_request, "GET /ok HTTP/1.1\r\n") == srv_last_request,
	   "request line");
	snprintf(want, sizeof(want), "Host: 127.0.0.1:%d\r\n", srv_port);
	ok(strstr(srv_last_request, want) != NULL, "Host header");
	ok(strstr(srv_last_request, "User-Agent: kube-probe/1.29\r\n") &&
	       strstr(srv_last_request, "Accept: */*\r\n") &&
	       strstr(srv_last_request, "Connection: close\r\n"),
	   "kubelet's default headers");
	snprintf(want, sizeof(want),
		 "    Readiness:    http-get http://:%d/ok delay=0s timeout=1s "
		 "period=1s #success=1 #failure=1\n",
		 srv_port);
	ok(strstr(desc, want) == desc, "describe line");
	if (strstr(desc, want) != desc)
		printf("# %s", desc);
	ok(strstr(desc, "Last probe results:\n      Readiness:  Readiness "
			"probe succeeded\n") != NULL,
	   "describe last result");

	e = probe_once(HANDLER_HTTP, srv_port, "/fail", false, NULL, NULL, NULL,
		       0);
	ok(e.n == 1 && e.type == PROBE_LIVENESS && !e.healthy,
	   "http 503: liveness failure");
	is_str(e.msg,
	       "Liveness probe failed: HTTP probe failed with statuscode: 503",
	       "503 message");

	before = srv_requests;
	e = probe_once(HANDLER_HTTP, srv_port, "/redir", true, NULL, NULL, NULL,
		       0);
	ok(e.n == 1 && e.healthy, "relative redirect followed to 200");
	ok(srv_requests == before + 2 &&
	       strcmp(srv_paths[before + 1], "/ok") == 0,
	   "second request went to /ok");

	e = probe_once(HANDLER_HTTP, srv_port, "/redir-fail", false, NULL, NULL,
		       NULL, 0);
	is_str(e.msg,
	       "Liveness probe failed: HTTP probe failed with statuscode: 503",
	       "same-host redirect followed (to a 503)");
	e = probe_once(HANDLER_HTTP, srv_port, "/redir-abs", false, NULL, NULL,
		       NULL, 0);
	is_str(e.msg,
	       "Liveness probe failed: HTTP probe failed with statuscode: 503",
	       "absolute same-host redirect followed");

	before = srv_requests;
	e = probe_once(HANDLER_HTTP, srv_port, "/redir-other", true, NULL, NULL,
		       desc, sizeof(desc));
	ok(e.n == 1 && e.healthy, "redirect to another host: success");
	is_int(srv_requests, before + 1, "other host not contacted");
	ok(strstr(desc, "Readiness probe warning: Probe terminated "
			"redirects") != NULL,
	   "warning kept for describe");

	before = srv_requests;
	e = probe_once(HANDLER_HTTP, srv_port, "/loop", false, NULL, NULL, NULL,
		       0);
	snprintf(want, sizeof(want),
		 "Liveness probe failed: Get \"http://127.0.0.1:%d/loop\": "
		 "stopped after 10 redirects",
		 srv_port);
	is_str(e.msg, want, "redirect loop stops after 10 requests");
	is_int(srv_requests, before + 10, "10 requests made");

	e = probe_once(HANDLER_HTTP, srv_port, "/hang", false, NULL, &ms, NULL,
		       0);
	snprintf(want, sizeof(want),
		 "Liveness probe failed: Get \"http://127.0.0.1:%d/hang\": "
		 "context deadline exceeded (Client.Timeout exceeded while "
		 "awaiting headers)",
		 srv_port);
	is_str(e.msg, want, "hanging server: timeout message");
	ok(ms >= 900 && ms <= 2500, "timeout after ~1 s (%llu ms)",
	   (unsigned long long)ms);
}

static int free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void test_http_headers(void)
{
	struct deployment_spec spec;
	struct kv hdrs[2] = {{"X-Probe", "1"}, {"User-Agent", "mine/2"}};
	struct events e = {0};
	struct probe_set *set;
	char want[128];

	memset(&spec, 0, sizeof(spec));
	set_probe(&spec.readiness_probe, HANDLER_HTTP, srv_port, "ok", 1);
	spec.readiness_probe.handler.http_host = "app.test";
	spec.readiness_probe.handler.http_headers.v = hdrs;
	spec.readiness_probe.handler.http_headers.n = 2;
	set = probe_set_start(loop, &spec, &host_target, on_event, &e);
	run_for(&e, 3000);
	probe_set_stop(set);
	drain();
	ok(e.n == 1 && e.healthy, "custom headers: ready");
	snprintf(want, sizeof(want),
		 "GET /ok HTTP/1.1\r\nHost: app.test:%d\r\n", srv_port);
	ok(strstr(srv_last_request, want) == srv_last_request,
	   "path gets its leading slash; Host from httpGet.host");
	ok(strstr(srv_last_request, "X-Probe: 1\r\n") != NULL &&
	       strstr(srv_last_request, "User-Agent: mine/2\r\n") != NULL &&
	       strstr(srv_last_request, "kube-probe") == NULL,
	   "custom headers sent, User-Agent overridden");
}

/* 200 pods probed every second: all served by one loop, little CPU. */
static void test_many(void)
{
	enum { N = 200 };
	static struct probe_set *sets[N];
	static struct events evs[N];
	struct deployment_spec spec;
	struct rusage r0, r1;
	double cpu;
	int i, ready = 0;

	memset(&spec, 0, sizeof(spec));
	set_probe(&spec.readiness_probe, HANDLER_HTTP, srv_port, "/ok", 1);
	spec.readiness_probe.success_threshold = 3;
	getrusage(RUSAGE_SELF, &r0);
	for (i = 0; i < N; i++) {
		memset(&evs[i], 0, sizeof(evs[i]));
		sets[i] = probe_set_start(loop, &spec, &host_target,
					  on_event_count, &evs[i]);
	}
	many_ready = 0;
	run_for(NULL, 2600);
	for (i = 0; i < N; i++) {
		ready += probe_set_ready(sets[i]);
		probe_set_stop(sets[i]);
	}
	drain();
	getrusage(RUSAGE_SELF, &r1);
	cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec +
		       r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
	      (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec +
		       r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) /
		  1e6;
	is_int(ready, N, "200 pods, 3 runs each at 1 s period: all ready");
	ok(cpu < 1.5, "600 HTTP probe runs in 2.6 s cost %.2f s CPU (ASan)",
	   cpu);
}

static void test_tcp(void)
{
	struct events e;
	char want[256], desc[2048];
	int port = free_port();

	e = probe_once(HANDLER_TCP, port, NULL, false, NULL, NULL, desc,
		       sizeof(desc));
	snprintf(want, sizeof(want),
		 "Liveness probe failed: dial tcp 127.0.0.1:%d: connect: "
		 "connection refused",
		 port);
	is_str(e.msg, want, "tcp refused message");
	snprintf(want, sizeof(want),
		 "    Liveness:     tcp-socket :%d delay=", port);
	ok(strstr(desc, want) == desc, "tcp describe line");

	e = probe_once(HANDLER_HTTP, port, "/x", false, NULL, NULL, NULL, 0);
	snprintf(want, sizeof(want),
		 "Liveness probe failed: Get \"http://127.0.0.1:%d/x\": dial "
		 "tcp 127.0.0.1:%d: connect: connection refused",
		 port, port);
	is_str(e.msg, want, "http refused message");

	e = probe_once(HANDLER_TCP, srv_port, NULL, true, NULL, NULL, NULL, 0);
	ok(e.n == 1 && e.type == PROBE_READINESS && e.healthy,
	   "tcp connect: ready");
}

/* A port given by name is the container's port of that name, as the
 * kubelet looks it up; a name the container has no port of fails each
 * run, saying so. */
static void test_named_port(void)
{
	struct deployment_spec spec;
	struct events e = {0};
	struct probe_set *set;
	char desc[2048] = "";

	memset(&spec, 0, sizeof(spec));
	spec.port = srv_port;
	spec.port_name = (char *)"http";
	set_probe(&spec.readiness_probe, HANDLER_HTTP, 0, "/ok", 1);
	spec.readiness_probe.handler.port_name = (char *)"http";
	set = probe_set_start(loop, &spec, &host_target, on_event, &e);
	run_for(&e, 5000);
	probe_set_describe(set, desc, sizeof(desc));
	probe_set_stop(set);
	drain();
	ok(e.n == 1 && e.type == PROBE_READINESS && e.healthy,
	   "httpGet on a named port: the container's port of that name");
	ok(strstr(desc, "    Readiness:    http-get http://:http/ok delay=") ==
	       desc,
	   "described with the name, as kubectl does");
	if (strstr(desc, "http://:http/ok") == NULL)
		printf("# %s", desc);

	memset(&e, 0, sizeof(e));
	set_probe(&spec.readiness_probe, HANDLER_TCP, 0, NULL, 1);
	spec.readiness_probe.set = false;
	set_probe(&spec.liveness_probe, HANDLER_TCP, 0, NULL, 1);
	spec.liveness_probe.handler.port_name = (char *)"web";
	set = probe_set_start(loop, &spec, &host_target, on_event, &e);
	run_for(&e, 5000);
	probe_set_stop(set);
	drain();
	ok(e.n == 1 && e.type == PROBE_LIVENESS && !e.healthy,
	   "tcpSocket on a name the container has no port of: fails");
	is_str(e.msg,
	       "Liveness probe failed: port \"web\" not found among the "
	       "container's ports",
	       "... saying which name");
}

static void test_stop_in_flight(void)
{
	struct deployment_spec spec;
	struct events e = {0};
	struct probe_set *set;

	memset(&spec, 0, sizeof(spec));
	set_probe(&spec.liveness_probe, HANDLER_HTTP, srv_port, "/hang", 1);
	set_probe(&spec.readiness_probe, HANDLER_HTTP, srv_port, "/ok", 1);
	spec.readiness_probe.success_threshold = 1000;
	set = probe_set_start(loop, &spec, &host_target, on_event, &e);
	run_for(&e, 300);
	ok(e.n == 0 && !probe_set_ready(set), "nothing reported yet");
	probe_set_stop(set);
	run_for(&e, 1500);
	is_int(e.n, 0, "no callback after probe_set_stop");
}

/* Stops the set from inside its own callback. */
struct self_stop {
	struct probe_set *set;
	int n;
};

static void on_event_stop(void *owner, enum probe_type type, bool healthy,
			  const char *msg)
{
	struct self_stop *s = owner;

	s->n++;
	probe_set_stop(s->set);
	uv_stop(loop);
}

static void test_stop_in_callback(void)
{
	struct deployment_spec spec;
	struct self_stop s = {0};
	struct events dummy = {0};

	memset(&spec, 0, sizeof(spec));
	set_probe(&spec.startup_probe, HANDLER_HTTP, srv_port, "/ok", 1);
	s.set = probe_set_start(loop, &spec, &host_target, on_event_stop, &s);
	run_for(&dummy, 3000);
	is_int(s.n, 1, "stop inside the callback: one event, no more");
	drain();
}

/* ---- exec probes through a fake runtime ---- */

static char tmpdir[] = "/tmp/berth-probe-test.XXXXXX";
static char fake_runtime[256];

static const char fake_runtime_sh[] =
    "#!/bin/sh\n"
    "# stands in for runc: --root R exec --pid-file F ID CMD...\n"
    "[ \"$1\" = --root ] && shift 2\n"
    "[ \"$1\" = exec ] || exit 99\n"
    "[ \"$2\" = --pid-file ] || exit 98\n"
    "pidfile=$3; shift 4\n"
    "sh -c 'echo $$ > \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec \"$@\"' "
    "\"$pidfile\" \"$@\" &\n"
    "wait $!\n";

/* Running (not gone, not a zombie waiting for a reaper). */
static bool alive(int pid)
{
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fscanf(f, "%*d %*s %c", &state) != 1)
		state = 0;
	fclose(f);
	return state != 'Z' && state != 'X' && state != 0;
}

static void setup_fake_runtime(void)
{
	int fd;

	if (mkdtemp(tmpdir) == NULL)
		abort();
	snprintf(fake_runtime, sizeof(fake_runtime), "%s/runtime", tmpdir);
	fd = open(fake_runtime, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (write(fd, fake_runtime_sh, sizeof(fake_runtime_sh) - 1) < 0)
		abort();
	close(fd);
	probe_set_exec_dir(tmpdir);
}

static struct events exec_once(const char *runtime, char **argv, size_t n,
			       bool want_ok, uint64_t *elapsed)
{
	struct deployment_spec spec;
	struct probe_target t = host_target;
	struct probe_spec *ps;
	struct events e = {0};
	struct probe_set *set;
	uint64_t ms;

	t.runtime = runtime;
	memset(&spec, 0, sizeof(spec));
	ps = want_ok ? &spec.readiness_probe : &spec.liveness_probe;
	set_probe(ps, HANDLER_EXEC, 0, NULL, 1);
	ps->handler.exec_command.v = argv;
	ps->handler.exec_command.n = n;
	set = probe_set_start(loop, &spec, &t, on_event, &e);
	ms = run_for(&e, 5000);
	if (elapsed)
		*elapsed = ms;
	probe_set_stop(set);
	run_for(&e, 200);
	return e;
}

static void test_exec(void)
{
	char *ok_cmd[] = {"true", NULL};
	char *fail_cmd[] = {"sh", "-c", "echo not warm; exit 3", NULL};
	char inner[300], cmd[400], want[512];
	char *hang_cmd[] = {"sh", "-c", cmd, NULL};
	struct events e;
	uint64_t ms;
	FILE *f;
	int pid = 0, i;

	setup_fake_runtime();
	e = exec_once(fake_runtime, ok_cmd, 1, true, NULL);
	ok(e.n == 1 && e.healthy, "exec exit 0: ready");

	e = exec_once(fake_runtime, fail_cmd, 3, false, NULL);
	is_str(e.msg,
	       "Liveness probe failed: command \"sh -c echo not warm; exit 3\" "
	       "exited with 3: not warm",
	       "exec exit 3 message with output");

	snprintf(inner, sizeof(inner), "%s/inner.pid", tmpdir);
	snprintf(cmd, sizeof(cmd), "echo $$ > %s; exec sleep 30", inner);
	e = exec_once(fake_runtime, hang_cmd, 3, false, &ms);
	snprintf(want, sizeof(want),
		 "Liveness probe failed: command \"sh -c %s\" timed out", cmd);
	is_str(e.msg, want, "exec timeout message");
	ok(ms >= 900 && ms <= 2500, "exec timeout after ~1 s (%llu ms)",
	   (unsigned long long)ms);
	f = fopen(inner, "r");
	if (f != NULL) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	for (i = 0; i < 50 && pid > 0 && alive(pid); i++)
		usleep(20000);
	ok(pid > 0 && !alive(pid),
	   "the command itself was killed by its pid file (pid %d)", pid);
	unlink(inner);

	e = exec_once("/nonexistent/runc", ok_cmd, 1, false, NULL);
	ok(strstr(e.msg, "Liveness probe failed: command \"true\" could not "
			 "run: /nonexistent/runc: no such file") == e.msg,
	   "missing runtime: exec error (%s)", e.msg);
}

/* ---- network namespaces ---- */

static void lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
}

static ino_t ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void test_netns(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct berr err = BERR_INIT;
	struct probe_target t = host_target;
	struct events e;
	char path[64];
	int pfd[2], fd, nsfd, host_fd, port, child_port = 0;
	ino_t home_before, home_after;
	struct stat st;
	pid_t child;

	if (pipe(pfd) == -1)
		abort();
	child = fork();
	if (child == 0) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t alen = sizeof(a);
		int l, p;

		close(pfd[0]);
		if (unshare(CLONE_NEWNET) == -1)
			_exit(1);
		lo_up();
		l = socket(AF_INET, SOCK_STREAM, 0);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bind(l, (struct sockaddr *)&a, sizeof(a));
		listen(l, 16);
		getsockname(l, (struct sockaddr *)&a, &alen);
		p = ntohs(a.sin_port);
		if (write(pfd[1], &p, sizeof(p)) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &child_port, sizeof(child_port)) != sizeof(int))
		child_port = 0;
	close(pfd[0]);
	ok(child_port > 0, "child in its own netns listens on %d", child_port);

	home_before = ns_ino("/proc/thread-self/ns/net");
	fd = rt_netns_socket(child, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, &err);
	home_after = ns_ino("/proc/thread-self/ns/net");
	ok(fd >= 0, "rt_netns_socket: %s", fd >= 0 ? "ok" : err.msg);
	ok(home_before != 0 && home_before == home_after,
	   "calling thread back in its own netns");
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	nsfd = ioctl(fd, SIOCGSKNS);
	ok(nsfd >= 0 && fstat(nsfd, &st) == 0 && st.st_ino == ns_ino(path) &&
	       st.st_ino != home_before,
	   "socket belongs to the child's netns");
	if (nsfd >= 0)
		close(nsfd);

	/* The same port bound in both namespaces: they are different. */
	port = free_port();
	host_fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	ok(bind(host_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	       listen(host_fd, 1) == 0,
	   "host ns: bound 127.0.0.1:%d", port);
	ok(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	   "pod ns: same 127.0.0.1:%d bindable too", port);
	close(fd);
	close(host_fd);

	berr_clear(&err);
	ok(rt_netns_socket(999999, AF_INET, SOCK_STREAM, &err) == -1 &&
	       strstr(err.msg, "/proc/999999/ns/net") != NULL,
	   "missing pid: error (%s)", err.msg);

	/* A tcp probe of network=private reaches the pod's own loopback. */
	t.host_network = false;
	t.pid = child;
	e = probe_once(HANDLER_TCP, child_port, NULL, true, &t, NULL, NULL, 0);
	ok(e.n == 1 && e.healthy, "tcp probe inside the pod netns: ready");
	e = probe_once(HANDLER_HTTP, child_port, "/", false, &t, NULL, NULL, 0);
	ok(e.n == 1 && strstr(e.msg, "context deadline exceeded") != NULL,
	   "http probe inside the netns reaches the silent listener");
	t.pid = 999999;
	e = probe_once(HANDLER_TCP, child_port, NULL, false, &t, NULL, NULL, 0);
	ok(e.n == 1 && strstr(e.msg, "Liveness probe failed: open "
				     "/proc/999999/ns/net") == e.msg,
	   "netns error reported (%s)", e.msg);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	loop = uv_default_loop();
	server_start();
	test_http();
	test_http_headers();
	test_tcp();
	test_named_port();
	test_many();
	test_stop_in_flight();
	test_stop_in_callback();
	test_exec();
	if (geteuid() == 0)
		test_netns();
	else
		printf("# skipping netns tests: not root\n");
	uv_close((uv_handle_t *)&server, NULL);
	drain();
	unlink(fake_runtime);
	rmdir(tmpdir);
	return tap_done();
}
