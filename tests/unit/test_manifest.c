/*
 * test_manifest.c - config/manifest.c: Kubernetes manifests load into the
 * same config as the INI file that says the same (field by field, the pod
 * template compared as the revision hash sees it), List and BerthConfig
 * documents, and the exact error for every field berth refuses, with the
 * YAML line it is on. Writes its files in the current folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../config/config.h"
#include "../../config/manifest.h"
#include "../../config/template.h"
#include "../../config/yaml_json.h"
#include "../lib/tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static struct berth_config *load(const char *path, const char *text,
				 struct berr *err)
{
	struct berth_config *c = NULL;
	write_file(path, text);
	if (cfg_load(path, &c, err) == -1)
		return NULL;
	return c;
}

static const char ini[] =
    "[berth]\n"
    "state_dir = /tmp/berth-m\n"
    "insecureRegistries = 127.0.0.1:5000, localhost:5001\n"
    "[deployment web]\n"
    "image = 127.0.0.1:5000/web:1.2\n"
    "imagePullPolicy = IfNotPresent\n"
    "command = /bin/web --name 'a b' \"it's\"\n"
    "args = --port 8080\n"
    "env = MODE=prod\n"
    "env = EMPTY=\n"
    "workingDir = /srv\n"
    "port = 8080\n"
    "mount = /var/data:/data:ro\n"
    "mount = /tmp:/scratch\n"
    "network = host\n"
    "restartPolicy = Always\n"
    "terminationGracePeriodSeconds = 20\n"
    "lifecycle.stopSignal = SIGQUIT\n"
    "lifecycle.preStop.httpGet.path = /drain\n"
    "lifecycle.preStop.httpGet.port = 8080\n"
    "lifecycle.preStop.httpGet.httpHeaders = X-Drain: now\n"
    "startupProbe.tcpSocket.port = 8080\n"
    "startupProbe.failureThreshold = 30\n"
    "livenessProbe.exec.command = /bin/check --deep\n"
    "livenessProbe.periodSeconds = 5\n"
    "readinessProbe.httpGet.path = /healthz\n"
    "readinessProbe.httpGet.port = 8080\n"
    "readinessProbe.periodSeconds = 1\n"
    "readinessProbe.successThreshold = 2\n"
    "resources.limits.memory = 64Mi\n"
    "resources.limits.cpu = 500m\n"
    "securityContext.runAsUser = 1000\n"
    "securityContext.runAsGroup = 1000\n"
    "securityContext.readOnlyRootFilesystem = true\n"
    "securityContext.capabilities.drop = ALL\n"
    "securityContext.capabilities.add = NET_BIND_SERVICE\n"
    "securityContext.seccompProfile = Unconfined\n"
    "replicas = 3\n"
    "labels = app=web,tier=front\n"
    "strategy.type = RollingUpdate\n"
    "strategy.rollingUpdate.maxSurge = 1\n"
    "strategy.rollingUpdate.maxUnavailable = 0\n"
    "minReadySeconds = 2\n"
    "progressDeadlineSeconds = 120\n"
    "revisionHistoryLimit = 3\n"
    "progressDeadlineAbort = true\n"
    "[service web]\n"
    "listen = 127.0.0.1:18080\n"
    "selector = app=web\n"
    "targetPort = 8080\n"
    "mode = tcp\n"
    "timeout.client = 30\n";

static const char yaml[] =
    "apiVersion: berth.io/v1\n"
    "kind: BerthConfig\n"
    "state_dir: /tmp/berth-m\n"
    "insecureRegistries: [\"127.0.0.1:5000\", \"localhost:5001\"]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: List\n"
    "items:\n"
    "- apiVersion: apps/v1\n"
    "  kind: Deployment\n"
    "  metadata:\n"
    "    name: web\n"
    "    namespace: default\n"
    "    labels: {app: web}\n"
    "    annotations:\n"
    "      berth.io/progressDeadlineAbort: \"true\"\n"
    "      kubectl.kubernetes.io/last-applied-configuration: \"{}\"\n"
    "  spec:\n"
    "    replicas: 3\n"
    "    selector: {matchLabels: {app: web}}\n"
    "    strategy:\n"
    "      type: RollingUpdate\n"
    "      rollingUpdate: {maxSurge: 1, maxUnavailable: 0}\n"
    "    minReadySeconds: 2\n"
    "    progressDeadlineSeconds: 120\n"
    "    revisionHistoryLimit: 3\n"
    "    template:\n"
    "      metadata:\n"
    "        labels: {app: web, tier: front}\n"
    "      spec:\n"
    "        hostNetwork: true\n"
    "        restartPolicy: Always\n"
    "        terminationGracePeriodSeconds: 20\n"
    "        dnsPolicy: ClusterFirst\n"
    "        securityContext: {runAsUser: 1000}\n"
    "        volumes:\n"
    "        - name: data\n"
    "          hostPath: {path: /var/data, type: Directory}\n"
    "        - name: scratch\n"
    "          hostPath: {path: /tmp}\n"
    "        containers:\n"
    "        - name: main\n"
    "          image: 127.0.0.1:5000/web:1.2\n"
    "          imagePullPolicy: IfNotPresent\n"
    "          command: [/bin/web, --name, a b, \"it's\"]\n"
    "          args: [--port, \"8080\"]\n"
    "          env:\n"
    "          - {name: MODE, value: prod}\n"
    "          - {name: EMPTY}\n"
    "          workingDir: /srv\n"
    "          ports: [{containerPort: 8080, protocol: TCP}]\n"
    "          volumeMounts:\n"
    "          - {name: data, mountPath: /data, readOnly: true}\n"
    "          - {name: scratch, mountPath: /scratch}\n"
    "          lifecycle:\n"
    "            stopSignal: SIGQUIT\n"
    "            preStop:\n"
    "              httpGet:\n"
    "                path: /drain\n"
    "                port: 8080\n"
    "                httpHeaders: [{name: X-Drain, value: now}]\n"
    "          startupProbe: {tcpSocket: {port: 8080}, failureThreshold: "
    "30}\n"
    "          livenessProbe:\n"
    "            exec: {command: [/bin/check, --deep]}\n"
    "            periodSeconds: 5\n"
    "          readinessProbe:\n"
    "            httpGet: {path: /healthz, port: 8080}\n"
    "            periodSeconds: 1\n"
    "            successThreshold: 2\n"
    "          resources:\n"
    "            limits: {memory: 64Mi, cpu: 500m}\n"
    "          securityContext:\n"
    "            runAsGroup: 1000\n"
    "            readOnlyRootFilesystem: true\n"
    "            allowPrivilegeEscalation: false\n"
    "            capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}\n"
    "            seccompProfile: {type: Unconfined}\n"
    "- apiVersion: v1\n"
    "  kind: Service\n"
    "  metadata:\n"
    "    name: web\n"
    "    labels: {app: web}\n"
    "    annotations: {berth.io/timeout.client: \"30\"}\n"
    "  spec:\n"
    "    type: ClusterIP\n"
    "    selector: {app: web}\n"
    "    ports: [{port: 18080, targetPort: 8080, appProtocol: tcp}]\n";

static void check_same(void)
{
	struct berr e1 = BERR_INIT, e2 = BERR_INIT;
	struct berth_config *a = load("m.ini", ini, &e1);
	struct berth_config *b = load("m.yaml", yaml, &e2);
	ok(a != NULL, "ini loads: %s", e1.msg);
	ok(b != NULL, "yaml loads: %s", e2.msg);
	if (!a || !b) {
		cfg_free(a);
		cfg_free(b);
		return;
	}
	is_str(b->state_dir, a->state_dir, "BerthConfig state_dir");
	is_int(b->insecure_registries.n, 2, "BerthConfig list value");
	is_int(b->n_deployments, 1, "one deployment");
	is_int(b->n_services, 1, "one service");
	const struct deployment_spec *x = &a->deployments[0],
				     *y = &b->deployments[0];
	ok(cfg_template_equal(x, y), "pod templates equal");
	is_int(y->command.n, 4, "command words");
	is_str(y->command.n == 4 ? y->command.v[3] : "", "it's",
	       "quote inside a word");
	is_str(y->command.n == 4 ? y->command.v[2] : "", "a b",
	       "blank inside a word");
	is_int(y->n_mounts, 2, "two mounts");
	ok(y->n_mounts == 2 && y->mounts[0].read_only &&
	       !y->mounts[1].read_only,
	   "readOnly mapped");
	is_int(y->run_as_user, 1000, "pod-level runAsUser");
	is_int(y->replicas, x->replicas, "replicas");
	is_int(y->labels.n, 2, "labels");
	is_int(y->strategy, x->strategy, "strategy");
	ok(y->max_surge.value == 1 && !y->max_surge.percent, "maxSurge 1");
	ok(y->max_unavailable.value == 0 && !y->max_unavailable.percent,
	   "maxUnavailable 0");
	is_int(y->min_ready_seconds, 2, "minReadySeconds");
	is_int(y->progress_deadline_seconds, 120, "progressDeadlineSeconds");
	is_int(y->revision_history_limit, 3, "revisionHistoryLimit");
	ok(y->progress_deadline_abort, "berth.io annotation applied");
	const struct service_spec *s = &a->services[0], *t = &b->services[0];
	is_str(t->listen, s->listen, "listen from the port");
	is_int(t->target_port, s->target_port, "targetPort");
	is_int(t->mode, s->mode, "appProtocol -> mode");
	is_int(t->timeout_client_ms, s->timeout_client_ms,
	       "service annotation");
	is_int(t->selector.n, 1, "selector");
	cfg_free(a);
	cfg_free(b);
}

#define DEP                                                                    \
	"apiVersion: apps/v1\n"                                                \
	"kind: Deployment\n"                                                   \
	"metadata: {name: web}\n"                                              \
	"spec:\n"                                                              \
	"  template:\n"                                                        \
	"    metadata: {labels: {app: web}}\n"                                 \
	"    spec:\n"                                                          \
	"      containers:\n"                                                  \
	"      - name: web\n"                                                  \
	"        image: web:1\n"

static const char *const errors[][2] = {
    {DEP "        resources: {requests: {cpu: 100m}}\n",
     "e.yaml:11: Deployment web: "
     "spec.template.spec.containers[0].resources.requests: field not supported "
     "by "
     "berth (berth does not schedule; set limits)"},
    {DEP "      - name: sidecar\n        image: x\n",
     "e.yaml:11: Deployment web: spec.template.spec.containers[1]: berth runs "
     "one container per pod"},
    {DEP "      volumes: [{name: v, emptyDir: {}}]\n",
     "e.yaml:11: Deployment web: spec.template.spec.volumes[0]: only "
     "hostPath volumes are supported"},
    {DEP "        env: [{name: A, valueFrom: {fieldRef: {fieldPath: x}}}]\n",
     "e.yaml:11: Deployment web: "
     "spec.template.spec.containers[0].env[0].valueFrom: field not supported "
     "by "
     "berth (only literal values are supported)"},
    {DEP "        ports: [{containerPort: 1}, {containerPort: 2}]\n",
     "e.yaml:11: Deployment web: spec.template.spec.containers[0].ports[1]: "
     "berth runs one port per pod"},
    {DEP "        readinessProbe: {grpc: {port: 1}}\n",
     "e.yaml:11: Deployment web: "
     "spec.template.spec.containers[0].readinessProbe.grpc: field not "
     "supported "
     "by berth (use exec, httpGet or tcpSocket)"},
    {DEP "        tty: true\n",
     "e.yaml:11: Deployment web: spec.template.spec.containers[0].tty: field "
     "not supported by berth"},
    {DEP "        readinessProbe: {periodSeconds: 0, tcpSocket: {port: 1}}\n",
     "e.yaml:11: readinessProbe.periodSeconds: \"0\" is not a positive "
     "integer"},
    {"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
     "  namespace: prod\n",
     "e.yaml:5: Deployment web: metadata.namespace: berth has one "
     "namespace, `default`"},
    {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n",
     "e.yaml:2: Job: kind: batch/v1 Job is not supported (berth runs apps/v1 "
     "Deployments, v1 Services and argoproj.io/v1alpha1 Rollouts and "
     "AnalysisTemplates)"},
    {"kind: Service\n", "e.yaml:1: manifest: : needs apiVersion and kind"},
    {"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n"
     "  type: NodePort\n",
     "e.yaml:5: Service s: spec.type: only ClusterIP (berth's proxy listens "
     "on the address in the berth.io/listen annotation)"},
    {"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n"
     "  selector: {app: x}\n  ports: [{port: 80, targetPort: \"80\"}]\n",
     "e.yaml:6: Service s: spec.ports[0].targetPort: \"80\" is a string, so "
     "a port name, and a port name must contain a letter: write the number "
     "without quotes"},
    {"apiVersion: v1\nkind: Service\nmetadata: {name: Bad_Name}\n",
     "e.yaml:3: service name \"Bad_Name\" must be a lowercase DNS-1123 label "
     "of at most 40 characters ([a-z0-9-], starting and ending with a "
     "letter or digit)"},
    {"a: [1\n", "e.yaml:2:1: did not find expected ',' or ']' while parsing "
		"a flow sequence"},
};

static void check_errors(void)
{
	for (size_t i = 0; i < N(errors); i++) {
		struct berr err = BERR_INIT;
		struct berth_config *c = load("e.yaml", errors[i][0], &err);
		ok(c == NULL, "error case %zu refused", i);
		is_str(err.msg, errors[i][1], "error case %zu message", i);
		cfg_free(c);
	}
}

/* INI -> manifests -> YAML -> config: the same deployments and services
 * (the export round trip). Canary steps and berth-only keys included. */
static void check_round_trip(void)
{
	static const char canary[] =
	    "[deployment can]\n"
	    "image = reg.local/can:2\n"
	    "strategy.type = Canary\n"
	    "strategy.canary.steps = setWeight 20, pause 30s, setHeaderRoute "
	    "X-Canary exact yes, setWeight 50, pause\n"
	    "resources.limits.pids = 64\n"
	    "resources.limits.memory = 1000000\n"
	    "lifecycle.stopSignal = SIGINT\n";
	struct berr err = BERR_INIT;
	char *text = malloc(sizeof(ini) + sizeof(canary));
	strcpy(text, ini);
	strcat(text, canary);
	struct berth_config *a = load("rt.ini", text, &err);
	free(text);
	ok(a != NULL, "round trip source loads: %s", err.msg);
	if (!a)
		return;
	json_t *docs = json_array();
	for (size_t i = 0; i < a->n_deployments; i++)
		json_array_append_new(
		    docs, cfg_deployment_manifest(&a->deployments[i],
						  a->deployments[i].replicas));
	for (size_t i = 0; i < a->n_services; i++)
		json_array_append_new(
		    docs, cfg_service_manifest(&a->services[i], NULL));
	char *y = json_to_yaml_docs(docs, &err);
	char *dump = json_dumps(docs, 0);
	ok(dump && !strstr(dump, "\"status\"") && !strstr(dump, "uid") &&
	       !strstr(dump, "resourceVersion"),
	   "no status, uid or resourceVersion");
	free(dump);
	json_decref(docs);
	write_file("rt.yaml", y ? y : "");
	struct berth_config *b = NULL;
	int rc = cfg_load("rt.yaml", &b, &err);
	ok(rc == 0, "exported manifests load back: %s", err.msg);
	if (rc == 0) {
		is_int(b->n_deployments, a->n_deployments, "deployments");
		is_int(b->n_services, a->n_services, "services");
		for (size_t i = 0; i < a->n_deployments && i < b->n_deployments;
		     i++) {
			const struct deployment_spec *x = &a->deployments[i],
						     *z = &b->deployments[i];
			ok(cfg_template_equal(x, z), "%s: template equal",
			   x->name);
			ok(x->replicas == z->replicas &&
			       x->strategy == z->strategy &&
			       x->max_surge.value == z->max_surge.value &&
			       x->max_unavailable.value ==
				   z->max_unavailable.value &&
			       x->min_ready_seconds == z->min_ready_seconds &&
			       x->progress_deadline_seconds ==
				   z->progress_deadline_seconds &&
			       x->progress_deadline_abort ==
				   z->progress_deadline_abort &&
			       x->revision_history_limit ==
				   z->revision_history_limit &&
			       x->canary_steps.n == z->canary_steps.n,
			   "%s: rollout settings equal", x->name);
		}
		for (size_t i = 0; i < a->n_services && i < b->n_services;
		     i++) {
			const struct service_spec *x = &a->services[i],
						  *z = &b->services[i];
			ok(!strcmp(x->listen, z->listen) &&
			       x->target_port == z->target_port &&
			       x->mode == z->mode &&
			       x->timeout_client_ms == z->timeout_client_ms &&
			       x->selector.n == z->selector.n,
			   "service %s equal", x->name);
		}
	}
	if (rc != 0 && y)
		printf("# yaml:\n%s", y);
	free(y);
	cfg_free(a);
	cfg_free(b);
	remove("rt.ini");
	remove("rt.yaml");
}

/* Objects in memory (the Kubernetes API's path): no lines, same keys. */
static void check_in_memory(void)
{
	json_error_t jerr;
	json_t *docs = json_loads(
	    "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
	    "\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2,"
	    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
	    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":"
	    "\"web:1\",\"tty\":true}]}}}}]",
	    0, &jerr);
	struct berr err = BERR_INIT;
	struct berth_config *c = NULL;
	int rc = cfg_load_manifests("request", "/", docs, &c, &err);
	ok(rc == -1, "unsupported field refused in memory");
	is_str(err.msg,
	       "request:1: Deployment web: "
	       "spec.template.spec.containers[0].tty: field not supported by "
	       "berth",
	       "message names the field");
	json_t *c0 = json_array_get(
	    json_object_get(
		json_object_get(
		    json_object_get(
			json_object_get(json_array_get(docs, 0), "spec"),
			"template"),
		    "spec"),
		"containers"),
	    0);
	json_object_del(c0, "tty");
	rc = cfg_load_manifests("request", "/", docs, &c, &err);
	ok(rc == 0 && c && c->n_deployments == 1 &&
	       c->deployments[0].replicas == 2,
	   "loads without the field: %s", rc ? err.msg : "");
	cfg_free(c);
	json_decref(docs);
}

/* Thousandths as the writers spell them: a whole CPU bare ("2"), the
 * rest in millicores ("1500m"); a duration in seconds ("10s") or, not
 * whole, in milliseconds ("1500ms"). */
static void check_units(void)
{
	static const char text[] = "[berth]\n"
				   "state_dir = /tmp/berth-m\n"
				   "[deployment a]\n"
				   "image = x\n"
				   "command = /bin/a\n"
				   "resources.limits.cpu = 2\n"
				   "[deployment b]\n"
				   "image = x\n"
				   "command = /bin/b\n"
				   "resources.limits.cpu = 1500m\n"
				   "[analysis t]\n"
				   "metrics.m.interval = 10s\n"
				   "metrics.m.initialDelay = 1500ms\n"
				   "metrics.m.successCondition = result > 1\n"
				   "metrics.m.provider.berth.minRequests = 1\n";
	struct berr err = BERR_INIT;
	struct berth_config *c = load("u.ini", text, &err);
	json_t *docs;
	char *dump;

	ok(c != NULL && c->n_deployments == 2 && c->n_analyses == 1,
	   "the units' config loads: %s", err.msg);
	if (c == NULL || c->n_deployments != 2 || c->n_analyses != 1) {
		cfg_free(c);
		return;
	}
	docs = json_pack("[o, o, o]",
			 cfg_deployment_manifest(&c->deployments[0], 1),
			 cfg_deployment_manifest(&c->deployments[1], 1),
			 cfg_analysis_manifest(&c->analyses[0]));
	dump = json_dumps(docs, JSON_COMPACT);
	ok(dump && strstr(dump, "\"cpu\":\"2\"") &&
	       strstr(dump, "\"cpu\":\"1500m\""),
	   "cpu: \"2\" and \"1500m\"");
	ok(dump && strstr(dump, "\"interval\":\"10s\"") &&
	       strstr(dump, "\"initialDelay\":\"1500ms\""),
	   "durations: \"10s\" and \"1500ms\"");
	free(dump);
	json_decref(docs);
	cfg_free(c);
}

int main(void)
{
	check_in_memory();
	check_same();
	check_round_trip();
	check_errors();
	check_units();
	remove("u.ini");
	remove("m.ini");
	remove("m.yaml");
	remove("e.yaml");
	return tap_done();
}
