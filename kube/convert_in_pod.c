/*
 * convert_in_pod.c - a Deployment's pod template (its one container,
 * probes, hooks, limits, security settings, host path volumes) as the
 * keys of a [deployment] section. Pure: no berth object.
 */
#include <stdio.h>
#include <string.h>

#include "convert_in_internal.h"

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

	kin_only(c, h, path, known);
	if ((v = json_object_get(h, "exec")) != NULL && !kin_is_zero(v)) {
		static const char *const ek[] = {"command", NULL};

		kin_sub(f, path, "exec");
		kin_only(c, v, f, ek);
		kin_sub(f, f, "command");
		snprintf(key, sizeof(key), "%sexec.command", prefix);
		kin_words(c, json_object_get(v, "command"), f, key);
	}
	if ((v = json_object_get(h, "httpGet")) != NULL && !kin_is_zero(v)) {
		const char *s;
		json_t *hdrs, *e;
		size_t i;
		char hp[FIELD_MAX];

		kin_sub(hp, path, "httpGet");
		kin_only(c, v, hp, http_known);
		kin_sub(f, hp, "path");
		snprintf(key, sizeof(key), "%shttpGet.path", prefix);
		s = kin_str_at(c, v, "path", hp);
		kin_kv(c, f, key, "%s", s ? s : "/");
		snprintf(key, sizeof(key), "%shttpGet.port", prefix);
		kin_port_kv(c, v, "port", hp, key);
		if ((s = kin_str_at(c, v, "host", hp)) && s[0]) {
			kin_sub(f, hp, "host");
			snprintf(key, sizeof(key), "%shttpGet.host", prefix);
			kin_kv(c, f, key, "%s", s);
		}
		if ((s = kin_str_at(c, v, "scheme", hp)) && s[0]) {
			kin_sub(f, hp, "scheme");
			snprintf(key, sizeof(key), "%shttpGet.scheme", prefix);
			kin_kv(c, f, key, "%s", s);
		}
		hdrs = json_object_get(v, "httpHeaders");
		kin_sub(f, hp, "httpHeaders");
		snprintf(key, sizeof(key), "%shttpGet.httpHeaders", prefix);
		json_array_foreach(hdrs, i, e)
		{
			const char *n = kin_str_at(c, e, "name", f);
			const char *val = kin_str_at(c, e, "value", f);

			if (n)
				kin_kv(c, f, key, "%s: %s", n, val ? val : "");
		}
	}
	if ((v = json_object_get(h, "tcpSocket")) != NULL && !kin_is_zero(v)) {
		static const char *const tk[] = {"port", NULL};

		kin_sub(f, path, "tcpSocket");
		kin_only(c, v, f, tk);
		snprintf(key, sizeof(key), "%stcpSocket.port", prefix);
		kin_port_kv(c, v, "port", f, key);
	}
	if ((v = json_object_get(h, "sleep")) != NULL && !kin_is_zero(v)) {
		static const char *const sk[] = {"seconds", NULL};
		long long n;

		kin_sub(f, path, "sleep");
		if (!sleep_ok) {
			kin_bad(c, f, "a probe cannot sleep");
			return;
		}
		kin_only(c, v, f, sk);
		if (kin_int_at(c, v, "seconds", f, &n)) {
			kin_sub(f, f, "seconds");
			snprintf(key, sizeof(key), "%ssleep.seconds", prefix);
			kin_kv(c, f, key, "%lld", n);
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

	if (kin_is_zero(p))
		return;
	kin_sub(f, path, name);
	kin_only(c, p, f, known);
	snprintf(prefix, sizeof(prefix), "%s.", name);
	h = json_pack("{s:O?, s:O?, s:O?}", "exec", json_object_get(p, "exec"),
		      "httpGet", json_object_get(p, "httpGet"), "tcpSocket",
		      json_object_get(p, "tcpSocket"));
	handler(c, h, f, prefix, false);
	json_decref(h);
	for (size_t i = 0; timing[i]; i++)
		if (kin_int_at(c, p, timing[i], f, &n)) {
			char tf[FIELD_MAX];

			kin_sub(tf, f, timing[i]);
			snprintf(key, sizeof(key), "%s%s", prefix, timing[i]);
			kin_kv(c, tf, key, "%lld", n);
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
		kin_only(c, v, f, known);
		hp = json_object_get(v, "hostPath");
		if (hp == NULL) {
			kin_bad(c, f,
				"berth mounts host paths only (hostPath)");
			return NULL;
		}
		kin_sub(f, f, "hostPath");
		kin_only(c, hp, f, hk);
		return kin_str_at(c, hp, "path", f);
	}
	kin_bad(c, path, "no volume named \"%s\"", name);
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

	kin_only(c, ctr, path, known);
	s = kin_str_at(c, ctr, "image", path);
	if (s == NULL || s[0] == '\0') {
		kin_bad(c, "spec.template.spec.containers[0].image",
			"Required value");
		return;
	}
	kin_kv(c, "spec.template.spec.containers[0].image", "image", "%s", s);
	if ((s = kin_str_at(c, ctr, "imagePullPolicy", path)) && s[0])
		kin_kv(c, "spec.template.spec.containers[0].imagePullPolicy",
		       "imagePullPolicy", "%s", s);
	kin_words(c, json_object_get(ctr, "command"),
		  "spec.template.spec.containers[0].command", "command");
	kin_words(c, json_object_get(ctr, "args"),
		  "spec.template.spec.containers[0].args", "args");
	json_array_foreach(json_object_get(ctr, "env"), i, e)
	{
		static const char *const ek[] = {"name", "value", NULL};
		const char *n, *val;

		snprintf(f, sizeof(f), "%s.env[%zu]", path, i);
		kin_only(c, e, f, ek);
		n = kin_str_at(c, e, "name", f);
		val = kin_str_at(c, e, "value", f);
		if (n == NULL) {
			kin_bad(c, f, "name: Required value");
			return;
		}
		kin_kv(c, f, "env", "%s=%s", n, val ? val : "");
	}
	if ((s = kin_str_at(c, ctr, "workingDir", path)) && s[0])
		kin_kv(c, "spec.template.spec.containers[0].workingDir",
		       "workingDir", "%s", s);
	v = json_object_get(ctr, "ports");
	if (json_array_size(v) > 1)
		kin_bad(c, "spec.template.spec.containers[0].ports",
			"berth serves one container port");
	json_array_foreach(v, i, e)
	{
		static const char *const pk[] = {"containerPort", "protocol",
						 NULL};

		snprintf(f, sizeof(f), "%s.ports[%zu]", path, i);
		kin_only(c, e, f, pk);
		if ((s = kin_str_at(c, e, "protocol", f)) && strcmp(s, "TCP")) {
			kin_sub(f, f, "protocol");
			kin_bad(c, f, "berth serves TCP only");
			return;
		}
		kin_port_kv(c, e, "containerPort", f, "port");
	}
	probe(c, ctr, "startupProbe", path);
	probe(c, ctr, "livenessProbe", path);
	probe(c, ctr, "readinessProbe", path);
	if (!kin_is_zero(v = json_object_get(ctr, "lifecycle"))) {
		static const char *const lk[] = {"preStop", "stopSignal", NULL};

		snprintf(f, sizeof(f), "%s.lifecycle", path);
		kin_only(c, v, f, lk);
		if (!kin_is_zero(json_object_get(v, "preStop"))) {
			char pf[FIELD_MAX];

			kin_sub(pf, f, "preStop");
			handler(c, json_object_get(v, "preStop"), pf,
				"lifecycle.preStop.", true);
		}
		if ((s = kin_str_at(c, v, "stopSignal", f)) && s[0]) {
			kin_sub(f, f, "stopSignal");
			kin_kv(c, f, "lifecycle.stopSignal", "%s", s);
		}
	}
	if (!kin_is_zero(v = json_object_get(ctr, "resources"))) {
		static const char *const rk[] = {"limits", NULL};
		static const char *const lk[] = {"memory", "cpu", "pids", NULL};
		json_t *lim = json_object_get(v, "limits");

		snprintf(f, sizeof(f), "%s.resources", path);
		kin_only(c, v, f, rk);
		kin_sub(f, f, "limits");
		kin_only(c, lim, f, lk);
		for (i = 0; lk[i]; i++) {
			json_t *q = json_object_get(lim, lk[i]);
			char lf[FIELD_MAX], key[64];

			if (q == NULL)
				continue;
			kin_sub(lf, f, lk[i]);
			snprintf(key, sizeof(key), "resources.limits.%s",
				 lk[i]);
			if (json_is_integer(q))
				kin_kv(c, lf, key, "%lld",
				       (long long)json_integer_value(q));
			else if (json_is_string(q))
				kin_kv(c, lf, key, "%s", json_string_value(q));
			else
				kin_bad(c, lf, "must be a quantity");
		}
	}
	if (!kin_is_zero(v = json_object_get(ctr, "securityContext"))) {
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
		kin_only(c, v, f, sk);
		if (json_is_true(
			json_object_get(v, "allowPrivilegeEscalation"))) {
			kin_sub(f, f, "allowPrivilegeEscalation");
			kin_bad(c, f, "berth always sets no_new_privileges");
			return;
		}
		if (kin_int_at(c, v, "runAsUser", f, &n))
			kin_kv(c, f, "securityContext.runAsUser", "%lld", n);
		if (kin_int_at(c, v, "runAsGroup", f, &n))
			kin_kv(c, f, "securityContext.runAsGroup", "%lld", n);
		if (json_is_true(json_object_get(v, "readOnlyRootFilesystem")))
			kin_kv(c, f, "securityContext.readOnlyRootFilesystem",
			       "true");
		caps = json_object_get(v, "capabilities");
		if (!kin_is_zero(caps)) {
			static const char *const ck[] = {"add", "drop", NULL};
			char cf[FIELD_MAX];

			kin_sub(cf, f, "capabilities");
			kin_only(c, caps, cf, ck);
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
					kin_kv(c, cf, key, "%s", line);
			}
		}
		sp = json_object_get(v, "seccompProfile");
		if (!kin_is_zero(sp)) {
			static const char *const spk[] = {
			    "type", "localhostProfile", NULL};
			char sf[FIELD_MAX];
			const char *t;

			kin_sub(sf, f, "seccompProfile");
			kin_only(c, sp, sf, spk);
			t = kin_str_at(c, sp, "type", sf);
			if (t && !strcmp(t, "Localhost"))
				t = kin_str_at(c, sp, "localhostProfile", sf);
			if (t)
				kin_kv(c, sf, "securityContext.seccompProfile",
				       "%s", t);
		}
	}
	json_array_foreach(json_object_get(ctr, "volumeMounts"), i, e)
	{
		static const char *const mk[] = {"name", "mountPath",
						 "readOnly", NULL};
		const char *n, *mp, *hp;

		snprintf(f, sizeof(f), "%s.volumeMounts[%zu]", path, i);
		kin_only(c, e, f, mk);
		n = kin_str_at(c, e, "name", f);
		mp = kin_str_at(c, e, "mountPath", f);
		if (n == NULL || mp == NULL) {
			kin_bad(c, f, "name and mountPath: Required value");
			return;
		}
		hp = host_path_of(c, json_object_get(pod, "volumes"), n, f);
		if (hp)
			kin_kv(c, f, "mount", "%s:%s%s", hp, mp,
			       json_is_true(json_object_get(e, "readOnly"))
				   ? ":ro"
				   : "");
	}
	if ((s = kin_str_at(c, ctr, "terminationMessagePolicy", path)) &&
	    strcmp(s, "File"))
		kin_bad(c,
			"spec.template.spec.containers[0]."
			"terminationMessagePolicy",
			"berth keeps File only");
	if ((s = kin_str_at(c, ctr, "terminationMessagePath", path)) &&
	    strcmp(s, "/dev/termination-log"))
		kin_bad(
		    c,
		    "spec.template.spec.containers[0].terminationMessagePath",
		    "berth keeps the default only");
}

void kin_pod_spec(struct conv *c, const json_t *pod)
{
	static const char *const known[] = {
	    "containers",    "restartPolicy",	"terminationGracePeriodSeconds",
	    "hostNetwork",   "volumes",		"dnsPolicy",
	    "schedulerName", "securityContext", NULL};
	const char *path = "spec.template.spec", *s;
	json_t *ctrs = json_object_get(pod, "containers"), *v;
	long long n;
	size_t i;

	kin_only(c, pod, path, known);
	if (!json_is_array(ctrs) || json_array_size(ctrs) == 0) {
		kin_bad(c, "spec.template.spec.containers", "Required value");
		return;
	}
	if (json_array_size(ctrs) > 1) {
		kin_bad(c, "spec.template.spec.containers",
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
			kin_bad(c, f,
				"berth mounts host paths only (hostPath)");
	}
	if ((s = kin_str_at(c, pod, "restartPolicy", path)) && s[0])
		kin_kv(c, "spec.template.spec.restartPolicy", "restartPolicy",
		       "%s", s);
	if (kin_int_at(c, pod, "terminationGracePeriodSeconds", path, &n))
		kin_kv(c, "spec.template.spec.terminationGracePeriodSeconds",
		       "terminationGracePeriodSeconds", "%lld", n);
	if (json_is_true(json_object_get(pod, "hostNetwork")))
		kin_kv(c, "spec.template.spec.hostNetwork", "network", "host");
	if ((s = kin_str_at(c, pod, "dnsPolicy", path)) &&
	    strcmp(s, "ClusterFirst"))
		kin_bad(c, "spec.template.spec.dnsPolicy",
			"berth keeps ClusterFirst only");
	if ((s = kin_str_at(c, pod, "schedulerName", path)) &&
	    strcmp(s, "default-scheduler"))
		kin_bad(c, "spec.template.spec.schedulerName",
			"berth has no other scheduler");
	if (!kin_is_zero(json_object_get(pod, "securityContext")))
		kin_bad(c, "spec.template.spec.securityContext",
			"berth takes the container's securityContext only");
}
