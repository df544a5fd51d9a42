/* test_dashboard_timeline_store.c - recorded rollouts on disk: a record
 * survives its file unchanged, only the records kept keep their files
 * (stale temp files go too), the newest are read back in order, and a
 * damaged file is skipped without losing the others. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../common/xalloc.h"
#include "../../dashboard/timeline.h"
#include "../lib/tap.h"

static struct tl_rec *make(const char *dep, int64_t start, int revision)
{
	struct tl_rec *r = tl_rec_new();

	snprintf(r->dep, sizeof(r->dep), "%s", dep);
	snprintf(r->hash, sizeof(r->hash), "h%d", revision);
	r->revision = revision;
	r->from = revision - 1;
	r->start_wall_ms = start;
	r->done = 1;
	r->n_revs = 2;
	r->revs[0] = revision - 1;
	r->revs[1] = revision;
	snprintf(r->rev_hash[0], sizeof(r->rev_hash[0]), "h%d", revision - 1);
	snprintf(r->rev_hash[1], sizeof(r->rev_hash[1]), "h%d", revision);
	for (int i = 0; i < 30; i++) {
		struct tl_point *p = &r->pts[r->n_pts++];

		p->t_ms = (uint32_t)(i * 500);
		for (int k = 0; k < 2; k++) {
			p->r[k].rev = r->revs[k];
			p->r[k].present = (int16_t)(k ? i / 10 : 3 - i / 10);
			p->r[k].ready = (int16_t)(p->r[k].present > 0 && i % 2
						      ? p->r[k].present - 1
						      : p->r[k].present);
			p->r[k].rps = (float)(k ? i * 10 : 300 - i * 10);
			p->r[k].eps = (float)(i == 7 && k ? 2.5 : 0);
		}
	}
	r->evs[0] = (struct tl_event){.t_ms = 10, .warning = true};
	snprintf(r->evs[0].reason, sizeof(r->evs[0].reason), "Unhealthy");
	snprintf(r->evs[0].object, sizeof(r->evs[0].object), "pod/%s-x", dep);
	snprintf(r->evs[0].message, sizeof(r->evs[0].message),
		 "Readiness probe failed: \"quoted\" <b>");
	r->n_evs = 1;
	r->dirty = true;
	return r;
}

static int count_files(const char *dir, const char *with)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (dh && (de = readdir(dh)) != NULL)
		if (de->d_name[0] != '.' && strstr(de->d_name, with))
			n++;
	if (dh)
		closedir(dh);
	return n;
}

static bool same(const struct tl_rec *a, const struct tl_rec *b)
{
	if (strcmp(a->dep, b->dep) || strcmp(a->hash, b->hash) ||
	    a->revision != b->revision || a->from != b->from ||
	    a->start_wall_ms != b->start_wall_ms || a->n_revs != b->n_revs ||
	    a->n_pts != b->n_pts || a->n_evs != b->n_evs)
		return false;
	for (int k = 0; k < a->n_revs; k++)
		if (a->revs[k] != b->revs[k] ||
		    strcmp(a->rev_hash[k], b->rev_hash[k]))
			return false;
	for (size_t i = 0; i < a->n_pts; i++)
		for (int k = 0; k < a->n_revs; k++)
			if (a->pts[i].t_ms != b->pts[i].t_ms ||
			    a->pts[i].r[k].ready != b->pts[i].r[k].ready ||
			    a->pts[i].r[k].present != b->pts[i].r[k].present ||
			    a->pts[i].r[k].rps != b->pts[i].r[k].rps ||
			    a->pts[i].r[k].eps != b->pts[i].r[k].eps)
				return false;
	return !strcmp(a->evs[0].message, b->evs[0].message) &&
	       a->evs[0].warning == b->evs[0].warning;
}

int main(void)
{
	char tmpl[] = "/tmp/berth-tl-XXXXXX";
	char *dir, *path, why[200];
	struct tl_rec *recs[4] = {0}, *back[4] = {0};
	struct tl_rec *a, *b;
	struct tl_disk *disk;
	struct berr err = BERR_INIT;
	uv_loop_t loop;
	json_t *o;
	size_t n;

	uv_loop_init(&loop);
	dir = xasprintf("%s/timelines", mkdtemp(tmpl));

	a = make("web", 1000, 2);
	o = tl_rec_to_json(a);
	b = tl_rec_from_json(o, why, sizeof(why));
	json_decref(o);
	ok(b && same(a, b), "a record reads back from its JSON unchanged");
	ok(b && !b->interrupted, "a finished record is not interrupted");
	tl_rec_free(b);
	a->done = 0;
	o = tl_rec_to_json(a);
	b = tl_rec_from_json(o, why, sizeof(why));
	json_decref(o);
	ok(b && b->interrupted,
	   "a record written while it ran reads back as interrupted");
	tl_rec_free(b);
	tl_rec_free(a);
	o = json_pack("{s:i}", "format", 99);
	b = tl_rec_from_json(o, why, sizeof(why));
	ok(b == NULL && why[0], "another format is refused: %s", why);
	json_decref(o);

	disk = tl_disk_open(&loop, dir, back, 4, &n);
	ok(disk && n == 0 && count_files(dir, "") == 0,
	   "an empty folder is made and holds no record");
	recs[0] = make("web", 1000, 2);
	recs[1] = make("web", 2000, 3);
	recs[2] = make("api", 3000, 5);
	path = xasprintf("%s/web-1.tmp-abcdef", dir);
	file_write_atomic(path, "x", 1, 0600, &err);
	free(path);
	tl_disk_save(disk, recs, 3);
	ok(!recs[0]->dirty && !recs[2]->dirty, "the records are marked saved");
	tl_disk_save(disk, recs, 2); /* busy: nothing done */
	uv_run(&loop, UV_RUN_DEFAULT);
	ok(count_files(dir, ".json") == 3, "one file per record");
	ok(count_files(dir, ".tmp-") == 0, "a stale temp file was removed");

	/* the oldest goes: its file is removed */
	tl_rec_free(recs[0]);
	recs[0] = recs[1];
	recs[1] = recs[2];
	recs[2] = make("web", 4000, 4);
	tl_disk_save(disk, recs, 3);
	uv_run(&loop, UV_RUN_DEFAULT);
	ok(count_files(dir, ".json") == 3 && count_files(dir, "-1000.") == 0,
	   "a record no longer kept loses its file");
	tl_disk_close(disk);

	path = xasprintf("%s/broken-5000.json", dir);
	file_write_atomic(path, "{\"format\": 1, \"deploy", 21, 0600, &err);
	free(path);
	disk = tl_disk_open(&loop, dir, back, 2, &n);
	ok(n == 2, "at most max records are read back (%zu)", n);
	ok(n == 2 && back[0]->start_wall_ms == 3000 &&
	       back[1]->start_wall_ms == 4000,
	   "the newest, oldest first");
	ok(n == 2 && same(back[1], recs[2]), "the record is as it was saved");
	ok(n == 2 && !strcmp(back[1]->file, "web-4000.json"),
	   "it keeps its file name");
	tl_disk_save(disk, back, n);
	uv_run(&loop, UV_RUN_DEFAULT);
	ok(count_files(dir, ".json") == 2 && count_files(dir, "broken") == 0,
	   "the next save leaves only the records kept");
	tl_disk_close(disk);

	for (int i = 0; i < 3; i++)
		tl_rec_free(recs[i]);
	for (size_t i = 0; i < n; i++)
		tl_rec_free(back[i]);
	rm_rf(tmpl, &err);
	free(dir);
	uv_loop_close(&loop);
	return tap_done();
}
