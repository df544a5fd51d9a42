/*
 * probe_exec.c - exec probes: the command runs in the container through
 * the runtime (runtime/exec.c), output kept for the message, exit 0 is
 * success. On timeout the runtime layer kills the command and the
 * runtime's exec. Owns one run's bookkeeping; must not spawn, reap or kill
 * anything itself nor apply thresholds (probe_done does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "../runtime/exec.h"
#include "probe.h"
#include "probe_impl.h"

struct exec_run {
	struct probe *p;
	struct rt_exec *x;
	char *command;
};

void probe_set_exec_dir(const char *dir)
{
	rt_exec_set_pid_dir(dir);
}

/* Output without trailing newlines, as a one-line message. */
static void trim(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
}

static void on_exec_done(void *arg, int code, const char *output,
			 bool timed_out)
{
	struct exec_run *r = arg;
	struct probe *p = r->p;
	char *out = xstrdup(output ? output : "");
	struct probe_result_ctx ctx = {
	    .command = r->command, .code = code, .output = out};
	enum probe_result res = timed_out   ? PROBE_RESULT_TIMEOUT
				: code < 0  ? PROBE_RESULT_EXEC_ERROR
				: code != 0 ? PROBE_RESULT_EXEC_EXIT
					    : PROBE_RESULT_OK;
	char detail[PROBE_MSG_MAX];

	if (strlen(out) > PROBE_OUTPUT_MAX)
		out[PROBE_OUTPUT_MAX] = '\0';
	trim(out);
	if (res == PROBE_RESULT_TIMEOUT || res == PROBE_RESULT_OK)
		ctx.output = NULL;
	p->run = NULL;
	probe_result_detail(detail, sizeof(detail), res, &ctx);
	free(out);
	free(r->command);
	free(r);
	probe_done(p, res, detail);
}

static void run_cancel(void *run)
{
	struct exec_run *r = run;

	rt_exec_cancel(r->x);
	free(r->command);
	free(r);
}

void probe_exec_run(struct probe *p)
{
	const struct probe_target *t = &p->set->target;
	struct exec_run *r;

	if (p->h.exec_command.n == 0 || t->runtime == NULL ||
	    t->container_id == NULL) {
		probe_done(p, PROBE_RESULT_EXEC_ERROR,
			   "no command, runtime or container to exec in");
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->p = p;
	r->command = xstrdup(p->command_text);
	p->run = r;
	p->cancel = run_cancel;
	r->x = rt_exec_start(p->set->loop, t->runtime, t->runtime_root,
			     t->container_id, p->h.exec_command.v,
			     p->h.exec_command.n, (unsigned)p->timeout_ms,
			     on_exec_done, r);
}
