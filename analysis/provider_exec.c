/*
 * provider_exec.c - the exec provider: a command in a running pod of the
 * measured revision, through the runtime's exec (runtime/exec.c, spawned
 * without blocking the loop). `result` is the exit status; without
 * conditions, 0 passes. No pod to run in, a timeout or a runtime that
 * cannot start is a measurement error.
 */
#include <stdio.h>
#include <string.h>

#include "../runtime/exec.h"
#include "internal.h"

static void on_exit_cb(void *data, int code, const char *output, bool timed_out)
{
	struct metric_run *mr = data;
	char msg[400], cond[300], out[80];
	enum analysis_phase ph;
	json_t *root;
	size_t n;

	mr->exec = NULL;
	snprintf(out, sizeof(out), "%s", output ? output : "");
	n = strcspn(out, "\n");
	out[n] = '\0';
	if (timed_out || code < 0) {
		snprintf(msg, sizeof(msg), "`%s` %s%s%s",
			 mr->m->exec_command.v[0],
			 timed_out ? "timed out" : "could not run",
			 out[0] ? ": " : "", out);
		analysis_measured(mr, ANALYSIS_ERROR, msg);
		return;
	}
	if (mr->m->success_condition == NULL &&
	    mr->m->failure_condition == NULL) {
		snprintf(msg, sizeof(msg), "`%s` exited %d%s%s",
			 mr->m->exec_command.v[0], code, out[0] ? ": " : "",
			 out);
		analysis_measured(
		    mr, code == 0 ? ANALYSIS_SUCCESSFUL : ANALYSIS_FAILED, msg);
		return;
	}
	root = json_integer(code);
	ph = analysis_conditions(mr->m, root, NULL, cond, sizeof(cond));
	json_decref(root);
	snprintf(msg, sizeof(msg), "`%s` exited %d%s", mr->m->exec_command.v[0],
		 code, cond);
	analysis_measured(mr, ph, msg);
}

void provider_exec_measure(struct metric_run *mr)
{
	struct analysis_run *r = mr->run;
	const struct analysis_env *env = &r->rs->env;
	char id[128];

	if (env->pick_container == NULL ||
	    env->pick_container(env->arg, r->owner, r->revision, id,
				sizeof(id)) == -1) {
		analysis_measured(mr, ANALYSIS_ERROR,
				  "no running pod of the revision to run the "
				  "command in");
		return;
	}
	mr->exec = rt_exec_start(env->loop, env->runtime, env->runtime_root, id,
				 mr->m->exec_command.v, mr->m->exec_command.n,
				 (unsigned)mr->m->exec_timeout_seconds * 1000u,
				 on_exit_cb, mr);
	if (mr->exec == NULL)
		analysis_measured(mr, ANALYSIS_ERROR,
				  "the runtime's exec could not start");
}

void provider_exec_cancel(struct metric_run *mr)
{
	if (mr->exec) {
		rt_exec_cancel(mr->exec);
		mr->exec = NULL;
	}
}
