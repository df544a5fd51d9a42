/*
 * template.h - the pod template as data: one table of its fields (JSON key,
 * offset, type) that every operation on a template walks: deep copy,
 * release and comparison (config/template.c), and the canonical JSON both
 * ways (orchestrator/template_json.c), which is what the revision hash
 * covers. A new template field is one line in a table of template.c, and
 * is then copied, freed, compared, stored, read back and hashed.
 *
 * A field added to the template later must set omit_default: a template
 * that leaves it at its default then has the JSON, and the hash, it had
 * before, since a changed hash rolls out every deployment after an
 * upgrade (tests/unit/test_template_fields.c holds the hashes of earlier
 * releases).
 */
#ifndef BERTH_CONFIG_TEMPLATE_H
#define BERTH_CONFIG_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

enum tmpl_type {
	TMPL_STR,     /* char *; JSON string, null when NULL */
	TMPL_INT,     /* int; JSON integer */
	TMPL_I64,     /* int64_t; JSON integer */
	TMPL_BOOL,    /* bool; JSON boolean */
	TMPL_ENUM,    /* an int-sized enum, 0..max; JSON integer */
	TMPL_STRV,    /* struct strv; JSON array of strings */
	TMPL_KVLIST,  /* struct kvlist; JSON array of [key, value] */
	TMPL_MOUNTS,  /* struct mount_spec * with its size_t count at aux;
			 JSON array of [host, container, read-only] */
	TMPL_HANDLER, /* struct handler_spec; JSON object of sub's fields */
	TMPL_PROBE,   /* struct probe_spec; null when not set, else a JSON
			 object of sub's fields */
	TMPL_STAMP,   /* char[aux], NUL-terminated; a JSON string */
};

struct tmpl_field {
	const char *key; /* JSON key; NULL ends a table */
	enum tmpl_type type;
	size_t off;	    /* offset in the struct the table is of */
	size_t aux;	    /* TMPL_MOUNTS: count offset; STAMP: size */
	long long min, max; /* INT, I64, ENUM: accepted when read */
	long long dflt;	    /* INT, I64, ENUM: when the key is absent */
	bool required;	    /* reading fails when the key is absent */
	/* the key is left out while the field holds its default (dflt, NULL,
	 * false, empty, a probe not set, a handler of kind none) */
	bool omit_default;
	const struct tmpl_field *sub; /* TMPL_HANDLER, TMPL_PROBE */
};

/* The fields of struct deployment_spec that make up the pod template. */
extern const struct tmpl_field cfg_template_fields[];

/* Deep copy of the template fields of src into dst (dst's are garbage). */
void cfg_template_copy(struct deployment_spec *dst,
		       const struct deployment_spec *src);
/* Frees the template fields of s (pointers become NULL, counts 0). */
void cfg_template_release(struct deployment_spec *s);
/*
 * true when a and b have the same pod template: what the revision hash
 * covers (a probe that is not set compares equal whatever its fields).
 */
bool cfg_template_equal(const struct deployment_spec *a,
			const struct deployment_spec *b);

#endif
