/*
 * fs_jobs.c - log caps and tree removals on libuv's thread pool. Owns the
 * job structs and the list of caps in flight (both touched on the loop
 * thread only; a worker touches its own job and its files, nothing else).
 * Must not know about pods or daemon structures.
 */
#include "fs_jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "logs.h"

enum fs_job_kind { FS_JOB_CAP, FS_JOB_REMOVE };

struct fs_job {
	uv_work_t req;
	struct fs_job *next; /* in caps_in_flight (caps only) */
	uv_loop_t *loop;
	enum fs_job_kind kind;
	off_t max_bytes;
	int max_files;
	int rc;
	struct berr err;
	char path[]; /* a copy: the caller's string may be gone */
};

/* Loop thread only. */
static struct fs_job *caps_in_flight;
static unsigned pending;
static unsigned trash_counter;

/* Runs on a thread-pool worker. */
static void job_work(uv_work_t *req)
{
	struct fs_job *job = req->data;

	if (job->kind == FS_JOB_CAP)
		job->rc = logs_cap_files(job->path, job->max_bytes,
					 job->max_files, &job->err);
	else
		job->rc = rm_rf(job->path, &job->err);
}

/* Runs on the loop thread. */
static void job_done(uv_work_t *req, int status)
{
	struct fs_job *job = req->data;

	if (status != 0)
		log_warnx("%s `%s`: %s",
			  job->kind == FS_JOB_CAP ? "log cap" : "remove",
			  job->path, uv_strerror(status));
	else if (job->rc == -1 && job->kind == FS_JOB_CAP)
		log_warnx("log cap: %s", job->err.msg);
	else if (job->rc == -1) /* "remove `PATH`: ..." */
		log_warnx("%s", job->err.msg);
	if (job->kind == FS_JOB_CAP) {
		for (struct fs_job **pp = &caps_in_flight; *pp;
		     pp = &(*pp)->next) {
			if (*pp == job) {
				*pp = job->next;
				break;
			}
		}
	}
	pending--;
	free(job);
}

static struct fs_job *job_new(uv_loop_t *loop, enum fs_job_kind kind,
			      const char *path)
{
	size_t len = strlen(path) + 1;
	struct fs_job *job = xcalloc(1, sizeof(*job) + len);

	memcpy(job->path, path, len);
	job->loop = loop;
	job->kind = kind;
	job->req.data = job;
	return job;
}

static void job_queue(struct fs_job *job)
{
	int rc;

	pending++;
	rc = uv_queue_work(job->loop, &job->req, job_work, job_done);
	if (rc != 0) {
		/* Only a NULL callback makes this fail; do the work here. */
		job_work(&job->req);
		job_done(&job->req, 0);
	}
}

bool fs_jobs_cap_log(uv_loop_t *loop, const char *path, off_t max_bytes)
{
	return fs_jobs_cap_log_files(loop, path, max_bytes, 2);
}

bool fs_jobs_cap_log_files(uv_loop_t *loop, const char *path, off_t max_bytes,
			   int max_files)
{
	struct fs_job *job;

	for (job = caps_in_flight; job; job = job->next)
		if (job->loop == loop && !strcmp(job->path, path))
			return false;
	job = job_new(loop, FS_JOB_CAP, path);
	job->max_bytes = max_bytes;
	job->max_files = max_files;
	job->next = caps_in_flight;
	caps_in_flight = job;
	job_queue(job);
	return true;
}

void fs_jobs_remove_tree(uv_loop_t *loop, const char *path)
{
	job_queue(job_new(loop, FS_JOB_REMOVE, path));
}

/* LABEL of a trash name: path below trash_dir with '/' as '-', else its
 * last component. */
static char *trash_label(const char *path, const char *trash_dir)
{
	size_t n = strlen(trash_dir);
	const char *rest = strrchr(path, '/');
	char *label;

	rest = rest ? rest + 1 : path;
	if (!strncmp(path, trash_dir, n) && path[n] == '/' && path[n + 1])
		rest = path + n + 1;
	label = xstrndup(rest, 96);
	for (char *p = label; *p; p++)
		if (*p == '/')
			*p = '-';
	return label;
}

int fs_jobs_trash(uv_loop_t *loop, const char *path, const char *trash_dir,
		  struct berr *err)
{
	cleanup_free char *label = NULL;
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT
			   ? 0
			   : berr_errno(err, errno, "stat `%s`", path);
	if (loop == NULL)
		return rm_rf(path, err);
	label = trash_label(path, trash_dir);
	for (int tries = 0; tries < 16; tries++) {
		cleanup_free char *trash =
		    xasprintf("%s/" FS_JOBS_TRASH_PREFIX "%s-%ld-%u", trash_dir,
			      label, (long)getpid(), ++trash_counter);

		/* NOREPLACE: never lands on a trash folder being removed. */
		if (renameat2(AT_FDCWD, path, AT_FDCWD, trash,
			      RENAME_NOREPLACE) == 0) {
			fs_jobs_remove_tree(loop, trash);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	/* Another filesystem, no RENAME_NOREPLACE, ...: as before. */
	return rm_rf(path, err);
}

bool fs_jobs_is_trash(const char *name)
{
	return !strncmp(name, FS_JOBS_TRASH_PREFIX,
			strlen(FS_JOBS_TRASH_PREFIX));
}

unsigned fs_jobs_pending(void)
{
	return pending;
}
