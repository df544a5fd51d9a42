/*
 * convert_pod.c - a berth pod as a core/v1 Pod: metadata with the
 * pod-template-hash label and a controller reference to its ReplicaSet,
 * one container, and a status whose container state makes the
 * apiserver's STATUS column print what `berth get pods` prints. Also the
 * pod template shared with Deployments and ReplicaSets. Read-only over
 * the model.
 */
#include "convert.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/sigtab.h"
#include "../orchestrator/view.h"
#include "kobj.h"
#include "objects.h"

void kube_ctx_init(struct kube_ctx *k, struct daemon *d, int64_t ns_created_ms)
{
	memset(k, 0, sizeof(*k));
	k->d = d;
	if (gethostname(k->node, sizeof(k->node) - 1) == -1)
		snprintf(k->node, sizeof(k->node), "localhost");
	/* Every read sees one version of everything: the event sequence
	 * moves with every change berth records ("0" means "any" to a
	 * client, hence the + 1). */
	snprintf(k->rv, sizeof(k->rv), "%llu",
		 (unsigned long long)d->event_seq + 1);
	k->now_ms = now_ms();
	k->ns_created_ms = ns_created_ms;
}

void kube_rs_name(const char *deployment, const char *hash, char *buf,
		  size_t len)
{
	snprintf(buf, len, "%s-%s", deployment, hash);
}

static const char *restart_policy(enum restart_policy r)
{
	switch (r) {
	case RESTART_ON_FAILURE:
		return "OnFailure";
	case RESTART_NEVER:
		return "Never";
	case RESTART_ALWAYS:
		break;
	}
	return "Always";
}

static json_t *strv_json(const struct strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *words_json(const struct strv *v)
{
	return strv_json(v);
}

/* exec / httpGet / tcpSocket / sleep, as a probe or a preStop hook. */
static json_t *handler_json(const struct handler_spec *h)
{
	json_t *o = json_object();

	switch (h->kind) {
	case HANDLER_EXEC:
		json_object_set_new(o, "exec",
				    json_pack("{s:o}", "command",
					      words_json(&h->exec_command)));
		break;
	case HANDLER_HTTP: {
		json_t *g = json_pack("{s:s, s:i, s:s}", "path",
				      h->http_path ? h->http_path : "/", "port",
				      h->http_port, "scheme", "HTTP");

		if (h->http_host)
			json_object_set_new(g, "host",
					    json_string(h->http_host));
		if (h->http_headers.n) {
			json_t *hs = json_array();

			for (size_t i = 0; i < h->http_headers.n; i++)
				json_array_append_new(
				    hs,
				    json_pack("{s:s, s:s}", "name",
					      h->http_headers.v[i].key, "value",
					      h->http_headers.v[i].value));
			json_object_set_new(g, "httpHeaders", hs);
		}
		json_object_set_new(o, "httpGet", g);
		break;
	}
	case HANDLER_TCP:
		json_object_set_new(o, "tcpSocket",
				    json_pack("{s:i}", "port", h->tcp_port));
		break;
	case HANDLER_SLEEP:
		json_object_set_new(
		    o, "sleep",
		    json_pack("{s:i}", "seconds", h->sleep_seconds));
		break;
	case HANDLER_NONE:
		break;
	}
	return o;
}

static json_t *probe_json(const struct probe_spec *p)
{
	json_t *o = handler_json(&p->handler);

	json_object_set_new(o, "initialDelaySeconds",
			    json_integer(p->initial_delay_seconds));
	json_object_set_new(o, "periodSeconds",
			    json_integer(p->period_seconds));
	json_object_set_new(o, "timeoutSeconds",
			    json_integer(p->timeout_seconds));
	json_object_set_new(o, "successThreshold",
			    json_integer(p->success_threshold));
	json_object_set_new(o, "failureThreshold",
			    json_integer(p->failure_threshold));
	if (p->termination_grace_period_seconds >= 0)
		json_object_set_new(
		    o, "terminationGracePeriodSeconds",
		    json_integer(p->termination_grace_period_seconds));
	return o;
}

static const char *const pull_names[] = {"Always", "IfNotPresent", "Never"};

static json_t *security_json(const struct deployment_spec *spec)
{
	json_t *sc = json_object();

	if (spec->run_as_user >= 0)
		json_object_set_new(sc, "runAsUser",
				    json_integer(spec->run_as_user));
	if (spec->run_as_group >= 0)
		json_object_set_new(sc, "runAsGroup",
				    json_integer(spec->run_as_group));
	if (spec->read_only_root_filesystem)
		json_object_set_new(sc, "readOnlyRootFilesystem", json_true());
	if (spec->caps_add.n || spec->caps_drop.n) {
		json_t *caps = json_object();

		if (spec->caps_add.n)
			json_object_set_new(caps, "add",
					    strv_json(&spec->caps_add));
		if (spec->caps_drop.n)
			json_object_set_new(caps, "drop",
					    strv_json(&spec->caps_drop));
		json_object_set_new(sc, "capabilities", caps);
	}
	if (spec->seccomp == SECCOMP_UNCONFINED)
		json_object_set_new(sc, "seccompProfile",
				    json_pack("{s:s}", "type", "Unconfined"));
	else if (spec->seccomp == SECCOMP_FILE && spec->seccomp_file)
		json_object_set_new(sc, "seccompProfile",
				    json_pack("{s:s, s:s}", "type", "Localhost",
					      "localhostProfile",
					      spec->seccomp_file));
	return sc;
}

/* The container of a template: every field berth keeps, so a client
 * that reads, changes and writes it back loses nothing (config/manifest.c
 * reads the same shape). */
static json_t *container_json(const char *name, const char *image,
			      const struct deployment_spec *spec)
{
	json_t *c = json_pack("{s:s, s:s, s:s}", "name", name, "image", image,
			      "terminationMessagePolicy", "File");
	json_t *sc, *res = json_object();

	if (spec->image_pull_policy > 0 && spec->image_pull_policy <= 3)
		json_object_set_new(
		    c, "imagePullPolicy",
		    json_string(pull_names[spec->image_pull_policy - 1]));
	if (spec->command.n)
		json_object_set_new(c, "command", strv_json(&spec->command));
	if (spec->args.n)
		json_object_set_new(c, "args", strv_json(&spec->args));
	if (spec->env.n) {
		json_t *env = json_array();

		for (size_t i = 0; i < spec->env.n; i++) {
			const char *kv = spec->env.v[i];
			const char *eq = strchr(kv, '=');

			json_array_append_new(
			    env, json_pack("{s:s%, s:s}", "name", kv,
					   eq ? (size_t)(eq - kv) : strlen(kv),
					   "value", eq ? eq + 1 : ""));
		}
		json_object_set_new(c, "env", env);
	}
	if (spec->working_dir)
		json_object_set_new(c, "workingDir",
				    json_string(spec->working_dir));
	if (spec->port > 0)
		json_object_set_new(c, "ports",
				    json_pack("[{s:i, s:s}]", "containerPort",
					      spec->port, "protocol", "TCP"));
	if (spec->startup_probe.set)
		json_object_set_new(c, "startupProbe",
				    probe_json(&spec->startup_probe));
	if (spec->liveness_probe.set)
		json_object_set_new(c, "livenessProbe",
				    probe_json(&spec->liveness_probe));
	if (spec->readiness_probe.set)
		json_object_set_new(c, "readinessProbe",
				    probe_json(&spec->readiness_probe));
	if (spec->pre_stop.kind != HANDLER_NONE ||
	    (spec->stop_signal && spec->stop_signal != SIGTERM)) {
		json_t *lc = json_object();

		if (spec->pre_stop.kind != HANDLER_NONE)
			json_object_set_new(lc, "preStop",
					    handler_json(&spec->pre_stop));
		if (spec->stop_signal && spec->stop_signal != SIGTERM &&
		    sigtab_name(spec->stop_signal))
			json_object_set_new(
			    lc, "stopSignal",
			    json_string(sigtab_name(spec->stop_signal)));
		json_object_set_new(c, "lifecycle", lc);
	}
	if (spec->memory_limit_bytes > 0 || spec->cpu_limit_millis > 0 ||
	    spec->pids_limit > 0) {
		json_t *lim = json_object();
		char q[32];

		if (spec->memory_limit_bytes > 0)
			json_object_set_new(
			    lim, "memory",
			    json_integer(spec->memory_limit_bytes));
		if (spec->cpu_limit_millis > 0) {
			snprintf(q, sizeof(q), "%lldm",
				 (long long)spec->cpu_limit_millis);
			json_object_set_new(lim, "cpu", json_string(q));
		}
		if (spec->pids_limit > 0)
			json_object_set_new(lim, "pids",
					    json_integer(spec->pids_limit));
		json_object_set_new(res, "limits", lim);
	}
	json_object_set_new(c, "resources", res);
	sc = security_json(spec);
	if (json_object_size(sc))
		json_object_set_new(c, "securityContext", sc);
	else
		json_decref(sc);
	if (spec->n_mounts) {
		json_t *vm = json_array();

		for (size_t i = 0; i < spec->n_mounts; i++) {
			char vol[32];

			snprintf(vol, sizeof(vol), "mount-%zu", i);
			json_array_append_new(
			    vm, json_pack(
				    "{s:s, s:s, s:b}", "name", vol, "mountPath",
				    spec->mounts[i].container_path, "readOnly",
				    spec->mounts[i].read_only));
		}
		json_object_set_new(c, "volumeMounts", vm);
	}
	return c;
}

static json_t *labels_of(const struct deployment *dep, const char *hash)
{
	json_t *o = json_object();

	if (dep)
		for (size_t i = 0; i < dep->spec->labels.n; i++)
			json_object_set_new(
			    o, dep->spec->labels.v[i].key,
			    json_string(dep->spec->labels.v[i].value));
	if (hash && hash[0])
		json_object_set_new(o, "pod-template-hash", json_string(hash));
	return o;
}

static json_t *pod_spec(const char *container, const char *image,
			const struct deployment_spec *spec)
{
	json_t *s = json_object();

	json_object_set_new(
	    s, "containers",
	    json_pack("[o]", container_json(container, image, spec)));
	json_object_set_new(s, "restartPolicy",
			    json_string(restart_policy(spec->restart_policy)));
	json_object_set_new(
	    s, "terminationGracePeriodSeconds",
	    json_integer(spec->termination_grace_period_seconds));
	if (spec->network == NET_HOST)
		json_object_set_new(s, "hostNetwork", json_true());
	if (spec->n_mounts) {
		json_t *vols = json_array();

		for (size_t i = 0; i < spec->n_mounts; i++) {
			char vol[32];

			snprintf(vol, sizeof(vol), "mount-%zu", i);
			json_array_append_new(
			    vols,
			    json_pack("{s:s, s:{s:s}}", "name", vol, "hostPath",
				      "path", spec->mounts[i].host_path));
		}
		json_object_set_new(s, "volumes", vols);
	}
	return s;
}

json_t *kube_pod_template(const struct deployment *dep,
			  const struct deployment_spec *spec, const char *hash)
{
	json_t *t = json_pack("{s:{s:o}, s:o}", "metadata", "labels",
			      labels_of(dep, hash), "spec",
			      pod_spec(kube_container_name(dep),
				       spec->image ? spec->image : "", spec));

	if (spec->restarted_at[0])
		json_object_set_new(
		    json_object_get(t, "metadata"), "annotations",
		    json_pack("{s:s}", "kubectl.kubernetes.io/restartedAt",
			      spec->restarted_at));
	return t;
}

static json_t *owner_ref(const char *api_version, const char *kind,
			 const char *name, int64_t created_ms)
{
	char uid[37];

	kube_uid(kind, name, created_ms, uid);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion",
			 api_version, "kind", kind, "name", name, "uid", uid,
			 "controller", 1, "blockOwnerDeletion", 1);
}

/* The ReplicaSet (revision) a pod belongs to, for its owner reference. */
static const struct revision *pod_revision(const struct pod *p)
{
	const struct deployment *dep = p->deployment;

	for (size_t i = 0; dep && i < dep->n_revisions; i++)
		if (!strcmp(dep->revisions[i].hash, p->hash))
			return &dep->revisions[i];
	return NULL;
}

static const char *pod_phase_name(const struct pod *p)
{
	switch (p->phase) {
	case POD_PENDING:
	case POD_CREATING:
		return "Pending";
	case POD_RUNNING:
		return "Running";
	case POD_CLEANING:
	case POD_WAITING:
		/* Waiting to restart is still Running to Kubernetes. */
		if (p->restart_at_mono > 0)
			return "Running";
		return strcmp(p->last_reason, "Completed") ? "Failed"
							   : "Succeeded";
	case POD_GONE:
		break;
	}
	return "Unknown";
}

static json_t *condition(const char *type, bool status, int64_t ms)
{
	char ts[32];

	kube_timestamp(ms, ts);
	return json_pack("{s:s, s:s, s:s}", "type", type, "status",
			 status ? "True" : "False", "lastTransitionTime", ts);
}

static json_t *container_state(const struct pod *p)
{
	char started[32], finished[32];
	const char *status = pod_status(p);

	kube_timestamp(p->started_ms, started);
	kube_timestamp(p->finished_ms, finished);
	switch (p->phase) {
	case POD_PENDING:
		return json_pack("{s:{s:s}}", "waiting", "reason", "Pending");
	case POD_CREATING:
		return json_pack("{s:{s:s}}", "waiting", "reason",
				 "ContainerCreating");
	case POD_RUNNING:
		return json_pack("{s:{s:s}}", "running", "startedAt", started);
	case POD_CLEANING:
	case POD_WAITING:
		if (!strcmp(status, "CrashLoopBackOff"))
			return json_pack("{s:{s:s, s:s}}", "waiting", "reason",
					 "CrashLoopBackOff", "message",
					 p->last_message);
		return json_pack(
		    "{s:{s:i, s:s, s:s, s:s}}", "terminated", "exitCode",
		    p->last_exit_code < 0 ? 0 : p->last_exit_code, "reason",
		    p->last_reason[0] ? p->last_reason : "Unknown", "startedAt",
		    started, "finishedAt", finished);
	case POD_GONE:
		break;
	}
	return json_object();
}

static json_t *pod_status_json(const struct kube_ctx *k, const struct pod *p,
			       const char *container)
{
	bool ready = pod_is_ready(p);
	char started[32];
	json_t *cs, *st;
	int64_t ready_ms =
	    ready ? clock_mono_to_wall(p->ready_since_mono) : p->created_ms;

	kube_timestamp(p->created_ms, started);
	cs = json_pack("{s:s, s:b, s:i, s:s, s:s, s:o, s:b}", "name", container,
		       "ready", ready, "restartCount", p->restarts, "image",
		       p->image ? p->image : "", "imageID", "", "state",
		       container_state(p), "started", p->phase == POD_RUNNING);
	if (p->phase == POD_RUNNING) {
		char id[96];

		snprintf(id, sizeof(id), "runc://%s", p->name);
		json_object_set_new(cs, "containerID", json_string(id));
	}
	if (p->restarts > 0 && p->finished_ms > 0) {
		char finished[32], last_started[32];

		kube_timestamp(p->finished_ms, finished);
		kube_timestamp(p->last_started_ms, last_started);
		json_object_set_new(
		    cs, "lastState",
		    json_pack(
			"{s:{s:i, s:s, s:s, s:s}}", "terminated", "exitCode",
			p->last_exit_code < 0 ? 0 : p->last_exit_code, "reason",
			p->last_reason[0] ? p->last_reason : "Unknown",
			"startedAt", last_started, "finishedAt", finished));
	}
	st = json_pack("{s:s, s:[o,o,o,o], s:s, s:[o]}", "phase",
		       pod_phase_name(p), "conditions",
		       condition("PodScheduled", true, p->created_ms),
		       condition("Initialized", true, p->created_ms),
		       condition("ContainersReady", ready, ready_ms),
		       condition("Ready", ready, ready_ms), "startTime",
		       started, "containerStatuses", cs);
	json_object_set_new(st, "hostIP", json_string("127.0.0.1"));
	json_object_set_new(st, "qosClass", json_string("BestEffort"));
	/* A private pod has its own network namespace with loopback only:
	 * it has no address anyone could reach. */
	if (p->spec && p->spec->network == NET_HOST &&
	    p->phase == POD_RUNNING) {
		json_object_set_new(st, "podIP", json_string("127.0.0.1"));
		json_object_set_new(st, "podIPs",
				    json_pack("[{s:s}]", "ip", "127.0.0.1"));
	}
	(void)k;
	return st;
}

json_t *kube_pod(const struct kube_ctx *k, const struct pod *p)
{
	const char *container =
	    p->deployment ? kube_container_name(p->deployment) : p->name;
	json_t *meta =
	    kube_meta("Pod", p->name, KUBE_NAMESPACE, p->created_ms, k->rv);
	const struct revision *rev = pod_revision(p);
	json_t *spec;

	json_object_set_new(meta, "labels", labels_of(p->deployment, p->hash));
	if (p->deployment) {
		char rs[160];

		kube_rs_name(p->deployment->name, p->hash, rs, sizeof(rs));
		json_object_set_new(
		    meta, "ownerReferences",
		    json_pack("[o]",
			      owner_ref("apps/v1", "ReplicaSet", rs,
					rev ? rev->created_ms
					    : p->deployment->created_ms)));
	}
	if (pod_leaving(p)) {
		char ts[32];

		kube_timestamp(clock_mono_to_wall(p->term_started_mono), ts);
		json_object_set_new(meta, "deletionTimestamp", json_string(ts));
		json_object_set_new(meta, "deletionGracePeriodSeconds",
				    json_integer(p->grace_seconds));
	}
	if (p->spec)
		spec = pod_spec(container, p->image ? p->image : "", p->spec);
	else
		spec = json_object();
	json_object_set_new(spec, "nodeName", json_string(k->node));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "apiVersion", "v1",
			 "kind", "Pod", "metadata", meta, "spec", spec,
			 "status", pod_status_json(k, p, container));
}

json_t *kube_owner_ref(const char *api_version, const char *kind,
		       const char *name, int64_t created_ms)
{
	return owner_ref(api_version, kind, name, created_ms);
}
