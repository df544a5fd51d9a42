/*
 * test_manifest_object.c - one object of the Kubernetes API read by the
 * manifest reader (cfg_manifest_object): errors name the field, values
 * of any length, and each point where the API's former converter and
 * the file reader disagreed, with the rule both now follow (the same
 * object read from a file where the rule concerns files too).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/xalloc.h"
#include "../../config/config.h"
#include "../../config/manifest.h"
#include "../../config/template.h"
#include "../lib/tap.h"

static const char dep[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
    "\"metadata\":{\"name\":\"web\"},"
    "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":"
    "\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"web:1\"}]}}}}";

static const char svc[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Service\","
    "\"metadata\":{\"name\":\"web\"},"
    "\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":18080,"
    "\"targetPort\":8080}]}}";

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j) {
		printf("Bail out! %s\n", e.text);
		exit(1);
	}
	return j;
}

/* dotted path, "N" for an array index; the last part is set to v. */
static json_t *set(json_t *o, const char *path, json_t *v)
{
	char *p = xstrdup(path), *save = NULL, *tok, *last = NULL;
	json_t *at = o;
	for (tok = strtok_r(p, ".", &save); tok;
	     tok = strtok_r(NULL, ".", &save)) {
		if (last) {
			json_t *next = json_is_array(at)
					   ? json_array_get(at, atoi(last))
					   : json_object_get(at, last);
			if (!next) {
				next = json_object();
				json_object_set_new(at, last, next);
			}
			at = next;
		}
		last = tok;
	}
	if (json_is_array(at))
		json_array_append_new(at, v);
	else
		json_object_set_new(at, last, v);
	free(p);
	return o;
}

static const struct cfg_object_opts lenient = {.keeps_metadata = true};
static const struct cfg_object_opts strict = {.strict = true,
					      .keeps_metadata = true};

/* The error reading o through the API ("" when it reads); *out kept. */
static const char *api(json_t *o, const struct cfg_object_opts *opts,
		       struct berth_config **out)
{
	static char buf[1024];
	struct berth_config *c = NULL;
	struct berr err = BERR_INIT;
	buf[0] = '\0';
	if (cfg_manifest_object(o, opts, &c, &err) == -1)
		snprintf(buf, sizeof(buf), "%s", err.msg);
	if (out)
		*out = c;
	else
		cfg_free(c);
	return buf;
}

/* The error reading o from a YAML file ("" when it reads). */
static const char *file(json_t *o)
{
	static char buf[1024];
	struct berth_config *c = NULL;
	struct berr err = BERR_INIT;
	char *text = json_dumps(o, 0);
	buf[0] = '\0';
	if (cfg_load_buffer("t.yaml", "/", text, strlen(text), &c, &err) == -1)
		snprintf(buf, sizeof(buf), "%s", err.msg);
	cfg_free(c);
	free(text);
	return buf;
}

static bool has(const char *s, const char *part)
{
	if (strstr(s, part))
		return true;
	printf("# \"%s\" not in \"%s\"\n", part, s);
	return false;
}

static void check_basics(void)
{
	json_t *o = parse(dep);
	struct berth_config *c = NULL;
	is_str(api(o, &lenient, &c), "", "a Deployment reads");
	ok(c && c->n_deployments == 1 && c->deployments[0].replicas == 2,
	   "... into one deployment");
	cfg_free(c);
	json_decref(o);
	o = parse(svc);
	is_str(api(o, &lenient, &c), "", "a Service reads");
	ok(c && c->n_services == 1 &&
	       !strcmp(c->services[0].listen, "127.0.0.1:18080"),
	   "... listening on 127.0.0.1 and its port");
	cfg_free(c);
	json_decref(o);

	/* Errors: the field, then the key table's own words. */
	o = set(parse(dep), "spec.template.spec.containers.0.image",
		json_string("Bad Image"));
	ok(has(api(o, &lenient, NULL),
	       "spec.template.spec.containers[0].image: image \"Bad Image\""),
	   "a key table error names the field");
	json_decref(o);
	o = set(parse(dep), "spec.minReadySeconds", json_integer(900));
	ok(has(api(o, &lenient, NULL),
	       "spec.minReadySeconds: progressDeadlineSeconds (600) must be "
	       "greater"),
	   "a cross-field error names a field");
	json_decref(o);
	o = set(parse(dep), "spec.template.spec.containers.0.image",
		json_string(""));
	is_str(api(o, &lenient, NULL),
	       "spec.template.spec.containers[0].image: Required value",
	       "an empty image is a missing one");
	json_decref(o);
}

/* No per-value limit (the former API wrote INI lines of 200 characters). */
static void check_long_values(void)
{
	char *val = xmalloc(1001);
	memset(val, 'v', 1000);
	val[1000] = '\0';
	json_t *o = parse(dep);
	set(o, "spec.template.spec.containers.0.env",
	    json_pack("[{s:s, s:s}]", "name", "LONG", "value", val));
	set(o, "spec.template.spec.containers.0.args", json_pack("[s]", val));
	struct berth_config *c = NULL;
	is_str(api(o, &lenient, &c), "", "a 1000-character value reads");
	ok(c && c->deployments[0].env.n == 1 &&
	       strlen(c->deployments[0].env.v[0]) == 1005 &&
	       c->deployments[0].args.n == 1 &&
	       !strcmp(c->deployments[0].args.v[0], val),
	   "... whole, in env and args");
	cfg_free(c);
	json_decref(o);
	o = set(
	    parse(dep), "spec.template.spec.containers.0.env",
	    json_pack("[{s:s, s:s}]", "name", "LINES", "value", "a\nb ; c"));
	is_str(api(o, &lenient, &c), "", "a line break and \" ;\" read");
	ok(c && !strcmp(c->deployments[0].env.v[0], "LINES=a\nb ; c"),
	   "... kept");
	cfg_free(c);
	json_decref(o);
	free(val);
}

static void check_zero_values(void)
{
	json_t *o = parse(dep);
	set(o, "spec.template.spec.containers.0.resources", json_object());
	set(o, "spec.template.spec.containers.0.imagePullPolicy",
	    json_string(""));
	set(o, "spec.template.metadata.creationTimestamp", json_null());
	set(o, "spec.strategy", json_object());
	set(o, "metadata.namespace", json_string(""));
	set(o, "status", json_object());
	is_str(api(o, &strict, NULL), "",
	       "known fields at Go zero values read, even Strict");
	is_str(file(o), "", "... and from a file");
	set(o, "spec.template.spec.containers.0.stdin", json_false());
	is_str(api(o, &lenient, NULL), "",
	       "an unknown field at its zero value counts as absent");
	ok(has(api(o, &strict, NULL),
	       "spec.template.spec.containers[0].stdin: field not supported"),
	   "... but Strict refuses it");
	ok(has(file(o), "containers[0].stdin: field not supported"),
	   "... and so does a file");
	json_decref(o);
}

static void check_disagreements(void)
{
	json_t *o;
	bool paused = false;
	struct cfg_object_opts with_paused = {.keeps_metadata = true,
					      .paused = &paused};
	struct berth_config *c = NULL;

	/* The Deployment's own labels: the API keeps them in its records;
	 * a file has nowhere to keep them. */
	o = set(parse(dep), "metadata.labels",
		json_pack("{s:s}", "team", "edge"));
	is_str(api(o, &lenient, NULL), "",
	       "API: a Deployment's labels need not be the pods'");
	ok(has(file(o), "metadata.labels: berth keeps one set of labels"),
	   "file: they must");
	json_decref(o);

	o = set(parse(dep), "spec.paused", json_true());
	is_str(api(o, &with_paused, NULL), "", "API: spec.paused reads");
	ok(paused, "... as paused");
	ok(has(api(o, &lenient, NULL), "spec.paused: a paused rollout"),
	   "without a place for it, refused");
	ok(has(file(o), "spec.paused: a paused rollout"), "file: refused");
	json_decref(o);

	o = set(parse(dep), "specs", json_object());
	set(o, "specs.replicas", json_integer(3));
	is_str(api(o, &lenient, NULL), "specs: field not supported by berth",
	       "an unknown top-level field is refused");
	ok(has(file(o), "specs: field not supported"),
	   "... from a file too (it was ignored)");
	json_decref(o);

	o = set(parse(dep), "spec.template.metadata.annotations",
		json_pack("{s:s}", "prometheus.io/scrape", "true"));
	ok(has(api(o, &lenient, NULL),
	       "spec.template.metadata.annotations.prometheus.io/scrape: "
	       "berth keeps no pod annotation"),
	   "a pod annotation is refused");
	ok(has(file(o), "berth keeps no pod annotation"),
	   "... from a file too (it was dropped)");
	json_decref(o);
	o = set(
	    parse(dep), "spec.template.metadata.annotations",
	    json_pack("{s:s}", MANIFEST_RESTARTED_AT, "2026-12-05T16:00:00Z"));
	is_str(api(o, &lenient, &c), "", "rollout restart's stamp reads");
	ok(c && !strcmp(c->deployments[0].restarted_at, "2026-12-05T16:00:00Z"),
	   "... into the template");
	cfg_free(c);
	json_decref(o);

	o = set(parse(dep), "spec.template.metadata.labels", json_object());
	set(o, "spec.selector", json_object());
	ok(has(api(o, &lenient, NULL),
	       "spec.template.metadata.labels: Required value"),
	   "the pods' labels are required");
	ok(has(file(o), "spec.template.metadata.labels: Required value"),
	   "... in a file too");
	json_decref(o);

	o = set(parse(dep),
		"spec.template.spec.containers.0."
		"terminationMessagePolicy",
		json_string("FallbackToLogsOnError"));
	ok(has(api(o, &lenient, NULL),
	       "containers[0].terminationMessagePolicy: berth keeps File "
	       "only"),
	   "terminationMessagePolicy other than File is refused");
	ok(has(file(o), "berth keeps File only"), "... in a file too");
	json_decref(o);

	o = set(parse(dep), "spec.template.spec.securityContext",
		json_pack("{s:i}", "runAsUser", 1000));
	is_str(api(o, &lenient, &c), "",
	       "API: the pod's securityContext reads");
	ok(c && c->deployments[0].run_as_user == 1000, "... runAsUser");
	cfg_free(c);
	json_decref(o);

	o = set(parse(dep), "spec.template.spec.containers.0.env",
		json_pack("[{s:s, s:i}]", "name", "N", "value", 8080));
	ok(has(api(o, &lenient, NULL),
	       "containers[0].env[0].value: must be a string"),
	   "an env value that is no string is refused");
	ok(has(file(o), "env[0].value: must be a string"),
	   "... in a file too (it was made one)");
	json_decref(o);
	o = set(parse(dep), "spec.template.spec.containers.0.env",
		json_pack("[{s:s}]", "name", "EMPTY"));
	is_str(api(o, &lenient, &c), "", "an env entry without value reads");
	ok(c && !strcmp(c->deployments[0].env.v[0], "EMPTY="), "... as empty");
	cfg_free(c);
	json_decref(o);

	o = set(
	    parse(dep), "spec.template.spec.containers.0.ports",
	    json_pack("[{s:i, s:s}]", "containerPort", 8080, "name", "http"));
	is_str(api(o, &lenient, &c), "", "a container port's name reads");
	ok(c && c->deployments[0].port_name &&
	       !strcmp(c->deployments[0].port_name, "http"),
	   "... kept as portName");
	cfg_free(c);
	is_str(file(o), "", "... in a file too");
	json_decref(o);
	o = set(
	    parse(dep), "spec.template.spec.containers.0.ports",
	    json_pack("[{s:i, s:s}]", "containerPort", 8080, "name", "Http_1"));
	ok(has(api(o, &lenient, NULL),
	       "containers[0].ports[0].name: portName: \"Http_1\" is not a "
	       "port name"),
	   "a container port name that is no IANA service name is refused");
	json_decref(o);
	o = set(parse(svc), "spec.ports.0.name", json_string("80-8080"));
	is_str(api(o, &lenient, &c), "", "a service port's name reads");
	ok(c && c->services[0].port_name &&
	       !strcmp(c->services[0].port_name, "80-8080"),
	   "... kept as portName");
	cfg_free(c);
	is_str(file(o), "", "... in a file too");
	json_decref(o);
	o = set(parse(svc), "spec.ports.0.name", json_string("Web"));
	ok(has(api(o, &lenient, NULL),
	       "spec.ports[0].name: portName: \"Web\" is not a port name"),
	   "a service port name that is no DNS label is refused");
	ok(has(file(o), "portName: \"Web\" is not a port name"),
	   "... in a file too");
	json_decref(o);

	o = set(parse(dep), "spec.template.spec.containers.0.readinessProbe",
		json_pack("{s:{s:s}}", "httpGet", "port", "http"));
	ok(has(api(o, &lenient, NULL),
	       "spec.template.spec.containers[0].readinessProbe.httpGet.port: "
	       "readinessProbe.httpGet.port: the container has no port named "
	       "`http` (it has no port)"),
	   "a probe port name the container has no port of is refused, "
	   "naming the field and the name");
	json_decref(o);

	o = set(parse(dep), "metadata.annotations",
		json_pack("{s:s}", "berth.io/progressDeadlineAbort", "true"));
	is_str(api(o, &lenient, &c), "", "API: a berth.io/ annotation reads");
	ok(c && c->deployments[0].progress_deadline_abort,
	   "... as its key (the API ignored it)");
	cfg_free(c);
	json_decref(o);

	o = set(parse(svc), "metadata.annotations",
		json_pack("{s:s, s:s}", "berth.io/listen", "127.0.0.1:18081",
			  "berth.io/timeout.client", "30"));
	ok(has(api(o, &lenient, NULL),
	       "spec.ports[0].port: 18080 is not the port of the "
	       "berth.io/listen annotation (127.0.0.1:18081)"),
	   "a listen annotation that contradicts the port is refused");
	ok(has(file(o), "is not the port of the berth.io/listen"),
	   "... in a file too (the port was ignored)");
	set(o, "spec.ports.0.port", json_integer(18081));
	is_str(api(o, &lenient, &c), "", "agreeing, they read");
	ok(c && c->services[0].timeout_client_ms == 30000,
	   "... with the Service's other berth.io/ keys");
	cfg_free(c);
	json_decref(o);

	o = set(parse(dep), "metadata.finalizers", json_pack("[s]", "x/y"));
	ok(has(api(o, &lenient, NULL), "metadata.finalizers: field not"),
	   "finalizers are refused (the API dropped them)");
	json_decref(o);
	o = set(parse(dep), "metadata.deletionTimestamp",
		json_string("2026-12-05T16:00:00Z"));
	is_str(api(o, &strict, NULL), "", "deletionTimestamp is the server's");
	json_decref(o);

	o = parse(dep);
	json_object_set_new(o, "kind", json_string("List"));
	json_object_set_new(o, "apiVersion", json_string("v1"));
	ok(has(api(o, &lenient, NULL), "one Deployment or Service"),
	   "a List is no object of the API");
	json_decref(o);
}

/* A Deployment whose container's port is 8080 named http, with its
 * probes and preStop hook on probe_port (by number when NULL). */
static json_t *named_dep(const char *probe_port)
{
	json_t *o = set(
	    parse(dep), "spec.template.spec.containers.0.ports",
	    json_pack("[{s:i, s:s}]", "containerPort", 8080, "name", "http"));
	json_t *port =
	    probe_port ? json_string(probe_port) : json_integer(8080);
	set(o, "spec.template.spec.containers.0.readinessProbe",
	    json_pack("{s:{s:s, s:O}}", "httpGet", "path", "/healthz", "port",
		      port));
	set(o, "spec.template.spec.containers.0.livenessProbe",
	    json_pack("{s:{s:O}}", "tcpSocket", "port", port));
	set(o, "spec.template.spec.containers.0.lifecycle",
	    json_pack("{s:{s:{s:s, s:O}}}", "preStop", "httpGet", "path",
		      "/drain", "port", port));
	json_decref(port);
	return o;
}

/* named_dep's with its readiness probe alone, so that an error is its. */
static json_t *readiness_only(json_t *o)
{
	json_t *c = json_array_get(
	    json_object_get(
		json_object_get(
		    json_object_get(json_object_get(o, "spec"), "template"),
		    "spec"),
		"containers"),
	    0);
	json_object_del(c, "livenessProbe");
	json_object_del(c, "lifecycle");
	return o;
}

/* What the manifest writer gives for the object's config, read again. */
static json_t *written(json_t *o, struct berth_config **again)
{
	struct berth_config *c = NULL;
	json_t *w = NULL;

	if (api(o, &lenient, &c)[0] == '\0' && c)
		w = c->n_deployments
			? cfg_deployment_manifest(&c->deployments[0], 1)
			: cfg_service_manifest(&c->services[0], NULL);
	cfg_free(c);
	if (w && again)
		api(w, &lenient, again);
	return w;
}

/* Named ports: a probe's, a hook's and a Service's targetPort given by
 * name (Kubernetes' IntOrString), checked, resolved and written back as
 * given; numbers as before. */
static void check_named_ports(void)
{
	struct berth_config *c = NULL, *n = NULL;
	json_t *o = named_dep("http"), *w, *x;
	const struct deployment_spec *d;

	is_str(api(o, &lenient, &c), "", "probes and a hook on a named port");
	d = c ? &c->deployments[0] : NULL;
	ok(d && d->readiness_probe.handler.http_port == 8080 &&
	       d->liveness_probe.handler.tcp_port == 8080 &&
	       d->pre_stop.http_port == 8080,
	   "... each on the number of the container's port of that name");
	ok(d && d->readiness_probe.handler.port_name &&
	       !strcmp(d->readiness_probe.handler.port_name, "http") &&
	       d->liveness_probe.handler.port_name && d->pre_stop.port_name,
	   "... keeping the name");
	is_str(file(o), "", "... in a file too");
	w = written(o, &n);
	x = json_object_get(
	    json_array_get(
		json_object_get(
		    json_object_get(
			json_object_get(json_object_get(w, "spec"), "template"),
			"spec"),
		    "containers"),
		0),
	    "readinessProbe");
	is_str(json_string_value(
		   json_object_get(json_object_get(x, "httpGet"), "port")),
	       "http", "written back: httpGet.port as the name");
	x = json_object_get(
	    json_array_get(
		json_object_get(
		    json_object_get(
			json_object_get(json_object_get(w, "spec"), "template"),
			"spec"),
		    "containers"),
		0),
	    "livenessProbe");
	is_str(json_string_value(
		   json_object_get(json_object_get(x, "tcpSocket"), "port")),
	       "http", "... tcpSocket.port too");
	ok(c && n && cfg_template_equal(&c->deployments[0], &n->deployments[0]),
	   "... which reads back to the same template");
	cfg_free(n);
	n = NULL;
	json_decref(w);
	json_decref(o);

	/* Numbers stay numbers, and the template hash as it was. */
	o = named_dep(NULL);
	struct berth_config *num = NULL;
	is_str(api(o, &lenient, &num), "", "the same by number reads");
	ok(num && !num->deployments[0].readiness_probe.handler.port_name &&
	       num->deployments[0].readiness_probe.handler.http_port == 8080,
	   "... with no name");
	ok(c && num &&
	       !cfg_template_equal(&c->deployments[0], &num->deployments[0]),
	   "a port by name is another template than by number");
	w = written(o, NULL);
	ok(json_is_integer(json_object_get(
	       json_object_get(
		   json_object_get(
		       json_array_get(
			   json_object_get(
			       json_object_get(
				   json_object_get(json_object_get(w, "spec"),
						   "template"),
				   "spec"),
			       "containers"),
			   0),
		       "readinessProbe"),
		   "httpGet"),
	       "port")),
	   "written back: a number as a number");
	json_decref(w);
	json_decref(o);
	cfg_free(num);
	cfg_free(c);
	c = NULL;

	o = readiness_only(named_dep("web"));
	ok(has(api(o, &lenient, NULL),
	       "spec.template.spec.containers[0].readinessProbe.httpGet.port: "
	       "readinessProbe.httpGet.port: the container has no port named "
	       "`web` (its port 8080 is named `http`)"),
	   "a probe port name of no container port: refused, naming both");
	ok(has(file(o), "readinessProbe.httpGet.port: the container has no "
			"port named `web`"),
	   "... in a file too");
	json_decref(o);
	o = set(parse(dep), "spec.template.spec.containers.0.ports",
		json_pack("[{s:i}]", "containerPort", 8080));
	set(o, "spec.template.spec.containers.0.livenessProbe",
	    json_pack("{s:{s:s}}", "tcpSocket", "port", "http"));
	ok(has(api(o, &lenient, NULL),
	       "livenessProbe.tcpSocket.port: the container has no port named "
	       "`http` (its port has no portName)"),
	   "... and when the port has no name");
	json_decref(o);
	o = readiness_only(named_dep("Http"));
	ok(has(api(o, &lenient, NULL),
	       "readinessProbe.httpGet.port: \"Http\" is neither a port "
	       "number (1-65535) nor a port name"),
	   "a probe port that is no port name is refused");
	json_decref(o);
	o = readiness_only(named_dep("8080"));
	ok(has(api(o, &lenient, NULL),
	       "readinessProbe.httpGet.port: \"8080\" is a string, so a port "
	       "name, and a port name must contain a letter"),
	   "a number in a string is a name, and no valid one");
	json_decref(o);

	/* A Service's targetPort by name. */
	o = set(parse(svc), "spec.ports.0.targetPort", json_string("http"));
	is_str(api(o, &lenient, &c), "", "a Service's targetPort by name");
	ok(c && c->services[0].target_port_name &&
	       !strcmp(c->services[0].target_port_name, "http") &&
	       c->services[0].target_port == 0,
	   "... kept as the name, looked up per pod");
	cfg_free(c);
	c = NULL;
	is_str(file(o), "", "... in a file too");
	w = written(o, &c);
	is_str(json_string_value(json_object_get(
		   json_array_get(
		       json_object_get(json_object_get(w, "spec"), "ports"), 0),
		   "targetPort")),
	       "http", "written back as the name");
	ok(c && c->services[0].target_port_name &&
	       !strcmp(c->services[0].target_port_name, "http"),
	   "... which reads back");
	cfg_free(c);
	c = NULL;
	json_decref(w);
	json_decref(o);
	o = parse(svc);
	w = written(o, NULL);
	ok(json_integer_value(json_object_get(
	       json_array_get(
		   json_object_get(json_object_get(w, "spec"), "ports"), 0),
	       "targetPort")) == 8080,
	   "a targetPort number is written back as the number");
	json_decref(w);
	json_decref(o);
	o = set(parse(svc), "spec.ports.0.targetPort", json_string("8080"));
	ok(has(api(o, &lenient, NULL),
	       "spec.ports[0].targetPort: \"8080\" is a string, so a port "
	       "name, and a port name must contain a letter"),
	   "a targetPort number in a string is refused, saying why");
	json_decref(o);
	o = set(parse(svc), "spec.ports.0.targetPort", json_string("web--1"));
	ok(has(api(o, &lenient, NULL),
	       "spec.ports[0].targetPort: targetPort: \"web--1\" is neither "
	       "a port number"),
	   "a targetPort that is no port name is refused");
	json_decref(o);
	o = set(parse(svc), "spec.ports.0.targetPort", json_true());
	ok(has(api(o, &lenient, NULL),
	       "spec.ports[0].targetPort: must be a port number or a port "
	       "name"),
	   "a targetPort of another type is refused");
	json_decref(o);
}

int main(void)
{
	check_named_ports();
	check_basics();
	check_long_values();
	check_zero_values();
	check_disagreements();
	return tap_done();
}
