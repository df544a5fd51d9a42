/*
 * analysis_store.c - analysis runs under STATE_DIR/analysisruns, one
 * file per deployment (NAME.json: analysis_runs_save()'s document, its
 * last ANALYSIS_RUNS_PER_OWNER ended runs and every running one). A
 * change marks the deployment's file; from the next loop turn (so a
 * verdict's deployment record is written first, synchronously) the
 * document is encoded on the loop and written atomically on the thread
 * pool, one write per file at a time, the latest text next and a
 * removal after the last write. At start-up the files are read back into
 * the registry (analysis_runs_restore()) and the strategies take their
 * runs back; a run nobody took back is stopped after the first
 * controller pass. Decides nothing about runs or rollouts.
 */
#include "analysis_store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "bluegreen_analysis.h"
#include "canary.h"
#include "daemon.h"
#include "rollout_analysis.h"
#include "store.h"

struct astore_file {
	struct astore_file *next;
	char dep[64];
	bool dirty;	 /* changed since its last encode */
	bool writing;	 /* a write is on the thread pool */
	bool removed;	 /* the deployment is gone: unlink after writes */
	char *next_text; /* to write after the one in progress */
	struct astore_write *job; /* the write in progress */
};

struct analysis_store {
	struct daemon *d;
	char *dir;
	struct astore_file *files;
	uv_timer_t *flush; /* the daemon's: it outlives this */
	bool closing;
	int in_flight;
	bool warned;
};

struct astore_write {
	uv_work_t work;
	struct analysis_store *st;
	struct astore_file *f;
	char *path, *text;
	int rc;
	struct berr err;
	atomic_bool finished; /* the worker is done with the file */
};

static void maybe_free(struct analysis_store *st)
{
	if (!st->closing || st->in_flight > 0)
		return;
	while (st->files) {
		struct astore_file *f = st->files;

		st->files = f->next;
		free(f->next_text);
		free(f);
	}
	free(st->dir);
	free(st);
}

static struct astore_file *file_of(struct analysis_store *st, const char *dep)
{
	struct astore_file *f;

	for (f = st->files; f; f = f->next)
		if (!strcmp(f->dep, dep))
			return f;
	f = xcalloc(1, sizeof(*f));
	snprintf(f->dep, sizeof(f->dep), "%s", dep);
	f->next = st->files;
	st->files = f;
	return f;
}

static void write_work(uv_work_t *w)
{
	struct astore_write *job = w->data;

	job->rc = file_write_atomic(job->path, job->text, strlen(job->text),
				    0600, &job->err);
	atomic_store(&job->finished, true);
}

static void submit(struct analysis_store *st, struct astore_file *f,
		   char *text);

static void write_after(uv_work_t *w, int status)
{
	struct astore_write *job = w->data;
	struct analysis_store *st = job->st;
	struct astore_file *f = job->f;

	if (status != 0 && job->rc == 0) {
		job->rc = -1;
		berr_set(&job->err, "write of `%s` cancelled", job->path);
	}
	if (job->rc == -1 && !st->warned) {
		/* The next change writes the whole document again. */
		st->warned = true;
		log_warnx("analysis runs: %s", job->err.msg);
	} else if (job->rc == 0) {
		st->warned = false;
	}
	f->writing = false;
	f->job = NULL;
	st->in_flight--;
	if (f->removed) {
		free(f->next_text);
		f->next_text = NULL;
		unlink(job->path);
	} else if (f->next_text) {
		char *next = f->next_text;

		f->next_text = NULL;
		submit(st, f, next);
	}
	free(job->path);
	free(job->text);
	free(job);
	maybe_free(st);
}

/* Writes text (taken) as f's file, after the write in progress if any. */
static void submit(struct analysis_store *st, struct astore_file *f, char *text)
{
	struct astore_write *job;

	if (f->writing) {
		free(f->next_text);
		f->next_text = text;
		return;
	}
	job = xcalloc(1, sizeof(*job));
	job->st = st;
	job->f = f;
	job->path = xasprintf("%s/%s.json", st->dir, f->dep);
	job->text = text;
	job->err = (struct berr)BERR_INIT;
	job->work.data = job;
	atomic_init(&job->finished, false);
	f->job = job;
	f->writing = true;
	st->in_flight++;
	if (uv_queue_work(st->d->loop, &job->work, write_work, write_after) !=
	    0) {
		write_work(&job->work); /* no thread pool: here */
		write_after(&job->work, 0);
	}
}

static void encode(struct analysis_store *st, struct astore_file *f)
{
	char owner[96];
	json_t *j;
	char *text;

	f->dirty = false;
	if (st->d->analyses == NULL || f->removed)
		return;
	snprintf(owner, sizeof(owner), "deployment/%s", f->dep);
	j = analysis_runs_save(st->d->analyses, owner);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (text)
		submit(st, f, text);
}

static void flush_all(struct analysis_store *st)
{
	for (struct astore_file *f = st->files; f; f = f->next)
		if (f->dirty)
			encode(st, f);
}

static void on_flush(uv_timer_t *t)
{
	struct daemon *d = t->data;

	if (d->astore)
		flush_all(d->astore);
}

void analysis_store_changed(struct daemon *d, const char *owner)
{
	struct analysis_store *st = d->astore;
	const char *name = strchr(owner, '/');

	if (st == NULL || st->closing || name == NULL ||
	    strncmp(owner, "deployment/", 11) != 0)
		return;
	file_of(st, name + 1)->dirty = true;
	file_of(st, name + 1)->removed = false;
	if (!uv_is_active((uv_handle_t *)st->flush) &&
	    !uv_is_closing((uv_handle_t *)st->flush))
		uv_timer_start(st->flush, on_flush, 0, 0);
}

void analysis_store_write_now(struct daemon *d)
{
	struct analysis_store *st = d->astore;
	struct timespec ms = {0, 1000000};
	char owner[96];

	if (st == NULL || d->analyses == NULL)
		return;
	for (struct astore_file *f = st->files; f; f = f->next) {
		struct berr err = BERR_INIT;
		cleanup_free char *path = NULL;
		char *text;
		json_t *j;

		if (f->removed)
			continue;
		/* A write on the thread pool holds an older text: it ends
		 * first (it takes milliseconds), or this one would be
		 * replaced by it. */
		for (int i = 0; i < 2000 && f->writing && f->job &&
				!atomic_load(&f->job->finished);
		     i++)
			nanosleep(&ms, NULL);
		snprintf(owner, sizeof(owner), "deployment/%s", f->dep);
		j = analysis_runs_save(d->analyses, owner);
		text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
		path = xasprintf("%s/%s.json", st->dir, f->dep);
		if (text && file_write_atomic(path, text, strlen(text), 0600,
					      &err) == -1)
			log_warnx("analysis runs: %s", err.msg);
		free(text);
		f->dirty = false;
	}
}

void analysis_store_forget(struct daemon *d, const char *dep)
{
	struct analysis_store *st = d->astore;
	struct astore_file *f;
	cleanup_free char *path = NULL;

	if (st == NULL)
		return;
	f = file_of(st, dep);
	f->removed = true;
	f->dirty = false;
	if (!f->writing) {
		path = xasprintf("%s/%s.json", st->dir, dep);
		unlink(path);
	}
}

static const struct analysis_template *lookup(void *arg, const char *name)
{
	struct daemon *d = arg;

	return d->cfg ? cfg_find_analysis(d->cfg, name) : NULL;
}

/* A restored run's end goes to whichever strategy waits for it. */
static void restored_done(void *arg, const char *name,
			  enum analysis_phase phase, const char *why)
{
	canary_analysis_on_done(arg, name, phase, why);
	bluegreen_analysis_on_done(arg, name, phase, why);
}

static void restore_one(json_t *j, const char *path, void *arg)
{
	struct daemon *d = arg;
	const char *base = strrchr(path, '/');
	char dep[64];

	base = base ? base + 1 : path;
	snprintf(dep, sizeof(dep), "%.*s", (int)(strlen(base) - 5), base);
	if (daemon_find_deployment(d, dep) == NULL) {
		unlink(path); /* the deployment is gone: so are its runs */
	} else if (json_is_object(j)) {
		analysis_runs_restore(d->analyses, j, lookup, d, restored_done,
				      d);
	} else {
		log_warnx("analysis runs: %s cannot be read: left as it is",
			  path);
	}
	json_decref(j);
}

int analysis_store_init(struct daemon *d, struct berr *err)
{
	struct analysis_store *st = xcalloc(1, sizeof(*st));

	st->d = d;
	st->dir = xasprintf("%s/analysisruns", d->state_dir);
	if (mkdir_p(st->dir, 0700, err) == -1) {
		free(st->dir);
		free(st);
		return -1;
	}
	st->flush = &d->analysis_flush_timer;
	uv_timer_init(d->loop, st->flush);
	uv_unref((uv_handle_t *)st->flush);
	st->flush->data = d;
	d->astore = st;
	return 0;
}

void analysis_store_restore(struct daemon *d)
{
	if (d->astore == NULL || d->analyses == NULL)
		return;
	store_for_each_record(d->astore->dir, restore_one, d);
	for (struct deployment *dep = d->deployments; dep; dep = dep->next) {
		canary_analysis_restored(d, dep);
		bluegreen_analysis_restored(d, dep);
	}
	d->analysis_sweep = true;
}

void analysis_store_sweep(struct daemon *d)
{
	if (!d->analysis_sweep || d->analyses == NULL)
		return;
	d->analysis_sweep = false;
	analysis_runs_stop_unclaimed(d->analyses,
				     "no rollout took it back after the "
				     "restart");
}

void analysis_store_free(struct daemon *d)
{
	struct analysis_store *st = d->astore;

	if (st == NULL)
		return;
	/* What changed in this loop turn is written too (the loop runs
	 * until the writes are done); the timer is closed with the
	 * daemon's other handles. */
	flush_all(st);
	if (!uv_is_closing((uv_handle_t *)st->flush))
		uv_timer_stop(st->flush);
	d->astore = NULL;
	st->closing = true;
	maybe_free(st);
}
