/*
 * objects.c - what the Kubernetes API keeps about an object beyond
 * berth's model, one record per Deployment or Service in
 * STATE_DIR/kube/KIND.NAME.json: its labels and annotations (kubectl's
 * last-applied configuration among them), its container's name, the
 * configuration each server-side-apply manager applied last and, for an
 * object created through the API, the object itself, from which the
 * daemon makes it again at start-up and at every `apply` (the
 * extend_config hook). Never changes the model.
 */
#include "objects.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/fsperm.h"
#include "../common/log.h"
#include "../common/xalloc.h"
#include "../orchestrator/model.h"
#include "compat.h"
#include "convert_rollout.h"
#include "kube_internal.h"

#define RECORD_MAX (4u << 20)

static char *dir_of(const char *state_dir)
{
	return xasprintf("%s/kube", state_dir);
}

static char *path_of(const char *state_dir, const char *kind, const char *name)
{
	return xasprintf("%s/kube/%s.%s.json", state_dir, kind, name);
}

/* Every record on disk, as {"KIND/NAME": record}. */
static json_t *load_all(const char *state_dir)
{
	cleanup_free char *dir = dir_of(state_dir);
	json_t *all = json_object();
	DIR *dh = opendir(dir);
	struct dirent *e;

	if (dh == NULL)
		return all;
	while ((e = readdir(dh)) != NULL) {
		size_t n = strlen(e->d_name);
		cleanup_free char *path = NULL, *buf = NULL;
		struct berr err = BERR_INIT;
		size_t len = 0;
		json_t *j;
		const char *kind, *name;
		char key[160];

		if (n < 6 || strcmp(e->d_name + n - 5, ".json") ||
		    e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (file_read_bounded(path, RECORD_MAX, 0, &buf, &len, &err) ==
		    -1) {
			log_warnx("kubernetes API: %s", err.msg);
			continue;
		}
		j = json_loadb(buf, len, 0, NULL);
		kind = json_string_value(json_object_get(j, "kind"));
		name = json_string_value(json_object_get(j, "name"));
		if (kind == NULL || name == NULL) {
			log_warnx("kubernetes API: %s is not a record; left "
				  "as it is",
				  path);
			json_decref(j);
			continue;
		}
		snprintf(key, sizeof(key), "%s/%s", kind, name);
		json_object_set_new(all, key, j);
	}
	closedir(dh);
	return all;
}

void kube_objects_load(struct kube_server *ks)
{
	json_decref(ks->records);
	ks->records = load_all(ks->d->state_dir);
}

void kube_objects_free(struct kube_server *ks)
{
	json_decref(ks->records);
	ks->records = NULL;
}

json_t *kube_record(struct kube_server *ks, const char *kind, const char *name,
		    bool make)
{
	char key[160];
	json_t *r;

	if (ks == NULL)
		return NULL;
	if (ks->records == NULL)
		ks->records = json_object();
	snprintf(key, sizeof(key), "%s/%s", kind, name);
	r = json_object_get(ks->records, key);
	if (r || !make)
		return r;
	r = json_pack("{s:s, s:s, s:b}", "kind", kind, "name", name, "api", 0);
	json_object_set_new(ks->records, key, r);
	return r;
}

int kube_record_save(struct kube_server *ks, json_t *rec, struct berr *err)
{
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	const char *name = json_string_value(json_object_get(rec, "name"));
	cleanup_free char *dir = dir_of(ks->d->state_dir);
	cleanup_free char *path = path_of(ks->d->state_dir, kind, name);
	char *text;
	int rc;

	if (mkdir_p(dir, 0700, err) == -1)
		return -1;
	text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	rc = file_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

void kube_record_delete(struct kube_server *ks, const char *kind,
			const char *name)
{
	cleanup_free char *path = path_of(ks->d->state_dir, kind, name);
	char key[160];

	snprintf(key, sizeof(key), "%s/%s", kind, name);
	json_object_del(ks->records, key);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("kubernetes API: cannot remove %s", path);
}

bool kube_record_api(struct kube_server *ks, const char *kind, const char *name)
{
	return json_is_true(
	    json_object_get(kube_record(ks, kind, name, false), "api"));
}

const char *kube_container_name(const struct deployment *dep)
{
	struct kube_server *ks = dep->daemon ? dep->daemon->kube : NULL;
	const char *n = json_string_value(json_object_get(
	    kube_record(ks, "Deployment", dep->name, false), "container"));

	return n && n[0] ? n : dep->name;
}

void kube_record_overlay(struct kube_server *ks, const char *kind, json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	json_t *rec, *ann, *v;
	const char *k;

	if (name == NULL)
		return;
	rec = kube_record(ks, kind, name, false);
	if (rec == NULL)
		return;
	ann = json_object_get(meta, "annotations");
	if (json_is_object(json_object_get(rec, "annotations"))) {
		/* Berth's own (revision) win over stored ones. */
		json_t *merged =
		    json_deep_copy(json_object_get(rec, "annotations"));

		if (json_is_object(ann))
			json_object_update(merged, ann);
		json_object_set_new(meta, "annotations", merged);
	}
	if (json_object_size(json_object_get(rec, "labels"))) {
		json_t *labels = json_object_get(meta, "labels");

		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(meta, "labels", labels);
		}
		json_object_foreach(json_object_get(rec, "labels"), k, v)
		    json_object_set(labels, k, v);
	}
	if (json_object_get(rec, "generation"))
		json_object_set(meta, "generation",
				json_object_get(rec, "generation"));
}

void kube_config_take_deployment(struct berth_config *cfg,
				 struct berth_config *one)
{
	cfg->deployments =
	    xrealloc(cfg->deployments,
		     (cfg->n_deployments + 1) * sizeof(*cfg->deployments));
	cfg->deployments[cfg->n_deployments++] = one->deployments[0];
	one->n_deployments = 0;
}

int kube_extend_config(struct daemon *d, struct berth_config *cfg,
		       struct berr *err)
{
	json_t *all = load_all(d->state_dir), *rec;
	const char *key;
	int rc = 0;

	json_object_foreach(all, key, rec)
	{
		const char *kind =
		    json_string_value(json_object_get(rec, "kind"));
		const char *name =
		    json_string_value(json_object_get(rec, "name"));
		json_t *obj = json_object_get(rec, "object");
		struct berth_config *one = NULL;
		bool paused;

		if (!json_is_true(json_object_get(rec, "api")) || obj == NULL)
			continue;
		if (!strcmp(kind, "Deployment")) {
			if (cfg_find_deployment(cfg, name)) {
				rc = berr_set(
				    err,
				    "%s: deployment `%s` was created through "
				    "the Kubernetes API; delete it there "
				    "first (kubectl delete deployment %s) or "
				    "rename the file's",
				    cfg->path, name, name);
				break;
			}
			/* A record written before every write filled them
			 * (compat.c) may lack its apiVersion and kind. */
			kube_compat_type_meta(obj, "apps/v1", "Deployment");
			if (kube_object_config(obj, "Deployment", false, &one,
					       &paused, err) == -1) {
				berr_wrap(err, "%s/kube: deployment `%s`",
					  d->state_dir, name);
				rc = -1;
				break;
			}
			kube_config_take_deployment(cfg, one);
		} else if (!strcmp(kind, "Service")) {
			bool taken = false;

			for (size_t i = 0; i < cfg->n_services; i++)
				taken |= !strcmp(cfg->services[i].name, name);
			if (taken) {
				rc = berr_set(
				    err,
				    "%s: service `%s` was created through "
				    "the Kubernetes API; delete it there "
				    "first (kubectl delete service %s) or "
				    "rename the file's",
				    cfg->path, name, name);
				break;
			}
			kube_compat_type_meta(obj, "v1", "Service");
			if (kube_object_config(obj, "Service", false, &one,
					       NULL, err) == -1) {
				berr_wrap(err, "%s/kube: service `%s`",
					  d->state_dir, name);
				rc = -1;
				break;
			}
			cfg->services =
			    xrealloc(cfg->services, (cfg->n_services + 1) *
							sizeof(*cfg->services));
			cfg->services[cfg->n_services++] = one->services[0];
			one->n_services = 0;
		}
		cfg_free(one);
	}
	if (rc == 0) /* after the services: a Rollout names them */
		rc = kube_rollouts_extend_config(d, cfg, all, err);
	json_decref(all);
	return rc;
}
