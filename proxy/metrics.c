/*
 * metrics.c - per-service counters and their Prometheus text rendering:
 * requests by status class, connections, active connections, retries,
 * a latency histogram, and per-endpoint state (per-revision series are
 * revstats.c's), each thread's own, summed on the leader when read. Runs
 * on the proxy threads only; must not do I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "internal.h"

static const double lat_bounds[PROXY_LAT_BUCKETS - 1] = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

void proxy_metrics_request(struct proxy_service *s, int code, int64_t ms)
{
	double sec = (double)ms / 1000.0;
	int cls = code / 100;
	size_t i;

	s->m.codes[cls >= 1 && cls <= 5 ? cls : 0]++;
	for (i = 0; i < PROXY_LAT_BUCKETS - 1; i++)
		if (sec <= lat_bounds[i])
			break;
	s->m.lat_buckets[i]++;
	s->m.lat_count++;
	s->m.lat_sum += sec;
}

/* Per-endpoint series: one table row each. */
static unsigned long long ep_up(const struct proxy_backend *b)
{
	return b->in_set ? 1 : 0;
}

static unsigned long long ep_requests(const struct proxy_backend *b)
{
	return b->requests;
}

static unsigned long long ep_failures(const struct proxy_backend *b)
{
	return b->failures;
}

static unsigned long long ep_active(const struct proxy_backend *b)
{
	return b->active > 0 ? (unsigned long long)b->active : 0;
}

static const struct endpoint_metric {
	const char *name, *type, *help;
	unsigned long long (*value)(const struct proxy_backend *b);
} endpoint_metrics[] = {
    {"berth_endpoint_up", "gauge",
     "1 while the pod is an endpoint, 0 while it drains.", ep_up},
    {"berth_endpoint_requests_total", "counter",
     "Requests (http) or connections (tcp) sent to a pod.", ep_requests},
    {"berth_endpoint_failures_total", "counter",
     "Failed connects, resets and timeouts per pod.", ep_failures},
    {"berth_endpoint_active", "gauge",
     "Requests or connections in flight per pod.", ep_active},
};

struct proxy_msnap *proxy_metrics_collect(struct proxy *w)
{
	struct proxy_msnap *all = NULL;

	for (struct proxy_service *s = w->services; s; s = s->next) {
		struct proxy_msnap *n = xcalloc(1, sizeof(*n));
		size_t k = 0;

		proxy_service_sync(s);
		snprintf(n->name, sizeof(n->name), "%s", s->conf.name);
		n->m = s->m;
		for (struct proxy_backend *b = s->backends; b; b = b->next)
			k++;
		n->be = xcalloc(k ? k : 1, sizeof(*n->be));
		for (struct proxy_backend *b = s->backends; b; b = b->next) {
			struct proxy_mbe *e = &n->be[n->n_be++];

			snprintf(e->pod, sizeof(e->pod), "%s", b->ep.pod);
			e->requests = b->requests;
			e->failures = b->failures;
			e->active = b->active;
		}
		n->next = all;
		all = n;
	}
	return all;
}

void proxy_msnap_free(struct proxy_msnap *s)
{
	while (s) {
		struct proxy_msnap *n = s->next;

		free(s->be);
		free(s);
		s = n;
	}
}

static void add_metrics(struct proxy_svc_metrics *to,
			const struct proxy_svc_metrics *m, int sign)
{
	for (int i = 0; i < 6; i++)
		to->codes[i] += (uint64_t)sign * m->codes[i];
	to->connections += (uint64_t)sign * m->connections;
	to->active += sign * m->active;
	to->retries += (uint64_t)sign * m->retries;
	to->shed += (uint64_t)sign * m->shed;
	to->mirror_sent += (uint64_t)sign * m->mirror_sent;
	to->mirror_dropped += (uint64_t)sign * m->mirror_dropped;
	to->mirror_failed += (uint64_t)sign * m->mirror_failed;
	for (int i = 0; i < PROXY_LAT_BUCKETS; i++)
		to->lat_buckets[i] += (uint64_t)sign * m->lat_buckets[i];
	to->lat_count += (uint64_t)sign * m->lat_count;
	to->lat_sum += sign * m->lat_sum;
}

/* Adds (sign 1) or takes back (-1) the other workers' counters into the
 * leader's services and backends, found by name. A pod only another
 * worker still knows (draining there) has no series of its own. */
static void merge(struct proxy *px, const struct proxy_msnap *snaps, int sign)
{
	for (const struct proxy_msnap *n = snaps; n; n = n->next)
		for (struct proxy_service *s = px->services; s; s = s->next) {
			if (strcmp(s->conf.name, n->name) != 0)
				continue;
			add_metrics(&s->m, &n->m, sign);
			for (size_t i = 0; i < n->n_be; i++)
				for (struct proxy_backend *b = s->backends; b;
				     b = b->next)
					if (!strcmp(b->ep.pod, n->be[i].pod)) {
						b->requests +=
						    (uint64_t)sign *
						    n->be[i].requests;
						b->failures +=
						    (uint64_t)sign *
						    n->be[i].failures;
						b->active +=
						    sign * n->be[i].active;
						break;
					}
			break;
		}
}

static void render(struct proxy *px, struct proxy_buf *o);

void proxy_metrics_render(struct proxy *px, struct proxy_buf *o)
{
	struct proxy_msnap *snaps;

	struct proxy_svc_metrics *saved;
	size_t n = 0, i = 0;

	for (struct proxy_service *s = px->services; s; s = s->next) {
		proxy_service_sync(s);
		n++;
	}
	snaps = proxy_collect_workers(px);
	/* The leader's own counters come back exactly (a sum of doubles
	 * taken back would not). */
	saved = xcalloc(n ? n : 1, sizeof(*saved));
	for (struct proxy_service *s = px->services; s; s = s->next)
		saved[i++] = s->m;
	merge(px, snaps, 1);
	render(px, o);
	merge(px, snaps, -1);
	i = 0;
	for (struct proxy_service *s = px->services; s; s = s->next)
		s->m = saved[i++];
	free(saved);
	proxy_msnap_free(snaps);
}

static void render(struct proxy *px, struct proxy_buf *o)
{
	static const char *const cls[6] = {"other", "1xx", "2xx",
					   "3xx",   "4xx", "5xx"};

	proxy_buf_printf(o, "# HELP berth_proxy_up The proxy is serving.\n"
			    "# TYPE berth_proxy_up gauge\nberth_proxy_up 1\n");
	proxy_buf_printf(o, "# HELP berth_service_requests_total HTTP "
			    "responses by status class (tcp: refused "
			    "connections count as 5xx).\n"
			    "# TYPE berth_service_requests_total counter\n");
	for (struct proxy_service *s = px->services; s; s = s->next)
		for (int k = 1; k <= 5; k++)
			proxy_buf_printf(o,
					 "berth_service_requests_total{service="
					 "\"%s\",code=\"%s\"} %llu\n",
					 s->conf.name, cls[k],
					 (unsigned long long)s->m.codes[k]);
	proxy_buf_printf(o, "# HELP berth_service_connections_total Client "
			    "connections accepted.\n"
			    "# TYPE berth_service_connections_total counter\n");
	for (struct proxy_service *s = px->services; s; s = s->next)
		proxy_buf_printf(o,
				 "berth_service_connections_total{service="
				 "\"%s\"} %llu\n",
				 s->conf.name,
				 (unsigned long long)s->m.connections);
	proxy_buf_printf(o, "# HELP berth_service_active_connections Client "
			    "connections open now.\n"
			    "# TYPE berth_service_active_connections gauge\n");
	for (struct proxy_service *s = px->services; s; s = s->next)
		proxy_buf_printf(o,
				 "berth_service_active_connections{service="
				 "\"%s\"} %lld\n",
				 s->conf.name, (long long)s->m.active);
	proxy_buf_printf(o, "# HELP berth_service_retries_total Requests "
			    "retried on another endpoint.\n"
			    "# TYPE berth_service_retries_total counter\n");
	for (struct proxy_service *s = px->services; s; s = s->next)
		proxy_buf_printf(o,
				 "berth_service_retries_total{service=\"%s\"} "
				 "%llu\n",
				 s->conf.name,
				 (unsigned long long)s->m.retries);
	proxy_buf_printf(o, "# HELP berth_service_mirrored_requests_total "
			    "Copies of requests for the canary "
			    "(setMirrorRoute): sent, dropped (too large, "
			    "streamed, or too many in flight), failed (no "
			    "answer).\n"
			    "# TYPE berth_service_mirrored_requests_total "
			    "counter\n");
	for (struct proxy_service *s = px->services; s; s = s->next) {
		static const char *const what[] = {"sent", "dropped", "failed"};
		const uint64_t v[] = {s->m.mirror_sent, s->m.mirror_dropped,
				      s->m.mirror_failed};

		if (v[0] + v[1] == 0)
			continue;
		for (int i = 0; i < 3; i++)
			proxy_buf_printf(o,
					 "berth_service_mirrored_requests_total"
					 "{service=\"%s\",result=\"%s\"} "
					 "%llu\n",
					 s->conf.name, what[i],
					 (unsigned long long)v[i]);
	}
	proxy_buf_printf(o, "# HELP berth_service_refused_connections_total "
			    "Connections closed at accept, with 503 in http "
			    "mode, because too few file descriptors were "
			    "free.\n"
			    "# TYPE berth_service_refused_connections_total "
			    "counter\n");
	for (struct proxy_service *s = px->services; s; s = s->next)
		proxy_buf_printf(o,
				 "berth_service_refused_connections_total{"
				 "service=\"%s\"} %llu\n",
				 s->conf.name, (unsigned long long)s->m.shed);
	proxy_buf_printf(o, "# HELP berth_service_request_duration_seconds "
			    "Time from request head to response end.\n"
			    "# TYPE berth_service_request_duration_seconds "
			    "histogram\n");
	for (struct proxy_service *s = px->services; s; s = s->next) {
		uint64_t cum = 0;

		for (int i = 0; i < PROXY_LAT_BUCKETS; i++) {
			cum += s->m.lat_buckets[i];
			if (i < PROXY_LAT_BUCKETS - 1)
				proxy_buf_printf(
				    o,
				    "berth_service_request_duration_"
				    "seconds_bucket{service=\"%s\",le="
				    "\"%g\"} %llu\n",
				    s->conf.name, lat_bounds[i],
				    (unsigned long long)cum);
			else
				proxy_buf_printf(
				    o,
				    "berth_service_request_duration_"
				    "seconds_bucket{service=\"%s\",le="
				    "\"+Inf\"} %llu\n",
				    s->conf.name, (unsigned long long)cum);
		}
		proxy_buf_printf(o,
				 "berth_service_request_duration_seconds_sum{"
				 "service=\"%s\"} %.6f\n"
				 "berth_service_request_duration_seconds_"
				 "count{service=\"%s\"} %llu\n",
				 s->conf.name, s->m.lat_sum, s->conf.name,
				 (unsigned long long)s->m.lat_count);
	}
	for (struct proxy_service *s = px->services; s; s = s->next)
		proxy_service_sync(s);
	for (size_t i = 0;
	     i < sizeof(endpoint_metrics) / sizeof(endpoint_metrics[0]); i++) {
		const struct endpoint_metric *m = &endpoint_metrics[i];

		proxy_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", m->name,
				 m->help, m->name, m->type);
		for (struct proxy_service *s = px->services; s; s = s->next)
			for (struct proxy_backend *b = s->backends; b;
			     b = b->next)
				proxy_buf_printf(
				    o, "%s{service=\"%s\",pod=\"%s\"} %llu\n",
				    m->name, s->conf.name, b->ep.pod,
				    m->value(b));
	}
	proxy_rev_render(px, o);
}
