/*
 * test_proxy_live.c - the proxy thread end to end on 127.0.0.1 with
 * host-network backends served by threads of this test: round-robin over
 * keep-alive, endpoint swaps, 503/502/504, a POST with a chunked body,
 * tcp mode echo with half-close (splice and buffer paths, small and a
 * large transfer), the admin listener, and a clean stop.
 * Regressions: an early answer during a large upload (answered in full,
 * no reset), a pending connect that must stop the client, a declined
 * Upgrade, a stalled close.
 * Ports 18900-18919.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../proxy/internal.h"
#include "../../proxy/proxy.h"
#include "../../proxy/splice.h"
#include "../../proxy/wbatch.h"
#include "../lib/loopback.h"
#include "../lib/proxy_test.h"
#include "../lib/tap.h"
#include "../lib/wait_until.h"

#define BIG_BODY (8 << 20) /* largest GET /big/<n> */

struct conn_arg {
	int fd;
	int id;
	bool echo;
};

/* Reads one request head (and a Content-Length or chunked body, crudely). */
static int read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		char *end;

		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end == NULL)
			continue;
		if (strncmp(buf, "POST /early", 11) == 0)
			return (int)len; /* answered before the body */
		if (strstr(buf, "chunked") && !strstr(end, "0\r\n\r\n"))
			continue;
		if (strstr(buf, "Content-Length: ")) {
			size_t want =
			    (size_t)atoi(strstr(buf, "Content-Length: ") + 16);

			if (len - (size_t)(end + 4 - buf) < want)
				continue;
		}
		return (int)len;
	}
}

static void *serve_conn(void *p)
{
	struct conn_arg *a = p;
	char buf[65536], out[70000];

	if (a->echo) {
		ssize_t n;

		while ((n = read(a->fd, buf, sizeof(buf))) > 0)
			if (write(a->fd, buf, (size_t)n) != n)
				break;
		/* Half-close: the client's EOF answered after a last word. */
		if (write(a->fd, "bye\n", 4) != 4)
			perror("write");
		close(a->fd);
		free(a);
		return NULL;
	}
	while (read_request(a->fd, buf, sizeof(buf)) > 0) {
		char body[256];
		int n;

		if (strncmp(buf, "GET /slow", 9) == 0)
			usleep(1500 * 1000);
		if (strncmp(buf, "GET /close", 10) == 0) {
			close(a->fd);
			break;
		}
		if (strncmp(buf, "POST /early", 11) == 0) {
			static const char r413[] =
			    "HTTP/1.1 413 Too Large\r\nContent-Length: "
			    "4\r\nConnection: close\r\n\r\nbig!";

			if (write(a->fd, r413, sizeof(r413) - 1) < 0)
				perror("write");
			usleep(300 * 1000);
			break;
		}
		if (strncmp(buf, "GET /big", 8) == 0) {
			static char blob[BIG_BODY];
			size_t want = (size_t)atoi(buf + 9);

			if (want > sizeof(blob))
				want = sizeof(blob);
			memset(blob, 'x', want);
			n = snprintf(out, sizeof(out),
				     "HTTP/1.1 200 OK\r\nContent-Length: "
				     "%zu\r\n\r\n",
				     want);
			if (write(a->fd, out, (size_t)n) != n ||
			    write(a->fd, blob, want) != (ssize_t)want)
				break;
			continue;
		}
		if (strncmp(buf, "GET /headers", 12) == 0) {
			char *e = strstr(buf, "\r\n\r\n");

			*e = '\0';
			snprintf(body, sizeof(body), "%.200s", buf);
		} else if (strncmp(buf, "POST", 4) == 0) {
			snprintf(body, sizeof(body), "posted %d bytes",
				 (int)strlen(strstr(buf, "\r\n\r\n") + 4));
		} else {
			snprintf(body, sizeof(body), "backend-%d", a->id);
		}
		n = snprintf(out, sizeof(out),
			     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
			     strlen(body), body);
		if (write(a->fd, out, (size_t)n) != n)
			break;
	}
	close(a->fd);
	free(a);
	return NULL;
}

struct server {
	int fd, id;
	bool echo;
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
		a->echo = s->echo;
		pthread_create(&t, NULL, serve_conn, a);
		pthread_detach(t);
	}
}

#define BIG_SIZE (8u << 20)

struct big_writer {
	int fd;
	bool ok;
};

/* Byte i of the large transfer: a pattern that catches lost, repeated or
 * reordered chunks. */
static unsigned char big_byte(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static void *write_big(void *p)
{
	struct big_writer *w = p;
	unsigned char chunk[65536];
	size_t off = 0;

	w->ok = true;
	while (off < BIG_SIZE) {
		size_t n = sizeof(chunk);
		ssize_t k;

		for (size_t i = 0; i < n; i++)
			chunk[i] = big_byte(off + i);
		k = write(w->fd, chunk, n);
		if (k != (ssize_t)n) {
			w->ok = false;
			break;
		}
		off += n;
	}
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

/* tcp mode through port: 8 MiB echoed while being sent, then a
 * half-close answered by the backend's last word. */
/* 8 MiB through the echo and back; with slow, the reader starts late,
 * so every buffer on the way fills and the proxy has writes queued when
 * it hands the transfer to splice. */
static void big_echo_paced(int port, const char *what, bool slow)
{
	struct big_writer w = {dial(port), false};
	unsigned char buf[65536];
	size_t got = 0, bad = BIG_SIZE + 4;
	char tail[5] = {0};
	pthread_t t;

	pthread_create(&t, NULL, write_big, &w);
	if (slow)
		usleep(300 * 1000);
	for (;;) {
		ssize_t n = read(w.fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++, got++) {
			if (got < BIG_SIZE) {
				if (buf[i] != big_byte(got) && bad > got)
					bad = got;
			} else if (got - BIG_SIZE < 4) {
				tail[got - BIG_SIZE] = (char)buf[i];
			}
		}
	}
	pthread_join(t, NULL);
	ok(w.ok, "%s: 8 MiB sent", what);
	ok(got == BIG_SIZE + 4 && bad == BIG_SIZE + 4 && !strcmp(tail, "bye\n"),
	   "%s: 8 MiB echoed intact, then half-close answered (%zu bytes, "
	   "first bad %zu)",
	   what, got, bad);
	close(w.fd);
}

static void big_echo(int port, const char *what)
{
	big_echo_paced(port, what, false);
}

/* Small echo with half-close: "ping\n" then EOF, "ping\nbye\n" back. */
static void small_echo(int port, const char *what)
{
	char body[64];
	size_t len = 0;
	int fd = dial(port);

	ok(write(fd, "ping\n", 5) == 5, "%s: write", what);
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = read(fd, body + len, sizeof(body) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	body[len] = '\0';
	is_str(body, "ping\nbye\n", "%s: echo and half-close both ways", what);
	close(fd);
}

static const char *GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

static int active_of(struct proxy *px, const char *svc)
{
	char key[128];

	snprintf(key, sizeof(key),
		 "berth_service_active_connections{service=\"%s\"}", svc);
	return (int)metric_of(px, key);
}

/* Reads until EOF (1) or error/timeout (0); what came is in buf. */
static int read_to_eof(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n <= 0) {
			buf[len] = '\0';
			return n == 0;
		}
		len += (size_t)n;
		if (len == cap - 1)
			len = 0; /* keep the tail only */
	}
}

#define EARLY_BODY (50u << 20)

static void *send_early_body(void *p)
{
	int fd = *(int *)p;
	static const char chunk[65536];
	struct timeval tv = {5, 0};
	size_t off = 0;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < EARLY_BODY) {
		ssize_t k = write(fd, chunk, sizeof(chunk));

		if (k <= 0)
			break;
		off += (size_t)k;
	}
	return NULL;
}

/* A backend that answers 413 while a large body still streams in, then
 * closes: the client connection must outlive the backend writes. */
static void early_answers(void)
{
	static const char head[] = "POST /early HTTP/1.1\r\nHost: t\r\n"
				   "Content-Length: 52428800\r\n\r\n";
	char buf[4096];
	int got = 0;

	for (int i = 0; i < 3; i++) {
		int fd = dial(18901);
		pthread_t t;

		if (write(fd, head, sizeof(head) - 1) < 0)
			break;
		pthread_create(&t, NULL, send_early_body, &fd);
		read_to_eof(fd, buf, sizeof(buf));
		got += strncmp(buf, "HTTP/1.1 413", 12) == 0;
		shutdown(fd, SHUT_RDWR);
		pthread_join(t, NULL);
		close(fd);
	}
	is_int(got, 3, "early 413 during a large upload, three times over");
}

#define LINGER_BODY (4u << 20)

struct linger_writer {
	int fd;
	size_t sent;
	int err; /* errno of the failed write, 0 when all was sent */
};

static void *send_linger_body(void *p)
{
	struct linger_writer *w = p;
	static const char chunk[65536];
	struct timeval tv = {5, 0};

	setsockopt(w->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (w->sent < LINGER_BODY) {
		ssize_t k = write(w->fd, chunk, sizeof(chunk));

		if (k <= 0) {
			w->err = k == 0 ? EIO : errno;
			break;
		}
		w->sent += (size_t)k;
	}
	return NULL;
}

/* An early 413 while a 4 MiB body still streams in: the client reads the
 * whole answer, then EOF, and never a reset, even though it goes on
 * sending after the answer (berth reads and drops the rest before it
 * closes instead of closing with unread input, which resets). */
static void early_answer_no_reset(void)
{
	static const char head[] = "POST /early HTTP/1.1\r\nHost: t\r\n"
				   "Content-Length: 4194304\r\n\r\n";
	static const char want[] = "HTTP/1.1 413 Too Large\r\nContent-Length: "
				   "4\r\nConnection: close\r\n\r\nbig!";
	int good = 0;

	for (int i = 0; i < 5; i++) {
		struct linger_writer w = {dial(18901), 0, 0};
		char buf[4096];
		int eof, soerr = -1;
		socklen_t sl = sizeof(soerr);
		pthread_t t;

		int64_t t0 = ms_now(), took;

		if (write(w.fd, head, sizeof(head) - 1) < 0)
			perror("write");
		pthread_create(&t, NULL, send_linger_body, &w);
		eof = read_to_eof(w.fd, buf, sizeof(buf));
		took = ms_now() - t0;
		pthread_join(t, NULL);
		getsockopt(w.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		/* The answer says Connection: close, so the EOF must follow
		 * it, not the client timeout (5 s), even when the whole body
		 * was taken before the answer came. */
		if (eof && strcmp(buf, want) == 0 && w.err == 0 &&
		    w.sent == LINGER_BODY && soerr == 0 && took < 2500)
			good++;
		else
			printf("# early 413 #%d: eof %d, answer %s, sent %zu, "
			       "write errno %d, SO_ERROR %d, %lld ms\n",
			       i, eof, strcmp(buf, want) ? "wrong" : "right",
			       w.sent, w.err, soerr, (long long)took);
		close(w.fd);
	}
	is_int(good, 5,
	       "early 413 during a 4 MiB upload: full answer, then EOF at "
	       "once, no reset, five times over");
}

/* The backend never accepts: body bytes are not read without bound
 * while the connect is pending. */
static void connect_pending(struct proxy *px)
{
	struct service_spec sp = spec("slowc", "127.0.0.1:18904", SERVICE_HTTP);
	struct proxy_endpoint ep = {"pod-hang", 0, 18914, true, ""};
	struct sockaddr_in sin = {0};
	struct berr err = BERR_INIT;
	int hold = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fill[4];
	static const char head[] = "POST /x HTTP/1.1\r\nHost: t\r\n"
				   "Content-Length: 2000000000\r\n\r\n";
	static char chunk[65536];
	size_t sent = 0;
	int64_t until;
	int fd;

	sin.sin_family = AF_INET;
	sin.sin_port = htons(18914);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(hold, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(hold, 0) == -1)
		perror("hold");
	/* A full accept queue: further SYNs are dropped, connects hang. */
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fill[i], (struct sockaddr *)&sin, sizeof(sin)) ==
			-1 &&
		    errno != EINPROGRESS)
			perror("fill");
	}
	sp.timeout_connect_ms = 3000;
	is_int(proxy_service_set(px, &sp, &err), 0, "slowc listens");
	proxy_endpoints_publish(px, "slowc", &ep, 1);
	fd = dial(18904);
	if (write(fd, head, sizeof(head) - 1) < 0)
		perror("write");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	until = ms_now() + 1000;
	while (ms_now() < until) {
		ssize_t k = write(fd, chunk, sizeof(chunk));

		if (k > 0)
			sent += (size_t)k;
		else
			usleep(1000);
	}
	ok(sent < (16u << 20),
	   "a pending connect stops the client's body (%zu bytes taken)", sent);
	close(fd);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(hold);
	proxy_service_remove(px, "slowc");
}

/* An Upgrade the backend declines (200, not 101) ends the connection
 * after the answer instead of swallowing what follows. */
static void declined_upgrade(void)
{
	static const char two[] =
	    "GET /u HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\n\r\nGET /second HTTP/1.1\r\nHost: t\r\n\r\n";
	struct timeval tv = {2, 0};
	char buf[4096];
	int fd = dial(18901), eof;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(fd, two, sizeof(two) - 1) < 0)
		perror("write");
	eof = read_to_eof(fd, buf, sizeof(buf));
	ok(eof && strncmp(buf, "HTTP/1.1 200", 12) == 0,
	   "declined upgrade: answered, then closed (eof %d)", eof);
	close(fd);
}

/* A client that stops reading while its last response is flushed is cut
 * off at the client timeout. How much the kernel takes at once varies, so
 * the response grows until one is answered (2xx counted) but not yet
 * flushed when looked at. */
static void stalled_close(struct proxy *px)
{
	struct service_spec sp = spec("shut", "127.0.0.1:18905", SERVICE_HTTP);
	struct proxy_endpoint ep = {"pod-a", 0, 18911, true, ""};
	struct berr err = BERR_INIT;
	static const char ok2xx[] =
	    "berth_service_requests_total{service=\"shut\",code=\"2xx\"}";
	struct sockaddr_in sin = {0};
	int before = -1, after = -1, size = 512 * 1024;
	long answered = 0;

	sp.timeout_client_ms = 500;
	is_int(proxy_service_set(px, &sp, &err), 0, "shut listens");
	proxy_endpoints_publish(px, "shut", &ep, 1);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(18905);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (; size <= BIG_BODY; size += 384 * 1024) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int rb = 4096;
		char req[128];
		long now;

		snprintf(req, sizeof(req),
			 "GET /big/%d HTTP/1.1\r\nHost: t\r\n"
			 "Connection: close\r\n\r\n",
			 size);
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    write(fd, req, strlen(req)) < 0)
			perror("stalled");
		/* Our EOF ends the drain after a flushed answer at once, so
		 * only an unflushed one still counts as active below. */
		shutdown(fd, SHUT_WR);
		/* Settles: an answer that can be flushed is gone by then. */
		usleep(300 * 1000);
		before = active_of(px, "shut");
		now = metric_of(px, ok2xx);
		if (before == 1 && now > answered) {
			/* Closed at the client timeout (500 ms), well before
			 * the server timeout (5 s) could. */
			(void)wait_until(active_of(px, "shut") == 0, 3000);
			after = active_of(px, "shut");
			close(fd);
			break;
		}
		answered = now;
		close(fd);
		usleep(50 * 1000);
		if (before != 0)
			break; /* the response itself stalled */
	}
	ok(before == 1 && after == 0,
	   "a client that stops reading is closed at the client timeout "
	   "(%d then %d, %d bytes)",
	   before, after, size);
	proxy_service_remove(px, "shut");
}

int main(void)
{
	struct berr err = BERR_INIT;
	struct server sv[3] = {{listen_on(18911), 1, false},
			       {listen_on(18912), 2, false},
			       {listen_on(18913), 3, true}};
	struct proxy_endpoint eps[3] = {{"pod-a", 0, 18911, true, ""},
					{"pod-b", 0, 18912, true, ""},
					{"pod-dead", 0, 18919, true, ""}};
	struct proxy_endpoint echo = {"pod-echo", 0, 18913, true, ""};
	struct service_spec web = spec("web", "127.0.0.1:18901", SERVICE_HTTP);
	struct service_spec raw = spec("raw", "127.0.0.1:18902", SERVICE_TCP);
	struct proxy *px;
	pthread_t t;
	char body[1024], *text;
	size_t len;
	int fd, a = 0, b = 0, st;

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 3; i++) {
		pthread_create(&t, NULL, serve, &sv[i]);
		pthread_detach(t);
	}
	px = test_proxy_start(&err);
	ok(px != NULL, "proxy starts");
	is_int(proxy_service_set(px, &web, &err), 0, "http service listens");
	is_int(proxy_service_set(px, &raw, &err), 0, "tcp service listens");
	ok(proxy_service_set(px,
			     &(struct service_spec){
				 .name = "clash", .listen = "127.0.0.1:18901"},
			     &err) == -1 &&
	       strstr(err.msg, "18901"),
	   "address in use reported synchronously: %s", err.msg);
	is_int(proxy_admin_listen(px, "127.0.0.1:18903", &err), 0,
	       "admin listens");

	fd = dial(18901);
	st = roundtrip(fd, GET, body, sizeof(body));
	is_int(st, 503, "no endpoint yet: 503");
	ok(strstr(body, "no ready endpoint") != NULL, "503 says why");
	close(fd);

	proxy_endpoints_publish(px, "web", eps, 2);
	fd = dial(18901);
	for (int i = 0; i < 6; i++) {
		st = roundtrip(fd, GET, body, sizeof(body));
		a += st == 200 && !strcmp(body, "backend-1");
		b += st == 200 && !strcmp(body, "backend-2");
	}
	ok(a == 3 && b == 3,
	   "round-robin per request on one keep-alive "
	   "connection (%d/%d)",
	   a, b);
	proxy_endpoints_publish(px, "web", &eps[1], 1);
	a = b = 0;
	for (int i = 0; i < 4; i++) {
		st = roundtrip(fd, GET, body, sizeof(body));
		a += st == 200 && !strcmp(body, "backend-1");
		b += st == 200 && !strcmp(body, "backend-2");
	}
	ok(a == 0 && b == 4,
	   "after a swap only the new set answers, same client connection");
	st = roundtrip(fd,
		       "GET /headers HTTP/1.1\r\nHost: t\r\nConnection: "
		       "keep-alive\r\n\r\n",
		       body, sizeof(body));
	ok(st == 200 && strstr(body, "X-Forwarded-For: 127.0.0.1") &&
	       strstr(body, "X-Forwarded-Proto: http") &&
	       strstr(body, "Via: 1.1 berth") && !strstr(body, "Connection:"),
	   "forwarding headers added, hop-by-hop dropped");
	st = roundtrip(fd,
		       "POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
		       "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
		       body, sizeof(body));
	ok(st == 200 && !strcmp(body, "posted 20 bytes"),
	   "chunked POST streamed (%d %s)", st, body);
	st = roundtrip(fd, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n", body,
		       sizeof(body));
	is_int(st, 504, "slow backend: 504 at the response timeout");
	close(fd);

	/* A dead endpoint next to a live one: GETs never fail. */
	eps[0] = eps[2];
	proxy_endpoints_publish(px, "web", eps, 2);
	fd = dial(18901);
	a = 0;
	for (int i = 0; i < 6; i++)
		a += roundtrip(fd, GET, body, sizeof(body)) == 200;
	is_int(a, 6, "a refusing endpoint is retried elsewhere");
	close(fd);
	proxy_endpoints_publish(px, "web", &eps[2], 1);
	fd = dial(18901);
	is_int(roundtrip(fd, GET, body, sizeof(body)), 502,
	       "only a refusing endpoint: 502");
	close(fd);

	fd = dial(18901);
	is_int(roundtrip(fd,
			 "GET / HTTP/1.1\r\nContent-Length: 1\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			 body, sizeof(body)),
	       400, "smuggling attempt: 400");
	ok(read(fd, body, 1) == 0, "and the connection closes");
	close(fd);

	proxy_endpoints_publish(px, "raw", &echo, 1);
	proxy_splice_set_enabled(true);
	small_echo(18902, "tcp splice");
	{
		uint64_t before = proxy_pipe_hand_overs();

		big_echo(18902, "tcp splice");
		big_echo_paced(18902, "tcp splice, reader late", true);
		/* With a write batch, tcp mode starts on the buffer path and
		 * hands a bulk transfer to splice; without, it splices from
		 * the first byte. */
		if (proxy_wbatch_enabled())
			ok(proxy_pipe_hand_overs() > before,
			   "tcp: 8 MiB moved from the buffer path to splice "
			   "(%llu hand-overs)",
			   (unsigned long long)(proxy_pipe_hand_overs() -
						before));
		else
			ok(proxy_pipe_hand_overs() == before,
			   "tcp, no write batch: splice from the start");
	}
	proxy_splice_set_enabled(false);
	small_echo(18902, "tcp buffer");
	big_echo(18902, "tcp buffer");
	proxy_splice_set_enabled(true);
	/* A client that resets mid-stream: the connection ends on both
	 * sides (checked by the active gauge below). */
	for (int i = 0; i < 2; i++) {
		struct linger lg = {1, 0};

		proxy_splice_set_enabled(i == 0);
		fd = dial(18902);
		ok(write(fd, "x", 1) == 1 && read(fd, body, 1) == 1,
		   "tcp %s: echo before a reset", i == 0 ? "splice" : "buffer");
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	proxy_splice_set_enabled(true);
	(void)wait_until(active_of(px, "raw") == 0, 3000);

	fd = dial(18903);
	st = roundtrip(fd, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", body,
		       sizeof(body));
	ok(st == 200 && !strcmp(body, "ok\n"), "admin /healthz");
	close(fd);
	proxy_metrics(px, &text, &len);
	ok(strstr(text, "berth_service_requests_total{service=\"web\","
			"code=\"2xx\"}") &&
	       strstr(text, "berth_endpoint_up{service=\"web\","
			    "pod=\"pod-dead\"} 1") &&
	       strstr(text, "berth_service_request_duration_seconds_bucket"),
	   "metrics text");
	ok(strstr(text, "berth_service_active_connections{service=\"raw\"} 0"),
	   "tcp connections closed on both paths: none active");
	free(text);
	/* 503 without endpoints, 504 from the slow backend, 502 with only a
	 * refusing endpoint. */
	is_int(metric_of(px, "berth_service_requests_total{service=\"web\","
			     "code=\"5xx\"}"),
	       3, "5xx counted for web");

	{
		struct proxy_endpoint live = {"pod-a", 0, 18911, true, ""};

		proxy_endpoints_publish(px, "web", &live, 1);
		early_answers();
		early_answer_no_reset();
		declined_upgrade();
		connect_pending(px);
		stalled_close(px);
		ok(active_of(px, "web") == 0, "no web connection left open");
	}

	proxy_service_remove(px, "web");
	ok(wait_until(connect_refused(18901), 3000),
	   "a removed service stops listening");
	proxy_stop(px);
	ok(connect_refused(18902) && connect_refused(18903),
	   "proxy stops: its listeners are closed");
	return tap_done();
}
