/*
 * test_template_json.c - a pod template written by template_json() and read
 * back by template_from_json() is the same template: same canonical JSON,
 * same revision hash, for every deployment of the full example config.
 * Malformed input is refused with a message, never half-read.
 */
#include <stdlib.h>
#include <string.h>

#include "../../orchestrator/revision.h"
#include "../../orchestrator/template_json.h"
#include "../lib/tap.h"

static void round_trip(const struct deployment_spec *s)
{
	struct berr err = BERR_INIT;
	json_t *j = template_json(s);
	struct deployment_spec *back = template_from_json(j, s, &err);
	char h1[16], h2[16];

	ok(back != NULL, "%s: template read back (%s)", s->name, err.msg);
	if (back == NULL) {
		json_decref(j);
		return;
	}
	json_t *j2 = template_json(back);
	char *a = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	char *b = json_dumps(j2, JSON_SORT_KEYS | JSON_COMPACT);

	is_str(b, a, "%s: same canonical JSON", s->name);
	template_hash(s, h1);
	template_hash(back, h2);
	is_str(h2, h1, "%s: same revision hash", s->name);
	is_str(back->name, s->name, "%s: name from base", s->name);
	is_int(back->replicas, s->replicas, "%s: replicas from base", s->name);
	free(a);
	free(b);
	json_decref(j);
	json_decref(j2);
	cfg_deployment_free(back);
}

int main(void)
{
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;

	if (cfg_load("tests/config/valid-full.ini", &cfg, &err) == -1) {
		ok(0, "load tests/config/valid-full.ini: %s", err.msg);
		return tap_done();
	}
	ok(cfg->n_deployments >= 2, "example has several deployments");
	for (size_t i = 0; i < cfg->n_deployments; i++)
		round_trip(&cfg->deployments[i]);

	json_t *bad = json_pack("{s:i}", "image", 3);
	struct deployment_spec *none =
	    template_from_json(bad, &cfg->deployments[0], &err);

	ok(none == NULL, "image of the wrong type is refused");
	ok(strstr(err.msg, "image") != NULL, "the message names the key: %s",
	   err.msg);
	json_decref(bad);
	bad = json_pack("{s:s, s:s}", "image", "/x", "command", "not-a-list");
	none = template_from_json(bad, &cfg->deployments[0], &err);
	ok(none == NULL, "command that is not a list is refused (%s)", err.msg);
	json_decref(bad);
	cfg_free(cfg);
	return tap_done();
}
