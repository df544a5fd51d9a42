/*
 * revision.h - pod-template hashing and revision history. A revision is
 * the hash of everything in the pod template (SPEC §3); replicas,
 * strategy and labels are outside it.
 */
#ifndef BERTH_ORCHESTRATOR_REVISION_H
#define BERTH_ORCHESTRATOR_REVISION_H

#include "model.h"
#include "template_json.h"

/* 6 lowercase hex digits of the template hash: over template_json(). */
void template_hash(const struct deployment_spec *s, char out[16]);
/*
 * The revision for hash, numbered as kubectl numbers them: a new hash gets
 * the next number (with cause); the newest revision's hash keeps its
 * number; an older revision's hash is renumbered to the next number (its
 * old number disappears) and so are its pods. Returns the number.
 */
int revision_note(struct deployment *dep, const char *hash, const char *cause);
struct revision *revision_find(struct deployment *dep, int number);
struct revision *revision_find_hash(struct deployment *dep, const char *hash);
/* The revision numbered just below the current one, or NULL. */
struct revision *revision_previous(struct deployment *dep);
/* Makes the current revision hold dep->spec as its template. */
void revision_attach_current(struct deployment *dep);
/* Drops the oldest revisions beyond limit old ones (the current one is not
 * counted; revisions that still have pods stay). Returns how many went. */
int revision_prune(struct deployment *dep, int limit);
void revision_free_all(struct deployment *dep);
/* Frees dep itself: its revisions, its spec reference, the struct. */
void deployment_free(struct deployment *dep);

#endif
