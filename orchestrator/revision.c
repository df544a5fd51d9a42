/*
 * revision.c - the pod-template hash and the per-deployment revision list.
 * The hash covers exactly the template fields of SPEC §3.
 */
#include "revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

void template_hash(const struct deployment_spec *s, char out[16])
{
	json_t *j = template_json(s);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 */

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	snprintf(out, 16, "%06llx",
		 (unsigned long long)((h ^ (h >> 32)) & 0xffffff));
	free(text);
	json_decref(j);
}

static int highest_number(const struct deployment *dep)
{
	int n = 0;

	for (size_t i = 0; i < dep->n_revisions; i++)
		if (dep->revisions[i].number > n)
			n = dep->revisions[i].number;
	return n;
}

struct revision *revision_find(struct deployment *dep, int number)
{
	for (size_t i = 0; i < dep->n_revisions; i++)
		if (dep->revisions[i].number == number)
			return &dep->revisions[i];
	return NULL;
}

struct revision *revision_find_hash(struct deployment *dep, const char *hash)
{
	for (size_t i = 0; i < dep->n_revisions; i++)
		if (!strcmp(dep->revisions[i].hash, hash))
			return &dep->revisions[i];
	return NULL;
}

struct revision *revision_previous(struct deployment *dep)
{
	struct revision *best = NULL;

	for (size_t i = 0; i < dep->n_revisions; i++) {
		struct revision *r = &dep->revisions[i];

		if (r->number < dep->revision &&
		    (best == NULL || r->number > best->number))
			best = r;
	}
	return best;
}

/* Keeps the list sorted oldest first (by number). */
static void sort_revisions(struct deployment *dep)
{
	for (size_t i = 1; i < dep->n_revisions; i++)
		for (size_t k = i; k > 0 && dep->revisions[k].number <
						dep->revisions[k - 1].number;
		     k--) {
			struct revision t = dep->revisions[k];

			dep->revisions[k] = dep->revisions[k - 1];
			dep->revisions[k - 1] = t;
		}
}

int revision_note(struct deployment *dep, const char *hash, const char *cause)
{
	int top = highest_number(dep);
	struct revision *r = revision_find_hash(dep, hash);

	if (r != NULL) {
		if (r->number == top)
			return top;
		/* An earlier template comes back under the next number; its
		 * old number disappears (kubectl's rollback numbering). The
		 * pods of that template carry the new number too. Its
		 * creation time stays, as a reused ReplicaSet's does. */
		r->number = top + 1;
		if (dep->daemon)
			for (struct pod *p = dep->daemon->pods; p; p = p->next)
				if (p->deployment == dep &&
				    !strcmp(p->hash, hash))
					p->revision = top + 1;
		sort_revisions(dep);
		return top + 1;
	}
	dep->revisions = xrealloc(dep->revisions, (dep->n_revisions + 1) *
						      sizeof(*dep->revisions));
	r = &dep->revisions[dep->n_revisions];
	memset(r, 0, sizeof(struct revision));
	r->number = top + 1;
	snprintf(r->hash, sizeof(r->hash), "%s", hash);
	snprintf(r->cause, sizeof(r->cause), "%s", cause ? cause : "");
	r->created_ms = now_ms();
	dep->n_revisions++;
	return top + 1;
}

void revision_attach_current(struct deployment *dep)
{
	struct revision *r = revision_find_hash(dep, dep->hash);

	if (r == NULL || r->spec == dep->spec)
		return;
	if (r->spec_ref)
		cfg_ref_put(r->spec_ref);
	r->spec = dep->spec;
	r->spec_ref = cfg_ref_get(dep->spec_ref);
}

static bool hash_has_pods(const struct deployment *dep, const char *hash)
{
	if (dep->daemon == NULL)
		return false;
	for (struct pod *p = dep->daemon->pods; p; p = p->next)
		if (p->deployment == dep && p->phase != POD_GONE &&
		    !strcmp(p->hash, hash))
			return true;
	return false;
}

int revision_prune(struct deployment *dep, int limit)
{
	size_t old = 0;
	int pruned = 0;

	if (limit < 0)
		limit = 0;
	for (size_t i = 0; i < dep->n_revisions; i++)
		old += strcmp(dep->revisions[i].hash, dep->hash) != 0;
	/* Oldest first; a revision that still has pods stays, as
	 * Kubernetes keeps replica sets that are not scaled to 0. */
	for (size_t i = 0; i < dep->n_revisions && old > (size_t)limit;) {
		struct revision *r = &dep->revisions[i];

		if (!strcmp(r->hash, dep->hash) ||
		    hash_has_pods(dep, r->hash)) {
			i++;
			continue;
		}
		if (r->spec_ref)
			cfg_ref_put(r->spec_ref);
		memmove(r, r + 1,
			(dep->n_revisions - i - 1) * sizeof(*dep->revisions));
		dep->n_revisions--;
		old--;
		pruned++;
	}
	return pruned;
}

void revision_free_all(struct deployment *dep)
{
	for (size_t i = 0; i < dep->n_revisions; i++)
		if (dep->revisions[i].spec_ref)
			cfg_ref_put(dep->revisions[i].spec_ref);
	xfree(dep->revisions);
	dep->n_revisions = 0;
}

void deployment_free(struct deployment *dep)
{
	revision_free_all(dep);
	cfg_ref_put(dep->spec_ref);
	free(dep);
}
