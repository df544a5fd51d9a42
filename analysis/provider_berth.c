/*
 * provider_berth.c - the berth provider: the proxy's own per-revision
 * counters of the measured revision, summed over the run's services (or
 * the metric's provider.berth.service), differenced over the interval.
 * Fewer requests than minRequests is Inconclusive. Reads the counters
 * through proxy_revision_counts(); never touches the proxy otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void read_sum(struct metric_run *mr, struct proxy_rev_counts *out)
{
	struct analysis_run *r = mr->run;
	struct proxy_rev_counts one;

	memset(out, 0, sizeof(*out));
	snprintf(out->revision, sizeof(out->revision), "%s", r->revision);
	if (r->rs == NULL || r->rs->env.proxy == NULL)
		return;
	for (size_t i = 0; i < r->n_services; i++) {
		const char *svc = r->services[i];

		if (mr->m->berth_service && strcmp(mr->m->berth_service, svc))
			continue;
		if (!proxy_revision_counts(r->rs->env.proxy, svc, r->revision,
					   &one))
			continue;
		out->requests += one.requests;
		out->errors_5xx += one.errors_5xx;
		out->conn_errors += one.conn_errors;
		for (size_t b = 0; b < PROXY_REV_LAT_BUCKETS; b++)
			out->lat[b] += one.lat[b];
	}
	if (mr->m->berth_service && r->n_services == 0 &&
	    proxy_revision_counts(r->rs->env.proxy, mr->m->berth_service,
				  r->revision, &one))
		*out = one;
}

void provider_berth_base(struct metric_run *mr)
{
	read_sum(mr, &mr->base);
	mr->have_base = true;
}

static json_t *num(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

void provider_berth_measure(struct metric_run *mr)
{
	struct proxy_rev_counts now;
	struct berth_numbers b;
	char msg[400], cond[300];
	json_t *root, *dflt;
	enum analysis_phase ph;
	double secs = (double)mr->m->interval_ms / 1000.0;

	read_sum(mr, &now);
	analysis_berth_numbers(&mr->base, &now, &b);
	mr->base = now;
	if (b.requests < (uint64_t)mr->m->berth_min_requests) {
		snprintf(msg, sizeof(msg),
			 "%llu requests in %.3g s < minRequests %d (no "
			 "verdict on too little traffic)",
			 (unsigned long long)b.requests, secs,
			 mr->m->berth_min_requests);
		analysis_measured(mr, ANALYSIS_INCONCLUSIVE, msg);
		return;
	}
	root = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "requests",
			 (json_int_t)b.requests, "errors", (json_int_t)b.errors,
			 "successRate", num(b.success_rate), "errorRate",
			 num(b.error_rate), "p50", num(b.p50), "p90",
			 num(b.p90), "p99", num(b.p99));
	dflt = json_object_get(root, "successRate");
	ph = analysis_conditions(mr->m, root, dflt, cond, sizeof(cond));
	snprintf(msg, sizeof(msg),
		 "%llu requests in %.3g s, %llu failed (p99 %.4g ms): %s",
		 (unsigned long long)b.requests, secs,
		 (unsigned long long)b.errors, b.p99, cond);
	json_decref(root);
	analysis_measured(mr, ph, msg);
}
