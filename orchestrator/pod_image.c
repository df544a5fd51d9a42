/*
 * pod_image.c - image references for pods: resolve (and pull) on the
 * thread pool, one pull per reference however many pods wait for it, the
 * kubelet's pull events and waiting reasons, the pull back-off, leases,
 * the import folder, image GC by disk usage (images of kept revisions
 * leased, least recently used removed first). Never touches a container or the
 * pod's folder (pod.c and the runtime do); never blocks the loop on the store.
 */
#include "pod_image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "../images/images.h"
#include "../images/import.h"
#include "daemon.h"
#include "events.h"
#include "pod.h"
#include "store.h"

#define IMPORT_SCAN_MS 10000
#define BACKOFF_SHOWN_MS 1000 /* ErrImagePull, then ImagePullBackOff */

bool pod_image_is_folder(const char *image)
{
	return image && image[0] == '/';
}

/* Copies of what a worker needs from the daemon: it must not read the
 * daemon (an apply may replace its config meanwhile). */
struct store_args {
	char *state_dir;
	char **insecure;
	size_t n_insecure;
};

static void store_args_init(struct store_args *a, const struct daemon *d)
{
	const struct strv *ins = &d->cfg->insecure_registries;

	a->state_dir = xstrdup(d->state_dir);
	a->n_insecure = ins->n;
	a->insecure = xcalloc(ins->n + 1, sizeof(char *));
	for (size_t i = 0; i < ins->n; i++)
		a->insecure[i] = xstrdup(ins->v[i]);
}

static void store_args_free(struct store_args *a)
{
	free(a->state_dir);
	for (size_t i = 0; i < a->n_insecure; i++)
		free(a->insecure[i]);
	free(a->insecure);
	memset(a, 0, sizeof(*a));
}

/* One pod's resolve, from the call to ready/failed. */
struct image_op {
	struct image_op *next_waiter; /* in a pull_job's list */
	struct pod *pod;
	void (*ready)(struct pod *, const struct pod_image_ready *);
	void (*failed)(struct pod *, const char *);
	enum image_pull_policy policy;
	bool pulled;	   /* a pull for it succeeded */
	int64_t pull_ms;   /* how long that pull took */
	int64_t pull_size; /* the image's size */
	size_t reserve;	   /* the mount options after lowerdir */
	/* the local resolve (worker) */
	uv_work_t work;
	struct store_args args;
	int rc;
	enum images_failure why;
	struct berr err;
	struct images_resolved out;
	char *lowerdir;
};

/* A pull under way: every op waiting for the same reference joins it. */
struct pull_job {
	struct pull_job *next;
	uv_work_t work;
	char *ref;
	struct store_args args;
	struct image_op *waiters;
	int64_t started_mono;
	int rc;
	struct berr err;
	int64_t size;
};

static struct pull_job *pulls; /* loop thread only */

static enum image_pull_policy effective_policy(const struct pod *p)
{
	struct image_ref r;
	struct berr err = BERR_INIT;

	if (p->spec->image_pull_policy > 0)
		return (enum image_pull_policy)(p->spec->image_pull_policy - 1);
	if (image_ref_parse(p->spec->image, &r, &err) == -1)
		return IMAGE_PULL_ALWAYS;
	return image_ref_default_policy(&r);
}

static void op_free(struct image_op *op)
{
	store_args_free(&op->args);
	images_resolved_free(&op->out);
	free(op->lowerdir);
	pod_unref(op->pod);
	free(op);
}

/* --- the pull back-off ---------------------------------------------------- */

static void backoff_fired(uv_timer_t *t)
{
	struct pod *p = t->data;
	int64_t now = mono_ms();

	if (p->phase != POD_WAITING || pod_terminating(p))
		return;
	if (!strcmp(p->last_reason, "ErrImagePull") &&
	    now < p->restart_at_mono) {
		snprintf(p->last_reason, sizeof(p->last_reason), "%s",
			 "ImagePullBackOff");
		pod_event(p, "Normal", "BackOff",
			  "Back-off pulling image \"%s\"", p->spec->image);
		pod_event(p, "Warning", "Failed", "Error: ImagePullBackOff");
		clock_timer_start(&p->timer, backoff_fired,
				  (uint64_t)(p->restart_at_mono - now));
		pod_changed(p);
		return;
	}
	pod_start(p);
}

static void wait_with(struct pod *p, const char *reason, const char *msg,
		      bool retry)
{
	int64_t delay = 0;

	snprintf(p->last_reason, sizeof(p->last_reason), "%s", reason);
	snprintf(p->last_message, sizeof(p->last_message), "%s", msg);
	p->phase = POD_WAITING;
	p->restart_at_mono = 0;
	if (retry) {
		p->pull_failures++;
		delay = (int64_t)images_pull_backoff_seconds(p->pull_failures) *
			1000;
		p->restart_at_mono = mono_ms() + delay;
		clock_timer_start(&p->timer, backoff_fired,
				  !strcmp(reason, "ErrImagePull")
				      ? BACKOFF_SHOWN_MS
				      : (uint64_t)delay);
	}
	store_save_pod(p);
	pod_changed(p);
}

static void op_failed(struct image_op *op, enum images_failure why,
		      const char *msg)
{
	struct pod *p = op->pod;
	const char *ref = p->spec->image;
	const char *reason = images_failure_reason(why);

	if (p->phase == POD_GONE)
		goto out;
	if (pod_terminating(p) || why == IMAGES_ERR_STORE) {
		op->failed(p, msg);
		goto out;
	}
	switch (why) {
	case IMAGES_ERR_PULL:
		pod_event(p, "Warning", "Failed",
			  "Failed to pull image \"%s\": %s", ref, msg);
		break;
	case IMAGES_NEVER_PULL:
		pod_event(p, "Warning", "ErrImageNeverPull",
			  "Container image \"%s\" is not present with pull "
			  "policy of Never",
			  ref);
		break;
	default:
		pod_event(p, "Warning", "InspectFailed",
			  "Failed to apply default image tag \"%s\": couldn't "
			  "parse image reference \"%s\": %s",
			  ref, ref, msg);
		break;
	}
	pod_event(p, "Warning", "Failed", "Error: %s", reason);
	wait_with(p, reason, msg, why != IMAGES_INVALID_NAME);
out:
	op_free(op);
}

/* --- leases --------------------------------------------------------------- */

struct lease_job {
	uv_work_t work;
	char *state_dir;
	char *holder;
};

static void lease_work(uv_work_t *w)
{
	struct lease_job *j = w->data;
	struct img_store *s = NULL;
	struct berr err = BERR_INIT;

	if (img_store_open(j->state_dir, &s, &err) == 0)
		img_lease_drop(s, j->holder, &err);
	if (err.msg[0])
		log_warnx("pod %s: dropping its image lease: %s", j->holder,
			  err.msg);
	img_store_close(s);
}

static void lease_after(uv_work_t *w, int status)
{
	struct lease_job *j = w->data;

	free(j->state_dir);
	free(j->holder);
	free(j);
}

static void lease_drop(struct daemon *d, const char *holder)
{
	struct lease_job *j = xcalloc(1, sizeof(*j));

	j->state_dir = xstrdup(d->state_dir);
	j->holder = xstrdup(holder);
	j->work.data = j;
	if (uv_queue_work(d->loop, &j->work, lease_work, lease_after) != 0)
		lease_after(&j->work, 0);
}

void pod_image_release(struct pod *p)
{
	if (!pod_image_is_folder(p->spec->image))
		lease_drop(p->daemon, p->name);
}

/* --- the local resolve: from the store, leased to the pod ---------------- */

static void local_work(uv_work_t *w)
{
	struct image_op *op = w->data;
	struct img_store *s = NULL;

	op->rc = img_store_open(op->args.state_dir, &s, &op->err);
	if (op->rc == -1) {
		op->why = IMAGES_ERR_STORE;
		return;
	}
	op->rc = images_resolve(s, op->pod->spec->image, IMAGE_PULL_NEVER, NULL,
				op->pod->name, &op->out, &op->why, &op->err);
	if (op->rc == 0) {
		op->rc = images_lowerdir(&op->out, op->reserve, &op->lowerdir,
					 &op->err);
		if (op->rc == -1)
			op->why = IMAGES_ERR_STORE;
	}
	img_store_close(s);
}

static void start_pull(struct image_op *op);
static void scan_soon(void);

static void local_after(uv_work_t *w, int status)
{
	struct image_op *op = w->data;
	struct pod *p = op->pod;
	struct bundle_image img = {0};
	struct pod_image_ready ready = {0};

	if (p->phase == POD_GONE) {
		if (op->rc == 0)
			lease_drop(p->daemon, p->name);
		op_free(op);
		return;
	}
	if (op->rc == -1 || status != 0) {
		if (op->why == IMAGES_NEVER_PULL && !op->pulled &&
		    op->policy == IMAGE_PULL_IF_NOT_PRESENT &&
		    !pod_terminating(p)) {
			store_args_free(&op->args);
			op->err = (struct berr)BERR_INIT;
			start_pull(op);
			return;
		}
		op_failed(op, status ? IMAGES_ERR_STORE : op->why,
			  op->err.msg[0] ? op->err.msg : "cancelled");
		return;
	}
	if (op->pulled)
		pod_event(p, "Normal", "Pulled",
			  "Successfully pulled image \"%s\" in %lld.%03llds. "
			  "Image size: %lld bytes.",
			  p->spec->image, (long long)(op->pull_ms / 1000),
			  (long long)(op->pull_ms % 1000),
			  (long long)op->pull_size);
	else
		pod_event(p, "Normal", "Pulled",
			  "Container image \"%s\" already present on machine",
			  p->spec->image);
	free(p->image_id);
	p->image_id = xstrdup(op->out.repo_digest[0] ? op->out.repo_digest
						     : op->out.image_id);
	p->pull_failures = 0;
	scan_soon();
	img.entrypoint = op->out.config.entrypoint;
	img.cmd = op->out.config.cmd;
	img.env = op->out.config.env;
	img.working_dir = op->out.config.working_dir;
	img.user = op->out.config.user;
	ready.lowerdir = op->lowerdir;
	ready.image = &img;
	op->ready(p, &ready);
	op_free(op);
}

static void start_local(struct image_op *op)
{
	int r;

	store_args_init(&op->args, op->pod->daemon);
	op->work.data = op;
	r = uv_queue_work(op->pod->daemon->loop, &op->work, local_work,
			  local_after);
	if (r != 0) {
		op->rc = -1;
		op->why = IMAGES_ERR_STORE;
		berr_set(&op->err, "queue image resolve: %s", uv_strerror(r));
		local_after(&op->work, 0);
	}
}

/* --- the shared pull ------------------------------------------------------ */

static void pull_work(uv_work_t *w)
{
	struct pull_job *j = w->data;
	struct img_pull_opts opts = {.insecure = j->args.insecure,
				     .n_insecure = j->args.n_insecure};
	struct images_resolved out;
	enum images_failure why;
	struct img_store *s = NULL;

	j->rc = img_store_open(j->args.state_dir, &s, &j->err);
	if (j->rc == 0) {
		j->rc = images_resolve(s, j->ref, IMAGE_PULL_ALWAYS, &opts,
				       NULL, &out, &why, &j->err);
		if (j->rc == 0) {
			j->size = out.size;
			images_resolved_free(&out);
		}
	}
	img_store_close(s);
}

static void pull_after(uv_work_t *w, int status)
{
	struct pull_job *j = w->data;
	int64_t took = mono_ms() - j->started_mono;
	struct image_op *op, *next;

	for (struct pull_job **pp = &pulls; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	for (op = j->waiters; op; op = next) {
		next = op->next_waiter;
		if (j->rc == -1 || status != 0) {
			op_failed(op, IMAGES_ERR_PULL,
				  j->err.msg[0] ? j->err.msg : "cancelled");
			continue;
		}
		op->pulled = true;
		op->pull_ms = took;
		op->pull_size = j->size;
		if (op->pod->phase == POD_GONE) {
			op_free(op);
			continue;
		}
		start_local(op);
	}
	store_args_free(&j->args);
	free(j->ref);
	free(j);
}

static void start_pull(struct image_op *op)
{
	struct pod *p = op->pod;
	struct pull_job *j;
	int r;

	pod_event(p, "Normal", "Pulling", "Pulling image \"%s\"",
		  p->spec->image);
	for (j = pulls; j; j = j->next)
		if (!strcmp(j->ref, p->spec->image))
			break;
	if (j == NULL) {
		j = xcalloc(1, sizeof(*j));
		j->ref = xstrdup(p->spec->image);
		store_args_init(&j->args, p->daemon);
		j->started_mono = mono_ms();
		j->work.data = j;
		r = uv_queue_work(p->daemon->loop, &j->work, pull_work,
				  pull_after);
		if (r != 0) {
			store_args_free(&j->args);
			free(j->ref);
			free(j);
			op_failed(op, IMAGES_ERR_STORE, uv_strerror(r));
			return;
		}
		j->next = pulls;
		pulls = j;
	}
	op->next_waiter = j->waiters;
	j->waiters = op;
}

void pod_image_resolve(struct pod *p,
		       void (*ready)(struct pod *,
				     const struct pod_image_ready *),
		       void (*failed)(struct pod *, const char *why))
{
	struct image_op *op = xcalloc(1, sizeof(*op));
	size_t dir_len = strlen(p->daemon->run_dir) + strlen(p->name) + 16;
	struct image_ref r;

	pod_ref(p);
	op->pod = p;
	op->ready = ready;
	op->failed = failed;
	op->policy = effective_policy(p);
	op->reserve = 2 * dir_len + strlen(",upperdir=,workdir=") + 16;
	if (image_ref_parse(p->spec->image, &r, &op->err) == -1) {
		op_failed(op, IMAGES_INVALID_NAME, op->err.msg);
		return;
	}
	if (op->policy == IMAGE_PULL_ALWAYS)
		start_pull(op);
	else
		start_local(op);
}

/* --- the import folder and image GC ----------------------------------------
 */

/* Revision leases: "revision.DEPLOYMENT.N" (images/store_leases.c). */
#define REVISION_LEASE "revision."
#define KICK_MS 1000 /* a scan soon after a pod's image resolved */

static uv_timer_t import_timer;
static bool import_timer_open, import_running;

struct import_job {
	uv_work_t work;
	char *state_dir;
	char *dir;
	int high, low; /* watermarks, percent of the store's file system */
	/* the images of every revision kept: they stay */
	char **holders, **refs;
	size_t n_refs;
	int n;
	int removed;
	int usage; /* percent of the store's file system in use, -1 unknown */
	struct berr err;
	struct berr gc_err;
};

static void import_job_free(struct import_job *j)
{
	for (size_t i = 0; i < j->n_refs; i++) {
		free(j->holders[i]);
		free(j->refs[i]);
	}
	free(j->holders);
	free(j->refs);
	free(j->state_dir);
	free(j->dir);
	free(j);
}

static int disk_usage(const char *path)
{
	struct statvfs v;

	if (statvfs(path, &v) == -1 || v.f_blocks == 0)
		return -1;
	return (int)(100 * (v.f_blocks - v.f_bfree) / v.f_blocks);
}

static int last_used_cmp(const void *a, const void *b)
{
	json_int_t x = json_integer_value(
	    json_object_get(*(json_t *const *)a, "lastUsed"));
	json_int_t y = json_integer_value(
	    json_object_get(*(json_t *const *)b, "lastUsed"));

	return (x > y) - (x < y);
}

/* The kubelet's image GC: at or above the high watermark, removes images
 * no pod and no kept revision uses, least recently used first, until the
 * store's file system is below the low watermark. */
static void image_gc(struct img_store *s, struct import_job *j)
{
	json_t *list, *rows, *row, **v;
	size_t i, n = 0;

	j->usage = disk_usage(s->dir);
	if (j->usage < j->high || j->high >= 100)
		return;
	list = img_list(s, &j->gc_err);
	rows = json_object_get(list, "images");
	v = xcalloc(json_array_size(rows) + 1, sizeof(*v));
	json_array_foreach(rows, i, row)
	{
		if (!json_is_true(json_object_get(row, "inUse")))
			v[n++] = row;
	}
	qsort(v, n, sizeof(*v), last_used_cmp);
	for (i = 0; i < n && disk_usage(s->dir) >= j->low; i++) {
		const char *m =
		    json_string_value(json_object_get(v[i], "manifest"));
		struct berr err = BERR_INIT;

		/* an image has a row per name: the first removes it, the
		 * others find it gone (ENOENT) */
		if (img_remove(s, m, &err) == 0)
			j->removed++;
		else if (err.code != ENOENT)
			j->gc_err = err;
	}
	j->usage = disk_usage(s->dir);
	free(v);
	json_decref(list);
}

static void import_work(uv_work_t *w)
{
	struct import_job *j = w->data;
	struct img_store *s = NULL;

	j->usage = -1;
	if (img_store_open(j->state_dir, &s, &j->err) == 0) {
		img_import_dir_scan(s, j->dir, &j->n, &j->err);
		img_leases_sync(s, REVISION_LEASE, j->holders, j->refs,
				j->n_refs, &j->gc_err);
		image_gc(s, j);
	}
	img_store_close(s);
}

static void import_after(uv_work_t *w, int status)
{
	struct import_job *j = w->data;

	if (j->err.msg[0])
		log_warnx("image import from %s: %s", j->dir, j->err.msg);
	else if (j->n > 0)
		log_info("imported %d image archive%s from %s", j->n,
			 j->n == 1 ? "" : "s", j->dir);
	if (j->gc_err.msg[0])
		log_warnx("image garbage collection: %s", j->gc_err.msg);
	if (j->removed > 0)
		log_info("image garbage collection: removed %d unused image%s; "
			 "the image store's file system is %d%% full",
			 j->removed, j->removed == 1 ? "" : "s", j->usage);
	if (j->usage >= j->high && j->high < 100)
		log_warnx(
		    "image garbage collection: the image store's file "
		    "system is still %d%% full (imageGCHighThresholdPercent "
		    "%d); the images left are in use",
		    j->usage, j->high);
	import_running = false;
	import_job_free(j);
}

/* The references of every revision kept (revisionHistoryLimit), current
 * ones included, as lease holders: read on the loop thread. */
static void collect_revisions(struct daemon *d, struct import_job *j)
{
	size_t cap = 0;

	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		cap += dep->n_revisions;
	j->holders = xcalloc(cap + 1, sizeof(char *));
	j->refs = xcalloc(cap + 1, sizeof(char *));
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		for (size_t i = 0; i < dep->n_revisions; i++) {
			const struct revision *r = &dep->revisions[i];

			if (r->spec == NULL || r->spec->image == NULL ||
			    pod_image_is_folder(r->spec->image))
				continue;
			j->holders[j->n_refs] = xasprintf(
			    REVISION_LEASE "%s.%d", dep->name, r->number);
			j->refs[j->n_refs++] = xstrdup(r->spec->image);
		}
}

static void import_scan(uv_timer_t *t)
{
	struct daemon *d = t->data;
	struct import_job *j;

	if (import_running || d->shutting_down)
		return;
	j = xcalloc(1, sizeof(*j));
	j->state_dir = xstrdup(d->state_dir);
	j->dir = d->cfg->image_import_dir
		     ? xstrdup(d->cfg->image_import_dir)
		     : xasprintf("%s/images/import", d->state_dir);
	j->high = d->cfg->image_gc_high_percent;
	j->low = d->cfg->image_gc_low_percent;
	collect_revisions(d, j);
	j->work.data = j;
	if (uv_queue_work(d->loop, &j->work, import_work, import_after) != 0) {
		import_job_free(j);
		return;
	}
	import_running = true;
}

/* A pod's image was just resolved: its revision's lease is written within
 * a second rather than at the next scan. */
static void scan_soon(void)
{
	if (import_timer_open && uv_timer_get_due_in(&import_timer) > KICK_MS)
		uv_timer_start(&import_timer, import_scan, KICK_MS,
			       IMPORT_SCAN_MS);
}

static int import_start(struct daemon *d, struct berr *err)
{
	uv_timer_init(d->loop, &import_timer);
	import_timer.data = d;
	import_timer_open = true;
	uv_timer_start(&import_timer, import_scan, 0, IMPORT_SCAN_MS);
	return 0;
}

static void import_stop(struct daemon *d)
{
	if (import_timer_open) {
		uv_timer_stop(&import_timer);
		uv_close((uv_handle_t *)&import_timer, NULL);
		import_timer_open = false;
	}
}

const struct daemon_plugin pod_image_plugin = {
    .name = "image import",
    .start = import_start,
    .stop = import_stop,
};
