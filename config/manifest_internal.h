/*
 * manifest_internal.h - what manifest.c (documents, Deployment, Service)
 * and manifest_pod.c (the pod template) share while reading manifests:
 * the reading context and the field helpers of manifest_util.c; and the
 * values both writers (manifest_out.c, manifest_rollout_out.c) spell the
 * same way. Private to config/.
 */
#ifndef BERTH_CONFIG_MANIFEST_INTERNAL_H
#define BERTH_CONFIG_MANIFEST_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "config_internal.h"

#define ANNOTATION_PREFIX "berth.io/"

struct mctx {
	struct cfg_parse *pc;
	json_t *lines; /* JSON pointer -> line, of the current document */
	int doc_line;
	const char *kind;
	const char *name;
};

/* "/spec/template/spec/containers/0/image" as
 * "spec.template.spec.containers[0].image". */
void mf_field_name(const char *ptr, char *out, size_t len);
/* The YAML line of the value at ptr (the document's when unknown). */
int mf_line_of(const struct mctx *m, const char *ptr);
/* "FILE:LINE: Deployment web: spec.replicas: message"; -1. */
int mf_err(struct mctx *m, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ptr + "/" + key, ptr + "/" + i: malloc'd. */
char *mf_child(const char *ptr, const char *key);
char *mf_child_i(const char *ptr, size_t i);
/* Go's zero values: null, false, "", 0, {}, []. */
bool mf_is_zero(json_t *v);
/* Refuses any key of obj not in allowed (NULL-terminated), by name (an
 * API object read leniently may hold one at its zero value). */
int mf_only(struct mctx *m, json_t *obj, const char *ptr,
	    const char *const *allowed);
/* parent[key] when it has the type (NULL when absent or null; an error
 * and NULL with m->pc->failed set when of another type). */
json_t *mf_get(struct mctx *m, json_t *parent, const char *ptr, const char *key,
	       json_type type, const char *what);
#define GET_OBJ(m, o, ptr, key) mf_get(m, o, ptr, key, JSON_OBJECT, "a map")
#define GET_ARR(m, o, ptr, key) mf_get(m, o, ptr, key, JSON_ARRAY, "a list")
/* A scalar as the INI text of the same value; NULL for anything else. */
char *mf_scalar_text(json_t *v);
/* Hands text to the key table as INI key `key`, at the line of ptr. */
int mf_apply_text(struct mctx *m, const char *ptr, const char *key,
		  const char *text);
/* obj[field] (a scalar, when present) as key. */
int mf_apply_scalar(struct mctx *m, json_t *obj, const char *ptr,
		    const char *field, const char *key);
/* obj[field] (a port number, never a string) as key. */
int mf_apply_port(struct mctx *m, json_t *obj, const char *ptr,
		  const char *field, const char *key);
/* obj[field], an IntOrString (a number, or a string that is a port
 * name), as key. */
int mf_apply_port_or_name(struct mctx *m, json_t *obj, const char *ptr,
			  const char *field, const char *key);
/* obj[field] (a list of strings) as one word list for key. */
int mf_apply_words(struct mctx *m, json_t *obj, const char *ptr,
		   const char *field, const char *key);
/* A Service's berth.io/listen annotation and its one port (port: the
 * ports[0] map) must name the same port number. */
int mf_check_listen_port(struct mctx *m, json_t *listen, json_t *port);
/* A map of strings as "k=v,k2=v2" for key. */
int mf_apply_map(struct mctx *m, json_t *map, const char *ptr, const char *key);
/* `berth.io/KEY: value` annotations of meta, as keys of the section. */
int mf_apply_annotations(struct mctx *m, json_t *meta, const char *mptr);

/* manifest_out.c: maxSurge and maxUnavailable, 1 or "25%". */
json_t *mf_int_or_percent(struct int_or_percent v);
/* manifest_out.c: n thousandths of unit, as Kubernetes writes quantities
 * and Argo durations: whole ones with unit ("2", "10s"), else n with
 * milli_unit ("1500m", "1500ms"). */
json_t *mf_thousandths(int64_t n, const char *unit, const char *milli_unit);

/* manifest.c: an apps/v1 Deployment (or a Rollout's Deployment part)
 * as a [deployment NAME]; m->kind names it in messages. */
int mf_read_deployment(struct mctx *m, json_t *doc);
/* manifest_rollout.c: argoproj.io/v1alpha1 Rollout (a deployment with
 * its strategy.canary / strategy.blueGreen keys) and AnalysisTemplate
 * (an [analysis NAME]). */
int mf_read_rollout(struct mctx *m, json_t *doc);
int mf_read_analysis_template(struct mctx *m, json_t *doc);

/* manifest_pod.c: spec.template.spec at ptr, into the open deployment. */
int mf_read_pod_spec(struct mctx *m, json_t *spec, const char *ptr);
/* manifest_pod.c: spec.template.metadata: labels required, no
 * annotation but `rollout restart`'s stamp. */
int mf_check_template_meta(struct mctx *m, json_t *tmeta, json_t *tlabels);
/* manifest_object.c: a Deployment's spec.paused, where the API's reading
 * wants it; refused in a file. */
int mf_read_paused(struct mctx *m, json_t *spec);

#endif
