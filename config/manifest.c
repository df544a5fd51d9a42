/*
 * manifest.c - Kubernetes manifests (apps/v1 Deployment, v1 Service, v1
 * List, the `default` Namespace; Argo's Rollout and AnalysisTemplate are
 * manifest_rollout.c's) read into berth's config. Owns the map
 * from Kubernetes fields to berth's keys: every supported field is handed
 * to config_keys.c as the INI key of the same name, so a manifest and an
 * INI file are checked by the same code and give the same messages; every
 * field berth does not run is refused by name, never dropped. Knows
 * nothing of the daemon; the YAML reading is yaml_json.c's.
 *
 * berth-only settings ride in annotations named after their key:
 * `berth.io/listen: 127.0.0.1:8080` on a Service is `listen = ...`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xalloc.h"
#include "manifest.h"
#include "manifest_internal.h"
#include "yaml_json.h"

static int read_metadata(struct mctx *m, json_t *doc, enum cfg_section sec,
			 json_t **meta_out)
{
	static const char *const allowed[] = {"name",
					      "namespace",
					      "labels",
					      "annotations",
					      "uid",
					      "resourceVersion",
					      "generation",
					      "creationTimestamp",
					      "selfLink",
					      "managedFields",
					      "deletionTimestamp",
					      "deletionGracePeriodSeconds",
					      NULL};
	/* status is the server's: what `kubectl get -o yaml` shows. */
	static const char *const top[] = {"apiVersion", "kind",	  "metadata",
					  "spec",	"status", NULL};
	json_t *meta = GET_OBJ(m, doc, "", "metadata");
	if (!meta)
		return m->pc->failed ? -1 : mf_err(m, "/metadata", "missing");
	if (mf_only(m, doc, "", top) == -1 ||
	    mf_only(m, meta, "/metadata", allowed) == -1)
		return -1;
	json_t *name = json_object_get(meta, "name");
	if (!json_is_string(name))
		return mf_err(m, "/metadata/name", "missing");
	m->name = json_string_value(name);
	json_t *ns = json_object_get(meta, "namespace");
	if (ns && !json_is_null(ns) &&
	    !(json_is_string(ns) &&
	      (!strcmp(json_string_value(ns), "default") ||
	       !*json_string_value(ns))))
		return mf_err(m, "/metadata/namespace",
			      "berth has one namespace, `default`");
	m->name = json_string_value(name);
	m->pc->line = mf_line_of(m, "/metadata/name");
	*meta_out = meta;
	return cfg_open_named(
	    m->pc, sec, sec == CFG_SEC_DEPLOYMENT ? "deployment" : "service",
	    m->name);
}

/* One exec/httpGet/tcpSocket/sleep handler under ptr, as keys
 * `prefix` + "exec.command", "httpGet.path", ... */
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

int mf_read_deployment(struct mctx *m, json_t *doc)
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
		return m->pc->failed ? -1 : mf_err(m, "/spec", "missing");
	if (mf_only(m, spec, "/spec", spec_allowed) == -1)
		return -1;
	if (mf_read_paused(m, spec) == -1)
		return -1;
	if (!(tmpl = GET_OBJ(m, spec, "/spec", "template")))
		return m->pc->failed ? -1
				     : mf_err(m, "/spec/template", "missing");
	if (mf_only(m, tmpl, "/spec/template", tmpl_allowed) == -1)
		return -1;
	tmeta = GET_OBJ(m, tmpl, "/spec/template", "metadata");
	if (tmeta &&
	    mf_only(m, tmeta, "/spec/template/metadata", tmeta_allowed))
		return -1;
	tlabels = tmeta ? GET_OBJ(m, tmeta, "/spec/template/metadata", "labels")
			: NULL;
	if (m->pc->failed || mf_check_template_meta(m, tmeta, tlabels) == -1)
		return -1;
	if (tlabels &&
	    mf_apply_map(m, tlabels, "/spec/template/metadata/labels",
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
	    !(m->pc->object && m->pc->object->keeps_metadata) &&
	    !labels_subset(x, tlabels ? tlabels : json_object()))
		return mf_err(m, "/metadata/labels",
			      "berth keeps one set of labels, the pods' "
			      "(spec.template.metadata.labels); a "
			      "Deployment's own labels must be among them");
	if ((sel = GET_OBJ(m, spec, "/spec", "selector"))) {
		static const char *const a[] = {"matchLabels", NULL};
		json_t *ml;
		if (mf_only(m, sel, "/spec/selector", a) == -1)
			return -1;
		ml = GET_OBJ(m, sel, "/spec/selector", "matchLabels");
		if (ml && !labels_subset(ml, tlabels ? tlabels : json_object()))
			return mf_err(m, "/spec/selector",
				      "selector does not match template "
				      "labels");
	}
	if (m->pc->failed ||
	    mf_apply_scalar(m, spec, "/spec", "replicas", "replicas") ||
	    mf_apply_scalar(m, spec, "/spec", "minReadySeconds",
			    "minReadySeconds") ||
	    mf_apply_scalar(m, spec, "/spec", "progressDeadlineSeconds",
			    "progressDeadlineSeconds") ||
	    mf_apply_scalar(m, spec, "/spec", "revisionHistoryLimit",
			    "revisionHistoryLimit"))
		return -1;
	if ((strat = GET_OBJ(m, spec, "/spec", "strategy"))) {
		static const char *const a[] = {"type", "rollingUpdate", NULL};
		static const char *const ru[] = {"maxSurge", "maxUnavailable",
						 NULL};
		json_t *r;
		if (mf_only(m, strat, "/spec/strategy", a) ||
		    mf_apply_scalar(m, strat, "/spec/strategy", "type",
				    "strategy.type"))
			return -1;
		if ((r = GET_OBJ(m, strat, "/spec/strategy",
				 "rollingUpdate")) &&
		    (mf_only(m, r, "/spec/strategy/rollingUpdate", ru) ||
		     mf_apply_scalar(m, r, "/spec/strategy/rollingUpdate",
				     "maxSurge",
				     "strategy.rollingUpdate.maxSurge") ||
		     mf_apply_scalar(m, r, "/spec/strategy/rollingUpdate",
				     "maxUnavailable",
				     "strategy.rollingUpdate.maxUnavailable")))
			return -1;
	}
	json_t *pspec = GET_OBJ(m, tmpl, "/spec/template", "spec");
	if (!pspec)
		return m->pc->failed
			   ? -1
			   : mf_err(m, "/spec/template/spec", "missing");
	if (mf_read_pod_spec(m, pspec, "/spec/template/spec") == -1)
		return -1;
	return mf_apply_annotations(m, meta, "/metadata");
}

static int read_service(struct mctx *m, json_t *doc)
{
	static const char *const spec_allowed[] = {
	    "type",	  "ports",	    "selector",
	    "clusterIP",  "clusterIPs",	    "sessionAffinity",
	    "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy",
	    NULL};
	static const char *const port_allowed[] = {
	    "name", "port", "targetPort", "protocol", "appProtocol", NULL};
	json_t *meta, *spec, *ports, *port, *sel, *x, *ann;
	char listen[128];

	if (read_metadata(m, doc, CFG_SEC_SERVICE, &meta) == -1)
		return -1;
	if (!(spec = GET_OBJ(m, doc, "", "spec")))
		return m->pc->failed ? -1 : mf_err(m, "/spec", "missing");
	if (mf_only(m, spec, "/spec", spec_allowed) == -1)
		return -1;
	if ((x = json_object_get(spec, "type")) &&
	    strcmp(json_string_value(x) ?: "", "ClusterIP"))
		return mf_err(m, "/spec/type",
			      "only ClusterIP (berth's proxy listens on "
			      "the address in the berth.io/listen "
			      "annotation)");
	if ((x = json_object_get(spec, "sessionAffinity")) &&
	    strcmp(json_string_value(x) ?: "", "None"))
		return mf_err(m, "/spec/sessionAffinity", "only None");
	if (!(sel = GET_OBJ(m, spec, "/spec", "selector")))
		return m->pc->failed
			   ? -1
			   : mf_err(m, "/spec/selector",
				    "missing (berth services select pods "
				    "by labels)");
	if (mf_apply_map(m, sel, "/spec/selector", "selector") == -1)
		return -1;
	ports = GET_ARR(m, spec, "/spec", "ports");
	if (!ports || json_array_size(ports) != 1)
		return m->pc->failed
			   ? -1
			   : mf_err(m, "/spec/ports",
				    "exactly one port (berth services "
				    "have one)");
	port = json_array_get(ports, 0);
	if (mf_only(m, port, "/spec/ports/0", port_allowed) == -1)
		return -1;
	if ((x = json_object_get(port, "protocol")) &&
	    strcmp(json_string_value(x) ?: "", "TCP"))
		return mf_err(m, "/spec/ports/0/protocol", "only TCP");
	x = json_object_get(port, "targetPort");
	if ((x ? mf_apply_port_or_name(m, port, "/spec/ports/0", "targetPort",
				       "targetPort")
	       : mf_apply_port(m, port, "/spec/ports/0", "port",
			       "targetPort")) == -1)
		return -1;
	if ((x = json_object_get(port, "appProtocol")) &&
	    mf_apply_scalar(m, port, "/spec/ports/0", "appProtocol", "mode"))
		return -1;
	if (mf_apply_scalar(m, port, "/spec/ports/0", "name", "portName"))
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
			return mf_err(m, "/spec/ports/0/port",
				      "must be a port number");
		if (!ip || !*ip || !strcmp(ip, "None"))
			ip = "127.0.0.1";
		snprintf(listen, sizeof(listen),
			 strchr(ip, ':') ? "[%s]:%" JSON_INTEGER_FORMAT
					 : "%s:%" JSON_INTEGER_FORMAT,
			 ip, json_integer_value(p));
		if (mf_apply_text(m, "/spec/ports/0/port", "listen", listen) ==
		    -1)
			return -1;
	} else if (mf_check_listen_port(m, ann, port) == -1) {
		return -1;
	}
	return mf_apply_annotations(m, meta, "/metadata");
}

static int read_doc(struct mctx *m, json_t *doc, const char *ptr);

/* berth.io/v1 BerthConfig: the [berth] section, key for key. */
static int read_berth(struct mctx *m, json_t *doc)
{
	const char *k;
	json_t *v;
	if (m->pc->have_berth)
		return mf_err(m, "/kind",
			      "a second BerthConfig (first on "
			      "line %d)",
			      m->pc->berth_line);
	m->pc->have_berth = true;
	m->pc->berth_line = mf_line_of(m, "");
	m->pc->sec = CFG_SEC_BERTH;
	m->pc->idx = 0;
	json_object_foreach(doc, k, v)
	{
		if (!strcmp(k, "apiVersion") || !strcmp(k, "kind") ||
		    !strcmp(k, "metadata"))
			continue;
		char *p = mf_child("", k);
		char *text = json_is_array(v) ? NULL : mf_scalar_text(v);
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
		int r = text ? mf_apply_text(m, p, k, text)
			     : mf_err(m, p, "must be a single value");
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
		return mf_err(m, ptr, "a manifest must be a map");
	const char *api = json_string_value(json_object_get(doc, "apiVersion"));
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	m->name = NULL;
	m->kind = kind ? kind : "object";
	if (!api || !kind) {
		m->kind = "manifest";
		return mf_err(m, ptr, "needs apiVersion and kind");
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
		r = mf_read_deployment(m, doc);
	else if (!strcmp(api, "argoproj.io/v1alpha1") &&
		 (!strcmp(kind, "Rollout") ||
		  !strcmp(kind, "AnalysisTemplate")))
		r = kind[0] == 'R' ? mf_read_rollout(m, doc)
				   : mf_read_analysis_template(m, doc);
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
		r = mf_err(m, "/kind",
			   "%s %s is not supported (berth runs apps/v1 "
			   "Deployments, v1 Services and argoproj.io/v1alpha1 "
			   "Rollouts and AnalysisTemplates)",
			   api, kind);
	m->lines = lines;
	json_decref(sub);
	return r;
}

int cfg_manifest_read_docs(struct cfg_parse *pc, json_t *docs, json_t *lines)
{
	json_t *doc;
	size_t i;

	json_array_foreach(docs, i, doc)
	{
		struct mctx m = {.pc = pc, .lines = json_array_get(lines, i)};
		m.doc_line = mf_line_of(&m, "");
		if (read_doc(&m, doc, "") == -1)
			return -1;
	}
	return pc->failed ? -1 : 0;
}

int cfg_manifest_parse(struct cfg_parse *pc)
{
	struct berr yerr = BERR_INIT;
	json_t *lines = NULL;
	json_t *docs =
	    yaml_to_json_docs_lines(pc->buf, pc->len, pc->file, &lines, &yerr);
	int r;

	if (!docs) {
		berr_set(pc->err, "%s", yerr.msg);
		pc->failed = true;
		return -1;
	}
	r = cfg_manifest_read_docs(pc, docs, lines);
	json_decref(docs);
	json_decref(lines);
	return r;
}
