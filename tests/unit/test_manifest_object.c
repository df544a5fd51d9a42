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
	       "readinessProbe.httpGet.port: must be a port number (named "
	       "ports are not supported)"),
	   "a named probe port is refused, saying why");
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

int main(void)
{
	check_basics();
	check_long_values();
	check_zero_values();
	check_disagreements();
	return tap_done();
}
