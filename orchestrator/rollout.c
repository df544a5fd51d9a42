/*
 * rollout.c - rollout operations: a new pod template for a deployment
 * (`set image`, `rollout restart`, `rollout undo`, the progressDeadlineAbort
 * rollback) made as a deep copy of the current spec, pause/resume, and
 * `rollout status|history` in kubectl's words, with their API routes. It
 * decides no pod counts (reconcile.c) and never mutates a loaded config.
 */
#include "rollout.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/image_ref.h"
#include "../common/xalloc.h"
#include "bluegreen.h"
#include "canary.h"
#include "events.h"
#include "reconcile.h"
#include "revision.h"
#include "rollout_analysis.h"
#include "store.h"
#include "view.h"
#include "watch.h"

/* Keeps a lone spec alive the way loaded configs are: a one-deployment
 * berth_config under a cfg_ref (cfg_free frees the spec with it). */
static struct cfg_ref *wrap_spec(struct deployment_spec *spec)
{
	struct berth_config *c = xcalloc(1, sizeof(*c));

	c->deployments = spec;
	c->n_deployments = 1;
	return cfg_ref_new(c);
}

static const char *dep_object(struct deployment *dep)
{
	return event_object_name("deployment", dep->name);
}

/*
 * Makes spec (xmalloc'd, from cfg_deployment_dup; owned from here on) the
 * deployment's template, recording cause. Returns 1 when a new revision
 * started (or, paused, was recorded), 0 when the template was unchanged
 * (spec freed).
 */
static int rollout_set_template(struct daemon *d, struct deployment *dep,
				struct deployment_spec *spec, const char *cause)
{
	char hash[16];

	template_hash(spec, hash);
	if (!strcmp(hash, dep->hash)) {
		cfg_deployment_free(spec);
		return 0;
	}
	spec->replicas = dep->replicas;
	cfg_ref_put(dep->spec_ref);
	dep->spec = spec;
	dep->spec_ref = wrap_spec(spec);
	snprintf(dep->hash, sizeof(dep->hash), "%s", hash);
	dep->revision = revision_note(dep, hash, cause);
	revision_attach_current(dep);
	dep->progress_mono = mono_ms();
	dep->progress_failed = false;
	if (dep->paused)
		event_record(d, "Normal", "RolloutPending", dep_object(dep),
			     "Pod template changed while paused (%s): revision "
			     "%d (%s) waits for `rollout resume`",
			     cause, dep->revision, hash);
	else
		event_record(d, "Normal", "RolloutStarted", dep_object(dep),
			     "Pod template changed (%s): rolling out revision "
			     "%d (%s)",
			     cause, dep->revision, hash);
	store_save_deployment(dep);
	watch_mark(d, WATCH_DEPLOYMENTS);
	watch_mark(d, WATCH_PODS);
	reconcile_schedule(d);
	return 1;
}

/* `set image`: an absolute path of a directory or an image reference. */
static int rollout_set_image(struct daemon *d, struct deployment *dep,
			     const char *image, const char *cause,
			     struct berr *err)
{
	struct deployment_spec *spec;
	struct stat st;
	char buf[160];

	struct image_ref ref;

	if (image == NULL || image[0] == '\0')
		return berr_set(err, "image is empty");
	if (image[0] != '/') {
		if (image_ref_parse(image, &ref, err) == -1)
			return -1;
	} else if (stat(image, &st) == -1 || !S_ISDIR(st.st_mode))
		return berr_set(err, "image `%s` is not a directory", image);
	if (cause == NULL) {
		snprintf(buf, sizeof(buf), "berth set image %s %s", dep->name,
			 image);
		cause = buf;
	}
	spec = cfg_deployment_dup(dep->spec);
	free(spec->image);
	spec->image = xstrdup(image);
	return rollout_set_template(d, dep, spec, cause);
}

/* `rollout restart`: same template, new restart stamp. */
static void rollout_restart(struct daemon *d, struct deployment *dep)
{
	struct deployment_spec *spec = cfg_deployment_dup(dep->spec);
	char cause[128];
	int64_t ms = now_ms();
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	/* milliseconds keep two restarts within a second distinct; 24
	 * characters until the year 10000, else the milliseconds alone */
	if (snprintf(spec->restarted_at, sizeof(spec->restarted_at),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec,
		     (int)(ms % 1000)) >= (int)sizeof(spec->restarted_at))
		snprintf(spec->restarted_at, sizeof(spec->restarted_at), "%lld",
			 (long long)ms);
	snprintf(cause, sizeof(cause), "berth rollout restart %s", dep->name);
	rollout_set_template(d, dep, spec, cause);
}

/* A new template: the current spec (replicas, strategy, labels) with the
 * pod template of r. */
static int back_to(struct daemon *d, struct deployment *dep, struct revision *r)
{
	struct deployment_spec *spec = cfg_deployment_dup(dep->spec);
	char cause[128];

	cfg_deployment_copy_template(spec, r->spec);
	snprintf(cause, sizeof(cause), "%s", r->cause);
	return rollout_set_template(d, dep, spec, cause);
}

/*
 * `rollout undo`: to_revision 0 is the previous revision. -1 with *status
 * 404 when there is no such revision (nothing changed); returns 1 when
 * rolled back, 0 when the template already matched (skipped).
 */
static int rollout_undo(struct daemon *d, struct deployment *dep,
			int to_revision, int *status, struct berr *err)
{
	struct revision *r;

	*status = 200;
	r = to_revision > 0 ? revision_find(dep, to_revision)
			    : revision_previous(dep);
	if (r == NULL) {
		*status = 404;
		if (to_revision > 0)
			return berr_set(err,
					"unable to find specified revision %d "
					"in history",
					to_revision);
		return berr_set(err,
				"no rollout history found for "
				"deployment \"%s\": no previous revision",
				dep->name);
	}
	if (!strcmp(r->hash, dep->hash))
		return 0;
	if (r->spec == NULL) {
		*status = 409;
		return berr_set(err, "revision %d has no recorded pod template",
				r->number);
	}
	event_record(d, "Normal", "DeploymentRollback", dep_object(dep),
		     "Rolled back deployment \"%s\" to revision %d", dep->name,
		     r->number);
	return back_to(d, dep, r);
}

void rollout_abort(struct daemon *d, struct deployment *dep,
		   const char *stable_hash, bool say_when_skipped)
{
	struct revision *r = stable_hash ? revision_find_hash(dep, stable_hash)
					 : revision_previous(dep);
	int failed = dep->revision;

	if (r == NULL || r->spec == NULL || !strcmp(r->hash, dep->hash)) {
		if (say_when_skipped)
			event_record(d, "Warning", "RollbackSkipped",
				     dep_object(dep),
				     "progressDeadlineAbort: no earlier fully "
				     "available revision to go back to");
		return;
	}
	event_record(d, "Warning", "RolloutAborted", dep_object(dep),
		     "progressDeadlineAbort: revision %d exceeded its progress "
		     "deadline; rolling back to revision %d (%s), the last one "
		     "that was fully available",
		     failed, r->number, r->hash);
	back_to(d, dep, r);
}

/* {"done", "failed", "message"} as `kubectl rollout status` words it. */
static json_t *rollout_status_json(struct daemon *d, struct deployment *dep)
{
	struct dep_counts k;
	char msg[2048];
	bool done = false, failed = dep->progress_failed;
	int replicas = dep->replicas;

	deployment_counts(d, dep, &k);
	if (failed)
		snprintf(msg, sizeof(msg),
			 "deployment \"%s\" exceeded its progress deadline",
			 dep->name);
	else if (bluegreen_status(d, dep, msg, sizeof(msg), &done))
		; /* bluegreen.c words it */
	else if (k.updated < replicas && canary_status(dep, msg, sizeof(msg))) {
		/* steps in progress: canary.c words it, and the analysis
		 * its last measurements */
		size_t n = strlen(msg);

		if (n + 2 < sizeof(msg)) {
			msg[n] = '\n';
			msg[n + 1] = '\0';
			if (!rollout_analysis_status(d, dep, msg, sizeof(msg)))
				msg[n] = '\0';
			else if ((n = strlen(msg)) && msg[n - 1] == '\n')
				msg[n - 1] = '\0';
		}
	} else if (k.updated < replicas)
		snprintf(msg, sizeof(msg),
			 "Waiting for deployment \"%s\" rollout to finish: %d "
			 "out of %d new replicas have been updated...",
			 dep->name, k.updated, replicas);
	else if (k.total > k.updated)
		snprintf(msg, sizeof(msg),
			 "Waiting for deployment \"%s\" rollout to finish: %d "
			 "old replicas are pending termination...",
			 dep->name, k.total - k.updated);
	else if (k.available < k.updated)
		snprintf(msg, sizeof(msg),
			 "Waiting for deployment \"%s\" rollout to finish: %d "
			 "of %d updated replicas are available...",
			 dep->name, k.available, k.updated);
	else {
		done = true;
		snprintf(msg, sizeof(msg),
			 "deployment \"%s\" successfully rolled out",
			 dep->name);
	}
	return json_pack("{s:b, s:b, s:b, s:s}", "done", done, "failed", failed,
			 "paused", dep->paused, "message", msg);
}

/* --- history ------------------------------------------------------------- */

struct text {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
addf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap * 2 + (size_t)n + 64;
		t->buf = xrealloc(t->buf, t->cap);
	}
	t->len += (size_t)n;
}

static void add_words(struct text *t, const char *title, const struct strv *sv)
{
	if (sv->n == 0)
		return;
	addf(t, "    %s:\n", title);
	for (size_t i = 0; i < sv->n; i++)
		addf(t, "      %s\n", sv->v[i]);
}

static void add_probe(struct text *t, const char *title,
		      const struct probe_spec *p)
{
	const struct handler_spec *h = &p->handler;

	if (!p->set)
		return;
	addf(t, "    %s:\t", title);
	if (h->kind == HANDLER_HTTP && h->port_name) /* as kubectl shows it */
		addf(t, "http-get http://:%s%s", h->port_name,
		     h->http_path ? h->http_path : "/");
	else if (h->kind == HANDLER_HTTP)
		addf(t, "http-get http://:%d%s", h->http_port,
		     h->http_path ? h->http_path : "/");
	else if (h->kind == HANDLER_TCP && h->port_name)
		addf(t, "tcp-socket :%s", h->port_name);
	else if (h->kind == HANDLER_TCP)
		addf(t, "tcp-socket :%d", h->tcp_port);
	else if (h->kind == HANDLER_EXEC) {
		addf(t, "exec [");
		for (size_t i = 0; i < h->exec_command.n; i++)
			addf(t, "%s%s", i ? " " : "", h->exec_command.v[i]);
		addf(t, "]");
	}
	addf(t, " delay=%ds timeout=%ds period=%ds #success=%d #failure=%d\n",
	     p->initial_delay_seconds, p->timeout_seconds, p->period_seconds,
	     p->success_threshold, p->failure_threshold);
}

static void add_template(struct text *t, const struct deployment *dep,
			 const struct revision *r)
{
	const struct deployment_spec *s = r->spec;

	addf(t, "Pod Template:\n  Labels:\t");
	for (size_t i = 0; s && i < s->labels.n; i++)
		addf(t, "%s=%s\n\t", s->labels.v[i].key, s->labels.v[i].value);
	addf(t, "pod-template-hash=%s\n", r->hash);
	addf(t, "  Annotations:\tkubernetes.io/change-cause: %s\n",
	     r->cause[0] ? r->cause : "<none>");
	if (s == NULL) {
		addf(t, "  (template not recorded)\n");
		return;
	}
	if (s->restarted_at[0])
		addf(t, "  \tkubectl.kubernetes.io/restartedAt: %s\n",
		     s->restarted_at);
	addf(t, "  Containers:\n   %s:\n    Image:\t%s\n", dep->name, s->image);
	if (s->port)
		addf(t, "    Port:\t%d/TCP\n", s->port);
	add_words(t, "Command", &s->command);
	add_words(t, "Args", &s->args);
	add_probe(t, "Liveness", &s->liveness_probe);
	add_probe(t, "Readiness", &s->readiness_probe);
	add_probe(t, "Startup", &s->startup_probe);
	if (s->env.n == 0)
		addf(t, "    Environment:\t<none>\n");
	else {
		addf(t, "    Environment:\n");
		for (size_t i = 0; i < s->env.n; i++) {
			const char *eq = strchr(s->env.v[i], '=');
			int klen = eq ? (int)(eq - s->env.v[i])
				      : (int)strlen(s->env.v[i]);

			addf(t, "      %.*s:\t%s\n", klen, s->env.v[i],
			     eq ? eq + 1 : "");
		}
	}
	if (s->n_mounts == 0)
		addf(t, "    Mounts:\t<none>\n");
	else {
		addf(t, "    Mounts:\n");
		for (size_t i = 0; i < s->n_mounts; i++)
			addf(t, "      %s from %s (%s)\n",
			     s->mounts[i].container_path,
			     s->mounts[i].host_path,
			     s->mounts[i].read_only ? "ro" : "rw");
	}
}

/* `rollout history` text; revision > 0: that revision's template. NULL
 * with err when the revision does not exist. */
static char *rollout_history_text(struct deployment *dep, int revision,
				  struct berr *err)
{
	struct text t = {xmalloc(256), 0, 256};

	t.buf[0] = '\0';
	if (revision > 0) {
		struct revision *r = revision_find(dep, revision);

		if (r == NULL) {
			free(t.buf);
			berr_set(err, "unable to find the specified revision");
			return NULL;
		}
		addf(&t, "deployment.apps/%s with revision #%d\n", dep->name,
		     revision);
		add_template(&t, dep, r);
		return t.buf;
	}
	addf(&t, "deployment.apps/%s\nREVISION  CHANGE-CAUSE\n", dep->name);
	for (size_t i = 0; i < dep->n_revisions; i++)
		addf(&t, "%-9d %s\n", dep->revisions[i].number,
		     dep->revisions[i].cause[0] ? dep->revisions[i].cause
						: "<none>");
	return t.buf;
}

/* --- routes -----------------------------------------------------------------
 */

static void reply_message(struct ctl_conn *c, const char *fmt, const char *name)
{
	char msg[200];

	snprintf(msg, sizeof(msg), fmt, name);
	ctl_reply_json(c, 200, json_pack("{s:s}", "message", msg));
}

bool rollout_set_paused(struct daemon *d, struct deployment *dep, bool pause)
{
	if (dep->paused == pause)
		return false;
	dep->paused = pause;
	dep->progress_mono = mono_ms();
	store_save_deployment(dep);
	event_record(d, "Normal", pause ? "Paused" : "Resumed", dep_object(dep),
		     "Rollout %s", pause ? "paused" : "resumed");
	reconcile_schedule(d);
	watch_mark(d, WATCH_DEPLOYMENTS);
	return true;
}

static void set_paused(struct daemon *d, struct ctl_conn *c,
		       struct deployment *dep, bool pause)
{
	if (dep->paused == pause) {
		ctl_reply_error(c, 409, "deployment.apps/%s is %s", dep->name,
				pause ? "already paused" : "not paused");
		return;
	}
	rollout_set_paused(d, dep, pause);
	reply_message(c,
		      pause ? "deployment.apps/%s paused"
			    : "deployment.apps/%s resumed",
		      dep->name);
}

void rollout_api_pause(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, struct deployment *dep)
{
	set_paused(d, c, dep, true);
}

void rollout_api_resume(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, struct deployment *dep)
{
	set_paused(d, c, dep, false);
}

void rollout_api_undo(struct daemon *d, struct ctl_conn *c,
		      const struct ctl_request *req, struct deployment *dep)
{
	json_t *body = ctl_body_object(c, req);
	struct berr err = BERR_INIT;
	long long to;
	int status, rc;
	char msg[200];

	if (body == NULL)
		return;
	/* 0: the previous revision */
	rc = ctl_body_int(c, body, "to_revision", 0, INT_MAX, 0, &to);
	json_decref(body);
	if (rc == -1)
		return;
	rc = rollout_undo(d, dep, (int)to, &status, &err);
	if (rc == -1) {
		ctl_reply_error(c, status, "%s", err.msg);
		return;
	}
	if (rc == 0) {
		struct revision *r = revision_find_hash(dep, dep->hash);

		snprintf(msg, sizeof(msg),
			 "deployment.apps/%s skipped rollback (current "
			 "template already matches revision %d)",
			 dep->name, r ? r->number : dep->revision);
		ctl_reply_json(c, 200, json_pack("{s:s}", "message", msg));
		return;
	}
	reply_message(c, "deployment.apps/%s rolled back", dep->name);
}

void rollout_api_status(struct daemon *d, struct ctl_conn *c,
			const struct ctl_request *req, struct deployment *dep)
{
	ctl_reply_json(c, 200, rollout_status_json(d, dep));
}

void rollout_api_history(struct daemon *d, struct ctl_conn *c,
			 const struct ctl_request *req, struct deployment *dep)
{
	struct berr err = BERR_INIT;
	long long rev;
	char *text;

	/* 0: the list of revisions */
	if (ctl_query_int(c, req, "revision", 0, INT_MAX, 0, &rev) == -1)
		return;
	text = rollout_history_text(dep, (int)rev, &err);
	if (text == NULL) {
		ctl_reply_error(c, 404, "%s", err.msg);
		return;
	}
	ctl_reply_text(c, 200, "text/plain", text, strlen(text));
	free(text);
}

void rollout_api_restart(struct daemon *d, struct ctl_conn *c,
			 const struct ctl_request *req, struct deployment *dep)
{
	if (dep->paused) {
		ctl_reply_error(c, 409,
				"deployments \"%s\" can't restart paused "
				"deployment (run rollout resume first)",
				dep->name);
		return;
	}
	rollout_restart(d, dep);
	reply_message(c, "deployment.apps/%s restarted", dep->name);
}

void rollout_api_image(struct daemon *d, struct ctl_conn *c,
		       const struct ctl_request *req, struct deployment *dep)
{
	json_t *body = ctl_body_object(c, req);
	struct berr err = BERR_INIT;
	int rc;

	if (body == NULL)
		return;
	rc = rollout_set_image(
	    d, dep, json_string_value(json_object_get(body, "image")),
	    json_string_value(json_object_get(body, "cause")), &err);
	json_decref(body);
	if (rc == -1) {
		ctl_reply_error(c, 400, "%s", err.msg);
		return;
	}
	reply_message(c,
		      rc ? "deployment.apps/%s image updated"
			 : "deployment.apps/%s image unchanged",
		      dep->name);
}
