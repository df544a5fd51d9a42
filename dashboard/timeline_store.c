/*
 * timeline_store.c - recorded rollouts on disk, so the last ones outlive
 * the daemon: one JSON file per record in STATE_DIR/timelines, written
 * whole with file_write_atomic() (temp file, fsync, rename) by a job on
 * libuv's thread pool that works on its own copies, one job at a time;
 * files of records no longer kept are removed by the same job. Read
 * back once, when the dashboard starts. Knows nothing of the model.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "timeline.h"

#define TL_FILE_MAX (4u << 20)
#define TL_FORMAT 1

struct tl_job {
	uv_work_t work;
	struct tl_disk *disk; /* NULL once the store is closed */
	char *dir;
	struct tl_rec **recs; /* copies of the dirty records */
	size_t n;
	char **keep; /* file names of every record kept */
	size_t n_keep;
	char err[600];
};

struct tl_disk {
	uv_loop_t *loop;
	char *dir;
	struct tl_job *job; /* in flight */
};

struct tl_rec *tl_rec_new(void)
{
	struct tl_rec *r = xcalloc(1, sizeof(*r));

	r->pts = xcalloc(TL_MAX_SAMPLES, sizeof(*r->pts));
	r->evs = xcalloc(TL_MAX_EVENTS, sizeof(*r->evs));
	return r;
}

void tl_rec_free(struct tl_rec *r)
{
	if (r == NULL)
		return;
	free(r->pts);
	free(r->evs);
	free(r);
}

static struct tl_rec *rec_copy(const struct tl_rec *r)
{
	struct tl_rec *c = tl_rec_new();
	struct tl_point *pts = c->pts;
	struct tl_event *evs = c->evs;

	*c = *r;
	c->pts = pts;
	c->evs = evs;
	memcpy(c->pts, r->pts, r->n_pts * sizeof(*r->pts));
	memcpy(c->evs, r->evs, r->n_evs * sizeof(*r->evs));
	return c;
}

static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

json_t *tl_rec_to_json(const struct tl_rec *r)
{
	json_t *revs = json_array(), *pts = json_array(), *evs = json_array();

	for (int k = 0; k < r->n_revs; k++)
		json_array_append_new(revs, json_pack("{s:i, s:s}", "revision",
						      r->revs[k], "hash",
						      r->rev_hash[k]));
	for (size_t i = 0; i < r->n_pts; i++) {
		json_t *p = json_array();

		json_array_append_new(p, json_integer(r->pts[i].t_ms));
		for (int k = 0; k < r->n_revs; k++) {
			json_array_append_new(
			    p, json_integer(r->pts[i].r[k].ready));
			json_array_append_new(
			    p, json_integer(r->pts[i].r[k].present));
			json_array_append_new(
			    p, json_real(round2(r->pts[i].r[k].rps)));
			json_array_append_new(
			    p, json_real(round2(r->pts[i].r[k].eps)));
		}
		json_array_append_new(pts, p);
	}
	for (size_t i = 0; i < r->n_evs; i++)
		json_array_append_new(
		    evs, json_pack("[i, b, s, s, s]", (int)r->evs[i].t_ms,
				   r->evs[i].warning, r->evs[i].reason,
				   r->evs[i].object, r->evs[i].message));
	return json_pack("{s:i, s:s, s:s, s:i, s:i, s:I, s:b, s:b, s:o, s:o, "
			 "s:o}",
			 "format", TL_FORMAT, "deployment", r->dep, "hash",
			 r->hash, "revision", r->revision, "from_revision",
			 r->from, "start_ms", (json_int_t)r->start_wall_ms,
			 "done", r->done != 0, "interrupted",
			 r->interrupted || r->done == 0, "revisions", revs,
			 "points", pts, "events", evs);
}

static void copy_str(char *dst, size_t len, json_t *v)
{
	snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

struct tl_rec *tl_rec_from_json(json_t *o, char *why, size_t why_len)
{
	struct tl_rec *r;
	json_t *revs, *pts, *evs, *v;
	json_error_t jerr;
	const char *dep = NULL, *hash = NULL;
	int revision = 0, from = 0, format = 0, done = 0, intr = 0;
	json_int_t start = 0;
	size_t i;

	if (json_unpack_ex(o, &jerr, 0,
			   "{s:i, s:s, s:s, s:i, s:i, s:I, s:b, s?b, s:o, "
			   "s:o, s:o}",
			   "format", &format, "deployment", &dep, "hash", &hash,
			   "revision", &revision, "from_revision", &from,
			   "start_ms", &start, "done", &done, "interrupted",
			   &intr, "revisions", &revs, "points", &pts, "events",
			   &evs) == -1) {
		snprintf(why, why_len, "%s", jerr.text);
		return NULL;
	}
	if (format != TL_FORMAT || !json_is_array(revs) ||
	    !json_is_array(pts) || !json_is_array(evs) ||
	    json_array_size(revs) > TL_MAX_REVS ||
	    json_array_size(pts) > TL_MAX_SAMPLES ||
	    json_array_size(evs) > TL_MAX_EVENTS || strlen(dep) >= 64 ||
	    strlen(hash) >= 16) {
		snprintf(why, why_len,
			 "not a timeline of format %d or larger than its "
			 "bounds",
			 TL_FORMAT);
		return NULL;
	}
	r = tl_rec_new();
	snprintf(r->dep, sizeof(r->dep), "%s", dep);
	snprintf(r->hash, sizeof(r->hash), "%s", hash);
	r->revision = revision;
	r->from = from;
	r->start_wall_ms = start;
	r->interrupted = intr || !done;
	r->n_revs = (int)json_array_size(revs);
	json_array_foreach(revs, i, v)
	{
		r->revs[i] =
		    (int)json_integer_value(json_object_get(v, "revision"));
		copy_str(r->rev_hash[i], sizeof(r->rev_hash[i]),
			 json_object_get(v, "hash"));
	}
	json_array_foreach(pts, i, v)
	{
		struct tl_point *p = &r->pts[r->n_pts];

		if (!json_is_array(v) ||
		    json_array_size(v) != 1 + 4 * (size_t)r->n_revs)
			continue;
		p->t_ms = (uint32_t)json_integer_value(json_array_get(v, 0));
		for (int k = 0; k < TL_MAX_REVS; k++)
			p->r[k].rev = -1;
		for (int k = 0; k < r->n_revs; k++) {
			size_t b = 1 + 4 * (size_t)k;

			p->r[k].ready =
			    (int16_t)json_integer_value(json_array_get(v, b));
			p->r[k].present = (int16_t)json_integer_value(
			    json_array_get(v, b + 1));
			p->r[k].rps =
			    (float)json_number_value(json_array_get(v, b + 2));
			p->r[k].eps =
			    (float)json_number_value(json_array_get(v, b + 3));
			if (p->r[k].present > 0)
				p->r[k].rev = r->revs[k];
		}
		r->n_pts++;
	}
	json_array_foreach(evs, i, v)
	{
		struct tl_event *e = &r->evs[r->n_evs];

		if (!json_is_array(v) || json_array_size(v) != 5)
			continue;
		e->t_ms = (uint32_t)json_integer_value(json_array_get(v, 0));
		e->warning = json_is_true(json_array_get(v, 1));
		copy_str(e->reason, sizeof(e->reason), json_array_get(v, 2));
		copy_str(e->object, sizeof(e->object), json_array_get(v, 3));
		copy_str(e->message, sizeof(e->message), json_array_get(v, 4));
		r->n_evs++;
	}
	return r;
}

/* The record's file name: DEPLOYMENT-STARTMS.json. */
static void file_name(struct tl_rec *r)
{
	if (r->file[0] == '\0')
		snprintf(r->file, sizeof(r->file), "%s-%lld.json", r->dep,
			 (long long)r->start_wall_ms);
}

static bool record_file(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".json") &&
	       strchr(name, '/') == NULL;
}

static int by_start(const void *a, const void *b)
{
	const struct tl_rec *x = *(struct tl_rec *const *)a;
	const struct tl_rec *y = *(struct tl_rec *const *)b;

	return (x->start_wall_ms > y->start_wall_ms) -
	       (x->start_wall_ms < y->start_wall_ms);
}

struct tl_disk *tl_disk_open(uv_loop_t *loop, const char *dir,
			     struct tl_rec **recs, size_t max, size_t *n)
{
	struct tl_disk *t;
	struct berr err = BERR_INIT;
	struct tl_rec **all;
	size_t n_all = 0, cap = 4 * max;
	struct dirent *de;
	DIR *dh;

	*n = 0;
	if (dir == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	t->dir = xstrdup(dir);
	if (mkdir_p(dir, 0700, &err) == -1) {
		log_warnx("timelines: %s; rollouts are kept in memory only",
			  err.msg);
		return t;
	}
	dh = opendir(dir);
	if (dh == NULL) {
		log_warn("timelines: open `%s`", dir);
		return t;
	}
	all = xcalloc(cap, sizeof(*all));
	while ((de = readdir(dh)) != NULL && n_all < cap) {
		char *path, *text = NULL, why[600] = "";
		size_t len;
		json_t *o;
		json_error_t jerr;
		struct tl_rec *r = NULL;

		if (!record_file(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (file_read_bounded(path, TL_FILE_MAX, FILE_READ_NOFOLLOW,
				      &text, &len, &err) == -1) {
			snprintf(why, sizeof(why), "%s", err.msg);
			berr_clear(&err);
		} else if ((o = json_loadb(text, len, 0, &jerr)) == NULL) {
			snprintf(why, sizeof(why), "line %d: %s", jerr.line,
				 jerr.text);
		} else {
			r = tl_rec_from_json(o, why, sizeof(why));
			json_decref(o);
		}
		if (r) {
			snprintf(r->file, sizeof(r->file), "%s", de->d_name);
			all[n_all++] = r;
		} else {
			log_warnx("timelines: `%s` skipped: %s", path, why);
		}
		free(text);
		free(path);
	}
	closedir(dh);
	qsort(all, n_all, sizeof(*all), by_start);
	for (size_t i = 0; i < n_all; i++) {
		if (n_all - i > max)
			tl_rec_free(all[i]); /* the next save removes it */
		else
			recs[(*n)++] = all[i];
	}
	free(all);
	return t;
}

static void job_free(struct tl_job *j)
{
	for (size_t i = 0; i < j->n; i++)
		tl_rec_free(j->recs[i]);
	for (size_t i = 0; i < j->n_keep; i++)
		free(j->keep[i]);
	free(j->recs);
	free(j->keep);
	free(j->dir);
	free(j);
}

/* On the thread pool: the records, then the files of records gone. */
static void job_work(uv_work_t *w)
{
	struct tl_job *j = w->data;
	struct berr err = BERR_INIT;
	struct dirent *de;
	DIR *dh;

	for (size_t i = 0; i < j->n; i++) {
		json_t *o = tl_rec_to_json(j->recs[i]);
		char *text =
		    json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(8));
		char *path = xasprintf("%s/%s", j->dir, j->recs[i]->file);

		json_decref(o);
		if (text == NULL || file_write_atomic(path, text, strlen(text),
						      0600, &err) == -1) {
			if (j->err[0] == '\0')
				snprintf(j->err, sizeof(j->err), "%s",
					 text ? err.msg : "out of memory");
			berr_clear(&err);
		}
		free(text);
		free(path);
	}
	dh = opendir(j->dir);
	if (dh == NULL)
		return;
	while ((de = readdir(dh)) != NULL) {
		bool keep = !record_file(de->d_name) &&
			    strstr(de->d_name, ".tmp-") == NULL;
		char *path;

		for (size_t i = 0; i < j->n_keep && !keep; i++)
			keep = !strcmp(j->keep[i], de->d_name);
		if (keep || de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", j->dir, de->d_name);
		if (unlink(path) == -1 && errno != ENOENT && j->err[0] == '\0')
			snprintf(j->err, sizeof(j->err), "remove `%s`: %s",
				 path, strerror(errno));
		free(path);
	}
	closedir(dh);
}

static void job_done(uv_work_t *w, int status)
{
	struct tl_job *j = w->data;

	(void)status;
	if (j->err[0])
		log_warnx("timelines: %s (the rollouts stay in memory)",
			  j->err);
	if (j->disk)
		j->disk->job = NULL;
	job_free(j);
}

void tl_disk_save(struct tl_disk *t, struct tl_rec *const *recs, size_t n)
{
	struct tl_job *j;

	if (t == NULL || t->job)
		return; /* dirty flags stay: the next call writes them */
	j = xcalloc(1, sizeof(*j));
	j->disk = t;
	j->dir = xstrdup(t->dir);
	j->recs = xcalloc(n + 1, sizeof(*j->recs));
	j->keep = xcalloc(n + 1, sizeof(*j->keep));
	for (size_t i = 0; i < n; i++) {
		file_name(recs[i]);
		j->keep[j->n_keep++] = xstrdup(recs[i]->file);
		if (!recs[i]->dirty)
			continue;
		recs[i]->dirty = false;
		j->recs[j->n++] = rec_copy(recs[i]);
	}
	j->work.data = j;
	if (uv_queue_work(t->loop, &j->work, job_work, job_done) != 0) {
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < j->n; k++)
				recs[i]->dirty =
				    recs[i]->dirty ||
				    !strcmp(recs[i]->file, j->recs[k]->file);
		job_free(j);
		return;
	}
	t->job = j;
}

void tl_disk_close(struct tl_disk *t)
{
	if (t == NULL)
		return;
	if (t->job)
		t->job->disk = NULL;
	free(t->dir);
	free(t);
}
