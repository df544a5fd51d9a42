/*
 * metrics.c - the proxy's numbers as the page shows them: requests/s,
 * error rate (5xx share) and p99 per service, as rates between two
 * samples of the counters /metrics shows (proxy_metrics(), a copy made on the
 * proxy thread); and per service and revision (pod-template-hash) requests/s,
 * errors/s (5xx answers and connection errors), error rate and p99 from the
 * proxy's per-revision counters (proxy_revision_counts(), relaxed atomic
 * reads). Touches no proxy state itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "../orchestrator/endpoints.h"
#include "../orchestrator/service_ops.h"
#include "../proxy/proxy.h"
#include "dash_internal.h"

#define SAMPLE_MS 1000
#define MAX_REV_SAMPLES 256 /* (service, revision) pairs followed */

/* The last reading of one service's counters for one revision. */
struct dash_rev_sample {
	char svc[64];
	char hash[16];
	struct proxy_rev_counts prev;
	bool seen; /* a pod of it is selected by the service now */
};

/* label="value" of a series line's labels into buf. */
static int label(const char *line, const char *key, char *buf, size_t len)
{
	char pat[64];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "%s=\"", key);
	p = strstr(line, pat);
	if (p == NULL)
		return -1;
	p += strlen(pat);
	end = strchr(p, '"');
	if (end == NULL || (size_t)(end - p) >= len)
		return -1;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return 0;
}

static json_t *child(json_t *o, const char *k)
{
	json_t *c = json_object_get(o, k);

	if (c == NULL) {
		c = json_object();
		json_object_set_new(o, k, c);
	}
	return c;
}

static void add(json_t *o, const char *k, double v)
{
	json_object_set_new(
	    o, k, json_real(json_number_value(json_object_get(o, k)) + v));
}

/* Counters: {services: {NAME: {requests, errors, buckets: {LE: n}}}}. */
static json_t *parse(const char *text)
{
	json_t *out = json_pack("{s:{}}", "services");
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512], svc[64], v[32];
		const char *sp;
		double val;

		if (len >= sizeof(buf) || line[0] == '#')
			goto next;
		memcpy(buf, line, len);
		buf[len] = '\0';
		sp = strrchr(buf, ' ');
		if (sp == NULL)
			goto next;
		val = strtod(sp + 1, NULL);
		if (label(buf, "service", svc, sizeof(svc)) == -1)
			goto next;
		if (!strncmp(buf, "berth_service_requests_total{", 29)) {
			json_t *s =
			    child(json_object_get(out, "services"), svc);

			add(s, "requests", val);
			if (label(buf, "code", v, sizeof(v)) == 0 &&
			    !strcmp(v, "5xx"))
				add(s, "errors", val);
		} else if (!strncmp(buf,
				    "berth_service_request_duration_seconds_"
				    "bucket{",
				    46) &&
			   label(buf, "le", v, sizeof(v)) == 0) {
			json_t *s =
			    child(json_object_get(out, "services"), svc);

			add(child(s, "buckets"), v, val);
		}
	next:
		line = nl ? nl + 1 : NULL;
	}
	return out;
}

static double delta(json_t *now, json_t *prev, const char *k)
{
	double d = json_number_value(json_object_get(now, k)) -
		   json_number_value(json_object_get(prev, k));

	return d > 0 ? d : 0;
}

/* The upper bound of the bucket holding the 99th percentile of the
 * requests between the two samples; -1: none, 1e9: above every bound. */
static double p99_ms(json_t *now, json_t *prev)
{
	json_t *b = json_object_get(now, "buckets"), *pb, *v;
	double total = delta(b, json_object_get(prev, "buckets"), "+Inf");
	double best = 1e18;
	const char *le;

	if (total <= 0)
		return -1;
	pb = json_object_get(prev, "buckets");
	json_object_foreach(b, le, v)
	{
		double bound = strcmp(le, "+Inf") ? strtod(le, NULL) : 1e6;

		if (delta(b, pb, le) >= 0.99 * total && bound < best)
			best = bound;
	}
	return best >= 1e6 ? 1e9 : best * 1000;
}

static struct dash_rev_sample *rev_sample(struct dashboard *db, const char *svc,
					  const char *hash, bool *fresh)
{
	struct dash_rev_sample *r;

	*fresh = false;
	for (size_t i = 0; i < db->n_rev_samples; i++) {
		r = &db->rev_samples[i];
		if (!strcmp(r->svc, svc) && !strcmp(r->hash, hash))
			return r;
	}
	if (db->n_rev_samples == MAX_REV_SAMPLES)
		return NULL;
	if (db->rev_samples == NULL)
		db->rev_samples =
		    xcalloc(MAX_REV_SAMPLES, sizeof(*db->rev_samples));
	r = &db->rev_samples[db->n_rev_samples++];
	memset(r, 0, sizeof(*r));
	snprintf(r->svc, sizeof(r->svc), "%s", svc);
	snprintf(r->hash, sizeof(r->hash), "%s", hash);
	*fresh = true;
	return r;
}

static json_t *rev_numbers(const struct proxy_rev_counts *prev,
			   const struct proxy_rev_counts *now, double secs)
{
	double req = now->requests > prev->requests
			 ? (double)(now->requests - prev->requests)
			 : 0;
	double e5 = now->errors_5xx > prev->errors_5xx
			? (double)(now->errors_5xx - prev->errors_5xx)
			: 0;
	double ce = now->conn_errors > prev->conn_errors
			? (double)(now->conn_errors - prev->conn_errors)
			: 0;
	double p99 = proxy_rev_quantile_ms(prev, now, 0.99);
	/* A failed connection that was retried elsewhere is no answer of
	 * this revision: an attempt that failed. */
	double attempts = req + ce;
	double rate = attempts > 0 ? (e5 + ce) / attempts : 0;

	return json_pack("{s:f, s:f, s:f, s:o}", "rps", req / secs, "errors_ps",
			 (e5 + ce) / secs, "error_rate", rate > 1 ? 1.0 : rate,
			 "p99_ms", p99 < 0 ? json_null() : json_real(p99));
}

static void sum_into(json_t *by_hash, const char *hash, json_t *n)
{
	json_t *h = child(by_hash, hash);

	add(h, "rps", json_number_value(json_object_get(n, "rps")));
	add(h, "errors_ps", json_number_value(json_object_get(n, "errors_ps")));
}

/* Every (service, revision) pair with a pod the service selects: its
 * numbers since the last sample into shown (NULL: only remember the
 * counters). Pairs no pod stands for any more are forgotten. */
static void sample_revisions(struct dashboard *db, json_t *shown, double secs)
{
	struct daemon *d = db->d;
	json_t *revs = json_object(), *by_hash = json_object();

	for (size_t i = 0; i < db->n_rev_samples; i++)
		db->rev_samples[i].seen = false;
	for (size_t k = 0; d->cfg && k < d->cfg->n_services; k++) {
		const struct service_spec *svc = &d->cfg->services[k];
		const struct kvlist *sel = service_selector(d, svc);

		for (struct pod *p = d->pods; p; p = p->next) {
			struct proxy_rev_counts now;
			struct dash_rev_sample *r;
			bool fresh;

			if (p->phase == POD_GONE || p->hash[0] == '\0' ||
			    !endpoints_selects(sel, p))
				continue;
			r = rev_sample(db, svc->name, p->hash, &fresh);
			if (r == NULL || r->seen)
				continue;
			r->seen = true;
			proxy_revision_counts(d->proxy, svc->name, p->hash,
					      &now);
			if (!fresh && shown) {
				json_t *n = rev_numbers(&r->prev, &now, secs);

				sum_into(by_hash, p->hash, n);
				json_object_set_new(child(revs, svc->name),
						    p->hash, n);
			}
			r->prev = now;
		}
	}
	for (size_t i = 0; i < db->n_rev_samples;) {
		if (db->rev_samples[i].seen) {
			i++;
			continue;
		}
		db->rev_samples[i] = db->rev_samples[--db->n_rev_samples];
	}
	if (shown) {
		json_object_set_new(shown, "revisions", revs);
		json_object_set_new(shown, "by_hash", by_hash);
	} else {
		json_decref(revs);
		json_decref(by_hash);
	}
}

void dash_metrics_free(struct dashboard *db)
{
	free(db->rev_samples);
	db->rev_samples = NULL;
	db->n_rev_samples = 0;
}

void dash_metrics_sample(struct dashboard *db, uint64_t now, bool full)
{
	char *text = NULL;
	size_t len = 0;
	json_t *counters, *shown, *v;
	const char *name;
	double secs;

	if (db->d->proxy == NULL)
		return;
	if (db->metrics == NULL)
		db->metrics = json_object();
	/* Per revision always (a few counter reads): a rollout's first
	 * samples then have numbers. */
	if (now - db->rev_prev_ms >= SAMPLE_MS) {
		sample_revisions(db, db->rev_prev_ms ? db->metrics : NULL,
				 (double)(now - db->rev_prev_ms) / 1000.0);
		db->rev_prev_ms = now;
	}
	if (!full || now - db->metrics_prev_ms < SAMPLE_MS)
		return;
	proxy_metrics(db->d->proxy, &text, &len);
	counters = parse(text ? text : "");
	free(text);
	if (db->metrics_prev == NULL) {
		db->metrics_prev = counters;
		db->metrics_prev_ms = now;
		return;
	}
	secs = (double)(now - db->metrics_prev_ms) / 1000.0;
	shown = json_pack("{s:{}, s:O?, s:O?}", "services", "revisions",
			  json_object_get(db->metrics, "revisions"), "by_hash",
			  json_object_get(db->metrics, "by_hash"));
	json_object_foreach(json_object_get(counters, "services"), name, v)
	{
		json_t *p = json_object_get(
		    json_object_get(db->metrics_prev, "services"), name);
		double req = delta(v, p, "requests");
		double p99 = p99_ms(v, p);

		json_object_set_new(
		    json_object_get(shown, "services"), name,
		    json_pack(
			"{s:f, s:f, s:o}", "rps", req / secs, "error_rate",
			req > 0 ? delta(v, p, "errors") / req : 0.0, "p99_ms",
			p99 < 0 ? json_null() : json_real(p99)));
	}
	json_decref(db->metrics_prev);
	db->metrics_prev = counters;
	db->metrics_prev_ms = now;
	json_decref(db->metrics);
	db->metrics = shown;
}
