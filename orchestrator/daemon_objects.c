/*
 * daemon_objects.c - the applied objects of the daemon: `apply` of a
 * config file and the put/delete of one deployment, service or analysis
 * template (the API's and plugins' way in), the shared config references
 * they hold, and the services' creation times. Reports changes as
 * kubectl-style messages, marks watchers and schedules the controller;
 * must not start, stop or decide anything about pods itself (that is
 * reconcile.c's) nor touch the daemon's start-up or shut-down (daemon.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "daemon.h"
#include "endpoints.h"
#include "events.h"
#include "reconcile.h"
#include "revision.h"
#include "service_ops.h"
#include "store.h"
#include "watch.h"

int64_t service_created_ms(struct daemon *d, const char *name)
{
	struct service_birth *b;

	for (b = d->service_births; b; b = b->next)
		if (!strcmp(b->name, name))
			return b->created_ms;
	b = xcalloc(1, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->created_ms = now_ms();
	b->next = d->service_births;
	d->service_births = b;
	return b->created_ms;
}

struct cfg_ref *cfg_ref_new(struct berth_config *cfg)
{
	struct cfg_ref *r = xcalloc(1, sizeof(*r));

	r->cfg = cfg;
	r->refs = 1;
	return r;
}

struct cfg_ref *cfg_ref_get(struct cfg_ref *r)
{
	r->refs++;
	return r;
}

void cfg_ref_put(struct cfg_ref *r)
{
	if (r && --r->refs == 0) {
		cfg_free(r->cfg);
		free(r);
	}
}

struct deployment *daemon_find_deployment(struct daemon *d, const char *name)
{
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (!strcmp(dep->name, name) && !dep->deleting)
			return dep;
	return NULL;
}

/* Also finds a deployment being deleted: applying it again takes it back
 * (one deployment, one state file, per name). */
static struct deployment *find_any_deployment(struct daemon *d,
					      const char *name)
{
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (!strcmp(dep->name, name))
			return dep;
	return NULL;
}

static bool deployment_meta_equal(const struct deployment_spec *a,
				  const struct deployment_spec *b)
{
	return a->replicas == b->replicas && a->strategy == b->strategy &&
	       a->max_surge.value == b->max_surge.value &&
	       a->max_surge.percent == b->max_surge.percent &&
	       a->max_unavailable.value == b->max_unavailable.value &&
	       a->max_unavailable.percent == b->max_unavailable.percent &&
	       a->min_ready_seconds == b->min_ready_seconds &&
	       a->progress_deadline_seconds == b->progress_deadline_seconds &&
	       a->progress_deadline_abort == b->progress_deadline_abort &&
	       a->revision_history_limit == b->revision_history_limit &&
	       kvlist_equal(&a->labels, &b->labels);
}

static bool str_eq_null(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void add_message(json_t *messages, const char *fmt, const char *name)
{
	char buf[160];

	if (messages == NULL)
		return;
	snprintf(buf, sizeof(buf), fmt, name);
	json_array_append_new(messages, json_string(buf));
}

void daemon_put_deployment(struct daemon *d, const struct deployment_spec *s,
			   struct cfg_ref *ref, const char *cause,
			   json_t *messages)
{
	struct deployment *dep = find_any_deployment(d, s->name);
	char hash[16];

	template_hash(s, hash);
	if (dep == NULL) {
		struct deployment **tail;

		dep = xcalloc(1, sizeof(*dep));
		dep->daemon = d;
		snprintf(dep->name, sizeof(dep->name), "%s", s->name);
		dep->spec = s;
		dep->spec_ref = cfg_ref_get(ref);
		dep->replicas = s->replicas;
		dep->created_ms = now_ms();
		dep->progress_mono = mono_ms();
		snprintf(dep->hash, sizeof(dep->hash), "%s", hash);
		dep->revision = revision_note(dep, hash, cause);
		for (tail = &d->deployments; *tail; tail = &(*tail)->next)
			;
		*tail = dep;
		add_message(messages, "deployment.apps/%s created", s->name);
		store_save_deployment(dep);
		watch_mark(d, WATCH_DEPLOYMENTS);
		reconcile_schedule(d);
		return;
	}
	bool revived = dep->deleting;
	bool template_changed = strcmp(hash, dep->hash) != 0;

	dep->deleting = false;
	bool meta_changed = !deployment_meta_equal(dep->spec, s);

	if (template_changed) {
		snprintf(dep->hash, sizeof(dep->hash), "%s", hash);
		dep->revision = revision_note(dep, hash, cause);
		dep->progress_mono = mono_ms();
		dep->progress_failed = false;
		event_record(d, "Normal", "RolloutStarted",
			     event_object_name("deployment", dep->name),
			     "Pod template changed: rolling out "
			     "revision %d (%s)",
			     dep->revision, hash);
	}
	if (revived || meta_changed || dep->replicas != s->replicas)
		dep->replicas = s->replicas;
	cfg_ref_put(dep->spec_ref);
	dep->spec = s;
	dep->spec_ref = cfg_ref_get(ref);
	add_message(messages,
		    revived ? "deployment.apps/%s created"
		    : template_changed || meta_changed
			? "deployment.apps/%s configured"
			: "deployment.apps/%s unchanged",
		    s->name);
	store_save_deployment(dep);
	watch_mark(d, WATCH_DEPLOYMENTS);
	reconcile_schedule(d);
}

void daemon_delete_deployment(struct daemon *d, struct deployment *dep)
{
	dep->deleting = true;
	event_record(d, "Normal", "DeploymentDeleted",
		     event_object_name("deployment", dep->name),
		     "Deployment deleted: stopping its pods");
	watch_mark(d, WATCH_DEPLOYMENTS);
	reconcile_schedule(d);
}

static void service_release(struct service_spec *s)
{
	free(s->name);
	free(s->listen);
	free(s->port_name);
	free(s->target_port_name);
	kvlist_free(&s->selector);
	memset(s, 0, sizeof(*s));
}

/* d->cfg's services with one replaced, added (svc) or removed (svc
 * NULL, name): bound and handed to the proxy before the swap. */
static int swap_services(struct daemon *d, const char *name,
			 struct service_spec *svc, struct berr *err)
{
	struct berth_config *cur = d->cfg, next;
	struct service_spec *v;
	size_t n = 0, at = cur->n_services;

	for (size_t i = 0; i < cur->n_services; i++)
		if (!strcmp(cur->services[i].name, name))
			at = i;
	if (svc == NULL && at == cur->n_services)
		return berr_set(err, "service `%s` not found", name);
	v = xcalloc(cur->n_services + 1, sizeof(*v));
	for (size_t i = 0; i < cur->n_services; i++) {
		if (i == at && svc == NULL)
			continue;
		v[n++] = i == at ? *svc : cur->services[i];
	}
	if (svc && at == cur->n_services)
		v[n++] = *svc;
	next = *cur;
	next.services = v;
	next.n_services = n;
	if (endpoints_apply(d, cur, &next, err) == -1) {
		free(v);
		return -1;
	}
	if (at < cur->n_services)
		service_release(&cur->services[at]);
	free(cur->services);
	cur->services = v;
	cur->n_services = n;
	if (svc) {
		service_created_ms(d, svc->name);
		memset(svc, 0, sizeof(*svc));
	}
	endpoints_sync(d);
	watch_mark(d, WATCH_SERVICES);
	return 0;
}

int daemon_put_service(struct daemon *d, struct service_spec *svc,
		       struct berr *err)
{
	char name[CFG_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s", svc->name);
	if (!cfg_service_port_named(d->cfg, svc))
		log_warnx(
		    "service %s: no deployment it selects has a container "
		    "port named `%s` (targetPort); its pods are not "
		    "endpoints",
		    svc->name, svc->target_port_name);
	return swap_services(d, name, svc, err);
}

int daemon_delete_service(struct daemon *d, const char *name, struct berr *err)
{
	return swap_services(d, name, NULL, err);
}

void daemon_put_analysis(struct daemon *d, struct analysis_template *t)
{
	struct berth_config *cfg = d->cfg;
	size_t i;

	for (i = 0; i < cfg->n_analyses; i++)
		if (!strcmp(cfg->analyses[i].name, t->name))
			break;
	if (i == cfg->n_analyses) {
		cfg->analyses =
		    xrealloc(cfg->analyses,
			     (cfg->n_analyses + 1) * sizeof(*cfg->analyses));
		cfg->n_analyses++;
	} else {
		analysis_template_free(&cfg->analyses[i]);
	}
	cfg->analyses[i] = *t;
	memset(t, 0, sizeof(*t));
}

int daemon_delete_analysis(struct daemon *d, const char *name, struct berr *err)
{
	struct berth_config *cfg = d->cfg;

	for (size_t i = 0; i < cfg->n_analyses; i++) {
		if (strcmp(cfg->analyses[i].name, name))
			continue;
		analysis_template_free(&cfg->analyses[i]);
		memmove(&cfg->analyses[i], &cfg->analyses[i + 1],
			(cfg->n_analyses - i - 1) * sizeof(*cfg->analyses));
		cfg->n_analyses--;
		return 0;
	}
	return berr_set(err, "analysis `%s` not found", name);
}

int daemon_apply(struct daemon *d, const char *path, json_t *messages,
		 struct berr *err)
{
	struct berth_config *cfg = NULL;
	struct cfg_ref *ref;

	if (cfg_load(path, &cfg, err) == -1)
		return -1;
	if (daemon_plugins_extend(d, cfg, err) == -1) {
		cfg_free(cfg);
		return -1;
	}
	if (d->cfg && (strcmp(cfg->state_dir, d->state_dir) ||
		       strcmp(cfg->run_dir, d->run_dir)))
		json_array_append_new(
		    messages,
		    json_string("warning: state_dir/run_dir changes take "
				"effect at the next `berth up`"));
	/* Listeners first: an address in use fails the apply. */
	if (endpoints_apply(d, d->cfg, cfg, err) == -1) {
		cfg_free(cfg);
		return -1;
	}
	ref = cfg_ref_new(cfg);
	for (size_t i = 0; i < cfg->n_deployments; i++)
		daemon_put_deployment(d, &cfg->deployments[i], ref, "apply",
				      messages);
	for (struct deployment *dep = d->deployments; dep; dep = dep->next) {
		if (dep->deleting || cfg_find_deployment(cfg, dep->name))
			continue;
		dep->deleting = true;
		add_message(messages, "deployment.apps/%s deleted", dep->name);
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct service_spec *svc = &cfg->services[i];
		const struct service_spec *old = NULL;

		for (size_t k = 0; d->cfg && k < d->cfg->n_services; k++)
			if (!strcmp(d->cfg->services[k].name, svc->name))
				old = &d->cfg->services[k];
		service_created_ms(d, svc->name);
		/* pods may come later: a warning, never an error */
		if (!cfg_service_port_named(cfg, svc)) {
			char buf[256];

			snprintf(buf, sizeof(buf),
				 "warning: service/%s: no deployment it "
				 "selects has a container port named `%s` "
				 "(targetPort); its pods are not endpoints",
				 svc->name, svc->target_port_name);
			if (messages)
				json_array_append_new(messages,
						      json_string(buf));
		}
		if (old == NULL)
			add_message(messages, "service/%s created", svc->name);
		else if (strcmp(old->listen, svc->listen) ||
			 !kvlist_equal(&old->selector, &svc->selector) ||
			 old->target_port != svc->target_port ||
			 !str_eq_null(old->target_port_name,
				      svc->target_port_name) ||
			 old->mode != svc->mode || old->balance != svc->balance)
			add_message(messages, "service/%s configured",
				    svc->name);
		else
			add_message(messages, "service/%s unchanged",
				    svc->name);
	}
	for (size_t k = 0; d->cfg && k < d->cfg->n_services; k++) {
		bool kept = false;

		for (size_t i = 0; i < cfg->n_services; i++)
			kept |= !strcmp(cfg->services[i].name,
					d->cfg->services[k].name);
		if (!kept)
			add_message(messages, "service/%s deleted",
				    d->cfg->services[k].name);
	}
	if (d->cfg_ref)
		cfg_ref_put(d->cfg_ref);
	d->cfg_ref = ref;
	d->cfg = cfg;
	free(d->config_path);
	d->config_path = xstrdup(cfg->path);
	store_save_applied(d, cfg->path);
	service_overrides_clear(d);
	endpoints_sync(d);
	watch_mark(d, WATCH_DEPLOYMENTS);
	watch_mark(d, WATCH_SERVICES);
	reconcile_schedule(d);
	return 0;
}
