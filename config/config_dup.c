/*
 * config_dup.c - deep copies of a deployment spec, so that `set image`,
 * `rollout undo` and `rollout restart` can make a new pod template without
 * touching a loaded config (those are never mutated after load). The pod
 * template is copied and freed through its field table (template.c); this
 * file adds the fields outside it. Parsing and validation live elsewhere.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "config.h"
#include "template.h"

static void kvlist_dup(struct kvlist *dst, const struct kvlist *src)
{
	dst->n = src->n;
	dst->v = NULL;
	if (src->n == 0)
		return;
	dst->v = xcalloc(src->n, sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i].key = xstrdup(src->v[i].key);
		dst->v[i].value = xstrdup(src->v[i].value);
	}
}

struct deployment_spec *cfg_deployment_dup(const struct deployment_spec *s)
{
	struct deployment_spec *d = xmalloc(sizeof(*d));

	*d = *s; /* scalars; every pointer is replaced below */
	d->name = s->name ? xstrdup(s->name) : NULL;
	cfg_template_copy(d, s);
	kvlist_dup(&d->labels, &s->labels);
	canary_steps_dup(&d->canary_steps, &s->canary_steps);
	d->canary_analysis.templates = (struct strv){0};
	for (size_t i = 0; i < s->canary_analysis.templates.n; i++)
		cfg_strv_add(&d->canary_analysis.templates,
			     s->canary_analysis.templates.v[i]);
	bluegreen_spec_dup(&d->bluegreen, &s->bluegreen);
	return d;
}

void cfg_deployment_free(struct deployment_spec *s)
{
	if (s == NULL)
		return;
	free(s->name);
	cfg_template_release(s);
	kvlist_free(&s->labels);
	canary_steps_free(&s->canary_steps);
	strv_free(&s->canary_analysis.templates);
	bluegreen_spec_free(&s->bluegreen);
	free(s);
}

void cfg_deployment_copy_template(struct deployment_spec *dst,
				  const struct deployment_spec *src)
{
	cfg_template_release(dst);
	cfg_template_copy(dst, src);
}
