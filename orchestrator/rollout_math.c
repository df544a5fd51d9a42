/*
 * rollout_math.c - RollingUpdate arithmetic; no state, no I/O.
 */
#include "rollout_math.h"

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

int rollout_max_scaled_down(int replicas, int unav, int all_pods,
			    int new_pods, int new_available)
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
