/* test_dashboard_session.c - one-time login tokens, session cookies and
 * CSRF tokens of the dashboard. */
#include <stdio.h>
#include <stdlib.h>

#include "../../dashboard/session.h"
#include "../lib/tap.h"

int main(void)
{
	static struct dash_sessions t;
	char tok[DASH_TOKEN_LEN + 1], tok2[DASH_TOKEN_LEN + 1];
	char cookie[256], bad[DASH_TOKEN_LEN + 1];
	const struct dash_session *s, *found;
	int64_t now = 1000000;

	dash_login_new(&t, now, tok);
	is_int(strlen(tok), DASH_TOKEN_LEN, "a token is %d hex digits",
	       DASH_TOKEN_LEN);
	dash_login_new(&t, now, tok2);
	ok(strcmp(tok, tok2) != 0, "two tokens differ");
	ok(dash_login_use(&t, "nope", now) == NULL, "an unknown token fails");
	s = dash_login_use(&t, tok, now + 1000);
	ok(s != NULL, "a fresh token signs in");
	ok(dash_login_use(&t, tok, now + 1000) == NULL,
	   "the same token does not sign in twice");
	ok(dash_login_use(&t, tok2, now + DASH_LOGIN_TTL_MS) == NULL,
	   "an expired token fails");

	snprintf(cookie, sizeof(cookie), "theme=dark; %s=%s; x=1", DASH_COOKIE,
		 s->id);
	found = dash_session_find(&t, cookie, now + 2000);
	ok(found == s, "the cookie names the session among others");
	ok(dash_session_find(&t, NULL, now) == NULL, "no cookie: no session");
	snprintf(cookie, sizeof(cookie), "%s=%.*s", DASH_COOKIE,
		 DASH_TOKEN_LEN - 1, s->id);
	ok(dash_session_find(&t, cookie, now) == NULL,
	   "a truncated session id is refused");
	snprintf(cookie, sizeof(cookie), "%s=%s", DASH_COOKIE, s->id);
	ok(dash_session_find(&t, cookie, now + DASH_SESSION_TTL_MS + 1000) ==
	       NULL,
	   "an expired session is refused");

	ok(dash_csrf_ok(s, s->csrf), "the session's CSRF token passes");
	ok(!dash_csrf_ok(s, NULL), "no CSRF header fails");
	ok(!dash_csrf_ok(s, ""), "an empty CSRF header fails");
	ok(!dash_csrf_ok(s, s->id), "the cookie value is not the CSRF token");
	snprintf(bad, sizeof(bad), "%s", s->csrf);
	bad[DASH_TOKEN_LEN - 1] = bad[DASH_TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
	ok(!dash_csrf_ok(s, bad), "one wrong digit fails");
	ok(!dash_csrf_ok(NULL, s->csrf), "no session fails");

	dash_session_end(&t, found);
	snprintf(cookie, sizeof(cookie), "%s=%s", DASH_COOKIE, s->id);
	ok(dash_session_find(&t, cookie, now) == NULL,
	   "a signed-out session is gone");

	int signed_in = 0;

	for (int i = 0; i < DASH_MAX_SESSIONS + 5; i++) {
		dash_login_new(&t, now + i, tok);
		signed_in += dash_login_use(&t, tok, now + i) != NULL;
	}
	is_int(signed_in, DASH_MAX_SESSIONS + 5,
	       "a full table evicts the oldest session");
	return tap_done();
}
