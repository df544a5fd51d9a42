/*
 * dashboard.c - brings the dashboard up and down, runs its tick (new
 * frames for the streams, proxy samples, timeline samples, slow-client
 * sweep) and answers its two control-API routes: POST
 * /v1/dashboard/login (a one-time login link, for `berth dashboard`) and
 * GET /v1/dashboard/timeline (the SVG for `rollout history --timeline`).
 * One dashboard per process; it only reads the model.
 */
#include "dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "../orchestrator/api.h"
#include "../orchestrator/ctl_server.h"
#include "dash_internal.h"

#define TICK_MS 100

static struct dashboard *the_dashboard; /* the daemon has one */

static void on_tick(uv_timer_t *t)
{
	struct dashboard *db = t->data;
	uint64_t now = uv_now(t->loop);
	bool streams = false;

	for (struct dash_conn *c = db->conns; c; c = c->next)
		streams = streams || c->state == DC_SSE;
	dash_metrics_sample(db, now,
			    streams || timeline_wants_metrics(db->timelines));
	timeline_sample(db, now);
	dash_live_tick(db, false);
	dash_http_sweep(db, now);
}

/* The address to print: a wildcard listen is reached on loopback. */
static char *page_url(const char *listen, const char *token)
{
	if (!strncmp(listen, "0.0.0.0:", 8))
		return xasprintf("http://127.0.0.1:%s/?token=%s", listen + 8,
				 token);
	if (!strncmp(listen, "[::]:", 5))
		return xasprintf("http://[::1]:%s/?token=%s", listen + 5,
				 token);
	return xasprintf("http://%s/?token=%s", listen, token);
}

static void control_route(struct daemon *d, struct ctl_conn *c,
			  const struct ctl_request *req)
{
	struct dashboard *db = the_dashboard;

	if (db == NULL || !db->listening) {
		ctl_reply_error(c, 404,
				"the dashboard is off (dashboard = off)");
		return;
	}
	if (!strcmp(req->method, "POST") &&
	    !strcmp(req->path, "/v1/dashboard/login")) {
		char token[DASH_TOKEN_LEN + 1];
		char *url;

		/* Only root (or the daemon's user) may act: the control
		 * server already refuses POST from anyone else. */
		if (req->peer_uid != 0 && req->peer_uid != geteuid()) {
			ctl_reply_error(c, 403, "permission denied");
			return;
		}
		dash_login_new(&db->sessions, now_ms(), token);
		url = page_url(db->listen, token);
		ctl_reply_json(c, 200,
			       json_pack("{s:s, s:i}", "url", url,
					 "expires_seconds",
					 DASH_LOGIN_TTL_MS / 1000));
		free(url);
		return;
	}
	if (!strcmp(req->method, "GET") &&
	    !strcmp(req->path, "/v1/dashboard/timeline")) {
		char dep[64], rev[16] = "0";
		char *svg;

		if (ctl_query_get(req, "deployment", dep, sizeof(dep)) == -1) {
			ctl_reply_error(c, 400, "deployment=NAME is required");
			return;
		}
		ctl_query_get(req, "revision", rev, sizeof(rev));
		svg = timeline_svg(db->timelines, dep, atoi(rev));
		if (svg == NULL) {
			ctl_reply_error(c, 404,
					"no recorded rollout of deployment "
					"\"%s\" to revision %s (the last %d "
					"rollouts are kept)",
					dep, rev, TIMELINE_KEEP);
			return;
		}
		ctl_reply_text(c, 200, "image/svg+xml", svg, strlen(svg));
		free(svg);
		return;
	}
	ctl_reply_error(c, 404, "no such API path \"%s %s\"", req->method,
			req->path);
}

int dashboard_start(struct daemon *d, struct berr *err)
{
	const char *listen = d->cfg ? d->cfg->dashboard : NULL;
	struct dashboard *db;
	char epoch[DASH_TOKEN_LEN + 1];

	api_register_extension("dashboard", control_route);
	if (listen == NULL || the_dashboard)
		return 0;
	db = xcalloc(1, sizeof(*db));
	db->d = d;
	db->listen = xstrdup(listen);
	dash_random_token(epoch);
	epoch[16] = '\0';
	sse_ring_init(&db->ring, DASH_RING, epoch);
	db->last_event = d->event_seq;
	db->timelines = timeline_store_new(d->loop, d->state_dir);
	if (dash_http_listen(db, err) == -1) {
		log_warnx("%s; the dashboard is not served (set dashboard = "
			  "ADDR:PORT or off)",
			  err->msg);
		berr_clear(err);
		dash_http_close_all(db);
	} else {
		log_info("dashboard on http://%s (`berth dashboard` prints a "
			 "login link)",
			 listen);
	}
	uv_timer_init(d->loop, &db->tick);
	db->tick.data = db;
	db->handles++;
	uv_timer_start(&db->tick, on_tick, TICK_MS, TICK_MS);
	uv_unref((uv_handle_t *)&db->tick);
	the_dashboard = db;
	return 0;
}

void dash_handle_closed(struct dashboard *db)
{
	if (--db->handles > 0 || !db->stopping)
		return;
	sse_ring_free(&db->ring);
	free(db->last_state);
	json_decref(db->metrics);
	json_decref(db->metrics_prev);
	dash_metrics_free(db);
	timeline_store_free(db->timelines);
	free(db->listen);
	free(db);
}

static void on_tick_closed(uv_handle_t *h)
{
	dash_handle_closed(h->data);
}

int dashboard_listen_fd(struct daemon *d)
{
	struct dashboard *db = the_dashboard;
	uv_os_fd_t fd = -1;

	if (db == NULL || db->d != d || !db->listening ||
	    uv_fileno((const uv_handle_t *)&db->listener, &fd) != 0)
		return -1;
	return fd;
}

void dashboard_stop(struct daemon *d)
{
	struct dashboard *db = the_dashboard;

	if (db == NULL || db->d != d)
		return;
	the_dashboard = NULL;
	db->stopping = true;
	timeline_store_flush(db->timelines);
	dash_http_close_all(db);
	uv_close((uv_handle_t *)&db->tick, on_tick_closed);
}
