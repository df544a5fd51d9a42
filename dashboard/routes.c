/*
 * routes.c - the dashboard's paths: the page and its files, the login
 * link, the event stream, the state and timelines as JSON/SVG, and
 * actions (a session cookie and its CSRF token required). Everything a
 * client sends is checked here before any other file sees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "../orchestrator/clock.h"
#include "../orchestrator/ctl_server.h"
#include "assets.h"
#include "dash_internal.h"

int dash_query_get(const char *query, const char *key, char *buf, size_t len)
{
	struct ctl_request req = {.query = query};

	return ctl_query_get(&req, key, buf, len);
}

/* A browser that reached us by a name other than a loopback one or the
 * configured address is refused: a page elsewhere cannot read the
 * dashboard through DNS rebinding. */
static bool host_ok(const struct dash_conn *c)
{
	const char *h = c->host;
	const char *listen = c->db->listen;
	size_t n;

	if (h == NULL)
		return false;
	n = strcspn(h, ":");
	if (h[0] == '[')
		n = strcspn(h, "]") + 1;
	if ((n == 9 && !strncmp(h, "localhost", 9)) || !strncmp(h, "127.", 4) ||
	    !strncmp(h, "[::1]", 5))
		return true;
	return strlen(listen) > n && !strncmp(h, listen, n) && listen[n] == ':';
}

/* A mutating call from the page: same origin, a session, its token. */
static const struct dash_session *authorise(struct dash_conn *c,
					    const char **why)
{
	struct dashboard *db = c->db;
	const struct dash_session *s =
	    dash_session_find(&db->sessions, c->cookie, now_ms());

	if (c->origin && c->host) {
		const char *o = strstr(c->origin, "://");

		if (o == NULL || strcmp(o + 3, c->host)) {
			*why = "cross-origin request refused";
			return NULL;
		}
	}
	if (s == NULL) {
		*why = "not signed in: open the link `berth dashboard` prints";
		return NULL;
	}
	if (!dash_csrf_ok(s, c->csrf)) {
		*why = "missing or wrong X-CSRF-Token";
		return NULL;
	}
	return s;
}

static void serve_asset(struct dash_conn *c, const char *name)
{
	for (size_t i = 0; i < dash_n_assets; i++)
		if (!strcmp(dash_assets[i].name, name)) {
			dash_reply(c, 200, dash_assets[i].type, NULL,
				   (const char *)dash_assets[i].data,
				   dash_assets[i].len);
			return;
		}
	dash_reply_error(c, 404, "no such file");
}

static void login(struct dash_conn *c, const char *token)
{
	const struct dash_session *s =
	    dash_login_use(&c->db->sessions, token, now_ms());
	char *hdr;

	if (s == NULL) {
		static const char page[] =
		    "<!doctype html><title>berth</title><p>This login link "
		    "was used already or has expired. Run <code>berth "
		    "dashboard</code> again for a new one, or <a "
		    "href=\"/\">view read-only</a>.";

		dash_reply(c, 403, "text/html; charset=utf-8", NULL, page,
			   sizeof(page) - 1);
		return;
	}
	hdr = xasprintf("Set-Cookie: %s=%s; Path=/; HttpOnly; "
			"SameSite=Strict; Max-Age=%d\r\nLocation: /\r\n",
			DASH_COOKIE, s->id, (int)(DASH_SESSION_TTL_MS / 1000));
	dash_reply(c, 303, "text/plain", hdr, "", 0);
	free(hdr);
}

static void events(struct dash_conn *c)
{
	struct dashboard *db = c->db;
	uint64_t from;

	/* Changes made while nobody watched become frames first. */
	dash_live_tick(db, true);
	dash_sse_begin(c);
	if (sse_resume_point(&db->ring, c->last_event_id, &from) == 0) {
		c->sse.sent = from;
	} else {
		c->sse.need_snapshot = true;
	}
	dash_sse_flush(db, c);
}

static void timeline(struct dash_conn *c, const char *query)
{
	char dep[64], rev[16] = "0";
	char *svg;

	if (dash_query_get(query, "deployment", dep, sizeof(dep)) == -1) {
		dash_reply_error(c, 400, "deployment=NAME is required");
		return;
	}
	dash_query_get(query, "revision", rev, sizeof(rev));
	svg = timeline_svg(c->db->timelines, dep, atoi(rev));
	if (svg == NULL) {
		dash_reply_error(c, 404,
				 "no recorded rollout of that revision");
		return;
	}
	dash_reply(c, 200, "image/svg+xml", NULL, svg, strlen(svg));
	free(svg);
}

void dash_route(struct dash_conn *c, const char *method, const char *path,
		const char *query)
{
	struct dashboard *db = c->db;
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	const struct dash_session *s;
	const char *why = "";
	char token[DASH_TOKEN_LEN + 2];

	if (!host_ok(c)) {
		dash_reply_error(c, 421, "unexpected Host header");
		return;
	}
	if (get && !strcmp(path, "/")) {
		if (dash_query_get(query, "token", token, sizeof(token)) == 0)
			login(c, token);
		else
			serve_asset(c, "index.html");
		return;
	}
	if (get && !strcmp(path, "/events")) {
		events(c);
		return;
	}
	if (get && !strcmp(path, "/api/state")) {
		dash_reply_json(c, 200, dash_snapshot(db));
		return;
	}
	if (get && !strcmp(path, "/api/session")) {
		s = dash_session_find(&db->sessions, c->cookie, now_ms());
		dash_reply_json(c, 200,
				s ? json_pack("{s:b, s:s}", "authenticated", 1,
					      "csrf", s->csrf)
				  : json_pack("{s:b}", "authenticated", 0));
		return;
	}
	if (get && !strcmp(path, "/api/timelines")) {
		dash_reply_json(c, 200, timeline_list(db->timelines));
		return;
	}
	if (get && !strcmp(path, "/api/timeline.svg")) {
		timeline(c, query);
		return;
	}
	if (get && strncmp(path, "/api/", 5) && strchr(path + 1, '/') == NULL &&
	    strcmp(path, "/index.html")) {
		serve_asset(c, path + 1);
		return;
	}
	if (!strcmp(method, "POST") && !strcmp(path, "/api/logout")) {
		s = authorise(c, &why);
		if (s)
			dash_session_end(&db->sessions, s);
		dash_reply(
		    c, s ? 200 : 403, "application/json",
		    "Set-Cookie: " DASH_COOKIE
		    "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n",
		    "{}", 2);
		return;
	}
	if ((!strcmp(method, "POST") || !strcmp(method, "DELETE")) &&
	    !strncmp(path, "/api/v1/", 8)) {
		if (authorise(c, &why) == NULL) {
			dash_reply_error(c, 403, why);
			return;
		}
		dash_action(c, method, path + 4);
		return;
	}
	dash_reply_error(c, get ? 404 : 405, "no such path");
}
