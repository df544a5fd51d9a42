/*
 * config_doc.h - the config key table as documentation: every key with its
 * section, doc string and accepted names, for berth.ini(5) and shell
 * completion. Read-only; the table itself is config_keys.c's.
 */
#ifndef BERTH_CONFIG_CONFIG_DOC_H
#define BERTH_CONFIG_CONFIG_DOC_H

#include <stdbool.h>

struct cfg_key_doc {
	/* "berth", "deployment", "service", or "probe" for the keys that
	 * follow a probe prefix (startupProbe. and the others) */
	const char *section;
	const char *name; /* "replicas"; a probe prefix ends in '.' */
	const char *doc;
	const char *const *values; /* enum keys: accepted names, NULL-ended */
	bool repeatable;
};

/* Calls fn for each key in table order: [berth], [deployment], [service],
 * then the probe keys once. */
void cfg_keys_walk(void (*fn)(const struct cfg_key_doc *k, void *arg),
		   void *arg);

#endif
