/*
 * export.c - `GET /v1/export`: every deployment and service as it runs
 * now (replicas after `scale`, the template after `set image`, the
 * selector after `set selector`) as clean Kubernetes manifests, a v1 List
 * (a Canary or BlueGreen deployment as an Argo Rollout, each [analysis]
 * as an AnalysisTemplate).
 * The shapes are config/manifest_out.c's; this file only picks the
 * current objects. Read-only.
 */
#include "../config/manifest.h"
#include "api.h"
#include "daemon.h"
#include "service_ops.h"

void route_export(struct daemon *d, struct ctl_conn *c,
		  const struct ctl_request *req, const char *const *arg)
{
	json_t *items = json_array();

	for (struct deployment *dep = d->deployments; dep; dep = dep->next) {
		if (dep->deleting || !dep->spec)
			continue;
		json_array_append_new(
		    items, cfg_workload_manifest(dep->spec, dep->replicas));
	}
	for (size_t i = 0; d->cfg && i < d->cfg->n_analyses; i++)
		json_array_append_new(
		    items, cfg_analysis_manifest(&d->cfg->analyses[i]));
	for (size_t i = 0; d->cfg && i < d->cfg->n_services; i++) {
		const struct service_spec *svc = &d->cfg->services[i];
		json_array_append_new(
		    items, cfg_service_manifest(svc, service_selector(d, svc)));
	}
	ctl_reply_json(c, 200,
		       json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind",
				 "List", "items", items));
}
