/* test_backoff.c - CrashLoopBackOff delays against Kubernetes' numbers. */
#include "../../orchestrator/backoff.h"
#include "../lib/tap.h"

int main(void)
{
	static const struct {
		int crashes;
		int64_t want_ms;
	} cases[] = {{0, 0},	  {1, 0},      {2, 10000},  {3, 20000},
		     {4, 40000},  {5, 80000},  {6, 160000}, {7, 300000},
		     {8, 300000}, {50, 300000}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(backoff_delay_ms(cases[i].crashes, 10, 300),
		       cases[i].want_ms, "crash %d waits %lld ms",
		       cases[i].crashes, (long long)cases[i].want_ms);
	is_int(backoff_delay_ms(3, 1, 4), 2000, "lab settings: 1 s base");
	is_int(backoff_delay_ms(9, 1, 4), 4000, "lab settings: capped at 4 s");
	ok(!backoff_resets(599999, 600), "599.999 s does not reset");
	ok(backoff_resets(600000, 600), "600 s resets");
	return tap_done();
}
