/*
 * endpoints.c - endpoint membership: computes each service's endpoint set
 * from pod readiness and the effective selector, and publishes it to the
 * proxy at once; tells the proxy which services exist. Must not change
 * pods or decide readiness (pod.c and the probes do).
 */
#include "endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "../proxy/proxy.h"
#include "bluegreen.h"
#include "events.h"
#include "service_ops.h"
#include "view.h"
#include "watch.h"

bool endpoints_selects(const struct kvlist *selector, const struct pod *p)
{
	if (p->deployment == NULL || p->deployment->spec == NULL ||
	    selector->n == 0)
		return false;
	if (!pod_is_ready(p) || pod_terminating(p) || p->phase != POD_RUNNING ||
	    p->pid <= 0)
		return false;
	return kvlist_matches(selector, &p->deployment->spec->labels);
}

int endpoints_port(const struct service_spec *svc, const struct pod *p)
{
	const struct deployment_spec *s = p->spec;

	if (svc->target_port_name == NULL)
		return svc->target_port;
	if (s && s->port > 0 && s->port_name &&
	    strcmp(s->port_name, svc->target_port_name) == 0)
		return s->port;
	return 0;
}

bool endpoints_port_found(const struct service_spec *svc, const struct pod *p)
{
	return svc->target_port_name == NULL || endpoints_port(svc, p) > 0;
}

/* Once per pod and service: a pod the selector takes whose container has
 * no port of the service's targetPort name is left out, and says so. */
static void no_named_port(struct pod *p, const struct service_spec *svc)
{
	for (size_t i = 0; i < p->port_warned.n; i++)
		if (strcmp(p->port_warned.v[i], svc->name) == 0)
			return;
	cfg_strv_add(&p->port_warned, svc->name);
	log_warnx("pod %s: no container port named `%s` (service %s's "
		  "targetPort): not an endpoint of %s",
		  p->name, svc->target_port_name, svc->name, svc->name);
	pod_event(p, "Warning", "NoNamedPort",
		  "No container port named `%s` (targetPort of service %s): "
		  "not an endpoint of it",
		  svc->target_port_name, svc->name);
}

void endpoints_sync(struct daemon *d)
{
	size_t n_pods = 0;
	struct proxy_endpoint *eps;

	if (d->proxy == NULL || d->cfg == NULL || d->endpoints_held)
		return;
	for (struct pod *p = d->pods; p; p = p->next)
		n_pods++;
	eps = xcalloc(n_pods + 1, sizeof(*eps));
	for (size_t i = 0; i < d->cfg->n_services; i++) {
		const struct service_spec *svc = &d->cfg->services[i];
		const struct kvlist *sel = service_selector(d, svc);
		size_t n = 0;

		for (struct pod *p = d->pods; p; p = p->next) {
			int port;

			if (!endpoints_selects(sel, p) ||
			    !bluegreen_admits(d, svc->name, p))
				continue;
			/* a targetPort name is looked up per pod, so the
			 * revisions of a rollout may differ in its number */
			if (!endpoints_port_found(svc, p)) {
				no_named_port(p, svc);
				continue;
			}
			port = endpoints_port(svc, p);
			snprintf(eps[n].pod, sizeof(eps[n].pod), "%s", p->name);
			eps[n].pid = p->pid;
			eps[n].port = port;
			eps[n].host_network = p->spec->network == NET_HOST;
			snprintf(eps[n].revision, sizeof(eps[n].revision), "%s",
				 p->hash);
			n++;
		}
		proxy_endpoints_publish(d->proxy, svc->name, eps, n);
	}
	free(eps);
}

void endpoints_hold(struct daemon *d)
{
	d->endpoints_held = true;
	if (d->proxy)
		proxy_accept_hold(d->proxy, true);
}

void endpoints_release(struct daemon *d)
{
	if (!d->endpoints_held)
		return;
	d->endpoints_held = false;
	endpoints_sync(d);
	if (d->proxy)
		proxy_accept_hold(d->proxy, false);
}

void endpoints_pod_leaving(struct pod *p)
{
	endpoints_sync(p->daemon);
	watch_mark(p->daemon, WATCH_SERVICES);
}

int endpoints_apply(struct daemon *d, const struct berth_config *old,
		    const struct berth_config *cfg, struct berr *err)
{
	if (d->proxy == NULL)
		return 0;
	if (proxy_services_set(d->proxy, cfg->services, cfg->n_services, err) ==
	    -1)
		return -1;
	for (size_t k = 0; old && k < old->n_services; k++) {
		bool kept = false;

		for (size_t i = 0; i < cfg->n_services; i++)
			kept |= !strcmp(cfg->services[i].name,
					old->services[k].name);
		if (!kept)
			proxy_service_remove(d->proxy, old->services[k].name);
	}
	return 0;
}
