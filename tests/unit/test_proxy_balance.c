/*
 * test_proxy_balance.c - round-robin and least-conn choice over endpoint
 * arrays, including the "avoid the backend that just failed" rule.
 */
#include "../../proxy/internal.h"
#include "../lib/tap.h"

int main(void)
{
	struct proxy_backend b[3] = {{0}};
	struct proxy_backend *v[3] = {&b[0], &b[1], &b[2]};
	atomic_int busy[3] = {0, 0, 0}; /* in flight, every thread's */
	unsigned rr = 0;
	int seen[3] = {0}, i;

	for (int k = 0; k < 3; k++)
		b[k].busy = &busy[k];

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

	busy[0] = 5;
	busy[1] = 1;
	busy[2] = 3;
	rr = 0;
	is_int(proxy_balance_pick(BALANCE_LEAST_CONN, v, 3, &rr, NULL), 1,
	       "least-conn picks the idlest");
	is_int(proxy_balance_pick(BALANCE_LEAST_CONN, v, 3, &rr, &b[1]), 2,
	       "least-conn skips the avoided one");
	busy[0] = busy[1] = busy[2] = 0;
	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < 6; k++)
		seen[proxy_balance_pick(BALANCE_LEAST_CONN, v, 3, &rr, NULL)]++;
	ok(seen[0] == 2 && seen[1] == 2 && seen[2] == 2,
	   "least-conn ties rotate");
	return tap_done();
}
