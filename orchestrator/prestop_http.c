/*
 * prestop_http.c - runs an httpGet preStop hook as a one-shot startup
 * probe (failureThreshold 1): the probe engine already knows how to reach
 * a pod's network namespace, bound the wait and read a bounded answer, and
 * a startup probe reports both outcomes.
 */
#include "prestop_http.h"

#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "pod.h"

struct prestop_call {
	struct pod *pod;
	struct deployment_spec spec; /* only startup_probe is set */
	struct probe_target target;
	struct probe_set *set;
	prestop_done_cb done;
	unsigned gen;
	uv_timer_t finish;
	bool ok;
	char message[512];
};

static void call_closed(uv_handle_t *h)
{
	struct prestop_call *call = h->data;

	pod_unref(call->pod);
	free(call);
}

/* Runs outside the probe engine's callback, so stopping it is safe. */
static void on_finish(uv_timer_t *t)
{
	struct prestop_call *call = t->data;

	probe_set_stop(call->set);
	if (call->pod->phase != POD_GONE)
		call->done(call->pod, call->gen, call->ok, call->message);
	uv_close((uv_handle_t *)t, call_closed);
}

static void on_result(void *owner, enum probe_type type, bool healthy,
		      const char *message)
{
	struct prestop_call *call = owner;

	if (uv_is_active((uv_handle_t *)&call->finish))
		return;
	call->ok = healthy;
	snprintf(call->message, sizeof(call->message), "PreStop %s",
		 message && message[0] ? message : "http hook failed");
	uv_timer_start(&call->finish, on_finish, 0, 0);
}

void prestop_http(struct pod *p, const struct handler_spec *h,
		  uint64_t timeout_ms, prestop_done_cb done)
{
	struct prestop_call *call = xcalloc(1, sizeof(*call));
	struct probe_spec *ps = &call->spec.startup_probe;
	int timeout_s = (int)((timeout_ms + 999) / 1000);

	call->pod = p;
	call->done = done;
	call->gen = p->term_gen;
	ps->set = true;
	ps->handler = *h;
	ps->initial_delay_seconds = 0;
	ps->period_seconds = 3600;
	ps->timeout_seconds = timeout_s > 0 ? timeout_s : 1;
	ps->success_threshold = 1;
	ps->failure_threshold = 1;
	ps->termination_grace_period_seconds = -1;
	call->spec.network = p->spec->network;
	call->target = p->probe_target;
	call->target.runtime = p->daemon->rt.path;
	call->target.runtime_root = p->daemon->rt.root;
	call->target.container_id = p->name;
	call->target.pid = p->pid;
	call->target.host_network = p->spec->network == NET_HOST;
	uv_timer_init(p->daemon->loop, &call->finish);
	call->finish.data = call;
	call->set = probe_set_start(p->daemon->loop, &call->spec, &call->target,
				    on_result, call);
}
