/*
 * config_internal.h - what the config/ files share while one file is being
 * loaded: the parse state, the key table types and the error helpers.
 * Private to config/; nothing outside config/ may include it.
 */
#ifndef BERTH_CONFIG_CONFIG_INTERNAL_H
#define BERTH_CONFIG_CONFIG_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* INI_MAX_LINE of the inih we build against: the longest line we accept. */
#define CFG_MAX_LINE 200

enum cfg_section {
	CFG_SEC_NONE,
	CFG_SEC_BERTH,
	CFG_SEC_DEPLOYMENT,
	CFG_SEC_SERVICE,
	CFG_SEC_ANALYSIS, /* [analysis NAME]: keys metrics.METRIC.FIELD */
};

/* Which probe a probe-table key is being applied to. */
enum cfg_probe {
	CFG_PROBE_NONE,
	CFG_PROBE_STARTUP,
	CFG_PROBE_LIVENESS,
	CFG_PROBE_READINESS,
};

/* A key set in some section, for duplicates and error lines. */
struct cfg_seen {
	enum cfg_section sec;
	size_t idx; /* deployments[idx] / services[idx]; 0 for [berth] */
	char
	    *key; /* full key as written, e.g. "readinessProbe.periodSeconds" */
	int line;
};

struct cfg_object_opts;

/* The state of one cfg_load(). */
struct cfg_parse {
	struct berth_config *cfg;
	const char *file; /* path as the user gave it, for messages */
	char *dir;	  /* absolute folder of the file */
	char *shown_dir;  /* folder as the user gave it, for messages */

	/* the reader: text, or manifests already read (cfg_load_manifests) */
	json_t *docs;
	/* one object of the Kubernetes API (manifest_object.c): how it is
	 * read, and doc_lines, whose "lines" number its JSON pointers */
	const struct cfg_object_opts *object;
	json_t *doc_lines;
	const char *buf;
	size_t len, pos;
	int line;		     /* physical line being parsed */
	char text[CFG_MAX_LINE + 1]; /* that line, leading blanks removed */

	/* the current section */
	enum cfg_section sec;
	size_t idx;
	bool have_berth;
	int berth_line;

	/* the key being applied */
	const char *key;
	enum cfg_probe probe;

	struct cfg_seen *seen;
	size_t n_seen;

	struct berr *err;
	bool failed;
	int err_line; /* line of the reported error; 0 = no line */
};

/*
 * A value parser: reads value into the field at `field` (already offset
 * into the right struct). Reports errors with cfg_perr() and returns -1.
 */
struct cfg_key;
typedef int (*cfg_parse_fn)(struct cfg_parse *pc, const struct cfg_key *k,
			    void *field, const char *value);

#define CFG_KEY_REPEATABLE 0x1	      /* each occurrence appends */
#define CFG_KEY_NOT_READINESS 0x2     /* probe key refused on readinessProbe */
#define CFG_KEY_ONE_NOT_READINESS 0x4 /* must be 1 unless readinessProbe */

/*
 * One line of the key table. A name ending in '.' with sub set is a prefix:
 * the rest of the key is looked up in sub, with offsets relative to the
 * struct at `offset` (a probe_spec), and `probe` says which probe it is.
 */
struct cfg_key {
	enum cfg_section section;
	const char *name;
	cfg_parse_fn parse;
	size_t offset;
	unsigned flags;
	long long min, max;	  /* integer keys */
	const char *const *names; /* enum keys: names[i] is value i */
	enum handler_kind hkind;  /* handler keys: which handler they select */
	size_t hoff;		  /* handler keys: offset of the handler_spec */
	/* port-or-name keys: offset of the char * a name goes to, in the
	 * struct `offset` is of (the number goes to `offset`) */
	size_t name_off;
	const struct cfg_key *sub;
	enum cfg_probe probe;
	const char *doc; /* one sentence for berth.ini(5); never empty */
};

/* Sets "FILE:LINE: message" (line = pc->line) unless already failed. */
int cfg_perr(struct cfg_parse *pc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Cross-field error at a given line (0: no line). Keeps the error with the
 * smallest line so the first one in the file is reported.
 */
int cfg_verr(struct cfg_parse *pc, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "[deployment echo]" for the current or a given section, for messages. */
const char *cfg_section_label(struct cfg_parse *pc, enum cfg_section sec,
			      size_t idx, char *buf, size_t len);

/* config_ini.c: runs inih over pc->buf; 0 or -1 (pc->err set). */
int cfg_ini_parse(struct cfg_parse *pc);
/* Opens [deployment NAME] or [service NAME] (kind "deployment" or
 * "service") at pc->line: name checks, duplicates, defaults. */
int cfg_open_named(struct cfg_parse *pc, enum cfg_section sec, const char *kind,
		   const char *name);

/* manifest.c: reads pc->buf as Kubernetes YAML/JSON manifests into the
 * same sections and keys; 0 or -1 (pc->err set). */
int cfg_manifest_parse(struct cfg_parse *pc);
/* The same for documents already read: a JSON array of manifests, lines
 * (parallel, JSON pointer -> line) or NULL. */
int cfg_manifest_read_docs(struct cfg_parse *pc, json_t *docs, json_t *lines);
/* config.c: cfg_load_manifests() of one Kubernetes API object, read as
 * o says, lines as in cfg_manifest_read_docs (manifest_object.c). */
int cfg_load_object(const char *name, const char *dir, json_t *docs,
		    json_t *lines, const struct cfg_object_opts *o,
		    struct berth_config **out, struct berr *err);

/* config_keys.c */
int cfg_keys_apply(struct cfg_parse *pc, const char *key, const char *value);
/* Line where key was set in that section, 0 if never. */
int cfg_seen_line(const struct cfg_parse *pc, enum cfg_section sec, size_t idx,
		  const char *key);
/* Line of the first key starting with prefix in that section, 0 if none. */
int cfg_seen_prefix_line(const struct cfg_parse *pc, enum cfg_section sec,
			 size_t idx, const char *prefix);
void cfg_seen_free(struct cfg_parse *pc);
/* Records key as set on the current line of the current section. */
void cfg_seen_record(struct cfg_parse *pc, const char *key);

/* config_values.c: value parsers used by the key table. */
int cfg_parse_int(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value);
int cfg_parse_int64(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value);
int cfg_parse_port(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value);
/* A port number, or a port name (IANA service name) put at k->name_off:
 * Kubernetes' IntOrString of a targetPort or a probe's port. */
int cfg_parse_port_or_name(struct cfg_parse *pc, const struct cfg_key *k,
			   void *field, const char *value);
/* Kubernetes' IANA_SVC_NAME rules of a container port's name. */
bool cfg_is_port_name(const char *s);
int cfg_parse_bool(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value);
int cfg_parse_enum(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value);
int cfg_parse_dir(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value);
int cfg_parse_image(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value);
int cfg_parse_pull_policy(struct cfg_parse *pc, const struct cfg_key *k,
			  void *field, const char *value);
int cfg_parse_runtime(struct cfg_parse *pc, const struct cfg_key *k,
		      void *field, const char *value);
int cfg_parse_kube_api(struct cfg_parse *pc, const struct cfg_key *k,
		       void *field, const char *value);
int cfg_parse_dashboard(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value);
int cfg_parse_admin(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value);
int cfg_parse_listen(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value);
int cfg_parse_abs_path(struct cfg_parse *pc, const struct cfg_key *k,
		       void *field, const char *value);
int cfg_parse_port_name(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value);
int cfg_parse_service_port_name(struct cfg_parse *pc, const struct cfg_key *k,
				void *field, const char *value);
int cfg_parse_registries(struct cfg_parse *pc, const struct cfg_key *k,
			 void *field, const char *value);
int cfg_parse_words(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value);
int cfg_parse_env(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value);
int cfg_parse_mount(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value);
int cfg_parse_labels(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value);
int cfg_parse_selector(struct cfg_parse *pc, const struct cfg_key *k,
		       void *field, const char *value);
int cfg_parse_header(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value);
int cfg_parse_http_path(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value);
int cfg_parse_http_host(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value);
int cfg_parse_http_scheme(struct cfg_parse *pc, const struct cfg_key *k,
			  void *field, const char *value);
/* config_analysis.c: [analysis NAME] sections and their metrics. */
int cfg_analysis_open(struct cfg_parse *pc, const char *name);
/* Applies metrics.METRIC.FIELD = value through the metric key table. */
int cfg_analysis_apply(struct cfg_parse *pc, const char *key,
		       const char *value);
/* Every name in names must be an [analysis NAME] of the file: else an
 * error at line, prefixed with what (e.g. the key that names them). */
void cfg_analysis_check_refs(struct cfg_parse *pc, const struct strv *names,
			     int line, const char *what);
/* After loading: conditions, providers, counts, template references. */
void cfg_analysis_validate(struct cfg_parse *pc);
int cfg_parse_duration_ms(struct cfg_parse *pc, const struct cfg_key *k,
			  void *field, const char *value);
int cfg_parse_condition(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value);
int cfg_parse_url(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value);
int cfg_parse_string(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value);
/* config_keys.c: the keys after metrics.METRIC. */
extern const struct cfg_key cfg_metric_keys[];
const struct cfg_key *cfg_metric_key(const char *name);
/* config_canary.c: strategy.canary.steps. */
int cfg_parse_canary_steps(struct cfg_parse *pc, const struct cfg_key *k,
			   void *field, const char *value);
/* config_bluegreen.c: a name of another section (DNS-1123 label), and
 * the BlueGreen keys' cross-field rules. */
int cfg_parse_name(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value);
void cfg_check_strategy(struct cfg_parse *pc, size_t i);
int cfg_parse_cookie_name(struct cfg_parse *pc, const struct cfg_key *k,
			  void *field, const char *value);
int cfg_parse_surge(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value);
int cfg_parse_signal(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value);
int cfg_parse_memory(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value);
int cfg_parse_cpu(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value);
int cfg_parse_seconds_ms(struct cfg_parse *pc, const struct cfg_key *k,
			 void *field, const char *value);

/* config_security.c */
int cfg_parse_caps(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value);
/* field is the deployment_spec's seccomp; sets seccomp_file too. */
int cfg_parse_seccomp(struct cfg_parse *pc, const struct cfg_key *k,
		      void *field, const char *value);

/* config.c: path helpers. */
/* dir + "/" + p (unless p is absolute), with "." and ".." folded. */
char *cfg_path_resolve(const char *dir, const char *p);

/* config_validate.c: cross-field rules and $(VAR) expansion. */
int cfg_validate(struct cfg_parse *pc);

/* Defaults for a new section's struct. */
void cfg_deployment_defaults(struct deployment_spec *d);
void cfg_service_defaults(struct service_spec *s);

#endif
