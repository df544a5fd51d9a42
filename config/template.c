/*
 * template.c - the pod template's field tables and the walks over them that
 * need no JSON: deep copy, release, comparison. The JSON form (and so the
 * revision hash) is orchestrator/template_json.c's, over the same tables.
 * Owns nothing else: the INI keys that fill these fields are config_keys.c's.
 */
#include "template.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

/* Enums are read and written through an int. */
_Static_assert(sizeof(enum handler_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(enum net_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum restart_policy) == sizeof(int), "enum size");
_Static_assert(sizeof(enum seccomp_mode) == sizeof(int), "enum size");

#define STR(k, st, f)                                                          \
	{                                                                      \
		.key = k, .type = TMPL_STR, .off = offsetof(st, f)             \
	}
#define STRV(k, st, f)                                                         \
	{                                                                      \
		.key = k, .type = TMPL_STRV, .off = offsetof(st, f)            \
	}
#define KVLIST(k, st, f)                                                       \
	{                                                                      \
		.key = k, .type = TMPL_KVLIST, .off = offsetof(st, f)          \
	}
#define BOOL(k, st, f)                                                         \
	{                                                                      \
		.key = k, .type = TMPL_BOOL, .off = offsetof(st, f)            \
	}
#define INT(k, st, f, d)                                                       \
	{                                                                      \
		.key = k, .type = TMPL_INT, .off = offsetof(st, f),            \
		.min = INT_MIN, .max = INT_MAX, .dflt = d                      \
	}
#define I64(k, st, f, d)                                                       \
	{                                                                      \
		.key = k, .type = TMPL_I64, .off = offsetof(st, f),            \
		.min = INT64_MIN, .max = INT64_MAX, .dflt = d                  \
	}
#define ENUM(k, st, f, last)                                                   \
	{                                                                      \
		.key = k, .type = TMPL_ENUM, .off = offsetof(st, f), .min = 0, \
		.max = last                                                    \
	}

static const struct tmpl_field handler_fields[] = {
    ENUM("kind", struct handler_spec, kind, HANDLER_SLEEP),
    STRV("exec", struct handler_spec, exec_command),
    STR("path", struct handler_spec, http_path),
    INT("port", struct handler_spec, http_port, 0),
    STR("host", struct handler_spec, http_host),
    KVLIST("headers", struct handler_spec, http_headers),
    INT("tcp", struct handler_spec, tcp_port, 0),
    INT("sleep", struct handler_spec, sleep_seconds, 0),
    /* added after the others: only when set (see template.h) */
    {.key = "portName",
     .type = TMPL_STR,
     .off = offsetof(struct handler_spec, port_name),
     .omit_default = true},
    {0},
};

#define P struct probe_spec
static const struct tmpl_field probe_fields[] = {
    {.key = "handler",
     .type = TMPL_HANDLER,
     .off = offsetof(P, handler),
     .sub = handler_fields},
    INT("delay", P, initial_delay_seconds, 0),
    INT("period", P, period_seconds, 0),
    INT("timeout", P, timeout_seconds, 0),
    INT("success", P, success_threshold, 0),
    INT("failure", P, failure_threshold, 0),
    INT("grace", P, termination_grace_period_seconds, 0),
    {0},
};

#define D struct deployment_spec
#define PROBE(k, f)                                                            \
	{                                                                      \
		.key = k, .type = TMPL_PROBE, .off = offsetof(D, f),           \
		.sub = probe_fields                                            \
	}
const struct tmpl_field cfg_template_fields[] = {
    {.key = "image",
     .type = TMPL_STR,
     .off = offsetof(D, image),
     .required = true},
    STRV("command", D, command),
    STRV("args", D, args),
    STRV("env", D, env),
    STR("workingDir", D, working_dir),
    {.key = "mounts",
     .type = TMPL_MOUNTS,
     .off = offsetof(D, mounts),
     .aux = offsetof(D, n_mounts)},
    INT("port", D, port, 0),
    ENUM("network", D, network, NET_HOST),
    ENUM("restartPolicy", D, restart_policy, RESTART_NEVER),
    INT("grace", D, termination_grace_period_seconds, 0),
    INT("stopSignal", D, stop_signal, 0),
    {.key = "preStop",
     .type = TMPL_HANDLER,
     .off = offsetof(D, pre_stop),
     .sub = handler_fields},
    PROBE("startup", startup_probe),
    PROBE("liveness", liveness_probe),
    PROBE("readiness", readiness_probe),
    I64("memory", D, memory_limit_bytes, 0),
    I64("cpu", D, cpu_limit_millis, 0),
    I64("pids", D, pids_limit, 0),
    I64("uid", D, run_as_user, -1),
    I64("gid", D, run_as_group, -1),
    BOOL("roRoot", D, read_only_root_filesystem),
    STRV("capDrop", D, caps_drop),
    STRV("capAdd", D, caps_add),
    ENUM("seccomp", D, seccomp, SECCOMP_FILE),
    STR("seccompFile", D, seccomp_file),
    /* added after the others: only when set (see template.h) */
    {.key = "restartedAt",
     .type = TMPL_STAMP,
     .off = offsetof(D, restarted_at),
     .aux = sizeof(((D *)0)->restarted_at),
     .omit_default = true},
    {.key = "imagePullPolicy",
     .type = TMPL_ENUM,
     .off = offsetof(D, image_pull_policy),
     .min = 0,
     .max = 3,
     .omit_default = true},
    {.key = "portName",
     .type = TMPL_STR,
     .off = offsetof(D, port_name),
     .omit_default = true},
    {0},
};

#define AT(base, f, type) ((type *)((char *)(base) + (f)->off))
#define CAT(base, f, type) ((const type *)((const char *)(base) + (f)->off))
/* so that CAT() of a pointer field reads it as a const pointer */
typedef char *str_ptr;
typedef struct mount_spec *mounts_ptr;

static size_t scalar_size(enum tmpl_type t)
{
	switch (t) {
	case TMPL_INT:
	case TMPL_ENUM:
		return sizeof(int);
	case TMPL_I64:
		return sizeof(int64_t);
	case TMPL_BOOL:
		return sizeof(bool);
	default:
		return 0;
	}
}

static char *dup_str(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void strv_copy(struct strv *dst, const struct strv *src)
{
	dst->n = src->n;
	dst->v = NULL;
	if (src->v == NULL)
		return;
	dst->v = xcalloc(src->n + 1, sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++)
		dst->v[i] = xstrdup(src->v[i]);
}

static void kvlist_copy(struct kvlist *dst, const struct kvlist *src)
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

static void mounts_copy(struct mount_spec **dst, size_t *dst_n,
			const struct mount_spec *src, size_t n)
{
	*dst_n = n;
	*dst = NULL;
	if (n == 0)
		return;
	*dst = xcalloc(n, sizeof(**dst));
	for (size_t i = 0; i < n; i++) {
		(*dst)[i].host_path = xstrdup(src[i].host_path);
		(*dst)[i].container_path = xstrdup(src[i].container_path);
		(*dst)[i].read_only = src[i].read_only;
	}
}

static void copy_fields(const struct tmpl_field *t, void *dst, const void *src)
{
	for (const struct tmpl_field *f = t; f->key != NULL; f++) {
		switch (f->type) {
		case TMPL_STR:
			*AT(dst, f, char *) = dup_str(*CAT(src, f, str_ptr));
			break;
		case TMPL_INT:
		case TMPL_I64:
		case TMPL_BOOL:
		case TMPL_ENUM:
			memcpy(AT(dst, f, char), CAT(src, f, char),
			       scalar_size(f->type));
			break;
		case TMPL_STRV:
			strv_copy(AT(dst, f, struct strv),
				  CAT(src, f, struct strv));
			break;
		case TMPL_KVLIST:
			kvlist_copy(AT(dst, f, struct kvlist),
				    CAT(src, f, struct kvlist));
			break;
		case TMPL_MOUNTS:
			mounts_copy(
			    AT(dst, f, struct mount_spec *),
			    (size_t *)((char *)dst + f->aux),
			    *CAT(src, f, mounts_ptr),
			    *(const size_t *)((const char *)src + f->aux));
			break;
		case TMPL_HANDLER:
			copy_fields(f->sub, AT(dst, f, char),
				    CAT(src, f, char));
			break;
		case TMPL_PROBE:
			AT(dst, f, struct probe_spec)->set =
			    CAT(src, f, struct probe_spec)->set;
			copy_fields(f->sub, AT(dst, f, char),
				    CAT(src, f, char));
			break;
		case TMPL_STAMP:
			memcpy(AT(dst, f, char), CAT(src, f, char), f->aux);
			break;
		}
	}
}

static void release_fields(const struct tmpl_field *t, void *base)
{
	for (const struct tmpl_field *f = t; f->key != NULL; f++) {
		switch (f->type) {
		case TMPL_STR:
			free(*AT(base, f, char *));
			*AT(base, f, char *) = NULL;
			break;
		case TMPL_STRV:
			strv_free(AT(base, f, struct strv));
			break;
		case TMPL_KVLIST:
			kvlist_free(AT(base, f, struct kvlist));
			break;
		case TMPL_MOUNTS: {
			struct mount_spec *m =
			    *AT(base, f, struct mount_spec *);
			size_t *n = (size_t *)((char *)base + f->aux);

			for (size_t i = 0; i < *n; i++) {
				free(m[i].host_path);
				free(m[i].container_path);
			}
			free(m);
			*AT(base, f, struct mount_spec *) = NULL;
			*n = 0;
			break;
		}
		case TMPL_HANDLER:
		case TMPL_PROBE:
			release_fields(f->sub, AT(base, f, char));
			break;
		default:
			break;
		}
	}
}

static bool str_eq(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static bool strv_eq(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static bool kvlist_eq(const struct kvlist *a, const struct kvlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) != 0 ||
		    strcmp(a->v[i].value, b->v[i].value) != 0)
			return false;
	return true;
}

static bool mounts_eq(const struct mount_spec *a, const struct mount_spec *b,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].host_path, b[i].host_path) != 0 ||
		    strcmp(a[i].container_path, b[i].container_path) != 0 ||
		    a[i].read_only != b[i].read_only)
			return false;
	return true;
}

static bool fields_eq(const struct tmpl_field *t, const void *a, const void *b)
{
	for (const struct tmpl_field *f = t; f->key != NULL; f++) {
		bool eq = true;

		switch (f->type) {
		case TMPL_STR:
			eq = str_eq(*CAT(a, f, str_ptr), *CAT(b, f, str_ptr));
			break;
		case TMPL_INT:
		case TMPL_ENUM:
			eq = *CAT(a, f, int) == *CAT(b, f, int);
			break;
		case TMPL_I64:
			eq = *CAT(a, f, int64_t) == *CAT(b, f, int64_t);
			break;
		case TMPL_BOOL:
			eq = *CAT(a, f, bool) == *CAT(b, f, bool);
			break;
		case TMPL_STRV:
			eq = strv_eq(CAT(a, f, struct strv),
				     CAT(b, f, struct strv));
			break;
		case TMPL_KVLIST:
			eq = kvlist_eq(CAT(a, f, struct kvlist),
				       CAT(b, f, struct kvlist));
			break;
		case TMPL_MOUNTS: {
			size_t na = *(const size_t *)((const char *)a + f->aux);
			size_t nb = *(const size_t *)((const char *)b + f->aux);

			eq = na == nb && mounts_eq(*CAT(a, f, mounts_ptr),
						   *CAT(b, f, mounts_ptr), na);
			break;
		}
		case TMPL_HANDLER:
			eq =
			    fields_eq(f->sub, CAT(a, f, char), CAT(b, f, char));
			break;
		case TMPL_PROBE: {
			const struct probe_spec *pa =
			    CAT(a, f, struct probe_spec);
			const struct probe_spec *pb =
			    CAT(b, f, struct probe_spec);

			eq = pa->set == pb->set &&
			     (!pa->set || fields_eq(f->sub, pa, pb));
			break;
		}
		case TMPL_STAMP:
			eq = strncmp(CAT(a, f, char), CAT(b, f, char),
				     f->aux) == 0;
			break;
		}
		if (!eq)
			return false;
	}
	return true;
}

void cfg_template_copy(struct deployment_spec *dst,
		       const struct deployment_spec *src)
{
	copy_fields(cfg_template_fields, dst, src);
}

void cfg_template_release(struct deployment_spec *s)
{
	release_fields(cfg_template_fields, s);
}

bool cfg_template_equal(const struct deployment_spec *a,
			const struct deployment_spec *b)
{
	return fields_eq(cfg_template_fields, a, b);
}
