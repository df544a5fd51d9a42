/*
 * test_proxy_balance.c - round-robin and least-conn choice over endpoint
 * arrays, including the "avoid the backend that just failed" rule.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../common/xalloc.h"
#include "../../proxy/internal.h"
#include "../lib/tap.h"

int main(void)
{
	struct proxy_backend b[3] = {{0}};
	struct proxy_backend *v[3] = {&b[0], &b[1], &b[2]};
	/* in flight per pod, one copy per thread (two threads) */
	struct proxy_pod_busy *busy[3];
	unsigned rr = 0;
	int seen[3] = {0}, i;

	for (int k = 0; k < 3; k++) {
		busy[k] = xcalloc_aligned(PROXY_CACHE_LINE,
					  sizeof(*busy[k]) +
					      2 * sizeof(busy[k]->per[0]));
		busy[k]->n = 2;
		b[k].busy = busy[k];
		b[k].busy_mine = &busy[k]->per[0].n;
	}

	is_int(proxy_balance_pick(BALANCE_ROUND_ROBIN, v, 0, &rr, NULL), -1,
	       "no endpoint: -1");
	is_int(proxy_balance_pick(BALANCE_ROUND_ROBIN, v, 1, &rr, NULL), 0,
	       "one endpoint: always it");
	is_int(proxy_balance_pick(BALANCE_ROUND_ROBIN, v, 1, &rr, &b[0]), 0,
	       "one endpoint, even when avoided");
	rr = 0;
	for (int k = 0; k < 9; k++)
		seen[proxy_balance_pick(BALANCE_ROUND_ROBIN, v, 3, &rr,
					NULL)]++;
	ok(seen[0] == 3 && seen[1] == 3 && seen[2] == 3,
	   "round-robin spreads 9 picks 3/3/3");
	rr = 0;
	is_int(proxy_balance_pick(BALANCE_ROUND_ROBIN, v, 3, &rr, NULL), 0,
	       "round-robin starts at 0");
	is_int(proxy_balance_pick(BALANCE_ROUND_ROBIN, v, 3, &rr, NULL), 1,
	       "then 1");
	is_int(proxy_balance_pick(BALANCE_ROUND_ROBIN, v, 3, &rr, &b[2]), 0,
	       "2 avoided: 0");
	rr = 7;
	i = proxy_balance_pick(BALANCE_ROUND_ROBIN, v, 2, &rr, NULL);
	ok(i == 0 || i == 1, "cursor past a shrunk set stays in range");

	/* this thread: 1 1 3; the other thread: 4 0 0 */
	proxy_backend_busy(&b[0], 1);
	proxy_backend_busy(&b[1], 1);
	proxy_backend_busy(&b[2], 3);
	atomic_store(&busy[0]->per[1].n, 4);
	rr = 0;
	is_int(proxy_balance_pick(BALANCE_LEAST_CONN, v, 3, &rr, NULL), 1,
	       "least-conn picks the idlest, every thread's requests summed");
	is_int(proxy_balance_pick(BALANCE_LEAST_CONN, v, 3, &rr, &b[1]), 2,
	       "least-conn skips the avoided one");
	is_int(b[2].active, 3, "this thread's own count kept");
	is_int(atomic_load(&busy[2]->per[0].n), 3,
	       "and its copy in the pod's counters");
	proxy_backend_busy(&b[0], -1);
	proxy_backend_busy(&b[1], -1);
	proxy_backend_busy(&b[2], -3);
	atomic_store(&busy[0]->per[1].n, 0);
	ok((uintptr_t)&busy[0]->per[0].n % PROXY_CACHE_LINE == 0 &&
	       (uintptr_t)&busy[0]->per[1].n % PROXY_CACHE_LINE == 0,
	   "each thread's copy on a cache line of its own");
	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < 6; k++)
		seen[proxy_balance_pick(BALANCE_LEAST_CONN, v, 3, &rr, NULL)]++;
	ok(seen[0] == 2 && seen[1] == 2 && seen[2] == 2,
	   "least-conn ties rotate");
	for (int k = 0; k < 3; k++)
		free(busy[k]);
	return tap_done();
}
