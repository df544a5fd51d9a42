/*
 * test_kube_ws.c - kube/ws.c: the handshake key of RFC 6455's example,
 * server frame headers at each length size, and the client frame parser:
 * RFC examples, fragments with a ping between them, every split of the
 * input, and the protocol errors (unmasked, reserved bits, oversized,
 * bad fragment order).
 */
#include <stdlib.h>
#include <string.h>

#include "../../kube/ws.h"
#include "../lib/tap.h"

struct got {
	char log[512];
};

static int on_msg(void *arg, int opcode, const unsigned char *data, size_t len)
{
	struct got *g = arg;
	size_t n = strlen(g->log);
	snprintf(g->log + n, sizeof(g->log) - n, "%s%d:%.*s", n ? "|" : "",
		 opcode, (int)len, (const char *)data);
	return 0;
}

/* A masked client frame of payload with the given first byte. */
static size_t client_frame(unsigned char *out, int b0, const char *payload,
			   size_t len)
{
	static const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
	size_t h = ws_frame_header(out, 0, len);
	out[0] = (unsigned char)b0;
	out[1] |= 0x80;
	memcpy(out + h, mask, 4);
	for (size_t i = 0; i < len; i++)
		out[h + 4 + i] = (unsigned char)payload[i] ^ mask[i & 3];
	return h + 4 + len;
}

static void test_accept(void)
{
	char out[WS_ACCEPT_LEN];
	ok(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out) == 0, "key ok");
	is_str(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 example");
	ok(ws_accept_key("", out) == -1, "empty key refused");
}

static void test_headers(void)
{
	unsigned char h[WS_FRAME_HEADER_MAX];
	is_int(ws_frame_header(h, WS_OP_BINARY, 125), 2, "125: 2 bytes");
	ok(h[0] == 0x82 && h[1] == 125, "fin + binary, length inline");
	is_int(ws_frame_header(h, WS_OP_BINARY, 126), 4, "126: 4 bytes");
	ok(h[1] == 126 && h[2] == 0 && h[3] == 126, "16-bit length");
	is_int(ws_frame_header(h, WS_OP_TEXT, 65536), 10, "65536: 10 bytes");
	ok(h[1] == 127 && h[7] == 1 && h[8] == 0 && h[9] == 0, "64-bit length");
}

static void test_rfc_hello(void)
{
	static const unsigned char hello[] = {
	    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct ws_parser p;
	struct got g = {""};
	size_t used = 0;
	const char *why;
	ws_parser_init(&p, 1024);
	is_int(ws_parse(&p, hello, sizeof(hello), &used, on_msg, &g, &why), 0,
	       "parses");
	is_int(used, sizeof(hello), "all used");
	is_str(g.log, "1:Hello", "RFC masked Hello");
	ws_parser_free(&p);
}

/* "Hel" + ping + "lo", fed in every pair of pieces. */
static void test_fragments_every_split(void)
{
	unsigned char buf[64];
	size_t n = 0;
	n += client_frame(buf + n, 0x01, "Hel", 3);
	n += client_frame(buf + n, 0x89, "hb", 2);
	n += client_frame(buf + n, 0x80, "lo", 2);
	int all_ok = 1;
	for (size_t cut = 0; cut <= n; cut++) {
		struct ws_parser p;
		struct got g = {""};
		const char *why;
		size_t used = 0, used2 = 0;
		unsigned char tail[64];
		ws_parser_init(&p, 1024);
		int r = ws_parse(&p, buf, cut, &used, on_msg, &g, &why);
		size_t rest = n - used;
		memcpy(tail, buf + used, rest);
		r |= ws_parse(&p, tail, rest, &used2, on_msg, &g, &why);
		if (r != 0 || used2 != rest || strcmp(g.log, "9:hb|1:Hello")) {
			all_ok = 0;
			printf("# cut %zu: r=%d log=%s\n", cut, r, g.log);
		}
		ws_parser_free(&p);
	}
	ok(all_ok, "fragments + ping at every split point");
}

/* ws_feed: the same frames one byte at a time. */
static void test_feed_bytewise(void)
{
	unsigned char buf[64];
	size_t n = 0;
	n += client_frame(buf + n, 0x82, "abc", 3);
	n += client_frame(buf + n, 0x89, "", 0);
	n += client_frame(buf + n, 0x81, "xyz", 3);
	struct ws_parser p;
	struct got g = {""};
	const char *why;
	int r = 0;
	ws_parser_init(&p, 1024);
	for (size_t i = 0; i < n; i++)
		r |= ws_feed(&p, buf + i, 1, on_msg, &g, &why);
	is_int(r, 0, "fed byte by byte");
	is_str(g.log, "2:abc|9:|1:xyz", "three messages, in order");
	is_int(p.pending_len, 0, "nothing left over");
	ws_parser_free(&p);
}

static void test_errors(void)
{
	static const struct {
		const char *name;
		unsigned char frame[16];
		size_t len;
		const char *why;
	} cases[] = {
	    {"unmasked", {0x82, 0x01, 'x'}, 3, "client frames must be masked"},
	    {"reserved bit",
	     {0xc2, 0x81, 0, 0, 0, 0, 'x'},
	     7,
	     "reserved bits set (no extension was agreed)"},
	    {"long ping",
	     {0x89, 0xfe, 0x00, 0x7e, 0, 0, 0, 0},
	     8,
	     "control frames are short and whole"},
	    {"lone continuation",
	     {0x80, 0x81, 0, 0, 0, 0, 'x'},
	     7,
	     "a continuation without a message"},
	    {"too large",
	     {0x82, 0xfe, 0x10, 0x00, 0, 0, 0, 0},
	     8,
	     "message too large"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ws_parser p;
		struct got g = {""};
		const char *why = NULL;
		size_t used = 0;
		ws_parser_init(&p, 1024);
		is_int(ws_parse(&p, cases[i].frame, cases[i].len, &used, on_msg,
				&g, &why),
		       -1, "%s refused", cases[i].name);
		is_str(why, cases[i].why, "%s: reason", cases[i].name);
		ws_parser_free(&p);
	}
}

int main(void)
{
	test_accept();
	test_headers();
	test_rfc_hello();
	test_fragments_every_split();
	test_errors();
	test_feed_bytewise();
	return tap_done();
}
