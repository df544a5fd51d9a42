/*
 * session.h - who may act on the dashboard: one-time login tokens (what
 * `berth dashboard` prints), the sessions they become (an HttpOnly
 * cookie), and each session's CSRF token. Bounded tables; no sockets.
 */
#ifndef BERTH_DASHBOARD_SESSION_H
#define BERTH_DASHBOARD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#define DASH_TOKEN_LEN 64 /* hex characters */
#define DASH_MAX_LOGINS 16
#define DASH_MAX_SESSIONS 64
#define DASH_LOGIN_TTL_MS (5 * 60 * 1000)
#define DASH_SESSION_TTL_MS (12 * 3600 * 1000LL)
#define DASH_COOKIE "berth_session"

struct dash_session {
	char id[DASH_TOKEN_LEN + 1]; /* "" when the slot is free */
	char csrf[DASH_TOKEN_LEN + 1];
	int64_t expires_ms;
};

struct dash_sessions {
	struct {
		char token[DASH_TOKEN_LEN + 1];
		int64_t expires_ms;
	} logins[DASH_MAX_LOGINS];
	struct dash_session s[DASH_MAX_SESSIONS];
};

/* A fresh random hex token (getrandom). */
void dash_random_token(char out[DASH_TOKEN_LEN + 1]);
/* A new one-time login token (the oldest is dropped when all are taken). */
void dash_login_new(struct dash_sessions *t, int64_t now_ms,
		    char out[DASH_TOKEN_LEN + 1]);
/* Spends token: a new session, or NULL when it is unknown, used or
 * expired. */
const struct dash_session *dash_login_use(struct dash_sessions *t,
					  const char *token, int64_t now_ms);
/* The session a Cookie header names, or NULL. */
const struct dash_session *dash_session_find(struct dash_sessions *t,
					     const char *cookie_header,
					     int64_t now_ms);
/* The header's token equals the session's (constant time). */
bool dash_csrf_ok(const struct dash_session *s, const char *header);
void dash_session_end(struct dash_sessions *t, const struct dash_session *s);

#endif
