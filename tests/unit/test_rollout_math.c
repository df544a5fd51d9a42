/*
 * test_rollout_math.c - the RollingUpdate / Recreate arithmetic and the
 * controller's per-step plan against a table of cases, including the
 * worked examples of the Kubernetes deployment controller.
 */
#include <string.h>

#include "../../orchestrator/rollout_math.h"
#include "../lib/tap.h"

static struct int_or_percent num(int v)
{
	return (struct int_or_percent){.value = v, .percent = false};
}

static struct int_or_percent pct(int v)
{
	return (struct int_or_percent){.value = v, .percent = true};
}

static void test_resolve(void)
{
	static const struct {
		struct int_or_percent surge, unav;
		int replicas, want_surge, want_unav;
		const char *what;
	} cases[] = {
	    {{25, true}, {25, true}, 4, 1, 1, "25%/25% of 4"},
	    {{25, true},
	     {25, true},
	     10,
	     3,
	     2,
	     "25% of 10: surge up, unav down"},
	    {{1, true}, {0, true}, 2, 1, 0, "fence-post 1%/0% of 2"},
	    {{25, true}, {1, true}, 2, 1, 0, "fence-post 25%/1% of 2"},
	    {{0, true}, {1, true}, 2, 0, 1, "0%/1% of 2: both zero -> unav 1"},
	    {{0, false}, {0, true}, 5, 0, 1, "0/0% -> unav 1"},
	    {{3, false}, {2, false}, 10, 3, 2, "absolute 3/2"},
	    {{50, true}, {50, true}, 3, 2, 1, "50% of 3"},
	    {{100, true}, {0, false}, 3, 3, 0, "100% surge"},
	    {{0, false}, {100, true}, 3, 0, 3, "100% unavailable"},
	    {{25, true}, {25, true}, 0, 0, 1, "0 replicas"},
	    {{10, true}, {10, true}, 9, 1, 0, "10% of 9: 0.9 up 1, down 0"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int s, u;

		rollout_resolve(cases[i].surge, cases[i].unav,
				cases[i].replicas, &s, &u);
		ok(s == cases[i].want_surge && u == cases[i].want_unav,
		   "resolve %s -> surge %d unav %d", cases[i].what,
		   cases[i].want_surge, cases[i].want_unav);
		if (s != cases[i].want_surge || u != cases[i].want_unav)
			printf("#   got surge %d unav %d\n", s, u);
	}
	is_int(rollout_scaled(pct(33), 10, 1), 4, "33%% of 10 rounds up to 4");
	is_int(rollout_scaled(pct(33), 10, 0), 3,
	       "33%% of 10 rounds down to 3");
	is_int(rollout_scaled(num(7), 10, 0), 7,
	       "absolute values pass through");
}

/* A tiny world of pod counts per revision: index 0 is the newest. */
struct world {
	int active[4], available[4];
	int n;		/* revisions: [0] new, [1..] old, oldest last */
	bool new_ready; /* pods of the new revision become available */
};

static void fill_input(const struct world *w, struct rollout_input *in,
		       enum strategy_type st, int replicas, int surge, int unav)
{
	memset(in, 0, sizeof(*in));
	in->strategy = st;
	in->replicas = replicas;
	in->surge = surge;
	in->unav = unav;
	in->cur.active = w->active[0];
	in->cur.available = w->available[0];
	/* input order: oldest first */
	for (int i = w->n - 1; i >= 1; i--) {
		in->old[in->n_old].active = w->active[i];
		in->old[in->n_old].available = w->available[i];
		in->n_old++;
	}
}

/* Applies a plan at once (pods start/terminate instantly), then lets new
 * pods become available when the world says so. */
static void apply_plan(struct world *w, const struct rollout_plan *p)
{
	size_t k = 0;

	w->active[0] += p->create - p->remove_new;
	if (w->available[0] > w->active[0])
		w->available[0] = w->active[0];
	for (int i = w->n - 1; i >= 1; i--, k++) {
		int unhealthy = p->remove_unhealthy[k];
		int other = p->remove_other[k];
		int unavail = w->active[i] - w->available[i];
		int other_unavail =
		    other < unavail - unhealthy ? other : unavail - unhealthy;

		w->active[i] -= unhealthy + other;
		if (other_unavail < 0)
			other_unavail = 0;
		w->available[i] -= other - other_unavail;
	}
	if (w->new_ready)
		w->available[0] = w->active[0];
}

static void test_worked_example(void)
{
	/* rolling.go: 10 replicas, maxUnavailable 2, maxSurge 3. */
	struct world w = {.active = {0, 10}, .available = {0, 10}, .n = 2};
	struct rollout_input in;
	struct rollout_plan p;

	fill_input(&w, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(p.action, ROLLOUT_SCALE_NEW,
	       "k8s example: first step scales up");
	is_int(p.create, 3, "k8s example: new revision to 3 (13 allowed)");
	apply_plan(&w, &p);

	fill_input(&w, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(p.action, ROLLOUT_SCALE_OLD,
	       "k8s example: then scales old down");
	is_int(p.max_scaled_down, 2, "maxScaledDown = 13 - 8 - 3 = 2");
	is_int(p.remove_other[0], 2, "old revision 10 -> 8");
	apply_plan(&w, &p);
	is_int(w.active[1], 8, "old at 8");

	fill_input(&w, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(p.create, 2, "k8s example: new revision 3 -> 5");
	apply_plan(&w, &p);
	is_int(w.active[0], 5, "new at 5");

	/* The new pods crash-loop: 13 - 8 - 5 = 0, nothing more happens. */
	fill_input(&w, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(p.action, ROLLOUT_BLOCKED, "never-ready new revision: blocked");
	is_int(p.max_scaled_down, 0, "maxScaledDown 13 - 8 - 5 = 0");
	is_int(rollout_plan_removed_old(&p, in.n_old), 0,
	       "stalled: no old pod removed");
	is_int(p.create, 0, "stalled: no new pod created");
	/* One old pod fails too: still nothing goes. */
	w.available[1] = 7;
	fill_input(&w, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(rollout_plan_removed_old(&p, in.n_old), 0,
	       "stalled even with an unhealthy old pod (13-8-5 = 0)");
	w.available[1] = 8;

	/* Case 2, rollover: a third template while 8 old + 5 broken. */
	struct world r = {.active = {0, 5, 8}, .available = {0, 0, 8}, .n = 3};

	r.new_ready = true;
	fill_input(&r, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(p.create, 0, "rollover: new revision starts at 0 (13 present)");
	is_int(p.max_scaled_down, 5, "rollover: maxScaledDown 13 - 8 - 0 = 5");
	is_int(p.remove_unhealthy[0], 0, "rollover: oldest revision healthy");
	is_int(p.remove_unhealthy[1], 5,
	       "rollover: the 5 broken pods go first");
	is_int(p.remove_other[0] + p.remove_other[1], 0,
	       "rollover: no available pod goes (8 = minAvailable)");
	apply_plan(&r, &p);
	fill_input(&r, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(p.create, 5, "rollover: newest revision scales up by 5");

	/* Case 1, undo: the old template becomes the new revision; its 8
	 * available pods count as new, the 5 broken ones are old. */
	struct world u = {.active = {8, 5}, .available = {8, 0}, .n = 2};

	u.new_ready = true;
	fill_input(&u, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(p.create, 0, "undo: no room to scale up (13 present)");
	is_int(p.max_scaled_down, 5, "undo: 13 - 8 - 0 = 5");
	is_int(p.remove_unhealthy[0], 5, "undo: broken pods scaled down");
	apply_plan(&u, &p);
	fill_input(&u, &in, STRATEGY_ROLLING_UPDATE, 10, 3, 2);
	rollout_plan_step(&in, &p);
	is_int(p.create, 2, "undo: then back up to 10");
}

/* Runs a whole rollout and checks the SPEC invariants at every step. */
static void run_rollout(const char *what, int replicas, int surge, int unav,
			enum strategy_type st)
{
	struct world w = {.active = {0, replicas},
			  .available = {0, replicas},
			  .n = 2,
			  .new_ready = true};
	bool over = false, under = false, overlap = false;
	int steps = 0;

	for (; steps < 100; steps++) {
		struct rollout_input in;
		struct rollout_plan p;

		fill_input(&w, &in, st, replicas, surge, unav);
		rollout_plan_step(&in, &p);
		if (p.action == ROLLOUT_NOTHING)
			break;
		apply_plan(&w, &p);
		if (w.active[0] + w.active[1] > replicas + surge)
			over = true;
		/* availability is judged before new pods become ready: the
		 * apply step made them ready at once, so check old+new */
		if (st != STRATEGY_RECREATE &&
		    w.available[0] + w.available[1] < replicas - unav)
			under = true;
		if (st == STRATEGY_RECREATE && w.active[0] > 0 &&
		    w.active[1] > 0)
			overlap = true;
	}
	ok(w.active[0] == replicas && w.active[1] == 0,
	   "%s: completes (%d steps)", what, steps);
	ok(!over, "%s: never above replicas + maxSurge", what);
	ok(!under, "%s: never below replicas - maxUnavailable", what);
	ok(!overlap, "%s: revisions never overlap", what);
}

static void test_full_rollouts(void)
{
	int s, u;

	rollout_resolve(pct(25), pct(25), 4, &s, &u);
	run_rollout("4 replicas 25%/25%", 4, s, u, STRATEGY_ROLLING_UPDATE);
	run_rollout("10 replicas 3/2", 10, 3, 2, STRATEGY_ROLLING_UPDATE);
	run_rollout("3 replicas surge 1 unav 0", 3, 1, 0,
		    STRATEGY_ROLLING_UPDATE);
	run_rollout("3 replicas surge 0 unav 1", 3, 0, 1,
		    STRATEGY_ROLLING_UPDATE);
	run_rollout("1 replica surge 1 unav 0", 1, 1, 0,
		    STRATEGY_ROLLING_UPDATE);
	run_rollout("4 replicas Recreate", 4, 0, 0, STRATEGY_RECREATE);
}

static void test_recreate(void)
{
	struct rollout_input in = {.strategy = STRATEGY_RECREATE,
				   .replicas = 3};
	struct rollout_plan p;

	in.n_old = 2;
	in.old[0] = (struct rollout_count){2, 2};
	in.old[1] = (struct rollout_count){1, 0};
	rollout_plan_step(&in, &p);
	is_int(p.action, ROLLOUT_SCALE_OLD, "Recreate: old pods go first");
	is_int(p.remove_other[0] + p.remove_other[1], 3,
	       "Recreate: every old pod goes at once");
	is_int(p.create, 0, "Recreate: no new pod while old ones run");
	in.old[0] = in.old[1] = (struct rollout_count){0, 0};
	in.old_terminating = 1;
	rollout_plan_step(&in, &p);
	is_int(p.action, ROLLOUT_WAIT_OLD_GONE,
	       "Recreate: waits while an old pod is terminating");
	is_int(p.create, 0, "Recreate: nothing created while waiting");
	in.old_terminating = 0;
	rollout_plan_step(&in, &p);
	is_int(p.create, 3, "Recreate: then all new pods at once");
}

static void test_scale_within_rollout(void)
{
	struct rollout_input in = {.strategy = STRATEGY_ROLLING_UPDATE,
				   .replicas = 2,
				   .surge = 1,
				   .unav = 0};
	struct rollout_plan p;

	in.cur = (struct rollout_count){4, 4};
	rollout_plan_step(&in, &p);
	is_int(p.remove_new, 2, "scale down: new revision above replicas");
	in.cur = (struct rollout_count){1, 1};
	rollout_plan_step(&in, &p);
	is_int(p.create, 1, "scale up without old pods: to replicas");
	/* unhealthy old pods go before healthy ones, oldest revision first */
	in.replicas = 4;
	in.surge = 0;
	in.unav = 1;
	in.cur = (struct rollout_count){2, 2};
	in.n_old = 2;
	in.old[0] = (struct rollout_count){1, 0};
	in.old[1] = (struct rollout_count){1, 1};
	rollout_plan_step(&in, &p);
	is_int(p.remove_unhealthy[0], 1, "unhealthy oldest pod first");
	is_int(p.remove_other[1], 0,
	       "available pods kept: 3 available = replicas - unav");
	/* both zero in config would be unav 1: with unav 0 and surge 0 the
	 * rollout cannot move (why the controller forces unav to 1) */
	struct rollout_input z = {.strategy = STRATEGY_ROLLING_UPDATE,
				  .replicas = 2};

	z.n_old = 1;
	z.old[0] = (struct rollout_count){2, 2};
	rollout_plan_step(&z, &p);
	is_int(p.action, ROLLOUT_BLOCKED, "surge 0 unav 0 would block");
}

static void test_proportional(void)
{
	/* The Kubernetes docs' example: 10 replicas, maxSurge 3, old 8 and
	 * new 5 (never ready); scaled to 15: 18 allowed, 5 more pods, 3 to
	 * the old revision and 2 to the new one. */
	int sizes[2] = {8, 5}, ages[2] = {1, 2}, delta[2];

	rollout_proportional(13, 18, sizes, ages, 2, delta);
	is_int(delta[0], 3, "proportional up: old revision +3");
	is_int(delta[1], 2, "proportional up: new revision +2");

	rollout_proportional(13, 8, sizes, ages, 2, delta);
	is_int(delta[0] + delta[1], -5, "proportional down: 5 fewer pods");
	is_int(delta[0], -3, "proportional down: old 8 -> 5");
	is_int(delta[1], -2, "proportional down: new 5 -> 3");

	rollout_proportional(13, 0, sizes, ages, 2, delta);
	ok(delta[0] == -8 && delta[1] == -5, "scale to 0: every revision to 0");

	int one[1] = {4}, age1[1] = {1}, d1[1];

	rollout_proportional(5, 3, one, age1, 1, d1);
	is_int(d1[0], -1, "single revision: 4 pods -> 3 allowed");
}

int main(void)
{
	test_resolve();
	test_worked_example();
	test_full_rollouts();
	test_recreate();
	test_scale_within_rollout();
	test_proportional();
	return tap_done();
}
