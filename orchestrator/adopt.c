/*
 * adopt.c - a restarted daemon takes over the pods of the previous one
 * (store_restore_pods()): from their records in STATE_DIR/pods first
 * (running and ready pods are served at once), then with the runtime's
 * answer for every container at once; terminations go on from their
 * recorded step; containers and folders no record owns are removed, and
 * so are exit status records (signals/exits.c) of pids no pod runs. The
 * inverse of store_save_pod(). Must not write records of its own format:
 * store.c owns it.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "../runtime/fs_jobs.h"
#include "../runtime/rootfs.h"
#include "../signals/exits.h"
#include "endpoints.h"
#include "events.h"
#include "pod.h"
#include "revision.h"
#include "store.h"
#include "terminate.h"

static enum term_step step_from_name(const char *name)
{
	for (int s = TERM_NONE; s <= TERM_KILLED; s++)
		if (name && !strcmp(name, term_step_name((enum term_step)s)))
			return (enum term_step)s;
	return TERM_ASKED; /* a record older than the step: start over */
}

static struct deployment *find_dep(struct daemon *d, const char *name)
{
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		if (!strcmp(dep->name, name))
			return dep;
	return NULL;
}

/* One pod record between the two passes of store_restore_pods(). */
struct adopt {
	struct pod *p;
	json_t *j;
	bool provisional; /* running and ready by its record: published */
	struct rt_state st;
};

/*
 * Pass 1, no runtime call: the pod as its record left it. A pod recorded
 * as running whose recorded pid still exists (its pidfd opens) is taken
 * as running, and as ready when it was: it is published at once, before
 * the runtime confirms it (adopt_verify()).
 */
static struct pod *restore_pod(struct daemon *d, json_t *j, bool *provisional)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *depname =
	    json_string_value(json_object_get(j, "deployment"));
	const char *hash = json_string_value(json_object_get(j, "hash"));
	const char *phase = json_string_value(json_object_get(j, "phase"));
	struct deployment *dep = depname ? find_dep(d, depname) : NULL;
	pid_t want;
	struct revision *r;
	struct pod *p;

	*provisional = false;
	if (name == NULL || hash == NULL)
		return NULL;
	if (dep == NULL) {
		/* Neither the config nor a deployment record has its template
		 * (store_restore_deployments() keeps a deleted deployment
		 * whose record has one): nothing to stop it with. */
		cleanup_free char *dir =
		    xasprintf("%s/pods/%s", d->run_dir, name);
		cleanup_free char *rec =
		    xasprintf("%s/pods/%s.json", d->state_dir, name);

		log_warnx("pod %s: deployment %s is unknown and its template "
			  "lost; removing its container at once",
			  name, depname ? depname : "?");
		rt_delete_sync(&d->rt, name);
		rt_remove_dir(&d->rt, dir, NULL);
		unlink(rec);
		return NULL;
	}
	p = pod_alloc(d, dep, name);
	snprintf(p->hash, sizeof(p->hash), "%s", hash);
	/* A pod of an older revision runs that revision's template. */
	r = strcmp(hash, dep->hash) ? revision_find_hash(dep, hash) : NULL;
	if (r && r->spec) {
		cfg_ref_put(p->spec_ref);
		p->spec = r->spec;
		p->spec_ref = cfg_ref_get(r->spec_ref);
		free(p->image);
		p->image = xstrdup(r->spec->image);
	}
	p->revision = (int)json_integer_value(json_object_get(j, "revision"));
	p->restarts = (int)json_integer_value(json_object_get(j, "restarts"));
	p->crashes = (int)json_integer_value(json_object_get(j, "crashes"));
	p->created_ms = json_integer_value(json_object_get(j, "created_ms"));
	p->started_ms = json_integer_value(json_object_get(j, "started_ms"));
	/* The run's start on this boot's monotonic clock, for the back-off
	 * reset: recorded as wall time. */
	if (p->started_ms > 0)
		p->started_mono = clock_wall_to_mono(p->started_ms);
	p->last_exit_code =
	    (int)json_integer_value(json_object_get(j, "last_exit_code"));
	snprintf(p->last_reason, sizeof(p->last_reason), "%s",
		 json_string_value(json_object_get(j, "last_reason")) ?: "");
	if (json_is_string(json_object_get(j, "image_id")))
		p->image_id =
		    xstrdup(json_string_value(json_object_get(j, "image_id")));
	p->last_started_ms =
	    json_integer_value(json_object_get(j, "last_started_ms"));
	p->finished_ms = json_integer_value(json_object_get(j, "finished_ms"));
	want = (pid_t)json_integer_value(json_object_get(j, "pid"));
	if (phase && !strcmp(phase, "running") && want > 0 &&
	    (p->pidfd = rt_pidfd(&d->rt, want)) >= 0) {
		int64_t since =
		    json_integer_value(json_object_get(j, "ready_since_ms"));
		uint64_t rec_start = (uint64_t)json_integer_value(
		    json_object_get(j, "pid_start"));
		uint64_t now_start = rt_pid_start(&d->rt, want);

		/* Read after the pidfd was opened: the same start time
		 * means the pidfd is the recorded process. */
		if (rec_start && now_start && rec_start != now_start) {
			log_warnx("pod %s: pid %d is another process now; not "
				  "served",
				  name, (int)want);
			close(p->pidfd);
			p->pidfd = -1;
			return p;
		}
		p->pid_start = now_start;
		p->start_pid = want;

		p->pid = want;
		p->phase = POD_RUNNING;
		*provisional = true;
		if (json_is_true(json_object_get(j, "ready")) &&
		    !json_is_true(json_object_get(j, "terminating"))) {
			p->ready = p->ready_restored = true;
			p->ready_since_mono =
			    since > 0 ? clock_wall_to_mono(since) : mono_ms();
		}
	}
	return p;
}

/* The recorded termination of a running pod, continued. */
static void adopt_termination(struct pod *p, json_t *j)
{
	bool remove_after = json_is_true(json_object_get(j, "remove_after"));
	json_t *grace = json_object_get(j, "grace_seconds");
	int64_t deadline =
	    json_integer_value(json_object_get(j, "term_deadline_ms"));
	enum term_step step =
	    step_from_name(json_string_value(json_object_get(j, "term_step")));
	int g = grace ? (int)json_integer_value(grace)
		      : p->spec->termination_grace_period_seconds;

	/* A record without a deadline (older format): the grace period
	 * starts again, as it did. */
	terminate_adopted(p, step, remove_after ? TERM_REMOVE : TERM_RESTART, g,
			  deadline > 0 ? clock_wall_to_mono(deadline)
				       : mono_ms() + (int64_t)g * 1000);
}

/* Pass 2, with the runtime's answer: a published pod the runtime does
 * not confirm leaves the endpoints again; the rest goes on as before. */
static void adopt_verify(struct daemon *d, struct adopt *a)
{
	struct pod *p = a->p;
	json_t *j = a->j;
	const char *name = p->name;
	const char *status = a->st.rc == 0 ? a->st.status : "";
	char seen[64];
	bool running = !strcmp(status, "running") && a->st.pid > 0;
	pid_t want = (pid_t)json_integer_value(json_object_get(j, "pid"));
	bool was_terminating = json_is_true(json_object_get(j, "terminating"));
	bool remove_after = json_is_true(json_object_get(j, "remove_after"));
	const char *phase = json_string_value(json_object_get(j, "phase"));
	int64_t restart_at =
	    json_integer_value(json_object_get(j, "restart_at_ms"));

	if (a->provisional && !(running && a->st.pid == p->pid)) {
		log_warnx("pod %s: recorded as running (pid %d) but the "
			  "runtime says %s (pid %d); dropped from the "
			  "endpoints",
			  name, (int)p->pid,
			  status[0] ? status : "no container", (int)a->st.pid);
		close(p->pidfd);
		p->pidfd = -1;
		p->phase = POD_PENDING;
		p->pid = 0;
		p->ready = p->ready_restored = false;
		p->ready_since_mono = 0;
		endpoints_sync(d);
		if (running) {
			/* not the recorded process: handled as gone */
			snprintf(seen, sizeof(seen),
				 "running as pid %d, not the recorded one",
				 (int)a->st.pid);
			status = seen;
		}
	} else if (!a->provisional && running &&
		   (want == 0 || a->st.pid == want)) {
		p->pid = a->st.pid;
		p->phase = POD_RUNNING;
	}
	/* Without a pidfd we could neither see it exit nor signal it
	 * safely (its pid may be reused): handle it as not running. */
	if (p->phase == POD_RUNNING && pod_watch_pidfd(p) == -1) {
		log_warn("pod %s: pidfd_open(%d)", name, (int)p->pid);
		if (p->pidfd >= 0)
			close(p->pidfd);
		p->pidfd = -1;
		p->phase = POD_PENDING;
		p->pid = 0;
		p->ready = p->ready_restored = false;
		endpoints_sync(d);
	}
	if (p->phase == POD_RUNNING) {
		pod_event(p, "Normal", "Adopted",
			  "Re-attached to running container (pid %d, %d "
			  "restarts)%s",
			  (int)p->pid, p->restarts,
			  p->ready ? "; served at once, as recorded ready"
				   : "");
		pod_start_probes(p);
		if (was_terminating)
			adopt_termination(p, j);
		return;
	}
	/* The container died (or never started) while no daemon watched. */
	cleanup_free char *dir = pod_dir(p);

	rt_delete_sync(&d->rt, name);
	rt_unmount(&d->rt, dir, NULL);
	if (was_terminating && remove_after) {
		pod_remove(p);
		return;
	}
	if (phase && !strcmp(phase, "waiting")) {
		/* Completed, Error, or in back-off: exactly as it was. */
		pod_resume_waiting(p, clock_wall_to_mono(restart_at));
		return;
	}
	if (phase && !strcmp(phase, "cleaning")) {
		/* It had exited; only its clean-up was interrupted. */
		pod_resume_after_exit(p);
		return;
	}
	pod_event(p, "Warning", "Exited",
		  "Container was not running when the daemon started "
		  "(state: %s)",
		  status[0] ? status : "no such container");
	p->restarts++;
	p->crashes++;
	store_save_pod(p);
	pod_start(p);
}

/* Exit statuses a reaper recorded for containers that no pod runs any
 * more (one that ended while no daemon ran, found gone above; a record
 * written after its daemon had stopped waiting): nobody reads them. The
 * pids of running pods keep theirs, which their pidfd watch reads. */
static void prune_exit_records(struct daemon *d)
{
	pid_t *keep = NULL;
	size_t n = 0, removed;

	for (struct pod *p = d->pods; p; p = p->next) {
		if (p->phase != POD_RUNNING || p->pid <= 0)
			continue;
		keep = xrealloc(keep, (n + 1) * sizeof(*keep));
		keep[n++] = p->pid;
	}
	removed = exits_prune(d->run_dir, keep, n);
	if (removed)
		log_info("removed %zu exit status record(s) of containers no "
			 "pod runs",
			 removed);
	free(keep);
}

/* Names in RUN_DIR/pods, NULL-terminated; "." and ".." left out. */
static char **list_pod_folders(const char *runpods)
{
	DIR *rd = opendir(runpods);
	struct dirent *de;
	char **names = xcalloc(1, sizeof(*names));
	size_t n = 0;

	while (rd && (de = readdir(rd)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xrealloc(names, (n + 2) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
		names[n] = NULL;
	}
	if (rd)
		closedir(rd);
	return names;
}

/* Trash folders (.trash-*) are removals a killed daemon left unfinished:
 * removed again on the thread pool. Runs before any pod is restored, so
 * none of this daemon's own trash is among them. */
static void remove_leftover_trash(struct daemon *d)
{
	cleanup_free char *runpods = xasprintf("%s/pods", d->run_dir);
	char **names = list_pod_folders(runpods);

	for (size_t i = 0; names[i]; i++) {
		if (fs_jobs_is_trash(names[i])) {
			cleanup_free char *trash =
			    xasprintf("%s/%s", runpods, names[i]);

			rootfs_unmount(trash, NULL);
			fs_jobs_remove_tree(d->loop, trash);
		}
		free(names[i]);
	}
	free(names);
}

struct records {
	json_t **j;
	size_t n;
};

static void collect_pod_record(json_t *j, const char *path, void *arg)
{
	struct records *r = arg;

	if (j == NULL) {
		log_warnx("state: unreadable pod record `%s`; ignored", path);
		return;
	}
	r->j = xrealloc(r->j, (r->n + 1) * sizeof(*r->j));
	r->j[r->n++] = j;
}

void store_restore_pods(struct daemon *d)
{
	cleanup_free char *dirpath = xasprintf("%s/pods", d->state_dir);
	struct records recs = {0};
	struct adopt *adopts;
	const char **ctr_ids;
	struct rt_state *st;
	size_t n = 0;
	char **ids = NULL;
	size_t n_ids = 0;

	remove_leftover_trash(d);
	store_for_each_record(dirpath, collect_pod_record, &recs);
	adopts = xcalloc(recs.n + 1, sizeof(*adopts));
	for (size_t i = 0; i < recs.n; i++) {
		bool provisional;
		struct pod *p = restore_pod(d, recs.j[i], &provisional);

		if (p == NULL) {
			json_decref(recs.j[i]);
			continue;
		}
		adopts[n].p = p;
		adopts[n].j = recs.j[i];
		adopts[n++].provisional = provisional;
	}
	free(recs.j);
	/* The recorded endpoints are served from here on; the runtime's
	 * answers for every pod at once follow. */
	endpoints_release(d);
	ctr_ids = xcalloc(n + 1, sizeof(*ctr_ids));
	st = xcalloc(n + 1, sizeof(*st));
	for (size_t i = 0; i < n; i++)
		ctr_ids[i] = adopts[i].p->name;
	if (d->handover) {
		/* The previous daemon saved every record and stopped acting
		 * before it started this one: a pod whose recorded process
		 * (pid and start time) is alive is running, without asking
		 * the runtime (about 100 ms of CPU per container, with the
		 * control API waiting). */
		for (size_t i = 0; i < n; i++) {
			st[i].rc = adopts[i].provisional ? 0 : -1;
			snprintf(st[i].status, sizeof(st[i].status), "%s",
				 adopts[i].provisional ? "running" : "");
			st[i].pid =
			    adopts[i].provisional ? adopts[i].p->pid : 0;
		}
	} else {
		rt_state_many(&d->rt, ctr_ids, n, st);
	}
	for (size_t i = 0; i < n; i++) {
		adopts[i].st = st[i];
		adopt_verify(d, &adopts[i]);
		json_decref(adopts[i].j);
	}
	free(ctr_ids);
	free(st);
	free(adopts);
	prune_exit_records(d);
	/* Pod folders (an overlay mount among them) that no record owns:
	 * a daemon killed between the mount and the spawn leaves one. Listed
	 * first: each removal adds a trash folder to this same folder. */
	{
		cleanup_free char *runpods = xasprintf("%s/pods", d->run_dir);
		char **names = list_pod_folders(runpods);

		for (size_t i = 0; names[i]; i++) {
			cleanup_free char *pdir =
			    xasprintf("%s/%s", runpods, names[i]);

			if (names[i][0] != '.' && !pod_find(d, names[i])) {
				log_info("removing %s: no pod record owns it",
					 pdir);
				rt_delete_sync(&d->rt, names[i]);
				rt_remove_dir(&d->rt, pdir, NULL);
			}
			free(names[i]);
		}
		free(names);
	}
	/* Containers under our runtime root that no record owns (none after
	 * a hand-over: see above). */
	if (!d->handover && rt_list_sync(&d->rt, &ids, &n_ids) == 0) {
		for (size_t i = 0; i < n_ids; i++) {
			if (pod_find(d, ids[i]) == NULL) {
				cleanup_free char *pdir =
				    xasprintf("%s/pods/%s", d->run_dir, ids[i]);

				log_info("removing container %s: no pod "
					 "record owns it",
					 ids[i]);
				rt_delete_sync(&d->rt, ids[i]);
				rt_remove_dir(&d->rt, pdir, NULL);
			}
			free(ids[i]);
		}
		free(ids);
	}
}
