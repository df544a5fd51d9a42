/*
 * test_proxy_limits.c - the proxy under overload and slow clients, end to
 * end on 127.0.0.1: a service at maxConnections leaves new connections
 * waiting in the backlog until one closes; a connection accepted with
 * fewer descriptors free than the reserve is answered 503 and counted,
 * and the proxy serves again once clients leave; a head that does not
 * arrive within timeout.httpRequest gets 408, a connection that sent
 * nothing is closed silently; Expect: 100-continue is answered at once.
 * Ports 18940-18949.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include "../../common/fdlimit.h"
#include "../lib/loopback.h"
#include "../lib/proxy_test.h"
#include "../lib/tap.h"

/* Answers every request (reading a Content-Length body) with "ok". */
static void *backend_conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[8192];
	size_t len = 0;

	for (;;) {
		char *end = len ? strstr(buf, "\r\n\r\n") : NULL, *cl;
		size_t need;
		ssize_t n;

		if (end) {
			cl = strcasestr(buf, "Content-Length: ");
			need = (size_t)(end + 4 - buf) +
			       (cl && cl < end ? (size_t)atoi(cl + 16) : 0);
			if (len >= need) {
				static const char ok[] = "HTTP/1.1 200 OK\r\n"
							 "Content-Length: 2\r\n"
							 "\r\nok";

				if (write(fd, ok, sizeof(ok) - 1) < 0)
					break;
				len -= need;
				memmove(buf, buf + need, len + 1);
				continue;
			}
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(fd);
	return NULL;
}

static void *backend_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd == -1)
			return NULL;
		pthread_create(&t, NULL, backend_conn_main,
			       (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

#define GET "GET / HTTP/1.1\r\nHost: t\r\n\r\n"

/* Whether fd has something to read within ms. */
static int readable(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, ms) == 1;
}

static void capped(void)
{
	char body[64];
	int a = dial(18941), b = dial(18941), c;
	int64_t t0;

	ok(roundtrip(a, GET, body, sizeof(body)) == 200 &&
	       roundtrip(b, GET, body, sizeof(body)) == 200,
	   "two connections served (maxConnections = 2)");
	c = dial(18941);
	ok(c >= 0 && write(c, GET, strlen(GET)) > 0,
	   "a third connects: the kernel queues it");
	ok(!readable(c, 600), "but it is not served while two are open");
	close(a);
	t0 = ms_now();
	ok(read_response(c, body, sizeof(body), NULL, NULL) == 200,
	   "served once one of them closes (%lld ms)",
	   (long long)(ms_now() - t0));
	close(b);
	close(c);
}

static void slow_head(void)
{
	const char part[] = "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: a";
	char body[128];
	int fd = dial(18942), st;
	int64_t t0 = ms_now();

	ok(write(fd, part, sizeof(part) - 1) > 0, "part of a head sent");
	/* a byte now and then keeps timeout.client (5 s) from firing */
	for (int i = 0; i < 4 && !readable(fd, 200); i++)
		if (write(fd, "a", 1) != 1)
			break;
	st = read_response(fd, body, sizeof(body), NULL, NULL);
	ok(st == 408 && ms_now() - t0 < 2500,
	   "408 at timeout.httpRequest (300 ms): %d after %lld ms", st,
	   (long long)(ms_now() - t0));
	close(fd);

	fd = dial(18942);
	t0 = ms_now();
	ok(readable(fd, 2500) && read(fd, body, sizeof(body)) == 0,
	   "a connection that sent nothing is closed without an answer "
	   "(%lld ms)",
	   (long long)(ms_now() - t0));
	close(fd);

	fd = dial(18942);
	ok(roundtrip(fd, GET, body, sizeof(body)) == 200,
	   "a request sent at once is served");
	usleep(600 * 1000); /* idle keep-alive: timeout.client applies */
	ok(roundtrip(fd, GET, body, sizeof(body)) == 200,
	   "a keep-alive connection idle past timeout.httpRequest serves on");
	close(fd);
}

static void continue_100(void)
{
	const char head[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2"
			    "\r\nExpect: 100-continue\r\n\r\n";
	char body[64];
	int fd = dial(18942);

	ok(write(fd, head, sizeof(head) - 1) > 0, "a head with Expect sent");
	ok(readable(fd, 500) &&
	       read_response(fd, body, sizeof(body), NULL, NULL) == 100,
	   "100 Continue comes at once");
	ok(write(fd, "hi", 2) == 2 &&
	       read_response(fd, body, sizeof(body), NULL, NULL) == 200 &&
	       !strcmp(body, "ok"),
	   "then the body goes through: 200");
	close(fd);
}

/* With every number below the highest open one in use and the soft
 * limit 40 above it, the reserve (64) is already short: a connection is
 * refused with 503. */
static void reserve(struct proxy *px)
{
	struct rlimit old, low;
	char body[128];
	int fd, st, open_now = 0, holes[4096], n_holes = 0;

	for (int i = 0; i < 4096; i++)
		if (fcntl(i, F_GETFD) != -1)
			open_now = i + 1;
	/* Free numbers below the highest one are taken first: fill them,
	 * so the next accept gets a number past every open one. */
	for (int i = 0; i < open_now; i++)
		if (fcntl(i, F_GETFD) == -1)
			holes[n_holes++] =
			    open("/dev/null", O_RDONLY | O_CLOEXEC);
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = (rlim_t)open_now + 40;
	ok(setrlimit(RLIMIT_NOFILE, &low) == 0, "soft limit lowered to %d",
	   open_now + 40);
	fd = dial(18943);
	st = fd >= 0 ? read_response(fd, body, sizeof(body), NULL, NULL) : -1;
	ok(st == 503 && strstr(body, "too many open connections"),
	   "a connection eating into the reserve: %d %s", st, body);
	close(fd);
	ok(metric_of(px, "berth_service_refused_connections_total{service="
			 "\"tight\"}") == 1,
	   "counted as refused");
	setrlimit(RLIMIT_NOFILE, &old);
	for (int i = 0; i < n_holes; i++)
		close(holes[i]);
	fd = dial(18943);
	ok(roundtrip(fd, GET, body, sizeof(body)) == 200,
	   "served again once descriptors are free");
	close(fd);
}

int main(void)
{
	struct berr err = BERR_INIT;
	struct proxy_endpoint ep = {"pod", 0, 18945, true, ""};
	struct service_spec cap = spec("cap", "127.0.0.1:18941", SERVICE_HTTP);
	struct service_spec slow =
	    spec("slow", "127.0.0.1:18942", SERVICE_HTTP);
	struct service_spec tight =
	    spec("tight", "127.0.0.1:18943", SERVICE_HTTP);
	struct proxy *px;
	pthread_t t;

	signal(SIGPIPE, SIG_IGN);
	ok(fdlimit_raise() >= fdlimit_soft() && fdlimit_reserve() >= 64,
	   "the soft fd limit is raised; the reserve is at least 64");
	pthread_create(&t, NULL, backend_main,
		       (void *)(intptr_t)listen_on(18945));
	pthread_detach(t);
	cap.max_connections = 2;
	slow.timeout_http_request_ms = 300;
	px = test_proxy_start(&err);
	ok(px != NULL, "proxy starts");
	is_int(proxy_service_set(px, &cap, &err), 0, "cap listens");
	is_int(proxy_service_set(px, &slow, &err), 0, "slow listens");
	is_int(proxy_service_set(px, &tight, &err), 0, "tight listens");
	proxy_endpoints_publish(px, "cap", &ep, 1);
	proxy_endpoints_publish(px, "slow", &ep, 1);
	proxy_endpoints_publish(px, "tight", &ep, 1);

	capped();
	slow_head();
	continue_100();
	reserve(px);

	proxy_stop(px);
	ok(1, "proxy stops");
	return tap_done();
}
