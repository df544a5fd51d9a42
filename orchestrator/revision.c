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
		json_array_append_new(a, json_pack("[s,s]", kl->v[i].key,
						   kl->v[i].value));
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
	json_t *mounts = json_array();

	for (size_t i = 0; i < s->n_mounts; i++)
		json_array_append_new(
			mounts, json_pack("[s,s,b]", s->mounts[i].host_path,
					  s->mounts[i].container_path,
					  s->mounts[i].read_only));
	return json_pack(
		"{s:s, s:o, s:o, s:o, s:s?, s:o, s:i, s:i, s:i, s:i, s:i, s:o, "
		"s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:b, s:o, s:o, s:i, "
		"s:s?}",
		"image", s->image, "command", strv_json(&s->command), "args",
		strv_json(&s->args), "env", strv_json(&s->env), "workingDir",
		s->working_dir, "mounts", mounts, "port", s->port, "network",
		s->network, "restartPolicy", s->restart_policy, "grace",
		s->termination_grace_period_seconds, "stopSignal",
		s->stop_signal, "preStop", handler_json(&s->pre_stop),
		"startup", probe_json(&s->startup_probe), "liveness",
		probe_json(&s->liveness_probe), "readiness",
		probe_json(&s->readiness_probe), "memory",
		(json_int_t)s->memory_limit_bytes, "cpu",
		(json_int_t)s->cpu_limit_millis, "pids",
		(json_int_t)s->pids_limit, "uid", (json_int_t)s->run_as_user,
		"gid", (json_int_t)s->run_as_group, "roRoot",
		s->read_only_root_filesystem, "capDrop",
		strv_json(&s->caps_drop), "capAdd", strv_json(&s->caps_add),
		"seccomp", s->seccomp, "seccompFile", s->seccomp_file);
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
	snprintf(out, 16, "%06llx", (unsigned long long)((h ^ (h >> 32)) & 0xffffff));
	free(text);
	json_decref(j);
}

int revision_note(struct deployment *dep, const char *hash, const char *cause)
{
	int next = 0;

	for (size_t i = 0; i < dep->n_revisions; i++) {
		if (dep->revisions[i].number > next)
			next = dep->revisions[i].number;
		if (!strcmp(dep->revisions[i].hash, hash))
			return dep->revisions[i].number;
	}
	dep->revisions = xrealloc(dep->revisions, (dep->n_revisions + 1) *
							  sizeof(*dep->revisions));
	memset(&dep->revisions[dep->n_revisions], 0, sizeof(struct revision));
	dep->revisions[dep->n_revisions].number = next + 1;
	snprintf(dep->revisions[dep->n_revisions].hash, 16, "%s", hash);
	snprintf(dep->revisions[dep->n_revisions].cause, 128, "%s",
		 cause ? cause : "");
	dep->revisions[dep->n_revisions].created_ms = now_ms();
	dep->n_revisions++;
	return next + 1;
}

void revision_free_all(struct deployment *dep)
{
	for (size_t i = 0; i < dep->n_revisions; i++)
		if (dep->revisions[i].spec_ref)
			cfg_ref_put(dep->revisions[i].spec_ref);
	xfree(dep->revisions);
	dep->n_revisions = 0;
}
