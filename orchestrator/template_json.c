/*
 * template_json.c - template_from_json(): a pod template back from the
 * canonical JSON that template_json() (revision.c) writes. The key names
 * and shapes here must stay those of revision.c; the round trip keeps the
 * template hash (store.c checks it). Nothing here touches the daemon.
 */
#include "template_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

/* Every getter returns -1 with err on a key of the wrong type; a missing
 * key (or JSON null) leaves the default. */

static int get_i64(const json_t *o, const char *key, int64_t *out,
		   struct berr *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return berr_set(err, "`%s` is not an integer", key);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int get_int(const json_t *o, const char *key, int *out, struct berr *err)
{
	int64_t v = *out;

	if (get_i64(o, key, &v, err) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

static int get_bool(const json_t *o, const char *key, bool *out,
		    struct berr *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return berr_set(err, "`%s` is not a boolean", key);
	*out = json_is_true(v);
	return 0;
}

/* *out becomes an xstrdup'd copy, or stays NULL for null/missing. */
static int get_str(const json_t *o, const char *key, char **out,
		   struct berr *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return berr_set(err, "`%s` is not a string", key);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* Always a NULL-terminated vector, as the config loader makes them. */
static int get_strv(const json_t *o, const char *key, struct strv *out,
		    struct berr *err)
{
	const json_t *a = json_object_get(o, key), *v;
	size_t i;

	out->n = 0;
	out->v = xcalloc(1, sizeof(*out->v));
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return berr_set(err, "`%s` is not an array", key);
	free(out->v);
	out->v = xcalloc(json_array_size(a) + 1, sizeof(*out->v));
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return berr_set(err, "`%s[%zu]` is not a string", key,
					i);
		out->v[out->n++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static int get_kvlist(const json_t *o, const char *key, struct kvlist *out,
		      struct berr *err)
{
	const json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (a == NULL || json_is_null(a) || json_array_size(a) == 0)
		return 0;
	if (!json_is_array(a))
		return berr_set(err, "`%s` is not an array", key);
	out->v = xcalloc(json_array_size(a), sizeof(*out->v));
	json_array_foreach(a, i, v)
	{
		const char *k = json_string_value(json_array_get(v, 0));
		const char *val = json_string_value(json_array_get(v, 1));

		if (k == NULL || val == NULL)
			return berr_set(err, "`%s[%zu]` is not a pair", key, i);
		out->v[out->n].key = xstrdup(k);
		out->v[out->n].value = xstrdup(val);
		out->n++;
	}
	return 0;
}

static int get_handler(const json_t *o, const char *key, struct handler_spec *h,
		       struct berr *err)
{
	const json_t *j = json_object_get(o, key);
	int kind = HANDLER_NONE;

	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_object(j))
		return berr_set(err, "`%s` is not an object", key);
	if (get_int(j, "kind", &kind, err) == -1 ||
	    get_strv(j, "exec", &h->exec_command, err) == -1 ||
	    get_str(j, "path", &h->http_path, err) == -1 ||
	    get_int(j, "port", &h->http_port, err) == -1 ||
	    get_str(j, "host", &h->http_host, err) == -1 ||
	    get_kvlist(j, "headers", &h->http_headers, err) == -1 ||
	    get_int(j, "tcp", &h->tcp_port, err) == -1 ||
	    get_int(j, "sleep", &h->sleep_seconds, err) == -1)
		return berr_wrap(err, "%s", key);
	if (kind < HANDLER_NONE || kind > HANDLER_SLEEP)
		return berr_set(err, "%s: unknown handler kind %d", key, kind);
	h->kind = (enum handler_kind)kind;
	return 0;
}

static int get_probe(const json_t *o, const char *key, struct probe_spec *p,
		     struct berr *err)
{
	const json_t *j = json_object_get(o, key);

	p->set = false;
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_object(j))
		return berr_set(err, "`%s` is not an object", key);
	p->set = true;
	if (get_handler(j, "handler", &p->handler, err) == -1 ||
	    get_int(j, "delay", &p->initial_delay_seconds, err) == -1 ||
	    get_int(j, "period", &p->period_seconds, err) == -1 ||
	    get_int(j, "timeout", &p->timeout_seconds, err) == -1 ||
	    get_int(j, "success", &p->success_threshold, err) == -1 ||
	    get_int(j, "failure", &p->failure_threshold, err) == -1 ||
	    get_int(j, "grace", &p->termination_grace_period_seconds, err) ==
		-1)
		return berr_wrap(err, "%s", key);
	return 0;
}

static int get_mounts(const json_t *o, struct deployment_spec *s,
		      struct berr *err)
{
	const json_t *a = json_object_get(o, "mounts"), *m;
	size_t i;

	if (a == NULL || json_is_null(a) || json_array_size(a) == 0)
		return 0;
	if (!json_is_array(a))
		return berr_set(err, "`mounts` is not an array");
	s->mounts = xcalloc(json_array_size(a), sizeof(*s->mounts));
	json_array_foreach(a, i, m)
	{
		const char *host = json_string_value(json_array_get(m, 0));
		const char *path = json_string_value(json_array_get(m, 1));

		if (host == NULL || path == NULL ||
		    !json_is_boolean(json_array_get(m, 2)))
			return berr_set(err,
					"`mounts[%zu]` is not "
					"[host, container, read-only]",
					i);
		s->mounts[i].host_path = xstrdup(host);
		s->mounts[i].container_path = xstrdup(path);
		s->mounts[i].read_only = json_is_true(json_array_get(m, 2));
		s->n_mounts++;
	}
	return 0;
}

/* The template fields of t from j; t was zeroed, so a failure leaves
 * nothing cfg_deployment_free cannot free. */
static int parse_template(const json_t *j, struct deployment_spec *t,
			  struct berr *err)
{
	int network = NET_PRIVATE, policy = RESTART_ALWAYS;
	int seccomp = SECCOMP_RUNTIME_DEFAULT;
	const char *restarted =
	    json_string_value(json_object_get(j, "restartedAt"));

	if (!json_is_object(j))
		return berr_set(err, "template is not an object");
	if (!json_is_string(json_object_get(j, "image")))
		return berr_set(err, "template has no image");
	if (get_str(j, "image", &t->image, err) == -1 ||
	    get_strv(j, "command", &t->command, err) == -1 ||
	    get_strv(j, "args", &t->args, err) == -1 ||
	    get_strv(j, "env", &t->env, err) == -1 ||
	    get_str(j, "workingDir", &t->working_dir, err) == -1 ||
	    get_mounts(j, t, err) == -1 ||
	    get_int(j, "port", &t->port, err) == -1 ||
	    get_int(j, "network", &network, err) == -1 ||
	    get_int(j, "restartPolicy", &policy, err) == -1 ||
	    get_int(j, "grace", &t->termination_grace_period_seconds, err) ==
		-1 ||
	    get_int(j, "stopSignal", &t->stop_signal, err) == -1 ||
	    get_handler(j, "preStop", &t->pre_stop, err) == -1 ||
	    get_probe(j, "startup", &t->startup_probe, err) == -1 ||
	    get_probe(j, "liveness", &t->liveness_probe, err) == -1 ||
	    get_probe(j, "readiness", &t->readiness_probe, err) == -1 ||
	    get_i64(j, "memory", &t->memory_limit_bytes, err) == -1 ||
	    get_i64(j, "cpu", &t->cpu_limit_millis, err) == -1 ||
	    get_i64(j, "pids", &t->pids_limit, err) == -1 ||
	    get_i64(j, "uid", &t->run_as_user, err) == -1 ||
	    get_i64(j, "gid", &t->run_as_group, err) == -1 ||
	    get_bool(j, "roRoot", &t->read_only_root_filesystem, err) == -1 ||
	    get_strv(j, "capDrop", &t->caps_drop, err) == -1 ||
	    get_strv(j, "capAdd", &t->caps_add, err) == -1 ||
	    get_int(j, "seccomp", &seccomp, err) == -1 ||
	    get_str(j, "seccompFile", &t->seccomp_file, err) == -1)
		return -1;
	if (network != NET_PRIVATE && network != NET_HOST)
		return berr_set(err, "unknown network mode %d", network);
	if (policy < RESTART_ALWAYS || policy > RESTART_NEVER)
		return berr_set(err, "unknown restart policy %d", policy);
	if (seccomp < SECCOMP_RUNTIME_DEFAULT || seccomp > SECCOMP_FILE)
		return berr_set(err, "unknown seccomp mode %d", seccomp);
	t->network = (enum net_mode)network;
	t->restart_policy = (enum restart_policy)policy;
	t->seccomp = (enum seccomp_mode)seccomp;
	if (restarted != NULL)
		snprintf(t->restarted_at, sizeof(t->restarted_at), "%s",
			 restarted);
	return 0;
}

struct deployment_spec *template_from_json(const json_t *j,
					   const struct deployment_spec *base,
					   struct berr *err)
{
	struct deployment_spec *t = xcalloc(1, sizeof(*t));
	struct deployment_spec *out;

	t->run_as_user = -1;
	t->run_as_group = -1;
	if (parse_template(j, t, err) == -1) {
		cfg_deployment_free(t);
		return NULL;
	}
	out = cfg_deployment_dup(base);
	cfg_deployment_copy_template(out, t);
	cfg_deployment_free(t);
	return out;
}
