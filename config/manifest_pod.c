/*
 * manifest_pod.c - a Deployment's pod template read into the open
 * [deployment] section: the one container, its probes and hooks,
 * hostPath volumes and their mounts, limits and security context. Every
 * field it does not list is refused by name (manifest_util.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "manifest.h"
#include "manifest_internal.h"

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

	if (mf_only(m, h, ptr, with_sleep ? hook_allowed : probe_allowed) == -1)
		return -1;
	if ((o = GET_OBJ(m, h, ptr, "exec"))) {
		static const char *const a[] = {"command", NULL};
		p = mf_child(ptr, "exec");
		snprintf(key, sizeof(key), "%sexec.command", prefix);
		r = mf_only(m, o, p, a)
			?: mf_apply_words(m, o, p, "command", key);
		free(p);
	}
	if (r == 0 && (o = GET_OBJ(m, h, ptr, "httpGet"))) {
		static const char *const a[] = {"path",	  "port",	 "host",
						"scheme", "httpHeaders", NULL};
		static const char *const f[] = {"path", "port", "host",
						"scheme"};
		p = mf_child(ptr, "httpGet");
		r = mf_only(m, o, p, a);
		for (size_t i = 0; r == 0 && i < 4; i++) {
			snprintf(key, sizeof(key), "%shttpGet.%s", prefix,
				 f[i]);
			r = strcmp(f[i], "port")
				? mf_apply_scalar(m, o, p, f[i], key)
				: mf_apply_port_or_name(m, o, p, f[i], key);
		}
		json_t *hdrs = r == 0 ? GET_ARR(m, o, p, "httpHeaders") : NULL;
		json_t *hd;
		size_t i;
		snprintf(key, sizeof(key), "%shttpGet.httpHeaders", prefix);
		if (hdrs)
			json_array_foreach(hdrs, i, hd)
			{
				char *hp = mf_child(p, "httpHeaders");
				char *ip = mf_child_i(hp, i);
				const char *n = json_string_value(
				    json_object_get(hd, "name"));
				const char *v = json_string_value(
				    json_object_get(hd, "value"));
				char *text =
				    n && v ? xasprintf("%s: %s", n, v) : NULL;
				r = text
					? mf_apply_text(m, ip, key, text)
					: mf_err(m, ip, "needs name and value");
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
		p = mf_child(ptr, "tcpSocket");
		snprintf(key, sizeof(key), "%stcpSocket.port", prefix);
		r = mf_only(m, o, p, a)
			?: mf_apply_port_or_name(m, o, p, "port", key);
		free(p);
	}
	if (r == 0 && with_sleep && (o = GET_OBJ(m, h, ptr, "sleep"))) {
		static const char *const a[] = {"seconds", NULL};
		p = mf_child(ptr, "sleep");
		snprintf(key, sizeof(key), "%ssleep.seconds", prefix);
		r = mf_only(m, o, p, a)
			?: mf_apply_scalar(m, o, p, "seconds", key);
		free(p);
	}
	if (r == 0 && !with_sleep) {
		static const char *const n[] = {
		    "initialDelaySeconds", "periodSeconds",
		    "timeoutSeconds",	   "successThreshold",
		    "failureThreshold",	   "terminationGracePeriodSeconds"};
		for (size_t i = 0; r == 0 && i < 6; i++) {
			snprintf(key, sizeof(key), "%s%s", prefix, n[i]);
			r = mf_apply_scalar(m, h, ptr, n[i], key);
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
	char *mp = mf_child(cptr, "volumeMounts");
	json_array_foreach(mounts, i, vm)
	{
		static const char *const a[] = {"name", "mountPath", "readOnly",
						NULL};
		char *p = mf_child_i(mp, i);
		const char *name =
		    json_string_value(json_object_get(vm, "name"));
		const char *path =
		    json_string_value(json_object_get(vm, "mountPath"));
		const char *host = NULL;
		json_t *vol;
		size_t j;
		int r = mf_only(m, vm, p, a);
		if (r == 0 && (!name || !path))
			r = mf_err(m, p, "needs name and mountPath");
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
			r = mf_err(m, p,
				   "volume \"%s\" is not a hostPath volume "
				   "of this pod",
				   name);
		if (r == 0) {
			char *text = xasprintf(
			    "%s:%s%s", host, path,
			    json_is_true(json_object_get(vm, "readOnly"))
				? ":ro"
				: "");
			r = mf_apply_text(m, p, "mount", text);
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
		char *p = mf_child_i(ptr, i);
		json_t *hp = json_object_get(v, "hostPath");
		int r =
		    json_is_object(hp)
			? mf_only(m, v, p, a)
			: mf_err(m, p, "only hostPath volumes are supported");
		if (r == 0) {
			char *pp = mf_child(p, "hostPath");
			r = mf_only(m, hp, pp, h);
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

	static const char *const fixed[][2] = {
	    {"terminationMessagePolicy", "File"},
	    {"terminationMessagePath", "/dev/termination-log"}};

	if (mf_only(m, c, cptr, allowed) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		x = json_object_get(c, fixed[i][0]);
		if (!x || json_is_null(x) ||
		    (json_is_string(x) &&
		     (!*json_string_value(x) ||
		      !strcmp(json_string_value(x), fixed[i][1]))))
			continue;
		p = mf_child(cptr, fixed[i][0]);
		r = mf_err(m, p, "berth keeps %s only", fixed[i][1]);
		free(p);
		return r;
	}
	x = json_object_get(c, "image");
	if (!x || json_is_null(x) ||
	    (json_is_string(x) && !*json_string_value(x))) {
		p = mf_child(cptr, "image");
		r = mf_err(m, p, "Required value");
		free(p);
		return r;
	}
	if (mf_apply_scalar(m, c, cptr, "image", "image") == -1 ||
	    mf_apply_scalar(m, c, cptr, "imagePullPolicy", "imagePullPolicy") ==
		-1 ||
	    mf_apply_words(m, c, cptr, "command", "command") == -1 ||
	    mf_apply_words(m, c, cptr, "args", "args") == -1 ||
	    mf_apply_scalar(m, c, cptr, "workingDir", "workingDir") == -1)
		return -1;
	if ((arr = GET_ARR(m, c, cptr, "env"))) {
		char *ep = mf_child(cptr, "env");
		json_array_foreach(arr, i, x)
		{
			static const char *const a[] = {"name", "value", NULL};
			p = mf_child_i(ep, i);
			const char *n =
			    json_string_value(json_object_get(x, "name"));
			json_t *v = json_object_get(x, "value");
			const char *vs =
			    !v || json_is_null(v) ? "" : json_string_value(v);
			char *text = n && vs ? xasprintf("%s=%s", n, vs) : NULL;
			r = mf_only(m, x, p, a);
			if (r == 0 && !vs) {
				char *vp = mf_child(p, "value");
				r = mf_err(m, vp,
					   "must be a string (quote it)");
				free(vp);
			}
			if (r == 0)
				r = text ? mf_apply_text(m, p, "env", text)
					 : mf_err(m, p, "needs a name");
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
		char *pp = mf_child(cptr, "ports");
		json_array_foreach(arr, i, x)
		{
			static const char *const a[] = {"containerPort", "name",
							"protocol", NULL};
			p = mf_child_i(pp, i);
			json_t *proto = json_object_get(x, "protocol");
			r = mf_only(m, x, p, a);
			if (r == 0 && i > 0)
				r = mf_err(m, p, "berth runs one port per pod");
			if (r == 0 && proto &&
			    strcmp(json_string_value(proto) ?: "", "TCP"))
				r = mf_err(m, p, "only TCP is supported");
			if (r == 0)
				r = mf_apply_port(m, x, p, "containerPort",
						  "port");
			if (r == 0)
				r = mf_apply_scalar(m, x, p, "name",
						    "portName");
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
		p = mf_child(cptr, "lifecycle");
		r = mf_only(m, o, p, a)
			?: mf_apply_scalar(m, o, p, "stopSignal",
					   "lifecycle.stopSignal");
		if (r == 0 && (ps = GET_OBJ(m, o, p, "preStop"))) {
			char *pp = mf_child(p, "preStop");
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
		p = mf_child(cptr, probes[i]);
		r = read_handler(m, o, p, prefix, 0);
		free(p);
		if (r)
			return -1;
	}
	if ((o = GET_OBJ(m, c, cptr, "resources"))) {
		static const char *const a[] = {"limits", "requests", NULL};
		static const char *const l[] = {"memory", "cpu", "pids", NULL};
		json_t *lim, *req;
		p = mf_child(cptr, "resources");
		r = mf_only(m, o, p, a);
		if (r == 0 && (req = GET_OBJ(m, o, p, "requests")) &&
		    json_object_size(req) > 0) {
			char *rp = mf_child(p, "requests");
			r = mf_err(m, rp,
				   "field not supported by berth (berth does "
				   "not "
				   "schedule; set limits)");
			free(rp);
		}
		if (r == 0 && (lim = GET_OBJ(m, o, p, "limits"))) {
			char *lp = mf_child(p, "limits");
			r = mf_only(m, lim, lp, l);
			for (size_t k = 0; r == 0 && l[k]; k++) {
				char key[64];
				snprintf(key, sizeof(key),
					 "resources.limits.%s", l[k]);
				r = mf_apply_scalar(m, lim, lp, l[k], key);
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
		p = mf_child(cptr, "securityContext");
		r = mf_only(m, o, p, a);
		if (r == 0 && json_is_true(json_object_get(o, "privileged")))
			r = mf_err(m, p, "privileged: not supported by berth");
		if (r == 0 && json_is_true(json_object_get(
				  o, "allowPrivilegeEscalation")))
			r = mf_err(m, p,
				   "allowPrivilegeEscalation: berth always "
				   "sets no_new_privs");
		static const char *const n[] = {"runAsUser", "runAsGroup",
						"readOnlyRootFilesystem"};
		for (size_t k = 0; r == 0 && k < 3; k++) {
			char key[64];
			snprintf(key, sizeof(key), "securityContext.%s", n[k]);
			r = mf_apply_scalar(m, o, p, n[k], key);
		}
		if (r == 0 && (caps = GET_OBJ(m, o, p, "capabilities"))) {
			static const char *const ca[] = {"add", "drop", NULL};
			char *cp = mf_child(p, "capabilities");
			r = mf_only(m, caps, cp, ca);
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
				char *kp = mf_child(cp, ca[k]);
				r = mf_apply_text(m, kp, key, text);
				free(kp);
				free(text);
			}
			free(cp);
		}
		if (r == 0 && (sp = GET_OBJ(m, o, p, "seccompProfile"))) {
			static const char *const sa[] = {
			    "type", "localhostProfile", NULL};
			char *spp = mf_child(p, "seccompProfile");
			const char *type =
			    json_string_value(json_object_get(sp, "type"));
			const char *local = json_string_value(
			    json_object_get(sp, "localhostProfile"));
			r = mf_only(m, sp, spp, sa);
			if (r == 0) {
				if (type && !strcmp(type, "Localhost") && local)
					r = mf_apply_text(
					    m, spp,
					    "securityContext.seccompProfile",
					    local);
				else if (type &&
					 (!strcmp(type, "RuntimeDefault") ||
					  !strcmp(type, "Unconfined")))
					r = mf_apply_text(
					    m, spp,
					    "securityContext.seccompProfile",
					    type);
				else
					r = mf_err(
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

int mf_check_template_meta(struct mctx *m, json_t *tmeta, json_t *tlabels)
{
	const char *k;
	json_t *v, *ann;
	if (!tlabels || json_object_size(tlabels) == 0)
		return mf_err(m, "/spec/template/metadata/labels",
			      "Required value (the pods' labels, which "
			      "spec.selector selects)");
	ann = GET_OBJ(m, tmeta, "/spec/template/metadata", "annotations");
	if (m->pc->failed)
		return -1;
	json_object_foreach(ann, k, v)
	{
		char *p = mf_child("/spec/template/metadata/annotations", k);
		int r = 0;
		if (strcmp(k, MANIFEST_RESTARTED_AT))
			r = mf_err(m, p,
				   "berth keeps no pod annotation "
				   "but " MANIFEST_RESTARTED_AT);
		else if (!json_is_string(v))
			r = mf_err(m, p, "must be a string (quote it)");
		else if (strlen(json_string_value(v)) >=
			 sizeof(m->pc->cfg->deployments[0].restarted_at))
			r = mf_err(m, p, "too long for a time stamp");
		free(p);
		if (r)
			return -1;
	}
	return 0;
}

int mf_read_pod_spec(struct mctx *m, json_t *spec, const char *ptr)
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

	if (m->pc->failed || mf_only(m, spec, ptr, allowed) == -1)
		return -1;
	if ((x = json_object_get(spec, "dnsPolicy")) &&
	    strcmp(json_string_value(x) ?: "", "ClusterFirst")) {
		p = mf_child(ptr, "dnsPolicy");
		r = mf_err(m, p,
			   "only ClusterFirst (berth keeps the "
			   "host's resolver)");
		free(p);
		return r;
	}
	if ((x = json_object_get(spec, "schedulerName")) &&
	    strcmp(json_string_value(x) ?: "", "default-scheduler")) {
		p = mf_child(ptr, "schedulerName");
		r = mf_err(m, p, "berth runs on one host");
		free(p);
		return r;
	}
	if (!containers || json_array_size(containers) == 0) {
		p = mf_child(ptr, "containers");
		r = mf_err(m, p, "one container is needed");
		free(p);
		return r;
	}
	if (json_array_size(containers) > 1) {
		p = xasprintf("%s/containers/1", ptr);
		r = mf_err(m, p, "berth runs one container per pod");
		free(p);
		return r;
	}
	if (volumes) {
		p = mf_child(ptr, "volumes");
		r = read_volumes(m, volumes, p);
		free(p);
		if (r)
			return -1;
	}
	if (mf_apply_scalar(m, spec, ptr, "restartPolicy", "restartPolicy") ||
	    mf_apply_scalar(m, spec, ptr, "terminationGracePeriodSeconds",
			    "terminationGracePeriodSeconds"))
		return -1;
	if (json_is_true(json_object_get(spec, "hostNetwork"))) {
		p = mf_child(ptr, "hostNetwork");
		r = mf_apply_text(m, p, "network", "host");
		free(p);
		if (r)
			return -1;
	}
	if ((sc = GET_OBJ(m, spec, ptr, "securityContext"))) {
		static const char *const a[] = {"runAsUser", "runAsGroup",
						NULL};
		p = mf_child(ptr, "securityContext");
		r = mf_only(m, sc, p, a);
		/* The container's own value, applied after, wins. */
		json_t *c0 = json_object_get(json_array_get(containers, 0),
					     "securityContext");
		for (size_t k = 0; r == 0 && a[k]; k++) {
			if (json_object_get(c0, a[k]))
				continue;
			char key[64];
			snprintf(key, sizeof(key), "securityContext.%s", a[k]);
			r = mf_apply_scalar(m, sc, p, a[k], key);
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
