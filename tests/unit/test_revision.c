/*
 * test_revision.c - the pod-template hash (what is in it, what is not, the
 * restart stamp), deep copies of a deployment spec, and kubectl's revision
 * numbering: new hashes get the next number, an older template coming back
 * is renumbered, pruning keeps revisionHistoryLimit old revisions.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/xalloc.h"
#include "../../config/config.h"
#include "../../orchestrator/revision.h"
#include "../lib/fixture.h"
#include "../lib/tap.h"

static const char ini[] = "[berth]\n"
			  "state_dir = /tmp\n"
			  "run_dir = /tmp\n"
			  "[deployment echo]\n"
			  "image = /\n"
			  "command = /bin/echo-version\n"
			  "args = --listen :8080\n"
			  "env = VERSION=0.1.0\n"
			  "replicas = 4\n"
			  "labels = app=echo\n"
			  "port = 8080\n"
			  "readinessProbe.httpGet.path = /healthz\n"
			  "readinessProbe.httpGet.port = 8080\n"
			  "lifecycle.preStop.exec.command = /bin/true now\n";

static void test_hash(const struct deployment_spec *s)
{
	char h1[16], h2[16], h3[16];
	struct deployment_spec *c = cfg_deployment_dup(s);

	template_hash(s, h1);
	template_hash(c, h2);
	is_int(strlen(h1), 6, "hash is 6 hex digits");
	is_str(h2, h1, "a deep copy hashes the same");
	c->replicas = 9;
	c->max_surge.value = 3;
	kvlist_free(&c->labels);
	template_hash(c, h2);
	is_str(h2, h1, "replicas, strategy and labels are not in the hash");
	free(c->image);
	c->image = xstrdup("/other");
	template_hash(c, h2);
	ok(strcmp(h1, h2) != 0, "the image is in the hash");
	cfg_deployment_copy_template(c, s);
	template_hash(c, h2);
	is_str(h2, h1, "copying the template back restores the hash");
	is_int(c->replicas, 9, "copying the template keeps replicas");
	snprintf(c->restarted_at, sizeof(c->restarted_at), "2030-01-01T00:00Z");
	template_hash(c, h3);
	ok(strcmp(h1, h3) != 0, "a restart stamp changes the hash");
	is_str(c->env.v[0], "VERSION=0.1.0", "env untouched by the stamp");
	is_str(c->pre_stop.exec_command.v[1], "now", "preStop copied deeply");
	ok(c->pre_stop.exec_command.v[1] != s->pre_stop.exec_command.v[1],
	   "copies own their strings");
	cfg_deployment_free(c);
}

static void test_numbering(void)
{
	struct deployment dep;
	int64_t first_created;

	memset(&dep, 0, sizeof(dep));
	snprintf(dep.hash, sizeof(dep.hash), "aaaaaa");
	is_int(revision_note(&dep, "aaaaaa", "apply"), 1, "first revision 1");
	first_created = revision_find(&dep, 1)->created_ms;
	is_int(revision_note(&dep, "aaaaaa", "apply"), 1, "same hash keeps 1");
	while (now_ms() <= first_created) /* the next one is created later */
		usleep(500);
	is_int(revision_note(&dep, "bbbbbb", "set image"), 2, "new hash 2");
	snprintf(dep.hash, sizeof(dep.hash), "bbbbbb");
	dep.revision = 2;
	is_int(revision_previous(&dep)->number, 1, "previous of 2 is 1");
	/* undo: the template of 1 comes back as 3 and 1 disappears */
	is_int(revision_note(&dep, "aaaaaa", "x"), 3,
	       "old template renumbered");
	ok(revision_find(&dep, 1) == NULL, "its old number is gone");
	is_str(revision_find(&dep, 3)->cause, "apply", "its cause is kept");
	ok(revision_find(&dep, 3)->created_ms == first_created &&
	       first_created < revision_find(&dep, 2)->created_ms,
	   "and its creation time, as a reused ReplicaSet's (older than 2)");
	is_int(dep.n_revisions, 2, "still two revisions");
	is_int(dep.revisions[0].number, 2, "history sorted oldest first");
	snprintf(dep.hash, sizeof(dep.hash), "aaaaaa");
	dep.revision = 3;
	is_int(revision_previous(&dep)->number, 2, "previous of 3 is 2");
	for (int i = 0; i < 5; i++) {
		char h[16];

		snprintf(h, sizeof(h), "c%05d", i);
		revision_note(&dep, h, "apply");
	}
	snprintf(dep.hash, sizeof(dep.hash), "c00004");
	is_int(dep.n_revisions, 7, "seven revisions before pruning");
	is_int(revision_prune(&dep, 2), 4, "limit 2: four oldest pruned");
	is_int(dep.n_revisions, 3, "current + 2 old remain");
	is_int(dep.revisions[0].number, 6, "the newest old ones stay (6, 7)");
	is_int(revision_prune(&dep, 0), 2, "limit 0: only the current stays");
	is_str(dep.revisions[0].hash, "c00004", "the current one");
	revision_free_all(&dep);
}

int main(void)
{
	struct berth_config *cfg =
	    cfg_from_text(ini, "/tmp/berth-test-revision-XXXXXX");

	ok(cfg != NULL && cfg->n_deployments == 1, "test config loads");
	if (cfg == NULL)
		return tap_done();
	test_hash(&cfg->deployments[0]);
	test_numbering();
	cfg_free(cfg);
	return tap_done();
}
