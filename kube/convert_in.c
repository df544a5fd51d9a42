/*
 * convert_in.c - a Kubernetes Deployment or Service written as the berth
 * INI section it stands for, then loaded by config/'s parser, so the API
 * checks every value as `berth apply` does. Each INI line remembers the
 * Kubernetes field it came from, so a config error names that field. Any
 * field outside the mapping (docs/SPEC.md §9) that is not its Go zero
 * value is refused. Touches no daemon state.
 */
#include "convert_in.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"

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
};

static void __attribute__((format(printf, 3, 4)))
bad(struct conv *c, const char *field, const char *fmt, ...)
{
	char msg[220];
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berr_set(c->err, "%s: %s", field, msg);
	c->failed = true;
}

static void put(struct conv *c, const char *field, const char *text)
{
	size_t n = strlen(text);

	if (c->len + n + 2 > c->cap) {
		c->cap = (c->len + n + 2) * 2;
		c->buf = xrealloc(c->buf, c->cap);
	}
	memcpy(c->buf + c->len, text, n);
	c->len += n;
	c->buf[c->len++] = '\n';
	c->buf[c->len] = '\0';
	c->fields = xrealloc(c->fields, (c->n_lines + 1) * sizeof(*c->fields));
	c->fields[c->n_lines++] = xstrdup(field);
}

/* "key = value": refused when the INI file could not say it. */
static void __attribute__((format(printf, 4, 5)))
kv(struct conv *c, const char *field, const char *key, const char *fmt, ...)
{
	char line[INI_LINE_MAX + 64], value[INI_LINE_MAX + 32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(value) ||
	    (size_t)n + strlen(key) + 3 > INI_LINE_MAX) {
		bad(c, field, "value too long for berth (%d characters a line)",
		    INI_LINE_MAX);
		return;
	}
	if (strpbrk(value, "\n\r") || strstr(value, " ;") ||
	    strstr(value, "\t;") || value[0] == ';') {
		bad(c, field,
		    "berth cannot keep a value with a line break or \" ;\"");
		return;
	}
	snprintf(line, sizeof(line), "%s = %s", key, value);
	put(c, field, line);
}

static void conv_free(struct conv *c)
{
	for (size_t i = 0; i < c->n_lines; i++)
		free(c->fields[i]);
	free(c->fields);
	free(c->buf);
}

/* Go's zero values: what a client sends for a field it never set. */
static bool is_zero(const json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return true;
	if (json_is_object(v))
		return json_object_size(v) == 0;
	if (json_is_array(v))
		return json_array_size(v) == 0;
	if (json_is_string(v))
		return json_string_value(v)[0] == '\0';
	if (json_is_integer(v))
		return json_integer_value(v) == 0;
	return false;
}

/* Refuses any key of obj outside known (NULL-terminated) that is set. */
static void only(struct conv *c, const json_t *obj, const char *path,
		 const char *const *known)
{
	const char *k;
	json_t *v;
	char f[FIELD_MAX];

	if (obj && !json_is_object(obj)) {
		bad(c, path, "must be an object");
		return;
	}
	json_object_foreach((json_t *)obj, k, v)
	{
		bool ok = false;

		for (size_t i = 0; known[i]; i++)
			ok |= !strcmp(known[i], k);
		if (!ok && !is_zero(v)) {
			snprintf(f, sizeof(f), "%s%s%s", path,
				 path[0] ? "." : "", k);
			bad(c, f, "field not supported by berth");
		}
	}
}

/* out = path.k, cut to FIELD_MAX; out may be path. */
static void sub(char *out, const char *path, const char *k)
{
	char tmp[FIELD_MAX];
	size_t pl = strnlen(path, FIELD_MAX - 1), kl = strlen(k);

	memcpy(tmp, path, pl);
	if (pl + 1 < FIELD_MAX)
		tmp[pl++] = '.';
	if (kl > FIELD_MAX - 1 - pl)
		kl = FIELD_MAX - 1 - pl;
	memcpy(tmp + pl, k, kl);
	tmp[pl + kl] = '\0';
	memcpy(out, tmp, pl + kl + 1);
}

static const char *str_at(struct conv *c, const json_t *obj, const char *k,
			  const char *path)
{
	json_t *v = json_object_get(obj, k);
	char f[FIELD_MAX];

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		sub(f, path, k);
		bad(c, f, "must be a string");
		return NULL;
	}
	return json_string_value(v);
}

/* An integer field: *out set and true when present. */
static bool int_at(struct conv *c, const json_t *obj, const char *k,
		   const char *path, long long *out)
{
	json_t *v = json_object_get(obj, k);
	char f[FIELD_MAX];

	if (v == NULL || json_is_null(v))
		return false;
	if (!json_is_integer(v)) {
		sub(f, path, k);
		bad(c, f, "must be an integer");
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

/* A word as str_split_words reads it back. */
static void quote_word(const char *w, char *out, size_t len)
{
	size_t o = 0;
	bool plain = w[0] != '\0';

	for (const char *p = w; *p; p++)
		if (!strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789-_./:=,@%+",
			*p))
			plain = false;
	if (plain) {
		snprintf(out, len, "%s", w);
		return;
	}
	if (!strchr(w, '\'')) {
		snprintf(out, len, "'%s'", w);
		return;
	}
	if (o + 1 < len)
		out[o++] = '"';
	for (const char *p = w; *p && o + 3 < len; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	if (o + 1 < len)
		out[o++] = '"';
	out[o] = '\0';
}

/* A list of strings as one line of words. */
static void words(struct conv *c, const json_t *list, const char *field,
		  const char *key)
{
	char line[INI_LINE_MAX * 2] = "", q[INI_LINE_MAX * 2];
	size_t i;
	json_t *w;

	if (list == NULL || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		bad(c, field, "must be a list of strings");
		return;
	}
	if (json_array_size(list) == 0)
		return;
	json_array_foreach(list, i, w)
	{
		if (!json_is_string(w)) {
			bad(c, field, "must be a list of strings");
			return;
		}
		quote_word(json_string_value(w), q, sizeof(q));
		if (strlen(line) + strlen(q) + 2 >= sizeof(line)) {
			bad(c, field, "too long for berth");
			return;
		}
		if (line[0])
			strcat(line, " ");
		strcat(line, q);
	}
	kv(c, field, key, "%s", line);
}

/* A map of string to string as "k=v,k2=v2". */
static void pairs(struct conv *c, const json_t *map, const char *field,
		  const char *key)
{
	char line[INI_LINE_MAX * 2] = "";
	const char *k;
	json_t *v;

	if (map == NULL || json_is_null(map))
		return;
	if (!json_is_object(map)) {
		bad(c, field, "must be a map of strings");
		return;
	}
	json_object_foreach((json_t *)map, k, v)
	{
		size_t n = strlen(line);

		if (!json_is_string(v)) {
			bad(c, field, "must be a map of strings");
			return;
		}
		snprintf(line + n, sizeof(line) - n, "%s%s=%s", n ? "," : "", k,
			 json_string_value(v));
	}
	if (line[0])
		kv(c, field, key, "%s", line);
}

/* A port: integers only (a named port would need the port's name). */
static void port_kv(struct conv *c, const json_t *obj, const char *k,
		    const char *path, const char *key)
{
	json_t *v = json_object_get(obj, k);
	char f[FIELD_MAX];

	if (v == NULL || json_is_null(v))
		return;
	sub(f, path, k);
	if (!json_is_integer(v)) {
		bad(c, f, "berth takes port numbers only");
		return;
	}
	kv(c, f, key, "%lld", (long long)json_integer_value(v));
}

/* exec / httpGet / tcpSocket / sleep of a probe or a preStop hook. */
static void handler(struct conv *c, const json_t *h, const char *path,
		    const char *prefix, bool sleep_ok)
{
	static const char *const known[] = {"exec", "httpGet", "tcpSocket",
					    "sleep", NULL};
	static const char *const http_known[] = {
	    "path", "port", "host", "scheme", "httpHeaders", NULL};
	json_t *v;
	char f[FIELD_MAX], key[96];

	only(c, h, path, known);
	if ((v = json_object_get(h, "exec")) != NULL && !is_zero(v)) {
		static const char *const ek[] = {"command", NULL};

		sub(f, path, "exec");
		only(c, v, f, ek);
		sub(f, f, "command");
		snprintf(key, sizeof(key), "%sexec.command", prefix);
		words(c, json_object_get(v, "command"), f, key);
	}
	if ((v = json_object_get(h, "httpGet")) != NULL && !is_zero(v)) {
		const char *s;
		json_t *hdrs, *e;
		size_t i;
		char hp[FIELD_MAX];

		sub(hp, path, "httpGet");
		only(c, v, hp, http_known);
		sub(f, hp, "path");
		snprintf(key, sizeof(key), "%shttpGet.path", prefix);
		s = str_at(c, v, "path", hp);
		kv(c, f, key, "%s", s ? s : "/");
		snprintf(key, sizeof(key), "%shttpGet.port", prefix);
		port_kv(c, v, "port", hp, key);
		if ((s = str_at(c, v, "host", hp)) && s[0]) {
			sub(f, hp, "host");
			snprintf(key, sizeof(key), "%shttpGet.host", prefix);
			kv(c, f, key, "%s", s);
		}
		if ((s = str_at(c, v, "scheme", hp)) && s[0]) {
			sub(f, hp, "scheme");
			snprintf(key, sizeof(key), "%shttpGet.scheme", prefix);
			kv(c, f, key, "%s", s);
		}
		hdrs = json_object_get(v, "httpHeaders");
		sub(f, hp, "httpHeaders");
		snprintf(key, sizeof(key), "%shttpGet.httpHeaders", prefix);
		json_array_foreach(hdrs, i, e)
		{
			const char *n = str_at(c, e, "name", f);
			const char *val = str_at(c, e, "value", f);

			if (n)
				kv(c, f, key, "%s: %s", n, val ? val : "");
		}
	}
	if ((v = json_object_get(h, "tcpSocket")) != NULL && !is_zero(v)) {
		static const char *const tk[] = {"port", NULL};

		sub(f, path, "tcpSocket");
		only(c, v, f, tk);
		snprintf(key, sizeof(key), "%stcpSocket.port", prefix);
		port_kv(c, v, "port", f, key);
	}
	if ((v = json_object_get(h, "sleep")) != NULL && !is_zero(v)) {
		static const char *const sk[] = {"seconds", NULL};
		long long n;

		sub(f, path, "sleep");
		if (!sleep_ok) {
			bad(c, f, "a probe cannot sleep");
			return;
		}
		only(c, v, f, sk);
		if (int_at(c, v, "seconds", f, &n)) {
			sub(f, f, "seconds");
			snprintf(key, sizeof(key), "%ssleep.seconds", prefix);
			kv(c, f, key, "%lld", n);
		}
	}
}

static void probe(struct conv *c, const json_t *ctr, const char *name,
		  const char *path)
{
	static const char *const known[] = {"exec",
					    "httpGet",
					    "tcpSocket",
					    "initialDelaySeconds",
					    "periodSeconds",
					    "timeoutSeconds",
					    "successThreshold",
					    "failureThreshold",
					    "terminationGracePeriodSeconds",
					    NULL};
	static const char *const timing[] = {"initialDelaySeconds",
					     "periodSeconds",
					     "timeoutSeconds",
					     "successThreshold",
					     "failureThreshold",
					     "terminationGracePeriodSeconds",
					     NULL};
	json_t *p = json_object_get(ctr, name), *h;
	char f[FIELD_MAX], prefix[64], key[96];
	long long n;

	if (is_zero(p))
		return;
	sub(f, path, name);
	only(c, p, f, known);
	snprintf(prefix, sizeof(prefix), "%s.", name);
	h = json_pack("{s:O?, s:O?, s:O?}", "exec", json_object_get(p, "exec"),
		      "httpGet", json_object_get(p, "httpGet"), "tcpSocket",
		      json_object_get(p, "tcpSocket"));
	handler(c, h, f, prefix, false);
	json_decref(h);
	for (size_t i = 0; timing[i]; i++)
		if (int_at(c, p, timing[i], f, &n)) {
			char tf[FIELD_MAX];

			sub(tf, f, timing[i]);
			snprintf(key, sizeof(key), "%s%s", prefix, timing[i]);
			kv(c, tf, key, "%lld", n);
		}
}

/* The one host path volume called name, or NULL (refused). */
static const char *host_path_of(struct conv *c, const json_t *volumes,
				const char *name, const char *path)
{
	json_t *v;
	size_t i;
	char f[FIELD_MAX];

	json_array_foreach((json_t *)volumes, i, v)
	{
		const char *n = json_string_value(json_object_get(v, "name"));
		static const char *const known[] = {"name", "hostPath", NULL};
		static const char *const hk[] = {"path", "type", NULL};
		json_t *hp;

		if (n == NULL || strcmp(n, name))
			continue;
		snprintf(f, sizeof(f), "spec.template.spec.volumes[%zu]", i);
		only(c, v, f, known);
		hp = json_object_get(v, "hostPath");
		if (hp == NULL) {
			bad(c, f, "berth mounts host paths only (hostPath)");
			return NULL;
		}
		sub(f, f, "hostPath");
		only(c, hp, f, hk);
		return str_at(c, hp, "path", f);
	}
	bad(c, path, "no volume named \"%s\"", name);
	return NULL;
}

static void container(struct conv *c, const json_t *ctr, const json_t *pod)
{
	static const char *const known[] = {"name",
					    "image",
					    "imagePullPolicy",
					    "command",
					    "args",
					    "env",
					    "workingDir",
					    "ports",
					    "readinessProbe",
					    "livenessProbe",
					    "startupProbe",
					    "lifecycle",
					    "resources",
					    "securityContext",
					    "volumeMounts",
					    "terminationMessagePath",
					    "terminationMessagePolicy",
					    NULL};
	const char *path = "spec.template.spec.containers[0]";
	const char *s;
	json_t *v, *e;
	size_t i;
	char f[FIELD_MAX];

	only(c, ctr, path, known);
	s = str_at(c, ctr, "image", path);
	if (s == NULL || s[0] == '\0') {
		bad(c, "spec.template.spec.containers[0].image",
		    "Required value");
		return;
	}
	kv(c, "spec.template.spec.containers[0].image", "image", "%s", s);
	if ((s = str_at(c, ctr, "imagePullPolicy", path)) && s[0])
		kv(c, "spec.template.spec.containers[0].imagePullPolicy",
		   "imagePullPolicy", "%s", s);
	words(c, json_object_get(ctr, "command"),
	      "spec.template.spec.containers[0].command", "command");
	words(c, json_object_get(ctr, "args"),
	      "spec.template.spec.containers[0].args", "args");
	json_array_foreach(json_object_get(ctr, "env"), i, e)
	{
		static const char *const ek[] = {"name", "value", NULL};
		const char *n, *val;

		snprintf(f, sizeof(f), "%s.env[%zu]", path, i);
		only(c, e, f, ek);
		n = str_at(c, e, "name", f);
		val = str_at(c, e, "value", f);
		if (n == NULL) {
			bad(c, f, "name: Required value");
			return;
		}
		kv(c, f, "env", "%s=%s", n, val ? val : "");
	}
	if ((s = str_at(c, ctr, "workingDir", path)) && s[0])
		kv(c, "spec.template.spec.containers[0].workingDir",
		   "workingDir", "%s", s);
	v = json_object_get(ctr, "ports");
	if (json_array_size(v) > 1)
		bad(c, "spec.template.spec.containers[0].ports",
		    "berth serves one container port");
	json_array_foreach(v, i, e)
	{
		static const char *const pk[] = {"containerPort", "protocol",
						 NULL};

		snprintf(f, sizeof(f), "%s.ports[%zu]", path, i);
		only(c, e, f, pk);
		if ((s = str_at(c, e, "protocol", f)) && strcmp(s, "TCP")) {
			sub(f, f, "protocol");
			bad(c, f, "berth serves TCP only");
			return;
		}
		port_kv(c, e, "containerPort", f, "port");
	}
	probe(c, ctr, "startupProbe", path);
	probe(c, ctr, "livenessProbe", path);
	probe(c, ctr, "readinessProbe", path);
	if (!is_zero(v = json_object_get(ctr, "lifecycle"))) {
		static const char *const lk[] = {"preStop", "stopSignal", NULL};

		snprintf(f, sizeof(f), "%s.lifecycle", path);
		only(c, v, f, lk);
		if (!is_zero(json_object_get(v, "preStop"))) {
			char pf[FIELD_MAX];

			sub(pf, f, "preStop");
			handler(c, json_object_get(v, "preStop"), pf,
				"lifecycle.preStop.", true);
		}
		if ((s = str_at(c, v, "stopSignal", f)) && s[0]) {
			sub(f, f, "stopSignal");
			kv(c, f, "lifecycle.stopSignal", "%s", s);
		}
	}
	if (!is_zero(v = json_object_get(ctr, "resources"))) {
		static const char *const rk[] = {"limits", NULL};
		static const char *const lk[] = {"memory", "cpu", "pids", NULL};
		json_t *lim = json_object_get(v, "limits");

		snprintf(f, sizeof(f), "%s.resources", path);
		only(c, v, f, rk);
		sub(f, f, "limits");
		only(c, lim, f, lk);
		for (i = 0; lk[i]; i++) {
			json_t *q = json_object_get(lim, lk[i]);
			char lf[FIELD_MAX], key[64];

			if (q == NULL)
				continue;
			sub(lf, f, lk[i]);
			snprintf(key, sizeof(key), "resources.limits.%s",
				 lk[i]);
			if (json_is_integer(q))
				kv(c, lf, key, "%lld",
				   (long long)json_integer_value(q));
			else if (json_is_string(q))
				kv(c, lf, key, "%s", json_string_value(q));
			else
				bad(c, lf, "must be a quantity");
		}
	}
	if (!is_zero(v = json_object_get(ctr, "securityContext"))) {
		static const char *const sk[] = {"runAsUser",
						 "runAsGroup",
						 "readOnlyRootFilesystem",
						 "capabilities",
						 "seccompProfile",
						 "allowPrivilegeEscalation",
						 NULL};
		long long n;
		json_t *caps, *sp;

		snprintf(f, sizeof(f), "%s.securityContext", path);
		only(c, v, f, sk);
		if (json_is_true(
			json_object_get(v, "allowPrivilegeEscalation"))) {
			sub(f, f, "allowPrivilegeEscalation");
			bad(c, f, "berth always sets no_new_privileges");
			return;
		}
		if (int_at(c, v, "runAsUser", f, &n))
			kv(c, f, "securityContext.runAsUser", "%lld", n);
		if (int_at(c, v, "runAsGroup", f, &n))
			kv(c, f, "securityContext.runAsGroup", "%lld", n);
		if (json_is_true(json_object_get(v, "readOnlyRootFilesystem")))
			kv(c, f, "securityContext.readOnlyRootFilesystem",
			   "true");
		caps = json_object_get(v, "capabilities");
		if (!is_zero(caps)) {
			static const char *const ck[] = {"add", "drop", NULL};
			char cf[FIELD_MAX];

			sub(cf, f, "capabilities");
			only(c, caps, cf, ck);
			for (size_t j = 0; ck[j]; j++) {
				json_t *l = json_object_get(caps, ck[j]), *w;
				char line[INI_LINE_MAX] = "", key[64];
				size_t k;

				json_array_foreach(l, k, w)
				{
					size_t ll = strlen(line);

					snprintf(line + ll, sizeof(line) - ll,
						 "%s%s", ll ? "," : "",
						 json_string_value(w) ?: "");
				}
				snprintf(key, sizeof(key),
					 "securityContext.capabilities.%s",
					 ck[j]);
				if (line[0])
					kv(c, cf, key, "%s", line);
			}
		}
		sp = json_object_get(v, "seccompProfile");
		if (!is_zero(sp)) {
			static const char *const spk[] = {
			    "type", "localhostProfile", NULL};
			char sf[FIELD_MAX];
			const char *t;

			sub(sf, f, "seccompProfile");
			only(c, sp, sf, spk);
			t = str_at(c, sp, "type", sf);
			if (t && !strcmp(t, "Localhost"))
				t = str_at(c, sp, "localhostProfile", sf);
			if (t)
				kv(c, sf, "securityContext.seccompProfile",
				   "%s", t);
		}
	}
	json_array_foreach(json_object_get(ctr, "volumeMounts"), i, e)
	{
		static const char *const mk[] = {"name", "mountPath",
						 "readOnly", NULL};
		const char *n, *mp, *hp;

		snprintf(f, sizeof(f), "%s.volumeMounts[%zu]", path, i);
		only(c, e, f, mk);
		n = str_at(c, e, "name", f);
		mp = str_at(c, e, "mountPath", f);
		if (n == NULL || mp == NULL) {
			bad(c, f, "name and mountPath: Required value");
			return;
		}
		hp = host_path_of(c, json_object_get(pod, "volumes"), n, f);
		if (hp)
			kv(c, f, "mount", "%s:%s%s", hp, mp,
			   json_is_true(json_object_get(e, "readOnly")) ? ":ro"
									: "");
	}
	if ((s = str_at(c, ctr, "terminationMessagePolicy", path)) &&
	    strcmp(s, "File"))
		bad(c,
		    "spec.template.spec.containers[0]."
		    "terminationMessagePolicy",
		    "berth keeps File only");
	if ((s = str_at(c, ctr, "terminationMessagePath", path)) &&
	    strcmp(s, "/dev/termination-log"))
		bad(c,
		    "spec.template.spec.containers[0].terminationMessagePath",
		    "berth keeps the default only");
}

static void pod_spec(struct conv *c, const json_t *pod)
{
	static const char *const known[] = {
	    "containers",    "restartPolicy",	"terminationGracePeriodSeconds",
	    "hostNetwork",   "volumes",		"dnsPolicy",
	    "schedulerName", "securityContext", NULL};
	const char *path = "spec.template.spec", *s;
	json_t *ctrs = json_object_get(pod, "containers"), *v;
	long long n;
	size_t i;

	only(c, pod, path, known);
	if (!json_is_array(ctrs) || json_array_size(ctrs) == 0) {
		bad(c, "spec.template.spec.containers", "Required value");
		return;
	}
	if (json_array_size(ctrs) > 1) {
		bad(c, "spec.template.spec.containers",
		    "berth runs one container per pod");
		return;
	}
	container(c, json_array_get(ctrs, 0), pod);
	/* Every volume is a host path a mount names. */
	json_array_foreach(json_object_get(pod, "volumes"), i, v)
	{
		char f[FIELD_MAX];

		snprintf(f, sizeof(f), "spec.template.spec.volumes[%zu]", i);
		if (json_object_get(v, "hostPath") == NULL)
			bad(c, f, "berth mounts host paths only (hostPath)");
	}
	if ((s = str_at(c, pod, "restartPolicy", path)) && s[0])
		kv(c, "spec.template.spec.restartPolicy", "restartPolicy", "%s",
		   s);
	if (int_at(c, pod, "terminationGracePeriodSeconds", path, &n))
		kv(c, "spec.template.spec.terminationGracePeriodSeconds",
		   "terminationGracePeriodSeconds", "%lld", n);
	if (json_is_true(json_object_get(pod, "hostNetwork")))
		kv(c, "spec.template.spec.hostNetwork", "network", "host");
	if ((s = str_at(c, pod, "dnsPolicy", path)) &&
	    strcmp(s, "ClusterFirst"))
		bad(c, "spec.template.spec.dnsPolicy",
		    "berth keeps ClusterFirst only");
	if ((s = str_at(c, pod, "schedulerName", path)) &&
	    strcmp(s, "default-scheduler"))
		bad(c, "spec.template.spec.schedulerName",
		    "berth has no other scheduler");
	if (!is_zero(json_object_get(pod, "securityContext")))
		bad(c, "spec.template.spec.securityContext",
		    "berth takes the container's securityContext only");
}

static void meta_check(struct conv *c, const json_t *obj, const char *kind,
		       const char **name)
{
	static const char *const known[] = {"name",
					    "namespace",
					    "labels",
					    "annotations",
					    "uid",
					    "resourceVersion",
					    "generation",
					    "creationTimestamp",
					    "managedFields",
					    "selfLink",
					    "deletionTimestamp",
					    "deletionGracePeriodSeconds",
					    "ownerReferences",
					    "finalizers",
					    NULL};
	static const char *const top[] = {"apiVersion", "kind",	  "metadata",
					  "spec",	"status", NULL};
	const json_t *meta = json_object_get(obj, "metadata");
	const char *k = json_string_value(json_object_get(obj, "kind"));
	const char *ns;

	only(c, obj, "", top);
	if (k && strcmp(k, kind))
		bad(c, "kind", "expected %s, not %s", kind, k);
	only(c, meta, "metadata", known);
	*name = str_at(c, meta, "name", "metadata");
	if (*name == NULL || (*name)[0] == '\0')
		bad(c, "metadata.name", "Required value");
	ns = str_at(c, meta, "namespace", "metadata");
	if (ns && ns[0] && strcmp(ns, "default"))
		bad(c, "metadata.namespace",
		    "berth has the namespace \"default\" only");
}

static void deployment_ini(struct conv *c, const json_t *obj,
			   const struct deployment_spec *base)
{
	static const char *const known[] = {"replicas",
					    "selector",
					    "template",
					    "strategy",
					    "minReadySeconds",
					    "progressDeadlineSeconds",
					    "revisionHistoryLimit",
					    "paused",
					    NULL};
	static const char *const tk[] = {"metadata", "spec", NULL};
	static const char *const tmk[] = {"labels", "annotations",
					  "creationTimestamp", NULL};
	const json_t *spec = json_object_get(obj, "spec"), *tmpl, *tmeta, *sel;
	const char *name = NULL, *k, *s;
	json_t *v, *labels;
	long long n;
	char line[96];

	meta_check(c, obj, "Deployment", &name);
	if (c->failed)
		return;
	snprintf(line, sizeof(line), "[deployment %s]", name);
	put(c, "metadata.name", line);
	only(c, spec, "spec", known);
	if (int_at(c, spec, "replicas", "spec", &n))
		kv(c, "spec.replicas", "replicas", "%lld", n);
	tmpl = json_object_get(spec, "template");
	only(c, tmpl, "spec.template", tk);
	tmeta = json_object_get(tmpl, "metadata");
	only(c, tmeta, "spec.template.metadata", tmk);
	labels = json_object_get(tmeta, "labels");
	if (is_zero(labels)) {
		bad(c, "spec.template.metadata.labels", "Required value");
		return;
	}
	pairs(c, labels, "spec.template.metadata.labels", "labels");
	sel = json_object_get(spec, "selector");
	if (!is_zero(json_object_get(sel, "matchExpressions")))
		bad(c, "spec.selector.matchExpressions",
		    "berth selects by matchLabels only");
	json_object_foreach(json_object_get(sel, "matchLabels"), k, v)
	{
		json_t *have = json_object_get(labels, k);

		if (have == NULL || !json_equal(have, v))
			bad(c, "spec.selector",
			    "Invalid value: `selector` does not match "
			    "template `labels`");
	}
	json_object_foreach(json_object_get(tmeta, "annotations"), k, v)
	{
		if (strcmp(k, "kubectl.kubernetes.io/restartedAt")) {
			char f[FIELD_MAX];

			snprintf(f, sizeof(f),
				 "spec.template.metadata.annotations[%s]", k);
			bad(c, f,
			    "berth keeps no pod annotation but "
			    "kubectl.kubernetes.io/restartedAt");
		}
	}
	pod_spec(c, json_object_get(tmpl, "spec"));
	if ((v = json_object_get(spec, "strategy")) && !is_zero(v)) {
		static const char *const sk[] = {"type", "rollingUpdate", NULL};
		static const char *const rk[] = {"maxSurge", "maxUnavailable",
						 NULL};
		json_t *ru = json_object_get(v, "rollingUpdate");

		only(c, v, "spec.strategy", sk);
		if ((s = str_at(c, v, "type", "spec.strategy")) && s[0])
			kv(c, "spec.strategy.type", "strategy.type", "%s", s);
		only(c, ru, "spec.strategy.rollingUpdate", rk);
		for (size_t i = 0; rk[i]; i++) {
			json_t *q = json_object_get(ru, rk[i]);
			char f[FIELD_MAX], key[64];

			if (q == NULL || json_is_null(q))
				continue;
			sub(f, "spec.strategy.rollingUpdate", rk[i]);
			snprintf(key, sizeof(key), "strategy.rollingUpdate.%s",
				 rk[i]);
			if (json_is_integer(q))
				kv(c, f, key, "%lld",
				   (long long)json_integer_value(q));
			else if (json_is_string(q))
				kv(c, f, key, "%s", json_string_value(q));
			else
				bad(c, f, "must be an integer or a percentage");
		}
	}
	if (int_at(c, spec, "minReadySeconds", "spec", &n))
		kv(c, "spec.minReadySeconds", "minReadySeconds", "%lld", n);
	if (int_at(c, spec, "progressDeadlineSeconds", "spec", &n))
		kv(c, "spec.progressDeadlineSeconds", "progressDeadlineSeconds",
		   "%lld", n);
	if (int_at(c, spec, "revisionHistoryLimit", "spec", &n))
		kv(c, "spec.revisionHistoryLimit", "revisionHistoryLimit",
		   "%lld", n);
	if (base && base->progress_deadline_abort)
		kv(c, "metadata.annotations", "progressDeadlineAbort", "true");
}

static void service_ini(struct conv *c, const json_t *obj,
			const struct service_spec *base)
{
	static const char *const known[] = {
	    "type",	  "selector",	    "ports",
	    "clusterIP",  "clusterIPs",	    "sessionAffinity",
	    "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy",
	    NULL};
	static const char *const pk[] = {"port", "targetPort", "protocol",
					 "appProtocol", NULL};
	const json_t *spec = json_object_get(obj, "spec"), *ports, *p;
	const json_t *ann =
	    json_object_get(json_object_get(obj, "metadata"), "annotations");
	const char *name = NULL, *s, *host = "127.0.0.1";
	long long port = 0, target = 0;
	char line[96];

	meta_check(c, obj, "Service", &name);
	if (c->failed)
		return;
	snprintf(line, sizeof(line), "[service %s]", name);
	put(c, "metadata.name", line);
	only(c, spec, "spec", known);
	if ((s = str_at(c, spec, "type", "spec")) && strcmp(s, "ClusterIP"))
		bad(c, "spec.type", "berth has ClusterIP services only");
	if ((s = str_at(c, spec, "sessionAffinity", "spec")) &&
	    strcmp(s, "None"))
		bad(c, "spec.sessionAffinity", "berth has None only");
	if ((s = str_at(c, spec, "clusterIP", "spec")) && s[0] &&
	    strcmp(s, "None"))
		host = s;
	ports = json_object_get(spec, "ports");
	if (json_array_size(ports) != 1) {
		bad(c, "spec.ports", "berth serves exactly one port a service");
		return;
	}
	p = json_array_get(ports, 0);
	only(c, p, "spec.ports[0]", pk);
	if (!int_at(c, p, "port", "spec.ports[0]", &port)) {
		bad(c, "spec.ports[0].port", "Required value");
		return;
	}
	if ((s = str_at(c, p, "protocol", "spec.ports[0]")) && strcmp(s, "TCP"))
		bad(c, "spec.ports[0].protocol", "berth serves TCP only");
	if (json_is_string(json_object_get(p, "targetPort")))
		bad(c, "spec.ports[0].targetPort",
		    "berth takes port numbers only");
	if (!int_at(c, p, "targetPort", "spec.ports[0]", &target))
		target = port;
	kv(c, "spec.clusterIP", "listen",
	   strchr(host, ':') ? "[%s]:%lld" : "%s:%lld", host, port);
	pairs(c, json_object_get(spec, "selector"), "spec.selector",
	      "selector");
	kv(c, "spec.ports[0].targetPort", "targetPort", "%lld", target);
	if ((s = str_at(c, p, "appProtocol", "spec.ports[0]")) && s[0])
		kv(c, "spec.ports[0].appProtocol", "mode", "%s", s);
	if ((s = str_at(c, ann, "berth.io/balance", "metadata.annotations")))
		kv(c, "metadata.annotations[berth.io/balance]", "balance", "%s",
		   s);
	if (base) {
		/* What a Service cannot say stays as it was. */
		const char *f = "metadata.name";

		if (base->timeout_connect_ms > 0)
			kv(c, f, "timeout.connect", "%d",
			   base->timeout_connect_ms / 1000);
		if (base->timeout_client_ms > 0)
			kv(c, f, "timeout.client", "%d",
			   base->timeout_client_ms / 1000);
		if (base->timeout_server_ms > 0)
			kv(c, f, "timeout.server", "%d",
			   base->timeout_server_ms / 1000);
		if (base->timeout_response_ms > 0)
			kv(c, f, "timeout.response", "%d",
			   base->timeout_response_ms / 1000);
		if (base->timeout_http_request_ms > 0)
			kv(c, f, "timeout.httpRequest", "%d",
			   base->timeout_http_request_ms / 1000);
		if (base->max_connections)
			kv(c, f, "maxConnections", "%d", base->max_connections);
	}
}

char *kube_in_ini(const json_t *obj, const struct deployment_spec *dbase,
		  const struct service_spec *sbase, struct berr *err)
{
	struct conv c = {.err = err};
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	char *out;

	if (!json_is_object(obj)) {
		berr_set(err, "the object is not a JSON object");
		return NULL;
	}
	if (kind && !strcmp(kind, "Service"))
		service_ini(&c, obj, sbase);
	else
		deployment_ini(&c, obj, dbase);
	if (c.failed) {
		conv_free(&c);
		return NULL;
	}
	out = c.buf;
	c.buf = NULL;
	conv_free(&c);
	return out;
}

/* Loads obj; a config error "kube:LINE: msg" becomes "FIELD: msg". */
static int load(const json_t *obj, const struct deployment_spec *dbase,
		const struct service_spec *sbase, struct berth_config **out,
		struct berr *err)
{
	struct conv c = {.err = err};
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	int rc;

	if (kind && !strcmp(kind, "Service"))
		service_ini(&c, obj, sbase);
	else
		deployment_ini(&c, obj, dbase);
	if (c.failed) {
		conv_free(&c);
		return -1;
	}
	/* A folder that cannot exist: only absolute image folders and
	 * image references mean anything to the API. */
	rc = cfg_load_buffer("kube", "/dev/null/kube", c.buf, c.len, out, err);
	if (rc == -1) {
		char msg[sizeof(err->msg)];
		unsigned line = 0;
		int off = 0;

		if (sscanf(err->msg, "kube:%u: %n", &line, &off) == 1 &&
		    off > 0 && line >= 1 && line <= c.n_lines) {
			snprintf(msg, sizeof(msg), "%s", err->msg + off);
			berr_set(err, "%s: %s", c.fields[line - 1], msg);
		}
	}
	conv_free(&c);
	return rc;
}

int kube_in_deployment(const json_t *obj, const struct deployment_spec *base,
		       struct berth_config **out, bool *paused,
		       struct berr *err)
{
	struct berth_config *cfg = NULL;
	const json_t *tmpl =
	    json_object_get(json_object_get(obj, "spec"), "template");
	const char *stamp = json_string_value(json_object_get(
	    json_object_get(json_object_get(tmpl, "metadata"), "annotations"),
	    "kubectl.kubernetes.io/restartedAt"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (kind && strcmp(kind, "Deployment"))
		return berr_set(err, "kind: expected Deployment, not %s", kind);
	if (load(obj, base, NULL, &cfg, err) == -1)
		return -1;
	if (cfg->n_deployments != 1) {
		cfg_free(cfg);
		return berr_set(err, "metadata.name: Required value");
	}
	if (stamp) {
		if (strlen(stamp) >= sizeof(cfg->deployments[0].restarted_at)) {
			cfg_free(cfg);
			return berr_set(err,
					"spec.template.metadata.annotations["
					"kubectl.kubernetes.io/restartedAt]: "
					"too long");
		}
		snprintf(cfg->deployments[0].restarted_at,
			 sizeof(cfg->deployments[0].restarted_at), "%s", stamp);
	}
	*paused = json_is_true(
	    json_object_get(json_object_get(obj, "spec"), "paused"));
	*out = cfg;
	return 0;
}

int kube_in_service(const json_t *obj, const struct service_spec *base,
		    struct berth_config **out, struct berr *err)
{
	struct berth_config *cfg = NULL;
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (kind && strcmp(kind, "Service"))
		return berr_set(err, "kind: expected Service, not %s", kind);
	if (load(obj, NULL, base, &cfg, err) == -1)
		return -1;
	if (cfg->n_services != 1) {
		cfg_free(cfg);
		return berr_set(err, "metadata.name: Required value");
	}
	*out = cfg;
	return 0;
}
