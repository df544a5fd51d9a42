/*
 * manifest.c - Kubernetes manifests (apps/v1 Deployment, v1 Service, v1
 * List, the `default` Namespace) read into berth's config. Owns the map
 * from Kubernetes fields to berth's keys: every supported field is handed
 * to config_keys.c as the INI key of the same name, so a manifest and an
 * INI file are checked by the same code and give the same messages; every
 * field berth does not run is refused by name, never dropped. Knows
 * nothing of the daemon; the YAML reading is yaml_json.c's.
 *
 * berth-only settings ride in annotations named after their key:
 * `berth.io/listen: 127.0.0.1:8080` on a Service is `listen = ...`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "config_internal.h"
#include "manifest.h"
#include "yaml_json.h"

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
static void field_name(const char *ptr, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = ptr; *p && o + 4 < len;) {
		const char *seg = ++p;
		size_t n = strcspn(seg, "/");
		int index = n > 0 && strspn(seg, "0123456789") == n;
		if (index) {
			o += (size_t)snprintf(out + o, len - o, "[%.*s]",
					      (int)n, seg);
		} else {
			if (o > 0 && o + 1 < len)
				out[o++] = '.';
			for (size_t i = 0; i < n && o + 1 < len; i++) {
				if (seg[i] == '~' && i + 1 < n) {
					out[o++] =
					    seg[i + 1] == '1' ? '/' : '~';
					i++;
				} else {
					out[o++] = seg[i];
				}
			}
		}
		p = seg + n;
	}
	out[o < len ? o : len - 1] = '\0';
}

static int line_of(const struct mctx *m, const char *ptr)
{
	json_t *l = m->lines ? json_object_get(m->lines, ptr) : NULL;
	int line = l ? (int)json_integer_value(l) : m->doc_line;
	return line > 0 ? line : 1;
}

/* "FILE:LINE: Deployment web: spec.replicas: message". */
__attribute__((format(printf, 3, 4))) static int
field_err(struct mctx *m, const char *ptr, const char *fmt, ...)
{
	char field[256], msg[BERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	field_name(ptr, field, sizeof(field));
	m->pc->line = line_of(m, ptr);
	if (m->name)
		return cfg_perr(m->pc, "%s %s: %s: %s", m->kind, m->name, field,
				msg);
	return cfg_perr(m->pc, "%s: %s: %s", m->kind, field, msg);
}

static char *child(const char *ptr, const char *key)
{
	return xasprintf("%s/%s", ptr, key);
}

static char *child_i(const char *ptr, size_t i)
{
	return xasprintf("%s/%zu", ptr, i);
}

/* What berth says about a field it does not run, where a hint helps. */
static const struct {
	const char *field, *hint;
} hints[] = {
    {"initContainers", "berth runs one container per pod"},
    {"volumes", "only hostPath volumes are supported"},
    {"requests", "berth does not schedule; set limits"},
    {"valueFrom", "only literal values are supported"},
    {"envFrom", "only literal env values are supported"},
    {"matchExpressions", "use matchLabels"},
    {"grpc", "use exec, httpGet or tcpSocket"},
    {"nodeSelector", "berth runs on one host"},
    {"affinity", "berth runs on one host"},
    {"tolerations", "berth runs on one host"},
    {"serviceAccountName", "berth has no service accounts"},
};

/* Refuses any key of obj not in allowed (NULL-terminated). */
static int only(struct mctx *m, json_t *obj, const char *ptr,
		const char *const *allowed)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], k))
				break;
		if (allowed[i])
			continue;
		const char *hint = NULL;
		for (size_t h = 0; h < sizeof(hints) / sizeof(hints[0]); h++)
			if (!strcmp(hints[h].field, k))
				hint = hints[h].hint;
		char *p = child(ptr, k);
		if (hint)
			field_err(m, p, "not supported by berth (%s)", hint);
		else
			field_err(m, p, "not supported by berth");
		free(p);
		return -1;
	}
	return 0;
}

static json_t *get_typed(struct mctx *m, json_t *parent, const char *ptr,
			 const char *key, json_type type, const char *what)
{
	json_t *v = json_object_get(parent, key);
	if (!v || json_is_null(v))
		return NULL;
	if (json_typeof(v) != type) {
		char *p = child(ptr, key);
		field_err(m, p, "must be %s", what);
		free(p);
		m->pc->failed = true;
		return NULL;
	}
	return v;
}

#define GET_OBJ(m, o, ptr, key) get_typed(m, o, ptr, key, JSON_OBJECT, "a map")
#define GET_ARR(m, o, ptr, key) get_typed(m, o, ptr, key, JSON_ARRAY, "a list")

/* A scalar as the INI text of the same value; NULL for anything else. */
static char *scalar_text(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
	case JSON_REAL:
		return xasprintf("%.17g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	default:
		return NULL;
	}
}

/* Hands one value to the key table as INI key `key`. */
static int apply_text(struct mctx *m, const char *ptr, const char *key,
		      const char *text)
{
	m->pc->line = line_of(m, ptr);
	return cfg_keys_apply(m->pc, key, text);
}

static int apply_scalar(struct mctx *m, json_t *obj, const char *ptr,
			const char *field, const char *key)
{
	json_t *v = json_object_get(obj, field);
	if (!v || json_is_null(v))
		return 0;
	char *p = child(ptr, field);
	char *text = scalar_text(v);
	int r = text ? apply_text(m, p, key, text)
		     : field_err(m, p, "must be a single value");
	free(text);
	free(p);
	return r;
}

/* A list of strings as one word list the INI splitter reads back to the
 * same words: each word single-quoted, quotes inside escaped. */
static int apply_words(struct mctx *m, json_t *obj, const char *ptr,
		       const char *field, const char *key)
{
	char *p = child(ptr, field);
	json_t *arr = GET_ARR(m, obj, ptr, field);
	json_t *w;
	size_t i;
	int r = -1;
	if (!arr) {
		r = m->pc->failed ? -1 : 0;
		goto out;
	}
	if (json_array_size(arr) == 0) {
		r = 0;
		goto out;
	}
	size_t cap = 16, len = 0;
	char *text = xmalloc(cap);
	text[0] = '\0';
	json_array_foreach(arr, i, w)
	{
		if (!json_is_string(w)) {
			char *wp = child_i(p, i);
			field_err(m, wp, "must be a string");
			free(wp);
			free(text);
			goto out;
		}
		const char *s = json_string_value(w);
		size_t need = len + 4 * strlen(s) + 4;
		if (need > cap) {
			cap = need * 2;
			text = xrealloc(text, cap);
		}
		if (i > 0)
			text[len++] = ' ';
		text[len++] = '\'';
		for (; *s; s++) {
			if (*s == '\'') {
				memcpy(text + len, "'\\''", 4);
				len += 4;
			} else {
				text[len++] = *s;
			}
		}
		text[len++] = '\'';
		text[len] = '\0';
	}
	r = apply_text(m, p, key, text);
	free(text);
out:
	free(p);
	return r;
}

/* A map of strings as "k=v,k2=v2". */
static int apply_map(struct mctx *m, json_t *map, const char *ptr,
		     const char *key)
{
	const char *k;
	json_t *v;
	char *text = xstrdup("");
	json_object_foreach(map, k, v)
	{
		if (!json_is_string(v)) {
			char *p = child(ptr, k);
			field_err(m, p, "must be a string (quote it)");
			free(p);
			free(text);
			return -1;
		}
		char *next = xasprintf("%s%s%s=%s", text, text[0] ? "," : "", k,
				       json_string_value(v));
		free(text);
		text = next;
	}
	int r = apply_text(m, ptr, key, text);
	free(text);
	return r;
}

/* `berth.io/KEY: value` annotations: KEY is a key of this section. */
static int apply_annotations(struct mctx *m, json_t *meta, const char *mptr)
{
	json_t *ann = GET_OBJ(m, meta, mptr, "annotations");
	const char *k;
	json_t *v;
	if (!ann)
		return m->pc->failed ? -1 : 0;
	char *aptr = child(mptr, "annotations");
	json_object_foreach(ann, k, v)
	{
		if (strncmp(k, ANNOTATION_PREFIX, strlen(ANNOTATION_PREFIX)))
			continue; /* other tools' annotations are not berth's */
		char *p = xasprintf("%s/%s", aptr, k);
		int r = json_is_string(v)
			    ? apply_text(m, p, k + strlen(ANNOTATION_PREFIX),
					 json_string_value(v))
			    : field_err(m, p, "must be a string (quote it)");
		free(p);
		if (r == -1) {
			free(aptr);
			return -1;
		}
	}
	free(aptr);
	return 0;
}

/* metadata: name (opens the section), namespace `default` only. */
static int read_metadata(struct mctx *m, json_t *doc, enum cfg_section sec,
			 json_t **meta_out)
{
	static const char *const allowed[] = {
	    "name",	"namespace",	   "labels",	 "annotations",
	    "uid",	"resourceVersion", "generation", "creationTimestamp",
	    "selfLink", "managedFields",   NULL};
	json_t *meta = GET_OBJ(m, doc, "", "metadata");
	if (!meta)
		return m->pc->failed ? -1
				     : field_err(m, "/metadata", "missing");
	if (only(m, meta, "/metadata", allowed) == -1)
		return -1;
	json_t *name = json_object_get(meta, "name");
	if (!json_is_string(name))
		return field_err(m, "/metadata/name", "missing");
	m->name = json_string_value(name);
	json_t *ns = json_object_get(meta, "namespace");
	if (ns &&
	    !(json_is_string(ns) && !strcmp(json_string_value(ns), "default")))
		return field_err(m, "/metadata/namespace",
				 "berth has one namespace, `default`");
	m->name = json_string_value(name);
	m->pc->line = line_of(m, "/metadata/name");
	*meta_out = meta;
	return cfg_open_named(
	    m->pc, sec, sec == CFG_SEC_DEPLOYMENT ? "deployment" : "service",
	    m->name);
}

/* One exec/httpGet/tcpSocket/sleep handler under ptr, as keys
 * `prefix` + "exec.command", "httpGet.path", ... */
static int read_handler(struct mctx *m, json_t *h, const char *ptr,
			const char *prefix, int with_sleep)
{
	static const char *const probe_allowed[] = {
	    "exec",
	    "httpGet",
	    "tcpSocket",
	    "initialDelaySeconds",
	    "periodSeconds",
	    "timeoutSeconds",
	    "successThreshold",
	    "failureThreshold",
	    "terminationGracePeriodSeconds",
	    NULL};
	static const char *const hook_allowed[] = {"exec", "httpGet", "sleep",
						   NULL};
	char key[128];
	json_t *o;
	char *p;
	int r = 0;

	if (only(m, h, ptr, with_sleep ? hook_allowed : probe_allowed) == -1)
		return -1;
	if ((o = GET_OBJ(m, h, ptr, "exec"))) {
		static const char *const a[] = {"command", NULL};
		p = child(ptr, "exec");
		snprintf(key, sizeof(key), "%sexec.command", prefix);
		r = only(m, o, p, a) ?: apply_words(m, o, p, "command", key);
		free(p);
	}
	if (r == 0 && (o = GET_OBJ(m, h, ptr, "httpGet"))) {
		static const char *const a[] = {"path",	  "port",	 "host",
						"scheme", "httpHeaders", NULL};
		static const char *const f[] = {"path", "port", "host",
						"scheme"};
		p = child(ptr, "httpGet");
		r = only(m, o, p, a);
		for (size_t i = 0; r == 0 && i < 4; i++) {
			snprintf(key, sizeof(key), "%shttpGet.%s", prefix,
				 f[i]);
			r = apply_scalar(m, o, p, f[i], key);
		}
		json_t *hdrs = r == 0 ? GET_ARR(m, o, p, "httpHeaders") : NULL;
		json_t *hd;
		size_t i;
		snprintf(key, sizeof(key), "%shttpGet.httpHeaders", prefix);
		if (hdrs)
			json_array_foreach(hdrs, i, hd)
			{
				char *hp = child(p, "httpHeaders");
				char *ip = child_i(hp, i);
				const char *n = json_string_value(
				    json_object_get(hd, "name"));
				const char *v = json_string_value(
				    json_object_get(hd, "value"));
				char *text =
				    n && v ? xasprintf("%s: %s", n, v) : NULL;
				r = text ? apply_text(m, ip, key, text)
					 : field_err(m, ip,
						     "needs name and value");
				free(text);
				free(ip);
				free(hp);
				if (r)
					break;
			}
		if (m->pc->failed)
			r = -1;
		free(p);
	}
	if (r == 0 && (o = GET_OBJ(m, h, ptr, "tcpSocket"))) {
		static const char *const a[] = {"port", NULL};
		p = child(ptr, "tcpSocket");
		snprintf(key, sizeof(key), "%stcpSocket.port", prefix);
		r = only(m, o, p, a) ?: apply_scalar(m, o, p, "port", key);
		free(p);
	}
	if (r == 0 && with_sleep && (o = GET_OBJ(m, h, ptr, "sleep"))) {
		static const char *const a[] = {"seconds", NULL};
		p = child(ptr, "sleep");
		snprintf(key, sizeof(key), "%ssleep.seconds", prefix);
		r = only(m, o, p, a) ?: apply_scalar(m, o, p, "seconds", key);
		free(p);
	}
	if (r == 0 && !with_sleep) {
		static const char *const n[] = {
		    "initialDelaySeconds", "periodSeconds",
		    "timeoutSeconds",	   "successThreshold",
		    "failureThreshold",	   "terminationGracePeriodSeconds"};
		for (size_t i = 0; r == 0 && i < 6; i++) {
			snprintf(key, sizeof(key), "%s%s", prefix, n[i]);
			r = apply_scalar(m, h, ptr, n[i], key);
		}
	}
	return r || m->pc->failed ? -1 : 0;
}

/* volumeMounts joined with the pod's hostPath volumes: `mount` keys. */
static int read_mounts(struct mctx *m, json_t *c, const char *cptr,
		       json_t *volumes)
{
	json_t *mounts = GET_ARR(m, c, cptr, "volumeMounts");
	json_t *vm;
	size_t i;
	if (!mounts)
		return m->pc->failed ? -1 : 0;
	char *mp = child(cptr, "volumeMounts");
	json_array_foreach(mounts, i, vm)
	{
		static const char *const a[] = {"name", "mountPath", "readOnly",
						NULL};
		char *p = child_i(mp, i);
		const char *name =
		    json_string_value(json_object_get(vm, "name"));
		const char *path =
		    json_string_value(json_object_get(vm, "mountPath"));
		const char *host = NULL;
		json_t *vol;
		size_t j;
		int r = only(m, vm, p, a);
		if (r == 0 && (!name || !path))
			r = field_err(m, p, "needs name and mountPath");
		json_array_foreach(volumes, j, vol)
		{
			if (name &&
			    !strcmp(name, json_string_value(
					      json_object_get(vol, "name"))
					      ?: ""))
				host = json_string_value(json_object_get(
				    json_object_get(vol, "hostPath"), "path"));
		}
		if (r == 0 && !host)
			r = field_err(m, p,
				      "volume \"%s\" is not a hostPath volume "
				      "of this pod",
				      name);
		if (r == 0) {
			char *text = xasprintf(
			    "%s:%s%s", host, path,
			    json_is_true(json_object_get(vm, "readOnly"))
				? ":ro"
				: "");
			r = apply_text(m, p, "mount", text);
			free(text);
		}
		free(p);
		if (r) {
			free(mp);
			return -1;
		}
	}
	free(mp);
	return 0;
}

static int read_volumes(struct mctx *m, json_t *volumes, const char *ptr)
{
	json_t *v;
	size_t i;
	json_array_foreach(volumes, i, v)
	{
		static const char *const a[] = {"name", "hostPath", NULL};
		static const char *const h[] = {"path", "type", NULL};
		char *p = child_i(ptr, i);
		json_t *hp = json_object_get(v, "hostPath");
		int r = json_is_object(hp)
			    ? only(m, v, p, a)
			    : field_err(m, p,
					"only hostPath volumes are supported");
		if (r == 0) {
			char *pp = child(p, "hostPath");
			r = only(m, hp, pp, h);
			free(pp);
		}
		free(p);
		if (r)
			return -1;
	}
	return 0;
}

static int read_container(struct mctx *m, json_t *c, const char *cptr,
			  json_t *volumes)
{
	static const char *const allowed[] = {"name",
					      "image",
					      "imagePullPolicy",
					      "command",
					      "args",
					      "env",
					      "workingDir",
					      "ports",
					      "volumeMounts",
					      "lifecycle",
					      "startupProbe",
					      "livenessProbe",
					      "readinessProbe",
					      "resources",
					      "securityContext",
					      "terminationMessagePath",
					      "terminationMessagePolicy",
					      NULL};
	json_t *o, *arr, *x;
	size_t i;
	char *p;
	int r;

	if (only(m, c, cptr, allowed) == -1 ||
	    apply_scalar(m, c, cptr, "image", "image") == -1 ||
	    apply_scalar(m, c, cptr, "imagePullPolicy", "imagePullPolicy") ==
		-1 ||
	    apply_words(m, c, cptr, "command", "command") == -1 ||
	    apply_words(m, c, cptr, "args", "args") == -1 ||
	    apply_scalar(m, c, cptr, "workingDir", "workingDir") == -1)
		return -1;
	if ((arr = GET_ARR(m, c, cptr, "env"))) {
		char *ep = child(cptr, "env");
		json_array_foreach(arr, i, x)
		{
			static const char *const a[] = {"name", "value", NULL};
			p = child_i(ep, i);
			const char *n =
			    json_string_value(json_object_get(x, "name"));
			json_t *v = json_object_get(x, "value");
			char *vt = v ? scalar_text(v) : xstrdup("");
			char *text = n && vt ? xasprintf("%s=%s", n, vt) : NULL;
			r = only(m, x, p, a);
			if (r == 0)
				r = text
					? apply_text(m, p, "env", text)
					: field_err(m, p,
						    "needs a name and a string "
						    "value");
			free(vt);
			free(text);
			free(p);
			if (r) {
				free(ep);
				return -1;
			}
		}
		free(ep);
	}
	if ((arr = GET_ARR(m, c, cptr, "ports"))) {
		char *pp = child(cptr, "ports");
		json_array_foreach(arr, i, x)
		{
			static const char *const a[] = {"containerPort", "name",
							"protocol", NULL};
			p = child_i(pp, i);
			json_t *proto = json_object_get(x, "protocol");
			r = only(m, x, p, a);
			if (r == 0 && i > 0)
				r = field_err(m, p,
					      "berth runs one port per pod");
			if (r == 0 && proto &&
			    strcmp(json_string_value(proto) ?: "", "TCP"))
				r = field_err(m, p, "only TCP is supported");
			if (r == 0)
				r = apply_scalar(m, x, p, "containerPort",
						 "port");
			free(p);
			if (r) {
				free(pp);
				return -1;
			}
		}
		free(pp);
	}
	if ((o = GET_OBJ(m, c, cptr, "lifecycle"))) {
		static const char *const a[] = {"preStop", "stopSignal", NULL};
		json_t *ps;
		p = child(cptr, "lifecycle");
		r = only(m, o, p, a)
			?: apply_scalar(m, o, p, "stopSignal",
					"lifecycle.stopSignal");
		if (r == 0 && (ps = GET_OBJ(m, o, p, "preStop"))) {
			char *pp = child(p, "preStop");
			r = read_handler(m, ps, pp, "lifecycle.preStop.", 1);
			free(pp);
		}
		free(p);
		if (r || m->pc->failed)
			return -1;
	}
	static const char *const probes[] = {"startupProbe", "livenessProbe",
					     "readinessProbe"};
	for (i = 0; i < 3; i++) {
		if (!(o = GET_OBJ(m, c, cptr, probes[i]))) {
			if (m->pc->failed)
				return -1;
			continue;
		}
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "%s.", probes[i]);
		p = child(cptr, probes[i]);
		r = read_handler(m, o, p, prefix, 0);
		free(p);
		if (r)
			return -1;
	}
	if ((o = GET_OBJ(m, c, cptr, "resources"))) {
		static const char *const a[] = {"limits", "requests", NULL};
		static const char *const l[] = {"memory", "cpu", "pids", NULL};
		json_t *lim, *req;
		p = child(cptr, "resources");
		r = only(m, o, p, a);
		if (r == 0 && (req = GET_OBJ(m, o, p, "requests")) &&
		    json_object_size(req) > 0) {
			char *rp = child(p, "requests");
			r = field_err(m, rp,
				      "not supported by berth (berth does not "
				      "schedule; set limits)");
			free(rp);
		}
		if (r == 0 && (lim = GET_OBJ(m, o, p, "limits"))) {
			char *lp = child(p, "limits");
			r = only(m, lim, lp, l);
			for (size_t k = 0; r == 0 && l[k]; k++) {
				char key[64];
				snprintf(key, sizeof(key),
					 "resources.limits.%s", l[k]);
				r = apply_scalar(m, lim, lp, l[k], key);
			}
			free(lp);
		}
		free(p);
		if (r || m->pc->failed)
			return -1;
	}
	if ((o = GET_OBJ(m, c, cptr, "securityContext"))) {
		static const char *const a[] = {"runAsUser",
						"runAsGroup",
						"readOnlyRootFilesystem",
						"capabilities",
						"seccompProfile",
						"allowPrivilegeEscalation",
						"privileged",
						NULL};
		json_t *caps, *sp;
		p = child(cptr, "securityContext");
		r = only(m, o, p, a);
		if (r == 0 && json_is_true(json_object_get(o, "privileged")))
			r = field_err(m, p,
				      "privileged: not supported by berth");
		if (r == 0 && json_is_true(json_object_get(
				  o, "allowPrivilegeEscalation")))
			r = field_err(m, p,
				      "allowPrivilegeEscalation: berth always "
				      "sets no_new_privs");
		static const char *const n[] = {"runAsUser", "runAsGroup",
						"readOnlyRootFilesystem"};
		for (size_t k = 0; r == 0 && k < 3; k++) {
			char key[64];
			snprintf(key, sizeof(key), "securityContext.%s", n[k]);
			r = apply_scalar(m, o, p, n[k], key);
		}
		if (r == 0 && (caps = GET_OBJ(m, o, p, "capabilities"))) {
			static const char *const ca[] = {"add", "drop", NULL};
			char *cp = child(p, "capabilities");
			r = only(m, caps, cp, ca);
			for (size_t k = 0; r == 0 && ca[k]; k++) {
				json_t *list = GET_ARR(m, caps, cp, ca[k]);
				json_t *cap;
				size_t j;
				if (!list || json_array_size(list) == 0)
					continue;
				char *text = xstrdup("");
				json_array_foreach(list, j, cap)
				{
					char *next = xasprintf(
					    "%s%s%s", text, j ? "," : "",
					    json_string_value(cap) ?: "");
					free(text);
					text = next;
				}
				char key[64];
				snprintf(key, sizeof(key),
					 "securityContext.capabilities.%s",
					 ca[k]);
				char *kp = child(cp, ca[k]);
				r = apply_text(m, kp, key, text);
				free(kp);
				free(text);
			}
			free(cp);
		}
		if (r == 0 && (sp = GET_OBJ(m, o, p, "seccompProfile"))) {
			static const char *const sa[] = {
			    "type", "localhostProfile", NULL};
			char *spp = child(p, "seccompProfile");
			const char *type =
			    json_string_value(json_object_get(sp, "type"));
			const char *local = json_string_value(
			    json_object_get(sp, "localhostProfile"));
			r = only(m, sp, spp, sa);
			if (r == 0) {
				if (type && !strcmp(type, "Localhost") && local)
					r = apply_text(
					    m, spp,
					    "securityContext.seccompProfile",
					    local);
				else if (type &&
					 (!strcmp(type, "RuntimeDefault") ||
					  !strcmp(type, "Unconfined")))
					r = apply_text(
					    m, spp,
					    "securityContext.seccompProfile",
					    type);
				else
					r = field_err(
					    m, spp,
					    "type must be RuntimeDefault, "
					    "Unconfined or Localhost with "
					    "localhostProfile");
			}
			free(spp);
		}
		free(p);
		if (r || m->pc->failed)
			return -1;
	}
	return read_mounts(m, c, cptr, volumes);
}

static int read_pod_spec(struct mctx *m, json_t *spec, const char *ptr)
{
	static const char *const allowed[] = {
	    "containers",  "restartPolicy", "terminationGracePeriodSeconds",
	    "hostNetwork", "volumes",	    "securityContext",
	    "dnsPolicy",   "schedulerName", NULL};
	json_t *containers = GET_ARR(m, spec, ptr, "containers");
	json_t *volumes = GET_ARR(m, spec, ptr, "volumes");
	json_t *sc, *x;
	char *p;
	int r;

	if (m->pc->failed || only(m, spec, ptr, allowed) == -1)
		return -1;
	if ((x = json_object_get(spec, "dnsPolicy")) &&
	    strcmp(json_string_value(x) ?: "", "ClusterFirst")) {
		p = child(ptr, "dnsPolicy");
		r = field_err(m, p,
			      "only ClusterFirst (berth keeps the "
			      "host's resolver)");
		free(p);
		return r;
	}
	if ((x = json_object_get(spec, "schedulerName")) &&
	    strcmp(json_string_value(x) ?: "", "default-scheduler")) {
		p = child(ptr, "schedulerName");
		r = field_err(m, p, "berth runs on one host");
		free(p);
		return r;
	}
	if (!containers || json_array_size(containers) == 0) {
		p = child(ptr, "containers");
		r = field_err(m, p, "one container is needed");
		free(p);
		return r;
	}
	if (json_array_size(containers) > 1) {
		p = xasprintf("%s/containers/1", ptr);
		r = field_err(m, p, "berth runs one container per pod");
		free(p);
		return r;
	}
	if (volumes) {
		p = child(ptr, "volumes");
		r = read_volumes(m, volumes, p);
		free(p);
		if (r)
			return -1;
	}
	if (apply_scalar(m, spec, ptr, "restartPolicy", "restartPolicy") ||
	    apply_scalar(m, spec, ptr, "terminationGracePeriodSeconds",
			 "terminationGracePeriodSeconds"))
		return -1;
	if (json_is_true(json_object_get(spec, "hostNetwork"))) {
		p = child(ptr, "hostNetwork");
		r = apply_text(m, p, "network", "host");
		free(p);
		if (r)
			return -1;
	}
	if ((sc = GET_OBJ(m, spec, ptr, "securityContext"))) {
		static const char *const a[] = {"runAsUser", "runAsGroup",
						NULL};
		p = child(ptr, "securityContext");
		r = only(m, sc, p, a);
		/* The container's own value, applied after, wins. */
		json_t *c0 = json_object_get(json_array_get(containers, 0),
					     "securityContext");
		for (size_t k = 0; r == 0 && a[k]; k++) {
			if (json_object_get(c0, a[k]))
				continue;
			char key[64];
			snprintf(key, sizeof(key), "securityContext.%s", a[k]);
			r = apply_scalar(m, sc, p, a[k], key);
		}
		free(p);
		if (r)
			return -1;
	}
	p = xasprintf("%s/containers/0", ptr);
	r = read_container(m, json_array_get(containers, 0), p, volumes);
	free(p);
	return r;
}

static int labels_subset(json_t *sub, json_t *of)
{
	const char *k;
	json_t *v;
	json_object_foreach(sub, k, v)
	{
		json_t *w = json_object_get(of, k);
		if (!w || !json_equal(v, w))
			return 0;
	}
	return 1;
}

static int read_deployment(struct mctx *m, json_t *doc)
{
	static const char *const spec_allowed[] = {"replicas",
						   "selector",
						   "template",
						   "strategy",
						   "minReadySeconds",
						   "progressDeadlineSeconds",
						   "revisionHistoryLimit",
						   "paused",
						   NULL};
	static const char *const tmpl_allowed[] = {"metadata", "spec", NULL};
	static const char *const tmeta_allowed[] = {"labels", "annotations",
						    "creationTimestamp", NULL};
	json_t *meta, *spec, *tmpl, *tmeta, *tlabels, *sel, *strat, *x;

	if (read_metadata(m, doc, CFG_SEC_DEPLOYMENT, &meta) == -1)
		return -1;
	if (!(spec = GET_OBJ(m, doc, "", "spec")))
		return m->pc->failed ? -1 : field_err(m, "/spec", "missing");
	if (only(m, spec, "/spec", spec_allowed) == -1)
		return -1;
	if (json_is_true(json_object_get(spec, "paused")))
		return field_err(m, "/spec/paused",
				 "a paused rollout is made with `berth "
				 "rollout pause`, not in a manifest");
	if (!(tmpl = GET_OBJ(m, spec, "/spec", "template")))
		return m->pc->failed
			   ? -1
			   : field_err(m, "/spec/template", "missing");
	if (only(m, tmpl, "/spec/template", tmpl_allowed) == -1)
		return -1;
	tmeta = GET_OBJ(m, tmpl, "/spec/template", "metadata");
	if (tmeta && only(m, tmeta, "/spec/template/metadata", tmeta_allowed))
		return -1;
	tlabels = tmeta ? GET_OBJ(m, tmeta, "/spec/template/metadata", "labels")
			: NULL;
	if (m->pc->failed)
		return -1;
	if (tlabels && apply_map(m, tlabels, "/spec/template/metadata/labels",
				 "labels") == -1)
		return -1;
	x = json_object_get(json_object_get(tmeta, "annotations"),
			    MANIFEST_RESTARTED_AT);
	if (json_is_string(x)) { /* `rollout restart`: changes the hash only */
		struct deployment_spec *d =
		    &m->pc->cfg->deployments[m->pc->idx];
		snprintf(d->restarted_at, sizeof(d->restarted_at), "%s",
			 json_string_value(x));
	}
	if ((x = GET_OBJ(m, meta, "/metadata", "labels")) &&
	    !labels_subset(x, tlabels ? tlabels : json_object()))
		return field_err(m, "/metadata/labels",
				 "berth keeps one set of labels, the pods' "
				 "(spec.template.metadata.labels); a "
				 "Deployment's own labels must be among them");
	if ((sel = GET_OBJ(m, spec, "/spec", "selector"))) {
		static const char *const a[] = {"matchLabels", NULL};
		json_t *ml;
		if (only(m, sel, "/spec/selector", a) == -1)
			return -1;
		ml = GET_OBJ(m, sel, "/spec/selector", "matchLabels");
		if (ml && !labels_subset(ml, tlabels ? tlabels : json_object()))
			return field_err(m, "/spec/selector",
					 "selector does not match template "
					 "labels");
	}
	if (m->pc->failed ||
	    apply_scalar(m, spec, "/spec", "replicas", "replicas") ||
	    apply_scalar(m, spec, "/spec", "minReadySeconds",
			 "minReadySeconds") ||
	    apply_scalar(m, spec, "/spec", "progressDeadlineSeconds",
			 "progressDeadlineSeconds") ||
	    apply_scalar(m, spec, "/spec", "revisionHistoryLimit",
			 "revisionHistoryLimit"))
		return -1;
	if ((strat = GET_OBJ(m, spec, "/spec", "strategy"))) {
		static const char *const a[] = {"type", "rollingUpdate", NULL};
		static const char *const ru[] = {"maxSurge", "maxUnavailable",
						 NULL};
		json_t *r;
		if (only(m, strat, "/spec/strategy", a) ||
		    apply_scalar(m, strat, "/spec/strategy", "type",
				 "strategy.type"))
			return -1;
		if ((r = GET_OBJ(m, strat, "/spec/strategy",
				 "rollingUpdate")) &&
		    (only(m, r, "/spec/strategy/rollingUpdate", ru) ||
		     apply_scalar(m, r, "/spec/strategy/rollingUpdate",
				  "maxSurge",
				  "strategy.rollingUpdate.maxSurge") ||
		     apply_scalar(m, r, "/spec/strategy/rollingUpdate",
				  "maxUnavailable",
				  "strategy.rollingUpdate.maxUnavailable")))
			return -1;
	}
	json_t *pspec = GET_OBJ(m, tmpl, "/spec/template", "spec");
	if (!pspec)
		return m->pc->failed
			   ? -1
			   : field_err(m, "/spec/template/spec", "missing");
	if (read_pod_spec(m, pspec, "/spec/template/spec") == -1)
		return -1;
	return apply_annotations(m, meta, "/metadata");
}

static int read_service(struct mctx *m, json_t *doc)
{
	static const char *const spec_allowed[] = {
	    "type",	  "ports",	    "selector",
	    "clusterIP",  "clusterIPs",	    "sessionAffinity",
	    "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy",
	    NULL};
	static const char *const port_allowed[] = {
	    "port", "targetPort", "protocol", "name", "appProtocol", NULL};
	json_t *meta, *spec, *ports, *port, *sel, *x, *ann;
	char listen[128];

	if (read_metadata(m, doc, CFG_SEC_SERVICE, &meta) == -1)
		return -1;
	if (!(spec = GET_OBJ(m, doc, "", "spec")))
		return m->pc->failed ? -1 : field_err(m, "/spec", "missing");
	if (only(m, spec, "/spec", spec_allowed) == -1)
		return -1;
	if ((x = json_object_get(spec, "type")) &&
	    strcmp(json_string_value(x) ?: "", "ClusterIP"))
		return field_err(m, "/spec/type",
				 "only ClusterIP (berth's proxy listens on "
				 "the address in the berth.io/listen "
				 "annotation)");
	if ((x = json_object_get(spec, "sessionAffinity")) &&
	    strcmp(json_string_value(x) ?: "", "None"))
		return field_err(m, "/spec/sessionAffinity", "only None");
	if (!(sel = GET_OBJ(m, spec, "/spec", "selector")))
		return m->pc->failed
			   ? -1
			   : field_err(m, "/spec/selector",
				       "missing (berth services select pods "
				       "by labels)");
	if (apply_map(m, sel, "/spec/selector", "selector") == -1)
		return -1;
	ports = GET_ARR(m, spec, "/spec", "ports");
	if (!ports || json_array_size(ports) != 1)
		return m->pc->failed
			   ? -1
			   : field_err(m, "/spec/ports",
				       "exactly one port (berth services "
				       "have one)");
	port = json_array_get(ports, 0);
	if (only(m, port, "/spec/ports/0", port_allowed) == -1)
		return -1;
	if ((x = json_object_get(port, "protocol")) &&
	    strcmp(json_string_value(x) ?: "", "TCP"))
		return field_err(m, "/spec/ports/0/protocol", "only TCP");
	x = json_object_get(port, "targetPort");
	if (x && !json_is_integer(x))
		return field_err(m, "/spec/ports/0/targetPort",
				 "must be a port number (named ports are not "
				 "supported)");
	if (apply_scalar(m, port, "/spec/ports/0", x ? "targetPort" : "port",
			 "targetPort") == -1)
		return -1;
	if ((x = json_object_get(port, "appProtocol")) &&
	    apply_scalar(m, port, "/spec/ports/0", "appProtocol", "mode"))
		return -1;
	/* The listen address: the annotation, else the cluster IP (when it
	 * is an address), else loopback; the port is the service port. */
	ann = json_object_get(json_object_get(meta, "annotations"),
			      ANNOTATION_PREFIX "listen");
	if (!ann) {
		json_t *p = json_object_get(port, "port");
		const char *ip =
		    json_string_value(json_object_get(spec, "clusterIP"));
		if (!json_is_integer(p))
			return field_err(m, "/spec/ports/0/port",
					 "must be a port number");
		if (!ip || !*ip || !strcmp(ip, "None"))
			ip = "127.0.0.1";
		snprintf(listen, sizeof(listen),
			 strchr(ip, ':') ? "[%s]:%" JSON_INTEGER_FORMAT
					 : "%s:%" JSON_INTEGER_FORMAT,
			 ip, json_integer_value(p));
		if (apply_text(m, "/spec/ports/0/port", "listen", listen) == -1)
			return -1;
	}
	return apply_annotations(m, meta, "/metadata");
}

static int read_doc(struct mctx *m, json_t *doc, const char *ptr);

/* berth.io/v1 BerthConfig: the [berth] section, key for key. */
static int read_berth(struct mctx *m, json_t *doc)
{
	const char *k;
	json_t *v;
	if (m->pc->have_berth)
		return field_err(m, "/kind",
				 "a second BerthConfig (first on "
				 "line %d)",
				 m->pc->berth_line);
	m->pc->have_berth = true;
	m->pc->berth_line = line_of(m, "");
	m->pc->sec = CFG_SEC_BERTH;
	m->pc->idx = 0;
	json_object_foreach(doc, k, v)
	{
		if (!strcmp(k, "apiVersion") || !strcmp(k, "kind") ||
		    !strcmp(k, "metadata"))
			continue;
		char *p = child("", k);
		char *text = json_is_array(v) ? NULL : scalar_text(v);
		if (json_is_array(v)) { /* insecureRegistries: [a, b] */
			json_t *x;
			size_t i;
			text = xstrdup("");
			json_array_foreach(v, i, x)
			{
				char *n =
				    xasprintf("%s%s%s", text, i ? "," : "",
					      json_string_value(x) ?: "");
				free(text);
				text = n;
			}
		}
		int r = text ? apply_text(m, p, k, text)
			     : field_err(m, p, "must be a single value");
		free(text);
		free(p);
		if (r)
			return -1;
	}
	return 0;
}

static int read_list(struct mctx *m, json_t *doc)
{
	json_t *items = GET_ARR(m, doc, "", "items"), *it;
	size_t i;
	if (!items)
		return m->pc->failed ? -1 : 0;
	json_array_foreach(items, i, it)
	{
		char *p = xasprintf("/items/%zu", i);
		int r = read_doc(m, it, p);
		free(p);
		if (r)
			return -1;
	}
	return 0;
}

/* ptr: where doc sits in its YAML document ("" or "/items/N"), for lines. */
static int read_doc(struct mctx *m, json_t *doc, const char *ptr)
{
	json_t *lines = m->lines, *sub = NULL;
	int r;
	if (!json_is_object(doc))
		return field_err(m, ptr, "a manifest must be a map");
	const char *api = json_string_value(json_object_get(doc, "apiVersion"));
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	m->name = NULL;
	m->kind = kind ? kind : "object";
	if (!api || !kind) {
		m->kind = "manifest";
		return field_err(m, ptr, "needs apiVersion and kind");
	}
	if (*ptr) { /* lines of a List item: strip the item's prefix */
		const char *k;
		json_t *v;
		size_t n = strlen(ptr);
		sub = json_object();
		json_object_foreach(lines, k, v) if (!strncmp(k, ptr, n))
		    json_object_set(sub, k + n, v);
		m->lines = sub;
	}
	if (!strcmp(kind, "Deployment") && !strcmp(api, "apps/v1"))
		r = read_deployment(m, doc);
	else if (!strcmp(kind, "Service") && !strcmp(api, "v1"))
		r = read_service(m, doc);
	else if (!strcmp(kind, "BerthConfig") && !strcmp(api, "berth.io/v1"))
		r = read_berth(m, doc);
	else if (!strcmp(kind, "List") && !strcmp(api, "v1"))
		r = read_list(m, doc);
	else if (!strcmp(kind, "Namespace") && !strcmp(api, "v1") &&
		 !strcmp(json_string_value(json_object_get(
			     json_object_get(doc, "metadata"), "name"))
			     ?: "",
			 "default"))
		r = 0; /* the one namespace there is */
	else
		r = field_err(m, "/kind",
			      "%s %s is not supported (berth runs apps/v1 "
			      "Deployments and v1 Services)",
			      api, kind);
	m->lines = lines;
	json_decref(sub);
	return r;
}

int cfg_manifest_parse(struct cfg_parse *pc)
{
	struct berr yerr = BERR_INIT;
	json_t *lines = NULL;
	json_t *docs =
	    yaml_to_json_docs_lines(pc->buf, pc->len, pc->file, &lines, &yerr);
	json_t *doc;
	size_t i;
	int r = 0;

	if (!docs) {
		berr_set(pc->err, "%s", yerr.msg);
		pc->failed = true;
		return -1;
	}
	json_array_foreach(docs, i, doc)
	{
		struct mctx m = {.pc = pc, .lines = json_array_get(lines, i)};
		m.doc_line = line_of(&m, "");
		if (read_doc(&m, doc, "") == -1) {
			r = -1;
			break;
		}
	}
	json_decref(docs);
	json_decref(lines);
	return r == 0 && !pc->failed ? 0 : -1;
}
