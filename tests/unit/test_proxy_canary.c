/*
 * test_proxy_canary.c - routing between stable and canary pods and the
 * per-revision counters: the weighted draw with a fixed seed (statistical
 * bounds), header routes (exact, prefix, whole-value regex, all must
 * match), latency quantiles from the histogram; then the proxy thread end
 * to end with 10 stable and 1 canary host-network backends served by
 * threads of this test: weights 5/25/50 within 2 points over 5000
 * requests each, header route 100 %/0 %, tcp per-connection weights, a
 * canary that refuses connections (every client still answered, its
 * connection errors counted), request mirroring (copies counted at the
 * canary, every answer the stable pods'), the stickiness cookie,
 * per-revision series in /metrics, a failed attempt counted once (as a
 * connection error, berth's 502/504 not also as the revision's 5xx).
 * Ports 19700-19719.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../analysis/judge.h"
#include "../../common/xalloc.h"
#include "../../proxy/internal.h"
#include "../lib/loopback.h"
#include "../lib/proxy_test.h"
#include "../lib/tap.h"
#include "../lib/wait_until.h"

#define N_STABLE 10
#define CANARY_PORT 19710
#define HTTP_PORT 19715
#define TCP_PORT 19716
#define DEAD_PORT 19717 /* nothing listens */

static struct proxy_routeset *routeset(const char *canary, int weight,
				       const struct proxy_header_route *h,
				       size_t n)
{
	struct proxy_routeset *r =
	    xcalloc(1, sizeof(*r) + n * sizeof(r->headers[0]));

	snprintf(r->canary, sizeof(r->canary), "%s", canary);
	r->weight = weight;
	r->n_headers = n;
	for (size_t i = 0; i < n; i++) {
		r->headers[i].name = xstrdup(h[i].name);
		r->headers[i].name_len = strlen(h[i].name);
		r->headers[i].value = xstrdup(h[i].value);
		r->headers[i].value_len = strlen(h[i].value);
		r->headers[i].match = h[i].match;
		if (h[i].match == PROXY_MATCH_REGEX) {
			char whole[256];

			snprintf(whole, sizeof(whole), "^(%s)$", h[i].value);
			if (regcomp(&r->headers[i].re, whole,
				    REG_EXTENDED | REG_NOSUB) != 0)
				abort();
		}
	}
	return r;
}

/* The draw comes in blocks of 100 with exactly weight canary picks in
 * random order (fixed seed here). */
static void weighted_draw(void)
{
	static const int weights[] = {1, 5, 25, 50, 95};
	struct proxy_draw rng = {.rng = 42};
	struct proxy_routeset *r;
	int n;

	is_int(proxy_route_group(NULL, 10, 1, false, &rng), -1,
	       "no policy: group -1");
	for (size_t k = 0; k < sizeof(weights) / sizeof(weights[0]); k++) {
		int first_half[2] = {0}, worst = 0;

		r = routeset("c", weights[k], NULL, 0);
		n = 0;
		for (int i = 0; i < 100000; i++) {
			int g = proxy_route_group(r, 10, 1, false, &rng);

			n += g;
			if (i % 100 < 50 && i < 200)
				first_half[i / 100] += g;
			/* every run of 100 decisions, aligned or not */
			if (i % 100 == 99 &&
			    abs(n - weights[k] * (i + 1) / 100) > worst)
				worst = abs(n - weights[k] * (i + 1) / 100);
		}
		is_int(n, weights[k] * 1000,
		       "weight %d: exactly %d of 100000 to the canary",
		       weights[k], weights[k] * 1000);
		is_int(worst, 0, "weight %d: exact after each block of 100",
		       weights[k]);
		if (weights[k] == 50)
			ok(first_half[0] != 25 || first_half[1] != 25,
			   "weight 50: the order inside a block is drawn "
			   "(%d, %d in the first halves; seed 42)",
			   first_half[0], first_half[1]);
		proxy_routeset_free(r);
	}
	r = routeset("c", 0, NULL, 0);
	n = 0;
	for (int i = 0; i < 10000; i++)
		n += proxy_route_group(r, 10, 1, false, &rng);
	is_int(n, 0, "weight 0: never the canary");
	n = 0;
	for (int i = 0; i < 1000; i++)
		n += proxy_route_group(r, 10, 1, true, &rng);
	is_int(n, 1000, "headers matched: always the canary, even at 0");
	proxy_routeset_free(r);
	r = routeset("c", 100, NULL, 0);
	is_int(proxy_route_group(r, 10, 1, false, &rng), 1,
	       "weight 100: the canary");
	is_int(proxy_route_group(r, 10, 0, false, &rng), 0,
	       "canary group empty: its share goes to stable");
	proxy_routeset_free(r);
	r = routeset("c", 0, NULL, 0);
	is_int(proxy_route_group(r, 0, 2, false, &rng), 1,
	       "stable group empty: the canary serves");
	proxy_routeset_free(r);
	r = routeset("", 50, NULL, 0);
	is_int(proxy_route_group(r, 10, 1, false, &rng), -1,
	       "no canary revision: no routing");
	proxy_routeset_free(r);
}

static void header_routes(void)
{
	static const char head[] =
	    "GET / HTTP/1.1\r\nHost: x\r\nX-Canary:  yes-please \r\n"
	    "user-agent: Mozilla/5.0 Firefox\r\n\r\nX-After: body\r\n";
	struct proxy_header_route h[2] = {
	    {"x-canary", PROXY_MATCH_EXACT, "yes-please"},
	    {"User-Agent", PROXY_MATCH_PREFIX, "Mozilla/"},
	};
	struct proxy_routeset *r;

	r = routeset("c", 0, h, 1);
	ok(proxy_route_headers_match(r, head, strlen(head)),
	   "exact: header name case-insensitive, value trimmed");
	proxy_routeset_free(r);
	h[0].value = "yes";
	r = routeset("c", 0, h, 1);
	ok(!proxy_route_headers_match(r, head, strlen(head)),
	   "exact: a prefix of the value does not match");
	proxy_routeset_free(r);
	h[0].match = PROXY_MATCH_PREFIX;
	r = routeset("c", 0, h, 2);
	ok(proxy_route_headers_match(r, head, strlen(head)),
	   "two prefix routes: both match");
	proxy_routeset_free(r);
	h[1].value = "Chrome";
	r = routeset("c", 0, h, 2);
	ok(!proxy_route_headers_match(r, head, strlen(head)),
	   "every route must match");
	proxy_routeset_free(r);
	h[1] = (struct proxy_header_route){"user-agent", PROXY_MATCH_REGEX,
					   ".*(Firefox|Safari)"};
	r = routeset("c", 0, h + 1, 1);
	ok(proxy_route_headers_match(r, head, strlen(head)),
	   "regex matching the whole value");
	proxy_routeset_free(r);
	h[1].value = "Firefox";
	r = routeset("c", 0, h + 1, 1);
	ok(!proxy_route_headers_match(r, head, strlen(head)),
	   "regex matching part of the value only: no match");
	proxy_routeset_free(r);
	h[1] =
	    (struct proxy_header_route){"X-After", PROXY_MATCH_EXACT, "body"};
	r = routeset("c", 0, h + 1, 1);
	ok(!proxy_route_headers_match(r, head, strlen(head)),
	   "nothing after the head's empty line is a header");
	proxy_routeset_free(r);
	h[1] = (struct proxy_header_route){"Host", PROXY_MATCH_EXACT, "x"};
	r = routeset("c", 0, h + 1, 1);
	ok(proxy_route_headers_match(r, head, strlen(head)), "Host: x");
	ok(!proxy_route_headers_match(r, head, 14),
	   "a head cut before the header: no match");
	proxy_routeset_free(r);
}

static void quantiles(void)
{
	struct proxy_rev_counts a = {0}, b = {0};

	is_int((int)proxy_rev_quantile_ms(&a, &b, 0.5), -1,
	       "no request: quantile -1");
	/* 90 requests in (5, 7] ms, 10 in (100, 150] ms. */
	b.lat[4] = 90;
	b.lat[12] = 10;
	ok(proxy_rev_quantile_ms(&a, &b, 0.5) > 5 &&
	       proxy_rev_quantile_ms(&a, &b, 0.5) <= 7,
	   "p50 in the 5-7 ms bucket (%.2f)",
	   proxy_rev_quantile_ms(&a, &b, 0.5));
	ok(proxy_rev_quantile_ms(&a, &b, 0.9) <= 7, "p90 still there (%.2f)",
	   proxy_rev_quantile_ms(&a, &b, 0.9));
	ok(proxy_rev_quantile_ms(&a, &b, 0.99) > 100 &&
	       proxy_rev_quantile_ms(&a, &b, 0.99) <= 150,
	   "p99 in the 100-150 ms bucket (%.2f)",
	   proxy_rev_quantile_ms(&a, &b, 0.99));
	a.lat[12] = 10;
	ok(proxy_rev_quantile_ms(&a, &b, 0.99) <= 7,
	   "the difference of two readings: the slow ones were before");
	b.lat[PROXY_REV_LAT_BUCKETS - 1] = 1000;
	is_int((int)proxy_rev_quantile_ms(&a, &b, 0.99), 10000,
	       "the open last bucket answers its lower bound");
}

/* A backend: answers every request with "backend-ID". */
struct conn_arg {
	int fd, id;
};

static void *serve_conn(void *p)
{
	struct conn_arg *a = p;
	char buf[8192], out[256], body[32];
	size_t len = 0;

	for (;;) {
		ssize_t n = read(a->fd, buf + len, sizeof(buf) - 1 - len);
		char *end;
		int k;

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			size_t used = (size_t)(end + 4 - buf);

			snprintf(body, sizeof(body), "backend-%d", a->id);
			k = snprintf(out, sizeof(out),
				     "HTTP/1.1 200 OK\r\nContent-Length: "
				     "%zu\r\n\r\n%s",
				     strlen(body), body);
			if (write(a->fd, out, (size_t)k) != k)
				goto done;
			memmove(buf, buf + used, len - used + 1);
			len -= used;
		}
		if (len == sizeof(buf) - 1)
			break;
	}
done:
	close(a->fd);
	free(a);
	return NULL;
}

struct server {
	int fd, id;
};

static void *serve(void *p)
{
	struct server *s = p;

	for (;;) {
		int c = accept(s->fd, NULL, NULL);
		struct conn_arg *a;
		pthread_t t;

		if (c == -1)
			return NULL;
		a = calloc(1, sizeof(*a));
		a->fd = c;
		a->id = s->id;
		pthread_create(&t, NULL, serve_conn, a);
		pthread_detach(t);
	}
}

static const char GET[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
static const char GET_CANARY[] =
    "GET / HTTP/1.1\r\nHost: x\r\nX-Canary: always\r\n\r\n";

/* n requests over 4 keep-alive connections, in turn; how many the
 * canary (backend-10) answered, -1 when any answer was not a 200. */
static int share(const char *req, int n)
{
	int fds[4], canary = 0;
	char body[256];

	for (int i = 0; i < 4; i++)
		fds[i] = dial(HTTP_PORT);
	for (int i = 0; i < n; i++) {
		if (roundtrip(fds[i % 4], req, body, sizeof(body)) != 200)
			canary = -1 - n;
		canary += !strcmp(body, "backend-10");
	}
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	return canary < 0 ? -1 : canary;
}

/* n tcp connections, one request each: how many the canary answered. */
static int tcp_share(int n)
{
	char body[256];
	int canary = 0;

	for (int i = 0; i < n; i++) {
		int fd = dial(TCP_PORT);

		if (roundtrip(fd, GET, body, sizeof(body)) != 200)
			canary -= 10 * n;
		canary += !strcmp(body, "backend-10");
		close(fd);
	}
	return canary < 0 ? -1 : canary;
}

/* Reads both revisions' counters once they count every one of sent
 * requests: a request is counted as its answer ends, so the last may be
 * counted a moment after the client read it. */
static void counted(struct proxy *px, uint64_t sent, struct proxy_rev_counts *c,
		    struct proxy_rev_counts *s)
{
	wait_until((proxy_revision_counts(px, "web", "canaryhash", c),
		    proxy_revision_counts(px, "web", "stablehash", s),
		    c->requests + s->requests >= sent),
		   2000);
}

/* Sends req on a new connection; the whole response (head and body)
 * into out. Returns the status or -1. */
static int raw_roundtrip(const char *req, char *out, size_t cap)
{
	int fd = dial(HTTP_PORT), status = -1;
	size_t len = 0;
	char *end;

	if (fd == -1)
		return -1;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto done;
	for (;;) {
		ssize_t n = read(fd, out + len, cap - 1 - len);
		const char *cl;

		if (n <= 0)
			goto done;
		len += (size_t)n;
		out[len] = '\0';
		end = strstr(out, "\r\n\r\n");
		cl = strstr(out, "Content-Length: ");
		if (end && cl &&
		    len >= (size_t)(end + 4 - out) + (size_t)atoi(cl + 16))
			break;
	}
	status = atoi(out + 9);
done:
	close(fd);
	return status;
}

/* n requests req, each on its own connection: how many the canary
 * answered; *cookies counts answers setting the cookie to the side that
 * answered, *wrong those setting any other. -1 when one was not 200. */
static int sticky_share(const char *req, int n, int *cookies, int *wrong)
{
	char out[4096];
	int canary = 0;

	*cookies = *wrong = 0;
	for (int i = 0; i < n; i++) {
		bool c;

		if (raw_roundtrip(req, out, sizeof(out)) != 200)
			return -1;
		c = strstr(out, "\r\n\r\nbackend-10") != NULL;
		canary += c;
		if (strstr(out, c ? "\r\nSet-Cookie: side=canary.canaryhash; "
				    "Path=/; HttpOnly\r\n"
				  : "\r\nSet-Cookie: side=stable.canaryhash; "
				    "Path=/; HttpOnly\r\n"))
			(*cookies)++;
		else if (strstr(out, "Set-Cookie"))
			(*wrong)++;
	}
	return canary;
}

#define SENT                                                                   \
	"berth_service_mirrored_requests_total{service=\"web\",result="        \
	"\"sent\"}"

/* setMirrorRoute: copies counted at the canary, no answer changed; the
 * stickiness cookie. sent: requests counted so far. */
static void mirror_and_cookie(struct proxy *px, uint64_t sent)
{
	struct proxy_route route = {.canary = "canaryhash", .weight = 0};
	struct proxy_rev_counts c0, c1, s0, s1;
	struct berr err = BERR_INIT;
	int got, cookies, wrong;

	route.mirror_percent = 101;
	ok(proxy_route_publish(px, "web", &route, &err) == -1 &&
	       strstr(err.msg, "mirror percentage 101"),
	   "mirror 101 %% refused: %s", err.msg);
	route.mirror_percent = 30;
	is_int(proxy_route_publish(px, "web", &route, &err), 0,
	       "weight 0, mirror 30 %% published");
	counted(px, sent, &c0, &s0);
	is_int(share(GET, 1000), 0,
	       "mirror: 1000 requests, every one answered 200 by a stable pod");
	/* The copies' answers are counted as they end. */
	wait_until((proxy_revision_counts(px, "web", "canaryhash", &c1),
		    proxy_revision_counts(px, "web", "stablehash", &s1),
		    (long)(c1.requests - c0.requests) == metric_of(px, SENT) &&
			s1.requests - s0.requests >= 1000),
		   3000);
	/* Exact in blocks of 100 per proxy thread: with one, 300. */
	ok(llabs((long long)(c1.requests - c0.requests) - 300) <=
		   (test_proxy_threads() > 1 ? 20 : 0) &&
	       s1.requests - s0.requests == 1000,
	   "30 %% copied: the canary answered %llu copies of 1000 requests",
	   (unsigned long long)(c1.requests - c0.requests));
	is_int(metric_of(px, SENT), (long)(c1.requests - c0.requests),
	       "the copies in /metrics");

	route.mirror_percent = 0;
	route.weight = 50;
	route.cookie = "a;b";
	ok(proxy_route_publish(px, "web", &route, &err) == -1 &&
	       strstr(err.msg, "a;b"),
	   "a bad cookie name is refused: %s", err.msg);
	route.cookie = "side";
	is_int(proxy_route_publish(px, "web", &route, &err), 0,
	       "weight 50 with the cookie `side` published");
	got = sticky_share(GET, 200, &cookies, &wrong);
	ok(got > 60 && got < 140 && cookies == 200 && wrong == 0,
	   "no cookie: drawn (%d of 200 to the canary), every answer sets the "
	   "side that answered (%d, %d wrong)",
	   got, cookies, wrong);
	got = sticky_share("GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; "
			   "side=canary.canaryhash\r\n\r\n",
			   100, &cookies, &wrong);
	ok(got == 100 && cookies + wrong == 0,
	   "cookie canary: %d of 100 to the canary, no new cookie", got);
	got = sticky_share("GET / HTTP/1.1\r\nHost: x\r\nCookie: "
			   "side=stable.canaryhash;b=2\r\n\r\n",
			   100, &cookies, &wrong);
	ok(got == 0 && cookies + wrong == 0,
	   "cookie stable: %d of 100 to the canary, no new cookie", got);
	got = sticky_share("GET / HTTP/1.1\r\nHost: x\r\nCookie: "
			   "side=canary.oldhash\r\n\r\n",
			   50, &cookies, &wrong);
	ok(got >= 0 && cookies == 50 && wrong == 0,
	   "a cookie of an earlier canary is drawn again and replaced");
	route.weight = 100;
	is_int(proxy_route_publish(px, "web", &route, &err), 0, "weight 100");
	got = sticky_share("GET / HTTP/1.1\r\nHost: x\r\nCookie: "
			   "side=stable.canaryhash\r\n\r\n",
			   50, &cookies, &wrong);
	ok(got == 50 && cookies + wrong == 0,
	   "weight 100 overrides a stable cookie (%d of 50), sets none", got);
	route.cookie = NULL;
}

/* With several proxy threads, connections are spread: 4 open ones,
 * 2 per thread with 2 threads. */
static int spread(struct proxy *px)
{
	char body[256];
	int fds[4], ok_all = 1;

	if (test_proxy_threads() != 2)
		return 0;
	for (int i = 0; i < 4; i++) {
		fds[i] = dial(HTTP_PORT);
		ok_all &= roundtrip(fds[i], GET, body, sizeof(body)) == 200;
	}
	ok(ok_all && atomic_load(&px->workers[0]->load) == 2 &&
	       atomic_load(&px->workers[1]->load) == 2,
	   "2 threads: 4 connections, 2 on each (%ld, %ld)",
	   (long)atomic_load(&px->workers[0]->load),
	   (long)atomic_load(&px->workers[1]->load));
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	return 4;
}

#define SOLO_PORT 19718
#define MUTE_PORT 19719 /* listens, never accepts: no answer */

static struct proxy_rev_counts rev_of(struct proxy *px, const char *rev)
{
	struct proxy_rev_counts c;

	proxy_revision_counts(px, "solo", rev, &c);
	return c;
}

/* A failed attempt counts once for its pod's revision, as a connection
 * error: berth's own 502 (no pod could be reached) or 504 (the pod did
 * not answer in time) is the service's answer, not also the revision's
 * 5xx. The analysis's numbers then count each failure once. */
static void failure_counted_once(struct proxy *px)
{
	struct service_spec solo =
	    spec("solo", "127.0.0.1:19718", SERVICE_HTTP);
	struct proxy_endpoint ep = {0};
	struct proxy_rev_counts zero = {0}, c;
	struct berth_numbers n;
	struct berr err = BERR_INIT;
	int mute = listen_on(MUTE_PORT), got = 0, fd;
	char body[256];
	long svc5xx;

	is_int(proxy_service_set(px, &solo, &err), 0, "service solo listens");
	snprintf(ep.pod, sizeof(ep.pod), "pod-dead");
	ep.pid = 1;
	ep.port = DEAD_PORT;
	ep.host_network = true;
	snprintf(ep.revision, sizeof(ep.revision), "deadhash");
	proxy_endpoints_publish(px, "solo", &ep, 1);
	for (int i = 0; i < 5; i++) {
		fd = dial(SOLO_PORT);
		got += roundtrip(fd, GET, body, sizeof(body)) == 502;
		close(fd);
	}
	is_int(got, 5, "a pod refusing connections: 5 requests, 5 502s");
	wait_until(rev_of(px, "deadhash").conn_errors >= 5, 2000);
	c = rev_of(px, "deadhash");
	ok(c.requests == 0 && c.errors_5xx == 0 && c.conn_errors >= 5,
	   "its revision: %llu connection errors, %llu answers, %llu 5xx "
	   "(berth's 502 is not also its answer)",
	   (unsigned long long)c.conn_errors, (unsigned long long)c.requests,
	   (unsigned long long)c.errors_5xx);
	analysis_berth_numbers(&zero, &c, &n);
	ok(n.requests == c.conn_errors && n.errors == n.requests &&
	       n.success_rate == 0,
	   "analysis: %llu attempts, %llu failed, each once",
	   (unsigned long long)n.requests, (unsigned long long)n.errors);
	svc5xx = metric_of(
	    px, "berth_service_requests_total{service=\"solo\",code=\"5xx\"}");
	is_int(svc5xx, 5, "the service counts each 502 once");

	snprintf(ep.pod, sizeof(ep.pod), "pod-mute");
	ep.port = MUTE_PORT;
	snprintf(ep.revision, sizeof(ep.revision), "mutehash");
	proxy_endpoints_publish(px, "solo", &ep, 1);
	fd = dial(SOLO_PORT);
	is_int(roundtrip(fd, GET, body, sizeof(body)), 504,
	       "a pod that never answers: 504 at timeout.response");
	close(fd);
	wait_until(rev_of(px, "mutehash").conn_errors >= 1, 2000);
	c = rev_of(px, "mutehash");
	ok(c.requests == 0 && c.errors_5xx == 0 && c.conn_errors == 1 &&
	       proxy_rev_quantile_ms(&zero, &c, 0.5) < 0,
	   "its revision: one connection error (the timeout), no answer, "
	   "no latency (%llu, %llu, %llu)",
	   (unsigned long long)c.conn_errors, (unsigned long long)c.requests,
	   (unsigned long long)c.errors_5xx);
	is_int(metric_of(px, "berth_service_requests_total{service=\"solo\","
			     "code=\"5xx\"}"),
	       svc5xx + 1, "the service counts the 504 once");
	proxy_endpoints_publish(px, "solo", NULL, 0);
	close(mute);
}

static void live(void)
{
	static struct server sv[N_STABLE + 1];
	struct proxy_endpoint eps[N_STABLE + 1];
	struct service_spec web = spec("web", "127.0.0.1:19715", SERVICE_HTTP);
	struct service_spec raw = spec("raw", "127.0.0.1:19716", SERVICE_TCP);
	struct proxy_header_route hr = {"X-Canary", PROXY_MATCH_EXACT,
					"always"};
	struct proxy_route route = {.canary = "canaryhash"};
	struct proxy_rev_counts c0, c1, s0, s1;
	struct berr err = BERR_INIT;
	struct proxy *px;
	char *text;
	size_t len;
	pthread_t t;
	uint64_t sent;
	int got;

	signal(SIGPIPE, SIG_IGN);
	memset(eps, 0, sizeof(eps));
	for (int i = 0; i <= N_STABLE; i++) {
		sv[i].fd = listen_on(19700 + i);
		sv[i].id = i;
		pthread_create(&t, NULL, serve, &sv[i]);
		pthread_detach(t);
		snprintf(eps[i].pod, sizeof(eps[i].pod), "pod-%d", i);
		eps[i].pid = 1;
		eps[i].port = 19700 + i;
		eps[i].host_network = true;
		snprintf(eps[i].revision, sizeof(eps[i].revision), "%s",
			 i == N_STABLE ? "canaryhash" : "stablehash");
	}
	px = test_proxy_start(&err);
	ok(px != NULL, "proxy starts");
	is_int(proxy_service_set(px, &web, &err), 0, "http service listens");
	is_int(proxy_service_set(px, &raw, &err), 0, "tcp service listens");
	proxy_endpoints_publish(px, "web", eps, N_STABLE + 1);
	proxy_endpoints_publish(px, "raw", eps, N_STABLE + 1);

	sent = (uint64_t)spread(px) + 1100;
	got = share(GET, 1100);
	ok(got >= 90 && got <= 110,
	   "no policy: round-robin, the canary pod answers 1 in 11 (%d of "
	   "1100)",
	   got);

	for (int w = 5; w <= 50; w = w == 5 ? 25 : 50) {
		route.weight = w;
		is_int(proxy_route_publish(px, "web", &route, &err), 0,
		       "setWeight %d published", w);
		counted(px, sent, &c0, &s0);
		got = share(GET, 5000);
		ok(got >= 0 && abs(got * 100 - w * 5000) <= 2 * 5000,
		   "weight %d with 10 stable and 1 canary pod: %.2f %% of "
		   "5000 to the canary, every answer 200",
		   w, got / 50.0);
		counted(px, sent += 5000, &c1, &s1);
		ok(c1.requests - c0.requests == (uint64_t)got &&
		       s1.requests - s0.requests == (uint64_t)(5000 - got),
		   "per-revision counters agree (canary %llu, stable %llu)",
		   (unsigned long long)(c1.requests - c0.requests),
		   (unsigned long long)(s1.requests - s0.requests));
		if (w == 50)
			break;
	}

	route.weight = 0;
	route.headers = &hr;
	route.n_headers = 1;
	is_int(proxy_route_publish(px, "web", &route, &err), 0,
	       "header route published");
	is_int(share(GET_CANARY, 500), 500,
	       "header route: 500 of 500 matching requests to the canary");
	is_int(share(GET, 500), 0, "and none of 500 others (weight 0)");

	hr.match = PROXY_MATCH_REGEX;
	hr.value = "([";
	ok(proxy_route_publish(px, "web", &route, &err) == -1 &&
	       strstr(err.msg, "X-Canary") && strstr(err.msg, "(["),
	   "a bad regex is refused, naming header and pattern: %s", err.msg);
	is_int(share(GET_CANARY, 100), 100, "the policy in force is kept");
	route.weight = 101;
	err = (struct berr)BERR_INIT;
	ok(proxy_route_publish(px, "web", &route, &err) == -1 &&
	       strstr(err.msg, "101"),
	   "weight 101 refused: %s", err.msg);

	sent += 500 + 500 + 100; /* the header route's */
	mirror_and_cookie(px, sent);
	sent += 1000 + 200 + 100 + 100 + 50 + 50;
	route = (struct proxy_route){.canary = "canaryhash", .weight = 50};
	is_int(proxy_route_publish(px, "raw", &route, &err), 0,
	       "tcp weight 50 published");
	got = tcp_share(1000);
	ok(got >= 0 && abs(got - 500) <= 60,
	   "tcp: per connection, %d of 1000 connections to the canary", got);

	/* A canary that refuses connections: every request still gets
	 * its 200 from a stable pod, and the failures are the canary's. */
	eps[N_STABLE].port = DEAD_PORT;
	snprintf(eps[N_STABLE].pod, sizeof(eps[N_STABLE].pod), "pod-dead");
	proxy_endpoints_publish(px, "web", eps, N_STABLE + 1);
	route = (struct proxy_route){.canary = "canaryhash", .weight = 50};
	is_int(proxy_route_publish(px, "web", &route, &err), 0,
	       "weight 50 to a canary that refuses connections");
	proxy_revision_counts(px, "web", "canaryhash", &c0);
	is_int(share(GET, 400), 0,
	       "400 requests: every one answered 200, by stable pods");
	proxy_revision_counts(px, "web", "canaryhash", &c1);
	ok(c1.conn_errors - c0.conn_errors >= 100 && c1.requests == c0.requests,
	   "the canary's connection errors counted (%llu), no answer "
	   "credited to it",
	   (unsigned long long)(c1.conn_errors - c0.conn_errors));
	route = (struct proxy_route){
	    .canary = "canaryhash", .weight = 0, .mirror_percent = 50};
	is_int(proxy_route_publish(px, "web", &route, &err), 0,
	       "mirror 50 %% to a canary that refuses connections");
	is_int(share(GET, 400), 0,
	       "400 requests: every one answered 200, by stable pods");
	ok(wait_until(metric_of(px,
				"berth_service_mirrored_requests_total{"
				"service=\"web\",result=\"failed\"}") >= 200,
		      3000),
	   "the 200 copies the dead canary did not take counted as failed");

	failure_counted_once(px);
	is_int(proxy_route_publish(px, "web", NULL, &err), 0, "policy removed");
	ok(!proxy_revision_counts(px, "web", "nohash", &c0) && c0.requests == 0,
	   "an unknown revision: false, zero counts");
	proxy_metrics(px, &text, &len);
	ok(strstr(text, "berth_revision_requests_total{service=\"web\","
			"pod_template_hash=\"canaryhash\"}") &&
	       strstr(text, "berth_revision_connection_errors_total{service="
			    "\"web\",pod_template_hash=\"canaryhash\"}") &&
	       strstr(text, "berth_revision_request_duration_seconds_bucket{"
			    "service=\"web\",pod_template_hash=\"stablehash\","
			    "le=\"+Inf\"}"),
	   "/metrics has the per-revision series");
	free(text);
	proxy_stop(px);
	for (int i = 0; i <= N_STABLE; i++)
		shutdown(sv[i].fd, SHUT_RDWR);
}

int main(void)
{
	weighted_draw();
	header_routes();
	quantiles();
	live();
	return tap_done();
}
