/*
 * test_kube_history.c - resourceVersions and the change history behind
 * watches: ADDED, MODIFIED, DELETED in order with growing versions, no
 * event for an object that did not change, objects stamped with their own
 * last change, and "gone" (-1) once the ring no longer holds a version.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/xalloc.h"
#include "../../config/config.h"
#include "../../kube/kobj.h"
#include "../../kube/kube_internal.h"
#include "../lib/fixture.h"
#include "../lib/tap.h"

static const char ini[] = "[berth]\n"
			  "state_dir = /tmp\n"
			  "run_dir = /tmp\n"
			  "[deployment web]\n"
			  "image = /\n"
			  "command = /bin/true\n"
			  "replicas = 1\n"
			  "labels = app=web\n";

struct seen {
	char log[4096];
	uint64_t last_rv;
	bool ordered;
	int n;
};

static int collect_event(void *arg, const struct kres *r, const char *type,
			 json_t *obj)
{
	struct seen *s = arg;
	uint64_t rv = strtoull(
	    json_string_value(kube_path(obj, "metadata.resourceVersion")), NULL,
	    10);

	if (rv <= s->last_rv)
		s->ordered = false;
	s->last_rv = rv;
	s->n++;
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log),
		 "%s %s/%s;", type, r->name,
		 json_string_value(kube_path(obj, "metadata.name")));
	return 0;
}

int main(void)
{
	struct berth_config *cfg =
	    cfg_from_text(ini, "/tmp/berth-test-kube-XXXXXX");
	struct daemon *d;
	struct kube_server ks;
	struct deployment dep;
	struct revision rev;
	struct pod p;
	const struct kres *pods = kube_resource("", "pods");
	struct seen s;
	uint64_t rv0, rv1;
	json_t *items;

	if (cfg == NULL) {
		printf("not ok 1 - config\n1..1\n");
		return 1;
	}
	d = xcalloc(1, sizeof(*d));
	memset(&ks, 0, sizeof(ks));
	memset(&rev, 0, sizeof(rev));
	memset(&p, 0, sizeof(p));
	ks.d = d;
	fixture_deployment(&dep, NULL, "web", &cfg->deployments[0], 1, 0,
			   "abc123", 1796464800000LL);
	rev.number = 1;
	snprintf(rev.hash, sizeof(rev.hash), "abc123");
	rev.spec = dep.spec;
	dep.revisions = &rev;
	dep.n_revisions = 1;
	snprintf(p.name, sizeof(p.name), "web-abc123-aaaaa");
	snprintf(p.hash, sizeof(p.hash), "abc123");
	p.deployment = &dep;
	p.spec = dep.spec;
	p.created_ms = dep.created_ms + 1000;
	p.phase = POD_CREATING;
	p.last_exit_code = -1;
	d->pods = &p;

	kube_history_init(&ks);
	rv0 = kube_history_head(&ks);
	ok(rv0 > 1700000000000ULL, "versions start at the start time in ms");
	kube_history_sync(&ks, pods);
	is_int(kube_history_head(&ks), rv0 + 1, "one pod: one event");
	kube_history_sync(&ks, pods);
	is_int(kube_history_head(&ks), rv0 + 1, "nothing changed: no event");
	p.phase = POD_RUNNING;
	p.ready = true;
	kube_history_sync(&ks, pods);
	rv1 = kube_history_head(&ks);
	is_int(rv1, rv0 + 2, "a change: one event");

	items = json_pack("[{s:{s:s, s:s}}]", "metadata", "name", p.name,
			  "resourceVersion", "x");
	kube_history_stamp(&ks, pods, items);
	is_int(
	    strtoull(json_string_value(kube_path(json_array_get(items, 0),
						 "metadata.resourceVersion")),
		     NULL, 10),
	    rv1, "an object carries the version of its last change");
	json_decref(items);

	d->pods = NULL;
	kube_history_sync(&ks, pods);
	memset(&s, 0, sizeof(s));
	s.ordered = true;
	ok(kube_history_since(&ks, rv0, collect_event, &s) == 0,
	   "events after the first version are kept");
	is_str(s.log,
	       "ADDED pods/web-abc123-aaaaa;MODIFIED pods/web-abc123-aaaaa;"
	       "DELETED pods/web-abc123-aaaaa;",
	       "ADDED, MODIFIED, DELETED (from the first version: all)");
	ok(s.ordered, "versions grow");
	memset(&s, 0, sizeof(s));
	s.ordered = true;
	kube_history_since(&ks, rv1, collect_event, &s);
	is_str(s.log, "DELETED pods/web-abc123-aaaaa;",
	       "from a later version: only what followed");
	memset(&s, 0, sizeof(s));
	kube_history_since(&ks, kube_history_head(&ks), collect_event, &s);
	is_int(s.n, 0, "from the head: nothing");

	/* 2048 changes later the first ones are gone. */
	d->pods = &p;
	for (int i = 0; i < 2100; i++) {
		p.restarts = i + 1;
		kube_history_sync(&ks, pods);
	}
	memset(&s, 0, sizeof(s));
	ok(kube_history_since(&ks, rv1, collect_event, &s) == -1,
	   "a version older than the ring is gone (the client lists again)");
	is_int(s.n, 0, "and nothing is sent from it");
	ok(kube_history_since(&ks, kube_history_head(&ks) - 10, collect_event,
			      &s) == 0,
	   "a recent version still works");
	is_int(s.n, 10, "with the 10 events after it");

	kube_history_free(&ks);
	free(d);
	cfg_free(cfg);
	return tap_done();
}
