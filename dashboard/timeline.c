/*
 * timeline.c - every rollout recorded and drawn: when a deployment's
 * template changes, a record starts and takes, every 500 ms, the pods of
 * each revision (ready and present) and each revision's requests/s and
 * errors/s through the proxy (5xx answers and connection errors, from
 * its per-revision counters), plus the events of the deployment and its
 * pods, until the rollout is complete (or 10 minutes). A record starts
 * from the last sample taken before the change (every deployment is
 * sampled between its rollouts too), so the revision it replaces is in
 * it however fast the rollout is over. The last
 * TIMELINE_KEEP records are kept, and written to STATE_DIR/timelines
 * (timeline_store.c, off the loop) when they end, every 10 s while they
 * run and when the daemon stops, so they outlive a restart.
 * timeline_svg() draws one as a self-contained SVG. Reads the model;
 * changes nothing.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/xalloc.h"
#include "../orchestrator/view.h"
#include "dash_internal.h"
#include "timeline.h"

#define SAMPLE_EVERY_MS 500
#define MAX_SAMPLES TL_MAX_SAMPLES
#define MAX_EVENTS TL_MAX_EVENTS
#define MAX_REVS TL_MAX_REVS
#define TAIL_MS 3000	     /* recorded after completion */
#define SAVE_EVERY_MS 10000  /* a running record is written that often */
#define RESUME_MAX_MS 600000 /* a record cut by a restart goes on if newer */
#define SEED_MAX_AGE_MS 5000 /* a sample older is no "just before" */

/* The last sample of a deployment: a point and the revisions its slots
 * stand for, taken at `at` (loop ms). */
struct seed {
	char dep[64];
	uint64_t at;
	struct tl_point pt;
	int revs[MAX_REVS];
	char rev_hash[MAX_REVS][16];
	int n_revs;
};

struct timeline_store {
	struct tl_rec *recs[TIMELINE_KEEP]; /* oldest first */
	size_t n;
	struct seed *seeds; /* of the deployments no record samples now */
	size_t n_seeds, cap_seeds;
	json_t *seen; /* deployment -> [hash, revision] */
	uint64_t last_ms;
	uint64_t saved_ms;
	bool prune; /* a record was dropped: its file goes */
	struct tl_disk *disk;
};

struct timeline_store *timeline_store_new(uv_loop_t *loop,
					  const char *state_dir)
{
	struct timeline_store *t = xcalloc(1, sizeof(*t));
	char *dir = state_dir ? xasprintf("%s/timelines", state_dir) : NULL;
	uint64_t now = uv_now(loop);
	int64_t wall = now_ms();

	t->seen = json_object();
	t->disk = tl_disk_open(loop, dir, t->recs, TIMELINE_KEEP, &t->n);
	free(dir);
	t->prune = true;
	for (size_t i = 0; i < t->n; i++) {
		struct tl_rec *r = t->recs[i];
		int64_t age = wall - r->start_wall_ms;

		/* Back on the loop's clock. A record the previous daemon did
		 * not finish goes on when it is recent (the rollout went on
		 * without it: a gap in its samples), else it ends here. */
		r->start =
		    age > 0 && (uint64_t)age < now ? now - (uint64_t)age : now;
		r->done =
		    r->interrupted && age >= 0 && age < RESUME_MAX_MS ? 0 : now;
		r->last_seq = 0;
		/* the newest record of a deployment is where it stands */
		json_object_set_new(t->seen, r->dep,
				    json_pack("[s, i]", r->hash, r->revision));
	}
	return t;
}

void timeline_store_free(struct timeline_store *t)
{
	tl_disk_close(t->disk);
	for (size_t i = 0; i < t->n; i++)
		tl_rec_free(t->recs[i]);
	json_decref(t->seen);
	free(t->seeds);
	free(t);
}

static void save(struct timeline_store *t, uint64_t now)
{
	bool dirty = t->prune;

	for (size_t i = 0; i < t->n; i++)
		dirty = dirty || t->recs[i]->dirty;
	if (!dirty)
		return;
	tl_disk_save(t->disk, t->recs, t->n);
	t->prune = false;
	t->saved_ms = now;
}

void timeline_store_flush(struct timeline_store *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->recs[i]->done) {
			t->recs[i]->interrupted = true;
			t->recs[i]->dirty = true;
		}
	save(t, t->last_ms);
}

static struct tl_rec *ongoing(struct timeline_store *t, const char *dep)
{
	for (size_t i = t->n; i-- > 0;)
		if (!strcmp(t->recs[i]->dep, dep))
			return t->recs[i]->done ? NULL : t->recs[i];
	return NULL;
}

bool timeline_wants_metrics(struct timeline_store *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->recs[i]->done)
			return true;
	return false;
}

static struct tl_rec *rec_start(struct timeline_store *t,
				struct deployment *dep, int from, uint64_t now)
{
	struct tl_rec *r = tl_rec_new();

	snprintf(r->dep, sizeof(r->dep), "%s", dep->name);
	snprintf(r->hash, sizeof(r->hash), "%s", dep->hash);
	r->revision = dep->revision;
	r->from = from;
	r->start_wall_ms = now_ms();
	r->start = now;
	r->last_seq = dep->daemon->event_seq > 50 ? dep->daemon->event_seq - 50
						  : 0; /* the decision */
	r->dirty = true;
	if (t->n == TIMELINE_KEEP) {
		tl_rec_free(t->recs[0]);
		memmove(t->recs, t->recs + 1,
			(TIMELINE_KEEP - 1) * sizeof(t->recs[0]));
		t->n--;
		t->prune = true;
	}
	t->recs[t->n++] = r;
	return r;
}

/* The slot of p's revision among revs (a new one when there is room),
 * or -1. */
static int rev_slot(int *revs, char (*rev_hash)[16], int *n_revs,
		    const struct pod *p)
{
	for (int i = 0; i < *n_revs; i++)
		if (revs[i] == p->revision)
			return i;
	if (*n_revs == MAX_REVS)
		return -1;
	revs[*n_revs] = p->revision;
	snprintf(rev_hash[*n_revs], sizeof(rev_hash[0]), "%s", p->hash);
	return (*n_revs)++;
}

/* dep's pods per revision (ready and present) and the proxy's numbers
 * per revision, every service summed, into pt (t_ms left to the
 * caller); revisions take slots of revs as they first show. */
static void take_point(struct dashboard *db, struct deployment *dep,
		       struct tl_point *pt, int *revs, char (*rev_hash)[16],
		       int *n_revs)
{
	json_t *by_hash = json_object_get(db->metrics, "by_hash");

	memset(pt, 0, sizeof(*pt));
	for (int i = 0; i < MAX_REVS; i++)
		pt->r[i].rev = -1;
	for (struct pod *p = db->d->pods; p; p = p->next) {
		int k;

		if (p->deployment != dep || p->phase == POD_GONE)
			continue;
		k = rev_slot(revs, rev_hash, n_revs, p);
		if (k < 0)
			continue;
		pt->r[k].rev = p->revision;
		pt->r[k].present++;
		if (pod_is_ready(p) && !pod_terminating(p))
			pt->r[k].ready++;
	}
	for (int k = 0; k < *n_revs; k++) {
		json_t *m = json_object_get(by_hash, rev_hash[k]);

		pt->r[k].rps =
		    (float)json_number_value(json_object_get(m, "rps"));
		pt->r[k].eps =
		    (float)json_number_value(json_object_get(m, "errors_ps"));
	}
}

/* The seed of dep, sampled now. */
static void seed_take(struct dashboard *db, struct deployment *dep,
		      uint64_t now)
{
	struct timeline_store *t = db->timelines;
	struct seed *s = NULL;

	for (size_t i = 0; i < t->n_seeds && s == NULL; i++)
		if (!strcmp(t->seeds[i].dep, dep->name))
			s = &t->seeds[i];
	if (s == NULL) {
		if (t->n_seeds == t->cap_seeds) {
			t->cap_seeds = t->cap_seeds ? t->cap_seeds * 2 : 8;
			t->seeds = xrealloc(t->seeds,
					    t->cap_seeds * sizeof(*t->seeds));
		}
		s = &t->seeds[t->n_seeds++];
		snprintf(s->dep, sizeof(s->dep), "%s", dep->name);
	}
	s->at = now;
	s->n_revs = 0;
	take_point(db, dep, &s->pt, s->revs, s->rev_hash, &s->n_revs);
}

/* The seeds not taken at now go: their deployment is gone or recorded. */
static void seeds_prune(struct timeline_store *t, uint64_t now)
{
	for (size_t i = 0; i < t->n_seeds;) {
		if (t->seeds[i].at == now) {
			i++;
			continue;
		}
		t->seeds[i] = t->seeds[--t->n_seeds];
	}
}

/* The last sample of dep before now: its seed, or the last point of the
 * record r it had (NULL: none) copied into buf; NULL when there is none
 * recent enough. */
static const struct seed *last_sample(struct timeline_store *t, const char *dep,
				      const struct tl_rec *r, uint64_t now,
				      struct seed *buf)
{
	const struct seed *s = NULL;

	if (r && r->n_pts) {
		buf->at = r->start + r->pts[r->n_pts - 1].t_ms;
		buf->pt = r->pts[r->n_pts - 1];
		memcpy(buf->revs, r->revs, sizeof(buf->revs));
		memcpy(buf->rev_hash, r->rev_hash, sizeof(buf->rev_hash));
		buf->n_revs = r->n_revs;
		s = buf;
	}
	for (size_t i = 0; r == NULL && i < t->n_seeds; i++)
		if (!strcmp(t->seeds[i].dep, dep))
			s = &t->seeds[i];
	return s && s->at <= now && now - s->at <= SEED_MAX_AGE_MS ? s : NULL;
}

/* r, just started, begins with s: s's revisions that had pods are its
 * first, s's point its first, at r's start moved back to s's time. */
static void rec_seed(struct tl_rec *r, const struct seed *s)
{
	uint64_t ago = r->start - s->at;
	struct tl_point *pt = &r->pts[0];

	r->start = s->at;
	r->start_wall_ms -= (int64_t)ago;
	memset(pt, 0, sizeof(*pt));
	for (int i = 0; i < MAX_REVS; i++)
		pt->r[i].rev = -1;
	for (int k = 0; k < s->n_revs; k++) {
		if (s->pt.r[k].rev < 0)
			continue;
		r->revs[r->n_revs] = s->revs[k];
		memcpy(r->rev_hash[r->n_revs], s->rev_hash[k],
		       sizeof(r->rev_hash[0]));
		pt->r[r->n_revs++] = s->pt.r[k];
	}
	r->n_pts = 1;
}

static bool about(const char *object, const char *dep)
{
	size_t n = strlen(dep);

	if (!strncmp(object, "deployment/", 11))
		return !strcmp(object + 11, dep);
	return !strncmp(object, "pod/", 4) && !strncmp(object + 4, dep, n) &&
	       object[4 + n] == '-';
}

static void rec_sample(struct dashboard *db, struct tl_rec *r,
		       struct deployment *dep, uint64_t now)
{
	struct daemon *d = db->d;
	struct tl_point *pt;
	uint64_t first;

	if (r->n_pts < MAX_SAMPLES) {
		pt = &r->pts[r->n_pts++];
		take_point(db, dep, pt, r->revs, r->rev_hash, &r->n_revs);
		pt->t_ms = (uint32_t)(now - r->start);
		r->dirty = true;
	}
	first = d->event_seq > EVENT_RING ? d->event_seq - EVENT_RING + 1 : 1;
	if (r->last_seq + 1 > first)
		first = r->last_seq + 1;
	for (uint64_t s = first; s <= d->event_seq && s > 0; s++) {
		const struct event *ev = &d->events[(s - 1) % EVENT_RING];
		struct tl_event *e;

		if (!about(ev->object, dep->name) || r->n_evs == MAX_EVENTS ||
		    ev->time_ms < r->start_wall_ms - 30000)
			continue;
		e = &r->evs[r->n_evs++];
		e->t_ms = ev->time_ms > r->start_wall_ms
			      ? (uint32_t)(ev->time_ms - r->start_wall_ms)
			      : 0;
		e->warning = !strcmp(ev->type, "Warning");
		snprintf(e->reason, sizeof(e->reason), "%s", ev->reason);
		snprintf(e->object, sizeof(e->object), "%s", ev->object);
		snprintf(e->message, sizeof(e->message), "%s", ev->message);
	}
	r->last_seq = d->event_seq;
}

void timeline_sample(struct dashboard *db, uint64_t now)
{
	struct timeline_store *t = db->timelines;
	bool ended = false;

	if (now - t->last_ms < SAMPLE_EVERY_MS)
		return;
	t->last_ms = now;
	for (struct deployment *dep = db->d->deployments; dep;
	     dep = dep->next) {
		json_t *seen = json_object_get(t->seen, dep->name);
		struct tl_rec *r = ongoing(t, dep->name);
		const char *state;

		if (seen == NULL ||
		    strcmp(json_string_value(json_array_get(seen, 0)),
			   dep->hash)) {
			int from = seen ? (int)json_integer_value(
					      json_array_get(seen, 1))
					: 0;
			struct seed buf;
			const struct seed *before =
			    last_sample(t, dep->name, r, now, &buf);

			json_object_set_new(
			    t->seen, dep->name,
			    json_pack("[s, i]", dep->hash, dep->revision));
			if (r) {
				r->done = now;
				r->dirty = true;
				ended = true;
			}
			/* The first sight of a deployment is where we
			 * start, not a rollout. */
			r = seen ? rec_start(t, dep, from, now) : NULL;
			if (r && before)
				rec_seed(r, before);
		}
		if (r == NULL) {
			seed_take(db, dep, now);
			continue;
		}
		rec_sample(db, r, dep, now);
		state = deployment_rollout_state(db->d, dep);
		/* The settled state is recorded for TAIL_MS after the
		 * rollout completes: the new revision's traffic shows. */
		if (strcmp(state, "complete"))
			r->complete_ms = 0;
		else if (r->complete_ms == 0)
			r->complete_ms = now;
		if (r->n_pts >= MAX_SAMPLES ||
		    (r->complete_ms && r->done == 0 &&
		     now - r->complete_ms >= TAIL_MS)) {
			r->done = now;
			ended = true;
		}
	}
	seeds_prune(t, now);
	if (ended || t->prune || now - t->saved_ms >= SAVE_EVERY_MS)
		save(t, now);
}

static json_t *rec_json(const struct tl_rec *r)
{
	return json_pack("{s:s, s:i, s:i, s:I, s:I, s:b, s:b}", "deployment",
			 r->dep, "revision", r->revision, "from_revision",
			 r->from, "start_ms", (json_int_t)r->start_wall_ms,
			 "duration_ms",
			 (json_int_t)(r->n_pts ? r->pts[r->n_pts - 1].t_ms : 0),
			 "done", r->done != 0, "interrupted", r->interrupted);
}

json_t *timeline_list(struct timeline_store *t)
{
	json_t *arr = json_array();

	for (size_t i = t->n; i-- > 0;)
		json_array_append_new(arr, rec_json(t->recs[i]));
	return arr;
}

/* --- SVG -------------------------------------------------------------------
 */

struct sbuf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void out(struct sbuf *b,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n + 256;
		b->p = xrealloc(b->p, b->cap);
	}
	b->len += (size_t)n;
}

static void esc(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			out(b, "&lt;");
			break;
		case '>':
			out(b, "&gt;");
			break;
		case '&':
			out(b, "&amp;");
			break;
		case '"':
			out(b, "&quot;");
			break;
		default:
			out(b, "%c", *s);
		}
	}
}

/* Okabe-Ito colours, and a dash pattern and marker per revision, so no
 * revision is told from another by colour alone. */
static const char *const colours[MAX_REVS] = {"#0072B2", "#D55E00", "#009E73",
					      "#CC79A7"};
static const char *const dashes[MAX_REVS] = {"6 4", "none", "2 3", "10 3 2 3"};

static void marker(struct sbuf *b, int k, double x, double y)
{
	const char *c = colours[k];

	switch (k) {
	case 0:
		out(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>",
		    x, y, c);
		break;
	case 1:
		out(b,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" "
		    "fill=\"%s\"/>",
		    x - 4, y - 4, c);
		break;
	case 2:
		out(b, "<path d=\"M%.1f %.1fl5 8h-10z\" fill=\"%s\"/>", x,
		    y - 5, c);
		break;
	default:
		out(b, "<path d=\"M%.1f %.1fl5 5l-5 5l-5 -5z\" fill=\"%s\"/>",
		    x, y - 5, c);
	}
}

enum panel_kind { P_READY, P_RPS, P_EPS };

static double value(const struct tl_point *pt, int k, enum panel_kind kind)
{
	switch (kind) {
	case P_READY:
		return pt->r[k].ready;
	case P_RPS:
		return pt->r[k].rps;
	default:
		return pt->r[k].eps;
	}
}

static void panel(struct sbuf *b, const struct tl_rec *r, double x0, double y0,
		  double w, double h, double tmax, enum panel_kind kind,
		  const char *title)
{
	double vmax = 1;

	for (size_t i = 0; i < r->n_pts; i++)
		for (int k = 0; k < r->n_revs; k++) {
			double v = kind == P_READY ? r->pts[i].r[k].present
						   : value(&r->pts[i], k, kind);

			vmax = v > vmax ? v : vmax;
		}
	if (kind != P_READY)
		vmax = ceil(vmax * 1.1);
	else if (vmax < 4)
		vmax = 4; /* whole pods on every grid line */
	else
		vmax = ceil(vmax / 4) * 4;
	out(b, "<g class=\"panel\" data-panel=\"%s\">",
	    kind == P_READY ? "ready"
	    : kind == P_RPS ? "rps"
			    : "errors");
	out(b, "<text x=\"%.0f\" y=\"%.0f\" class=\"t\">", x0, y0 - 8);
	esc(b, title);
	out(b, "</text>");
	out(b,
	    "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
	    "fill=\"none\" stroke=\"#999\"/>",
	    x0, y0, w, h);
	for (int g = 0; g <= 4; g++) {
		double y = y0 + h - h * g / 4.0;

		out(b,
		    "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#ddd\"/><text x=\"%.0f\" y=\"%.1f\" "
		    "text-anchor=\"end\" class=\"s\">%.*f</text>",
		    x0, x0 + w, y, y, x0 - 4, y + 4,
		    kind != P_READY && vmax < 40 ? 1 : 0, vmax * g / 4.0);
	}
	for (int k = 0; k < r->n_revs; k++) {
		out(b,
		    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
		    "stroke-dasharray=\"%s\" data-revision=\"%d\" points=\"",
		    colours[k], dashes[k], r->revs[k]);
		for (size_t i = 0; i < r->n_pts; i++) {
			double v = value(&r->pts[i], k, kind);
			double x = x0 + w * r->pts[i].t_ms / tmax;
			double y = y0 + h - h * v / vmax;

			out(b, "%.1f,%.1f ", x, y);
		}
		out(b, "\"/>");
		/* markers every ~10% of the run, and at both ends */
		for (size_t i = 0;
		     i<r->n_pts; i += r->n_pts> 10 ? r->n_pts / 10 : 1) {
			double v = value(&r->pts[i], k, kind);

			marker(b, k, x0 + w * r->pts[i].t_ms / tmax,
			       y0 + h - h * v / vmax);
		}
	}
	out(b, "</g>");
}

const struct tl_rec *timeline_find(struct timeline_store *t,
				   const char *deployment, int revision)
{
	for (size_t i = t->n; i-- > 0;)
		if (!strcmp(t->recs[i]->dep, deployment) &&
		    (revision <= 0 || t->recs[i]->revision == revision))
			return t->recs[i];
	return NULL;
}

char *timeline_svg(struct timeline_store *t, const char *deployment,
		   int revision)
{
	const struct tl_rec *r = timeline_find(t, deployment, revision);
	struct sbuf b = {0};
	const double W = 960, H = 660, X = 60, PW = 860;
	double tmax;
	char when[32];
	time_t secs;
	struct tm tm;
	double errors = 0;

	if (r == NULL)
		return NULL;
	tmax = r->n_pts ? r->pts[r->n_pts - 1].t_ms : 1;
	if (tmax < 1000)
		tmax = 1000;
	secs = (time_t)(r->start_wall_ms / 1000);
	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
	out(&b,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
	    "%.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
	    "font-family=\"sans-serif\"><style>.t{font-size:14px;font-weight:"
	    "bold}.s{font-size:11px;fill:#333}</style>"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>",
	    W, H, W, H);
	out(&b, "<title>deployment/");
	esc(&b, r->dep);
	out(&b, ": rollout to revision %d</title>", r->revision);
	out(&b, "<text x=\"%.0f\" y=\"22\" class=\"t\">deployment/", X);
	esc(&b, r->dep);
	out(&b, ": revision %d &#8594; %d, started %s, %.1f s%s</text>",
	    r->from, r->revision, when, tmax / 1000.0,
	    r->done ? "" : " (in progress)");
	panel(&b, r, X, 70, PW, 160, tmax, P_READY, "Ready pods per revision");
	panel(&b, r, X, 270, PW, 110, tmax, P_RPS,
	      "Requests/s per revision (through berth's proxy)");
	panel(&b, r, X, 420, PW, 90, tmax, P_EPS,
	      "Errors/s per revision (5xx answers and connection errors)");
	/* time axis */
	for (int g = 0; g <= 5; g++) {
		double x = X + PW * g / 5.0;

		out(&b,
		    "<text x=\"%.1f\" y=\"526\" text-anchor=\"middle\" "
		    "class=\"s\">%.1f s</text>",
		    x, tmax * g / 5.0 / 1000.0);
	}
	/* events: one tick each, the message in its tooltip */
	out(&b, "<text x=\"%.0f\" y=\"552\" class=\"s\">Events</text>", X);
	for (size_t i = 0; i < r->n_evs; i++) {
		const struct tl_event *e = &r->evs[i];
		double x = X + PW * (e->t_ms > tmax ? tmax : e->t_ms) / tmax;

		out(&b, "<g><title>+%.1f s %s ", e->t_ms / 1000.0, e->reason);
		esc(&b, e->object);
		out(&b, ": ");
		esc(&b, e->message);
		out(&b,
		    "</title><line x1=\"%.1f\" x2=\"%.1f\" y1=\"560\" "
		    "y2=\"580\" stroke=\"%s\" stroke-width=\"%s\"/></g>",
		    x, x, e->warning ? "#D55E00" : "#555",
		    e->warning ? "3" : "1");
	}
	/* legend: colour, dash and marker, and the words */
	for (int k = 0; k < r->n_revs; k++) {
		double lx = X + 180.0 * k, ly = 610;

		out(&b,
		    "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" "
		    "stroke=\"%s\" stroke-width=\"2\" "
		    "stroke-dasharray=\"%s\"/>",
		    lx, lx + 30, ly, ly, colours[k], dashes[k]);
		marker(&b, k, lx + 15, ly);
		out(&b,
		    "<text x=\"%.0f\" y=\"%.0f\" class=\"s\">revision "
		    "%d%s</text>",
		    lx + 36, ly + 4, r->revs[k],
		    r->revs[k] == r->revision ? " (new)" : "");
	}
	for (size_t i = 1; i < r->n_pts; i++)
		for (int k = 0; k < r->n_revs; k++)
			errors += r->pts[i].r[k].eps *
				  (r->pts[i].t_ms - r->pts[i - 1].t_ms) /
				  1000.0;
	if (errors >= 0.5)
		out(&b,
		    "<text x=\"%.0f\" y=\"642\" class=\"s\">About %.0f "
		    "errors (5xx answers and connection errors) were seen by "
		    "the proxy.</text>",
		    X, errors);
	else
		out(&b,
		    "<text x=\"%.0f\" y=\"642\" class=\"s\">No errors seen "
		    "by the proxy.</text>",
		    X);
	if (r->interrupted)
		out(&b,
		    "<text x=\"%.0f\" y=\"42\" class=\"s\">The daemon "
		    "restarted while this was recorded: samples are missing "
		    "for that time.</text>",
		    X);
	out(&b, "</svg>\n");
	return b.p;
}
