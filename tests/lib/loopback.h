/*
 * loopback.h - socket helpers for C tests that talk to the proxy on
 * 127.0.0.1: a listening socket, a client connection with a read
 * timeout, and one HTTP/1.1 exchange with a Content-Length response.
 * Test code only; header-only so each test binary stays one file.
 */
#ifndef BERTH_TESTS_LOOPBACK_H
#define BERTH_TESTS_LOOPBACK_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static inline int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A listening socket on 127.0.0.1:port; exits the test on failure. */
static inline int listen_on(int port)
{
	struct sockaddr_in sin = {0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 64) == -1) {
		perror("backend listen");
		exit(1);
	}
	return fd;
}

/* A connection to 127.0.0.1:port (retried for a second while the
 * listener comes up), reads time out after 5 s; -1 on failure. */
static inline int dial(int port)
{
	struct sockaddr_in sin = {0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {5, 0};

	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < 50; i++) {
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
		usleep(20000);
	}
	close(fd);
	return -1;
}

/* 1 when nothing listens on 127.0.0.1:port (one try, no retry). */
static inline int connect_refused(int port)
{
	struct sockaddr_in sin = {0};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1;
	close(s);
	return r;
}

/* Reads one response (head and Content-Length body) from fd; returns
 * the status, body in body (NUL-terminated). Bytes read past the
 * response are kept in *carry / *carry_len for the next call (pass
 * NULL when none can follow). -1 on EOF or error. */
static inline int read_response(int fd, char *body, size_t cap, char *carry,
				size_t *carry_len)
{
	char buf[65536];
	size_t len = 0, clen, total;
	char *end, *cl;
	int status;

	if (carry && *carry_len) {
		memcpy(buf, carry, *carry_len);
		len = *carry_len;
		*carry_len = 0;
	}
	for (;;) {
		ssize_t n;

		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			cl = strstr(buf, "Content-Length: ");
			clen = cl && cl < end ? (size_t)atoi(cl + 16) : 0;
			total = (size_t)(end + 4 - buf) + clen;
			if (len >= total)
				break;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	status = atoi(buf + 9);
	snprintf(body, cap, "%.*s", (int)clen, end + 4);
	if (carry && len > total) {
		memcpy(carry, buf + total, len - total);
		*carry_len = len - total;
	}
	return status;
}

/* Sends req on fd and reads one response, as read_response. */
static inline int roundtrip(int fd, const char *req, char *body, size_t cap)
{
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return -1;
	return read_response(fd, body, cap, NULL, NULL);
}

#endif
