/*
 * oci.c - reads manifests, indexes and image configs (jansson) and picks
 * the host's platform. Owns the rules of those documents only; blobs are
 * fetched and verified elsewhere (store.c).
 */
#include "oci.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "../common/xalloc.h"
#include "digest.h"

static json_t *load(const char *buf, size_t len, struct berr *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(buf, len, 0, &jerr);

	if (doc == NULL)
		berr_set(err, "bad JSON: %s (line %d)", jerr.text, jerr.line);
	else if (!json_is_object(doc)) {
		json_decref(doc);
		berr_set(err, "bad JSON: not an object");
		return NULL;
	}
	return doc;
}

enum oci_kind oci_kind_of(const char *buf, size_t len)
{
	struct berr err = BERR_INIT;
	json_t *doc = load(buf, len, &err);
	const char *mt;
	enum oci_kind k = OCI_KIND_UNKNOWN;

	if (doc == NULL)
		return k;
	mt = json_string_value(json_object_get(doc, "mediaType"));
	if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)))
		k = OCI_KIND_INDEX;
	else if (mt && (!strcmp(mt, MT_OCI_MANIFEST) ||
			!strcmp(mt, MT_DOCKER_MANIFEST)))
		k = OCI_KIND_MANIFEST;
	else if (mt == NULL && json_is_array(json_object_get(doc, "manifests")))
		k = OCI_KIND_INDEX;
	else if (mt == NULL && json_is_object(json_object_get(doc, "config")))
		k = OCI_KIND_MANIFEST;
	json_decref(doc);
	return k;
}

static int desc_parse(json_t *j, struct oci_desc *d, const char *what,
		      struct berr *err)
{
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	const char *dg = json_string_value(json_object_get(j, "digest"));
	json_t *size = json_object_get(j, "size");

	if (!json_is_object(j) || dg == NULL)
		return berr_set(err, "%s: descriptor without a digest", what);
	if (!image_digest_valid(dg))
		return berr_set(err, "%s: unsupported digest `%.80s`", what,
				dg);
	snprintf(d->media_type, sizeof(d->media_type), "%s", mt ? mt : "");
	snprintf(d->digest, sizeof(d->digest), "%s", dg);
	d->size = json_is_integer(size) ? json_integer_value(size) : -1;
	return 0;
}

int oci_manifest_parse(const char *buf, size_t len, struct oci_manifest *out,
		       struct berr *err)
{
	json_t *doc = load(buf, len, err), *layers;
	struct oci_manifest m = {0};
	json_int_t sv;
	size_t i;
	json_t *l;

	if (doc == NULL)
		return berr_wrap(err, "manifest");
	sv = json_integer_value(json_object_get(doc, "schemaVersion"));
	if (sv != 2) {
		json_decref(doc);
		return berr_set(err,
				"manifest: schemaVersion %lld is not "
				"supported (only 2)",
				(long long)sv);
	}
	if (desc_parse(json_object_get(doc, "config"), &m.config,
		       "manifest config", err) == -1) {
		json_decref(doc);
		return -1;
	}
	layers = json_object_get(doc, "layers");
	if (!json_is_array(layers)) {
		json_decref(doc);
		return berr_set(err, "manifest: no layers array");
	}
	m.layers = xcalloc(json_array_size(layers) + 1, sizeof(*m.layers));
	json_array_foreach(layers, i, l)
	{
		if (desc_parse(l, &m.layers[i], "manifest layer", err) == -1)
			goto bad;
		if (!oci_layer_type_ok(m.layers[i].media_type)) {
			berr_set(err,
				 "manifest: layer %zu has media type `%s`, "
				 "which berth cannot unpack",
				 i, m.layers[i].media_type);
			goto bad;
		}
	}
	m.n_layers = json_array_size(layers);
	json_decref(doc);
	*out = m;
	return 0;
bad:
	free(m.layers);
	json_decref(doc);
	return -1;
}

void oci_manifest_free(struct oci_manifest *m)
{
	free(m->layers);
	m->layers = NULL;
	m->n_layers = 0;
}

void oci_host_platform(const char **arch, const char **variant)
{
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
	    {"x86_64", "amd64", ""},	{"aarch64", "arm64", ""},
	    {"armv7l", "arm", "v7"},	{"armv6l", "arm", "v6"},
	    {"i686", "386", ""},	{"i386", "386", ""},
	    {"ppc64le", "ppc64le", ""}, {"s390x", "s390x", ""},
	    {"riscv64", "riscv64", ""},
	};
	static __thread struct utsname u;

	uname(&u);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(u.machine, map[i].machine) == 0) {
			*arch = map[i].arch;
			*variant = map[i].variant;
			return;
		}
	*arch = u.machine;
	*variant = "";
}

int oci_index_pick(const char *buf, size_t len, const char *os,
		   const char *arch, const char *variant, struct oci_desc *out,
		   struct berr *err)
{
	json_t *doc = load(buf, len, err), *ms, *m;
	const char *harch, *hvariant;
	int best = -1, rc = -1;
	size_t i;

	if (doc == NULL)
		return berr_wrap(err, "index");
	oci_host_platform(&harch, &hvariant);
	if (os == NULL)
		os = "linux";
	if (arch == NULL) {
		arch = harch;
		variant = hvariant;
	}
	if (variant == NULL)
		variant = "";
	ms = json_object_get(doc, "manifests");
	json_array_foreach(ms, i, m)
	{
		json_t *p = json_object_get(m, "platform");
		const char *pos = json_string_value(json_object_get(p, "os"));
		const char *pa =
		    json_string_value(json_object_get(p, "architecture"));
		const char *pv =
		    json_string_value(json_object_get(p, "variant"));
		int score;

		if (p == NULL) {
			/* no platform: a single-image index (docker save,
			 * skopeo oci:) - take it when nothing better */
			if (best < 0 && json_array_size(ms) == 1)
				best = (int)i, rc = 0;
			continue;
		}
		if (!pos || !pa || strcmp(pos, os) || strcmp(pa, arch))
			continue;
		/* exact variant first; arm64 "v8" is arm64's default */
		if (pv == NULL || *pv == '\0')
			score = variant[0] == '\0' ? 2 : 1;
		else if (strcmp(pv, variant) == 0 ||
			 (!strcmp(arch, "arm64") && !strcmp(pv, "v8") &&
			  variant[0] == '\0'))
			score = 2;
		else
			continue;
		if (rc == -1 || score == 2) {
			best = (int)i;
			rc = 0;
			if (score == 2)
				break;
		}
	}
	if (rc == 0)
		rc = desc_parse(json_array_get(ms, (size_t)best), out,
				"index entry", err);
	else
		berr_set(err, "no image for %s/%s%s%s in the index", os, arch,
			 variant[0] ? "/" : "", variant);
	json_decref(doc);
	return rc;
}

static char **strv_from(json_t *a)
{
	char **v;
	size_t i;
	json_t *s;

	if (!json_is_array(a))
		return NULL;
	v = xcalloc(json_array_size(a) + 1, sizeof(char *));
	json_array_foreach(a, i, s) v[i] =
	    xstrdup(json_is_string(s) ? json_string_value(s) : "");
	return v;
}

static char *str_from(json_t *s)
{
	return json_is_string(s) ? xstrdup(json_string_value(s)) : NULL;
}

int oci_config_parse(const char *buf, size_t len, struct oci_image_config *out,
		     struct berr *err)
{
	json_t *doc = load(buf, len, err), *c, *rootfs, *diffs, *d;
	struct oci_image_config cfg = {0};
	size_t i;

	if (doc == NULL)
		return berr_wrap(err, "image config");
	rootfs = json_object_get(doc, "rootfs");
	diffs = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(diffs)) {
		json_decref(doc);
		return berr_set(err, "image config: no rootfs.diff_ids");
	}
	cfg.diff_ids =
	    xcalloc(json_array_size(diffs) + 1, sizeof(*cfg.diff_ids));
	json_array_foreach(diffs, i, d)
	{
		const char *s = json_string_value(d);

		if (s == NULL || !image_digest_valid(s)) {
			free(cfg.diff_ids);
			json_decref(doc);
			return berr_set(err, "image config: bad diff_id %zu",
					i);
		}
		snprintf(cfg.diff_ids[i], sizeof(cfg.diff_ids[i]), "%s", s);
	}
	cfg.n_diff_ids = json_array_size(diffs);
	c = json_object_get(doc, "config");
	cfg.entrypoint = strv_from(json_object_get(c, "Entrypoint"));
	cfg.cmd = strv_from(json_object_get(c, "Cmd"));
	cfg.env = strv_from(json_object_get(c, "Env"));
	cfg.working_dir = str_from(json_object_get(c, "WorkingDir"));
	cfg.user = str_from(json_object_get(c, "User"));
	cfg.os = str_from(json_object_get(doc, "os"));
	cfg.architecture = str_from(json_object_get(doc, "architecture"));
	cfg.variant = str_from(json_object_get(doc, "variant"));
	json_decref(doc);
	*out = cfg;
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void oci_config_free(struct oci_image_config *c)
{
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->working_dir);
	free(c->user);
	free(c->os);
	free(c->architecture);
	free(c->variant);
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

void oci_chain_ids(const char (*diff_ids)[IMAGE_DIGEST_LEN + 1], size_t n,
		   char (*chain)[IMAGE_DIGEST_LEN + 1])
{
	for (size_t i = 0; i < n; i++) {
		char buf[2 * IMAGE_DIGEST_LEN + 2];

		if (i == 0) {
			memcpy(chain[0], diff_ids[0], IMAGE_DIGEST_LEN + 1);
			continue;
		}
		snprintf(buf, sizeof(buf), "%s %s", chain[i - 1], diff_ids[i]);
		sha256_buf(buf, strlen(buf), chain[i]);
	}
}

bool oci_layer_type_ok(const char *mt)
{
	static const char *const ok[] = {
	    MT_OCI_LAYER,
	    MT_OCI_LAYER "+gzip",
	    MT_OCI_LAYER "+zstd",
	    "application/vnd.docker.image.rootfs.diff.tar.gzip",
	    "application/vnd.docker.image.rootfs.diff.tar",
	    "",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(mt, ok[i]) == 0)
			return true;
	return false;
}
