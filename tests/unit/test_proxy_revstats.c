/*
 * test_proxy_revstats.c - per-revision counters kept per proxy thread:
 * each thread gets a copy of its own, on cache lines of its own, and the
 * readers (the analysis' counts, the /metrics series) see the sum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proxy/internal.h"
#include "../lib/tap.h"

int main(void)
{
	struct proxy lead = {0}, w1 = {0};
	struct proxy *workers[2] = {&lead, &w1};
	struct proxy_rev_stats *a0, *a1, *again, *b0;
	struct proxy_rev_counts c;
	struct proxy_buf out = {0};
	struct proxy_slot *slot;

	pthread_mutex_init(&lead.lock, NULL);
	lead.leader = &lead;
	lead.workers = workers;
	lead.n_workers = 2;
	w1.leader = &lead;
	w1.index = 1;
	slot = proxy_slot_get(&lead, "web");

	ok(proxy_rev_stats_get(&lead, slot, "") == NULL, "no revision: none");
	a0 = proxy_rev_stats_get(&lead, slot, "aaa");
	a1 = proxy_rev_stats_get(&w1, slot, "aaa");
	again = proxy_rev_stats_get(&w1, slot, "aaa");
	b0 = proxy_rev_stats_get(&lead, slot, "bbb");
	ok(a0 && a1 && a0 != a1, "each thread has its own copy");
	ok(again == a1, "the same copy on the next call");
	ok((uintptr_t)a0 % PROXY_CACHE_LINE == 0 &&
	       (uintptr_t)a1 % PROXY_CACHE_LINE == 0 &&
	       ((uintptr_t)a1 - (uintptr_t)a0) >= sizeof(*a0),
	   "the copies on cache lines of their own");

	proxy_rev_request(a0, 200, 1);
	proxy_rev_request(a0, 503, 40);
	proxy_rev_request(a1, 200, 1);
	proxy_rev_request(a1, 200, -1);
	proxy_rev_conn_error(a1);
	proxy_rev_request(b0, 200, 1);

	ok(proxy_revision_counts(&lead, "web", "aaa", &c), "aaa found");
	is_int((int)c.requests, 4, "requests summed over the threads");
	is_int((int)c.errors_5xx, 1, "5xx summed");
	is_int((int)c.conn_errors, 1, "connection errors summed");
	is_int((int)c.lat[0], 2, "latency buckets summed (1 ms)");
	is_int((int)c.lat[9], 1, "latency buckets summed (40 ms)");
	ok(proxy_revision_counts(&lead, "web", "bbb", &c) && c.requests == 1,
	   "bbb apart");
	ok(!proxy_revision_counts(&lead, "web", "ccc", &c), "ccc unknown");

	proxy_rev_render(&lead, &out);
	proxy_buf_append(&out, "", 1);
	ok(strstr(out.p, "berth_revision_requests_total{service=\"web\","
			 "pod_template_hash=\"aaa\"} 4\n") != NULL,
	   "the /metrics series sums the threads");
	ok(strstr(out.p,
		  "berth_revision_request_duration_seconds_count{"
		  "service=\"web\",pod_template_hash=\"aaa\"} 3\n") != NULL,
	   "and so does the histogram");

	proxy_buf_free(&out);
	proxy_rev_free_all(slot);
	free(slot);
	pthread_mutex_destroy(&lead.lock);
	return tap_done();
}
