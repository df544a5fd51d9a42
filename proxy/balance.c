/*
 * balance.c - choosing a backend: round-robin or least-conn over the
 * current endpoint array. Pure; owns no state beyond the caller's cursor
 * and must not connect or change backend counters.
 */
#include "internal.h"

int proxy_balance_pick(enum service_balance mode,
		       struct proxy_backend *const *be, size_t n, unsigned *rr,
		       const struct proxy_backend *avoid)
{
	size_t start, best = (size_t)-1;

	if (n == 0)
		return -1;
	if (n == 1)
		return 0;
	start = (size_t)(*rr % n);
	if (mode == BALANCE_LEAST_CONN) {
		/* Ties are broken round-robin so equal backends share load. */
		for (size_t k = 0; k < n; k++) {
			size_t i = (start + k) % n;

			if (be[i] == avoid)
				continue;
			if (best == (size_t)-1 ||
			    be[i]->active < be[best]->active)
				best = i;
		}
		(*rr)++;
		return (int)best;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = (start + k) % n;

		if (be[i] == avoid)
			continue;
		*rr = (unsigned)(i + 1);
		return (int)i;
	}
	return (int)start;
}
