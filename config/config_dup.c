/*
 * config_dup.c - deep copies of a deployment spec, so that `set image`,
 * `rollout undo` and `rollout restart` can make a new pod template without
 * touching a loaded config (those are never mutated after load). Owns
 * nothing else; parsing and validation live in the other config/ files.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "config.h"

static char *dup_str(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void strv_dup(struct strv *dst, const struct strv *src)
{
	dst->n = src->n;
	dst->v = NULL;
	if (src->v == NULL)
		return;
	dst->v = xcalloc(src->n + 1, sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++)
		dst->v[i] = xstrdup(src->v[i]);
}

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

static void handler_dup(struct handler_spec *dst,
			const struct handler_spec *src)
{
	*dst = *src;
	strv_dup(&dst->exec_command, &src->exec_command);
	dst->http_path = dup_str(src->http_path);
	dst->http_host = dup_str(src->http_host);
	kvlist_dup(&dst->http_headers, &src->http_headers);
}

static void handler_release(struct handler_spec *h)
{
	strv_free(&h->exec_command);
	free(h->http_path);
	free(h->http_host);
	kvlist_free(&h->http_headers);
}

/* Frees the pod-template fields only. */
static void template_release(struct deployment_spec *s)
{
	free(s->image);
	strv_free(&s->command);
	strv_free(&s->args);
	strv_free(&s->env);
	free(s->working_dir);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].host_path);
		free(s->mounts[i].container_path);
	}
	free(s->mounts);
	handler_release(&s->pre_stop);
	handler_release(&s->startup_probe.handler);
	handler_release(&s->liveness_probe.handler);
	handler_release(&s->readiness_probe.handler);
	strv_free(&s->caps_drop);
	strv_free(&s->caps_add);
	free(s->seccomp_file);
}

/* Deep-copies the template fields of src into dst (dst's are garbage). */
static void template_dup(struct deployment_spec *dst,
			 const struct deployment_spec *src)
{
	dst->image = dup_str(src->image);
	strv_dup(&dst->command, &src->command);
	strv_dup(&dst->args, &src->args);
	strv_dup(&dst->env, &src->env);
	dst->working_dir = dup_str(src->working_dir);
	dst->n_mounts = src->n_mounts;
	dst->mounts = NULL;
	if (src->n_mounts > 0) {
		dst->mounts = xcalloc(src->n_mounts, sizeof(*dst->mounts));
		for (size_t i = 0; i < src->n_mounts; i++) {
			dst->mounts[i].host_path =
			    xstrdup(src->mounts[i].host_path);
			dst->mounts[i].container_path =
			    xstrdup(src->mounts[i].container_path);
			dst->mounts[i].read_only = src->mounts[i].read_only;
		}
	}
	dst->port = src->port;
	dst->network = src->network;
	dst->restart_policy = src->restart_policy;
	dst->termination_grace_period_seconds =
	    src->termination_grace_period_seconds;
	dst->stop_signal = src->stop_signal;
	handler_dup(&dst->pre_stop, &src->pre_stop);
	dst->startup_probe = src->startup_probe;
	handler_dup(&dst->startup_probe.handler, &src->startup_probe.handler);
	dst->liveness_probe = src->liveness_probe;
	handler_dup(&dst->liveness_probe.handler, &src->liveness_probe.handler);
	dst->readiness_probe = src->readiness_probe;
	handler_dup(&dst->readiness_probe.handler,
		    &src->readiness_probe.handler);
	dst->memory_limit_bytes = src->memory_limit_bytes;
	dst->cpu_limit_millis = src->cpu_limit_millis;
	dst->pids_limit = src->pids_limit;
	dst->run_as_user = src->run_as_user;
	dst->run_as_group = src->run_as_group;
	dst->read_only_root_filesystem = src->read_only_root_filesystem;
	strv_dup(&dst->caps_drop, &src->caps_drop);
	strv_dup(&dst->caps_add, &src->caps_add);
	dst->seccomp = src->seccomp;
	dst->seccomp_file = dup_str(src->seccomp_file);
	memcpy(dst->restarted_at, src->restarted_at, sizeof(dst->restarted_at));
}

struct deployment_spec *cfg_deployment_dup(const struct deployment_spec *s)
{
	struct deployment_spec *d = xmalloc(sizeof(*d));

	*d = *s; /* scalars; every pointer is replaced below */
	d->name = dup_str(s->name);
	template_dup(d, s);
	kvlist_dup(&d->labels, &s->labels);
	return d;
}

void cfg_deployment_free(struct deployment_spec *s)
{
	if (s == NULL)
		return;
	free(s->name);
	template_release(s);
	kvlist_free(&s->labels);
	free(s);
}

void cfg_deployment_copy_template(struct deployment_spec *dst,
				  const struct deployment_spec *src)
{
	template_release(dst);
	template_dup(dst, src);
}
