/*
 * test_config.c - cfg_load(): every field and default of a full valid file,
 * the defaults of a minimal one, the exact text of many errors, and the
 * golden cases under tests/config (NAME.ini -> NAME.expected). Run from the
 * repository root.
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../config/config.h"
#include "../lib/tap.h"

static char repo[4096];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static char *read_line(const char *path)
{
	static char buf[1024];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void check_full(void)
{
	struct berth_config *c = NULL;
	struct berr err = BERR_INIT;
	char want[8192];
	const struct deployment_spec *d, *w;
	const struct service_spec *s;
	int rc = cfg_load("tests/config/valid-full.ini", &c, &err);

	is_int(rc, 0, "valid-full.ini loads");
	if (rc != 0) {
		printf("#   %s\n", err.msg);
		return;
	}
	snprintf(want, sizeof(want), "%s/tests/config/valid-full.ini", repo);
	is_str(c->path, want, "path is absolute");
	snprintf(want, sizeof(want), "%s/tests/config/state", repo);
	is_str(c->state_dir, want, "relative state_dir resolved");
	is_str(c->run_dir, "/tmp/berth-run", "run_dir");
	is_str(c->runtime, "crun", "runtime");
	is_str(c->admin, "[::1]:9190", "admin");
	is_int(c->backoff_initial_seconds, 1, "backoff initial");
	is_int(c->backoff_max_seconds, 8, "backoff max");
	is_int(c->backoff_reset_seconds, 30, "backoff reset");
	is_int(c->n_deployments, 2, "two deployments");
	is_int(c->n_services, 2, "two services");

	d = cfg_find_deployment(c, "echo");
	ok(d != NULL, "find echo");
	ok(cfg_find_deployment(c, "nope") == NULL, "find unknown is NULL");
	if (d == NULL)
		goto out;
	is_int(d->line, 11, "header line");
	snprintf(want, sizeof(want), "%s/tests/config/rootfs", repo);
	is_str(d->image, want, "image absolute");
	is_int(d->command.n, 3, "command words");
	is_str(d->command.v[0], "/bin/echo-version", "command[0]");
	is_str(d->command.v[1], "--name", "command[1]");
	is_str(d->command.v[2], "echo 0.1.0", "command[2] quoted + $(VAR)");
	ok(d->command.v[3] == NULL, "command NULL-terminated");
	is_int(d->args.n, 4, "args words");
	is_str(d->args.v[0], "--listen", "args[0]");
	is_str(d->args.v[1], ":8080", "args[1]");
	is_str(d->args.v[2], "--tag=v0.1.0", "args[2] chained $(VAR)");
	is_str(d->args.v[3], "$(VERSION)", "args[3] $$ escape");
	is_int(d->env.n, 2, "env count");
	is_str(d->env.v[0], "VERSION=0.1.0", "env[0]");
	is_str(d->env.v[1], "TAG=v0.1.0", "env[1] expanded");
	is_str(d->working_dir, "/srv", "workingDir");
	is_int(d->n_mounts, 2, "mounts");
	snprintf(want, sizeof(want), "%s/tests/config/data", repo);
	is_str(d->mounts[0].host_path, want, "mount host resolved");
	is_str(d->mounts[0].container_path, "/data", "mount container");
	ok(d->mounts[0].read_only, "mount ro");
	is_str(d->mounts[1].host_path, "/tmp", "mount 2 host");
	ok(!d->mounts[1].read_only, "mount 2 rw");
	is_int(d->replicas, 4, "replicas");
	is_int(d->labels.n, 2, "labels");
	is_str(kvlist_get(&d->labels, "app"), "echo", "label app");
	is_str(kvlist_get(&d->labels, "track"), "stable", "label track");
	is_int(d->port, 8080, "port");
	is_int(d->network, NET_HOST, "network host");
	is_int(d->strategy, STRATEGY_ROLLING_UPDATE, "strategy");
	is_int(d->max_surge.value, 1, "maxSurge value");
	ok(!d->max_surge.percent, "maxSurge not percent");
	is_int(d->max_unavailable.value, 0, "maxUnavailable 0");
	is_int(d->min_ready_seconds, 5, "minReadySeconds");
	is_int(d->progress_deadline_seconds, 120, "progressDeadlineSeconds");
	ok(d->progress_deadline_abort, "progressDeadlineAbort");
	is_int(d->revision_history_limit, 3, "revisionHistoryLimit");
	is_int(d->restart_policy, RESTART_ON_FAILURE, "restartPolicy");
	is_int(d->termination_grace_period_seconds, 20, "grace");
	is_int(d->stop_signal, SIGQUIT, "stopSignal");
	is_int(d->pre_stop.kind, HANDLER_HTTP, "preStop http");
	is_str(d->pre_stop.http_path, "/drain", "preStop path");
	is_int(d->pre_stop.http_port, 8080, "preStop port");
	is_str(d->pre_stop.http_host, "localhost", "preStop host");

	ok(d->startup_probe.set, "startup set");
	is_int(d->startup_probe.handler.kind, HANDLER_EXEC, "startup exec");
	is_int(d->startup_probe.handler.exec_command.n, 3, "startup argv");
	is_str(d->startup_probe.handler.exec_command.v[2], "/tmp/warm",
	       "startup argv[2]");
	is_int(d->startup_probe.failure_threshold, 30, "startup failure");
	is_int(d->startup_probe.period_seconds, 2, "startup period");
	is_int(d->startup_probe.timeout_seconds, 1, "startup timeout default");
	ok(d->liveness_probe.set, "liveness set");
	is_int(d->liveness_probe.handler.kind, HANDLER_TCP, "liveness tcp");
	is_int(d->liveness_probe.handler.tcp_port, 8080, "liveness port");
	is_int(d->liveness_probe.initial_delay_seconds, 3, "liveness delay");
	is_int(d->liveness_probe.termination_grace_period_seconds, 5,
	       "liveness grace");
	is_int(d->liveness_probe.success_threshold, 1, "liveness success");
	ok(d->readiness_probe.set, "readiness set");
	is_int(d->readiness_probe.handler.kind, HANDLER_HTTP, "readiness http");
	is_str(d->readiness_probe.handler.http_path, "/healthz", "path");
	is_int(d->readiness_probe.handler.http_port, 8080, "http port");
	ok(d->readiness_probe.handler.http_host == NULL, "no host");
	is_int(d->readiness_probe.handler.http_headers.n, 2, "headers");
	is_str(d->readiness_probe.handler.http_headers.v[0].key, "X-Probe",
	       "header name");
	is_str(d->readiness_probe.handler.http_headers.v[0].value, "berth",
	       "header value");
	is_str(kvlist_get(&d->readiness_probe.handler.http_headers, "Accept"),
	       "text/plain", "second header");
	is_int(d->readiness_probe.period_seconds, 1, "readiness period");
	is_int(d->readiness_probe.timeout_seconds, 2, "readiness timeout");
	is_int(d->readiness_probe.success_threshold, 2, "readiness success");
	is_int(d->readiness_probe.failure_threshold, 4, "readiness failure");
	is_int(d->readiness_probe.termination_grace_period_seconds, -1,
	       "readiness grace unset");
	is_int(d->memory_limit_bytes, 1610612736LL, "memory 1.5Gi");
	is_int(d->cpu_limit_millis, 500, "cpu 500m");
	is_int(d->pids_limit, 256, "pids");
	is_int(d->run_as_user, 1000, "runAsUser");
	is_int(d->run_as_group, 1001, "runAsGroup");
	ok(d->read_only_root_filesystem, "readOnlyRootFilesystem");
	is_int(d->caps_drop.n, 1, "drop count");
	is_str(d->caps_drop.v[0], "ALL", "drop ALL");
	is_int(d->caps_add.n, 2, "add count");
	is_str(d->caps_add.v[0], "NET_BIND_SERVICE", "cap normalized");
	is_str(d->caps_add.v[1], "CHOWN", "cap 2");
	is_int(d->seccomp, SECCOMP_FILE, "seccomp file");
	snprintf(want, sizeof(want), "%s/tests/config/seccomp-ok.json", repo);
	is_str(d->seccomp_file, want, "seccomp path");

	w = cfg_find_deployment(c, "worker");
	ok(w != NULL, "find worker");
	if (w != NULL) {
		snprintf(want, sizeof(want), "%s/tests/config/rootfs", repo);
		is_str(w->image, want, "./rootfs/ normalized");
		is_int(w->command.n, 3, "sh -c words");
		is_str(w->command.v[2], "sleep 1000", "single quotes");
		is_int(w->pre_stop.kind, HANDLER_SLEEP, "preStop sleep");
		is_int(w->pre_stop.sleep_seconds, 5, "sleep seconds");
		is_int(w->strategy, STRATEGY_RECREATE, "Recreate");
	}

	s = &c->services[0];
	is_str(s->name, "echo", "service name");
	is_int(s->line, 68, "service line");
	is_str(s->listen, "0.0.0.0:8080", "listen");
	is_int(s->selector.n, 1, "selector");
	is_int(s->target_port, 8080, "targetPort");
	is_int(s->mode, SERVICE_TCP, "mode tcp");
	is_int(s->balance, BALANCE_LEAST_CONN, "least-conn");
	is_int(s->timeout_connect_ms, 2000, "connect ms");
	is_int(s->timeout_client_ms, 30000, "client ms");
	is_int(s->timeout_server_ms, 31000, "server ms");
	is_int(s->timeout_response_ms, 10000, "response ms");
	s = &c->services[1];
	is_str(s->listen, "[::1]:8081", "v6 listen");
	is_int(s->mode, SERVICE_HTTP, "mode default http");
	is_int(s->timeout_connect_ms, 5000, "connect default");
	is_int(s->timeout_client_ms, 60000, "client default");
	ok(kvlist_matches(&s->selector, &d->labels), "selector matches");
	ok(!kvlist_matches(&s->selector, &w->labels), "selector no match");
out:
	cfg_free(c);
}

static void check_defaults(void)
{
	struct berth_config *c = NULL;
	struct berr err = BERR_INIT;
	const struct deployment_spec *d;
	const struct service_spec *s;
	int rc;

	write_file("min.ini", "[deployment web]\n"
			      "image = rootfs\n"
			      "command = /bin/web\n"
			      "[service web]\n"
			      "listen = 127.0.0.1:8080\n"
			      "selector = app=web\n"
			      "targetPort = 80\n");
	rc = cfg_load("min.ini", &c, &err);
	is_int(rc, 0, "minimal file loads");
	if (rc != 0) {
		printf("#   %s\n", err.msg);
		return;
	}
	is_str(c->state_dir, "/var/lib/berth", "default state_dir");
	is_str(c->run_dir, "/run/berth", "default run_dir");
	is_str(c->runtime, "runc", "default runtime");
	is_str(c->admin, "127.0.0.1:9180", "default admin");
	is_int(c->backoff_initial_seconds, 10, "default backoff initial");
	is_int(c->backoff_max_seconds, 300, "default backoff max");
	is_int(c->backoff_reset_seconds, 600, "default backoff reset");
	d = &c->deployments[0];
	is_int(d->args.n, 0, "no args");
	ok(d->args.v == NULL, "args vector NULL");
	is_int(d->env.n, 0, "no env");
	ok(d->working_dir == NULL, "workingDir NULL");
	is_int(d->n_mounts, 0, "no mounts");
	is_int(d->port, 0, "port unset");
	is_int(d->network, NET_PRIVATE, "network private");
	is_int(d->restart_policy, RESTART_ALWAYS, "restart Always");
	is_int(d->termination_grace_period_seconds, 30, "grace 30");
	is_int(d->stop_signal, SIGTERM, "SIGTERM");
	is_int(d->pre_stop.kind, HANDLER_NONE, "no preStop");
	ok(!d->startup_probe.set, "no startup probe");
	ok(!d->liveness_probe.set, "no liveness probe");
	ok(!d->readiness_probe.set, "no readiness probe");
	is_int(d->readiness_probe.period_seconds, 10, "probe period 10");
	is_int(d->readiness_probe.timeout_seconds, 1, "probe timeout 1");
	is_int(d->readiness_probe.success_threshold, 1, "probe success 1");
	is_int(d->readiness_probe.failure_threshold, 3, "probe failure 3");
	is_int(d->readiness_probe.initial_delay_seconds, 0, "probe delay 0");
	is_int(d->memory_limit_bytes, 0, "no memory limit");
	is_int(d->cpu_limit_millis, 0, "no cpu limit");
	is_int(d->pids_limit, 0, "no pids limit");
	is_int(d->run_as_user, -1, "runAsUser unset");
	is_int(d->run_as_group, -1, "runAsGroup unset");
	ok(!d->read_only_root_filesystem, "rw root");
	is_int(d->caps_drop.n + d->caps_add.n, 0, "no caps changes");
	is_int(d->seccomp, SECCOMP_RUNTIME_DEFAULT, "seccomp RuntimeDefault");
	ok(d->seccomp_file == NULL, "no seccomp file");
	is_int(d->replicas, 1, "replicas 1");
	is_int(d->labels.n, 0, "no labels");
	is_int(d->strategy, STRATEGY_ROLLING_UPDATE, "RollingUpdate");
	ok(d->max_surge.percent && d->max_surge.value == 25, "maxSurge 25%%");
	ok(d->max_unavailable.percent && d->max_unavailable.value == 25,
	   "maxUnavailable 25%%");
	is_int(d->min_ready_seconds, 0, "minReadySeconds 0");
	is_int(d->progress_deadline_seconds, 600, "progressDeadline 600");
	ok(!d->progress_deadline_abort, "no abort");
	is_int(d->revision_history_limit, 10, "history 10");
	s = &c->services[0];
	is_int(s->mode, SERVICE_HTTP, "mode http");
	is_int(s->balance, BALANCE_ROUND_ROBIN, "round-robin");
	is_int(s->timeout_connect_ms, 5000, "connect 5s");
	is_int(s->timeout_client_ms, 60000, "client 60s");
	is_int(s->timeout_server_ms, 60000, "server 60s");
	is_int(s->timeout_response_ms, 60000, "response 60s");
	cfg_free(c);

	write_file("off.ini", "[berth]\nadmin = off\n");
	rc = cfg_load("off.ini", &c, &err);
	is_int(rc, 0, "admin off loads");
	if (rc == 0) {
		ok(c->admin == NULL, "admin off is NULL");
		is_int(c->n_deployments, 0, "no deployments");
		cfg_free(c);
	}
	write_file("empty.ini", "");
	rc = cfg_load("empty.ini", &c, &err);
	is_int(rc, 0, "empty file loads");
	if (rc == 0)
		cfg_free(c);
}

#define HDR "[deployment echo]\nimage = rootfs\ncommand = /bin/echo\n"

/* {file text, exact error} with the file written as t.ini. */
static const char *const bad[][2] = {
    {HDR "replicas = four\n",
     "t.ini:4: replicas: \"four\" is not a non-negative integer"},
    {HDR "replicas = -1\n",
     "t.ini:4: replicas: \"-1\" is not a non-negative integer"},
    {HDR "replica = 4\n",
     "t.ini:4: unknown key \"replica\" in [deployment echo]"},
    {"[berth]\nreplicas = 4\n", "t.ini:2: unknown key \"replicas\" in [berth]"},
    {"[service web]\nimage = x\n",
     "t.ini:2: unknown key \"image\" in [service web]"},
    {HDR "readinessProbe.sleep.seconds = 1\n",
     "t.ini:4: unknown key \"readinessProbe.sleep.seconds\" in "
     "[deployment echo]"},
    {HDR "strategy.rollingUpdate.maxSurge = 0\n"
	 "strategy.rollingUpdate.maxUnavailable = 0\n",
     "t.ini:5: strategy.rollingUpdate.maxSurge and maxUnavailable cannot "
     "both be 0"},
    {HDR "strategy.rollingUpdate.maxUnavailable = 101%\n",
     "t.ini:4: strategy.rollingUpdate.maxUnavailable: \"101%\" must not "
     "exceed 100%"},
    {HDR "strategy.rollingUpdate.maxSurge = 1.5\n",
     "t.ini:4: strategy.rollingUpdate.maxSurge: \"1.5\" is not a "
     "non-negative integer or percentage (e.g. 1 or 25%)"},
    {HDR "strategy.type = Recreate\nstrategy.rollingUpdate.maxSurge = 1\n",
     "t.ini:5: strategy.rollingUpdate.* may not be set when strategy.type "
     "is Recreate"},
    {"[deployment echo]\ncommand = /bin/echo\n",
     "t.ini:1: image is required in [deployment echo]"},
    {"[deployment echo]\nimage = rootfs\n",
     "t.ini:1: command is required in [deployment echo]"},
    {"[deployment echo]\nimage = ./nothere\n",
     "t.ini:2: image directory \"./nothere\" does not exist (resolved to "
     "././nothere)"},
    {"[deployment echo]\nimage = t.ini\n",
     "t.ini:2: image \"t.ini\" is not a directory (resolved to ./t.ini)"},
    {HDR "command = /bin/true\n",
     "t.ini:4: duplicate key \"command\" in [deployment echo] (first set "
     "on line 3)"},
    {HDR "args = \"unterminated\n", "t.ini:4: args: unterminated double quote"},
    {HDR "env = 1X=2\n",
     "t.ini:4: env: \"1X\" is not a valid variable name (letters, digits, "
     "'_', '-' and '.', not starting with a digit)"},
    {HDR "env = NOVALUE\n", "t.ini:4: env: \"NOVALUE\" is not NAME=VALUE"},
    {HDR "workingDir = srv\n",
     "t.ini:4: workingDir: \"srv\" must be an absolute path"},
    {HDR "mount = /a\n",
     "t.ini:4: mount: \"/a\" is not HOST:CONTAINER or HOST:CONTAINER:ro"},
    {HDR "mount = /a:/b:rx\n",
     "t.ini:4: mount: option \"rx\" in \"/a:/b:rx\" must be ro or rw"},
    {HDR "mount = /a:/b\nmount = /c:/b/\n",
     "t.ini:5: mount: container path \"/b\" is already mounted"},
    {HDR "port = 0\n", "t.ini:4: port: \"0\" is not a port number (1-65535)"},
    {HDR "port = 65536\n",
     "t.ini:4: port: \"65536\" is not a port number (1-65535)"},
    {HDR "network = bridge\n",
     "t.ini:4: network: \"bridge\" is not one of private, host"},
    {HDR "strategy.type = rolling\n",
     "t.ini:4: strategy.type: \"rolling\" is not one of RollingUpdate, "
     "Recreate, BlueGreen, Canary"},
    {HDR "strategy.type = BlueGreen\n",
     "t.ini:4: strategy.blueGreen.activeService is required when "
     "strategy.type is BlueGreen (the [service] whose traffic moves to the "
     "new revision at promotion)"},
    {HDR "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = "
	 "web\n",
     "t.ini:5: strategy.blueGreen.activeService: no [service web] in this "
     "file"},
    {HDR "labels = app=echo\nstrategy.type = BlueGreen\n"
	 "strategy.blueGreen.activeService = web\n"
	 "[service web]\nlisten = 127.0.0.1:1\nselector = app=other\n"
	 "targetPort = 80\n",
     "t.ini:6: strategy.blueGreen.activeService: the selector of [service "
     "web] (line 7) does not select the pods of [deployment echo] (their "
     "labels must include every pair of it)"},
    {HDR "labels = app=echo\nstrategy.type = BlueGreen\n"
	 "strategy.blueGreen.activeService = web\n"
	 "strategy.blueGreen.previewService = web\n"
	 "[service web]\nlisten = 127.0.0.1:1\nselector = app=echo\n"
	 "targetPort = 80\n",
     "t.ini:7: strategy.blueGreen.previewService must not be the "
     "activeService (web)"},
    {HDR "labels = app=echo\nstrategy.type = BlueGreen\n"
	 "strategy.blueGreen.activeService = web\n"
	 "strategy.blueGreen.autoPromotionEnabled = false\n"
	 "strategy.blueGreen.autoPromotionSeconds = 5\n"
	 "[service web]\nlisten = 127.0.0.1:1\nselector = app=echo\n"
	 "targetPort = 80\n",
     "t.ini:8: strategy.blueGreen.autoPromotionSeconds has no effect when "
     "autoPromotionEnabled is false"},
    {HDR "labels = app=echo\nstrategy.type = BlueGreen\n"
	 "strategy.blueGreen.activeService = web\n"
	 "strategy.rollingUpdate.maxSurge = 1\n"
	 "[service web]\nlisten = 127.0.0.1:1\nselector = app=echo\n"
	 "targetPort = 80\n",
     "t.ini:7: strategy.rollingUpdate.* may not be set when strategy.type "
     "is BlueGreen (the new revision comes up beside the old one in full)"},
    {HDR "strategy.blueGreen.scaleDownDelaySeconds = 5\n",
     "t.ini:4: strategy.blueGreen.* may only be set when strategy.type is "
     "BlueGreen"},
    {HDR "strategy.blueGreen.prePromotionAnalysis = Bad_Name\n",
     "t.ini:4: strategy.blueGreen.prePromotionAnalysis: \"Bad_Name\" is not "
     "a section name (a lowercase DNS-1123 label of at most 40 "
     "characters)"},
    {HDR "strategy.blueGreen.previewReplicaCount = 0\n",
     "t.ini:4: strategy.blueGreen.previewReplicaCount: \"0\" is not a "
     "positive integer"},
    {HDR "strategy.canary.dynamicStableScale = true\n",
     "t.ini:4: strategy.canary.dynamicStableScale may only be set when "
     "strategy.type is Canary"},
    {HDR "strategy.canary.steps = setWeight 5\n",
     "t.ini:4: strategy.canary.steps may only be set when strategy.type is "
     "Canary"},
    {HDR "strategy.type = Canary\nstrategy.canary.steps = setWeight 101\n",
     "t.ini:5: strategy.canary.steps: step 1: setWeight takes one "
     "percentage 0..100 (e.g. setWeight 20)"},
    {HDR "strategy.type = Canary\nstrategy.canary.steps = setWeight 5, "
	 "wait 3\n",
     "t.ini:5: strategy.canary.steps: step 2: `wait` is not a step "
     "(setWeight, pause, setCanaryScale, setHeaderRoute, setMirrorRoute, "
     "analysis)"},
    /* [analysis NAME] */
    {"[analysis]\n", "t.ini:1: [analysis] needs one name: [analysis NAME]"},
    {"[analysis a]\n[analysis a]\n",
     "t.ini:2: duplicate section [analysis a] (first defined on line 1)"},
    {"[analysis a]\ninterval = 5s\n",
     "t.ini:2: unknown key \"interval\" in [analysis a] (keys are "
     "metrics.METRIC.FIELD, e.g. metrics.success-rate.interval)"},
    {"[analysis a]\nmetrics.m.intervl = 5s\n",
     "t.ini:2: unknown key \"metrics.m.intervl\" in [analysis a]"},
    {"[analysis a]\nmetrics.M.interval = 5s\n",
     "t.ini:2: metrics.M.interval: metric name \"M\" must be a lowercase "
     "DNS-1123 label"},
    {"[analysis a]\nmetrics.m.interval = 5s\nmetrics.m.interval = 6s\n",
     "t.ini:3: duplicate key \"metrics.m.interval\" in [analysis a] (first "
     "set on line 2)"},
    {"[analysis a]\nmetrics.m.interval = 5 s\n",
     "t.ini:2: metrics.m.interval: \"5 s\" is not a duration (N, Nms, Ns, "
     "Nm or Nh)"},
    {"[analysis a]\nmetrics.m.successCondition = result >=\n",
     "t.ini:2: metrics.m.successCondition: column 10: expected a number, "
     "`result` or `(`, found the end of the condition"},
    {"[analysis a]\nmetrics.m.provider.berth.minRequests = 5\n"
     "metrics.m.provider.exec.command = true\n",
     "t.ini:3: metric m: both provider.berth and provider.exec are set; "
     "choose one provider"},
    {"[analysis a]\nmetrics.m.interval = 5s\n",
     "t.ini:2: [analysis a] metric m has no provider (provider.berth.*, "
     "provider.web.url or provider.exec.command)"},
    {"[analysis a]\nmetrics.m.provider.berth.minRequests = 5\n",
     "t.ini:2: [analysis a] metric m: the berth provider needs "
     "successCondition or failureCondition (e.g. result.successRate >= "
     "0.99)"},
    {"[analysis a]\nmetrics.m.provider.berth.minRequests = 5\n"
     "metrics.m.interval = 5s\n"
     "metrics.m.failureCondition = result.latency > 1\n",
     "t.ini:4: metrics.m.failureCondition: column 1: the berth provider "
     "has no `result.latency` (it gives result (= result.successRate), "
     "result.requests, result.successRate, result.errorRate, "
     "result.errors, result.p50, result.p90, result.p99)"},
    {"[analysis a]\nmetrics.m.provider.berth.minRequests = 5\n"
     "metrics.m.successCondition = result > 0.9\n",
     "t.ini:2: [analysis a] metric m: the berth provider needs an interval "
     "(the window its counters are read over)"},
    {"[analysis a]\nmetrics.m.provider.exec.command = true\n"
     "metrics.m.count = 3\n",
     "t.ini:2: [analysis a] metric m: count 3 needs an interval"},
    {"[analysis a]\nmetrics.m.provider.web.url = http://example.com/\n",
     "t.ini:2: metrics.m.provider.web.url: \"http://example.com/\": the "
     "host must be 127.0.0.1, [::1] or localhost"},
    {"[analysis a]\nmetrics.m.provider.web.jsonPath = $.x\n",
     "t.ini:2: [analysis a] metric m: provider.web.url is required"},
    {HDR "strategy.type = Canary\n"
	 "strategy.canary.steps = setWeight 10, analysis nope\n",
     "t.ini:5: strategy.canary.steps: analysis: no [analysis nope] section "
     "in this file"},
    {HDR "strategy.type = Canary\n"
	 "strategy.canary.steps = setWeight 10, analysis\n",
     "t.ini:5: strategy.canary.steps: step 2: analysis takes the names of "
     "[analysis NAME] sections (e.g. analysis error-rate)"},
    {HDR "strategy.canary.analysis.templates = a\n[analysis a]\n"
	 "metrics.m.provider.exec.command = true\n",
     "t.ini:4: strategy.canary.analysis.* may only be set when "
     "strategy.type is Canary"},
    {HDR "strategy.type = Canary\n"
	 "strategy.canary.steps = setWeight 10\n"
	 "strategy.canary.analysis.startingStep = 1\n",
     "t.ini:6: strategy.canary.analysis.startingStep 1: there are only 1 "
     "steps (it is a 0-based index)"},
    {HDR "strategy.type = Canary\nstrategy.canary.steps = setMirrorRoute "
	 "120\n",
     "t.ini:5: strategy.canary.steps: step 1: setMirrorRoute takes nothing "
     "(removes the mirror) or one percentage 0..100 (e.g. setMirrorRoute "
     "20)"},
    {HDR "strategy.canary.stickiness.cookie = side\n",
     "t.ini:4: strategy.canary.stickiness.cookie may only be set when "
     "strategy.type is Canary"},
    {HDR "strategy.type = Canary\nstrategy.canary.stickiness.cookie = "
	 "a;b\n",
     "t.ini:5: strategy.canary.stickiness.cookie: `a;b` is not a cookie name "
     "(a token of at most 63 characters, no separators)"},
    {HDR "strategy.type = Canary\nstrategy.canary.steps = pause 3d\n",
     "t.ini:5: strategy.canary.steps: step 1: pause takes nothing (until "
     "promoted) or a duration: N, Ns, Nm or Nh"},
    {HDR "strategy.type = Canary\nstrategy.canary.steps = setHeaderRoute "
	 "X-A regex ([\n",
     "t.ini:5: strategy.canary.steps: step 1: regex `([`: Unmatched [, "
     "[^, [:, [., or [="},
    {HDR "strategy.type = Canary\nstrategy.canary.steps = setHeaderRoute "
	 "X-A glob a*\n",
     "t.ini:5: strategy.canary.steps: step 1: `glob` is not exact, prefix "
     "or regex"},
    {HDR "strategy.type = Canary\nstrategy.canary.steps = setCanaryScale "
	 "pods 3\n",
     "t.ini:5: strategy.canary.steps: step 1: setCanaryScale takes "
     "replicas N, weight N (0..100) or matchTrafficWeight"},
    {HDR "labels = app=echo,app=x\n",
     "t.ini:4: labels: key \"app\" is given twice"},
    {HDR "labels = app\n", "t.ini:4: labels: \"app\" is not key=value"},
    {HDR "progressDeadlineAbort = yes\n",
     "t.ini:4: progressDeadlineAbort: \"yes\" is not true or false"},
    {HDR "minReadySeconds = 700\n",
     "t.ini:4: progressDeadlineSeconds (600) must be greater than "
     "minReadySeconds (700)"},
    {HDR "terminationGracePeriodSeconds = -5\n",
     "t.ini:4: terminationGracePeriodSeconds: \"-5\" is not a "
     "non-negative integer"},
    {HDR "lifecycle.stopSignal = SIGFOO\n",
     "t.ini:4: lifecycle.stopSignal: \"SIGFOO\" is not a signal (e.g. "
     "SIGTERM, SIGQUIT, QUIT or 15)"},
    {HDR "lifecycle.preStop.sleep.seconds = 5\n"
	 "lifecycle.preStop.exec.command = /bin/stop\n",
     "t.ini:5: lifecycle.preStop: both sleep and exec are set; choose "
     "exactly one handler"},
    {HDR "lifecycle.preStop.sleep.seconds = 40\n",
     "t.ini:4: lifecycle.preStop.sleep.seconds (40) must not exceed "
     "terminationGracePeriodSeconds (30)"},
    {HDR "lifecycle.preStop.httpGet.path = /drain\n",
     "t.ini:4: lifecycle.preStop.httpGet.port is required"},
    {HDR "readinessProbe.exec.command = true\n"
	 "readinessProbe.tcpSocket.port = 80\n",
     "t.ini:5: readinessProbe: both exec and tcpSocket are set; choose "
     "exactly one handler"},
    {HDR "livenessProbe.periodSeconds = 5\n",
     "t.ini:4: livenessProbe has no handler: set exec.command, "
     "httpGet.port or tcpSocket.port"},
    {HDR "startupProbe.tcpSocket.port = 80\n"
	 "startupProbe.successThreshold = 3\n",
     "t.ini:5: startupProbe.successThreshold: must be 1 for a "
     "startupProbe (got \"3\")"},
    {HDR "readinessProbe.tcpSocket.port = 80\n"
	 "readinessProbe.terminationGracePeriodSeconds = 3\n",
     "t.ini:5: readinessProbe.terminationGracePeriodSeconds: not allowed "
     "on a readiness probe (only livenessProbe and startupProbe have it)"},
    {HDR "readinessProbe.tcpSocket.port = 80/tcp\n",
     "t.ini:4: readinessProbe.tcpSocket.port: \"80/tcp\" is neither a port "
     "number (1-65535) nor a port name (at most 15 lowercase letters, "
     "digits and '-', with a letter, no '-' at either end and no \"--\")"},
    {HDR "readinessProbe.httpGet.port = 80\n"
	 "readinessProbe.httpGet.scheme = HTTPS\n",
     "t.ini:5: readinessProbe.httpGet.scheme: \"HTTPS\" is not supported; "
     "use HTTP"},
    {HDR "readinessProbe.httpGet.path = healthz\n",
     "t.ini:4: readinessProbe.httpGet.path: \"healthz\" must start with / "
     "and contain no blanks"},
    {HDR "readinessProbe.httpGet.httpHeaders = no colon\n",
     "t.ini:4: readinessProbe.httpGet.httpHeaders: \"no colon\" is not "
     "\"Name: value\""},
    {HDR "readinessProbe.tcpSocket.port = 80\n"
	 "readinessProbe.periodSeconds = 0\n",
     "t.ini:5: readinessProbe.periodSeconds: \"0\" is not a positive "
     "integer"},
    {HDR "resources.limits.memory = 0\n",
     "t.ini:4: resources.limits.memory: \"0\" must be greater than 0 "
     "(leave the key out for no limit)"},
    {HDR "resources.limits.cpu = 1k\n",
     "t.ini:4: resources.limits.cpu: \"1k\" is not a quantity (e.g. 500m, "
     "0.5 or 2)"},
    {HDR "resources.limits.memory = 16Ei\n",
     "t.ini:4: resources.limits.memory: \"16Ei\" is too large"},
    {HDR "securityContext.runAsUser = root\n",
     "t.ini:4: securityContext.runAsUser: \"root\" is not a non-negative "
     "integer"},
    {HDR "securityContext.capabilities.add = NET_ADMIN,,CHOWN\n",
     "t.ini:4: securityContext.capabilities.add: empty capability name "
     "(use a comma-separated list, e.g. NET_BIND_SERVICE)"},
    {HDR "securityContext.capabilities.drop = 12\n",
     "t.ini:4: securityContext.capabilities.drop: unknown capability "
     "\"12\""},
    {HDR "securityContext.seccompProfile = none.json\n",
     "t.ini:4: seccomp profile none.json: cannot be read: No such "
     "file or directory"},
    {HDR "securityContext.seccompProfile = /dev/null\n",
     "t.ini:4: seccomp profile /dev/null: cannot be read: is a character "
     "device, not a regular file"},
    {HDR "securityContext.seccompProfile = t.ini\n",
     "t.ini:4: seccomp profile t.ini: is not valid JSON (line 1: invalid "
     "token near 'deployment')"},
    {"[deployment echo]\nimage = rootfs\n[deployment echo]\n",
     "t.ini:3: duplicate section [deployment echo] (first defined on line "
     "1)"},
    {"[berth]\n[berth]\n",
     "t.ini:2: duplicate section [berth] (first defined on line 1)"},
    {"[deployment]\n", "t.ini:1: [deployment] needs a name: [deployment "
		       "NAME]"},
    {"[deployment a b]\n",
     "t.ini:1: [deployment a b]: a deployment name is one word"},
    {"[deployment abcdefghijabcdefghijabcdefghijabcdefghijk]\n",
     "t.ini:1: deployment name "
     "\"abcdefghijabcdefghijabcdefghijabcdefghijk\" must be a lowercase "
     "DNS-1123 label of at most 40 characters ([a-z0-9-], starting and "
     "ending with a letter or digit)"},
    {"[Berth]\n", "t.ini:1: unknown section [Berth] (expected [berth], "
		  "[deployment NAME], [service NAME] or [analysis NAME])"},
    {"[berth\n", "t.ini:1: section header has no closing ']'"},
    {"[berth] x\n", "t.ini:1: unexpected text after ']'"},
    {"replicas = 1\n",
     "t.ini:1: key \"replicas\" is outside any section (start with "
     "[berth], [deployment NAME] or [service NAME])"},
    {"[berth]\nruntime = docker\n",
     "t.ini:2: runtime: \"docker\" must be runc, crun or an absolute path"},
    {"[berth]\nadmin = 127.0.0.1\n",
     "t.ini:2: admin: \"127.0.0.1\" is not ADDR:PORT (missing :PORT); e.g. "
     "127.0.0.1:9180, [::1]:9180 or off"},
    {"[berth]\ncrashLoopBackOff.initialSeconds = 20\n"
     "crashLoopBackOff.maxSeconds = 10\n",
     "t.ini:3: crashLoopBackOff.maxSeconds (10) must be at least "
     "crashLoopBackOff.initialSeconds (20)"},
    {"[berth]\nstate_dir =\n", "t.ini:2: state_dir: value is empty"},
    {"[service web]\nlisten = 0.0.0.0:80\nselector = app=web\n",
     "t.ini:1: targetPort is required in [service web]"},
    {"[service web]\nlisten = 0.0.0.0:80\ntargetPort = 80\n",
     "t.ini:1: selector is required in [service web]"},
    {"[service web]\nselector =\n",
     "t.ini:2: selector: must not be empty (e.g. app=echo)"},
    {"[service web]\nlisten = [::]:80\nselector = a=b\ntargetPort = 1\n"
     "timeout.connect = 0\n",
     "t.ini:5: timeout.connect: \"0\" is not a positive integer"},
    {"[service web]\nmode = udp\n",
     "t.ini:2: mode: \"udp\" is not one of http, tcp"},
    {"[service web]\nlisten = :80\n",
     "t.ini:2: listen: \":80\" is not ADDR:PORT (missing address (use "
     "0.0.0.0 or [::] for all)); e.g. 0.0.0.0:8080 or [::]:8080"},
    {"[service a]\nlisten = [::]:9180\nselector = a=b\ntargetPort = 1\n",
     "t.ini:2: listen [::]:9180: the address is already used by admin = "
     "127.0.0.1:9180 in [berth]"},
    {"[service a]\nlisten = 127.0.0.1:80\nselector = a=b\ntargetPort = 1\n"
     "[service b]\nlisten = 127.0.0.2:80\nselector = a=b\ntargetPort = 1\n"
     "[service c]\nlisten = [::1]:80\nselector = a=b\ntargetPort = 1\n"
     "[service d]\nlisten = 127.0.0.1:80\nselector = a=b\ntargetPort = 1\n",
     "t.ini:14: listen 127.0.0.1:80: the address is already used by "
     "[service a] (line 2)"},
    /* the first error in the file wins, parse or cross-field */
    {"[deployment echo]\nimage = rootfs\nbogus\nreplicas = x\n",
     "t.ini:3: expected \"key = value\", \"[section]\" or a comment, got "
     "\"bogus\""},
    {"[deployment a]\nimage = rootfs\n[deployment b]\nimage = rootfs\n"
     "command = x\n",
     "t.ini:1: command is required in [deployment a]"},
    {HDR "livenessProbe.periodSeconds = 5\n"
	 "strategy.rollingUpdate.maxSurge = 0\n"
	 "strategy.rollingUpdate.maxUnavailable = 0\n",
     "t.ini:4: livenessProbe has no handler: set exec.command, "
     "httpGet.port or tcpSocket.port"},
    /* an indented line is a key of its own, not a continuation */
    {HDR "  replicas = 2\n  replicas = 3\n",
     "t.ini:5: duplicate key \"replicas\" in [deployment echo] (first set "
     "on line 4)"},
    {HDR "replicas = 3 ;comment\nport=8080;x\n",
     "t.ini:5: port: \"8080;x\" is not a port number (1-65535)"},
    /* ports given by name: the container's port must carry it */
    {HDR "readinessProbe.httpGet.port = http\n",
     "t.ini:4: readinessProbe.httpGet.port: the container has no port "
     "named `http` (it has no port)"},
    {HDR "port = 8080\nreadinessProbe.tcpSocket.port = http\n",
     "t.ini:5: readinessProbe.tcpSocket.port: the container has no port "
     "named `http` (its port has no portName)"},
    {HDR "port = 8080\nportName = web\nlivenessProbe.httpGet.port = http\n",
     "t.ini:6: livenessProbe.httpGet.port: the container has no port named "
     "`http` (its port 8080 is named `web`)"},
    {HDR "port = 8080\nportName = web\n"
	 "lifecycle.preStop.httpGet.port = http\n",
     "t.ini:6: lifecycle.preStop.httpGet.port: the container has no port "
     "named `http` (its port 8080 is named `web`)"},
    {HDR "startupProbe.httpGet.port = Http\n",
     "t.ini:4: startupProbe.httpGet.port: \"Http\" is neither a port number "
     "(1-65535) nor a port name (at most 15 lowercase letters, digits and "
     "'-', with a letter, no '-' at either end and no \"--\")"},
    {HDR "readinessProbe.httpGet.port = 0\n",
     "t.ini:4: readinessProbe.httpGet.port: \"0\" is not a port number "
     "(1-65535)"},
    {"[service web]\nlisten = 127.0.0.1:80\nselector = a=b\n"
     "targetPort = web--1\n",
     "t.ini:4: targetPort: \"web--1\" is neither a port number (1-65535) "
     "nor a port name (at most 15 lowercase letters, digits and '-', with "
     "a letter, no '-' at either end and no \"--\")"},
    {"[service web]\nlisten = 127.0.0.1:80\nselector = a=b\n"
     "targetPort = 70000\n",
     "t.ini:4: targetPort: \"70000\" is not a port number (1-65535)"},
};

static void check_errors(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct berth_config *c = (void *)0x1;
		struct berr err = BERR_INIT;
		int rc;

		write_file("t.ini", bad[i][0]);
		rc = cfg_load("t.ini", &c, &err);
		is_int(rc, -1, "case %zu fails", i);
		ok(c == (void *)0x1, "case %zu leaves *out alone", i);
		is_str(err.msg, bad[i][1], "case %zu message", i);
	}
}

/* Ports given by name: a probe's and a hook's resolved to the container's
 * port of that name at load; a service's kept as the name (looked up per
 * pod), with cfg_service_port_named() telling whether any deployment it
 * selects has it; numbers as before. */
static void check_named_ports(void)
{
	struct berth_config *c = NULL;
	struct berr err = BERR_INIT;
	const struct deployment_spec *d;

	write_file("named.ini",
		   "[deployment web]\nimage = rootfs\ncommand = /bin/web\n"
		   "labels = app=web\nport = 8081\nportName = http\n"
		   "readinessProbe.httpGet.port = http\n"
		   "livenessProbe.tcpSocket.port = http\n"
		   "startupProbe.tcpSocket.port = 8081\n"
		   "lifecycle.preStop.httpGet.port = http\n"
		   "[service web]\nlisten = 127.0.0.1:18080\n"
		   "selector = app=web\ntargetPort = http\n"
		   "[service num]\nlisten = 127.0.0.1:18081\n"
		   "selector = app=web\ntargetPort = 8081\n"
		   "[service other]\nlisten = 127.0.0.1:18082\n"
		   "selector = app=web\ntargetPort = metrics\n"
		   "[service none]\nlisten = 127.0.0.1:18083\n"
		   "selector = app=api\ntargetPort = http\n");
	if (cfg_load("named.ini", &c, &err) == -1) {
		ok(0, "named ports load: %s", err.msg);
		return;
	}
	d = &c->deployments[0];
	is_int(d->readiness_probe.handler.http_port, 8081,
	       "httpGet.port = http: the container's port of that name");
	is_str(d->readiness_probe.handler.port_name, "http", "... named");
	is_int(d->liveness_probe.handler.tcp_port, 8081, "tcpSocket.port too");
	is_int(d->pre_stop.http_port, 8081, "and the preStop hook's");
	ok(d->startup_probe.handler.port_name == NULL &&
	       d->startup_probe.handler.tcp_port == 8081,
	   "a number stays a number, with no name");
	ok(c->services[0].target_port == 0 && c->services[0].target_port_name &&
	       !strcmp(c->services[0].target_port_name, "http"),
	   "targetPort = http: kept as the name");
	ok(c->services[1].target_port == 8081 &&
	       c->services[1].target_port_name == NULL,
	   "targetPort = 8081: a number");
	ok(cfg_service_port_named(c, &c->services[0]),
	   "a selected deployment has the targetPort name");
	ok(cfg_service_port_named(c, &c->services[1]), "a number needs none");
	ok(!cfg_service_port_named(c, &c->services[2]),
	   "no selected deployment has the name: told (a warning)");
	ok(!cfg_service_port_named(c, &c->services[3]),
	   "... nor when no deployment is selected");
	cfg_free(c);
}

/* strategy.canary.steps in its INI form, read back and copied. */
static void check_canary_steps(void)
{
	struct berth_config *c = NULL;
	struct berr err = BERR_INIT;
	const struct canary_steps *st;
	struct deployment_spec *dup;
	char buf[128];
	int rc;

	write_file("canary.ini",
		   "[deployment web]\nimage = rootfs\ncommand = /bin/web\n"
		   "strategy.type = Canary\n"
		   "strategy.canary.steps = setCanaryScale replicas 1, "
		   "setWeight 20 ,pause 30s, setHeaderRoute X-Canary prefix "
		   "yes,  pause 2m\n"
		   "strategy.canary.steps = setWeight 50, pause, "
		   "setHeaderRoute, setCanaryScale matchTrafficWeight, "
		   "setMirrorRoute 20, setMirrorRoute ; a comment\n"
		   "strategy.canary.stickiness.cookie = berth-side\n");
	rc = cfg_load("canary.ini", &c, &err);
	is_int(rc, 0, "canary steps load (%s)", err.msg);
	if (rc != 0)
		return;
	st = &c->deployments[0].canary_steps;
	is_int((int)st->n, 11, "11 steps over two lines, empty ones skipped");
	is_str(c->deployments[0].canary_cookie, "berth-side",
	       "the stickiness cookie's name");
	if (st->n == 11) {
		static const char *const want[] = {
		    "setCanaryScale replicas 1",
		    "setWeight 20",
		    "pause 30s",
		    "setHeaderRoute X-Canary prefix yes",
		    "pause 120s",
		    "setWeight 50",
		    "pause",
		    "setHeaderRoute",
		    "setCanaryScale matchTrafficWeight",
		    "setMirrorRoute 20",
		    "setMirrorRoute"};

		for (size_t i = 0; i < 11; i++)
			is_str(canary_step_str(&st->v[i], buf, sizeof(buf)),
			       want[i], "step %zu reads back", i + 1);
	}
	dup = cfg_deployment_dup(&c->deployments[0]);
	ok(dup->canary_steps.n == 11 &&
	       !strcmp(dup->canary_cookie, "berth-side") &&
	       dup->canary_steps.v[3].header != st->v[3].header &&
	       !strcmp(dup->canary_steps.v[3].header, "X-Canary"),
	   "a copied spec owns its steps");
	cfg_deployment_free(dup);
	cfg_free(c);
}

static void check_lines(void)
{
	struct berth_config *c = NULL;
	struct berr err = BERR_INIT;
	char text[512], line[256];
	int rc;

	/* exactly 200 characters is fine; the value is not cut */
	memset(line, 'a', sizeof(line));
	snprintf(text, sizeof(text), HDR "labels = app=%.63s\nargs = %.*s\n",
		 line, 193, line);
	write_file("l.ini", text);
	rc = cfg_load("l.ini", &c, &err);
	is_int(rc, 0, "a 200-character line loads");
	if (rc == 0) {
		is_int(strlen(c->deployments[0].args.v[0]), 193,
		       "200-character line value intact");
		cfg_free(c);
	} else {
		printf("#   %s\n", err.msg);
	}
	snprintf(text, sizeof(text), HDR "args = %.*s\n", 194, line);
	write_file("l.ini", text);
	rc = cfg_load("l.ini", &c, &err);
	is_int(rc, -1, "a 201-character line fails");
	is_str(err.msg, "l.ini:4: line longer than 200 characters",
	       "long line message");
	/* CRLF, BOM, '#' comments and blank lines */
	write_file("l.ini", "\xEF\xBB\xBF# comment\r\n\r\n[deployment x]\r\n"
			    "image = rootfs\r\ncommand = /bin/x\r\n"
			    "replicas = two\r\n");
	rc = cfg_load("l.ini", &c, &err);
	is_str(err.msg,
	       "l.ini:6: replicas: \"two\" is not a non-negative "
	       "integer",
	       "CRLF and BOM keep line numbers");
	rc = cfg_load("does-not-exist.ini", &c, &err);
	is_int(rc, -1, "missing file fails");
	is_str(err.msg,
	       "does-not-exist.ini: cannot read: No such file or directory",
	       "missing file message");
}

/* tests/config/NAME.ini must fail with NAME.expected, valid-* load. */
static void check_golden(void)
{
	DIR *dir = opendir("tests/config");
	struct dirent *de;
	int n = 0;

	if (dir == NULL) {
		ok(0, "tests/config exists (run from the repository root)");
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		char path[512], exp[512];
		size_t len = strlen(de->d_name);
		struct berth_config *c = NULL;
		struct berr err = BERR_INIT;
		const char *want;
		int rc;

		if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0)
			continue;
		n++;
		snprintf(path, sizeof(path), "tests/config/%s", de->d_name);
		rc = cfg_load(path, &c, &err);
		if (strncmp(de->d_name, "valid-", 6) == 0) {
			is_int(rc, 0, "golden %s loads", path);
			if (rc == 0)
				cfg_free(c);
			else
				printf("#   %s\n", err.msg);
			continue;
		}
		snprintf(exp, sizeof(exp), "tests/config/%.*s.expected",
			 (int)(len - 4), de->d_name);
		want = read_line(exp);
		ok(want != NULL, "golden %s has %s", path, exp);
		is_int(rc, -1, "golden %s fails", path);
		is_str(err.msg, want ? want : "", "golden %s message", path);
		if (rc == 0)
			cfg_free(c);
	}
	closedir(dir);
	ok(n >= 15, "at least 15 golden files (%d)", n);
}

int main(void)
{
	char tmpl[] = "/tmp/berth-test-config-XXXXXX";
	struct berr err = BERR_INIT;

	if (getcwd(repo, sizeof(repo)) == NULL)
		return 1;
	check_golden();
	check_full();
	if (mkdtemp(tmpl) == NULL || chdir(tmpl) == -1) {
		perror("mkdtemp");
		return 1;
	}
	mkdir("rootfs", 0755);
	check_defaults();
	check_errors();
	check_named_ports();
	check_canary_steps();
	check_lines();
	if (chdir("/") == 0)
		rm_rf(tmpl, &err);
	return tap_done();
}
