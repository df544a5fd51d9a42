/*
 * convert_in_internal.h - what the files of the Kubernetes-in conversion
 * share: the INI text being written, each line with the Kubernetes field
 * it came from (convert_in_ini.c), and the pod template's part
 * (convert_in_pod.c). Private to convert_in*.c.
 */
#ifndef BERTH_KUBE_CONVERT_IN_INTERNAL_H
#define BERTH_KUBE_CONVERT_IN_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"

/* inih's longest line (config_internal.h: CFG_MAX_LINE). */
#define INI_LINE_MAX 200
#define FIELD_MAX 160

struct conv {
	char *buf;
	size_t len, cap;
	char **fields; /* fields[i]: the field of INI line i + 1 */
	size_t n_lines;
	struct berr *err;
	bool failed;
	/* fieldValidation=Strict: an unknown field is refused even when
	 * it holds its zero value. */
	bool strict;
};

/* The first error wins: "FIELD: message". */
void kin_bad(struct conv *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A line as is (a section header). */
void kin_put(struct conv *c, const char *field, const char *text);
/* "key = value": refused when the INI file could not say it. */
void kin_kv(struct conv *c, const char *field, const char *key, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));
void kin_conv_free(struct conv *c);
/* Go's zero values: what a client sends for a field it never set. */
bool kin_is_zero(const json_t *v);
/* Refuses any key of obj outside known (NULL-terminated) that is set. */
void kin_only(struct conv *c, const json_t *obj, const char *path,
	      const char *const *known);
/* out = path.k, cut to FIELD_MAX; out may be path. */
void kin_sub(char *out, const char *path, const char *k);
const char *kin_str_at(struct conv *c, const json_t *obj, const char *k,
		       const char *path);
bool kin_int_at(struct conv *c, const json_t *obj, const char *k,
		const char *path, long long *out);
/* A list of strings as one line of words (str_split_words reads it). */
void kin_words(struct conv *c, const json_t *list, const char *field,
	       const char *key);
/* A map of strings as "k=v,k2=v2". */
void kin_pairs(struct conv *c, const json_t *map, const char *field,
	       const char *key);
/* A port number (named ports are refused). */
void kin_port_kv(struct conv *c, const json_t *obj, const char *k,
		 const char *path, const char *key);

/* spec.template.spec of a Deployment (convert_in_pod.c). */
void kin_pod_spec(struct conv *c, const json_t *pod);

#endif
