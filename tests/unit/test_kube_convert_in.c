/*
 * test_kube_convert_in.c - Kubernetes objects in: a template written out
 * as apps/v1 (convert_pod.c) and read back (kube_object_config(), through
 * config/'s manifest reader) is the same
 * template with the same revision hash, for a deployment using every
 * field the API maps (so a client's read-modify-write rolls nothing out);
 * what kubectl adds as Go zero values is ignored; and each field berth
 * cannot honour is refused with its path.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/xalloc.h"
#include "../../config/config.h"
#include "../../config/manifest.h"
#include "../../config/template.h"
#include "../../kube/convert.h"
#include "../../kube/kobj.h"
#include "../../kube/kube_internal.h"
#include "../../orchestrator/revision.h"
#include "../lib/fixture.h"
#include "../lib/tap.h"

static const char ini[] =
    "[berth]\n"
    "state_dir = /tmp\n"
    "run_dir = /tmp\n"
    "[deployment web]\n"
    "image = /\n"
    "imagePullPolicy = IfNotPresent\n"
    "command = /bin/sh -c 'echo \"a b\"; exec sleep 1000'\n"
    "args = --x=1 'two words'\n"
    "env = A=1\n"
    "env = B=x=y\n"
    "workingDir = /srv\n"
    "mount = /tmp:/data:ro\n"
    "port = 8080\n"
    "network = host\n"
    "restartPolicy = Always\n"
    "terminationGracePeriodSeconds = 7\n"
    "lifecycle.stopSignal = SIGQUIT\n"
    "lifecycle.preStop.httpGet.path = /quit\n"
    "lifecycle.preStop.httpGet.port = 8080\n"
    "lifecycle.preStop.httpGet.httpHeaders = X-A: b\n"
    "startupProbe.tcpSocket.port = 8080\n"
    "startupProbe.failureThreshold = 30\n"
    "livenessProbe.exec.command = /bin/true\n"
    "livenessProbe.terminationGracePeriodSeconds = 3\n"
    "readinessProbe.httpGet.path = /healthz\n"
    "readinessProbe.httpGet.port = 8080\n"
    "readinessProbe.periodSeconds = 1\n"
    "readinessProbe.successThreshold = 2\n"
    "resources.limits.memory = 64Mi\n"
    "resources.limits.cpu = 250m\n"
    "resources.limits.pids = 100\n"
    "securityContext.runAsUser = 1000\n"
    "securityContext.runAsGroup = 1000\n"
    "securityContext.readOnlyRootFilesystem = true\n"
    "securityContext.capabilities.drop = ALL\n"
    "securityContext.capabilities.add = NET_BIND_SERVICE\n"
    "securityContext.seccompProfile = Unconfined\n"
    "replicas = 3\n"
    "labels = app=web,tier=front\n"
    "strategy.rollingUpdate.maxSurge = 1\n"
    "strategy.rollingUpdate.maxUnavailable = 0\n"
    "minReadySeconds = 2\n";

/* The Deployment as kube_deployment() shows it, without metadata and
 * status: berth-only settings (resources.limits.pids) ride in its
 * annotations. */
static json_t *deployment_of(struct deployment *dep)
{
	json_t *m = cfg_deployment_manifest(dep->spec, dep->replicas);
	json_t *ann =
	    json_object_get(json_object_get(m, "metadata"), "annotations");
	json_t *o =
	    json_pack("{s:s, s:s, s:{s:s, s:O*}, s:{s:i, s:{s:{s:s}}, s:o}}",
		      "apiVersion", "apps/v1", "kind", "Deployment", "metadata",
		      "name", dep->name, "annotations", ann, "spec", "replicas",
		      dep->replicas, "selector", "matchLabels", "app", "web",
		      "template", kube_pod_template(dep, dep->spec, NULL));

	json_decref(m);
	return o;
}

/* The error of reading obj after the change, "" when it reads. */
static const char *refused(json_t *obj, const char *patch_path, json_t *value,
			   char *buf, size_t len)
{
	json_t *o = json_deep_copy(obj), *at = o;
	char *p = xstrdup(patch_path), *save = NULL, *tok, *last = NULL;
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	bool paused;

	for (tok = strtok_r(p, ".", &save); tok;
	     tok = strtok_r(NULL, ".", &save)) {
		if (last) {
			json_t *next = json_is_array(at)
					   ? json_array_get(at, atoi(last))
					   : json_object_get(at, last);

			at = next;
		}
		last = tok;
	}
	if (json_is_array(at) && !strcmp(last, "+"))
		json_array_append_new(at, value);
	else
		json_object_set_new(at, last, value);
	free(p);
	buf[0] = '\0';
	if (kube_object_config(o, "Deployment", false, &cfg, &paused, &err) ==
	    -1)
		snprintf(buf, len, "%s", err.msg);
	cfg_free(cfg);
	json_decref(o);
	return buf;
}

int main(void)
{
	struct berth_config *cfg =
	    cfg_from_text(ini, "/tmp/berth-test-kube-in-XXXXXX");
	struct berth_config *back = NULL;
	struct deployment dep;
	struct berr err = BERR_INIT;
	json_t *obj, *ctr;
	char h1[16], h2[16], buf[512];
	bool paused = true;
	char *text;

	if (cfg == NULL) {
		printf("not ok 1 - config\n1..1\n");
		return 1;
	}
	memset(&dep, 0, sizeof(dep));
	snprintf(dep.name, sizeof(dep.name), "web");
	dep.spec = &cfg->deployments[0];
	dep.replicas = 3;

	obj = deployment_of(&dep);
	text = json_dumps(obj, JSON_COMPACT);
	ok(kube_object_config(obj, "Deployment", false, &back, &paused, &err) ==
	       0,
	   "the written template reads back (%s)", err.msg);
	if (back == NULL) {
		printf("# %s\n", text);
		free(text);
		return tap_done();
	}
	free(text);
	ok(cfg_template_equal(dep.spec, &back->deployments[0]),
	   "the same template");
	template_hash(dep.spec, h1);
	template_hash(&back->deployments[0], h2);
	is_str(h2, h1, "the same revision hash");
	is_int(back->deployments[0].replicas, 3, "replicas");
	is_int(back->deployments[0].labels.n, 2, "labels");
	ok(!paused, "not paused");
	cfg_free(back);
	back = NULL;

	/* What rollout undo sends: Go zero values. */
	ctr =
	    json_array_get(kube_path(obj, "spec.template.spec.containers"), 0);
	json_object_set_new(
	    json_object_get(kube_path(obj, "spec.template"), "metadata"),
	    "creationTimestamp", json_null());
	json_object_set_new(ctr, "stdin", json_false());
	json_object_set_new(kube_path(obj, "spec"), "paused", json_true());
	ok(kube_object_config(obj, "Deployment", false, &back, &paused, &err) ==
	       0,
	   "Go zero values are ignored (%s)", err.msg);
	template_hash(back ? &back->deployments[0] : dep.spec, h2);
	is_str(h2, h1, "... and change no hash");
	ok(paused, "spec.paused read");
	cfg_free(back);
	back = NULL;
	ok(kube_object_config(obj, "Deployment", true, &back, &paused, &err) ==
		   -1 &&
	       strstr(err.msg, "containers[0].stdin") != NULL,
	   "... but Strict refuses an unknown field even at zero: %s", err.msg);
	cfg_free(back);

	/* Refusals name the field. */
	ok(strstr(refused(obj, "spec.template.spec.containers.0.ports.0.name",
			  json_string("HTTP"), buf, sizeof(buf)),
		  "spec.template.spec.containers[0].ports[0].name: portName: "
		  "\"HTTP\" is not a port name") != NULL,
	   "a port name that is no IANA service name is refused: %s", buf);
	ok(strstr(refused(obj, "spec.template.spec.containers.+",
			  json_pack("{s:s, s:s}", "name", "b", "image", "x"),
			  buf, sizeof(buf)),
		  "spec.template.spec.containers[1]: berth runs one "
		  "container") != NULL,
	   "a second container is refused: %s", buf);
	ok(strstr(refused(obj, "spec.template.spec.containers.0.env.+",
			  json_pack("{s:s, s:{}}", "name", "C", "valueFrom"),
			  buf, sizeof(buf)),
		  "env[2].valueFrom") == NULL &&
	       buf[0] == '\0',
	   "an empty valueFrom is a zero value");
	ok(strstr(refused(obj, "spec.template.spec.containers.0.env.+",
			  json_pack("{s:s, s:{s:{}}}", "name", "C", "valueFrom",
				    "fieldRef"),
			  buf, sizeof(buf)),
		  "spec.template.spec.containers[0].env[2].valueFrom") != NULL,
	   "env valueFrom is refused: %s", buf);
	ok(strstr(refused(obj, "spec.template.spec.volumes.+",
			  json_pack("{s:s, s:{}}", "name", "v", "emptyDir"),
			  buf, sizeof(buf)),
		  "volumes[1]") != NULL,
	   "an emptyDir volume is refused: %s", buf);
	ok(strstr(
	       refused(obj, "spec.replicaz", json_integer(2), buf, sizeof(buf)),
	       "spec.replicaz: field not supported") != NULL,
	   "an unknown field is refused: %s", buf);
	ok(strstr(refused(obj, "spec.selector.matchLabels.app",
			  json_string("other"), buf, sizeof(buf)),
		  "spec.selector") != NULL,
	   "a selector the labels do not match is refused: %s", buf);
	ok(strstr(refused(obj, "spec.template.spec.containers.0.image",
			  json_string("Bad Image"), buf, sizeof(buf)),
		  "spec.template.spec.containers[0].image: ") != NULL,
	   "a config error names the Kubernetes field: %s", buf);
	ok(strstr(refused(obj, "metadata.namespace", json_string("kube-system"),
			  buf, sizeof(buf)),
		  "metadata.namespace") != NULL,
	   "another namespace is refused: %s", buf);
	json_decref(obj);
	cfg_free(cfg);
	return tap_done();
}
