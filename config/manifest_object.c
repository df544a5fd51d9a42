/*
 * manifest_object.c - one object of the Kubernetes API (a Deployment or a
 * Service, JSON in memory) read by the manifest reader (manifest.c) into
 * a config holding just it, with its errors as "FIELD: message". An
 * object has no lines, so each JSON pointer the reader looks at gets a
 * number in the place of a YAML line (mf_line_of()), and the number an
 * error carries names its field. Knows no daemon and no HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "manifest.h"
#include "manifest_internal.h"

/* The "file" of the messages, replaced by the field before returning. */
#define OBJECT_FILE "object"

int mf_read_paused(struct mctx *m, json_t *spec)
{
	json_t *v = json_object_get(spec, "paused");
	bool *out = m->pc->object ? m->pc->object->paused : NULL;
	if (v && !json_is_null(v) && !json_is_boolean(v))
		return mf_err(m, "/spec/paused", "must be true or false");
	if (out)
		*out = json_is_true(v);
	else if (json_is_true(v))
		return mf_err(m, "/spec/paused",
			      "a paused rollout is made with `berth "
			      "rollout pause`, not in a manifest");
	return 0;
}

/* "object:N: message" as "FIELD: message" (N: the number of FIELD's
 * JSON pointer in ids); "object: message" as "message". */
static void name_field(json_t *ids, struct berr *err)
{
	char msg[BERR_MSG_MAX], field[256] = "";
	const char *rest, *ptr;
	char *end;
	json_t *v;
	long id;

	snprintf(msg, sizeof(msg), "%s", err->msg);
	if (strncmp(msg, OBJECT_FILE ":", strlen(OBJECT_FILE) + 1))
		return;
	rest = msg + strlen(OBJECT_FILE) + 1;
	id = strtol(rest, &end, 10);
	if (end != rest && *end == ':') {
		rest = end + 1;
		json_object_foreach(ids, ptr, v)
		{
			if (json_integer_value(v) == id)
				mf_field_name(ptr, field, sizeof(field));
		}
	}
	while (*rest == ' ')
		rest++;
	if (field[0])
		berr_set(err, "%s: %s", field, rest);
	else
		berr_set(err, "%s", rest);
}

int cfg_manifest_object(const json_t *obj, const struct cfg_object_opts *o,
			struct berth_config **out, struct berr *err)
{
	struct cfg_object_opts dflt = {0};
	struct berth_config *cfg = NULL;
	json_t *docs, *ids, *lines;
	int rc;

	if (!json_is_object(obj))
		return berr_set(err, "the object is not a JSON object");
	docs = json_pack("[O]", (json_t *)obj);
	ids = json_object();
	lines = json_pack("[O]", ids);
	/* A folder that cannot exist: only absolute image folders and
	 * image references mean anything here. */
	rc = cfg_load_object(OBJECT_FILE, "/dev/null/kube", docs, lines,
			     o ? o : &dflt, &cfg, err);
	if (rc == -1)
		name_field(ids, err);
	else if (cfg->n_deployments + cfg->n_services != 1) {
		rc = berr_set(err, "kind: one Deployment or Service is "
				   "expected here");
		cfg_free(cfg);
	} else {
		*out = cfg;
	}
	json_decref(lines);
	json_decref(ids);
	json_decref(docs);
	return rc;
}
