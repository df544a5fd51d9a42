/*
 * revstats.c - per-revision counters of each service: answered requests,
 * 5xx, connection errors and a latency histogram per pod-template-hash,
 * each proxy thread adding to a copy of its own (no cache line written
 * by two threads per request) and any thread (the orchestrator's
 * analysis) reading their sum, plus their /metrics series. Must not
 * choose backends or do I/O.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "internal.h"

/* Bounds fine enough for p50/p90/p99 of a web service. */
const double proxy_rev_lat_bound_ms[PROXY_REV_LAT_BUCKETS - 1] = {
    1,	 2,   3,   5,	7,   10,   15,	 20,   30,   50,   75,	  100,
    150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000,
};

struct proxy_rev_stats *proxy_rev_stats_get(struct proxy *px,
					    struct proxy_slot *slot,
					    const char *revision)
{
	struct proxy *lead = px->leader; /* the slots' lock */
	struct proxy_rev *r, **pp;

	if (revision == NULL || revision[0] == '\0')
		return NULL;
	pthread_mutex_lock(&lead->lock);
	for (pp = &slot->revs; (r = *pp) != NULL; pp = &r->next)
		if (!strcmp(r->revision, revision))
			break;
	if (r == NULL) {
		r = xcalloc_aligned(PROXY_CACHE_LINE,
				    sizeof(*r) +
					lead->n_workers * sizeof(r->per[0]));
		r->n = lead->n_workers;
		snprintf(r->revision, sizeof(r->revision), "%s", revision);
		*pp = r; /* appended: render order is first-seen order */
	}
	pthread_mutex_unlock(&lead->lock);
	return &r->per[px->index];
}

/* Only the owning thread writes its copy: no locked instruction, and
 * readers still see whole values. */
static void add(_Atomic uint64_t *v)
{
	atomic_store_explicit(v,
			      atomic_load_explicit(v, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

void proxy_rev_request(struct proxy_rev_stats *r, int code, int64_t ms)
{
	size_t i;

	if (r == NULL)
		return;
	add(&r->requests);
	if (code >= 500 && code <= 599)
		add(&r->errors_5xx);
	if (ms < 0)
		return;
	for (i = 0; i < PROXY_REV_LAT_BUCKETS - 1; i++)
		if ((double)ms <= proxy_rev_lat_bound_ms[i])
			break;
	add(&r->lat[i]);
}

void proxy_rev_conn_error(struct proxy_rev_stats *r)
{
	if (r)
		add(&r->conn_errors);
}

static uint64_t get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* A counter at offset off of struct proxy_rev_stats, every thread's. */
static uint64_t sum(struct proxy_rev *r, size_t off)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n +=
		    get((_Atomic uint64_t *)(void *)((char *)&r->per[i] + off));
	return n;
}

#define SUM(r, field) sum(r, offsetof(struct proxy_rev_stats, field))
#define LAT(i) (offsetof(struct proxy_rev_stats, lat) + (i) * sizeof(uint64_t))

static void read_into(struct proxy_rev *r, struct proxy_rev_counts *o)
{
	o->requests = SUM(r, requests);
	o->errors_5xx = SUM(r, errors_5xx);
	o->conn_errors = SUM(r, conn_errors);
	for (size_t i = 0; i < PROXY_REV_LAT_BUCKETS; i++)
		o->lat[i] = sum(r, LAT(i));
}

bool proxy_revision_counts(struct proxy *px, const char *service,
			   const char *revision, struct proxy_rev_counts *out)
{
	bool found = false;

	memset(out, 0, sizeof(*out));
	snprintf(out->revision, sizeof(out->revision), "%s", revision);
	pthread_mutex_lock(&px->lock);
	for (struct proxy_slot *s = px->slots; s && !found; s = s->next) {
		if (strcmp(s->name, service))
			continue;
		for (struct proxy_rev *r = s->revs; r; r = r->next)
			if (!strcmp(r->revision, revision)) {
				read_into(r, out);
				found = true;
				break;
			}
	}
	pthread_mutex_unlock(&px->lock);
	return found;
}

double proxy_rev_quantile_ms(const struct proxy_rev_counts *from,
			     const struct proxy_rev_counts *to, double q)
{
	uint64_t d[PROXY_REV_LAT_BUCKETS], total = 0, cum = 0;
	double rank;

	for (size_t i = 0; i < PROXY_REV_LAT_BUCKETS; i++) {
		uint64_t a = from ? from->lat[i] : 0;

		d[i] = to->lat[i] >= a ? to->lat[i] - a : 0;
		total += d[i];
	}
	if (total == 0)
		return -1;
	if (q <= 0)
		q = 0.0001;
	if (q > 1)
		q = 1;
	rank = q * (double)total;
	for (size_t i = 0; i < PROXY_REV_LAT_BUCKETS; i++) {
		double lo = i == 0 ? 0 : proxy_rev_lat_bound_ms[i - 1];
		double hi;

		if (d[i] == 0 || (double)(cum + d[i]) < rank) {
			cum += d[i];
			continue;
		}
		/* The open last bucket answers its lower bound. */
		if (i == PROXY_REV_LAT_BUCKETS - 1)
			return lo;
		hi = proxy_rev_lat_bound_ms[i];
		return lo + (hi - lo) * ((rank - (double)cum) / (double)d[i]);
	}
	return proxy_rev_lat_bound_ms[PROXY_REV_LAT_BUCKETS - 2];
}

void proxy_rev_render(struct proxy *px, struct proxy_buf *o)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} series[] = {
	    {"berth_revision_requests_total",
	     "Requests the revision's pods answered (http) or connections "
	     "made (tcp) per pod revision.",
	     offsetof(struct proxy_rev_stats, requests)},
	    {"berth_revision_5xx_total",
	     "Answered requests with a 5xx status per pod revision.",
	     offsetof(struct proxy_rev_stats, errors_5xx)},
	    {"berth_revision_connection_errors_total",
	     "Failed connects, resets and timeouts per pod revision (berth's "
	     "own 502/504 for one is counted here only).",
	     offsetof(struct proxy_rev_stats, conn_errors)},
	};

	pthread_mutex_lock(&px->lock);
	for (size_t k = 0; k < sizeof(series) / sizeof(series[0]); k++) {
		proxy_buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n",
				 series[k].name, series[k].help,
				 series[k].name);
		for (struct proxy_slot *s = px->slots; s; s = s->next)
			for (struct proxy_rev *r = s->revs; r; r = r->next)
				proxy_buf_printf(
				    o,
				    "%s{service=\"%s\",pod_template_hash="
				    "\"%s\"} %llu\n",
				    series[k].name, s->name, r->revision,
				    (unsigned long long)sum(r, series[k].off));
	}
	proxy_buf_printf(o, "# HELP berth_revision_request_duration_seconds "
			    "Time from request head to response end per pod "
			    "revision (http).\n"
			    "# TYPE berth_revision_request_duration_seconds "
			    "histogram\n");
	for (struct proxy_slot *s = px->slots; s; s = s->next)
		for (struct proxy_rev *r = s->revs; r; r = r->next) {
			uint64_t cum = 0;

			for (size_t i = 0; i < PROXY_REV_LAT_BUCKETS; i++) {
				char le[32];

				cum += sum(r, LAT(i));
				if (i < PROXY_REV_LAT_BUCKETS - 1)
					snprintf(le, sizeof(le), "%g",
						 proxy_rev_lat_bound_ms[i] /
						     1000.0);
				else
					snprintf(le, sizeof(le), "+Inf");
				proxy_buf_printf(
				    o,
				    "berth_revision_request_duration_seconds_"
				    "bucket{service=\"%s\",pod_template_hash="
				    "\"%s\",le=\"%s\"} %llu\n",
				    s->name, r->revision, le,
				    (unsigned long long)cum);
			}
			proxy_buf_printf(
			    o,
			    "berth_revision_request_duration_seconds_count{"
			    "service=\"%s\",pod_template_hash=\"%s\"} %llu\n",
			    s->name, r->revision, (unsigned long long)cum);
		}
	pthread_mutex_unlock(&px->lock);
}

void proxy_rev_free_all(struct proxy_slot *slot)
{
	for (struct proxy_rev *r = slot->revs, *n; r; r = n) {
		n = r->next;
		free(r);
	}
	slot->revs = NULL;
}
