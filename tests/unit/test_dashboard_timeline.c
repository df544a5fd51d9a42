/*
 * test_dashboard_timeline.c - dashboard/timeline.c's records against a
 * model built by hand: a deployment first seen starts no record; a
 * rollout over between two samples (the old revision's pods gone by the
 * record's first sample of its own) still shows the old revision, its
 * pods and its requests/s, from the last sample taken before the change;
 * a rollout that cuts another starts from that one's last sample, with
 * only the revisions that still had pods; a sample from before a gap is
 * no start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/xalloc.h"
#include "../../dashboard/dash_internal.h"
#include "../../dashboard/timeline.h"
#include "../lib/fixture.h"
#include "../lib/tap.h"

static const char ini[] = "[berth]\n"
			  "state_dir = /tmp\n"
			  "run_dir = /tmp\n"
			  "[deployment web]\n"
			  "image = /\n"
			  "command = /bin/web\n"
			  "replicas = 2\n";

/* dep at revision rev (hash) with its two pods p, ready, alone. */
static void roll(struct daemon *d, struct deployment *dep, struct pod *p,
		 int rev, const char *hash)
{
	dep->revision = rev;
	snprintf(dep->hash, sizeof(dep->hash), "%s", hash);
	memset(p, 0, 2 * sizeof(*p));
	for (int i = 0; i < 2; i++) {
		p[i].deployment = dep;
		p[i].phase = POD_RUNNING;
		p[i].ready = true;
		p[i].revision = rev;
		snprintf(p[i].hash, sizeof(p[i].hash), "%s", hash);
	}
	p[0].next = &p[1];
	d->pods = p;
}

/* The proxy's numbers per revision: hash takes rps. */
static void traffic(struct dashboard *db, const char *hash, double rps)
{
	json_decref(db->metrics);
	db->metrics = json_pack("{s:{s:{s:f, s:f}}}", "by_hash", hash, "rps",
				rps, "errors_ps", 0.0);
}

static int slot(const struct tl_rec *r, int rev)
{
	for (int k = 0; k < r->n_revs; k++)
		if (r->revs[k] == rev)
			return k;
	return -1;
}

int main(void)
{
	struct berth_config *cfg =
	    cfg_from_text(ini, "/tmp/berth-test-timeline-XXXXXX");
	struct daemon *d;
	struct deployment dep;
	struct pod *p1, *p2, *p3, *p4;
	struct dashboard db;
	const struct tl_rec *r;
	int k1, k2, k3;

	if (cfg == NULL) {
		printf("not ok 1 - config\n1..1\n");
		return 1;
	}
	d = xcalloc(1, sizeof(*d));
	p1 = xcalloc(2, sizeof(*p1));
	p2 = xcalloc(2, sizeof(*p2));
	p3 = xcalloc(2, sizeof(*p3));
	p4 = xcalloc(2, sizeof(*p4));
	fixture_deployment(&dep, d, "web", &cfg->deployments[0], 2, 1, "aaa",
			   1796464800000LL);
	d->deployments = &dep;
	memset(&db, 0, sizeof(db));
	db.d = d;
	db.timelines = timeline_store_new(uv_default_loop(), NULL);

	roll(d, &dep, p1, 1, "aaa");
	traffic(&db, "aaa", 40);
	timeline_sample(&db, 10000);
	timeline_sample(&db, 10500);
	ok(timeline_find(db.timelines, "web", 0) == NULL,
	   "a deployment first seen starts no record");

	/* Over between two samples: revision 2's pods alone at the next. */
	roll(d, &dep, p2, 2, "bbb");
	traffic(&db, "bbb", 30);
	timeline_sample(&db, 11000);
	r = timeline_find(db.timelines, "web", 2);
	ok(r != NULL, "the rollout is recorded");
	if (r == NULL)
		return tap_done();
	k1 = slot(r, 1);
	k2 = slot(r, 2);
	ok(r->n_revs == 2 && k1 >= 0 && k2 >= 0,
	   "both revisions are in the record (%d)", r->n_revs);
	is_int(r->from, 1, "from revision 1");
	is_int((int)r->n_pts, 2,
	       "the last sample before the change, then the first after");
	ok(k1 >= 0 && r->pts[0].t_ms == 0 && r->pts[0].r[k1].rev == 1 &&
	       r->pts[0].r[k1].present == 2 && r->pts[0].r[k1].ready == 2 &&
	       r->pts[0].r[k1].rps > 39.9f && r->pts[0].r[k1].rps < 40.1f,
	   "first: the old revision's pods and requests/s");
	ok(k1 >= 0 && k2 >= 0 && r->pts[1].t_ms == 500 &&
	       r->pts[1].r[k1].present == 0 && r->pts[1].r[k2].present == 2 &&
	       r->pts[1].r[k2].rps > 29.9f && r->pts[1].r[k2].rps < 30.1f,
	   "then the new revision's, 500 ms later");

	/* A rollout that cuts this one: from its last sample, without
	 * revision 1, which had no pod left in it. */
	roll(d, &dep, p3, 3, "ccc");
	traffic(&db, "ccc", 10);
	timeline_sample(&db, 11500);
	ok(timeline_find(db.timelines, "web", 2)->done != 0,
	   "the cut rollout's record ends");
	r = timeline_find(db.timelines, "web", 3);
	ok(r != NULL, "the next rollout is recorded");
	if (r == NULL)
		return tap_done();
	k2 = slot(r, 2);
	k3 = slot(r, 3);
	ok(r->n_revs == 2 && k2 == 0 && k3 == 1 && slot(r, 1) == -1,
	   "its revisions: 2, then 3 (%d)", r->n_revs);
	ok(r->n_pts == 2 && r->pts[0].t_ms == 0 &&
	       r->pts[0].r[k2].present == 2 && r->pts[0].r[k2].rps > 29.9f &&
	       r->pts[1].t_ms == 500 && r->pts[1].r[k3].present == 2,
	   "from the cut record's last sample");

	/* Long after the last sample (the loop stalled): no start from it. */
	timeline_sample(&db, 15000); /* complete since 11500: its tail ends */
	ok(timeline_find(db.timelines, "web", 3)->done != 0, "it completes");
	timeline_sample(&db, 15500);
	roll(d, &dep, p4, 4, "ddd");
	timeline_sample(&db, 30000);
	r = timeline_find(db.timelines, "web", 4);
	ok(r && r->n_pts == 1 && r->n_revs == 1 && r->revs[0] == 4,
	   "a sample from before a gap is no start");

	timeline_store_free(db.timelines);
	json_decref(db.metrics);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
	free(d);
	cfg_free(cfg);
	return tap_done();
}
