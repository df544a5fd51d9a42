/*
 * yaml_json.h - YAML text to JSON values and back (libyaml), as kubectl
 * reads manifests. Knows nothing of what the documents mean.
 */
#ifndef BERTH_CONFIG_YAML_JSON_H
#define BERTH_CONFIG_YAML_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "../common/err.h"

/*
 * Parses every document of a YAML stream into a JSON array (empty and null
 * documents are skipped). Plain scalars are typed as YAML 1.1 does (the
 * reading kubectl makes); quoted ones are strings. Errors name
 * NAME:LINE:COLUMN. NULL on error.
 */
json_t *yaml_to_json_docs(const char *buf, size_t len, const char *name,
			  struct berr *err);

/* The same, with *lines_out (when not NULL) an array parallel to the
 * documents: for each, an object mapping the JSON pointer of every value
 * ("/spec/replicas", "" for the root) to its line, for messages. */
json_t *yaml_to_json_docs_lines(const char *buf, size_t len, const char *name,
				json_t **lines_out, struct berr *err);

/* 1 if a file is to be read as YAML (by its extension, else by its first
 * meaningful line: `[section]` and `key = value` are INI), 0 if INI. */
int yaml_looks_like(const char *path, const char *buf, size_t len);

/* Writes a JSON array as a YAML stream, one document per element
 * (`---` between them). malloc'd; NULL on error. */
char *json_to_yaml_docs(json_t *docs, struct berr *err);

#endif
