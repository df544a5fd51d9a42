/*
 * config_security.c - securityContext values that need the host's security
 * libraries to check: capability names (libcap) and seccomp profile files
 * (jansson + libseccomp, every syscall name resolved on this architecture).
 * Only checks and stores names; building the OCI spec is runtime/'s job.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "../common/fdio.h"
#include "../common/strutil.h"
#include "../common/xalloc.h"
#include "config_internal.h"

/*
 * "net_bind_service", "CAP_NET_BIND_SERVICE" -> "NET_BIND_SERVICE" when
 * libcap knows it; "all" -> "ALL". Returns NULL for an unknown name.
 */
static char *cap_normalize(const char *name)
{
	char lower[64];
	char *up;
	cap_value_t cv;
	size_t n;

	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	n = strlen(name);
	if (n == 0 || n + 5 > sizeof(lower))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return NULL;
	}
	up = xstrdup(name);
	for (char *p = up; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strcmp(up, "ALL") == 0)
		return up;
	snprintf(lower, sizeof(lower), "cap_%s", name);
	for (char *p = lower; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (isdigit((unsigned char)name[0]) || cap_from_name(lower, &cv) != 0) {
		free(up);
		return NULL;
	}
	return up;
}

int cfg_parse_caps(struct cfg_parse *pc, const struct cfg_key *k, void *field,
		   const char *value)
{
	struct strv *sv = field;
	char *copy = xstrdup(value);
	char *p = copy;
	struct strv out = {0};

	for (;;) {
		char *comma = strchr(p, ',');
		char *name, *norm;

		if (comma != NULL)
			*comma = '\0';
		name = str_trim(p);
		if (*name == '\0') {
			cfg_perr(pc,
				 "%s: empty capability name (use a "
				 "comma-separated list, e.g. NET_BIND_SERVICE)",
				 pc->key);
			goto fail;
		}
		norm = cap_normalize(name);
		if (norm == NULL) {
			cfg_perr(pc, "%s: unknown capability \"%s\"", pc->key,
				 name);
			goto fail;
		}
		out.v = xrealloc(out.v, (out.n + 2) * sizeof(*out.v));
		out.v[out.n++] = norm;
		out.v[out.n] = NULL;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(copy);
	strv_free(sv);
	*sv = out;
	return 0;
fail:
	free(copy);
	strv_free(&out);
	return -1;
}

static bool known_action(const char *a)
{
	static const char *const actions[] = {
	    "SCMP_ACT_KILL",	    "SCMP_ACT_KILL_PROCESS",
	    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
	    "SCMP_ACT_ERRNO",	    "SCMP_ACT_TRACE",
	    "SCMP_ACT_ALLOW",	    "SCMP_ACT_LOG",
	    "SCMP_ACT_NOTIFY",	    NULL,
	};

	for (int i = 0; actions[i] != NULL; i++) {
		if (strcmp(a, actions[i]) == 0)
			return true;
	}
	return false;
}

/* Checks one syscalls[] entry; writes the reason into why on failure. */
static int check_rule(json_t *rule, size_t i, char *why, size_t len)
{
	json_t *names = json_object_get(rule, "names");
	json_t *name = json_object_get(rule, "name");
	json_t *action = json_object_get(rule, "action");
	json_t *n;
	size_t j;

	if (!json_is_object(rule)) {
		snprintf(why, len, "syscalls[%zu] is not an object", i);
		return -1;
	}
	if (!json_is_string(action) ||
	    !known_action(json_string_value(action))) {
		snprintf(why, len,
			 "syscalls[%zu].action must be an SCMP_ACT_* action",
			 i);
		return -1;
	}
	if (names == NULL && json_is_string(name))
		names = json_pack("[O]", name);
	else if (json_is_array(names))
		json_incref(names);
	else {
		snprintf(why, len, "syscalls[%zu] has no \"names\" list", i);
		return -1;
	}
	json_array_foreach(names, j, n)
	{
		const char *s = json_string_value(n);

		if (s == NULL) {
			snprintf(why, len,
				 "syscalls[%zu].names[%zu] is not a string", i,
				 j);
			json_decref(names);
			return -1;
		}
		if (seccomp_syscall_resolve_name(s) == __NR_SCMP_ERROR) {
			snprintf(why, len, "unknown syscall \"%s\"", s);
			json_decref(names);
			return -1;
		}
	}
	json_decref(names);
	return 0;
}

/* Checks an OCI/Docker-style seccomp profile; why says what is wrong. */
static int check_profile(const char *path, char *why, size_t len)
{
	struct berr err = BERR_INIT;
	json_error_t jerr;
	json_t *root, *def, *calls, *rule;
	char *text;
	size_t i, tlen;
	int rc = -1;

	if (file_read_bounded(path, CFG_SECCOMP_FILE_MAX, 0, &text, &tlen,
			      &err) == -1) {
		snprintf(why, len, "cannot be read: %.200s", err.msg);
		return -1;
	}
	root = json_loadb(text, tlen, 0, &jerr);
	free(text);
	if (root == NULL) {
		snprintf(why, len, "is not valid JSON (line %d: %s)", jerr.line,
			 jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(why, len, "is not a JSON object");
		goto out;
	}
	def = json_object_get(root, "defaultAction");
	if (!json_is_string(def) || !known_action(json_string_value(def))) {
		snprintf(why, len,
			 "defaultAction must be an SCMP_ACT_* action (e.g. "
			 "SCMP_ACT_ERRNO)");
		goto out;
	}
	calls = json_object_get(root, "syscalls");
	if (calls != NULL && !json_is_array(calls)) {
		snprintf(why, len, "syscalls must be a list");
		goto out;
	}
	json_array_foreach(calls, i, rule)
	{
		if (check_rule(rule, i, why, len) == -1)
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int cfg_parse_seccomp(struct cfg_parse *pc, const struct cfg_key *k,
		      void *field, const char *value)
{
	struct deployment_spec *d = &pc->cfg->deployments[pc->idx];
	char why[300];
	char *abs;

	if (strcmp(value, "RuntimeDefault") == 0) {
		d->seccomp = SECCOMP_RUNTIME_DEFAULT;
		return 0;
	}
	if (strcmp(value, "Unconfined") == 0) {
		d->seccomp = SECCOMP_UNCONFINED;
		return 0;
	}
	if (*value == '\0')
		return cfg_perr(
		    pc,
		    "%s: value is empty (RuntimeDefault, Unconfined "
		    "or a profile file)",
		    pc->key);
	abs = cfg_path_resolve(pc->dir, value);
	if (check_profile(abs, why, sizeof(why)) == -1) {
		free(abs);
		return cfg_perr(pc, "seccomp profile %s: %s", value, why);
	}
	d->seccomp = SECCOMP_FILE;
	free(d->seccomp_file);
	d->seccomp_file = abs;
	return 0;
}
