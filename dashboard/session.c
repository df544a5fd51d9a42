/*
 * session.c - login tokens, sessions and CSRF checks (session.h). Owns
 * the two bounded tables; the clock is the caller's.
 */
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void dash_random_token(char out[DASH_TOKEN_LEN + 1])
{
	unsigned char raw[DASH_TOKEN_LEN / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n > 0)
			got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* Same length and bytes, in time independent of where they differ. */
static bool token_eq(const char *a, const char *b)
{
	unsigned char diff = 0;

	if (a == NULL || b == NULL || strlen(a) != DASH_TOKEN_LEN ||
	    strlen(b) != DASH_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < DASH_TOKEN_LEN; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

void dash_login_new(struct dash_sessions *t, int64_t now_ms,
		    char out[DASH_TOKEN_LEN + 1])
{
	size_t pick = 0;

	for (size_t i = 0; i < DASH_MAX_LOGINS; i++) {
		if (t->logins[i].token[0] == '\0' ||
		    t->logins[i].expires_ms <= now_ms) {
			pick = i;
			break;
		}
		if (t->logins[i].expires_ms < t->logins[pick].expires_ms)
			pick = i;
	}
	dash_random_token(t->logins[pick].token);
	t->logins[pick].expires_ms = now_ms + DASH_LOGIN_TTL_MS;
	memcpy(out, t->logins[pick].token, DASH_TOKEN_LEN + 1);
}

const struct dash_session *dash_login_use(struct dash_sessions *t,
					  const char *token, int64_t now_ms)
{
	struct dash_session *s = NULL;

	for (size_t i = 0; i < DASH_MAX_LOGINS; i++) {
		if (t->logins[i].token[0] == '\0' ||
		    !token_eq(t->logins[i].token, token))
			continue;
		t->logins[i].token[0] = '\0'; /* one use, valid or not */
		if (t->logins[i].expires_ms <= now_ms)
			return NULL;
		for (size_t k = 0; k < DASH_MAX_SESSIONS; k++) {
			struct dash_session *c = &t->s[k];

			if (c->id[0] == '\0' || c->expires_ms <= now_ms) {
				s = c;
				break;
			}
			if (s == NULL || c->expires_ms < s->expires_ms)
				s = c;
		}
		dash_random_token(s->id);
		dash_random_token(s->csrf);
		s->expires_ms = now_ms + DASH_SESSION_TTL_MS;
		return s;
	}
	return NULL;
}

const struct dash_session *dash_session_find(struct dash_sessions *t,
					     const char *cookie_header,
					     int64_t now_ms)
{
	const char *p = cookie_header;
	const size_t nlen = strlen(DASH_COOKIE);

	while (p && *p) {
		char value[DASH_TOKEN_LEN + 2];
		size_t len;

		p += strspn(p, " \t;");
		len = strcspn(p, ";");
		if (len > nlen + 1 && !strncmp(p, DASH_COOKIE, nlen) &&
		    p[nlen] == '=' && len - nlen - 1 <= DASH_TOKEN_LEN) {
			memcpy(value, p + nlen + 1, len - nlen - 1);
			value[len - nlen - 1] = '\0';
			for (size_t i = 0; i < DASH_MAX_SESSIONS; i++)
				if (t->s[i].id[0] &&
				    t->s[i].expires_ms > now_ms &&
				    token_eq(t->s[i].id, value))
					return &t->s[i];
		}
		p += len;
	}
	return NULL;
}

bool dash_csrf_ok(const struct dash_session *s, const char *header)
{
	return s != NULL && token_eq(s->csrf, header);
}

void dash_session_end(struct dash_sessions *t, const struct dash_session *s)
{
	for (size_t i = 0; i < DASH_MAX_SESSIONS; i++)
		if (&t->s[i] == s)
			memset(&t->s[i], 0, sizeof(t->s[i]));
}
