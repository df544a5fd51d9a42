/*
 * store.c - persistence under STATE_DIR:
 *   applied              path of the config last applied
 *   pods/NAME.json       one record per pod (name, revision, restarts, pid)
 *   deployments/NAME.json revision history with each revision's pod
 *                        template, scale, pause, the current template and
 *                        the config's, the last fully available one,
 *                        where a Canary/BlueGreen run stands
 * Every write is atomic (temp, fsync, rename). The two saves of a pod's
 * start (running, then ready) are written on the thread pool (two fsyncs
 * each, tens of ms on a busy disk, held the loop during a burst of
 * starts); any save made while such a write is in flight follows it
 * there, the latest of them next, and its removal after the last write.
 * Every other save is written before it returns. Deployment
 * records are put back here; pods are adopted from their records in
 * adopt.c.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "../runtime/fs_jobs.h"
#include "../runtime/rootfs.h"
#include "endpoints.h"
#include "events.h"
#include "pod.h"
#include "reconcile.h"
#include "revision.h"
#include "service_ops.h"
#include "strategy_store.h"
#include "template_json.h"
#include "terminate.h"

void store_write_failed(struct daemon *d, const char *object,
			const struct berr *err)
{
	if (d->state_failing)
		return;
	d->state_failing = true;
	log_warnx("state: %s; kept in memory and written again once possible",
		  err->msg);
	event_record(d, "Warning", "StateNotSaved", object,
		     "Cannot write berth's state: %s; written again once "
		     "possible",
		     err->msg);
}

/* file_write_atomic(), unless path already holds exactly text: a start
 * (an upgrade's above all) saves every deployment and the applied path
 * again, and each write is two fsyncs while the control API waits. */
static int write_changed(const char *path, const char *text, size_t len,
			 struct berr *err)
{
	struct berr ignored = BERR_INIT;
	char *old = NULL;
	size_t old_len = 0;
	bool same = file_read_bounded(path, len + 1, FILE_READ_NOFOLLOW, &old,
				      &old_len, &ignored) == 0 &&
		    old_len == len && memcmp(old, text, len) == 0;

	free(old);
	return same ? 0 : file_write_atomic(path, text, len, 0600, err);
}

static int save_json(struct daemon *d, const char *object, const char *path,
		     json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	struct berr err = BERR_INIT;
	int rc;

	if (text == NULL) {
		berr_set(&err, "cannot encode %s", path);
		store_write_failed(d, object, &err);
		return -1;
	}
	rc = write_changed(path, text, strlen(text), &err);
	free(text);
	if (rc == -1)
		store_write_failed(d, object, &err);
	return rc;
}

int store_init(struct daemon *d, struct berr *err)
{
	cleanup_free char *pods = xasprintf("%s/pods", d->state_dir);
	cleanup_free char *deps = xasprintf("%s/deployments", d->state_dir);

	if (mkdir_p(pods, 0700, err) == -1 || mkdir_p(deps, 0700, err) == -1)
		return -1;
	return 0;
}

static const char *phase_name(enum pod_phase ph)
{
	switch (ph) {
	case POD_PENDING:
		return "pending";
	case POD_CREATING:
		return "creating";
	case POD_RUNNING:
		return "running";
	case POD_CLEANING:
		return "cleaning";
	case POD_WAITING:
		return "waiting";
	case POD_GONE:
		break;
	}
	return "gone";
}

/* --- pod records, written on the thread pool ----------------------------- */

struct record_write {
	uv_work_t work;
	struct pod *pod; /* held (pod_ref) until the write is done */
	char *path, *text;
	int rc;
	struct berr err;
};

static void record_work(uv_work_t *w)
{
	struct record_write *r = w->data;

	r->rc =
	    file_write_atomic(r->path, r->text, strlen(r->text), 0600, &r->err);
}

static void record_submit(struct pod *p, char *text, bool pool);

static void record_after(uv_work_t *w, int status)
{
	struct record_write *r = w->data;
	struct pod *p = r->pod;
	char *next;

	if (status != 0 && r->rc == 0) {
		r->rc = -1;
		berr_set(&r->err, "write of `%s` cancelled", r->path);
	}
	p->record_writing = false;
	p->state_unsaved = r->rc == -1;
	if (r->rc == -1)
		store_write_failed(p->daemon, event_object_name("pod", p->name),
				   &r->err);
	if (p->record_removed) {
		free(p->record_next);
		p->record_next = NULL;
		unlink(r->path);
	} else if (p->record_next) {
		next = p->record_next;
		p->record_next = NULL;
		record_submit(p, next, true);
	}
	free(r->path);
	free(r->text);
	free(r);
	pod_unref(p);
}

/* Writes text (taken) as p's record: after the write in progress if
 * there is one, else on the thread pool (pool) or here. */
static void record_submit(struct pod *p, char *text, bool pool)
{
	struct record_write *r;

	if (p->record_writing) {
		free(p->record_next);
		p->record_next = text;
		return;
	}
	if (!pool) {
		struct berr err = BERR_INIT;
		cleanup_free char *path =
		    xasprintf("%s/pods/%s.json", p->daemon->state_dir, p->name);

		p->state_unsaved = file_write_atomic(path, text, strlen(text),
						     0600, &err) == -1;
		if (p->state_unsaved)
			store_write_failed(
			    p->daemon, event_object_name("pod", p->name), &err);
		free(text);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->pod = p;
	r->path = xasprintf("%s/pods/%s.json", p->daemon->state_dir, p->name);
	r->text = text;
	r->err = (struct berr)BERR_INIT;
	r->work.data = r;
	pod_ref(p);
	p->record_writing = true;
	if (uv_queue_work(p->daemon->loop, &r->work, record_work,
			  record_after) != 0) {
		/* no thread pool: written here */
		record_work(&r->work);
		record_after(&r->work, 0);
	}
}

static void save_pod(struct pod *p, bool pool);

void store_save_pod(struct pod *p)
{
	save_pod(p, false);
}

void store_save_pod_async(struct pod *p)
{
	save_pod(p, true);
}

static void save_pod(struct pod *p, bool pool)
{
	json_t *j;
	char *text;

	if (p->record_removed)
		return;
	j = json_pack(
	    "{s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:i, s:s, s:i, s:s, "
	    "s:b, s:b, s:I}",
	    "name", p->name, "deployment", p->deployment->name, "hash", p->hash,
	    "revision", p->revision, "restarts", p->restarts, "crashes",
	    p->crashes, "created_ms", (json_int_t)p->created_ms, "started_ms",
	    (json_int_t)p->started_ms, "pid", (int)p->pid, "phase",
	    phase_name(p->phase), "last_exit_code", p->last_exit_code,
	    "last_reason", p->last_reason, "terminating", pod_terminating(p),
	    "remove_after", pod_leaving(p), "restart_at_ms",
	    (json_int_t)clock_mono_to_wall(p->restart_at_mono));

	if (j == NULL) {
		log_warnx("state: cannot encode the record of pod %s", p->name);
		return;
	}
	/* Readiness, so that a restarted daemon serves the pod at once;
	 * the termination step and its deadline (wall time), so that it
	 * goes on from there. */
	json_object_set_new(j, "ready", json_boolean(p->ready));
	/* the image digest it runs (the kubelet's imageID) */
	if (p->image_id)
		json_object_set_new(j, "image_id", json_string(p->image_id));
	/* the last run's start and end (lastState.terminated) */
	if (p->finished_ms > 0) {
		json_object_set_new(j, "last_started_ms",
				    json_integer(p->last_started_ms));
		json_object_set_new(j, "finished_ms",
				    json_integer(p->finished_ms));
	}
	/* which process the pid is: a recycled pid is never adopted */
	if (p->pid > 0 && p->phase == POD_RUNNING && p->start_pid != p->pid) {
		p->pid_start = rt_pid_start(&p->daemon->rt, p->pid);
		p->start_pid = p->pid;
	}
	if (p->pid > 0 && p->start_pid == p->pid && p->pid_start > 0)
		json_object_set_new(j, "pid_start",
				    json_integer((json_int_t)p->pid_start));
	if (p->ready)
		json_object_set_new(
		    j, "ready_since_ms",
		    json_integer(clock_mono_to_wall(p->ready_since_mono)));
	if (pod_terminating(p)) {
		json_object_set_new(j, "term_step",
				    json_string(term_step_name(p->term_step)));
		json_object_set_new(j, "grace_seconds",
				    json_integer(p->grace_seconds));
		json_object_set_new(j, "term_deadline_ms",
				    json_integer(clock_mono_to_wall(
					terminate_deadline_mono(p))));
	}
	text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (text == NULL) {
		log_warnx("state: cannot encode the record of pod %s", p->name);
		return;
	}
	record_submit(p, text, pool);
}

void store_delete_pod(struct pod *p)
{
	cleanup_free char *path =
	    xasprintf("%s/pods/%s.json", p->daemon->state_dir, p->name);

	p->record_removed = true;
	free(p->record_next);
	p->record_next = NULL;
	if (!p->record_writing) /* else once the write is done */
		unlink(path);
}

/*
 * The template hash the applied config gives dep: dep->hash while its spec
 * comes from a loaded config file, else (a template made by `set image`,
 * undo, restart) the hash of its section in the config last applied. ""
 * when unknown.
 */
static void config_hash(struct deployment *dep, char out[16])
{
	const struct deployment_spec *s = NULL;

	out[0] = '\0';
	if (dep->spec_ref && dep->spec_ref->cfg && dep->spec_ref->cfg->path) {
		snprintf(out, 16, "%s", dep->hash);
		return;
	}
	if (dep->daemon && dep->daemon->cfg)
		s = cfg_find_deployment(dep->daemon->cfg, dep->name);
	if (s)
		template_hash(s, out);
}

void store_save_deployment(struct deployment *dep)
{
	cleanup_free char *path = xasprintf("%s/deployments/%s.json",
					    dep->daemon->state_dir, dep->name);
	json_t *revs = json_array();
	const struct deployment_spec *spec;
	char applied[16], stable[16];
	json_t *j;

	for (size_t i = 0; i < dep->n_revisions; i++) {
		const struct revision *r = &dep->revisions[i];
		json_t *rj =
		    json_pack("{s:i, s:s, s:s, s:I}", "number", r->number,
			      "hash", r->hash, "cause", r->cause, "created_ms",
			      (json_int_t)r->created_ms);

		/* the template, so that undo and progressDeadlineAbort can
		 * go back to it after a restart */
		if (r->spec)
			json_object_set_new(rj, "template",
					    template_json(r->spec));
		json_array_append_new(revs, rj);
	}
	config_hash(dep, applied);
	j = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s?, s:b, s:I, s:o}", "name",
		      dep->name, "replicas", dep->replicas, "revision",
		      dep->revision, "hash", dep->hash, "config_hash", applied,
		      "stable", reconcile_stable_hash(dep, stable), "paused",
		      dep->paused, "created_ms", (json_int_t)dep->created_ms,
		      "revisions", revs);
	/* The size the pods were last proportioned for (Kubernetes keeps it
	 * as the desired-replicas annotation of each ReplicaSet): a scale
	 * while the daemon was down is still spread proportionally. */
	if (dep->memo.set && dep->memo.desired >= 0)
		json_object_set_new(j, "desired",
				    json_integer(dep->memo.desired));
	/* Where a Canary or BlueGreen run stands (resumed after a
	 * restart). */
	{
		json_t *st = strategy_state_json(dep);

		if (st)
			json_object_set_new(j, "strategy", st);
	}
	/* The file's replicas, to tell a `scale` from an edited file. */
	if (dep->daemon->cfg &&
	    (spec = cfg_find_deployment(dep->daemon->cfg, dep->name)) != NULL)
		json_object_set_new(j, "config_replicas",
				    json_integer(spec->replicas));
	dep->state_unsaved =
	    save_json(dep->daemon, event_object_name("deployment", dep->name),
		      path, j) == -1;
	json_decref(j);
}

void store_delete_deployment(struct deployment *dep)
{
	cleanup_free char *path = xasprintf("%s/deployments/%s.json",
					    dep->daemon->state_dir, dep->name);

	unlink(path);
}

void store_save_applied(struct daemon *d, const char *config_path)
{
	cleanup_free char *path = xasprintf("%s/applied", d->state_dir);
	struct berr err = BERR_INIT;

	d->applied_unsaved =
	    write_changed(path, config_path, strlen(config_path), &err) == -1;
	if (d->applied_unsaved)
		store_write_failed(d, "daemon/berth", &err);
}

void store_retry_unsaved(struct daemon *d)
{
	bool unsaved = false;

	if (!d->state_failing)
		return;
	/* a write on the thread pool: saved once it has succeeded */
	for (struct pod *p = d->pods; p; p = p->next)
		if (p->state_unsaved) {
			if (!p->record_writing)
				store_save_pod(p);
			unsaved |= p->state_unsaved || p->record_writing;
		}
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (dep->state_unsaved) {
			store_save_deployment(dep);
			unsaved |= dep->state_unsaved;
		}
	if (d->applied_unsaved && d->config_path) {
		store_save_applied(d, d->config_path);
		unsaved |= d->applied_unsaved;
	}
	unsaved |= service_overrides_save(d) == -1;
	if (!unsaved) {
		d->state_failing = false;
		log_info("state: every record written again");
		event_record(
		    d, "Normal", "StateSaved", "daemon/berth",
		    "berth's state is written again; nothing was lost");
	}
}

char *store_load_applied(const char *state_dir)
{
	cleanup_free char *path = xasprintf("%s/applied", state_dir);
	char *text = NULL;

	if (file_read_all(path, &text, NULL, NULL) == -1)
		return NULL;
	text[strcspn(text, "\n")] = '\0';
	return text;
}

void store_for_each_record(const char *dirpath,
			   void (*fn)(json_t *j, const char *path, void *arg),
			   void *arg)
{
	DIR *dir = opendir(dirpath);
	struct dirent *de;

	while (dir && (de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		cleanup_free char *path = NULL;

		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		path = xasprintf("%s/%s", dirpath, de->d_name);
		fn(json_load_file(path, 0, NULL), path, arg);
	}
	if (dir)
		closedir(dir);
}

static void collect_deployment(json_t *j, const char *path, void *all)
{
	const char *name = json_string_value(json_object_get(j, "name"));

	if (name)
		json_object_set(all, name, j);
	json_decref(j);
}

json_t *store_load_deployments(struct daemon *d)
{
	cleanup_free char *dirpath = xasprintf("%s/deployments", d->state_dir);
	json_t *all = json_object();

	store_for_each_record(dirpath, collect_deployment, all);
	return all;
}

/* Keeps a restored template alive the way loaded configs are: a
 * one-deployment berth_config (path NULL) under a cfg_ref. */
static struct cfg_ref *wrap_spec(struct deployment_spec *spec)
{
	struct berth_config *c = xcalloc(1, sizeof(*c));

	c->deployments = spec;
	c->n_deployments = 1;
	return cfg_ref_new(c);
}

/*
 * The template of record rev, over dep's current (config) spec for the
 * fields outside the template. The config's own spec when the hash is the
 * config's; NULL when the record has none or it does not hash back to the
 * recorded hash (then undo to it is refused, as before).
 */
static void restore_template(struct deployment *dep, struct revision *r,
			     json_t *rev)
{
	json_t *tj = json_object_get(rev, "template");
	struct deployment_spec *spec;
	struct berr err = BERR_INIT;
	char hash[16];

	if (!strcmp(r->hash, dep->hash)) {
		r->spec = dep->spec;
		r->spec_ref = cfg_ref_get(dep->spec_ref);
		return;
	}
	if (tj == NULL)
		return;
	spec = template_from_json(tj, dep->spec, &err);
	if (spec == NULL) {
		log_warnx("state: deployment %s revision %d: %s; its template "
			  "is forgotten",
			  dep->name, r->number, err.msg);
		return;
	}
	template_hash(spec, hash);
	if (strcmp(hash, r->hash)) {
		log_warnx("state: deployment %s revision %d: template hashes "
			  "to %s, recorded %s; its template is forgotten",
			  dep->name, r->number, hash, r->hash);
		cfg_deployment_free(spec);
		return;
	}
	r->spec = spec;
	r->spec_ref = wrap_spec(spec);
}

static struct deployment *find_dep(struct daemon *d, const char *name)
{
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (!strcmp(dep->name, name))
			return dep;
	return NULL;
}

/*
 * A deployment that left the config while no daemon ran, made again from
 * its record (its current template) as one being deleted: the controller
 * then stops its pods as it would have on a running daemon, preStop hook
 * and grace period included, and forgets it once they are gone. NULL when
 * the record holds no usable template.
 */
static struct deployment *restore_deleted(struct daemon *d, const char *name,
					  json_t *j)
{
	const char *hash = json_string_value(json_object_get(j, "hash"));
	struct deployment_spec base;
	struct deployment_spec *spec = NULL;
	struct deployment *dep, **tail;
	struct berr err = BERR_INIT;
	json_t *rev;
	size_t i;
	char got[16];

	memset(&base, 0, sizeof(base));
	base.name = (char *)name;
	json_array_foreach(json_object_get(j, "revisions"), i, rev)
	{
		const char *h = json_string_value(json_object_get(rev, "hash"));
		json_t *tj = json_object_get(rev, "template");

		if (hash == NULL || h == NULL || strcmp(h, hash) || tj == NULL)
			continue;
		spec = template_from_json(tj, &base, &err);
		break;
	}
	if (spec == NULL) {
		log_warnx("state: deployment %s left the config and its record "
			  "holds no template (%s)",
			  name, err.msg[0] ? err.msg : "none recorded");
		return NULL;
	}
	template_hash(spec, got);
	if (strcmp(got, hash))
		log_warnx(
		    "state: deployment %s: recorded template hashes to "
		    "%s, recorded %s; its pods are stopped with it anyway",
		    name, got, hash);
	dep = xcalloc(1, sizeof(*dep));
	dep->daemon = d;
	snprintf(dep->name, sizeof(dep->name), "%s", name);
	dep->spec = spec;
	dep->spec_ref = wrap_spec(spec);
	snprintf(dep->hash, sizeof(dep->hash), "%s", hash);
	dep->deleting = true;
	dep->progress_mono = mono_ms();
	for (tail = &d->deployments; *tail; tail = &(*tail)->next)
		;
	*tail = dep;
	log_info("deployment %s left the config while berth was down: its "
		 "pods are stopped gracefully",
		 name);
	event_record(d, "Normal", "DeploymentDeleted",
		     event_object_name("deployment", name),
		     "Deployment left the config while berth was down; "
		     "stopping its pods");
	return dep;
}

void store_restore_deployments(struct daemon *d, json_t *records)
{
	const char *key;
	json_t *rec;

	json_object_foreach(records, key, rec)
	{
		if (find_dep(d, key) == NULL)
			restore_deleted(d, key, rec);
	}
	for (struct deployment *dep = d->deployments; dep; dep = dep->next) {
		json_t *j = json_incref(json_object_get(records, dep->name));
		const char *rec_hash, *rec_config, *stable;
		json_int_t desired, rec_replicas;
		json_t *rec_file;
		struct revision *cur;
		json_t *rev;
		size_t i;
		bool replicas_scaled;

		if (j == NULL)
			continue;
		revision_free_all(dep);
		json_array_foreach(json_object_get(j, "revisions"), i, rev)
		{
			struct revision *r;

			dep->revisions =
			    xrealloc(dep->revisions,
				     (dep->n_revisions + 1) * sizeof(*r));
			r = &dep->revisions[dep->n_revisions++];
			memset(r, 0, sizeof(*r));
			r->number = (int)json_integer_value(
			    json_object_get(rev, "number"));
			snprintf(r->hash, sizeof(r->hash), "%s",
				 json_string_value(json_object_get(rev, "hash"))
				     ?: "");
			snprintf(
			    r->cause, sizeof(r->cause), "%s",
			    json_string_value(json_object_get(rev, "cause"))
				?: "");
			r->created_ms = json_integer_value(
			    json_object_get(rev, "created_ms"));
			restore_template(dep, r, rev);
		}
		dep->created_ms =
		    json_integer_value(json_object_get(j, "created_ms"))
			?: dep->created_ms;
		dep->paused = json_is_true(json_object_get(j, "paused"));
		/* kubectl scale survives a restart until the next apply; a
		 * file whose replicas changed since it was applied wins, as
		 * an apply would. */
		rec_replicas =
		    json_integer_value(json_object_get(j, "replicas"));
		rec_file = json_object_get(j, "config_replicas");
		replicas_scaled =
		    rec_replicas != dep->spec->replicas &&
		    (rec_file == NULL ||
		     json_integer_value(rec_file) == dep->spec->replicas);
		if (replicas_scaled)
			dep->replicas = (int)json_integer_value(
			    json_object_get(j, "replicas"));
		/*
		 * A template set by `set image`, undo or restart survives the
		 * restart as long as the config file's template is still the
		 * one last applied; an edited file wins, as an apply would.
		 */
		rec_hash = json_string_value(json_object_get(j, "hash"));
		rec_config =
		    json_string_value(json_object_get(j, "config_hash"));
		cur = rec_hash ? revision_find_hash(dep, rec_hash) : NULL;
		if (rec_config && !strcmp(rec_config, dep->hash) && cur &&
		    cur->spec && strcmp(rec_hash, dep->hash)) {
			cfg_ref_put(dep->spec_ref);
			dep->spec = cur->spec;
			dep->spec_ref = cfg_ref_get(cur->spec_ref);
			snprintf(dep->hash, sizeof(dep->hash), "%s", rec_hash);
			log_info("deployment %s: revision %d (%s) restored",
				 dep->name, cur->number, rec_hash);
		}
		dep->revision = revision_note(dep, dep->hash, "apply");
		revision_attach_current(dep);
		/* the last fully available template, for progressDeadlineAbort
		 * (the controller's memory, see reconcile.c) */
		stable = json_string_value(json_object_get(j, "stable"));
		if (stable && (!stable[0] || !revision_find_hash(dep, stable)))
			stable = NULL;
		desired = json_integer_value(json_object_get(j, "desired"));
		if (stable || desired > 0) {
			memset(&dep->memo, 0, sizeof(dep->memo));
			dep->memo.set = true;
			dep->memo.desired = desired > 0 ? (int)desired : -1;
			dep->memo.updated = dep->memo.old = -1;
			dep->memo.ready = dep->memo.available = -1;
			snprintf(dep->memo.stable, sizeof(dep->memo.stable),
				 "%s", stable ? stable : "");
		}
		strategy_state_restore(dep, json_object_get(j, "strategy"));
		store_save_deployment(dep);
		json_decref(j);
	}
}
