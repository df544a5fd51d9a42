/*
 * metrics.c - the proxy's numbers as the page shows them: requests/s,
 * error rate (5xx share) and p99 per service, requests/s and failures/s
 * per pod (so per revision), as rates between two samples of the
 * counters /metrics shows (proxy_metrics(), a copy made on the proxy
 * thread). Touches no proxy state itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proxy/proxy.h"
#include "dash_internal.h"

#define SAMPLE_MS 1000

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

/* Counters: {services: {NAME: {requests, errors, buckets: {LE: n}}},
 * pods: {NAME: {requests, failures}}}. */
static json_t *parse(const char *text)
{
	json_t *out = json_pack("{s:{}, s:{}}", "services", "pods");
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512], svc[64], pod[64], v[32];
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
		} else if (label(buf, "pod", pod, sizeof(pod)) == 0) {
			json_t *p = child(json_object_get(out, "pods"), pod);

			if (!strncmp(buf, "berth_endpoint_requests_total{", 30))
				add(p, "requests", val);
			else if (!strncmp(buf, "berth_endpoint_failures_total{",
					  30))
				add(p, "failures", val);
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

void dash_metrics_sample(struct dashboard *db, uint64_t now)
{
	char *text = NULL;
	size_t len = 0;
	json_t *counters, *shown, *v;
	const char *name;
	double secs;

	if (db->d->proxy == NULL || now - db->metrics_prev_ms < SAMPLE_MS)
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
	shown = json_pack("{s:{}, s:{}}", "services", "pods");
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
	json_object_foreach(json_object_get(counters, "pods"), name, v)
	{
		json_t *p = json_object_get(
		    json_object_get(db->metrics_prev, "pods"), name);

		json_object_set_new(json_object_get(shown, "pods"), name,
				    json_pack("{s:f, s:f}", "rps",
					      delta(v, p, "requests") / secs,
					      "failures_ps",
					      delta(v, p, "failures") / secs));
	}
	json_decref(db->metrics_prev);
	db->metrics_prev = counters;
	db->metrics_prev_ms = now;
	json_decref(db->metrics);
	db->metrics = shown;
}
