/*
 * rollout_math.c - RollingUpdate/Recreate arithmetic and the per-step plan
 * of the deployment controller; no state, no I/O. Must not look at pods
 * or the daemon: reconcile.c turns pods into counts and plans into pods.
 */
#include "rollout_math.h"

#include <stdlib.h>
#include <string.h>

int rollout_scaled(struct int_or_percent v, int total, int round_up)
{
	long long n;

	if (!v.percent)
		return v.value;
	n = (long long)v.value * total;
	if (round_up)
		return (int)((n + 99) / 100);
	return (int)(n / 100);
}

void rollout_resolve(struct int_or_percent surge, struct int_or_percent unav,
		     int replicas, int *surge_out, int *unav_out)
{
	*surge_out = rollout_scaled(surge, replicas, 1);
	*unav_out = rollout_scaled(unav, replicas, 0);
	if (*surge_out == 0 && *unav_out == 0)
		*unav_out = 1;
}

int rollout_scale_up(int replicas, int surge, int all_pods, int new_pods)
{
	int room = replicas + surge - all_pods;
	int want = replicas - new_pods;
	int n = room < want ? room : want;

	return n > 0 ? n : 0;
}

int rollout_max_scaled_down(int replicas, int unav, int all_pods, int new_pods,
			    int new_available)
{
	int min_available = replicas - unav;
	int new_unavailable = new_pods - new_available;

	return all_pods - min_available - new_unavailable;
}

int rollout_scale_down_available(int replicas, int unav, int available)
{
	int n = available - (replicas - unav);

	return n > 0 ? n : 0;
}

static int imin(int a, int b)
{
	return a < b ? a : b;
}

static void plan_recreate(const struct rollout_input *in,
			  struct rollout_plan *out)
{
	int old_active = 0;

	for (size_t i = 0; i < in->n_old; i++) {
		out->remove_other[i] = in->old[i].active;
		old_active += in->old[i].active;
	}
	if (old_active > 0) {
		out->action = ROLLOUT_SCALE_OLD;
		return;
	}
	/* Every old pod must be gone before the first new one starts. */
	if (in->old_terminating > 0) {
		out->action = ROLLOUT_WAIT_OLD_GONE;
		return;
	}
	if (in->cur.active < in->replicas) {
		out->action = ROLLOUT_SCALE_NEW;
		out->create = in->replicas - in->cur.active;
	} else if (in->cur.active > in->replicas) {
		out->action = ROLLOUT_SCALE_NEW;
		out->remove_new = in->cur.active - in->replicas;
	}
}

static void plan_rolling(const struct rollout_input *in,
			 struct rollout_plan *out)
{
	int old_active = 0, cleaned = 0, total_down, scaled = 0;

	for (size_t i = 0; i < in->n_old; i++)
		old_active += in->old[i].active;
	if (in->cur.active > in->replicas) {
		out->action = ROLLOUT_SCALE_NEW;
		out->remove_new = in->cur.active - in->replicas;
		return;
	}
	if (in->cur.active < in->replicas) {
		out->create = rollout_scale_up(in->replicas, in->surge,
					       out->all_pods, in->cur.active);
		if (out->create > 0) {
			out->action = ROLLOUT_SCALE_NEW;
			return;
		}
	}
	if (old_active == 0)
		return;
	out->max_scaled_down =
	    rollout_max_scaled_down(in->replicas, in->unav, out->all_pods,
				    in->cur.active, in->cur.available);
	if (out->max_scaled_down <= 0) {
		out->action = ROLLOUT_BLOCKED;
		return;
	}
	/* Unavailable old pods cost no availability: they go first, oldest
	 * revision first, up to maxScaledDown. */
	for (size_t i = 0; i < in->n_old; i++) {
		int n = imin(out->max_scaled_down - cleaned,
			     in->old[i].active - in->old[i].available);

		if (n <= 0)
			continue;
		out->remove_unhealthy[i] = n;
		cleaned += n;
	}
	/* Then available pods down to replicas - maxUnavailable. */
	total_down = rollout_scale_down_available(in->replicas, in->unav,
						  out->available);
	for (size_t i = 0; i < in->n_old && scaled < total_down; i++) {
		int left = in->old[i].active - out->remove_unhealthy[i];
		int n = imin(left, total_down - scaled);

		if (n <= 0)
			continue;
		out->remove_other[i] = n;
		scaled += n;
	}
	out->action =
	    cleaned + scaled > 0 ? ROLLOUT_SCALE_OLD : ROLLOUT_BLOCKED;
}

void rollout_plan_step(const struct rollout_input *in, struct rollout_plan *out)
{
	memset(out, 0, sizeof(*out));
	out->all_pods = in->cur.active;
	out->available = in->cur.available;
	for (size_t i = 0; i < in->n_old; i++) {
		out->all_pods += in->old[i].active;
		out->available += in->old[i].available;
	}
	out->max_total = in->replicas + in->surge;
	out->min_available = in->replicas - in->unav;
	if (in->strategy == STRATEGY_RECREATE)
		plan_recreate(in, out);
	else
		plan_rolling(in, out);
}

int rollout_plan_removed_old(const struct rollout_plan *p, size_t n_old)
{
	int n = 0;

	for (size_t i = 0; i < n_old; i++)
		n += p->remove_unhealthy[i] + p->remove_other[i];
	return n;
}

/* a / b rounded half away from zero, for a >= 0 and b > 0. */
static int round_div(long long a, long long b)
{
	return (int)((2 * a + b) / (2 * b));
}

/* Larger first; ties: newer first when growing, older first when
 * shrinking (ReplicaSetsBySizeNewer / ReplicaSetsBySizeOlder). */
static bool before(const int *sizes, const int *ages, size_t a, size_t b,
		   bool growing)
{
	if (sizes[a] != sizes[b])
		return sizes[a] > sizes[b];
	return growing ? ages[a] > ages[b] : ages[a] < ages[b];
}

void rollout_proportional(int old_allowed, int new_allowed, const int *sizes,
			  const int *ages, size_t n, int *delta)
{
	size_t order[ROLLOUT_MAX_OLD + 1];
	int total = 0, to_add, added = 0;
	bool growing;

	if (n > ROLLOUT_MAX_OLD + 1)
		n = ROLLOUT_MAX_OLD + 1;
	for (size_t i = 0; i < n; i++) {
		total += sizes[i];
		delta[i] = 0;
		order[i] = i;
	}
	to_add = new_allowed - total;
	if (to_add == 0 || n == 0)
		return;
	growing = to_add > 0;
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && before(sizes, ages, order[k],
						   order[k - 1], growing);
		     k--) {
			size_t t = order[k];

			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	if (old_allowed <= 0)
		old_allowed = total;
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		int fraction, allowed;

		if (sizes[i] == 0 || added == to_add)
			continue;
		if (new_allowed == 0)
			fraction = -sizes[i];
		else
			fraction = round_div((long long)sizes[i] * new_allowed,
					     old_allowed) -
				   sizes[i];
		allowed = to_add - added;
		delta[i] = growing ? imin(fraction, allowed)
				   : (fraction > allowed ? fraction : allowed);
		added += delta[i];
	}
	/* The rest goes to the biggest revision. */
	delta[order[0]] += to_add - added;
	if (sizes[order[0]] + delta[order[0]] < 0)
		delta[order[0]] = -sizes[order[0]];
}
