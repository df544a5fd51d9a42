/*
 * template_json.h - a pod template as its canonical JSON and back: what the
 * revision hash covers (revision.c), and what lets revision templates
 * survive a daemon restart (store.c). Driven by the field table of
 * config/template.h. It owns no state and decides nothing about revisions.
 */
#ifndef BERTH_ORCHESTRATOR_TEMPLATE_JSON_H
#define BERTH_ORCHESTRATOR_TEMPLATE_JSON_H

#include <jansson.h>

#include "../config/config.h"

/* The template as canonical JSON (what the revision hash covers). */
json_t *template_json(const struct deployment_spec *s);

/*
 * A new deployment spec (allocated as cfg_deployment_dup allocates, freed
 * with cfg_deployment_free) whose non-template fields (name, replicas,
 * labels, strategy...) are copies of base's and whose pod template is the
 * one j describes, as template_json() wrote it. NULL with err when j is
 * not such an object (wrong type of any known key, no image).
 */
struct deployment_spec *template_from_json(const json_t *j,
					   const struct deployment_spec *base,
					   struct berr *err);

#endif
