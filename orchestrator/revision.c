/*
 * revision.c - the pod-template hash and the per-deployment revision list.
 * The hash covers exactly the template fields of SPEC §3.
 */
#include "revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

static json_t *strv_json(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static json_t *kv_json(const struct kvlist *kl)
{
	json_t *a = json_array();

	for (size_t i = 0; i < kl->n; i++)
		json_array_append_new(
		    a, json_pack("[s,s]", kl->v[i].key, kl->v[i].value));
	return a;
}

static json_t *handler_json(const struct handler_spec *h)
{
	return json_pack("{s:i, s:o, s:s?, s:i, s:s?, s:o, s:i, s:i}", "kind",
			 h->kind, "exec", strv_json(&h->exec_command), "path",
			 h->http_path, "port", h->http_port, "host",
			 h->http_host, "headers", kv_json(&h->http_headers),
			 "tcp", h->tcp_port, "sleep", h->sleep_seconds);
}

static json_t *probe_json(const struct probe_spec *p)
{
	if (!p->set)
		return json_null();
	return json_pack("{s:o, s:i, s:i, s:i, s:i, s:i, s:i}", "handler",
			 handler_json(&p->handler), "delay",
			 p->initial_delay_seconds, "period", p->period_seconds,
			 "timeout", p->timeout_seconds, "success",
			 p->success_threshold, "failure", p->failure_threshold,
			 "grace", p->termination_grace_period_seconds);
}

json_t *template_json(const struct deployment_spec *s)
{
	json_t *mounts = json_array(), *j;

	for (size_t i = 0; i < s->n_mounts; i++)
		json_array_append_new(
		    mounts, json_pack("[s,s,b]", s->mounts[i].host_path,
				      s->mounts[i].container_path,
				      s->mounts[i].read_only));
	j = json_pack(
	    "{s:s, s:o, s:o, s:o, s:s?, s:o, s:i, s:i, s:i, s:i, s:i, s:o, "
	    "s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:b, s:o, s:o, s:i, "
	    "s:s?}",
	    "image", s->image, "command", strv_json(&s->command), "args",
	    strv_json(&s->args), "env", strv_json(&s->env), "workingDir",
	    s->working_dir, "mounts", mounts, "port", s->port, "network",
	    s->network, "restartPolicy", s->restart_policy, "grace",
	    s->termination_grace_period_seconds, "stopSignal", s->stop_signal,
	    "preStop", handler_json(&s->pre_stop), "startup",
	    probe_json(&s->startup_probe), "liveness",
	    probe_json(&s->liveness_probe), "readiness",
	    probe_json(&s->readiness_probe), "memory",
	    (json_int_t)s->memory_limit_bytes, "cpu",
	    (json_int_t)s->cpu_limit_millis, "pids", (json_int_t)s->pids_limit,
	    "uid", (json_int_t)s->run_as_user, "gid",
	    (json_int_t)s->run_as_group, "roRoot", s->read_only_root_filesystem,
	    "capDrop", strv_json(&s->caps_drop), "capAdd",
	    strv_json(&s->caps_add), "seccomp", s->seccomp, "seccompFile",
	    s->seccomp_file);
	/* only when set, so templates never restarted keep their hash */
	if (s->restarted_at[0])
		json_object_set_new(j, "restartedAt",
				    json_string(s->restarted_at));
	return j;
}

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
