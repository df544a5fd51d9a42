/*
 * test_image_store.c - images/store*.c, import.c and images_resolve() on
 * OCI layouts built here: records, idempotent imports, leases that keep
 * an image from rm and prune, GC, the import folder, pull policies and
 * their failure reasons. Needs root (layer owners).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../common/xalloc.h"
#include "../../images/digest.h"
#include "../../images/images.h"
#include "../../images/import.h"
#include "../../images/store.h"
#include "../lib/tap.h"
#include "../lib/tarw.h"

static char top[256];

static void write_blob(const char *layout, const char *buf, size_t len,
		       char dg[IMAGE_DIGEST_LEN + 1])
{
	struct berr err = BERR_INIT;
	char path[1024];

	sha256_buf(buf, len, dg);
	snprintf(path, sizeof(path), "%s/blobs/sha256", layout);
	mkdir_p(path, 0755, &err);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", layout, dg + 7);
	file_write_atomic(path, buf, len, 0644, &err);
}

static char *slurp(const char *path, size_t *len)
{
	struct berr err = BERR_INIT;
	char *s = NULL;

	file_read_all(path, &s, len, &err);
	return s;
}

/* An OCI layout with one image of one layer holding file `content`. */
static void make_layout(const char *layout, const char *name,
			const char *content, char mdg[IMAGE_DIGEST_LEN + 1])
{
	struct tarw_entry ents[] = {
	    {'f', "app/data", content, 0644, 0, 0, NULL, 0, 0, 0},
	    {0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}};
	char tar[1024], ldg[IMAGE_DIGEST_LEN + 1], cdg[IMAGE_DIGEST_LEN + 1];
	char *buf, *text;
	size_t len;
	json_t *j;
	struct berr err = BERR_INIT;

	mkdir_p(layout, 0755, &err);
	snprintf(tar, sizeof(tar), "%s.layer.tar", layout);
	tarw_file(tar, TARW_NONE, ents);
	buf = slurp(tar, &len);
	write_blob(layout, buf, len, ldg);
	free(buf);
	unlink(tar);
	j = json_pack("{s:s, s:s, s:{s:[s]}, s:{s:s, s:[s]}}", "os", "linux",
		      "architecture", "amd64", "config", "Cmd", "/app/run",
		      "rootfs", "type", "layers", "diff_ids", ldg);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	write_blob(layout, text, strlen(text), cdg);
	j = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}",
		      "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST,
		      "config", "mediaType", MT_OCI_CONFIG, "digest", cdg,
		      "size", (json_int_t)strlen(text), "layers", "mediaType",
		      MT_OCI_LAYER, "digest", ldg, "size", (json_int_t)len);
	free(text);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	write_blob(layout, text, strlen(text), mdg);
	j = json_pack("{s:i, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion", 2,
		      "manifests", "mediaType", MT_OCI_MANIFEST, "digest", mdg,
		      "size", (json_int_t)strlen(text), "annotations",
		      "io.containerd.image.name", name);
	free(text);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	snprintf(tar, sizeof(tar), "%s/index.json", layout);
	file_write_atomic(tar, text, strlen(text), 0644, &err);
	free(text);
	snprintf(tar, sizeof(tar), "%s/oci-layout", layout);
	file_write_atomic(tar, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644,
			  &err);
}

static size_t count_dir(const char *fmt, const char *arg)
{
	char path[1024];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), fmt, top, arg);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

static size_t rows(struct img_store *s)
{
	struct berr err = BERR_INIT;
	json_t *l = img_list(s, &err);
	size_t n = json_array_size(json_object_get(l, "images"));

	json_decref(l);
	return n;
}

/* Puts the files of layout into an archive at path (an oci-archive). */
static void archive_layout(const char *layout, const char *path)
{
	struct archive *a = tarw_open(path, TARW_GZIP);
	const char *names[] = {"index.json", "oci-layout"};
	char p[1024];
	struct dirent *de;
	DIR *d;

	for (int i = 0; i < 2; i++) {
		size_t len;
		char *buf;
		struct tarw_entry e = {'f', names[i], NULL, 0644, 0,
				       0,   NULL,     0,    0,	  0};

		snprintf(p, sizeof(p), "%s/%s", layout, names[i]);
		buf = slurp(p, &len);
		e.arg = buf;
		e.len = len;
		tarw_add(a, &e);
		free(buf);
	}
	snprintf(p, sizeof(p), "%s/blobs/sha256", layout);
	d = opendir(p);
	while ((de = readdir(d)) != NULL) {
		char name[300], file[1400];
		size_t len;
		char *buf;
		struct tarw_entry e = {'f', name, NULL, 0644, 0,
				       0,   NULL, 0,	0,    0};

		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "blobs/sha256/%s", de->d_name);
		snprintf(file, sizeof(file), "%s/%s", p, de->d_name);
		buf = slurp(file, &len);
		e.arg = buf;
		e.len = len;
		tarw_add(a, &e);
		free(buf);
	}
	closedir(d);
	tarw_close(a);
}

int main(void)
{
	struct berr err = BERR_INIT;
	struct img_store *s;
	char layout[512], m1[IMAGE_DIGEST_LEN + 1], m2[IMAGE_DIGEST_LEN + 1];
	struct images_resolved r;
	enum images_failure why;
	json_t *res = NULL;
	int n;

	if (geteuid() != 0) {
		printf("ok 1 # SKIP needs root\n1..1\n");
		return 0;
	}
	snprintf(top, sizeof(top), "/tmp/berth-test-store-XXXXXX");
	if (mkdtemp(top) == NULL)
		return 1;
	ok(img_store_open(top, &s, &err) == 0, "store opens (%s)", err.msg);

	snprintf(layout, sizeof(layout), "%s/oci1", top);
	make_layout(layout, "example.com/app:1", "one", m1);
	ok(img_import(s, layout, NULL, NULL, &res, &err) == 0,
	   "OCI layout imports (%s)", err.msg);
	is_str(
	    json_string_value(json_object_get(json_array_get(res, 0), "name")),
	    "example.com/app:1", "named from io.containerd.image.name");
	json_decref(res);
	ok(img_import(s, layout, NULL, NULL, NULL, &err) == 0,
	   "importing again is harmless");
	is_int(rows(s), 1, "one image listed");
	is_int(count_dir("%s/images/layers%s", ""), 1, "one layer folder");

	/* resolve: policies and reasons */
	ok(images_resolve(s, "example.com/app:1", IMAGE_PULL_NEVER, NULL,
			  "pod-a", &r, &why, &err) == 0,
	   "Never resolves what is present (%s)", err.msg);
	is_int(r.n_layers, 1, "one layer folder returned");
	is_str(r.config.cmd[0], "/app/run", "image Cmd returned");
	is_str(r.manifest, m1, "manifest digest returned");
	ok(!r.pulled, "nothing pulled");
	{
		char p[1024], *data;
		size_t len;

		snprintf(p, sizeof(p), "%s/app/data", r.layers[0]);
		data = slurp(p, &len);
		is_str(data, "one", "the layer folder holds the file");
		free(data);
	}
	images_resolved_free(&r);
	ok(images_resolve(s, "example.com/other:1", IMAGE_PULL_NEVER, NULL,
			  NULL, &r, &why, &err) == -1 &&
	       why == IMAGES_NEVER_PULL &&
	       strstr(err.msg, "pull policy of Never"),
	   "Never on a missing image: ErrImageNeverPull (%s)", err.msg);
	ok(images_resolve(s, "Bad Name", IMAGE_PULL_NEVER, NULL, NULL, &r, &why,
			  &err) == -1 &&
	       why == IMAGES_INVALID_NAME,
	   "InvalidImageName");
	{
		struct img_pull_opts po = {.skopeo = "/nonexistent/skopeo"};

		ok(images_resolve(s, "127.0.0.1:1/none:1",
				  IMAGE_PULL_IF_NOT_PRESENT, &po, NULL, &r,
				  &why, &err) == -1 &&
		       why == IMAGES_ERR_PULL &&
		       strstr(err.msg, "/nonexistent/skopeo"),
		   "IfNotPresent on a missing image pulls: ErrImagePull (%s)",
		   err.msg);
	}

	/* a lease keeps the image from rm and prune */
	ok(img_remove(s, "example.com/app:1", &err) == -1 &&
	       strstr(err.msg, "in use by `pod-a`"),
	   "rm of a leased image refused (%s)", err.msg);
	ok(img_prune(s, true, NULL, &err) == 0 && rows(s) == 1,
	   "prune -a keeps a leased image");
	ok(img_lease_drop(s, "pod-a", &err) == 0, "lease dropped");
	ok(img_last_used(s, m1) > 0, "dropping a lease stamps the image used");
	ok(img_lease_set(s, "../evil", m1, &err) == -1,
	   "lease holders are plain names");

	/* revision leases follow the revisions they are given */
	{
		char *holders[] = {"revision.app.1", "revision.app.2",
				   "revision.bad.3"};
		char *refs[] = {"example.com/app:1", "example.com/gone:1",
				"Bad Name"};
		json_t *l;

		ok(img_leases_sync(s, "revision.", holders, refs, 3, &err) == 0,
		   "revision leases synced (%s)", err.msg);
		is_int(count_dir("%s/images/leases%s", ""), 1,
		       "only the image the store has is leased");
		ok(img_remove(s, "example.com/app:1", &err) == -1 &&
		       strstr(err.msg,
			      "kept by revision 1 of deployment `app`"),
		   "rm of a kept revision's image refused (%s)", err.msg);
		l = img_list(s, &err);
		is_str(json_string_value(json_object_get(
			   json_array_get(json_object_get(l, "images"), 0),
			   "usedBy")),
		       "revision.app.1", "listed as used by the revision");
		json_decref(l);
		ok(img_leases_sync(s, "revision.", holders, refs, 0, &err) ==
			   0 &&
		       count_dir("%s/images/leases%s", "") == 0,
		   "a revision gone: its lease dropped");
	}

	/* a second image; rm by ID prefix */
	snprintf(layout, sizeof(layout), "%s/oci2", top);
	make_layout(layout, "example.com/app:2", "two", m2);
	ok(img_import(s, layout, "example.com/renamed:2", NULL, NULL, &err) ==
	       0,
	   "import with --name");
	is_int(rows(s), 2, "two images");
	{
		char id[16];
		json_t *l = img_list(s, &err), *row;
		size_t i;

		json_array_foreach(json_object_get(l, "images"), i, row)
		{
			if (!strcmp(json_string_value(
					json_object_get(row, "repository")),
				    "example.com/renamed"))
				snprintf(id, sizeof(id), "%.12s",
					 json_string_value(
					     json_object_get(row, "id")) +
					     7);
		}
		json_decref(l);
		ok(img_remove(s, id, &err) == 0, "rm by image ID prefix (%s)",
		   err.msg);
	}
	ok(img_remove(s, m2 + 7, &err) == -1 && strstr(err.msg, "no such"),
	   "removed already: no such image (%s)", err.msg);
	is_int(rows(s), 1, "one image left");
	is_int(count_dir("%s/images/layers%s", ""), 1,
	       "its layer folder collected");
	ok(img_remove(s, "example.com/app:1", &err) == 0, "rm by name");
	is_int(rows(s), 0, "no image left");
	is_int(count_dir("%s/images/blobs/sha256%s", ""), 0, "no blob left");

	/* the import folder */
	{
		char dir[512], p[600];
		int fd;

		snprintf(dir, sizeof(dir), "%s/import", top);
		mkdir(dir, 0700);
		snprintf(p, sizeof(p), "%s/app.tar", dir);
		archive_layout(layout, p);
		snprintf(p, sizeof(p), "%s/junk.tar", dir);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		fd_write_all(fd, "junk, not a tarball, no no no no no no!!!",
			     41);
		close(fd);
		snprintf(p, sizeof(p), "%s/.partial.tar", dir);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		close(fd);
		ok(img_import_dir_scan(s, dir, &n, &err) == 0,
		   "import folder scanned (%s)", err.msg);
		is_int(n, 1, "one archive imported");
		is_int(rows(s), 1, "its image is listed");
		is_int(count_dir("%s/import/%s", "imported"), 1,
		       "moved to imported/");
		is_int(count_dir("%s/import/%s", "failed"), 2,
		       "junk moved to failed/ with its .error");
		snprintf(p, sizeof(p), "%s/.partial.tar", dir);
		ok(access(p, F_OK) == 0, "a dot file is left alone");
	}
	img_store_close(s);
	rm_rf(top, &err);
	return tap_done();
}
