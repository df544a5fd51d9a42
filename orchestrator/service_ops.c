/*
 * service_ops.c - `berth set selector`: validates the new selector,
 * refuses one that would leave the service without a ready endpoint
 * (unless forced), keeps it as an in-memory override and republishes the
 * endpoints at once. Must not edit the config or the applied file.
 */
#include "service_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "endpoints.h"
#include "watch.h"

static struct service_override *find(struct daemon *d, const char *name)
{
	for (struct service_override *o = d->overrides; o; o = o->next)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

const struct kvlist *service_selector(struct daemon *d,
				      const struct service_spec *svc)
{
	struct service_override *o = find(d, svc->name);

	return o ? &o->selector : &svc->selector;
}

static void override_free(struct service_override *o)
{
	free(o->name);
	kvlist_free(&o->selector);
	free(o);
}

void service_overrides_clear(struct daemon *d)
{
	while (d->overrides) {
		struct service_override *o = d->overrides;

		d->overrides = o->next;
		override_free(o);
	}
}

static void selector_text(const struct kvlist *kl, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < kl->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%s",
					i ? "," : "", kl->v[i].key,
					kl->v[i].value);
}

void service_set_selector(struct daemon *d, struct ctl_conn *c,
			  const char *name, json_t *body)
{
	const struct service_spec *svc = NULL;
	const char *text = json_string_value(json_object_get(body, "selector"));
	bool force = json_is_true(json_object_get(body, "force"));
	struct service_override *o;
	struct kvlist sel = {0};
	char **words = NULL, why[256], shown[512];
	size_t n = 0;
	int ready = 0;

	for (size_t i = 0; d->cfg && i < d->cfg->n_services; i++)
		if (!strcmp(d->cfg->services[i].name, name))
			svc = &d->cfg->services[i];
	if (svc == NULL) {
		ctl_reply_error(c, 404, "service \"%s\" not found", name);
		return;
	}
	if (text == NULL) {
		ctl_reply_error(
		    c, 400, "set selector needs {\"selector\": \"K=V,...\"}");
		return;
	}
	if (str_parse_labels(text, &words, &n, why, sizeof(why)) == -1) {
		ctl_reply_error(c, 400, "selector \"%s\": %s", text, why);
		return;
	}
	if (n == 0) {
		str_free_words(words);
		ctl_reply_error(c, 400, "selector must not be empty");
		return;
	}
	sel.v = xcalloc(n, sizeof(*sel.v));
	sel.n = n;
	for (size_t i = 0; i < n; i++) {
		sel.v[i].key = xstrdup(words[2 * i]);
		sel.v[i].value = xstrdup(words[2 * i + 1]);
	}
	str_free_words(words);
	for (struct pod *p = d->pods; p; p = p->next)
		ready += endpoints_selects(&sel, p);
	selector_text(&sel, shown, sizeof(shown));
	if (ready == 0 && !force) {
		kvlist_free(&sel);
		ctl_reply_error(c, 409,
				"selector %s matches no ready pod: service "
				"%s would have no endpoint (an outage); use "
				"--force to switch anyway",
				shown, name);
		return;
	}
	o = find(d, name);
	if (o == NULL) {
		o = xcalloc(1, sizeof(*o));
		o->name = xstrdup(name);
		o->next = d->overrides;
		d->overrides = o;
	} else {
		kvlist_free(&o->selector);
	}
	o->selector = sel;
	/* Traffic moves now, not at the next pod change. */
	endpoints_sync(d);
	watch_mark(d, WATCH_SERVICES);
	{
		char msg[128 + sizeof(shown)];

		snprintf(msg, sizeof(msg), "service/%s selector updated to %s",
			 name, shown);
		ctl_reply_json(c, 200,
			       json_pack("{s:s, s:s, s:i}", "message", msg,
					 "selector", shown, "endpoints",
					 ready));
	}
}
