/*
 * dash_internal.h - what the dashboard's files share: the server, its
 * connections, and the functions each file offers the others. Not for
 * use outside dashboard/.
 */
#ifndef BERTH_DASHBOARD_INTERNAL_H
#define BERTH_DASHBOARD_INTERNAL_H

#include <jansson.h>
#include <llhttp.h>
#include <stdbool.h>
#include <uv.h>

#include "../orchestrator/model.h"
#include "session.h"
#include "sse.h"

#define DASH_MAX_CONNS 256
#define DASH_MAX_HEADER_BYTES (16 * 1024)
#define DASH_MAX_BODY_BYTES (64 * 1024)
#define DASH_READ_TIMEOUT_MS 10000
#define DASH_SSE_QUEUE_CAP (256 * 1024) /* bytes queued per client */
#define DASH_SSE_STALL_MS 30000		/* a client stuck that long goes */
#define DASH_RING 256			/* frames kept for resumes */

struct timeline_store;
struct dash_fwd;

enum dash_conn_state { DC_READING, DC_HANDLING, DC_SSE, DC_CLOSING };

struct dash_conn {
	struct dash_conn *next, *prev;
	struct dashboard *db;
	uv_tcp_t tcp;
	llhttp_t parser;
	enum dash_conn_state state;
	uint64_t since_ms; /* accepted, or (SSE) stalled since; 0: not */
	size_t header_bytes;
	char *url;
	char field[64];
	size_t field_len;
	char *value; /* header value being read */
	size_t value_len;
	char *cookie, *csrf, *last_event_id, *host, *origin;
	char *body;
	size_t body_len;
	bool too_large;
	struct sse_client sse;
	struct dash_fwd *fwd; /* an action in flight */
};

struct dashboard {
	struct daemon *d;
	char *listen;
	uv_tcp_t listener;
	bool listening;
	uv_timer_t tick;
	llhttp_settings_t settings;
	struct dash_conn *conns;
	size_t n_conns;
	struct dash_sessions sessions;
	struct sse_ring ring;
	char *last_state;    /* state document last pushed (no volatile keys) */
	uint64_t last_event; /* orchestrator event seq last pushed */
	uint64_t last_sample_ms;
	json_t *metrics;      /* latest proxy numbers (metrics.c) */
	json_t *metrics_prev; /* counters one sample earlier */
	uint64_t metrics_prev_ms;
	uint64_t rev_prev_ms; /* per-revision counters read last */
	struct dash_rev_sample *rev_samples; /* per service and revision */
	size_t n_rev_samples;
	struct timeline_store *timelines;
	bool stopping;
	int handles; /* open libuv handles that point here */
};

#define TIMELINE_KEEP 10 /* rollouts recorded */

/* dashboard.c: a handle pointing at db has closed; the last one frees
 * it once stopping. */
void dash_handle_closed(struct dashboard *db);

/* http.c: the transport */
int dash_http_listen(struct dashboard *db, struct berr *err);
void dash_http_close_all(struct dashboard *db);
void dash_reply(struct dash_conn *c, int status, const char *ctype,
		const char *extra_headers, const char *body, size_t len);
void dash_reply_json(struct dash_conn *c, int status, json_t *doc); /* steals */
void dash_reply_error(struct dash_conn *c, int status, const char *msg);
void dash_write_raw(struct dash_conn *c, const char *data, size_t len,
		    bool then_close);
size_t dash_conn_queued(const struct dash_conn *c);
void dash_conn_close(struct dash_conn *c);
void dash_sse_begin(struct dash_conn *c);
/* Closes connections that are too slow to send a request or to read. */
void dash_http_sweep(struct dashboard *db, uint64_t now);

/* routes.c */
void dash_route(struct dash_conn *c, const char *method, const char *path,
		const char *query);
int dash_query_get(const char *query, const char *key, char *buf, size_t len);

/* live.c: the state document and the stream */
json_t *dash_state(struct dashboard *db);
json_t *dash_snapshot(struct dashboard *db);
/* New frames for what changed; force: even with no stream open. */
void dash_live_tick(struct dashboard *db, bool force);
void dash_sse_flush(struct dashboard *db, struct dash_conn *c);

/* metrics.c: proxy numbers per service and per revision.
 * db->metrics: {services: {NAME: {rps, error_rate, p99_ms}},
 * revisions: {SERVICE: {HASH: {rps,
 * errors_ps, error_rate, p99_ms}}}, by_hash: {HASH: {rps, errors_ps}}}. */
/* Per revision every second; the rest too when full (someone watches
 * or a rollout is recorded). */
void dash_metrics_sample(struct dashboard *db, uint64_t now, bool full);
void dash_metrics_free(struct dashboard *db);

/* actions.c: forwards an authorised action to the control API */
void dash_action(struct dash_conn *c, const char *method, const char *path);
void dash_fwd_detach(struct dash_fwd *f);

/* timeline.c */
/* The store, with the records STATE_DIR/timelines keeps (state_dir
 * NULL: memory only). */
struct timeline_store *timeline_store_new(uv_loop_t *loop,
					  const char *state_dir);
/* Writes what is not on disk yet (the daemon stops). */
void timeline_store_flush(struct timeline_store *t);
void timeline_store_free(struct timeline_store *t);
void timeline_sample(struct dashboard *db, uint64_t now);
/* A rollout is being recorded: proxy numbers are needed. */
bool timeline_wants_metrics(struct timeline_store *t);
json_t *timeline_list(struct timeline_store *t);
/* The record of deployment's rollout to revision (0: the latest), NULL
 * when none is kept. */
struct tl_rec;
const struct tl_rec *timeline_find(struct timeline_store *t,
				   const char *deployment, int revision);
/* The SVG of deployment's rollout to revision (0: the latest), NULL when
 * none is recorded. */
char *timeline_svg(struct timeline_store *t, const char *deployment,
		   int revision);

#endif
