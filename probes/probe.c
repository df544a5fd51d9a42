/*
 * probe.c - the probe scheduler: one uv_timer per configured probe of a
 * pod, runs that never overlap for the same probe and never wait on one
 * another, and probe_done(), the single place where every run ends. Owns
 * struct probe_set and its lifetime; must not kill, restart or route
 * anything (the owner does, from the callback).
 */
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "../runtime/netns.h"
#include "probe_impl.h"

static void set_ref(struct probe_set *set)
{
	set->refs++;
}

static void probe_free(struct probe *p)
{
	struct handler_spec *h = &p->h;
	size_t i;

	for (i = 0; i < h->exec_command.n; i++)
		free(h->exec_command.v[i]);
	free(h->exec_command.v);
	free(h->http_path);
	free(h->http_host);
	free(h->port_name);
	for (i = 0; i < h->http_headers.n; i++) {
		free(h->http_headers.v[i].key);
		free(h->http_headers.v[i].value);
	}
	free(h->http_headers.v);
	free(p->command_text);
}

static void set_unref(struct probe_set *set)
{
	int i;

	if (--set->refs > 0)
		return;
	for (i = 0; i < 3; i++)
		probe_free(&set->probes[i]);
	free(set);
}

/*
 * A port given by name is the container's port of that name, as the
 * kubelet looks it up among the container's ports (config validation has
 * filled in the number already; this is for a spec that did not pass it).
 * 0 when the container has no such port: each run then fails.
 */
static int named_port(const struct deployment_spec *spec, const char *name)
{
	if (spec->port > 0 && spec->port_name &&
	    strcmp(spec->port_name, name) == 0)
		return spec->port;
	return 0;
}

static void copy_handler(struct handler_spec *dst,
			 const struct handler_spec *src,
			 const struct deployment_spec *spec)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->kind = src->kind;
	if (src->exec_command.n > 0) {
		dst->exec_command.v =
		    xcalloc(src->exec_command.n + 1, sizeof(char *));
		for (i = 0; i < src->exec_command.n; i++)
			dst->exec_command.v[i] =
			    xstrdup(src->exec_command.v[i]);
		dst->exec_command.n = src->exec_command.n;
	}
	dst->http_path = xstrdup(src->http_path ? src->http_path : "/");
	dst->http_host = src->http_host ? xstrdup(src->http_host) : NULL;
	dst->http_port = src->http_port;
	if (src->http_headers.n > 0) {
		dst->http_headers.v =
		    xcalloc(src->http_headers.n, sizeof(struct kv));
		for (i = 0; i < src->http_headers.n; i++) {
			dst->http_headers.v[i].key =
			    xstrdup(src->http_headers.v[i].key);
			dst->http_headers.v[i].value =
			    xstrdup(src->http_headers.v[i].value);
		}
		dst->http_headers.n = src->http_headers.n;
	}
	dst->tcp_port = src->tcp_port;
	if (src->port_name) {
		dst->port_name = xstrdup(src->port_name);
		if (dst->http_port == 0)
			dst->http_port = named_port(spec, src->port_name);
		if (dst->tcp_port == 0)
			dst->tcp_port = named_port(spec, src->port_name);
	}
}

static char *join_words(const struct strv *sv)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + 1;
	s = xmalloc(len);
	s[0] = '\0';
	for (i = 0; i < sv->n; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, sv->v[i]);
	}
	return s;
}

static void on_timer_close(uv_handle_t *h)
{
	struct probe *p = h->data;

	set_unref(p->set);
}

static void on_timer(uv_timer_t *t);

static void schedule(struct probe *p)
{
	struct probe_set *set = p->set;
	uint64_t next, now;

	if (!p->configured || set->stopped)
		return;
	next = probe_sm_next(&set->sm, p->type);
	if (next == PROBE_SM_NEVER) {
		uv_timer_stop(&p->timer);
		return;
	}
	now = uv_now(set->loop);
	uv_timer_start(&p->timer, on_timer, next > now ? next - now : 0, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct probe *p = t->data;
	struct probe_set *set = p->set;

	if (set->stopped || p->run != NULL)
		return;
	probe_sm_begin(&set->sm, p->type, uv_now(set->loop));
	if ((p->h.kind == HANDLER_HTTP && p->h.http_port == 0) ||
	    (p->h.kind == HANDLER_TCP && p->h.tcp_port == 0)) {
		char msg[96];

		snprintf(msg, sizeof(msg),
			 "port \"%.20s\" not found among the container's "
			 "ports",
			 p->h.port_name ? p->h.port_name : "");
		probe_done(p, PROBE_RESULT_INTERNAL, msg);
		return;
	}
	switch (p->h.kind) {
	case HANDLER_TCP:
		probe_tcp_run(p);
		break;
	case HANDLER_HTTP:
		probe_http_run(p);
		break;
	case HANDLER_EXEC:
		probe_exec_run(p);
		break;
	default:
		probe_done(p, PROBE_RESULT_INTERNAL,
			   "unsupported probe handler");
		break;
	}
}

void probe_done(struct probe *p, enum probe_result r, const char *detail)
{
	struct probe_set *set = p->set;
	struct probe_sm_event ev[PROBE_SM_MAX_EVENTS];
	char derived[PROBE_MSG_MAX];
	int i, n;

	if (set->stopped)
		return;
	p->have_last = true;
	p->last_result = r;
	probe_result_message(p->last_msg, sizeof(p->last_msg), p->type, r,
			     detail);
	if (r != PROBE_RESULT_OK)
		log_debug("%s: %s",
			  set->target.container_id ? set->target.container_id
						   : "?",
			  p->last_msg);
	else if (detail != NULL && detail[0] != '\0')
		log_debug("%s: %s",
			  set->target.container_id ? set->target.container_id
						   : "?",
			  p->last_msg);
	n = probe_sm_finish(&set->sm, p->type, r == PROBE_RESULT_OK,
			    uv_now(set->loop), ev);
	set_ref(set); /* the callbacks may stop the set */
	if (r != PROBE_RESULT_OK && set->on_failure != NULL)
		set->on_failure(set->owner, p->type, p->last_msg);
	for (i = 0; i < n && !set->stopped; i++) {
		const char *msg = p->last_msg;

		if (ev[i].type != p->type) {
			/* Readiness implied by startup (no readiness probe). */
			snprintf(derived, sizeof(derived), "%s",
				 "Startup probe succeeded");
			msg = derived;
		}
		if (set->cb != NULL)
			set->cb(set->owner, ev[i].type, ev[i].healthy, msg);
	}
	for (i = 0; i < 3 && !set->stopped; i++)
		schedule(&set->probes[i]);
	set_unref(set);
}

int probe_target_socket(const struct probe_set *set, struct berr *err)
{
	int type = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
	int fd;

	if (!set->target.host_network)
		return rt_netns_socket(set->target.pid, AF_INET, type, err);
	fd = socket(AF_INET, type, 0);
	if (fd == -1)
		return berr_errno(err, errno, "socket");
	return fd;
}

struct probe_set *probe_set_start(uv_loop_t *loop,
				  const struct deployment_spec *spec,
				  const struct probe_target *target,
				  probe_event_cb cb, void *owner)
{
	const struct probe_spec *ps[3] = {
	    [PROBE_STARTUP] = &spec->startup_probe,
	    [PROBE_LIVENESS] = &spec->liveness_probe,
	    [PROBE_READINESS] = &spec->readiness_probe,
	};
	struct probe_set *set = xcalloc(1, sizeof(*set));
	int i;

	set->loop = loop;
	set->target = *target;
	set->cb = cb;
	set->owner = owner;
	set->refs = 1;
	probe_sm_init(&set->sm, spec, uv_now(loop));
	for (i = 0; i < 3; i++) {
		struct probe *p = &set->probes[i];

		p->set = set;
		p->type = (enum probe_type)i;
		if (!ps[i]->set)
			continue;
		p->configured = true;
		copy_handler(&p->h, &ps[i]->handler, spec);
		p->command_text = join_words(&p->h.exec_command);
		p->timeout_ms = set->sm.p[i].timeout_ms;
		uv_timer_init(loop, &p->timer);
		p->timer.data = p;
		set_ref(set);
	}
	for (i = 0; i < 3; i++)
		schedule(&set->probes[i]);
	return set;
}

void probe_set_stop(struct probe_set *set)
{
	int i;

	if (set == NULL || set->stopped)
		return;
	set->stopped = true;
	probe_sm_halt(&set->sm);
	for (i = 0; i < 3; i++) {
		struct probe *p = &set->probes[i];

		if (!p->configured)
			continue;
		if (p->run != NULL) {
			void *run = p->run;

			p->run = NULL;
			p->cancel(run);
		}
		uv_close((uv_handle_t *)&p->timer, on_timer_close);
	}
	set_unref(set);
}

void probe_set_on_failure(struct probe_set *set, probe_failure_cb cb)
{
	if (set != NULL)
		set->on_failure = cb;
}

bool probe_set_ready(const struct probe_set *set)
{
	return probe_sm_ready(&set->sm);
}
