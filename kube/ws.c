/*
 * ws.c - WebSocket (RFC 6455) for the Kubernetes API's streams: the
 * handshake's accept key, the server's frames, and an incremental parser
 * of the client's (masked) frames with fragments joined. Pure: bytes in,
 * bytes out; knows nothing of sockets, TLS or what the messages carry.
 */
#include "ws.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int ws_accept_key(const char *client_key, char out[WS_ACCEPT_LEN])
{
	unsigned char digest[SHA_DIGEST_LENGTH];
	size_t klen = strlen(client_key);
	char *joined;

	if (klen == 0 || klen > 64)
		return -1;
	joined = xasprintf("%s%s", client_key, WS_GUID);
	SHA1((const unsigned char *)joined, strlen(joined), digest);
	free(joined);
	EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
	return 0;
}

size_t ws_frame_header(unsigned char *out, int opcode, size_t len)
{
	out[0] = (unsigned char)(0x80 | (opcode & 0x0f)); /* FIN */
	if (len < 126) {
		out[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

void ws_parser_init(struct ws_parser *p, size_t max_message)
{
	memset(p, 0, sizeof(*p));
	p->max_message = max_message;
}

void ws_parser_free(struct ws_parser *p)
{
	free(p->msg);
	free(p->ctl);
	free(p->pending);
	memset(p, 0, sizeof(*p));
}

/* Hands a complete message (or control frame) to cb. */
static int deliver(struct ws_parser *p, int opcode, const unsigned char *data,
		   size_t len, ws_message_cb cb, void *arg)
{
	return cb(arg, opcode, data, len);
}

int ws_parse(struct ws_parser *p, const unsigned char *buf, size_t len,
	     size_t *used, ws_message_cb cb, void *arg, const char **why)
{
	size_t off = 0;

	*why = NULL;
	while (off < len) {
		size_t avail = len - off;
		const unsigned char *h = buf + off;
		if (avail < 2)
			break;
		int fin = h[0] & 0x80, opcode = h[0] & 0x0f;
		int masked = h[1] & 0x80;
		uint64_t plen = h[1] & 0x7f;
		size_t hlen = 2;
		if (h[0] & 0x70) {
			*why = "reserved bits set (no extension was agreed)";
			return -1;
		}
		if (!masked) {
			*why = "client frames must be masked";
			return -1;
		}
		if (plen == 126) {
			if (avail < 4)
				break;
			plen = ((uint64_t)h[2] << 8) | h[3];
			hlen = 4;
		} else if (plen == 127) {
			if (avail < 10)
				break;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = (plen << 8) | h[2 + i];
			hlen = 10;
		}
		hlen += 4; /* the mask */
		if (opcode >= 8 && (plen > 125 || !fin)) {
			*why = "control frames are short and whole";
			return -1;
		}
		if (opcode < 8 && plen + p->msg_len > p->max_message) {
			*why = "message too large";
			return -1;
		}
		if (avail < hlen || avail - hlen < plen)
			break;
		const unsigned char *mask = h + hlen - 4;
		unsigned char *data;
		if (opcode >= 8) {
			p->ctl = xrealloc(p->ctl, plen + 1);
			data = p->ctl;
		} else {
			if (opcode != 0 && p->in_message) {
				*why = "a new message inside a fragmented one";
				return -1;
			}
			if (opcode == 0 && !p->in_message) {
				*why = "a continuation without a message";
				return -1;
			}
			if (opcode != 0)
				p->msg_opcode = opcode;
			p->msg = xrealloc(p->msg, p->msg_len + plen + 1);
			data = p->msg + p->msg_len;
		}
		for (uint64_t i = 0; i < plen; i++)
			data[i] = h[hlen + i] ^ mask[i & 3];
		off += hlen + plen;
		if (opcode >= 8) {
			if (deliver(p, opcode, p->ctl, plen, cb, arg) == -1)
				goto stopped;
			continue;
		}
		p->msg_len += plen;
		p->in_message = !fin;
		if (fin) {
			size_t n = p->msg_len;
			p->msg_len = 0;
			if (deliver(p, p->msg_opcode, p->msg, n, cb, arg) == -1)
				goto stopped;
		}
	}
	*used = off;
	return 0;
stopped:
	*used = off;
	return 1;
}

int ws_feed(struct ws_parser *p, const unsigned char *buf, size_t len,
	    ws_message_cb cb, void *arg, const char **why)
{
	size_t used = 0;
	int r;

	if (p->pending_len == 0) {
		r = ws_parse(p, buf, len, &used, cb, arg, why);
		if (r != 0)
			return r;
		buf += used;
		len -= used;
		if (len == 0)
			return 0;
	} else {
		p->pending = xrealloc(p->pending, p->pending_len + len);
		memcpy(p->pending + p->pending_len, buf, len);
		p->pending_len += len;
		unsigned char *all = p->pending;
		size_t all_len = p->pending_len;
		p->pending = NULL;
		p->pending_len = 0;
		r = ws_parse(p, all, all_len, &used, cb, arg, why);
		if (r != 0) {
			free(all);
			return r;
		}
		buf = all + used;
		len = all_len - used;
		if (len > 0) {
			p->pending = xmalloc(len);
			memcpy(p->pending, buf, len);
			p->pending_len = len;
		}
		free(all);
		return 0;
	}
	if (len > p->max_message + WS_FRAME_HEADER_MAX + 4) {
		*why = "message too large";
		return -1;
	}
	p->pending = xmalloc(len);
	memcpy(p->pending, buf, len);
	p->pending_len = len;
	return 0;
}
