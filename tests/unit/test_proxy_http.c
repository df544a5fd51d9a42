/*
 * test_proxy_http.c - request/response framing of the proxy: head
 * rewriting (forwarding headers, hop-by-hop headers dropped), body
 * re-framing, pipelining, upgrades, and every smuggling shape refused.
 */
#include <stdlib.h>

#include "../../proxy/http_msg.h"
#include "../lib/tap.h"

static char *out_str(struct proxy_hreq *r)
{
	char *s = malloc(r->out.len + 1);

	memcpy(s, r->out.p, r->out.len);
	s[r->out.len] = '\0';
	return s;
}

/* Feeds all of s; returns the feed result and the bytes taken. */
static int feed(struct proxy_hreq *r, const char *s, size_t *used)
{
	return proxy_hreq_feed(r, s, strlen(s), used);
}

static int bad(const char *s)
{
	struct proxy_hreq r;
	size_t used;
	int rc;

	proxy_hreq_init(&r, "127.0.0.1");
	rc = feed(&r, s, &used);
	proxy_hreq_free(&r);
	return rc == -1;
}

/* The status a request is refused with, 0 when it is accepted. */
static int refusal(const char *s)
{
	struct proxy_hreq r;
	size_t used;
	int rc;

	proxy_hreq_init(&r, "127.0.0.1");
	rc = feed(&r, s, &used) == -1 ? r.error : 0;
	proxy_hreq_free(&r);
	return rc;
}

/* A GET with n headers "X-i: v" (n_bytes_each padded to that length). */
static char *many_headers(int n, size_t each)
{
	size_t cap = 64 + (size_t)n * (each + 32);
	char *s = malloc(cap), *p = s;

	p += sprintf(p, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < n; i++) {
		int k = sprintf(p, "X-%d: ", i);

		memset(p + k, 'v', each);
		p += k + (int)each;
		p += sprintf(p, "\r\n");
	}
	strcpy(p, "\r\n");
	return s;
}

static void hardening(void)
{
	struct proxy_hreq r;
	size_t used;
	char *s, *big;

	is_int(refusal("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), 400,
	       "HTTP/1.1 without Host: 400");
	is_int(refusal("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400,
	       "two Host: 400");
	is_int(refusal("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400,
	       "two Host in HTTP/1.0: 400");
	is_int(refusal("GET / HTTP/1.0\r\n\r\n"), 0,
	       "HTTP/1.0 without Host passes");
	is_int(refusal("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505,
	       "HTTP/2.0 request line: 505");
	is_int(refusal("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505,
	       "HTTP/0.9 request line: 505");
	is_int(refusal("POST / HTTP/1.1\r\nHost: a\r\nExpect: fast\r\n"
		       "Content-Length: 1\r\n\r\nx"),
	       417, "an expectation other than 100-continue: 417");
	s = many_headers(PROXY_HEADERS_MAX - 1, 1);
	is_int(refusal(s), 0, "100 header fields pass (Host + 99)");
	free(s);
	s = many_headers(PROXY_HEADERS_MAX, 1);
	is_int(refusal(s), 431, "101 header fields: 431");
	free(s);
	s = many_headers(10000, 1);
	is_int(refusal(s), 431, "10,000 small header fields: 431");
	free(s);
	/* 99 fields of 657 bytes: names and values alone stay under the
	 * limit; with every line's overhead the head is over it. */
	s = many_headers(99, 657);
	ok(strlen(s) > PROXY_HEAD_MAX && strlen(s) < PROXY_HEAD_MAX + 400,
	   "head of %zu bytes built", strlen(s));
	is_int(refusal(s), 431, "line overhead counts toward the head limit");
	free(s);
	/* Fed in small pieces, the whole head counts too. */
	big = many_headers(99, 657);
	proxy_hreq_init(&r, "127.0.0.1");
	{
		size_t n = strlen(big), off = 0;
		int rc = 0;

		while (off < n && rc == 0) {
			size_t k = n - off < 100 ? n - off : 100;

			rc = proxy_hreq_feed(&r, big + off, k, &used);
			off += k;
		}
		ok(rc == -1 && r.error == 431,
		   "a large head fed 100 bytes at a time: 431");
	}
	proxy_hreq_free(&r);
	free(big);

	proxy_hreq_init(&r, "127.0.0.1");
	is_int(feed(&r,
		    "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
		    "Content-Length: 2\r\n\r\n",
		    &used),
	       0, "Expect: 100-continue parses");
	s = out_str(&r);
	ok(r.head_done && !r.complete && r.expect_continue &&
	       strstr(s, "Expect") == NULL,
	   "100-continue noted, Expect not forwarded");
	free(s);
	proxy_hreq_free(&r);
	proxy_hreq_init(&r, "127.0.0.1");
	is_int(feed(&r,
		    "POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
		    "Content-Length: 2\r\n\r\n",
		    &used),
	       0, "HTTP/1.0 with Expect parses");
	ok(!r.expect_continue, "an HTTP/1.0 client gets no 100");
	proxy_hreq_free(&r);
}

int main(void)
{
	struct proxy_hreq r;
	struct proxy_hresp rs;
	size_t used;
	char *s;
	const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
			  "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";

	proxy_hreq_init(&r, "127.0.0.3");
	is_int(feed(&r,
		    "GET /x?y=1 HTTP/1.1\r\nHost: h\r\nConnection: "
		    "keep-alive\r\nKeep-Alive: 5\r\nX-Forwarded-For: "
		    "127.0.0.2\r\nVia: 1.0 edge\r\nAccept: */*\r\n\r\n",
		    &used),
	       0, "simple GET parses");
	ok(r.head_done && r.complete && r.keep_alive && r.idempotent,
	   "GET is complete, keep-alive, idempotent");
	s = out_str(&r);
	is_str(s,
	       "GET /x?y=1 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n"
	       "X-Forwarded-For: 127.0.0.2, 127.0.0.3\r\n"
	       "X-Forwarded-Proto: http\r\nVia: 1.0 edge, 1.1 berth\r\n\r\n",
	       "head rewritten: hop-by-hop dropped, XFF/Via appended");
	free(s);
	proxy_hreq_free(&r);

	proxy_hreq_init(&r, "::1");
	is_int(feed(&r,
		    "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0"
		    "\r\nTrailer: x\r\n\r\n",
		    &used),
	       0, "chunked POST parses");
	ok(r.complete && r.chunked && !r.idempotent,
	   "chunked POST complete, not idempotent");
	s = out_str(&r);
	ok(strstr(s, "Transfer-Encoding: chunked\r\n") != NULL &&
	       strstr(s, "\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
	   "chunked body re-framed for the backend");
	free(s);
	proxy_hreq_free(&r);

	proxy_hreq_init(&r, "1.2.3.4");
	is_int(feed(&r,
		    "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"
		    "01234",
		    &used),
	       0, "partial body");
	ok(r.head_done && !r.complete, "head done, body pending");
	r.out.len = 0;
	is_int(feed(&r, "56789", &used), 0, "rest of body");
	ok(r.complete && r.out.len == 5 && !memcmp(r.out.p, "56789", 5),
	   "body streamed as it comes");
	proxy_hreq_free(&r);

	proxy_hreq_init(&r, "1.2.3.4");
	is_int(proxy_hreq_feed(&r, two, strlen(two), &used), 0,
	       "pipelined pair");
	ok(r.complete && used == strlen(two) / 2,
	   "stops right after the first request");
	proxy_hreq_next(&r);
	is_int(proxy_hreq_feed(&r, two + used, strlen(two) - used, &used), 0,
	       "second request");
	s = out_str(&r);
	ok(r.complete && strncmp(s, "GET /b ", 7) == 0,
	   "second request parsed after next()");
	free(s);
	proxy_hreq_free(&r);

	proxy_hreq_init(&r, "1.2.3.4");
	is_int(feed(&r,
		    "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
		    "Upgrade: websocket\r\n\r\nRAWBYTES",
		    &used),
	       0, "upgrade request");
	s = out_str(&r);
	ok(r.upgrade && r.complete &&
	       used ==
		   strlen(
		       "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
		       "Upgrade: websocket\r\n\r\n") &&
	       strstr(s, "Connection: Upgrade\r\nUpgrade: websocket\r\n"),
	   "upgrade kept, tunnel bytes left over");
	free(s);
	proxy_hreq_free(&r);

	proxy_hreq_init(&r, "1.2.3.4");
	is_int(feed(&r, "GET / HTTP/1.0\r\n\r\n", &used), 0, "HTTP/1.0");
	ok(!r.keep_alive, "1.0 without keep-alive closes");
	proxy_hreq_free(&r);

	proxy_hreq_init(&r, "1.2.3.4");
	is_int(feed(&r,
		    "GET / HTTP/1.1\r\nHost: h\r\nX-Secret: 1\r\n"
		    "Connection: keep-alive, x-secret ,X-Other\r\nX-Keep: 2\r\n"
		    "X-Other: 3\r\nX-Secrets: 4\r\n\r\n",
		    &used),
	       0, "Connection listing headers");
	s = out_str(&r);
	ok(!strstr(s, "X-Secret:") && !strstr(s, "X-Other") &&
	       strstr(s, "\r\nHost: h\r\n") && strstr(s, "\r\nX-Keep: 2\r\n") &&
	       strstr(s, "\r\nX-Secrets: 4\r\n"),
	   "headers named by Connection dropped, before and after it");
	free(s);
	proxy_hreq_next(&r);
	is_int(
	    feed(&r, "GET / HTTP/1.1\r\nHost: h\r\nX-Secret: 1\r\n\r\n", &used),
	    0, "next request");
	s = out_str(&r);
	ok(strstr(s, "\r\nX-Secret: 1\r\n") != NULL,
	   "Connection tokens do not carry over to the next request");
	free(s);
	proxy_hreq_free(&r);

	ok(bad("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
	   "CL + TE refused");
	ok(bad("POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	       "\r\n5\r\nhello\r\n0\r\n\r\n"),
	   "HTTP/1.0 with Transfer-Encoding refused");
	ok(bad("POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: identity\r\n"
	       "Content-Length: 0\r\n\r\n"),
	   "HTTP/1.0 with any Transfer-Encoding refused");
	ok(bad("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	       "Content-Length: 6\r\n"
	       "\r\nhello!"),
	   "two Content-Length refused");
	ok(bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	       "\r\nzz\r\nhello\r\n0\r\n\r\n"),
	   "bad chunk size refused");
	ok(bad("GET / HTTP/1.1\nHost: h\n\n"), "bare LF refused");
	ok(bad("GET / HTTP/1.1\r\nHost: h\r\nHo st: h\r\n\r\n"),
	   "space in name refused");
	ok(bad("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), "obs-fold refused");
	ok(bad("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"),
	   "CONNECT refused");
	ok(bad("GARBAGE\r\n\r\n"), "garbage refused");
	ok(bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, "
	       "chunked, x\r\n\r\n0\r\n\r\n"),
	   "chunked not last refused");
	{
		size_t n = PROXY_HEAD_MAX + 100;
		char *big = malloc(n + 64);

		strcpy(big, "GET / HTTP/1.1\r\nX: ");
		memset(big + strlen(big), 'a', n);
		strcpy(big + 20 + n, "\r\n\r\n");
		is_int(refusal(big), 431, "oversized head refused with 431");
		free(big);
	}
	hardening();

	proxy_hresp_init(&rs, false);
	is_int(
	    proxy_hresp_feed(&rs,
			     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
			     "Content-Length: 2\r\n\r\nhiEXTRA",
			     70, &used),
	    0, "response with 100 Continue");
	ok(rs.complete && rs.status == 200 && used == 65 && rs.keep_alive,
	   "1xx passed over, end of response found");
	proxy_hresp_init(&rs, true);
	is_int(proxy_hresp_feed(&rs,
				"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
				39, &used),
	       0, "response to HEAD");
	ok(rs.complete && used == 39, "HEAD response has no body");
	proxy_hresp_init(&rs, false);
	is_int(proxy_hresp_feed(&rs, "HTTP/1.1 200 OK\r\n\r\nabc", 22, &used),
	       0, "close-delimited response");
	ok(!rs.complete && proxy_hresp_eof(&rs) == 0 && rs.complete &&
	       !rs.keep_alive,
	   "EOF ends it; not reusable");
	proxy_hresp_init(&rs, false);
	is_int(proxy_hresp_feed(&rs,
				"HTTP/1.1 101 Switching Protocols\r\nUpgrade: "
				"websocket\r\nConnection: Upgrade\r\n\r\nWS",
				79, &used),
	       0, "101 response");
	ok(rs.complete && rs.upgrade && used == 77, "101 starts a tunnel");
	proxy_hresp_init(&rs, false);
	ok(proxy_hresp_feed(&rs, "HTTX/1.1 200\r\n\r\n", 16, &used) == -1,
	   "invalid response refused");
	proxy_hresp_init(&rs, false);
	ok(proxy_hresp_eof(&rs) == -1, "EOF before any byte is a failure");
	return tap_done();
}
