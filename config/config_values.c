/*
 * config_values.c - value parsers for the key table: one function per value
 * syntax (integer, port, enum, path, words, env, mount, labels, quantity,
 * signal...). Each checks one value and fills one field, or reports
 * "FILE:LINE: KEY: what is wrong". Knows nothing of other keys: rules that
 * span keys are config_validate.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/image_ref.h"
#include "../common/quantity.h"
#include "../common/sigtab.h"
#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "config_internal.h"

static int int_value(struct cfg_parse *pc, const struct cfg_key *k,
		     const char *value, long long *out)
{
	long long v;
	int bad = str_parse_ll(value, &v);

	if (bad == -1 && errno == ERANGE)
		return cfg_perr(pc, "%s: \"%s\" is too large (at most %lld)",
				pc->key, value, k->max);
	if (bad == -1 || v < k->min) {
		if (k->min == 0)
			return cfg_perr(pc,
					"%s: \"%s\" is not a non-negative "
					"integer",
					pc->key, value);
		if (k->min == 1)
			return cfg_perr(pc,
					"%s: \"%s\" is not a positive integer",
					pc->key, value);
		return cfg_perr(pc, "%s: \"%s\" is not an integer >= %lld",
				pc->key, value, k->min);
	}
	if (v > k->max)
		return cfg_perr(pc, "%s: \"%s\" is too large (at most %lld)",
				pc->key, value, k->max);
	*out = v;
	return 0;
}

int cfg_parse_int(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value)
{
	long long v;

	if (int_value(pc, k, value, &v) == -1)
		return -1;
	*(int *)field = (int)v;
	return 0;
}

int cfg_parse_int64(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value)
{
	long long v;

	if (int_value(pc, k, value, &v) == -1)
		return -1;
	*(int64_t *)field = v;
	return 0;
}

int cfg_parse_seconds_ms(struct cfg_parse *pc, const struct cfg_key *k,
			 void *field, const char *value)
{
	long long v;

	if (int_value(pc, k, value, &v) == -1)
		return -1;
	*(int *)field = (int)(v * 1000);
	return 0;
}

int cfg_parse_port(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value)
{
	long long v;

	if (str_parse_ll(value, &v) == -1 || v < 1 || v > 65535)
		return cfg_perr(pc, "%s: \"%s\" is not a port number (1-65535)",
				pc->key, value);
	*(int *)field = (int)v;
	return 0;
}

int cfg_parse_bool(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value)
{
	if (strcmp(value, "true") == 0)
		*(bool *)field = true;
	else if (strcmp(value, "false") == 0)
		*(bool *)field = false;
	else
		return cfg_perr(pc, "%s: \"%s\" is not true or false", pc->key,
				value);
	return 0;
}

int cfg_parse_enum(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value)
{
	char list[256] = "";
	size_t len = 0;

	for (int i = 0; k->names[i] != NULL; i++) {
		if (strcmp(value, k->names[i]) == 0) {
			*(int *)field = i;
			return 0;
		}
	}
	for (int i = 0; k->names[i] != NULL && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i ? ", " : "", k->names[i]);
	return cfg_perr(pc, "%s: \"%s\" is not one of %s", pc->key, value,
			list);
}

static int need_value(struct cfg_parse *pc, const char *value)
{
	if (*value == '\0')
		return cfg_perr(pc, "%s: value is empty", pc->key);
	return 0;
}

static void set_string(void *field, char *s)
{
	free(*(char **)field);
	*(char **)field = s;
}

int cfg_parse_dir(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value)
{
	if (need_value(pc, value) == -1)
		return -1;
	set_string(field, cfg_path_resolve(pc->dir, value));
	return 0;
}

/* A folder (SPEC §8): starts with `/`, `./`, `../`, or names an existing
 * folder relative to the config file (an existing file is refused as a
 * folder, not read as a reference); anything else is an image reference,
 * which must parse. */
int cfg_parse_image(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value)
{
	struct berr rerr = BERR_INIT;
	struct image_ref ref;
	struct stat st;
	char *abs;
	int rc;

	if (need_value(pc, value) == -1)
		return -1;
	abs = cfg_path_resolve(pc->dir, value);
	rc = stat(abs, &st);
	if (!image_ref_is_folder(value) && rc == -1) {
		free(abs);
		if (image_ref_parse(value, &ref, &rerr) == -1)
			return cfg_perr(
			    pc,
			    "image \"%s\" is neither a folder nor a "
			    "valid image reference: %s",
			    value, rerr.msg);
		set_string(field, xstrdup(value));
		return 0;
	}
	if (rc == -1 || !S_ISDIR(st.st_mode)) {
		int e = rc == -1 ? errno : 0;
		bool missing = e == ENOENT || e == ENOTDIR;
		char where[CFG_MAX_LINE * 2 + 32] = "";

		if (value[0] != '/')
			snprintf(where, sizeof(where), " (resolved to %s/%s)",
				 pc->shown_dir, value);
		free(abs);
		if (missing)
			return cfg_perr(pc,
					"image directory \"%s\" does not "
					"exist%s",
					value, where);
		if (rc == -1)
			return cfg_perr(pc, "image \"%s\"%s: %s", value, where,
					strerror(e));
		return cfg_perr(pc, "image \"%s\" is not a directory%s", value,
				where);
	}
	set_string(field, abs);
	return 0;
}

int cfg_parse_pull_policy(struct cfg_parse *pc, const struct cfg_key *k,
			  void *field, const char *value)
{
	enum image_pull_policy pp;

	if (image_pull_policy_parse(value, &pp) == -1)
		return cfg_perr(pc,
				"%s: \"%s\" is not one of Always, "
				"IfNotPresent, Never",
				pc->key, value);
	*(int *)field = (int)pp + 1;
	return 0;
}

int cfg_parse_runtime(struct cfg_parse *pc, const struct cfg_key *k,
		      void *field, const char *value)
{
	if (strcmp(value, "runc") != 0 && strcmp(value, "crun") != 0 &&
	    value[0] != '/')
		return cfg_perr(pc,
				"runtime: \"%s\" must be runc, crun or an "
				"absolute path",
				value);
	set_string(field, xstrdup(value));
	return 0;
}

static int hostport(struct cfg_parse *pc, const char *value,
		    const char *examples)
{
	char host[64];
	const char *why = "";
	int port;

	if (str_split_hostport(value, host, sizeof(host), &port, &why) == -1)
		return cfg_perr(pc, "%s: \"%s\" is not ADDR:PORT (%s); e.g. %s",
				pc->key, value, why, examples);
	return 0;
}

int cfg_parse_admin(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value)
{
	if (strcmp(value, "off") == 0) {
		set_string(field, NULL);
		return 0;
	}
	if (hostport(pc, value, "127.0.0.1:9180, [::1]:9180 or off") == -1)
		return -1;
	set_string(field, xstrdup(value));
	return 0;
}

int cfg_parse_kube_api(struct cfg_parse *pc, const struct cfg_key *k,
		       void *field, const char *value)
{
	if (strcmp(value, "off") == 0) {
		set_string(field, NULL);
		return 0;
	}
	if (hostport(pc, value, "127.0.0.1:6443, [::1]:6443 or off") == -1)
		return -1;
	set_string(field, xstrdup(value));
	return 0;
}

int cfg_parse_dashboard(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value)
{
	if (strcmp(value, "off") == 0) {
		set_string(field, NULL);
		return 0;
	}
	if (hostport(pc, value, "127.0.0.1:9181, [::1]:9181 or off") == -1)
		return -1;
	set_string(field, xstrdup(value));
	return 0;
}

int cfg_parse_listen(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value)
{
	if (hostport(pc, value, "0.0.0.0:8080 or [::]:8080") == -1)
		return -1;
	set_string(field, xstrdup(value));
	return 0;
}

int cfg_parse_abs_path(struct cfg_parse *pc, const struct cfg_key *k,
		       void *field, const char *value)
{
	if (value[0] != '/')
		return cfg_perr(pc, "%s: \"%s\" must be an absolute path",
				pc->key, value);
	set_string(field, xstrdup(value));
	return 0;
}

/* Kubernetes' IANA_SVC_NAME: at most 15 of [a-z0-9-], at least one
 * letter, no '-' at either end and no "--". */
bool cfg_is_port_name(const char *s)
{
	size_t n = strlen(s);
	bool letter = false;

	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' ||
	    strstr(s, "--"))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

int cfg_parse_port_name(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value)
{
	(void)k;
	if (!cfg_is_port_name(value))
		return cfg_perr(pc,
				"%s: \"%s\" is not a port name (at most 15 "
				"lowercase letters, digits and '-', with a "
				"letter, no '-' at either end and no \"--\")",
				pc->key, value);
	set_string(field, xstrdup(value));
	return 0;
}

int cfg_parse_port_or_name(struct cfg_parse *pc, const struct cfg_key *k,
			   void *field, const char *value)
{
	char **name = (char **)((char *)field - k->offset + k->name_off);
	long long v;

	if (str_parse_ll(value, &v) == 0) {
		if (v < 1 || v > 65535)
			return cfg_perr(pc,
					"%s: \"%s\" is not a port number "
					"(1-65535)",
					pc->key, value);
		set_string(name, NULL);
		*(int *)field = (int)v;
		return 0;
	}
	if (!cfg_is_port_name(value))
		return cfg_perr(pc,
				"%s: \"%s\" is neither a port number "
				"(1-65535) nor a port name (at most 15 "
				"lowercase letters, digits and '-', with a "
				"letter, no '-' at either end and no \"--\")",
				pc->key, value);
	set_string(name, xstrdup(value));
	*(int *)field = 0;
	return 0;
}

/* A Service port's name is a DNS-1123 label, as Kubernetes checks it. */
int cfg_parse_service_port_name(struct cfg_parse *pc, const struct cfg_key *k,
				void *field, const char *value)
{
	(void)k;
	if (!str_is_dns_label(value, 63))
		return cfg_perr(pc,
				"%s: \"%s\" is not a port name (a lowercase "
				"DNS-1123 label of at most 63 characters)",
				pc->key, value);
	set_string(field, xstrdup(value));
	return 0;
}

int cfg_parse_words(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value)
{
	struct strv *sv = field;
	const char *why = "";
	char **v;
	size_t n;

	if (str_split_words(value, &v, &n, &why) == -1)
		return cfg_perr(pc, "%s: %s", pc->key, why);
	if (n == 0) {
		str_free_words(v);
		return cfg_perr(pc, "%s: value is empty", pc->key);
	}
	strv_free(sv);
	sv->v = v;
	sv->n = n;
	return 0;
}

static void strv_push(struct strv *sv, char *s)
{
	sv->v = xrealloc(sv->v, (sv->n + 2) * sizeof(*sv->v));
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

/* "host[:port], host2" - registries reached over plain HTTP or without
 * TLS verification; a scheme or a path is an error. */
int cfg_parse_registries(struct cfg_parse *pc, const struct cfg_key *k,
			 void *field, const char *value)
{
	struct strv *sv = field, out = {0};
	const char *p = value;

	while (*p) {
		size_t n = strcspn(p, ", \t");

		if (n) {
			char *r = xstrndup(p, n);

			if (strspn(r, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789.-:[]") != n) {
				cfg_perr(pc,
					 "%s: `%s` is not a registry "
					 "(host or host:port)",
					 pc->key, r);
				free(r);
				strv_free(&out);
				return -1;
			}
			strv_push(&out, r);
		}
		p += n;
		p += strspn(p, ", \t");
	}
	strv_free(sv);
	*sv = out;
	return 0;
}

int cfg_parse_env(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value)
{
	const char *eq = strchr(value, '=');
	char *name;

	if (eq == NULL)
		return cfg_perr(pc, "env: \"%s\" is not NAME=VALUE", value);
	name = xstrndup(value, (size_t)(eq - value));
	if (!str_is_env_name(name)) {
		cfg_perr(pc,
			 "env: \"%s\" is not a valid variable name (letters, "
			 "digits, '_', '-' and '.', not starting with a digit)",
			 name);
		free(name);
		return -1;
	}
	free(name);
	strv_push(field, xstrdup(value));
	return 0;
}

int cfg_parse_mount(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value)
{
	struct deployment_spec *d = &pc->cfg->deployments[pc->idx];
	char *copy = xstrdup(value);
	char *host = copy, *cont, *mode;
	bool ro = false;

	cont = strchr(copy, ':');
	if (cont != NULL)
		*cont++ = '\0';
	mode = cont ? strchr(cont, ':') : NULL;
	if (mode != NULL)
		*mode++ = '\0';
	if (cont == NULL || *host == '\0' || *cont == '\0' ||
	    (mode != NULL && strchr(mode, ':') != NULL)) {
		free(copy);
		return cfg_perr(pc,
				"mount: \"%s\" is not HOST:CONTAINER or "
				"HOST:CONTAINER:ro",
				value);
	}
	if (mode != NULL) {
		if (strcmp(mode, "ro") == 0) {
			ro = true;
		} else if (strcmp(mode, "rw") != 0) {
			cfg_perr(pc,
				 "mount: option \"%s\" in \"%s\" must be ro or "
				 "rw",
				 mode, value);
			free(copy);
			return -1;
		}
	}
	if (cont[0] != '/') {
		cfg_perr(pc,
			 "mount: container path \"%s\" must be an absolute "
			 "path",
			 cont);
		free(copy);
		return -1;
	}
	{
		char *c = cfg_path_resolve("/", cont);

		for (size_t i = 0; i < d->n_mounts; i++) {
			if (strcmp(d->mounts[i].container_path, c) == 0) {
				cfg_perr(pc,
					 "mount: container path \"%s\" is "
					 "already mounted",
					 c);
				free(c);
				free(copy);
				return -1;
			}
		}
		d->mounts =
		    xrealloc(d->mounts, (d->n_mounts + 1) * sizeof(*d->mounts));
		d->mounts[d->n_mounts++] = (struct mount_spec){
		    .host_path = cfg_path_resolve(pc->dir, host),
		    .container_path = c,
		    .read_only = ro,
		};
	}
	free(copy);
	return 0;
}

static int label_list(struct cfg_parse *pc, void *field, const char *value,
		      bool required)
{
	struct kvlist *kl = field;
	char why[200];
	char **v;
	size_t n;

	if (str_parse_labels(value, &v, &n, why, sizeof(why)) == -1)
		return cfg_perr(pc, "%s: %s", pc->key, why);
	if (n == 0 && required) {
		str_free_words(v);
		return cfg_perr(pc, "%s: must not be empty (e.g. app=echo)",
				pc->key);
	}
	kvlist_free(kl);
	kl->v = xcalloc(n ? n : 1, sizeof(*kl->v));
	for (size_t i = 0; i < n; i++) {
		kl->v[i].key = v[2 * i];
		kl->v[i].value = v[2 * i + 1];
	}
	kl->n = n;
	free(v);
	return 0;
}

int cfg_parse_labels(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value)
{
	return label_list(pc, field, value, false);
}

int cfg_parse_selector(struct cfg_parse *pc, const struct cfg_key *k,
		       void *field, const char *value)
{
	return label_list(pc, field, value, true);
}

/* RFC 9110 token characters, for header names. */
static bool is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'*+-.^_`|~", s[i]) == NULL)
			return false;
	}
	return true;
}

int cfg_parse_header(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value)
{
	struct kvlist *kl = field;
	const char *colon = strchr(value, ':');
	const char *v;

	if (colon == NULL || !is_token(value, (size_t)(colon - value)))
		return cfg_perr(pc, "%s: \"%s\" is not \"Name: value\"",
				pc->key, value);
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	kl->v = xrealloc(kl->v, (kl->n + 1) * sizeof(*kl->v));
	kl->v[kl->n++] = (struct kv){
	    .key = xstrndup(value, (size_t)(colon - value)),
	    .value = xstrdup(v),
	};
	return 0;
}

int cfg_parse_http_path(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value)
{
	if (value[0] != '/' || strpbrk(value, " \t") != NULL)
		return cfg_perr(pc,
				"%s: \"%s\" must start with / and contain no "
				"blanks",
				pc->key, value);
	set_string(field, xstrdup(value));
	return 0;
}

int cfg_parse_http_host(struct cfg_parse *pc, const struct cfg_key *k,
			void *field, const char *value)
{
	if (*value == '\0' || strpbrk(value, " \t/") != NULL)
		return cfg_perr(pc, "%s: \"%s\" is not a host name", pc->key,
				value);
	set_string(field, xstrdup(value));
	return 0;
}

int cfg_parse_http_scheme(struct cfg_parse *pc, const struct cfg_key *k,
			  void *field, const char *value)
{
	if (strcmp(value, "HTTP") != 0)
		return cfg_perr(pc, "%s: \"%s\" is not supported; use HTTP",
				pc->key, value);
	return 0;
}

int cfg_parse_surge(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		    const char *value)
{
	struct int_or_percent v;

	if (quantity_parse_int_or_percent(value, &v) == -1)
		return cfg_perr(pc,
				"%s: \"%s\" is not a non-negative integer or "
				"percentage (e.g. 1 or 25%%)",
				pc->key, value);
	if (v.percent && k->max > 0 && v.value > k->max)
		return cfg_perr(pc, "%s: \"%s\" must not exceed %lld%%",
				pc->key, value, k->max);
	*(struct int_or_percent *)field = v;
	return 0;
}

int cfg_parse_signal(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value)
{
	int sig = sigtab_from_name(value);

	if (sig == -1)
		return cfg_perr(pc,
				"%s: \"%s\" is not a signal (e.g. SIGTERM, "
				"SIGQUIT, QUIT or 15)",
				pc->key, value);
	*(int *)field = sig;
	return 0;
}

static int limit_value(struct cfg_parse *pc, int rc, int64_t v,
		       const char *value, const char *examples)
{
	if (rc == -1 && errno == ERANGE)
		return cfg_perr(pc, "%s: \"%s\" is too large", pc->key, value);
	if (rc == -1)
		return cfg_perr(pc, "%s: \"%s\" is not a quantity (e.g. %s)",
				pc->key, value, examples);
	if (v == 0)
		return cfg_perr(pc,
				"%s: \"%s\" must be greater than 0 (leave the "
				"key out for no limit)",
				pc->key, value);
	return 0;
}

int cfg_parse_memory(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		     const char *value)
{
	int64_t v = 0;
	int rc = quantity_parse_bytes(value, &v);

	if (limit_value(pc, rc, v, value, "128Mi, 1.5Gi, 500M or 1048576") ==
	    -1)
		return -1;
	*(int64_t *)field = v;
	return 0;
}

int cfg_parse_cpu(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		  const char *value)
{
	int64_t v = 0;
	int rc = quantity_parse_millicpu(value, &v);

	if (limit_value(pc, rc, v, value, "500m, 0.5 or 2") == -1)
		return -1;
	*(int64_t *)field = v;
	return 0;
}
