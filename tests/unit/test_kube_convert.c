/*
 * test_kube_convert.c - berth's model as Kubernetes objects: a pod's
 * labels, owner reference and status; a revision as a ReplicaSet named
 * DEPLOYMENT-HASH owned by its Deployment; and, for every pod state, the
 * apiserver's STATUS column equal to what `berth get pods` prints.
 */
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
#include "../../kube/table.h"
#include "../../orchestrator/view.h"
#include "../lib/fixture.h"
#include "../lib/tap.h"

static const char ini[] = "[berth]\n"
			  "state_dir = /tmp\n"
			  "run_dir = /tmp\n"
			  "[deployment web]\n"
			  "image = /\n"
			  "command = /bin/web\n"
			  "args = --port 8080\n"
			  "env = A=1\n"
			  "replicas = 2\n"
			  "labels = app=web\n"
			  "port = 8080\n";

static const char *s(json_t *o, const char *path)
{
	const char *v = json_string_value(kube_path(o, path));

	return v ? v : "(missing)";
}

int main(void)
{
	struct berth_config *cfg =
	    cfg_from_text(ini, "/tmp/berth-test-kube-XXXXXX");
	struct daemon *d;
	struct deployment dep;
	struct revision rev;
	struct pod p;
	struct kube_ctx k;
	json_t *pod, *rs, *dj, *cells;
	char uid[37], uid2[37];

	if (cfg == NULL) {
		printf("not ok 1 - config\n1..1\n");
		return 1;
	}
	d = xcalloc(1, sizeof(*d));
	memset(&rev, 0, sizeof(rev));
	memset(&p, 0, sizeof(p));
	fixture_deployment(&dep, d, "web", &cfg->deployments[0], 2, 1, "abc123",
			   1796464800000LL);
	rev.number = 1;
	snprintf(rev.hash, sizeof(rev.hash), "abc123");
	rev.created_ms = dep.created_ms + 10;
	rev.spec = dep.spec;
	dep.revisions = &rev;
	dep.n_revisions = 1;
	d->deployments = &dep;
	snprintf(p.name, sizeof(p.name), "web-abc123-xyz12");
	snprintf(p.hash, sizeof(p.hash), "abc123");
	p.daemon = d;
	p.deployment = &dep;
	p.spec = dep.spec;
	p.image = "/";
	p.created_ms = dep.created_ms + 20;
	p.started_ms = p.created_ms + 500;
	p.last_exit_code = -1;
	p.phase = POD_RUNNING;
	p.ready = true;
	p.ready_since_mono = clock_wall_to_mono(p.started_ms);
	d->pods = &p;
	d->event_seq = 41;

	kube_ctx_init(&k, d, dep.created_ms);
	is_str(k.rv, "42", "resourceVersion is the event sequence + 1");
	pod = kube_pod(&k, &p);
	is_str(s(pod, "kind"), "Pod", "kind");
	is_str(s(pod, "apiVersion"), "v1", "apiVersion");
	is_str(s(pod, "metadata.namespace"), "default", "namespace");
	is_str(s(pod, "metadata.labels.app"), "web", "the deployment's labels");
	is_str(s(pod, "metadata.labels.pod-template-hash"), "abc123",
	       "the pod-template-hash label");
	is_str(s(pod, "metadata.creationTimestamp"), "2026-12-05T10:00:00Z",
	       "creationTimestamp in RFC 3339, seconds");
	is_str(s(json_array_get(kube_path(pod, "metadata.ownerReferences"), 0),
		 "name"),
	       "web-abc123", "owned by ReplicaSet DEPLOYMENT-HASH");
	ok(json_is_true(kube_path(
	       json_array_get(kube_path(pod, "metadata.ownerReferences"), 0),
	       "controller")),
	   "as its controller");
	is_str(s(json_array_get(kube_path(pod, "spec.containers"), 0), "image"),
	       "/", "the container's image");
	is_int(json_integer_value(kube_path(
		   json_array_get(
		       kube_path(
			   json_array_get(kube_path(pod, "spec.containers"), 0),
			   "ports"),
		       0),
		   "containerPort")),
	       8080, "the container port");
	is_str(s(pod, "status.phase"), "Running", "phase Running");
	kube_uid("Pod", p.name, p.created_ms, uid);
	kube_uid("Pod", p.name, p.created_ms, uid2);
	is_str(uid, uid2, "a UID is stable");
	is_int(strlen(uid), 36, "a UID is UUID-shaped");
	is_str(s(pod, "metadata.uid"), uid, "the pod's UID");

	rs = kube_replicaset(&k, &dep, &rev);
	is_str(s(rs, "metadata.name"), "web-abc123", "ReplicaSet name");
	is_str(json_string_value(
		   json_object_get(kube_path(rs, "metadata.annotations"),
				   "deployment.kubernetes.io/revision")),
	       "1", "the revision annotation");
	is_str(s(rs, "spec.selector.matchLabels.pod-template-hash"), "abc123",
	       "selects its hash");
	is_str(s(json_array_get(kube_path(pod, "metadata.ownerReferences"), 0),
		 "uid"),
	       s(rs, "metadata.uid"), "the pod's owner UID is the RS's");
	is_int(json_integer_value(kube_path(rs, "spec.replicas")), 1,
	       "one pod of this revision");
	dj = kube_deployment(&k, &dep);
	is_str(s(json_array_get(kube_path(rs, "metadata.ownerReferences"), 0),
		 "uid"),
	       s(dj, "metadata.uid"), "the RS's owner is the deployment");
	is_str(s(dj, "apiVersion"), "apps/v1", "apps/v1");
	is_int(json_integer_value(kube_path(dj, "status.readyReplicas")), 1,
	       "readyReplicas");
	is_str(s(dj, "spec.strategy.rollingUpdate.maxSurge"), "25%",
	       "maxSurge as IntOrString");

	/* The spec is `berth export`'s, berth-only settings in berth.io/
	 * annotations: what a client reads, it writes back unchanged. */
	{
		struct berth_config *back = NULL;
		struct berr err = BERR_INIT;
		bool paused = true;
		json_t *exp, *dj2;

		cfg->deployments[0].progress_deadline_abort = true;
		cfg->deployments[0].pids_limit = 64;
		exp = cfg_deployment_manifest(dep.spec, dep.replicas);
		dj2 = kube_deployment(&k, &dep);
		ok(json_equal(kube_path(dj2, "spec.strategy"),
			      kube_path(exp, "spec.strategy")) &&
		       json_equal(
			   kube_path(dj2, "spec.template.spec.containers"),
			   kube_path(exp, "spec.template.spec.containers")),
		   "the spec and template are the export writer's");
		is_str(json_string_value(json_object_get(
			   kube_path(dj2, "metadata.annotations"),
			   "berth.io/progressDeadlineAbort")),
		       "true", "berth-only settings as berth.io/ annotations");
		ok(kube_object_config(dj2, "Deployment", true, &back, &paused,
				      &err) == 0,
		   "the Deployment as read reads back, Strict (%s)", err.msg);
		ok(back && cfg_template_equal(dep.spec, &back->deployments[0]),
		   "... to the same template");
		ok(back && back->deployments[0].progress_deadline_abort &&
		       back->deployments[0].pids_limit == 64,
		   "... and the same berth-only settings");
		ok(!paused, "... not paused");
		cfg_free(back);
		json_decref(exp);
		json_decref(dj2);
		cfg->deployments[0].progress_deadline_abort = false;
		cfg->deployments[0].pids_limit = 0;
	}

	/* Every state: the Table's STATUS is berth's own STATUS. */
	struct {
		enum pod_phase phase;
		int crashes;
		int64_t restart_at;
		const char *reason;
		bool leaving;
	} cases[] = {
	    {POD_PENDING, 0, 0, "", false},
	    {POD_CREATING, 0, 0, "", false},
	    {POD_RUNNING, 0, 0, "", false},
	    {POD_WAITING, 3, 1, "Error", false},
	    {POD_WAITING, 0, 0, "Completed", false},
	    {POD_WAITING, 0, 0, "Error", false},
	    {POD_WAITING, 1, 1, "OOMKilled", false},
	    {POD_RUNNING, 0, 0, "", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.phase = cases[i].phase;
		p.crashes = cases[i].crashes;
		p.restart_at_mono = cases[i].restart_at;
		snprintf(p.last_reason, sizeof(p.last_reason), "%s",
			 cases[i].reason);
		p.term_step = cases[i].leaving ? TERM_SIGNALLED : TERM_NONE;
		p.term_after = TERM_REMOVE;
		json_decref(pod);
		pod = kube_pod(&k, &p);
		cells = kube_table_cells("pods", pod, k.now_ms);
		is_str(json_string_value(json_array_get(cells, 2)),
		       pod_status(&p), "STATUS %s", pod_status(&p));
		json_decref(cells);
	}
	p.phase = POD_WAITING;
	p.restart_at_mono = 0;
	snprintf(p.last_reason, sizeof(p.last_reason), "Completed");
	p.term_step = TERM_NONE;
	json_decref(pod);
	pod = kube_pod(&k, &p);
	is_str(s(pod, "status.phase"), "Succeeded",
	       "a pod that completed for good Succeeded");

	json_decref(pod);
	json_decref(rs);
	json_decref(dj);
	free(d);
	cfg_free(cfg);
	return tap_done();
}
