/*
 * config_bluegreen.c - strategy.blueGreen.* and the strategy keys' rules
 * across sections: a BlueGreen deployment names its active (and preview)
 * service, each a [service] whose selector picks the deployment's pods;
 * strategy keys belong to their strategy only. Also the copy and release
 * of struct bluegreen_spec. Value syntax and rules only; what BlueGreen
 * does is the orchestrator's (bluegreen.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "config_internal.h"

#define DEP CFG_SEC_DEPLOYMENT

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void bluegreen_spec_dup(struct bluegreen_spec *dst,
			const struct bluegreen_spec *src)
{
	*dst = *src;
	dst->active_service = dup_or_null(src->active_service);
	dst->preview_service = dup_or_null(src->preview_service);
	dst->pre_promotion_analysis = dup_or_null(src->pre_promotion_analysis);
	dst->post_promotion_analysis =
	    dup_or_null(src->post_promotion_analysis);
}

void bluegreen_spec_free(struct bluegreen_spec *s)
{
	free(s->active_service);
	free(s->preview_service);
	free(s->pre_promotion_analysis);
	free(s->post_promotion_analysis);
	s->active_service = s->preview_service = NULL;
	s->pre_promotion_analysis = s->post_promotion_analysis = NULL;
}

int cfg_parse_name(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value)
{
	char **out = field;

	(void)k;
	if (!str_is_dns_label(value, CFG_NAME_MAX))
		return cfg_perr(pc,
				"%s: \"%s\" is not a section name (a "
				"lowercase DNS-1123 label of at most %d "
				"characters)",
				pc->key, value, CFG_NAME_MAX);
	free(*out);
	*out = xstrdup(value);
	return 0;
}

static const struct service_spec *find_service(struct cfg_parse *pc,
					       const char *name, size_t *idx)
{
	for (size_t j = 0; j < pc->cfg->n_services; j++)
		if (!strcmp(pc->cfg->services[j].name, name)) {
			*idx = j;
			return &pc->cfg->services[j];
		}
	return NULL;
}

/* key names a [service] whose selector picks deployment i's pods. */
static void check_service_ref(struct cfg_parse *pc, size_t i, const char *key,
			      const char *name)
{
	const struct deployment_spec *d = &pc->cfg->deployments[i];
	int line = cfg_seen_line(pc, DEP, i, key);
	const struct service_spec *s;
	size_t j;

	s = find_service(pc, name, &j);
	if (s == NULL) {
		cfg_verr(pc, line, "%s: no [service %s] in this file", key,
			 name);
		return;
	}
	if (s->selector.n == 0 || !kvlist_matches(&s->selector, &d->labels))
		cfg_verr(pc, line,
			 "%s: the selector of [service %s] (line %d) does not "
			 "select the pods of [deployment %s] (their labels "
			 "must include every pair of it)",
			 key, name, s->line, d->name);
}

static void check_bluegreen(struct cfg_parse *pc, size_t i)
{
	const struct deployment_spec *d = &pc->cfg->deployments[i];
	const struct bluegreen_spec *bg = &d->bluegreen;
	int l1, l2;

	if (bg->active_service == NULL) {
		cfg_verr(pc, cfg_seen_line(pc, DEP, i, "strategy.type"),
			 "strategy.blueGreen.activeService is required when "
			 "strategy.type is BlueGreen (the [service] whose "
			 "traffic moves to the new revision at promotion)");
		return;
	}
	check_service_ref(pc, i, "strategy.blueGreen.activeService",
			  bg->active_service);
	if (bg->preview_service) {
		check_service_ref(pc, i, "strategy.blueGreen.previewService",
				  bg->preview_service);
		if (!strcmp(bg->preview_service, bg->active_service))
			cfg_verr(
			    pc,
			    cfg_seen_line(pc, DEP, i,
					  "strategy.blueGreen.previewService"),
			    "strategy.blueGreen.previewService must not "
			    "be the activeService (%s)",
			    bg->active_service);
	}
	l1 = cfg_seen_line(pc, DEP, i,
			   "strategy.blueGreen.autoPromotionSeconds");
	if (l1 && !bg->auto_promotion_enabled)
		cfg_verr(pc, l1,
			 "strategy.blueGreen.autoPromotionSeconds has no "
			 "effect when autoPromotionEnabled is false");
	/* One deployment per service: two would move one selector. */
	for (size_t k = 0; k < i; k++) {
		const struct deployment_spec *o = &pc->cfg->deployments[k];
		const char *mine[] = {bg->active_service, bg->preview_service};
		const char *theirs[] = {o->bluegreen.active_service,
					o->bluegreen.preview_service};

		if (o->strategy != STRATEGY_BLUE_GREEN)
			continue;
		for (size_t a = 0; a < 2; a++)
			for (size_t b = 0; b < 2; b++)
				if (mine[a] && theirs[b] &&
				    !strcmp(mine[a], theirs[b]))
					cfg_verr(pc,
						 cfg_seen_line(
						     pc, DEP, i,
						     a ? "strategy.blueGreen."
							 "previewService"
						       : "strategy.blueGreen."
							 "activeService"),
						 "[service %s] is already a "
						 "blue-green service of "
						 "[deployment %s]",
						 mine[a], o->name);
	}
	l1 = cfg_seen_line(pc, DEP, i, "strategy.rollingUpdate.maxSurge");
	l2 = cfg_seen_line(pc, DEP, i, "strategy.rollingUpdate.maxUnavailable");
	if (l1 || l2)
		cfg_verr(pc, l1 && (!l2 || l1 < l2) ? l1 : l2,
			 "strategy.rollingUpdate.* may not be set when "
			 "strategy.type is BlueGreen (the new revision comes "
			 "up beside the old one in full)");
}

void cfg_check_strategy(struct cfg_parse *pc, size_t i)
{
	const struct deployment_spec *d = &pc->cfg->deployments[i];
	int line;

	if (d->strategy == STRATEGY_BLUE_GREEN) {
		check_bluegreen(pc, i);
	} else {
		line = cfg_seen_prefix_line(pc, DEP, i, "strategy.blueGreen.");
		if (line)
			cfg_verr(pc, line,
				 "strategy.blueGreen.* may only be set when "
				 "strategy.type is BlueGreen");
	}
	line = cfg_seen_line(pc, DEP, i, "strategy.canary.dynamicStableScale");
	if (line && d->strategy != STRATEGY_CANARY)
		cfg_verr(pc, line,
			 "strategy.canary.dynamicStableScale may only be set "
			 "when strategy.type is Canary");
	line = cfg_seen_line(pc, DEP, i,
			     "strategy.canary.abortScaleDownDelaySeconds");
	if (line && d->strategy != STRATEGY_CANARY)
		cfg_verr(pc, line,
			 "strategy.canary.abortScaleDownDelaySeconds may only "
			 "be set when strategy.type is Canary");
}
