/*
 * test_proxy_conn.c - how http mode uses its connections, end to end on
 * 127.0.0.1: one pooled backend connection serves many requests from
 * several clients; pipelined requests are answered in order; a client
 * that half-closes after its request(s) still gets every answer, then
 * EOF; a pooled connection the backend closes while idle is retired
 * without costing a retry; an answer saying "Connection: close" ends the
 * client connection; services are set all or nothing.
 * Ports 18920-18929.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "../lib/loopback.h"
#include "../lib/proxy_test.h"
#include "../lib/tap.h"
#include "../lib/wait_until.h"

/* A backend that numbers its connections and answers each GET with
 * "conn-K PATH"; a connection idle for idle_ms (0: never) is closed. */
struct backend {
	int fd;
	int idle_ms;
	atomic_int conns;
};

struct backend_conn {
	struct backend *b;
	int fd, serial;
};

static void *backend_conn_main(void *arg)
{
	struct backend_conn *c = arg;
	char buf[8192];
	size_t len = 0;

	for (;;) {
		struct pollfd p = {c->fd, POLLIN, 0};
		char *end, path[128], out[512], body[256];
		ssize_t n;
		int m;

		end = len ? strstr(buf, "\r\n\r\n") : NULL;
		if (end == NULL) {
			if (poll(&p, 1, c->b->idle_ms ? c->b->idle_ms : -1) !=
			    1)
				break;
			n = read(c->fd, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = '\0';
			continue;
		}
		if (sscanf(buf, "GET %127s", path) != 1)
			break;
		bool last = !strcmp(path, "/close-me");

		snprintf(body, sizeof(body), "conn-%d %s", c->serial, path);
		m = snprintf(
		    out, sizeof(out),
		    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n%s\r\n%s",
		    strlen(body), last ? "Connection: close\r\n" : "", body);
		if (write(c->fd, out, (size_t)m) != m || last)
			break;
		len -= (size_t)(end + 4 - buf);
		memmove(buf, end + 4, len + 1);
	}
	close(c->fd);
	free(c);
	return NULL;
}

static void *backend_main(void *arg)
{
	struct backend *b = arg;

	for (;;) {
		int fd = accept(b->fd, NULL, NULL);
		struct backend_conn *c;
		pthread_t t;

		if (fd == -1)
			return NULL;
		c = calloc(1, sizeof(*c));
		c->b = b;
		c->fd = fd;
		c->serial = atomic_fetch_add(&b->conns, 1) + 1;
		pthread_create(&t, NULL, backend_conn_main, c);
		pthread_detach(t);
	}
}

static void backend_start(struct backend *b, int port, int idle_ms)
{
	pthread_t t;

	b->fd = listen_on(port);
	b->idle_ms = idle_ms;
	atomic_init(&b->conns, 0);
	pthread_create(&t, NULL, backend_main, b);
	pthread_detach(t);
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: t\r\n\r\n"

/* Everything fd sends until EOF; 1 when EOF came, 0 on timeout/error. */
static int drained_to_eof(int fd)
{
	char buf[512];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	return n == 0;
}

static void pool_reuse(void)
{
	char body[256];
	int same = 0, fd, k;

	/* Pools are per proxy thread: each thread has its own first. */
	for (int client = 0; client < 3; client++) {
		fd = dial(18921);
		for (int i = 0; i < 10; i++)
			same += roundtrip(fd, GET("/r"), body, sizeof(body)) ==
				    200 &&
				sscanf(body, "conn-%d /r", &k) == 1 &&
				k <= test_proxy_threads();
		close(fd);
	}
	is_int(same, 30,
	       "30 requests from 3 clients, one after another, all on the "
	       "first pooled backend connection");
}

static void pipelined(void)
{
	const char two[] = GET("/a") GET("/b");
	char body[256], carry[4096];
	size_t carry_len = 0;
	int fd = dial(18921), st1, st2;
	char b1[256];

	ok(write(fd, two, sizeof(two) - 1) == (ssize_t)sizeof(two) - 1,
	   "two pipelined requests sent in one write");
	st1 = read_response(fd, b1, sizeof(b1), carry, &carry_len);
	st2 = read_response(fd, body, sizeof(body), carry, &carry_len);
	ok(st1 == 200 && strstr(b1, " /a") && st2 == 200 && strstr(body, " /b"),
	   "pipelined requests answered in order (%s | %s)", b1, body);
	ok(roundtrip(fd, GET("/c"), body, sizeof(body)) == 200,
	   "the connection serves on after pipelining");
	close(fd);
}

static void half_close(void)
{
	const char two[] = GET("/x") GET("/y");
	const char partial[] = GET("/p") "GET /q HTTP/1.1\r\nHo";
	char body[256], carry[4096];
	size_t carry_len = 0;
	int fd = dial(18921), st;
	int64_t t0;

	ok(write(fd, GET("/h"), strlen(GET("/h"))) > 0 &&
	       shutdown(fd, SHUT_WR) == 0,
	   "request sent, then the client's write side shut");
	st = read_response(fd, body, sizeof(body), NULL, NULL);
	ok(st == 200 && strstr(body, " /h"),
	   "a half-closed client gets its answer (%d %s)", st, body);
	ok(drained_to_eof(fd), "then the connection ends");
	close(fd);

	fd = dial(18921);
	ok(write(fd, two, sizeof(two) - 1) > 0 && shutdown(fd, SHUT_WR) == 0,
	   "two pipelined requests, then half-close");
	st = read_response(fd, body, sizeof(body), carry, &carry_len);
	ok(st == 200 && strstr(body, " /x"), "first answered");
	st = read_response(fd, body, sizeof(body), carry, &carry_len);
	ok(st == 200 && strstr(body, " /y"), "second answered");
	ok(drained_to_eof(fd), "then EOF");
	close(fd);

	/* A request cut short by the EOF is not waited for. */
	fd = dial(18921);
	t0 = ms_now();
	ok(write(fd, partial, sizeof(partial) - 1) > 0 &&
	       shutdown(fd, SHUT_WR) == 0,
	   "a request, part of another, then half-close");
	st = read_response(fd, body, sizeof(body), carry, &carry_len);
	ok(st == 200 && strstr(body, " /p"), "the whole request answered");
	ok(drained_to_eof(fd) && ms_now() - t0 < 3000,
	   "the partial one ends the connection at once (%lld ms)",
	   (long long)(ms_now() - t0));
	close(fd);
}

/* The response head reaches the client as the backend wrote it, so a
 * "Connection: close" answer is followed by the end at once, not at the
 * client timeout (5 s). */
static void backend_says_close(void)
{
	char body[256];
	int fd = dial(18921), st;
	int64_t t0 = ms_now();

	st = roundtrip(fd, GET("/close-me"), body, sizeof(body));
	ok(st == 200 && strstr(body, " /close-me"),
	   "a Connection: close answer is passed on (%d)", st);
	ok(drained_to_eof(fd) && ms_now() - t0 < 2500,
	   "and the client connection ends right after it (%lld ms)",
	   (long long)(ms_now() - t0));
	close(fd);
}

/* The backend closes pooled connections idle for 100 ms: the proxy
 * notices the close while they sit in the pool, so the next request
 * neither fails nor needs a retry. */
static void idle_close(struct proxy *px, struct backend *b)
{
	const char *key = "berth_service_retries_total{service=\"idle\"}";
	char body[256];
	int fd = dial(18922), good = 0;

	for (int i = 0; i < 3; i++) {
		good += roundtrip(fd, GET("/i"), body, sizeof(body)) == 200;
		usleep(700 * 1000); /* the backend closes at 100 ms */
	}
	close(fd);
	is_int(good, 3, "requests after the backend closed idle connections");
	is_int(metric_of(px, key), 0, "no retry was needed");
	is_int(atomic_load(&b->conns), 3, "one backend connection each");
}

/* Services are set all or nothing: web moving to a free address while
 * another service asks for one in use (the backend's) changes neither. */
static void set_all_or_nothing(struct proxy *px)
{
	struct service_spec two[2] = {
	    spec("web", "127.0.0.1:18923", SERVICE_HTTP),
	    spec("other", "127.0.0.1:18925", SERVICE_HTTP)};
	struct berr err = BERR_INIT;
	char body[256];
	int fd;

	ok(proxy_services_set(px, two, 2, &err) == -1 &&
	       strstr(err.msg, "other") && strstr(err.msg, "18925"),
	   "an address in use fails the whole set: %s", err.msg);
	usleep(100 * 1000);
	ok(connect_refused(18923), "web did not move to its new address");
	fd = dial(18921);
	is_int(roundtrip(fd, GET("/still"), body, sizeof(body)), 200,
	       "web still serves on its old one");
	close(fd);
}

int main(void)
{
	struct berr err = BERR_INIT;
	struct backend keep = {0}, idle = {0};
	struct proxy_endpoint ep_keep = {"pod-keep", 0, 18925, true, ""};
	struct proxy_endpoint ep_idle = {"pod-idle", 0, 18926, true, ""};
	struct service_spec web = spec("web", "127.0.0.1:18921", SERVICE_HTTP);
	struct service_spec idl = spec("idle", "127.0.0.1:18922", SERVICE_HTTP);
	struct proxy *px;

	signal(SIGPIPE, SIG_IGN);
	backend_start(&keep, 18925, 0);
	backend_start(&idle, 18926, 100);
	px = test_proxy_start(&err);
	ok(px != NULL, "proxy starts");
	is_int(proxy_service_set(px, &web, &err), 0, "web listens");
	is_int(proxy_service_set(px, &idl, &err), 0, "idle listens");
	proxy_endpoints_publish(px, "web", &ep_keep, 1);
	proxy_endpoints_publish(px, "idle", &ep_idle, 1);

	pool_reuse();
	pipelined();
	half_close();
	backend_says_close();
	idle_close(px, &idle);
	set_all_or_nothing(px);
	ok(metric_of(px, "berth_service_active_connections{service=\"web\"}") ==
	       0,
	   "no client connection left open");

	proxy_stop(px);
	ok(connect_refused(18921) && connect_refused(18922),
	   "proxy stops: its listeners are closed");
	return tap_done();
}
