/*
 * test_canary_steps.c - the Canary step machine (orchestrator/
 * canary_steps.c) with a hand-driven clock: setWeight waits for its
 * canary pods before the weight moves, timed and indefinite pauses,
 * setCanaryScale and setHeaderRoute, promote and promote --full, abort
 * (weight 0, no pods, no header route) and retry, canary pod counts
 * rounded up as Argo Rollouts rounds them; analysis steps waiting for
 * their run's verdict, and a run held by an Inconclusive one.
 */
#include <string.h>

#include "../../orchestrator/canary_steps.h"
#include "../lib/tap.h"

static struct canary_step step(enum canary_step_kind k, int v, int64_t pause)
{
	struct canary_step s = {0};

	s.kind = k;
	s.value = v;
	s.pause_seconds = pause;
	return s;
}

int main(void)
{
	struct canary_step v[8];
	struct canary_steps st = {v, 0};
	struct canary_state s;
	struct canary_input in = {&st, 10, 0, 1000};
	struct canary_output o;

	v[st.n++] = step(CANARY_SET_WEIGHT, 20, 0);
	v[st.n++] = step(CANARY_PAUSE, 0, 30);
	v[st.n++] = step(CANARY_SET_WEIGHT, 50, 0);
	v[st.n++] = step(CANARY_PAUSE, 0, -1);

	canary_begin(&s, "abc");
	is_int(canary_replicas_for(&s, 5, 10), 1, "5 %% of 10 rounds up to 1");
	is_int(canary_replicas_for(&s, 41, 10), 5,
	       "41 %% of 10: 5 (rounded up)");
	is_int(canary_replicas_for(&s, 0, 10), 0, "0 %%: no canary pod");

	canary_advance(&s, &in, &o);
	is_int(s.step, 0, "setWeight 20 waits while its pods are not there");
	is_int(s.weight, 0, "the weight stays 0 meanwhile");
	is_int(o.canary_replicas, 2, "2 canary pods wanted (20 %% of 10)");
	ok(!o.done && o.n_notes == 0, "nothing happened yet");

	in.canary_available = 2;
	canary_advance(&s, &in, &o);
	is_int(s.weight, 20, "pods available: weight 20");
	is_int(s.step, 1, "step 2 (pause 30) in progress");
	is_int((int)o.wake_mono, 31000, "wake at the end of the pause");
	is_int(o.canary_replicas, 2, "still 2 canary pods");
	ok(o.n_notes == 2 && strstr(o.notes[0], "Step 1/4 setWeight 20") &&
	       strstr(o.notes[0], "weight 20 %") &&
	       strstr(o.notes[1], "Step 2/4 pause 30s: paused"),
	   "the notes state step, weight and pods: %s | %s", o.notes[0],
	   o.notes[1]);

	in.now_mono = 30999;
	canary_advance(&s, &in, &o);
	is_int(s.step, 1, "1 ms before the end: still pausing");
	is_int(o.n_notes, 0, "and no repeated note");
	in.now_mono = 31000;
	canary_advance(&s, &in, &o);
	is_int(s.step, 2, "at the end: setWeight 50");
	is_int(s.weight, 20, "weight 50 waits for 5 pods");
	is_int(o.canary_replicas, 5, "5 canary pods wanted");
	in.canary_available = 5;
	canary_advance(&s, &in, &o);
	is_int(s.weight, 50, "then weight 50");
	is_int(s.step, 3, "indefinite pause in progress");
	is_int((int)s.pause_until_mono, -1, "until promoted");
	is_int((int)o.wake_mono, 0, "no wake for it");
	in.now_mono = 10000000;
	canary_advance(&s, &in, &o);
	is_int(s.step, 3, "hours later: still paused");

	canary_promote(&s, &st, false);
	canary_advance(&s, &in, &o);
	ok(o.done && s.step == 4, "promote: the pause passes, every step done");
	is_int(o.canary_replicas, 10, "done: the canary scales to replicas");

	/* abort and retry */
	canary_begin(&s, "abc");
	in.canary_available = 2;
	in.now_mono = 0;
	canary_advance(&s, &in, &o);
	is_int(s.weight, 20, "new run: weight 20");
	canary_abort(&s, 0);
	canary_advance(&s, &in, &o);
	ok(s.weight == 0 && o.canary_replicas == 0 && !o.done && !o.keep_canary,
	   "abort: weight 0, no canary pod, not done");
	canary_retry(&s);
	canary_advance(&s, &in, &o);
	in.now_mono = 1000;
	canary_abort(&s, 31000);
	canary_advance(&s, &in, &o);
	ok(s.weight == 0 && o.keep_canary && o.wake_mono == 31000,
	   "abort with a delay: weight 0, the canary pods kept until 31 s");
	canary_abort(&s, 99000);
	is_int((int)s.scale_down_mono, 31000,
	       "a second abort keeps the first "
	       "deadline");
	in.now_mono = 31000;
	canary_advance(&s, &in, &o);
	ok(!o.keep_canary && o.canary_replicas == 0 && o.wake_mono == 0,
	   "at the deadline: no canary pod");
	in.now_mono = 0;
	canary_promote(&s, &st, true);
	canary_advance(&s, &in, &o);
	ok(!o.done && s.weight == 0, "an aborted run is not promoted");
	canary_retry(&s);
	ok(!s.aborted && s.step == 0 && s.weight == 0 && !strcmp(s.hash, "abc"),
	   "retry: from step 1 again, same revision");
	canary_advance(&s, &in, &o);
	is_int(s.weight, 20, "and the steps run again");

	/* promote --full */
	canary_promote(&s, &st, true);
	canary_advance(&s, &in, &o);
	ok(o.done && o.canary_replicas == 10, "promote --full: done at once");

	/* promote while a setWeight waits for pods: its weight is taken */
	canary_begin(&s, "abc");
	in.canary_available = 0;
	canary_advance(&s, &in, &o);
	canary_promote(&s, &st, false);
	is_int(s.weight, 20, "promote on a waiting setWeight: weight taken");
	is_int(s.step, 1, "and the step passes");

	/* setCanaryScale and setHeaderRoute */
	st.n = 0;
	v[st.n++] = step(CANARY_SET_CANARY_SCALE, 1, 0);
	v[st.n - 1].scale = CANARY_SCALE_REPLICAS;
	v[st.n++] = step(CANARY_SET_HEADER_ROUTE, 0, 0);
	v[st.n - 1].header = "X-Canary";
	v[st.n - 1].header_value = "yes";
	v[st.n++] = step(CANARY_SET_WEIGHT, 50, 0);
	v[st.n++] = step(CANARY_PAUSE, 0, -1);
	v[st.n++] = step(CANARY_SET_HEADER_ROUTE, 0, 0);
	v[st.n++] = step(CANARY_PAUSE, 0, -1);
	canary_begin(&s, "abc");
	in.canary_available = 0;
	canary_advance(&s, &in, &o);
	ok(s.step == 2 && s.header_step == 1 && o.canary_replicas == 1,
	   "setCanaryScale replicas 1, header route set, setWeight 50 wants "
	   "1 pod (%d)",
	   o.canary_replicas);
	in.canary_available = 1;
	canary_advance(&s, &in, &o);
	ok(s.weight == 50 && s.step == 3,
	   "weight 50 with 1 canary pod of 10 replicas");
	canary_promote(&s, &st, false);
	canary_advance(&s, &in, &o);
	ok(s.header_step == -1 && s.step == 5, "header route removed");
	canary_abort(&s, 0);
	canary_advance(&s, &in, &o);
	ok(s.header_step == -1 && s.weight == 0 && o.canary_replicas == 0,
	   "abort clears weight, route and pods");

	/* no steps: done at once (Argo promotes at once) */
	st.n = 0;
	canary_begin(&s, "abc");
	canary_advance(&s, &in, &o);
	ok(o.done, "no steps: done at once");

	/* a header route with weight 0 still needs a pod */
	st.n = 0;
	v[st.n++] = step(CANARY_SET_HEADER_ROUTE, 0, 0);
	v[st.n - 1].header = "X-Canary";
	v[st.n - 1].header_value = "yes";
	v[st.n++] = step(CANARY_PAUSE, 0, -1);
	canary_begin(&s, "abc");
	canary_advance(&s, &in, &o);
	is_int(o.canary_replicas, 1,
	       "header route at weight 0: one canary pod to route to");
	{
		/* setWeight 20, analysis, setWeight 50 */
		struct canary_step w[3];
		struct canary_steps a = {w, 3};

		w[0] = step(CANARY_SET_WEIGHT, 20, 0);
		w[1] = step(CANARY_ANALYSIS, 0, 0);
		w[2] = step(CANARY_SET_WEIGHT, 50, 0);
		in.steps = &a;
		in.canary_available = 10;
		in.now_mono = 1000;
		canary_begin(&s, "def");
		canary_advance(&s, &in, &o);
		is_int(s.step, 1, "analysis step in progress");
		is_int(s.weight, 20, "at weight 20");
		ok(o.analysis_wait && !o.done, "it waits for its run");
		in.now_mono = 10000000;
		canary_advance(&s, &in, &o);
		ok(s.step == 1 && o.analysis_wait,
		   "hours later: still waiting (no clock passes it)");
		s.analysis_ok_step = 0;
		canary_advance(&s, &in, &o);
		is_int(s.step, 1, "a verdict for another step passes nothing");
		s.analysis_ok_step = 1;
		canary_advance(&s, &in, &o);
		ok(s.step == 3 && s.weight == 50 && o.done,
		   "Successful: the step passes, weight 50, done");
		ok(o.n_notes >= 1 && strstr(o.notes[0], "Step 2/3 analysis: "
							"Successful"),
		   "the note says so: %s", o.notes[0]);

		/* Inconclusive: held, promote passes the analysis step. */
		canary_begin(&s, "def");
		canary_advance(&s, &in, &o);
		s.held = true;
		canary_advance(&s, &in, &o);
		ok(s.step == 1 && !o.analysis_wait,
		   "held: nothing moves, no run is asked for");
		is_int(o.canary_replicas, 2, "held: the canary keeps its pods");
		canary_promote(&s, &a, false);
		ok(!s.held && s.step == 2, "promote: held no more, the "
					   "analysis step passes");
		canary_advance(&s, &in, &o);
		ok(s.weight == 50 && o.done, "then the steps go on");

		/* Held on another step (a background run): promote only
		 * releases it. */
		canary_begin(&s, "def");
		s.held = true;
		canary_advance(&s, &in, &o);
		is_int(s.step, 0, "held before the first step");
		canary_promote(&s, &a, false);
		ok(!s.held && s.step == 0,
		   "promote releases the hold, the step is taken as usual");
		canary_abort(&s, 0);
		ok(!s.held && s.weight == 0, "abort: no hold, weight 0");
		in.steps = &st; /* a lives in this block only */
	}

	/* a mirror route: its percentage, a pod at weight 0, removed and
	 * cleared by an abort */
	st.n = 0;
	v[st.n++] = step(CANARY_SET_MIRROR_ROUTE, 30, 0);
	v[st.n++] = step(CANARY_PAUSE, 0, -1);
	v[st.n++] = step(CANARY_SET_MIRROR_ROUTE, 0, 0);
	v[st.n++] = step(CANARY_PAUSE, 0, -1);
	canary_begin(&s, "abc");
	canary_advance(&s, &in, &o);
	ok(s.mirror == 30 && s.weight == 0 && s.step == 1,
	   "setMirrorRoute 30: mirror 30 %%, weight still 0");
	is_int(o.canary_replicas, 1,
	       "mirror route at weight 0: one canary pod to copy to");
	ok(o.n_notes == 2 && strstr(o.notes[0], "setMirrorRoute 30") &&
	       strstr(o.notes[0], "answers discarded"),
	   "the note names the mirror: %s", o.notes[0]);
	canary_promote(&s, &st, false);
	canary_advance(&s, &in, &o);
	ok(s.mirror == 0 && s.step == 3, "setMirrorRoute alone removes it");
	canary_begin(&s, "abc");
	canary_advance(&s, &in, &o);
	canary_abort(&s, 0);
	canary_advance(&s, &in, &o);
	ok(s.mirror == 0 && o.canary_replicas == 0,
	   "abort clears the mirror and its pod");
	return tap_done();
}
