/*
 * echo-version: the small HTTP/1.1 server inside berth's example images.
 * Owns one process, one epoll loop and every connection it accepts; it must
 * not touch files other than /etc/echo-version, start threads, or use the
 * name service (it is linked statically).
 *
 * Built twice from this file: plain, it is /bin/echo-version; with
 * -DSLOW_STOP it is /bin/slow-stop, which answers "slow-stop" and needs
 * --stop-seconds (default 20) to exit after SIGTERM, like a database that
 * flushes on shutdown.
 *
 * Routes: /  /healthz  /hostname  /slow?ms=N  /status/NNN  /fail  /recover.
 * With $FAIL_PERCENT=N (0..100), N of every 100 answers to / are 500
 * (spread evenly), for a canary that fails on purpose.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef SLOW_STOP
#define APP_NAME "slow-stop"
#define SLOW_STOP_USAGE " [--stop-seconds N]"
#else
#define APP_NAME "echo-version"
#define SLOW_STOP_USAGE ""
#endif

#define IN_MAX 16384   /* read buffer, and the request head limit */
#define OUT_HIGH 65536 /* stop parsing pipelined requests above this */
#define DRAIN_CAP_MS 30000
#define SLOW_MAX_MS 600000
#define ACCEPT_PAUSE_MS 100

enum phase {
	PH_HEAD,  /* reading a request head */
	PH_BODY,  /* discarding the request body */
	PH_DELAY, /* /slow: waiting until due_ms to answer */
};

struct conn {
	int fd;
	struct conn *prev, *next;
	enum phase phase;
	char in[IN_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	uint32_t events;  /* what epoll watches for this fd */
	bool eof;	  /* the peer shut down its side */
	bool close_after; /* close once out is flushed */
	/* the answer to the request being read */
	uint64_t body_left;
	int64_t delay_ms, due_ms;
	int status;
	char body[320];
	bool keep_alive, head;
};

struct server {
	int ep, lfd, sfd;
	struct conn *conns;
	int nconns, ndelayed;
	char version[64];
	char hostname[256];
	bool failing;
	int fail_percent;	   /* $FAIL_PERCENT: share of / answered 500 */
	unsigned long root_served; /* answers to / so far */
	bool draining;
	int pending_signal;
	int64_t drain_until;
	int64_t accept_paused_until; /* 0: accepting */
	int stop_seconds;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, APP_NAME ": %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Reason phrases, "CODE Phrase"; other codes get a generic one. */
static const char *const reasons[] = {"200 OK",
				      "201 Created",
				      "204 No Content",
				      "301 Moved Permanently",
				      "302 Found",
				      "304 Not Modified",
				      "400 Bad Request",
				      "403 Forbidden",
				      "404 Not Found",
				      "408 Request Timeout",
				      "429 Too Many Requests",
				      "431 Request Header Fields Too Large",
				      "500 Internal Server Error",
				      "501 Not Implemented",
				      "502 Bad Gateway",
				      "503 Service Unavailable",
				      "504 Gateway Timeout"};

static const char *reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (atoi(reasons[i]) == status)
			return reasons[i] + 4;
	return "Status";
}

static const char *signame(int sig)
{
	return sig == SIGTERM	? "SIGTERM"
	       : sig == SIGQUIT ? "SIGQUIT"
	       : sig == SIGINT	? "SIGINT"
				: "signal";
}

/* Parses a decimal number in [min, max]; the whole string must be digits. */
static int parse_num(const char *s, long long min, long long max,
		     long long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Opens the listener for ":PORT", "PORT", "A.B.C.D:PORT" or "[V6]:PORT".
 * Any-address ("" "*" "::" "0.0.0.0"-less forms) listens dual-stack when the
 * kernel has IPv6, else on 0.0.0.0. Addresses are parsed by hand because a
 * static binary must not use getaddrinfo.
 */
static int open_listener(const char *spec)
{
	char host[64] = "";
	const char *port_s = spec;
	const char *colon = strrchr(spec, ':');
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':' ||
		    (size_t)(rb - spec - 1) >= sizeof(host))
			return -1;
		memcpy(host, spec + 1, rb - spec - 1);
		port_s = rb + 2;
	} else if (colon) {
		if ((size_t)(colon - spec) >= sizeof(host))
			return -1;
		memcpy(host, spec, colon - spec);
		port_s = colon + 1;
	}
	long long port;
	if (parse_num(port_s, 1, 65535, &port) == -1)
		return -1;

	bool any = !host[0] || !strcmp(host, "*") || !strcmp(host, "::");
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	int fam;
	if (any) {
		fam = AF_INET6;
		a6.sin6_addr = in6addr_any;
	} else if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
		fam = AF_INET;
	} else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
		fam = AF_INET6;
	} else {
		return -1;
	}

	for (;;) {
		int fd =
		    socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1, zero = 0;
		if (fd != -1) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
			if (fam == AF_INET6 && any)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
					   sizeof(zero));
			int r =
			    fam == AF_INET6
				? bind(fd, (struct sockaddr *)&a6, sizeof(a6))
				: bind(fd, (struct sockaddr *)&a4, sizeof(a4));
			if (r == 0 && listen(fd, 4096) == 0)
				return fd;
			close(fd);
		}
		/* A network namespace without IPv6: fall back to 0.0.0.0. */
		if (!(any && fam == AF_INET6 &&
		      (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)))
			return -1;
		fam = AF_INET;
	}
}

/* Version: $VERSION, else the first line of /etc/echo-version. */
static void load_version(struct server *s)
{
#ifdef SLOW_STOP
	snprintf(s->version, sizeof(s->version), "slow-stop");
#else
	const char *env = getenv("VERSION");
	snprintf(s->version, sizeof(s->version), "unknown");
	if (env && *env) {
		snprintf(s->version, sizeof(s->version), "%s", env);
		return;
	}
	FILE *f = fopen("/etc/echo-version", "re");
	if (!f)
		return;
	if (fgets(s->version, sizeof(s->version), f))
		s->version[strcspn(s->version, "\r\n")] = '\0';
	fclose(f);
#endif
}

static void conn_close(struct server *s, struct conn *c)
{
	if (c->phase == PH_DELAY)
		s->ndelayed--;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd); /* also removes it from the epoll set */
	free(c->out);
	free(c);
	s->nconns--;
}

/* Makes epoll watch exactly what the connection can use now. */
static void conn_want(struct server *s, struct conn *c)
{
	uint32_t ev = 0;
	if (!c->eof && !c->close_after && c->in_len < IN_MAX)
		ev |= EPOLLIN;
	if (c->out_off < c->out_len)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	struct epoll_event e = {.events = ev, .data.ptr = c};
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &e);
	c->events = ev;
}

static void out_printf(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void out_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (c->out_len + n + 1 > c->out_cap) {
		c->out_cap = (c->out_len + n + 1) * 2;
		c->out = realloc(c->out, c->out_cap);
		if (!c->out)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(c->out + c->out_len, n + 1, fmt, ap);
	va_end(ap);
	c->out_len += n;
}

static void queue_response(struct server *s, struct conn *c)
{
	bool close_it = !c->keep_alive || s->draining;
	bool no_body = c->status == 204 || c->status == 304;
	out_printf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n",
		   c->status, reason(c->status));
	if (!no_body)
		out_printf(c, "Content-Length: %zu\r\n", strlen(c->body));
	out_printf(c, "Connection: %s\r\n\r\n",
		   close_it ? "close" : "keep-alive");
	if (!no_body && !c->head)
		out_printf(c, "%s", c->body);
	if (close_it)
		c->close_after = true;
}

static void reply(struct conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply(struct conn *c, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->body, sizeof(c->body), fmt, ap);
	va_end(ap);
	c->status = status;
}

/* Decides the answer to METHOD TARGET. */
static void route(struct server *s, struct conn *c, const char *method,
		  char *target)
{
	char *query = strchr(target, '?');
	long long n;
	if (query)
		*query++ = '\0';
	c->head = !strcmp(method, "HEAD");
	if (!strcmp(target, "/")) {
		/* Bresenham over 100 answers: exactly fail_percent each. */
		unsigned long k = s->root_served++ % 100;
		bool fail = (k + 1) * (unsigned long)s->fail_percent / 100 !=
			    k * (unsigned long)s->fail_percent / 100;

		reply(c, fail ? 500 : 200, "%s\n", s->version);
	} else if (!strcmp(target, "/healthz"))
		reply(c, s->failing ? 503 : 200,
		      s->failing ? "failing\n" : "ok\n");
	else if (!strcmp(target, "/hostname"))
		reply(c, 200, "%s\n", s->hostname);
	else if (!strcmp(target, "/fail") || !strcmp(target, "/recover")) {
		s->failing = target[1] == 'f';
		reply(c, 200, s->failing ? "failing\n" : "ok\n");
	} else if (!strcmp(target, "/slow") && query &&
		   !strncmp(query, "ms=", 3) &&
		   parse_num(query + 3, 0, SLOW_MAX_MS, &n) == 0) {
		reply(c, 200, "%s\n", s->version);
		c->delay_ms = n;
	} else if (!strncmp(target, "/status/", 8) &&
		   parse_num(target + 8, 200, 599, &n) == 0)
		reply(c, (int)n, "%lld\n", n);
	else
		reply(c, 404, "not found\n");
}

/* Length of the request head (through its blank line), 0 if incomplete. */
static size_t head_end(const char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Cuts the next line (without CR LF) off *cur; "" at the end. */
static char *next_line(char **cur)
{
	char *line = *cur, *nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cur = nl + 1;
	} else {
		nl = line + strlen(line);
		*cur = nl;
	}
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	return line;
}

static void bad_request(struct conn *c, int status, const char *msg)
{
	reply(c, status, "%s\n", msg);
	c->keep_alive = false;
	c->body_left = 0;
	c->delay_ms = 0;
}

/*
 * Parses the head in c->in[0..len), which ends in a blank line, and decides
 * the answer. Malformed requests get an error answer and close.
 */
static void parse_head(struct server *s, struct conn *c, size_t len)
{
	c->in[len - 1] = '\0'; /* the final '\n' of the blank line */
	char *cur = c->in, *save = NULL;
	char *line = next_line(&cur);
	char *method = strtok_r(line, " ", &save);
	char *target = method ? strtok_r(NULL, " ", &save) : NULL;
	char *version = target ? strtok_r(NULL, " ", &save) : NULL;

	c->body_left = 0;
	c->delay_ms = 0;
	c->head = false;
	if (!version || strncmp(version, "HTTP/1.", 7) || target[0] != '/') {
		bad_request(c, 400, "bad request line");
		return;
	}
	c->keep_alive = !strcmp(version, "HTTP/1.1");

	for (;;) {
		char *h = next_line(&cur), *v = strchr(h, ':');
		long long cl;
		if (!*h)
			break;
		if (!v) {
			bad_request(c, 400, "bad header");
			return;
		}
		*v++ = '\0';
		v += strspn(v, " \t");
		v[strcspn(v, " \t")] = '\0';
		if (!strcasecmp(h, "Content-Length")) {
			if (parse_num(v, 0, INT64_MAX, &cl) == -1) {
				bad_request(c, 400, "bad content-length");
				return;
			}
			c->body_left = (uint64_t)cl;
		} else if (!strcasecmp(h, "Transfer-Encoding")) {
			bad_request(c, 501, "chunked bodies unsupported");
			return;
		} else if (!strcasecmp(h, "Connection")) {
			if (strcasestr(v, "close"))
				c->keep_alive = false;
			else if (strcasestr(v, "keep-alive"))
				c->keep_alive = true;
		}
	}
	route(s, c, method, target);
}

static void consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Runs the request state machine over buffered input, in order. */
static void conn_process(struct server *s, struct conn *c)
{
	while (!c->close_after) {
		if (c->phase == PH_DELAY)
			return;
		if (c->phase == PH_BODY) {
			size_t n =
			    c->body_left < c->in_len ? c->body_left : c->in_len;
			consume(c, n);
			c->body_left -= n;
			if (c->body_left)
				return;
			if (c->delay_ms) {
				c->due_ms = now_ms() + c->delay_ms;
				c->phase = PH_DELAY;
				s->ndelayed++;
				return;
			}
			queue_response(s, c);
			c->phase = PH_HEAD;
			continue;
		}
		if (c->out_len - c->out_off > OUT_HIGH)
			return;
		/* Tolerate the stray CRLF some clients send after a body. */
		while (c->in_len && (c->in[0] == '\r' || c->in[0] == '\n'))
			consume(c, 1);
		size_t len = head_end(c->in, c->in_len);
		if (!len) {
			if (c->in_len == IN_MAX) {
				bad_request(c, 431, "request head too large");
				queue_response(s, c);
			}
			return;
		}
		parse_head(s, c, len);
		consume(c, len);
		c->phase = PH_BODY;
	}
}

/* Writes what it can; -1 when the connection is broken. */
static int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n > 0)
			c->out_off += n;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		else if (errno != EINTR)
			return -1;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	return 0;
}

/* Processes, flushes, and closes or re-arms the connection. */
static void conn_settle(struct server *s, struct conn *c)
{
	for (;;) {
		size_t in_before = c->in_len;
		enum phase ph = c->phase;
		conn_process(s, c);
		if (conn_flush(c) == -1) {
			conn_close(s, c);
			return;
		}
		if (c->in_len == in_before && c->phase == ph)
			break;
	}
	bool flushed = c->out_len == 0;
	bool idle = c->phase == PH_HEAD && c->in_len == 0;
	if (flushed && (c->close_after || (c->eof && c->phase != PH_DELAY) ||
			(s->draining && idle)))
		conn_close(s, c);
	else
		conn_want(s, c);
}

static void conn_read(struct server *s, struct conn *c)
{
	while (c->in_len < IN_MAX && !c->eof) {
		ssize_t n =
		    recv(c->fd, c->in + c->in_len, IN_MAX - c->in_len, 0);
		if (n > 0)
			c->in_len += n;
		else if (n == 0)
			c->eof = true;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		else if (errno != EINTR) {
			conn_close(s, c);
			return;
		}
	}
	conn_settle(s, c);
}

static void accept_all(struct server *s)
{
	for (;;) {
		int fd =
		    accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: level-triggered epoll
				 * would spin, so stop listening for a while. */
				epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
				s->accept_paused_until =
				    now_ms() + ACCEPT_PAUSE_MS;
			}
			return;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->fd = fd;
		c->events = EPOLLIN;
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) == -1) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

/* SIGTERM/SIGQUIT/SIGINT: stop accepting and drain what is in flight. */
static void start_drain(struct server *s, int sig)
{
	if (s->draining) {
		printf(APP_NAME ": %s received, already draining\n",
		       signame(sig));
		return;
	}
	s->draining = true;
#ifdef SLOW_STOP
	printf(APP_NAME ": %s received, flushing (%ds)\n", signame(sig),
	       s->stop_seconds);
	s->drain_until = now_ms() + (int64_t)s->stop_seconds * 1000;
#else
	printf(APP_NAME ": %s received, draining %d connections\n",
	       signame(sig), s->nconns);
	s->drain_until = now_ms() + DRAIN_CAP_MS;
#endif
	if (s->lfd != -1)
		close(s->lfd);
	s->lfd = -1;
	s->accept_paused_until = 0;
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		conn_settle(s, c); /* closes idle keep-alive connections */
	}
}

static void on_signalfd(struct server *s)
{
	struct signalfd_siginfo si;
	while (read(s->sfd, &si, sizeof(si)) == sizeof(si))
		s->pending_signal = (int)si.ssi_signo;
}

/* Answers /slow requests that are due; returns ms until the next one. */
static int64_t run_timers(struct server *s, int64_t now)
{
	int64_t next = -1;
	if (s->accept_paused_until && now >= s->accept_paused_until) {
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = &s->lfd};
		epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &e);
		s->accept_paused_until = 0;
	}
	if (s->accept_paused_until)
		next = s->accept_paused_until - now;
	if (s->ndelayed == 0)
		return next;
	for (struct conn *c = s->conns, *nc; c; c = nc) {
		nc = c->next;
		if (c->phase != PH_DELAY)
			continue;
		if (now >= c->due_ms) {
			s->ndelayed--;
			queue_response(s, c);
			c->phase = PH_HEAD;
			conn_settle(s, c);
		} else if (next == -1 || c->due_ms - now < next) {
			next = c->due_ms - now;
		}
	}
	return next;
}

int main(int argc, char **argv)
{
	static struct server srv = {.lfd = -1, .stop_seconds = 20};
	struct server *s = &srv;
	const char *listen_spec = ":8080";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		long long n;
		if (!strncmp(a, "--listen=", 9)) {
			listen_spec = a + 9;
		} else if (!strcmp(a, "--listen") && v) {
			listen_spec = v;
			i++;
#ifdef SLOW_STOP
		} else if (!strcmp(a, "--stop-seconds") && v &&
			   parse_num(v, 0, 86400, &n) == 0) {
			s->stop_seconds = (int)n;
			i++;
#endif
		} else {
			(void)n;
			fprintf(stderr, "usage: %s [--listen [ADDR]:PORT]%s\n",
				APP_NAME, SLOW_STOP_USAGE);
			return 2;
		}
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	load_version(s);
	{
		const char *fp = getenv("FAIL_PERCENT");
		long long v;

		if (fp && *fp && parse_num(fp, 0, 100, &v) == 0)
			s->fail_percent = (int)v;
	}
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) == -1)
		snprintf(s->hostname, sizeof(s->hostname), "unknown");

	/* Signals arrive as reads on a descriptor (this also works as pid 1,
	 * where default dispositions would be ignored). */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->sfd == -1 || s->ep == -1)
		die("epoll/signalfd");
	s->lfd = open_listener(listen_spec);
	if (s->lfd == -1)
		die(listen_spec);
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &s->lfd};
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &e);
	e.data.ptr = &s->sfd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sfd, &e);
#ifdef SLOW_STOP
	printf(APP_NAME " listening on %s\n", listen_spec);
#else
	printf(APP_NAME " %s listening on %s\n", s->version, listen_spec);
#endif

	int64_t timeout = -1;
	for (;;) {
		if (s->draining) {
			int64_t left = s->drain_until - now_ms();
#ifdef SLOW_STOP
			if (left <= 0)
				break;
#else
			if (s->nconns == 0)
				break;
			if (left <= 0) {
				printf(APP_NAME ": drain timeout, closing %d "
						"connections\n",
				       s->nconns);
				break;
			}
#endif
			if (timeout == -1 || left < timeout)
				timeout = left;
		}
		struct epoll_event evs[256];
		int n = epoll_wait(s->ep, evs, 256, (int)timeout);
		if (n == -1 && errno != EINTR)
			die("epoll_wait");
		/* A connection is only ever closed while handling its own
		 * event, so later events in this batch stay valid. */
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &s->lfd) {
				if (s->lfd != -1)
					accept_all(s);
			} else if (p == &s->sfd) {
				on_signalfd(s);
			} else {
				struct conn *c = p;
				uint32_t ev = evs[i].events;
				if (ev & (EPOLLERR | EPOLLHUP) &&
				    !(ev & EPOLLIN))
					conn_close(s, c);
				else if (ev & EPOLLIN)
					conn_read(s, c);
				else
					conn_settle(s, c);
			}
		}
		if (s->pending_signal) {
			start_drain(s, s->pending_signal);
			s->pending_signal = 0;
		}
		timeout = run_timers(s, now_ms());
	}
	printf(APP_NAME ": exited cleanly\n");
	return 0;
}
