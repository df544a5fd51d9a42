/*
 * pull.c - `skopeo copy docker://REF oci:TMP:pull` into a work folder of
 * the store, then import. The work folder is an OCI layout holding a hard
 * link to every blob the store has, which skopeo reuses instead of
 * downloading, so a new tag of an image fetches only the layers that
 * changed; --preserve-digests keeps the registry's manifest bytes (and so
 * its digest) whatever their media type. Owns skopeo's command line and
 * the reading of its errors; TLS is turned off only for the registries the
 * config lists in insecureRegistries. Knows nothing about pods.
 */
#include "pull.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/child_own.h"
#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "import.h"

static bool insecure(const struct img_pull_opts *o, const char *domain)
{
	for (size_t i = 0; i < o->n_insecure; i++)
		if (strcmp(o->insecure[i], domain) == 0)
			return true;
	return false;
}

/* skopeo logs `time=... level=fatal msg="..."`: the msg is the cause. */
static void skopeo_error(const char *text, char *out, size_t len)
{
	const char *m = strstr(text, "msg=\"");
	const char *end;
	size_t n;

	if (m) {
		m += 5;
		end = strrchr(m, '"');
		n = end && end > m ? (size_t)(end - m) : strlen(m);
	} else {
		m = text;
		n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
	}
	snprintf(out, len, "%.*s", (int)n, m);
}

static int run_skopeo(char **argv, const char *errfile, struct berr *err)
{
	int status, fork_errno;
	pid_t pid;

	/* On a daemon's worker thread, this waitpid is the child's only
	 * reaper (the SIGCHLD reaper leaves it alone: child_own.h). */
	child_own_lock();
	pid = fork();
	fork_errno = errno;
	if (pid == 0) {
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDWR);

		if (fd == -1 || null == -1)
			_exit(126);
		dup2(null, 0);
		dup2(null, 1);
		dup2(fd, 2);
		for (int i = 3; i < 1024; i++)
			close(i);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		child_own_add(pid);
	child_own_unlock();
	if (pid == -1)
		return berr_errno(err, fork_errno, "fork");
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			child_own_remove(pid);
			return berr_errno(err, errno, "waitpid");
		}
	child_own_remove(pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	{
		char *text = NULL, msg[400];
		size_t len;
		struct berr e2 = BERR_INIT;

		if (file_read_all(errfile, &text, &len, &e2) == -1)
			text = xstrdup("");
		skopeo_error(text, msg, sizeof(msg));
		free(text);
		if (WIFSIGNALED(status))
			return berr_set(err, "skopeo killed by signal %d",
					WTERMSIG(status));
		return berr_set(err, "%s",
				msg[0] ? msg
				       : "skopeo failed without a message");
	}
}

/* TMP/d: an OCI layout whose blobs are hard links to the store's (all on
 * one file system: tmp/ is inside the store). A link that cannot be made
 * only costs a download. */
static int seed_layout(const struct img_store *s, const char *tmp,
		       struct berr *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	static const char index[] = "{\"schemaVersion\":2,\"manifests\":[]}";
	char path[PATH_MAX], from[PATH_MAX + 300], to[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/d/blobs/sha256", tmp);
	if (mkdir_p(path, 0700, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/d/oci-layout", tmp);
	if (file_write_atomic(path, layout, strlen(layout), 0600, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/d/index.json", tmp);
	if (file_write_atomic(path, index, strlen(index), 0600, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/blobs/sha256", s->dir);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 64)
			continue;
		snprintf(from, sizeof(from), "%s/%s", path, de->d_name);
		snprintf(to, sizeof(to), "%s/d/blobs/sha256/%s", tmp,
			 de->d_name);
		if (link(from, to) == -1)
			continue; /* downloaded instead */
	}
	if (d)
		closedir(d);
	return 0;
}

int img_pull(struct img_store *s, const char *ref,
	     const struct img_pull_opts *o, json_t **out, struct berr *err)
{
	static const struct img_pull_opts none = {0};
	char src[700], dest[PATH_MAX], errfile[PATH_MAX], name[600];
	char repo_digest[700];
	char *argv[16];
	char *tmp = NULL;
	struct image_ref r;
	int argc = 0, rc;

	if (o == NULL)
		o = &none;
	if (out)
		*out = NULL;
	if (image_ref_parse(ref, &r, err) == -1)
		return -1;
	if (img_store_lock(s, false, err) == -1)
		return -1;
	if (img_store_tmpdir(s, "pull", &tmp, err) == -1) {
		img_store_unlock(s);
		return -1;
	}
	image_ref_pull_string(&r, name, sizeof(name));
	snprintf(src, sizeof(src), "docker://%s", name);
	snprintf(dest, sizeof(dest), "oci:%s/d:pull", tmp);
	snprintf(errfile, sizeof(errfile), "%s/skopeo.err", tmp);
	argv[argc++] = (char *)(o->skopeo ? o->skopeo : "skopeo");
	if (o->registries_conf) {
		argv[argc++] = (char *)"--registries-conf";
		argv[argc++] = (char *)o->registries_conf;
	}
	argv[argc++] = (char *)"copy";
	argv[argc++] = (char *)"--quiet";
	argv[argc++] = (char *)"--preserve-digests";
	argv[argc++] = (char *)"--dest-oci-accept-uncompressed-layers";
	if (insecure(o, r.domain))
		argv[argc++] = (char *)"--src-tls-verify=false";
	if (o->auth_file) {
		argv[argc++] = (char *)"--src-authfile";
		argv[argc++] = (char *)o->auth_file;
	}
	argv[argc++] = src;
	argv[argc++] = dest;
	argv[argc] = NULL;
	rc = seed_layout(s, tmp, err);
	if (rc == 0)
		rc = run_skopeo(argv, errfile, err);
	if (rc == -1) {
		berr_wrap(err, "pull `%s`", name);
	} else {
		char canon[sizeof(r.domain) + sizeof(r.path) + sizeof(r.tag)];

		snprintf(dest, sizeof(dest), "%s/d", tmp);
		snprintf(canon, sizeof(canon), "%s/%s:%s", r.domain, r.path,
			 r.tag);
		repo_digest[0] = '\0';
		if (r.digest[0])
			snprintf(repo_digest, sizeof(repo_digest), "%s/%s@%s",
				 r.domain, r.path, r.digest);
		json_t *res = NULL;

		rc = img_import(s, dest, r.tag[0] ? canon : NULL,
				repo_digest[0] ? repo_digest : NULL, &res, err);
		if (rc == -1)
			berr_wrap(err, "pull `%s`", name);
		/* by tag: the registry's digest of what came is the repo
		 * digest (the kubelet's imageID) */
		if (rc == 0 && !r.digest[0] && json_array_size(res) == 1) {
			json_t *one = json_array_get(res, 0);
			const char *m =
			    json_string_value(json_object_get(one, "manifest"));
			const char *id =
			    json_string_value(json_object_get(one, "id"));

			snprintf(repo_digest, sizeof(repo_digest), "%s/%s@%s",
				 r.domain, r.path, m);
			rc = img_record_add(s, m, id, NULL, repo_digest, err);
		}
		if (out)
			*out = res;
		else
			json_decref(res);
	}
	{
		struct berr e2 = BERR_INIT;

		rm_rf(tmp, &e2);
	}
	free(tmp);
	img_store_unlock(s);
	return rc;
}
