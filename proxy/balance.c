/*
 * balance.c - choosing a backend: round-robin or least-conn over the
 * current endpoint array, and under a routing policy the group first
 * (stable or canary, by header routes and a weighted draw independent of
 * pod counts). Owns no state beyond the caller's cursors, random state
 * and group arrays; must not connect or change backend counters.
 */
#include <string.h>

#include "../common/xalloc.h"
#include "internal.h"

/* b's pod's requests or connections in flight, every thread's. */
static int busy_all(const struct proxy_backend *b)
{
	int n = 0;

	for (size_t i = 0; i < b->busy->n; i++)
		n += atomic_load_explicit(&b->busy->per[i].n,
					  memory_order_relaxed);
	return n;
}

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
		int best_n = 0;

		/* Ties are broken round-robin so equal backends share load. */
		for (size_t k = 0; k < n; k++) {
			size_t i = (start + k) % n;
			int bn;

			if (be[i] == avoid)
				continue;
			/* Every thread's requests count. */
			bn = busy_all(be[i]);
			if (best == (size_t)-1 || bn < best_n) {
				best = i;
				best_n = bn;
			}
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

uint64_t proxy_rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

bool proxy_draw_take(struct proxy_draw *d, int pct)
{
	uint64_t x;
	bool yes;

	if (pct <= 0)
		return false;
	if (pct >= 100)
		return true;
	if (d->left <= 0 || d->weight != pct) {
		d->weight = pct;
		d->left = 100;
		d->left_canary = pct;
	}
	/* 0..left-1 from the top 32 bits: bias below 1e-7. */
	x = (proxy_rng_next(&d->rng) >> 32) % (uint64_t)d->left;
	yes = (int)x < d->left_canary;
	d->left--;
	d->left_canary -= yes;
	return yes;
}

int proxy_route_group(const struct proxy_routeset *r, size_t n_stable,
		      size_t n_canary, bool headers_matched,
		      struct proxy_draw *d)
{
	int g;

	if (r == NULL || r->canary[0] == '\0')
		return -1;
	if (headers_matched) {
		g = 1;
	} else if (r->weight <= 0) {
		g = 0;
	} else if (r->weight >= 100) {
		g = 1;
	} else {
		g = proxy_draw_take(d, r->weight);
	}
	if (g == 1 && n_canary == 0)
		g = 0;
	else if (g == 0 && n_stable == 0)
		g = 1;
	return g;
}

void proxy_service_regroup(struct proxy_service *s)
{
	s->n_grp[0] = s->n_grp[1] = 0;
	if (s->route == NULL || s->route->canary[0] == '\0')
		return;
	for (int g = 0; g < 2; g++)
		if (s->cap_grp[g] < s->n_cur) {
			s->grp[g] =
			    xrealloc(s->grp[g], s->n_cur * sizeof(*s->grp[g]));
			s->cap_grp[g] = s->n_cur;
		}
	for (size_t i = 0; i < s->n_cur; i++) {
		struct proxy_backend *b = s->cur_be[i];
		int g = !strcmp(b->ep.revision, s->route->canary);

		s->grp[g][s->n_grp[g]++] = b;
	}
}

struct proxy_backend *proxy_service_pick(struct proxy_service *s, int g,
					 const struct proxy_backend *avoid)
{
	int i;

	if (g >= 0 && g < 2 && s->route && s->n_grp[g] > 0) {
		i = proxy_balance_pick(s->conf.balance, s->grp[g], s->n_grp[g],
				       &s->grp_rr[g], avoid);
		/* Only the avoided pod left in its group: the others
		 * answer rather than nobody. */
		if (s->grp[g][i] != avoid || s->n_cur == 1)
			return s->grp[g][i];
	}
	i = proxy_balance_pick(s->conf.balance, s->cur_be, s->n_cur, &s->rr,
			       avoid);
	return i < 0 ? NULL : s->cur_be[i];
}
