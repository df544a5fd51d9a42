/*
 * service_ops.c - `berth set selector`: validates the new selector,
 * refuses one that would leave the service without a ready endpoint
 * (unless forced), keeps it as an override (in memory and in
 * STATE_DIR/selectors.json, so a daemon restart does not move traffic
 * back) and republishes the endpoints at once. Must not edit the config
 * or the applied file.
 */
#include "service_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "endpoints.h"
#include "store.h"
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
	free(o->configured);
	kvlist_free(&o->selector);
	free(o);
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

/* "k=v,..." into sel; -1 with why filled on a bad or empty selector. */
static int parse_selector(const char *text, struct kvlist *sel, char *why,
			  size_t len)
{
	char **words = NULL;
	size_t n = 0;

	memset(sel, 0, sizeof(*sel));
	if (str_parse_labels(text, &words, &n, why, len) == -1)
		return -1;
	if (n == 0) {
		str_free_words(words);
		snprintf(why, len, "must not be empty");
		return -1;
	}
	sel->v = xcalloc(n, sizeof(*sel->v));
	sel->n = n;
	for (size_t i = 0; i < n; i++) {
		sel->v[i].key = xstrdup(words[2 * i]);
		sel->v[i].value = xstrdup(words[2 * i + 1]);
	}
	str_free_words(words);
	return 0;
}

static const struct service_spec *find_spec(struct daemon *d, const char *name)
{
	for (size_t i = 0; d->cfg && i < d->cfg->n_services; i++)
		if (!strcmp(d->cfg->services[i].name, name))
			return &d->cfg->services[i];
	return NULL;
}

static char *selectors_path(struct daemon *d)
{
	return xasprintf("%s/selectors.json", d->state_dir);
}

int service_overrides_save(struct daemon *d)
{
	cleanup_free char *path = selectors_path(d);
	struct berr err = BERR_INIT;
	json_t *all;
	char *text, shown[512];
	int rc = 0;

	if (d->overrides == NULL) {
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("state: remove %s", path);
		return 0;
	}
	all = json_object();
	for (struct service_override *o = d->overrides; o; o = o->next) {
		selector_text(&o->selector, shown, sizeof(shown));
		json_object_set_new(all, o->name,
				    json_pack("{s:s, s:s}", "selector", shown,
					      "configured", o->configured));
	}
	text = json_dumps(all, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(all);
	if (text == NULL)
		rc = berr_set(&err, "cannot encode %s", path);
	else
		rc = file_write_atomic(path, text, strlen(text), 0600, &err);
	if (rc == -1)
		store_write_failed(d, "daemon/berth", &err);
	free(text);
	return rc;
}

static void install(struct daemon *d, const char *name, struct kvlist sel,
		    const char *configured)
{
	struct service_override *o = find(d, name);

	if (o == NULL) {
		o = xcalloc(1, sizeof(*o));
		o->name = xstrdup(name);
		o->next = d->overrides;
		d->overrides = o;
	} else {
		kvlist_free(&o->selector);
		free(o->configured);
	}
	o->selector = sel;
	o->configured = xstrdup(configured);
}

void service_overrides_free(struct daemon *d)
{
	while (d->overrides) {
		struct service_override *o = d->overrides;

		d->overrides = o->next;
		override_free(o);
	}
}

void service_overrides_clear(struct daemon *d)
{
	bool had = d->overrides != NULL;

	service_overrides_free(d);
	if (had)
		service_overrides_save(d);
}

json_t *service_overrides_load(struct daemon *d)
{
	cleanup_free char *path = selectors_path(d);
	json_error_t jerr;
	json_t *j;

	if (access(path, F_OK) == -1)
		return NULL;
	j = json_load_file(path, 0, &jerr);
	if (!json_is_object(j)) {
		log_warnx("state: %s: %s: selector overrides dropped", path,
			  j ? "not an object" : jerr.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

void service_overrides_restore(struct daemon *d, json_t *records)
{
	const char *name;
	json_t *rec;

	if (records == NULL) {
		service_overrides_save(
		    d); /* a record the start-up apply did not see */
		return;
	}
	json_object_foreach(records, name, rec)
	{
		const char *text =
		    json_string_value(json_object_get(rec, "selector"));
		const char *was =
		    json_string_value(json_object_get(rec, "configured"));
		const struct service_spec *svc = find_spec(d, name);
		char now[512], why[256];
		struct kvlist sel;

		if (svc == NULL || text == NULL || was == NULL)
			continue;
		selector_text(&svc->selector, now, sizeof(now));
		if (strcmp(now, was) != 0) {
			log_info("service/%s: the file's selector changed to "
				 "%s; the selector set by hand (%s) is dropped",
				 name, now, text);
			continue;
		}
		if (parse_selector(text, &sel, why, sizeof(why)) == -1) {
			log_warnx("state: service/%s: selector \"%s\": %s",
				  name, text, why);
			continue;
		}
		install(d, name, sel, now);
		log_info("service/%s: selector %s kept from before the restart",
			 name, text);
	}
	json_decref(records);
	service_overrides_save(d);
	endpoints_sync(d);
	watch_mark(d, WATCH_SERVICES);
}

int service_override_selector(struct daemon *d, const char *name,
			      const struct kvlist *sel, struct berr *err)
{
	const struct service_spec *svc = find_spec(d, name);
	struct kvlist copy = {0};
	char configured[512];

	if (svc == NULL)
		return berr_set(err, "service `%s` not found", name);
	copy.v = xcalloc(sel->n + 1, sizeof(*copy.v));
	for (size_t i = 0; i < sel->n; i++)
		copy.v[copy.n++] =
		    (struct kv){.key = xstrdup(sel->v[i].key),
				.value = xstrdup(sel->v[i].value)};
	selector_text(&svc->selector, configured, sizeof(configured));
	install(d, name, copy, configured);
	service_overrides_save(d);
	endpoints_sync(d);
	watch_mark(d, WATCH_SERVICES);
	return 0;
}

void service_set_selector(struct daemon *d, struct ctl_conn *c,
			  const char *name, json_t *body)
{
	const struct service_spec *svc = find_spec(d, name);
	const char *text = json_string_value(json_object_get(body, "selector"));
	bool force = json_is_true(json_object_get(body, "force"));
	struct kvlist sel = {0};
	char why[256], shown[512], configured[512];
	int ready = 0;

	if (svc == NULL) {
		ctl_reply_error(c, 404, "service \"%s\" not found", name);
		return;
	}
	if (text == NULL) {
		ctl_reply_error(
		    c, 400, "set selector needs {\"selector\": \"K=V,...\"}");
		return;
	}
	if (parse_selector(text, &sel, why, sizeof(why)) == -1) {
		ctl_reply_error(c, 400, "selector \"%s\": %s", text, why);
		return;
	}
	for (struct pod *p = d->pods; p; p = p->next)
		ready +=
		    endpoints_selects(&sel, p) && endpoints_port_found(svc, p);
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
	selector_text(&svc->selector, configured, sizeof(configured));
	install(d, name, sel, configured);
	service_overrides_save(d);
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
