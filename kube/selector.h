/*
 * selector.h - Kubernetes label selectors ("app=web,tier!=db",
 * "env in (a,b)", "!canary", "k") and field selectors ("metadata.name=x")
 * parsed once and matched against Kubernetes objects. Pure.
 */
#ifndef BERTH_KUBE_SELECTOR_H
#define BERTH_KUBE_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum kube_sel_op {
	KSEL_EQ,
	KSEL_NE,
	KSEL_IN,
	KSEL_NOTIN,
	KSEL_EXISTS,
	KSEL_NOT_EXISTS
};

struct kube_req_term {
	enum kube_sel_op op;
	char *key;
	char **values; /* NULL-terminated */
	size_t n_values;
};

struct kube_selector {
	struct kube_req_term *terms;
	size_t n;
	bool fields; /* a field selector: keys are dotted object paths */
};

/* 0, or -1 with why filled ("unable to parse requirement: ..."). */
int kube_label_selector_parse(const char *s, struct kube_selector *out,
			      char *why, size_t why_len);
/* Field selectors: "f=v", "f==v", "f!=v", comma-separated; each field must
 * be in allowed (NULL-terminated), else "field label not supported: f". */
int kube_field_selector_parse(const char *s, const char *const *allowed,
			      struct kube_selector *out, char *why,
			      size_t why_len);
bool kube_selector_matches(const struct kube_selector *sel, json_t *obj);
void kube_selector_free(struct kube_selector *sel);

#endif
