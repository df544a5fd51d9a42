/*
 * probe_describe.c - kubectl-describe lines for a pod's probes and the
 * last result of each. Reads a probe_set; must not change it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "probe_impl.h"

static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* A port as kubectl shows it: its name when given by name. */
static const char *port_text(const struct handler_spec *h, int port, char *buf,
			     size_t len)
{
	if (h->port_name)
		return h->port_name;
	snprintf(buf, len, "%d", port);
	return buf;
}

static void describe_handler(char *buf, size_t len, const struct probe *p)
{
	const struct handler_spec *h = &p->h;
	char num[16];

	switch (h->kind) {
	case HANDLER_HTTP:
		append(buf, len, "http-get http://%s:%s%s%s",
		       h->http_host ? h->http_host : "",
		       port_text(h, h->http_port, num, sizeof(num)),
		       h->http_path[0] == '/' ? "" : "/", h->http_path);
		break;
	case HANDLER_TCP:
		append(buf, len, "tcp-socket :%s",
		       port_text(h, h->tcp_port, num, sizeof(num)));
		break;
	case HANDLER_EXEC:
		append(buf, len, "exec [%s]", p->command_text);
		break;
	default:
		append(buf, len, "unknown");
		break;
	}
}

static const enum probe_type order[3] = {PROBE_LIVENESS, PROBE_READINESS,
					 PROBE_STARTUP};

void probe_set_describe(const struct probe_set *set, char *buf, size_t len)
{
	char label[16];
	bool any = false;
	int i;

	if (len == 0)
		return;
	for (i = 0; i < 3; i++) {
		const struct probe *p = &set->probes[order[i]];
		const struct probe_state *st = &set->sm.p[order[i]];

		if (!p->configured)
			continue;
		any = true;
		snprintf(label, sizeof(label), "%s:", probe_type_name(p->type));
		append(buf, len, "    %-14s", label);
		describe_handler(buf, len, p);
		append(buf, len,
		       " delay=%llus timeout=%llus period=%llus #success=%d "
		       "#failure=%d\n",
		       (unsigned long long)(st->delay_ms / 1000),
		       (unsigned long long)(st->timeout_ms / 1000),
		       (unsigned long long)(st->period_ms / 1000),
		       st->success_threshold, st->failure_threshold);
	}
	if (!any)
		return;
	append(buf, len, "    Last probe results:\n");
	for (i = 0; i < 3; i++) {
		const struct probe *p = &set->probes[order[i]];

		if (!p->configured)
			continue;
		snprintf(label, sizeof(label), "%s:", probe_type_name(p->type));
		append(buf, len, "      %-12s%s\n", label,
		       p->have_last ? p->last_msg : "<none yet>");
	}
}
