/*
 * strategy_store.c - a strategy run's state to and from the deployment
 * record (see strategy_store.h). Only the JSON form: store.c writes and
 * reads the file, canary.c and bluegreen.c decide what the state means.
 */
#include "strategy_store.h"

#include <stdio.h>
#include <string.h>

#include "bluegreen_analysis.h"
#include "clock.h"
#include "revision.h"

static json_int_t wall(int64_t mono)
{
	return mono > 0 ? (json_int_t)clock_mono_to_wall(mono) : mono;
}

static int64_t mono(json_t *v)
{
	json_int_t w = json_integer_value(v);

	return w > 0 ? clock_wall_to_mono(w) : w;
}

json_t *strategy_state_json(const struct deployment *dep)
{
	const struct canary_state *c = &dep->canary.s;
	const struct bluegreen_state *b = &dep->bg;
	json_t *j = json_object();

	if (c->hash[0])
		json_object_set_new(
		    j, "canary",
		    json_pack("{s:s, s:I, s:i, s:i, s:i, s:I, s:I, s:b, s:b, "
			      "s:i}",
			      "hash", c->hash, "step", (json_int_t)c->step,
			      "weight", c->weight, "scale", (int)c->scale,
			      "scale_value", c->scale_value, "header_step",
			      (json_int_t)c->header_step, "pause_until_ms",
			      wall(c->pause_until_mono), "aborted", c->aborted,
			      "promote_full", c->promote_full, "abort_weight",
			      c->abort_weight));
	if (c->hash[0]) {
		/* the analysis runs it waits for (analysis_store.c keeps
		 * them), the verdicts applied, and the abort's deadline */
		json_t *o = json_object_get(j, "canary");

		json_object_set_new(o, "step_run",
				    json_string(dep->canary.step_run));
		json_object_set_new(o, "step_run_step",
				    json_integer(dep->canary.step_run_step));
		json_object_set_new(o, "bg_run",
				    json_string(dep->canary.bg_run));
		json_object_set_new(o, "analysis_ok_step",
				    json_integer(c->analysis_ok_step));
		json_object_set_new(o, "held", json_boolean(c->held));
		json_object_set_new(o, "scale_down_ms",
				    json_integer(wall(c->scale_down_mono)));
	}
	if (b->active[0])
		json_object_set_new(
		    j, "bluegreen",
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:b}",
			      "active", b->active, "target", b->target, "old",
			      b->old, "phase", bg_phase_name(b->phase),
			      "ready_ms", wall(b->ready_mono), "scale_down_ms",
			      wall(b->scale_down_mono), "promote", b->promote,
			      "promote_full", b->promote_full));
	{
		json_t *runs = bluegreen_analysis_json(dep->name);

		if (runs)
			json_object_set_new(j, "bluegreen_runs", runs);
	}
	if (json_object_size(j) == 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static bool known(struct deployment *dep, const char *hash)
{
	return hash && (hash[0] == '\0' || revision_find_hash(dep, hash));
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void strategy_state_restore(struct deployment *dep, json_t *j)
{
	json_t *c = json_object_get(j, "canary");
	json_t *b = json_object_get(j, "bluegreen");

	if (json_is_object(c) && known(dep, str(c, "hash")) &&
	    str(c, "hash")[0]) {
		struct canary_state *s = &dep->canary.s;

		memset(s, 0, sizeof(*s));
		snprintf(s->hash, sizeof(s->hash), "%s", str(c, "hash"));
		s->step =
		    (size_t)json_integer_value(json_object_get(c, "step"));
		if (s->step > dep->spec->canary_steps.n)
			s->step = dep->spec->canary_steps.n;
		s->weight =
		    (int)json_integer_value(json_object_get(c, "weight"));
		s->scale = (enum canary_scale_kind)json_integer_value(
		    json_object_get(c, "scale"));
		s->scale_value =
		    (int)json_integer_value(json_object_get(c, "scale_value"));
		s->header_step =
		    (long)json_integer_value(json_object_get(c, "header_step"));
		s->pause_until_mono =
		    mono(json_object_get(c, "pause_until_ms"));
		s->aborted = json_is_true(json_object_get(c, "aborted"));
		s->promote_full =
		    json_is_true(json_object_get(c, "promote_full"));
		s->abort_weight =
		    (int)json_integer_value(json_object_get(c, "abort_weight"));
		s->analysis_ok_step =
		    json_object_get(c, "analysis_ok_step")
			? (long)json_integer_value(
			      json_object_get(c, "analysis_ok_step"))
			: -1;
		s->held = json_is_true(json_object_get(c, "held"));
		s->scale_down_mono = mono(json_object_get(c, "scale_down_ms"));
		snprintf(dep->canary.step_run, sizeof(dep->canary.step_run),
			 "%s", str(c, "step_run") ? str(c, "step_run") : "");
		dep->canary.step_run_step =
		    json_object_get(c, "step_run_step")
			? (long)json_integer_value(
			      json_object_get(c, "step_run_step"))
			: -1;
		snprintf(dep->canary.bg_run, sizeof(dep->canary.bg_run), "%s",
			 str(c, "bg_run") ? str(c, "bg_run") : "");
	}
	bluegreen_analysis_restore(dep->name,
				   json_object_get(j, "bluegreen_runs"));
	if (json_is_object(b) && known(dep, str(b, "active")) &&
	    str(b, "active")[0] && known(dep, str(b, "target")) &&
	    known(dep, str(b, "old"))) {
		struct bluegreen_state *s = &dep->bg;
		const char *phase = str(b, "phase");

		memset(s, 0, sizeof(*s));
		snprintf(s->active, sizeof(s->active), "%s", str(b, "active"));
		snprintf(s->target, sizeof(s->target), "%s", str(b, "target"));
		snprintf(s->old, sizeof(s->old), "%s", str(b, "old"));
		for (int p = BG_IDLE; p <= BG_ABORTED; p++)
			if (phase && !strcmp(phase, bg_phase_name(p)))
				s->phase = (enum bg_phase)p;
		s->ready_mono = mono(json_object_get(b, "ready_ms"));
		s->scale_down_mono = mono(json_object_get(b, "scale_down_ms"));
		s->promote = json_is_true(json_object_get(b, "promote"));
		s->promote_full =
		    json_is_true(json_object_get(b, "promote_full"));
	}
}
