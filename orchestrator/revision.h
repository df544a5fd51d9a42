/*
 * revision.h - pod-template hashing and revision history. A revision is
 * the hash of everything in the pod template (SPEC §3); replicas,
 * strategy and labels are outside it.
 */
#ifndef BERTH_ORCHESTRATOR_REVISION_H
#define BERTH_ORCHESTRATOR_REVISION_H

#include <jansson.h>

#include "model.h"

/* The template as canonical JSON (what the hash covers). */
json_t *template_json(const struct deployment_spec *s);
/* 6 lowercase hex digits of the template hash. */
void template_hash(const struct deployment_spec *s, char out[16]);
/* Finds or appends the revision for hash; returns its number. */
int revision_note(struct deployment *dep, const char *hash,
		  const char *cause);
void revision_free_all(struct deployment *dep);

#endif
