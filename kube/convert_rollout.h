/*
 * convert_rollout.h - Canary and BlueGreen deployments as Argo Rollouts'
 * Rollout, [analysis NAME] sections as AnalysisTemplates (reads), and
 * their writes through config/'s manifest reader (rollout_write.c).
 */
#ifndef BERTH_KUBE_CONVERT_ROLLOUT_H
#define BERTH_KUBE_CONVERT_ROLLOUT_H

#include <jansson.h>
#include <stdbool.h>

#include "convert.h"

/* dep runs a Canary or BlueGreen strategy: it is served as a Rollout. */
bool kube_is_rollout(const struct deployment *dep);
json_t *kube_rollout(const struct kube_ctx *k, struct deployment *dep);
json_t *kube_analysis_template(const struct kube_ctx *k,
			       const struct analysis_template *t);

/* rollout_write.c: what the API serves for dep (a Rollout) or t (an
 * AnalysisTemplate, dep NULL): the object with its record's labels and
 * annotations, and the spec as the client last wrote it while berth's
 * model still says the same. */
struct kube_server;
json_t *kube_rollout_view(struct kube_server *ks, const struct kube_ctx *k,
			  struct deployment *dep,
			  const struct analysis_template *t);
/* rollout_write.c: obj (a Rollout or an AnalysisTemplate) read by
 * config/'s manifest reader into *out, a Rollout together with ctx's
 * services and analysis templates (which it may name); -1 with err
 * "FIELD: why". */
int kube_rollout_load(const json_t *obj, const struct berth_config *ctx,
		      struct berth_config **out, struct berr *err);
/* The Rollouts and AnalysisTemplates made through the API (records, as
 * objects.c keeps them) added to cfg: templates first, then rollouts
 * loaded against cfg. */
int kube_rollouts_extend_config(struct daemon *d, struct berth_config *cfg,
				json_t *records, struct berr *err);

#endif
